// The `ferry` CLI against a real `ferry controller` (its REST API, docs/api.md) on the
// simulator, with a real git repository — the journey a user takes: log in, create an app, sync
// it, see it healthy, change git, diff, look at the history, roll back, mint a CI token.
#include <nlohmann/json.hpp>

#include <set>
#include <thread>

#include "tests/integration/cli/cli_fixture.h"

namespace ferry::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr const char* kNamespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ferry\n";
constexpr const char* kAdminPassword = "correct horse battery staple";

std::string config_map(const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  k: " + value + "\n";
}

constexpr const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
)";

class CliServerTest : public CliTest {
 protected:
  // How long the simulator takes to make workloads ready.
  virtual int ready_delay_ms() const { return 100; }
  // More flags for `ferry controller`.
  virtual std::vector<std::string> controller_args() { return {}; }

  void SetUp() override {
    sim = std::make_unique<SimProcess>(true, ready_delay_ms());
    ASSERT_TRUE(sim->ok()) << sim->error();
    ASSERT_EQ(sim->kubectl({"apply", "-f", "-"}, kNamespace).exit_code, 0);
    upstream = std::make_unique<UpstreamRepo>(dir.path(), "config");
    upstream->commit({{"apps/web/cm.yaml", config_map("v1")}, {"apps/web/deploy.yaml", kDeployment}});
    std::string password_file = dir.write("admin-password", std::string(kAdminPassword) + "\n");
    std::string settings = dir.write("settings.yaml", "accounts.ci: apiKey\npolicy.default: role:readonly\n");
    controller = std::make_unique<ChildProcess>();
    std::vector<std::string> argv = {ferry_bin(), "controller", "--kubeconfig", sim->kubeconfig(), "--namespace", "ferry",
                                     "--data-dir", dir.path() + "/data", "--listen", "127.0.0.1:0",
                                     "--admin-password-file", password_file, "--settings", settings,
                                     "--resync-seconds", "2", "--resync-jitter-seconds", "0", "--health-poll-ms", "100",
                                     "--wave-delay-ms", "0", "--kube-qps", "0"};
    for (const auto& arg : controller_args()) argv.push_back(arg);
    ASSERT_TRUE(controller->start(argv, {{"HOME", dir.path()}}));
    ASSERT_TRUE(controller->wait_for_output("ferry controller ready", 60s)) << controller->output();
    std::smatch m;
    std::string out = controller->output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(127\.0\.0\.1:(\d+))"))) << out;
    server = "127.0.0.1:" + std::string(m[1]);
  }

  void login() {
    auto r = ferry({"login", server, "--username", "admin"}, {}, std::string(kAdminPassword) + "\n");
    ASSERT_EQ(r.exit_code, 0) << show(r) << "\n--- controller:\n" << controller->output();
  }

  std::string live_value() {
    return sim->kubectl({"get", "configmap", "web-config", "-n", "default", "-o", "jsonpath={.data.k}"}).out;
  }

  void create_app(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"app", "create", "web", "--repo", upstream->file_url(), "--path", "apps/web",
                                     "--revision", "main", "--dest-server", "https://kubernetes.default.svc",
                                     "--dest-namespace", "default"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = ferry(args);
    ASSERT_EQ(r.exit_code, 0) << show(r);
    EXPECT_EQ(r.out, "application 'web' created\n");
  }

  std::string debug() {
    return sim->kubectl({"get", "applications.ferry.dev", "-n", "ferry", "-o", "yaml"}).out + "\n--- controller:\n" +
           controller->output();
  }

  std::unique_ptr<SimProcess> sim;
  TempDir dir;
  std::unique_ptr<UpstreamRepo> upstream;
  std::unique_ptr<ChildProcess> controller;
  std::string server;
};

TEST_F(CliServerTest, LoginKeepsAPrivateConfigAndNeverPrintsTheToken) {
  // No scheme: HTTPS is tried first; the controller speaks plain HTTP, so the CLI falls back.
  auto r = ferry({"login", server, "--username", "admin"}, {}, std::string(kAdminPassword) + "\n");
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(r.out, "Logged in as admin\n");
  EXPECT_EQ(mode_of(config_file()), 0600u);
  EXPECT_EQ(mode_of(home.path() + "/xdg/ferry"), 0700u);
  std::string config = read_file(config_file());
  EXPECT_NE(config.find("server: http://" + server), std::string::npos) << config;
  std::smatch token;
  ASSERT_TRUE(std::regex_search(config, token, std::regex(R"(token: (\S+))"))) << config;
  EXPECT_EQ(r.out.find(token[1].str()), std::string::npos);
  EXPECT_EQ(r.err.find(token[1].str()), std::string::npos);
  EXPECT_EQ(config.find(kAdminPassword), std::string::npos);

  auto version = ferry({"version"});
  ASSERT_EQ(version.exit_code, 0) << show(version);
  EXPECT_EQ(version.out.substr(0, version.out.find('\n')), "ferry 0.1.0");
  EXPECT_NE(version.out.find("ferry-server: "), std::string::npos) << version.out;

  auto wrong = ferry({"login", "http://" + server, "--username", "admin", "--password", "nope"});
  EXPECT_EQ(wrong.exit_code, 1) << show(wrong);
  EXPECT_FALSE(wrong.err.empty());

  auto logout = ferry({"logout"});
  ASSERT_EQ(logout.exit_code, 0) << show(logout);
  EXPECT_EQ(read_file(config_file()).find(token[1].str()), std::string::npos);
  // The session was revoked on the server too.
  auto revoked = ferry({"app", "list", "--auth-token", token[1].str(), "--server", "http://" + server});
  EXPECT_EQ(revoked.exit_code, 1) << show(revoked);
  auto after = ferry({"app", "list"});
  EXPECT_EQ(after.exit_code, 1) << show(after);
}

TEST_F(CliServerTest, CreateSyncDiffHistoryRollbackAndATokenForCi) {
  login();
  create_app();

  auto list = ferry({"app", "list"});
  ASSERT_EQ(list.exit_code, 0) << show(list);
  EXPECT_EQ(list.out.rfind("NAME  CLUSTER", 0), 0u) << list.out;
  EXPECT_NE(list.out.find("\nweb "), std::string::npos) << list.out;
  auto list_json = ferry({"app", "list", "-o", "json"});
  ASSERT_EQ(list_json.exit_code, 0) << show(list_json);
  Json apps = Json::parse(list_json.out);
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(apps[0]["metadata"]["name"], "web");
  EXPECT_EQ(apps[0]["spec"]["source"]["path"], "apps/web");

  auto sync = ferry({"app", "sync", "web", "--timeout", "120"});
  ASSERT_EQ(sync.exit_code, 0) << show(sync) << debug();
  EXPECT_NE(sync.out.find("Phase:              Succeeded"), std::string::npos) << sync.out;
  EXPECT_NE(sync.out.find("web-config"), std::string::npos) << sync.out;
  EXPECT_EQ(sync.out.find('\r'), std::string::npos);  // no spinner when stdout is not a terminal
  EXPECT_EQ(live_value(), "v1");
  std::string first_revision = upstream->head();

  auto wait = ferry({"app", "wait", "web", "--sync", "--health", "--timeout", "120"});
  ASSERT_EQ(wait.exit_code, 0) << show(wait) << debug();
  auto get = ferry({"app", "get", "web"});
  ASSERT_EQ(get.exit_code, 0) << show(get);
  EXPECT_NE(get.out.find("Sync Status:        Synced"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find("Health Status:      Healthy"), std::string::npos) << get.out;
  auto get_yaml = ferry({"app", "get", "web", "-o", "yaml"});
  ASSERT_EQ(get_yaml.exit_code, 0) << show(get_yaml);
  EXPECT_NE(get_yaml.out.find("kind: Application"), std::string::npos);

  auto same = ferry({"app", "diff", "web"});
  EXPECT_EQ(same.exit_code, 0) << show(same);
  EXPECT_EQ(same.out, "");

  upstream->commit({{"apps/web/cm.yaml", config_map("v2")}});
  auto differs = ferry({"app", "diff", "web", "--refresh"});
  EXPECT_EQ(differs.exit_code, 1) << show(differs) << debug();
  EXPECT_NE(differs.out.find("===== /ConfigMap default/web-config ======"), std::string::npos) << differs.out;
  EXPECT_NE(differs.out.find("v2"), std::string::npos) << differs.out;
  auto quiet = ferry({"app", "diff", "web", "--exit-code=false"});
  EXPECT_EQ(quiet.exit_code, 0) << show(quiet);

  auto plan = ferry({"app", "plan", "web"});
  EXPECT_EQ(plan.exit_code, 0) << show(plan);
  EXPECT_NE(plan.out.find("web-config"), std::string::npos) << plan.out;

  auto second = ferry({"app", "sync", "web", "--timeout", "120"});
  ASSERT_EQ(second.exit_code, 0) << show(second) << debug();
  EXPECT_EQ(live_value(), "v2");

  auto history = ferry({"app", "history", "web"});
  ASSERT_EQ(history.exit_code, 0) << show(history);
  EXPECT_EQ(history.out.rfind("ID  DATE", 0), 0u) << history.out;
  EXPECT_NE(history.out.find(first_revision), std::string::npos) << history.out;
  EXPECT_NE(history.out.find(upstream->head()), std::string::npos) << history.out;
  auto history_json = ferry({"app", "history", "web", "-o", "json"});
  ASSERT_EQ(history_json.exit_code, 0) << show(history_json);
  Json entries = Json::parse(history_json.out);
  ASSERT_GE(entries.size(), 2u);
  EXPECT_EQ(entries[0]["revision"], upstream->head());  // newest first

  // No ID: back to the previous successful deployment.
  auto rollback = ferry({"app", "rollback", "web", "--timeout", "120"});
  ASSERT_EQ(rollback.exit_code, 0) << show(rollback) << debug();
  EXPECT_NE(rollback.out.find("Phase:              Succeeded"), std::string::npos) << rollback.out;
  EXPECT_EQ(live_value(), "v1");

  auto tree = ferry({"app", "tree", "web"});
  ASSERT_EQ(tree.exit_code, 0) << show(tree);
  EXPECT_NE(tree.out.find("ConfigMap/web-config"), std::string::npos) << tree.out;
  EXPECT_NE(tree.out.find("Deployment/web"), std::string::npos) << tree.out;

  // A token for CI: the last line is the token, usable through FERRY_TOKEN.
  auto token = ferry({"account", "generate-token", "--account", "ci", "--expires-in", "24h", "--id", "deploy"});
  ASSERT_EQ(token.exit_code, 0) << show(token);
  std::string out = token.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  std::string last = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  ASSERT_FALSE(last.empty());
  auto as_ci = ferry({"app", "list", "-o", "name"}, {{"FERRY_TOKEN", last}});
  ASSERT_EQ(as_ci.exit_code, 0) << show(as_ci);
  EXPECT_EQ(as_ci.out, "web\n");
  auto can_sync = ferry({"account", "can-i", "sync", "applications", "default/web"}, {{"FERRY_TOKEN", last}});
  EXPECT_EQ(can_sync.out, "no\n") << show(can_sync);  // read-only by default
  EXPECT_EQ(can_sync.exit_code, 1);
  auto admin_can = ferry({"account", "can-i", "sync", "applications", "default/web"});
  EXPECT_EQ(admin_can.out, "yes\n") << show(admin_can);
  EXPECT_EQ(admin_can.exit_code, 0);

  auto accounts = ferry({"account", "get", "--account", "ci"});
  ASSERT_EQ(accounts.exit_code, 0) << show(accounts);
  EXPECT_NE(accounts.out.find("deploy"), std::string::npos) << accounts.out;
  EXPECT_EQ(accounts.out.find(last), std::string::npos);  // listing tokens never shows one
  auto list_accounts = ferry({"account", "list", "-o", "json"});
  ASSERT_EQ(list_accounts.exit_code, 0) << show(list_accounts);
  EXPECT_TRUE(Json::parse(list_accounts.out).is_array());

  auto revoke = ferry({"account", "delete-token", "--account", "ci", "deploy"});
  ASSERT_EQ(revoke.exit_code, 0) << show(revoke);
  auto revoked = ferry({"app", "list"}, {{"FERRY_TOKEN", last}});
  EXPECT_EQ(revoked.exit_code, 1) << show(revoked);

  // A bad token: the server's message, a hint, a non-zero exit.
  auto bad = ferry({"app", "list"}, {{"FERRY_TOKEN", "ferry_not-a-real-token"}});
  EXPECT_EQ(bad.exit_code, 1) << show(bad);
  EXPECT_NE(bad.err.find("ferry app list: "), std::string::npos) << show(bad);
  EXPECT_NE(bad.err.find("ferry login"), std::string::npos) << show(bad);
  EXPECT_TRUE(bad.out.empty());

  auto deleted = ferry({"app", "delete", "web", "--yes", "--wait", "--timeout", "120"});
  ASSERT_EQ(deleted.exit_code, 0) << show(deleted) << debug();
  auto gone = ferry({"app", "get", "web"});
  EXPECT_EQ(gone.exit_code, 1) << show(gone);
  EXPECT_NE(gone.err.find("not found"), std::string::npos) << show(gone);
}

TEST_F(CliServerTest, SetChangesOnlyWhatIsGivenAndSyncFailuresExitNonZero) {
  login();
  create_app({"--label", "team=web", "--sync-option", "CreateNamespace=true"});
  auto set = ferry({"app", "set", "web", "--revision", "HEAD"});
  ASSERT_EQ(set.exit_code, 0) << show(set);
  auto got = ferry({"app", "get", "web", "-o", "json"});
  ASSERT_EQ(got.exit_code, 0) << show(got);
  Json app = Json::parse(got.out);
  EXPECT_EQ(app["spec"]["source"]["targetRevision"], "HEAD");
  EXPECT_EQ(app["spec"]["source"]["path"], "apps/web");
  EXPECT_EQ(app["metadata"]["labels"]["team"], "web");
  EXPECT_EQ(app["spec"]["syncPolicy"]["syncOptions"][0], "CreateNamespace=true");

  auto exists = ferry({"app", "create", "web", "--repo", upstream->file_url(), "--path", "apps/web",
                       "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", "default"});
  EXPECT_EQ(exists.exit_code, 1) << show(exists);
  EXPECT_NE(exists.err.find("exists"), std::string::npos) << show(exists);

  // A kind the cluster does not know cannot be applied: the sync fails and says so.
  upstream->commit({{"apps/web/bad.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"}});
  auto refreshed = ferry({"app", "get", "web", "--refresh"});
  ASSERT_EQ(refreshed.exit_code, 0) << show(refreshed);
  auto sync = ferry({"app", "sync", "web", "--timeout", "120"});
  EXPECT_NE(sync.exit_code, 0) << show(sync) << debug();
  EXPECT_FALSE(sync.err.empty()) << show(sync);

  // Only one resource, in Argo's GROUP:KIND:NAME form.
  auto one = ferry({"app", "sync", "web", "--resource", ":ConfigMap:web-config", "--timeout", "120", "-o", "json"});
  ASSERT_EQ(one.exit_code, 0) << show(one) << debug();
  Json result = Json::parse(one.out);
  EXPECT_EQ(result["phase"], "Succeeded");
  std::set<std::string> touched;
  for (const Json& r : result["resources"]) touched.insert(r["kind"].get<std::string>() + "/" + r["name"].get<std::string>());
  EXPECT_TRUE(touched.count("ConfigMap/web-config")) << result.dump(2);
  EXPECT_FALSE(touched.count("Deployment/web")) << result.dump(2);
  EXPECT_FALSE(touched.count("Widget/w")) << result.dump(2);
  EXPECT_EQ(live_value(), "v1");
}

// A simulator whose workloads take long to become ready: syncs that wait for health are slow.
class CliSlowServerTest : public CliServerTest {
 protected:
  int ready_delay_ms() const override { return 15000; }
};

TEST_F(CliSlowServerTest, ASyncThatOutlivesItsTimeoutExitsNonZeroAndWaitSaysWhatIsMissing) {
  // Wave 1 waits for wave 0's Deployment to become healthy.
  upstream->commit({{"apps/slow/deploy.yaml", kDeployment},
                    {"apps/slow/late.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n  annotations:\n"
                                            "    ferry.dev/sync-wave: \"1\"\ndata:\n  k: v\n"}});
  login();
  auto created = ferry({"app", "create", "slow", "--repo", upstream->file_url(), "--path", "apps/slow", "--dest-server",
                        "https://kubernetes.default.svc", "--dest-namespace", "default"});
  ASSERT_EQ(created.exit_code, 0) << show(created);
  auto started = std::chrono::steady_clock::now();
  auto sync = ferry({"app", "sync", "slow", "--timeout", "3"});
  EXPECT_EQ(sync.exit_code, 1) << show(sync) << debug();
  EXPECT_NE(sync.err.find("timed out after 3s"), std::string::npos) << show(sync);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 12s);

  auto wait = ferry({"app", "wait", "slow", "--operation", "--timeout", "2"});
  EXPECT_EQ(wait.exit_code, 1) << show(wait);
  EXPECT_NE(wait.err.find("timed out after 2s waiting for 'slow': operation "), std::string::npos) << show(wait);

  // Without a timeout the sync is followed to its end.
  auto done = ferry({"app", "wait", "slow", "--operation", "--timeout", "120"});
  EXPECT_EQ(done.exit_code, 0) << show(done) << debug();
}

TEST_F(CliServerTest, ADegradedWaveFailsTheSync) {
  // The simulator never makes an image containing "fail" ready: the Deployment turns Degraded,
  // and the health gate before wave 1 fails the sync.
  std::string stuck = kDeployment;
  stuck.replace(stuck.find("nginx:1.27"), 10, "nginx:fail");
  upstream->commit({{"apps/stuck/deploy.yaml", stuck},
                    {"apps/stuck/late.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n  annotations:\n"
                                             "    ferry.dev/sync-wave: \"1\"\ndata:\n  k: v\n"}});
  login();
  auto created = ferry({"app", "create", "stuck", "--repo", upstream->file_url(), "--path", "apps/stuck", "--dest-server",
                        "https://kubernetes.default.svc", "--dest-namespace", "default"});
  ASSERT_EQ(created.exit_code, 0) << show(created);
  auto sync = ferry({"app", "sync", "stuck", "--timeout", "120"});
  EXPECT_EQ(sync.exit_code, 1) << show(sync) << debug();
  EXPECT_NE(sync.out.find("Phase:              Failed"), std::string::npos) << show(sync);
  EXPECT_NE(sync.err.find("Degraded"), std::string::npos) << show(sync);
}

}  // namespace
}  // namespace ferry::testing

namespace ferry::testing {
namespace {

// The controller serving HTTPS with a certificate the CLI does not know.
class CliTlsServerTest : public CliServerTest {
 protected:
  std::vector<std::string> controller_args() override {
    auto made = run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                             "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                             dir.path() + "/tls.key", "-out", dir.path() + "/tls.crt"});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    return {"--tls-cert", dir.path() + "/tls.crt", "--tls-key", dir.path() + "/tls.key"};
  }
};

TEST_F(CliTlsServerTest, TheApiOverHttpsIsVerifiedByTheCliAndItsSessionCookieIsSecure) {
  EXPECT_NE(controller->output().find("ready on https://"), std::string::npos) << controller->output();
  auto strict = ferry({"login", server, "--username", "admin", "--password", kAdminPassword});
  EXPECT_EQ(strict.exit_code, 1) << show(strict);
  EXPECT_NE(strict.err.find("cannot verify the TLS certificate"), std::string::npos) << show(strict);

  // Trusting the certificate (OpenSSL's SSL_CERT_FILE) is enough; no --insecure needed.
  auto trusted = ferry({"login", server, "--username", "admin", "--password", kAdminPassword},
                       {{"SSL_CERT_FILE", dir.path() + "/tls.crt"}});
  ASSERT_EQ(trusted.exit_code, 0) << show(trusted) << "\n--- controller:\n" << controller->output();
  const std::map<std::string, std::string> trust = {{"SSL_CERT_FILE", dir.path() + "/tls.crt"}};
  auto created = ferry({"app", "create", "web", "--repo", upstream->file_url(), "--path", "apps/web", "--dest-server",
                        "https://kubernetes.default.svc", "--dest-namespace", "default"},
                       trust);
  ASSERT_EQ(created.exit_code, 0) << show(created);
  auto list = ferry({"app", "list", "-o", "json"}, trust);
  ASSERT_EQ(list.exit_code, 0) << show(list);
  EXPECT_NE(list.out.find("\"web\""), std::string::npos) << show(list);

  // Plain HTTP to the HTTPS port is refused, not answered.
  auto plain = run_command({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://" + server + "/api/version"});
  EXPECT_NE(plain.out, "200") << plain.out;
  // The UI's session cookie over HTTPS: Secure, HttpOnly, SameSite=Strict.
  auto session = run_command({"curl", "-sk", "-D", "-", "-o", "/dev/null", "-H", "Content-Type: application/json", "-d",
                              std::string(R"({"username":"admin","password":")") + kAdminPassword + "\"}",
                              "https://" + server + "/api/v1/session"});
  size_t at = session.out.find("et-Cookie:");
  ASSERT_NE(at, std::string::npos) << session.out;
  std::string cookie = session.out.substr(at, session.out.find('\n', at) - at);
  EXPECT_NE(cookie.find("Secure"), std::string::npos) << session.out;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << session.out;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << session.out;
}

}  // namespace
}  // namespace ferry::testing
