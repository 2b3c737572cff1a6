// The fixture of the `ferry controller` process tests: the simulator (TLS, 100 ms ready delay)
// with the `ferry` namespace, a real git repository, and a controller process on them with
// short intervals.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "tests/support/git_server.h"
#include "tests/support/sim_fixture.h"

namespace ferry::testing {

using namespace std::chrono_literals;

inline std::string application(const std::string& name, const std::string& repo, const std::string& path,
                               const std::string& extra_spec = "",
                               const std::string& api_version = "ferry.dev/v1alpha1") {
  return "apiVersion: " + api_version + "\nkind: Application\nmetadata:\n  name: " + name +
         "\n  namespace: ferry\nspec:\n  project: default\n  source:\n    repoURL: " + repo +
         "\n    targetRevision: main\n    path: " + path +
         "\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: default\n" + extra_spec;
}

constexpr const char* kNamespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ferry\n";
constexpr const char* kAutomated = "  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n";

class ControllerProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim.ok()) << sim.error();
    ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, kNamespace).exit_code, 0);
    upstream = std::make_unique<UpstreamRepo>(dir.path(), "config");
  }

  void start_controller() {
    controller = std::make_unique<ChildProcess>();
    ASSERT_TRUE(controller->start({ferry_bin(), "controller", "--kubeconfig", sim.kubeconfig(), "--namespace", "ferry",
                                   "--data-dir", dir.path() + "/data", "--listen", "127.0.0.1:0", "--resync-seconds",
                                   "2", "--resync-jitter-seconds", "0", "--health-poll-ms", "100", "--wave-delay-ms",
                                   "0", "--kube-qps", "0"},
                                  {{"HOME", dir.path()}}));
    ASSERT_TRUE(controller->wait_for_output("ferry controller ready", 60s)) << controller->output();
  }

  std::string app_field(const std::string& name, const std::string& jsonpath) {
    return sim.kubectl({"get", "applications.ferry.dev", name, "-n", "ferry", "-o", "jsonpath=" + jsonpath}).out;
  }

  // Polls until the app's sync and health read as wanted; the loop only bounds a hang.
  bool wait_for(const std::string& name, const std::string& sync, const std::string& health, int seconds = 90) {
    for (int i = 0; i < seconds * 5; ++i) {
      if (app_field(name, "{.status.sync.status}/{.status.health.status}") == sync + "/" + health) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  bool exists(const std::string& resource, const std::string& name, const std::string& ns = "default") {
    return sim.kubectl({"get", resource, name, "-n", ns, "-o", "name"}).exit_code == 0;
  }

  std::string debug(const std::string& name) {
    return sim.kubectl({"get", "applications.ferry.dev", name, "-n", "ferry", "-o", "yaml"}).out + "\n--- controller:\n" +
           (controller ? controller->output() : "");
  }

  SimProcess sim{true, 100};
  TempDir dir;
  std::unique_ptr<UpstreamRepo> upstream;
  std::unique_ptr<ChildProcess> controller;
};

}  // namespace ferry::testing
