// `ferry controller` as the Deployment of examples/deploy runs it, on this machine: the
// service-account folder a pod gets (token, ca.crt, namespace) is faked in a temp dir
// (FERRY_SERVICEACCOUNT_DIR stands in for /var/run/secrets/kubernetes.io/serviceaccount),
// KUBERNETES_SERVICE_HOST/PORT point at the simulator's HTTPS port, the settings folder holds the
// keys of the installed ConfigMap and Secret as their projected volume would, and the process gets
// the Deployment's own args. It must sync an Application from a git server on loopback, honour
// the settings (a CI account that may sync), and stop cleanly on SIGTERM.
#include <sys/wait.h>

#include <regex>
#include <thread>

#include "apis/types/base64.h"
#include "tests/integration/deploy/deploy_fixture.h"
#include "tests/support/git_server.h"
#include "tests/support/http_client.h"

namespace ferry::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDeployment =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n"
    "  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx:1.27}]}\n";

// An Application in Ferry's namespace; automated or synced by hand (or by CI).
std::string application(const std::string& name, const std::string& repo, bool automated) {
  return "apiVersion: ferry.dev/v1alpha1\nkind: Application\nmetadata:\n  name: " + name +
         "\n  namespace: ferry\nspec:\n  project: default\n  source:\n    repoURL: " + repo +
         "\n    targetRevision: main\n    path: apps/" + name +
         "\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n  syncPolicy:\n" +
         (automated ? "    automated: {prune: true, selfHeal: true}\n" : "") + "    syncOptions: [CreateNamespace=true]\n";
}

std::string config_map(const std::string& name) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  k: v1\n";
}

// Waits for a child to exit without reaping it (WNOWAIT), so ChildProcess::wait() still gets the
// status; false when it is still running after `timeout`.
bool exited_within(const ChildProcess& child, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(child.pid()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

class InClusterController : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim.ok()) << sim.error();
    CommandResult installed = sim.kubectl({"apply", "-k", deploy_dir()});
    ASSERT_EQ(installed.exit_code, 0) << show(installed);
    // A webhook secret added the way the README says, then the install applied again (an
    // upgrade): the secret stays.
    CommandResult secret = sim.kubectl({"patch", "secret", "ferry-secret", "-n", "ferry", "-p",
                                        R"({"stringData": {"webhook.github.secret": "hook-secret"}})"});
    ASSERT_EQ(secret.exit_code, 0) << show(secret);
    CommandResult again = sim.kubectl({"apply", "-k", deploy_dir()});
    ASSERT_EQ(again.exit_code, 0) << show(again);
    deployment = get_json(sim, {"deployment", "ferry", "-n", "ferry"});
    ASSERT_TRUE(deployment.is_object());
    write_service_account();
    write_settings();
  }

  // token, ca.crt and namespace as the kubelet mounts them; the CA is the one the simulator's
  // kubeconfig trusts (its certificate names 127.0.0.1 and kubernetes.default.svc).
  void write_service_account() {
    std::smatch m;
    std::string kubeconfig = read_file(sim.kubeconfig());
    ASSERT_TRUE(std::regex_search(kubeconfig, m, std::regex(R"(certificate-authority-data:\s*(\S+))"))) << kubeconfig;
    std::string ca;
    ASSERT_TRUE(base64_decode(m[1].str(), ca));
    ASSERT_NE(sim.token(), "");
    dir.write("serviceaccount/token", sim.token());
    dir.write("serviceaccount/ca.crt", ca);
    dir.write("serviceaccount/namespace", "ferry");
  }

  // The projected settings volume: one file per key of ferry-cm and ferry-secret, read back from
  // the cluster.
  void write_settings() {
    Json cm = get_json(sim, {"configmap", "ferry-cm", "-n", "ferry"});
    ASSERT_TRUE(cm.contains("data")) << cm.dump(2);
    for (const auto& [key, value] : cm["data"].items()) dir.write("settings/" + key, value.get<std::string>());
    Json secret = get_json(sim, {"secret", "ferry-secret", "-n", "ferry"});
    ASSERT_TRUE(secret.contains("data")) << secret.dump(2);
    for (const auto& [key, value] : secret["data"].items()) {
      std::string decoded;
      ASSERT_TRUE(base64_decode(value.get<std::string>(), decoded)) << key;
      dir.write("settings/" + key, decoded);
    }
  }

  // The Deployment's args with the paths of its volumes and its listen port moved onto this
  // machine (each must be there to be moved), plus short test periods.
  std::vector<std::string> controller_argv() {
    Json container = only_container(deployment);
    std::vector<std::string> argv = {ferry_bin()};
    std::map<std::string, std::string> moved = {
        {"--data-dir=" + mount_path(deployment, "data"), "--data-dir=" + dir.file("data")},
        {"--settings=" + mount_path(deployment, "settings"), "--settings=" + dir.file("settings")},
        {"--listen=0.0.0.0:" + std::to_string(container.at(Json::json_pointer("/ports/0/containerPort")).get<int>()),
         "--listen=127.0.0.1:0"},
        {"--namespace=$(POD_NAMESPACE)", "--namespace=ferry"}};
    size_t replaced = 0;
    for (const Json& arg : container.at("args")) {
      auto it = moved.find(arg.get<std::string>());
      replaced += it != moved.end() ? 1 : 0;
      argv.push_back(it != moved.end() ? it->second : arg.get<std::string>());
    }
    EXPECT_EQ(replaced, moved.size()) << container.at("args").dump();
    argv.insert(argv.end(), {"--resync-seconds=2", "--resync-jitter-seconds=0", "--health-poll-ms=100",
                             "--wave-delay-ms=0", "--kube-qps=0"});
    return argv;
  }

  // What a pod's environment says about the API server; no kubeconfig anywhere.
  std::map<std::string, std::string> pod_env(const std::string& service_account_dir) {
    std::string port = sim.url().substr(sim.url().rfind(':') + 1);
    return {{"KUBERNETES_SERVICE_HOST", "127.0.0.1"}, {"KUBERNETES_SERVICE_PORT", port},
            {"FERRY_SERVICEACCOUNT_DIR", service_account_dir}, {"KUBECONFIG", ""}, {"HOME", dir.file("home")}};
  }

  void start_controller() {
    std::vector<std::string> argv = controller_argv();
    ASSERT_EQ(argv.at(1), "controller");
    controller = std::make_unique<ChildProcess>();
    ASSERT_TRUE(controller->start(argv, pod_env(dir.file("serviceaccount"))));
    ASSERT_TRUE(controller->wait_for_output("ferry controller ready", 60s)) << controller->output();
    std::smatch m;
    std::string out = controller->output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(ready on http://(127\.0\.0\.1:\d+))"))) << out;
    server = m[1];
  }

  std::string app_field(const std::string& name, const std::string& jsonpath) {
    return sim.kubectl({"get", "applications.ferry.dev", name, "-n", "ferry", "-o", "jsonpath=" + jsonpath}).out;
  }

  bool wait_for_app(const std::string& name, const std::string& want) {
    for (int i = 0; i < 450; ++i) {  // bounds a hang only
      if (app_field(name, "{.status.sync.status}/{.status.health.status}") == want) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  std::string live_value(const std::string& config_map) {
    return sim.kubectl({"get", "configmap", config_map, "-n", "web", "-o", "jsonpath={.data.k}"}).out;
  }

  CommandResult ferry_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {ferry_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> all = {{"HOME", dir.file("home")}, {"XDG_CONFIG_HOME", dir.file("home/xdg")},
                                              {"FERRY_SERVER", ""}, {"FERRY_TOKEN", ""}};
    for (const auto& [k, v] : env) all[k] = v;
    return run_command(argv, all, "", 240s);
  }

  std::string debug() {
    return sim.kubectl({"get", "applications.ferry.dev", "-n", "ferry", "-o", "yaml"}).out + "\n--- controller:\n" +
           (controller ? controller->output() : "");
  }

  SimProcess sim{true, 100};
  TempDir dir;
  Json deployment;
  std::unique_ptr<ChildProcess> controller;
  std::string server;
};

TEST_F(InClusterController, SyncsFromGitWithTheServiceAccountAndHonoursTheMountedSettings) {
  UpstreamRepo upstream(dir.path(), "config");
  upstream.commit({{"apps/web/cm.yaml", config_map("web-config")},
                   {"apps/web/deploy.yaml", kDeployment},
                   {"apps/ci/cm.yaml", config_map("ci-config")}});
  GitDaemon daemon(dir.path() + "/srv");
  ASSERT_TRUE(daemon.start());
  start_controller();

  HttpReply ready;
  for (int i = 0; i < 300 && ready.status != 200; ++i) {
    ready = http_request("GET", "http://" + server + "/readyz");
    if (ready.status != 200) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(ready.status, 200) << ready.body;

  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, application("web", daemon.url("config"), true)).exit_code, 0);
  ASSERT_TRUE(wait_for_app("web", "Synced/Healthy")) << debug();
  EXPECT_EQ(app_field("web", "{.status.sync.revision}"), upstream.head());
  EXPECT_EQ(live_value("web-config"), "v1");
  EXPECT_EQ(sim.kubectl({"get", "deployment", "web", "-n", "web", "-o",
                         "jsonpath={.metadata.annotations.ferry\\.dev/tracking-id}"}).out,
            "web:apps/Deployment:web/web");

  // The mounted Secret's webhook secret is in force: an unsigned GitHub delivery is refused.
  HttpReply unsigned_ping = http_request("POST", "http://" + server + "/api/webhook", "{}",
                                         {{"Content-Type", "application/json"}, {"X-GitHub-Event", "ping"}});
  EXPECT_EQ(unsigned_ping.status, 401) << unsigned_ping.body;

  // The ConfigMap's CI account and policy: its API token may sync, as the README's CI step does.
  std::string password = read_file(dir.file("data/admin.password"));
  while (!password.empty() && password.back() == '\n') password.pop_back();
  ASSERT_FALSE(password.empty());
  CommandResult login = ferry_cli({"login", server, "--plaintext", "--username", "admin", "--password", password});
  ASSERT_EQ(login.exit_code, 0) << show(login);
  CommandResult token = ferry_cli({"account", "generate-token", "--account", "ci"});
  ASSERT_EQ(token.exit_code, 0) << show(token);
  std::string out = token.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  std::string ci_token = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  ASSERT_FALSE(ci_token.empty());

  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, application("ci", daemon.url("config"), false)).exit_code, 0);
  std::map<std::string, std::string> ci_env = {{"XDG_CONFIG_HOME", dir.file("ci-xdg")}, {"FERRY_SERVER", server},
                                               {"FERRY_TOKEN", ci_token}};
  CommandResult sync = ferry_cli({"app", "sync", "ci", "--plaintext", "--timeout", "120"}, ci_env);
  ASSERT_EQ(sync.exit_code, 0) << show(sync) << debug();
  EXPECT_EQ(live_value("ci-config"), "v1");
  CommandResult denied = ferry_cli({"app", "delete", "ci", "--yes", "--plaintext"}, ci_env);
  EXPECT_NE(denied.exit_code, 0) << show(denied);  // policy.csv grants get and sync only
  EXPECT_EQ(sim.kubectl({"get", "applications.ferry.dev", "ci", "-n", "ferry"}).exit_code, 0);
}

TEST_F(InClusterController, ExitsZeroAfterSigterm) {
  start_controller();
  controller->kill(SIGTERM);
  ASSERT_TRUE(exited_within(*controller, 60s)) << controller->output();
  int status = controller->wait();
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << "\n"
                                 << controller->output();
  EXPECT_EQ(WEXITSTATUS(status), 0) << controller->output();
}

TEST_F(InClusterController, WithoutATokenItSaysWhichFileIsMissing) {
  TempDir empty;
  CommandResult r = run_command(controller_argv(), pod_env(empty.path()), "", 60s);
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_NE(r.err.find("in-cluster config: cannot read " + empty.path() + "/token"), std::string::npos) << show(r);
}

}  // namespace
}  // namespace ferry::testing
