// Rollback through the Controller (in process) against the simulator: exactly the stored
// manifests come back, even after the commit is gone from git, and auto-sync waits for a new
// revision instead of undoing the rollback.
#include <gtest/gtest.h>

#include <thread>

#include "controller/controller.h"
#include "kube/client/kubeconfig.h"
#include "tests/support/git_server.h"
#include "tests/support/sim_fixture.h"

namespace ferry::testing {
namespace {

using namespace std::chrono_literals;

std::string config_map(const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  version: " + value + "\n";
}

class RollbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim.ok()) << sim.error();
    ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ferry\n").exit_code, 0);
    upstream = std::make_unique<UpstreamRepo>(dir.path(), "config");
    auto config = kube::load_kubeconfig({sim.kubeconfig()});
    ASSERT_TRUE(config.ok());
    kube::ClientOptions client_options;
    client_options.qps = 0;
    auto client = kube::Client::connect(*config, client_options);
    ASSERT_TRUE(client.ok());
    auto db = store::Store::open(dir.path() + "/ferry.db");
    ASSERT_TRUE(db.ok());
    store = std::move(*db);
    controller::ControllerOptions options;
    options.namespace_ = "ferry";
    options.data_dir = dir.path() + "/data";
    options.resync = 1s;
    options.resync_jitter = 0ms;
    options.poll_interval = 50ms;
    options.wave_delay = 0ms;
    options.repo_refresh_interval = 0ms;
    ctl = std::make_unique<controller::Controller>(*client, store, options);
    ASSERT_TRUE(ctl->start().ok());
  }

  void TearDown() override {
    if (ctl) ctl->stop();
  }

  std::string live_version() {
    return sim.kubectl({"get", "configmap", "settings", "-n", "default", "-o", "jsonpath={.data.version}"}).out;
  }

  bool wait_for_version(const std::string& want) {
    for (int i = 0; i < 300; ++i) {
      if (live_version() == want) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // The history ID of the newest succeeded sync of revision `sha`.
  int64_t history_of(const std::string& sha) {
    for (int i = 0; i < 100; ++i) {
      auto ops = store->list_operations("ferry/app");
      if (ops.ok()) {
        for (const auto& op : *ops) {
          if (op.revision == sha && op.phase == store::OperationPhase::kSucceeded && op.kind == "sync") return op.id;
        }
      }
      std::this_thread::sleep_for(100ms);
    }
    return 0;
  }

  SimProcess sim{true, 100};
  TempDir dir;
  std::unique_ptr<UpstreamRepo> upstream;
  std::shared_ptr<store::Store> store;
  std::unique_ptr<controller::Controller> ctl;
};

TEST_F(RollbackTest, RestoresTheStoredManifestsAndPinsUntilANewRevision) {
  std::string v1 = upstream->commit({{"app/cm.yaml", config_map("one")}});
  std::string app = "apiVersion: ferry.dev/v1alpha1\nkind: Application\nmetadata:\n  name: app\n  namespace: ferry\n"
                    "spec:\n  source:\n    repoURL: " + upstream->file_url() + "\n    targetRevision: main\n    path: app\n"
                    "  destination:\n    server: https://kubernetes.default.svc\n    namespace: default\n"
                    "  syncPolicy:\n    automated: {prune: true}\n";
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, app).exit_code, 0);
  ASSERT_TRUE(wait_for_version("one"));
  int64_t first = history_of(v1);
  ASSERT_GT(first, 0);

  // v2 is followed, then its commit is rewritten away (a force-push): git no longer has v1's
  // successor, and v1 stays only in the ledger.
  upstream->commit({{"app/cm.yaml", config_map("two")}});
  ASSERT_TRUE(wait_for_version("two"));
  std::string rewritten = upstream->rewrite_last_commit({{"app/cm.yaml", config_map("three")}});
  ASSERT_TRUE(wait_for_version("three"));

  auto rolled = ctl->rollback("app", first, /*prune=*/false, "alice");
  ASSERT_TRUE(rolled.ok()) << rolled.status().to_string();
  EXPECT_GT(*rolled, first);
  EXPECT_EQ(live_version(), "one");
  // Auto-sync would put "three" back at once; it waits for a newer revision instead.
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(live_version(), "one");
  auto conditions = sim.kubectl({"get", "applications.ferry.dev", "app", "-n", "ferry", "-o",
                                 "jsonpath={.status.conditions[*].type}"});
  EXPECT_NE(conditions.out.find("RollbackPinned"), std::string::npos) << conditions.out;
  auto op = store->get_operation(*rolled);
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(op->kind, "rollback");
  EXPECT_EQ(op->rollback_of, first);
  EXPECT_EQ(op->initiated_by, "alice");

  // A new commit releases the pin.
  upstream->commit({{"app/cm.yaml", config_map("four")}});
  EXPECT_TRUE(wait_for_version("four"));

  // Unknown IDs are clear errors.
  EXPECT_TRUE(ctl->rollback("app", 9999, false, "alice").status().is(Reason::kNotFound));
  EXPECT_TRUE(ctl->rollback("nope", first, false, "alice").status().is(Reason::kNotFound));
}

}  // namespace
}  // namespace ferry::testing
