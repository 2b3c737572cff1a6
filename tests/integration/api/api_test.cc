// The REST API and the webhook of a real `ferry controller` process, over real HTTP: sessions and
// tokens, the RBAC matrix, bad input, and the CI flow — commit to a loopback git server, a signed
// GitHub-style push, the app synced to that commit, its history, and a rollback that auto-sync
// does not undo. kubectl against the simulator is the oracle for what reached the cluster.
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/support/git_server.h"
#include "tests/support/http_client.h"
#include "tests/support/sim_fixture.h"

namespace ferry::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr const char* kWebhookSecret = "It's a Secret to Everybody";
constexpr const char* kAdminPassword = "correct horse battery staple";

std::string config_map(const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  greeting: " + value + "\n";
}

std::string hmac_hex(const std::string& key, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

class ApiProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim.ok()) << sim.error();
    ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ferry\n").exit_code, 0);
    upstream = std::make_unique<UpstreamRepo>(dir.path(), "config");
    first_commit = upstream->commit({{"app/settings.yaml", config_map("hello")}}, "first");
    daemon = std::make_unique<GitDaemon>(dir.path() + "/srv");
    ASSERT_TRUE(daemon->start());
    repo_url = daemon->url("config");
    dir.write("admin.password", std::string(kAdminPassword) + "\n");
    dir.write("settings.yaml", std::string("accounts.ci: apiKey\naccounts.viewer: apiKey\n") +
                                   "webhook.github.secret: " + kWebhookSecret + "\n" +
                                   "policy.default: role:readonly\n"
                                   "policy.csv: |\n"
                                   "  p, role:ci, applications, sync, default/*, allow\n"
                                   "  p, role:ci, applications, get, default/*, allow\n"
                                   "  p, role:ci, applications, sync, default/locked, deny\n"
                                   "  g, ci, role:ci\n");
    controller = std::make_unique<ChildProcess>();
    ASSERT_TRUE(controller->start({ferry_bin(), "controller", "--kubeconfig", sim.kubeconfig(), "--namespace", "ferry",
                                   "--data-dir", dir.path() + "/data", "--listen", "127.0.0.1:0", "--settings",
                                   dir.file("settings.yaml"), "--admin-password-file", dir.file("admin.password"),
                                   "--resync-seconds", "60", "--resync-jitter-seconds", "0", "--health-poll-ms", "100",
                                   "--wave-delay-ms", "0", "--kube-qps", "0", "--log-format", "text"},
                                  {{"HOME", dir.path()}}));
    ASSERT_TRUE(controller->wait_for_output("ferry controller ready", 60s)) << controller->output();
    std::smatch m;
    std::string out = controller->output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex("ready on http://127\\.0\\.0\\.1:(\\d+)"))) << out;
    base = "http://127.0.0.1:" + m[1].str();
    admin = login("admin", kAdminPassword);
    ASSERT_FALSE(admin.empty());
  }

  std::string login(const std::string& user, const std::string& password) {
    auto r = http_request("POST", base + "/api/v1/session", Json{{"username", user}, {"password", password}}.dump(),
                          {{"Content-Type", "application/json"}});
    if (r.status != 200) return "";
    return Json::parse(r.body).value("token", "");
  }

  HttpReply call(const std::string& method, const std::string& path, const std::string& token,
                 const Json& body = nullptr) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"}};
    if (!token.empty()) headers.push_back({"Authorization", "Bearer " + token});
    return http_request(method, base + path, body.is_null() ? "" : body.dump(), headers);
  }

  std::string token_for(const std::string& account, int64_t expires_in = 0) {
    auto r = call("POST", "/api/v1/account/" + account + "/token", admin, {{"expiresIn", expires_in}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? Json::parse(r.body).value("token", "") : "";
  }

  Json app_spec(const std::string& name, bool automated) {
    Json spec = {{"project", "default"},
                 {"source", {{"repoURL", repo_url}, {"targetRevision", "main"}, {"path", "app"}}},
                 {"destination", {{"server", "https://kubernetes.default.svc"}, {"namespace", "default"}}}};
    if (automated) spec["syncPolicy"] = {{"automated", {{"prune", true}, {"selfHeal", true}}}};
    return {{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "Application"}, {"metadata", {{"name", name}}}, {"spec", spec}};
  }

  // Polls the API until the app reads as wanted; the loop bounds a hang, it asserts no timing.
  Json wait_app(const std::string& name, const std::function<bool(const Json&)>& done, int seconds = 90) {
    Json app;
    for (int i = 0; i < seconds * 5; ++i) {
      auto r = call("GET", "/api/v1/applications/" + name, admin);
      if (r.status == 200) {
        app = Json::parse(r.body);
        if (done(app)) return app;
      }
      std::this_thread::sleep_for(200ms);
    }
    ADD_FAILURE() << "app " << name << " never reached the wanted state; last: " << app.dump();
    return app;
  }

  std::string live_greeting() {
    return sim.kubectl({"get", "configmap", "settings", "-n", "default", "-o", "jsonpath={.data.greeting}"}).out;
  }

  HttpReply github_push(const std::string& before, const std::string& after, const std::string& secret) {
    Json payload = {{"ref", "refs/heads/main"},
                    {"before", before},
                    {"after", after},
                    {"repository",
                     {{"full_name", "org/config"},
                      {"clone_url", repo_url},
                      {"html_url", "http://127.0.0.1/org/config"},
                      {"default_branch", "main"}}},
                    {"commits", {{{"id", after}, {"added", Json::array()}, {"modified", {"app/settings.yaml"}},
                                  {"removed", Json::array()}}}}};
    std::string body = payload.dump();
    return http_request("POST", base + "/api/webhook", body,
                        {{"Content-Type", "application/json"},
                         {"X-GitHub-Event", "push"},
                         {"X-GitHub-Delivery", "1"},
                         {"X-Hub-Signature-256", "sha256=" + hmac_hex(secret, body)}});
  }

  TempDir dir;
  SimProcess sim{/*tls=*/true, /*ready_delay_ms=*/0};
  std::unique_ptr<UpstreamRepo> upstream;
  std::unique_ptr<GitDaemon> daemon;
  std::unique_ptr<ChildProcess> controller;
  std::string first_commit, repo_url, base, admin;
};

TEST_F(ApiProcess, SessionsTokensAndTheRbacMatrix) {
  EXPECT_EQ(login("admin", "wrong"), "");
  auto bad = http_request("POST", base + "/api/v1/session", R"({"username":"nobody","password":"x"})");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(Json::parse(bad.body)["message"], Json::parse(http_request("POST", base + "/api/v1/session",
                                                                        R"({"username":"admin","password":"x"})")
                                                               .body)["message"])
      << "one message whatever was wrong";

  auto me = call("GET", "/api/v1/session/userinfo", admin);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(Json::parse(me.body)["username"], "admin");

  ASSERT_EQ(call("POST", "/api/v1/applications", admin, app_spec("web", false)).status, 200);
  auto locked = app_spec("locked", false);
  ASSERT_EQ(call("POST", "/api/v1/applications", admin, locked).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/applications", admin, app_spec("web", false)).status, 409);

  std::string ci = token_for("ci");
  std::string viewer = token_for("viewer");
  ASSERT_FALSE(ci.empty());
  ASSERT_FALSE(viewer.empty());

  // The matrix: (who, method, path) → code.
  struct Case {
    std::string who, method, path;
    int code;
  };
  std::map<std::string, std::string> tokens = {{"admin", admin}, {"ci", ci}, {"viewer", viewer}, {"nobody", ""}};
  std::vector<Case> cases = {
      {"nobody", "GET", "/api/v1/applications", 401},
      {"viewer", "GET", "/api/v1/applications/web", 200},
      {"viewer", "POST", "/api/v1/applications/web/sync", 403},
      {"viewer", "DELETE", "/api/v1/applications/web", 403},
      {"ci", "POST", "/api/v1/applications/web/sync", 202},
      {"ci", "POST", "/api/v1/applications/locked/sync", 403},  // deny wins
      {"ci", "DELETE", "/api/v1/applications/web", 403},
      {"ci", "POST", "/api/v1/account/viewer/token", 403},
      {"admin", "GET", "/api/v1/applications/web/history", 200},
  };
  for (const auto& c : cases) {
    auto r = call(c.method, c.path, tokens[c.who], c.method == "POST" ? Json::object() : Json());
    EXPECT_EQ(r.status, c.code) << c.who << " " << c.method << " " << c.path << ": " << r.body;
  }
  auto can = call("GET", "/api/v1/account/can-i/applications/sync/default/web", viewer);
  EXPECT_EQ(Json::parse(can.body)["value"], "no");
  can = call("GET", "/api/v1/account/can-i/applications/sync/default/web", ci);
  EXPECT_EQ(Json::parse(can.body)["value"], "yes");

  // The list shows what the caller may get.
  auto listed = Json::parse(call("GET", "/api/v1/applications", viewer).body);
  EXPECT_EQ(listed["items"].size(), 2u);

  // Revocation: the token stops working at once.
  auto account = Json::parse(call("GET", "/api/v1/account/viewer", admin).body);
  ASSERT_EQ(account["tokens"].size(), 1u);
  std::string id = account["tokens"][0]["id"];
  EXPECT_EQ(call("DELETE", "/api/v1/account/viewer/token/" + id, admin).status, 200);
  auto revoked = call("GET", "/api/v1/applications", viewer);
  EXPECT_EQ(revoked.status, 401) << revoked.body;

  // Expiry: a token that lived one second is refused afterwards, saying why.
  std::string brief = token_for("viewer", 1);
  ASSERT_FALSE(brief.empty());
  std::this_thread::sleep_for(1500ms);
  auto expired = call("GET", "/api/v1/applications", brief);
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;

  // Logout ends the session.
  std::string session = login("admin", kAdminPassword);
  ASSERT_FALSE(session.empty());
  EXPECT_EQ(call("DELETE", "/api/v1/session", session).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/applications", session).status, 401);

  // No secret in any answer.
  auto all = call("GET", "/api/v1/applications", admin).body + call("GET", "/api/v1/account", admin).body;
  EXPECT_EQ(all.find(kAdminPassword), std::string::npos);
  EXPECT_EQ(all.find(kWebhookSecret), std::string::npos);
}

TEST_F(ApiProcess, BadInputGetsAClearFourHundredAndNothingBreaks) {
  auto r = http_request("POST", base + "/api/v1/applications", "{not json",
                        {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Json::parse(r.body).value("message", "").find("JSON"), std::string::npos) << r.body;

  r = call("GET", "/api/v1/applications/..%2F..%2Fetc%2Fpasswd", admin);
  EXPECT_EQ(r.status, 400) << r.body;
  r = call("GET", "/api/v1/applications/../../etc/passwd", admin);
  EXPECT_TRUE(r.status == 400 || r.status == 404) << r.status;
  r = call("POST", "/api/v1/applications", admin, app_spec("Bad_Name", false));
  EXPECT_EQ(r.status, 400);

  std::string big(3 << 20, 'x');
  r = http_request("POST", base + "/api/v1/applications", big, {{"Authorization", "Bearer " + admin}});
  EXPECT_EQ(r.status, 413);

  r = call("POST", "/api/v1/applications", admin, Json{{"metadata", {{"name", "nosource"}}}, {"spec", {{"project", 5}}}});
  EXPECT_EQ(r.status, 400) << r.body;
  Json orphan = app_spec("orphan", false);
  orphan["spec"]["project"] = "no-such-project";
  r = call("POST", "/api/v1/applications", admin, orphan);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Json::parse(r.body).value("message", ""),
            "application references project \"no-such-project\", which does not exist");
  EXPECT_NE(sim.kubectl({"get", "applications.ferry.dev", "orphan", "-n", "ferry"}).exit_code, 0);
  // With no AppProject in the cluster, the API shows the implicit default project the gate uses.
  r = call("GET", "/api/v1/projects/default", admin);
  ASSERT_EQ(r.status, 200) << r.body;
  Json default_project = Json::parse(r.body);
  EXPECT_EQ(default_project["metadata"].value("namespace", ""), "ferry") << r.body;
  EXPECT_EQ(default_project["spec"]["sourceRepos"], Json::array({"*"})) << r.body;
  EXPECT_EQ(default_project["spec"]["clusterResourceWhitelist"], Json::parse(R"([{"group":"*","kind":"*"}])")) << r.body;
  r = call("POST", "/api/v1/applications/web/rollback", admin, {{"id", "seven"}});
  EXPECT_TRUE(r.status == 400 || r.status == 404);
  r = call("GET", "/api/v1/nothing-here", admin);
  EXPECT_EQ(r.status, 404);

  // A cookie session may read, but a change needs the CSRF header.
  std::string cookie = "ferry_session=" + admin;
  r = http_request("GET", base + "/api/v1/applications", "", {{"Cookie", cookie}});
  EXPECT_EQ(r.status, 200);
  r = http_request("POST", base + "/api/v1/applications", app_spec("csrf", false).dump(), {{"Cookie", cookie}});
  EXPECT_EQ(r.status, 403) << r.body;
  r = http_request("POST", base + "/api/v1/applications", app_spec("csrf", false).dump(),
                   {{"Cookie", cookie}, {"X-Requested-With", "ferry"}});
  EXPECT_EQ(r.status, 200) << r.body;

  // Webhook: unsigned or wrongly signed deliveries are refused; the controller still answers.
  EXPECT_EQ(github_push(first_commit, first_commit, "wrong secret").status, 401);
  r = http_request("POST", base + "/api/webhook", "{}", {{"X-GitHub-Event", "push"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(http_request("GET", base + "/healthz").status, 200);
}

TEST_F(ApiProcess, CiFlowPushSyncHistoryAndARollbackAutoSyncDoesNotUndo) {
  ASSERT_EQ(call("POST", "/api/v1/applications", admin, app_spec("web", true)).status, 200);
  auto synced_at = [](const std::string& sha) {
    return [sha](const Json& app) {
      return app.value("/status/sync/revision"_json_pointer, std::string()) == sha &&
             app.value("/status/sync/status"_json_pointer, std::string()) == "Synced" &&
             app.value("/status/operationState/phase"_json_pointer, std::string()) == "Succeeded";
    };
  };
  wait_app("web", synced_at(first_commit));
  EXPECT_EQ(live_greeting(), "hello");

  // CI commits and GitHub calls the webhook: the app follows without waiting for a poll.
  std::string second = upstream->commit({{"app/settings.yaml", config_map("bonjour")}}, "second");
  auto pushed = github_push(first_commit, second, kWebhookSecret);
  ASSERT_EQ(pushed.status, 202) << pushed.body;
  wait_app("web", synced_at(second));
  EXPECT_EQ(live_greeting(), "bonjour");

  auto history = Json::parse(call("GET", "/api/v1/applications/web/history", admin).body)["items"];
  ASSERT_GE(history.size(), 2u);
  EXPECT_EQ(history[0]["revision"], second);
  int64_t first_id = 0;
  for (const auto& h : history) {
    if (h["revision"] == first_commit && h["phase"] == "Succeeded") first_id = h["id"];
  }
  ASSERT_NE(first_id, 0) << history.dump();

  // The diff is empty now; the plan has nothing to change.
  auto diff = Json::parse(call("GET", "/api/v1/applications/web/diff", admin).body);
  EXPECT_EQ(diff["sync"], "Synced") << diff.dump();
  EXPECT_TRUE(diff["items"].empty());

  auto rolled = call("POST", "/api/v1/applications/web/rollback?wait=true&timeout=120", admin, {{"id", first_id}});
  ASSERT_EQ(rolled.status, 200) << rolled.body;
  EXPECT_EQ(Json::parse(rolled.body)["phase"], "Succeeded") << rolled.body;
  EXPECT_EQ(live_greeting(), "hello");

  // Auto-sync stays on but waits for a new revision: a refresh does not undo the rollback.
  EXPECT_EQ(call("POST", "/api/v1/applications/web/refresh?type=hard", admin).status, 202);
  auto pinned = wait_app("web", [](const Json& app) {
    for (const auto& c : app.value("/status/conditions"_json_pointer, Json::array())) {
      if (c.value("type", "") == "RollbackPinned") return true;
    }
    return false;
  });
  EXPECT_EQ(live_greeting(), "hello");
  EXPECT_TRUE(pinned.contains("/spec/syncPolicy/automated"_json_pointer));

  // The next commit resumes auto-sync.
  std::string third = upstream->commit({{"app/settings.yaml", config_map("hola")}}, "third");
  ASSERT_EQ(github_push(second, third, kWebhookSecret).status, 202);
  wait_app("web", synced_at(third));
  EXPECT_EQ(live_greeting(), "hola");

  // Who did what is on record.
  auto events = Json::parse(call("GET", "/api/v1/applications/web/events", admin).body)["items"];
  bool rollback_event = false;
  for (const auto& e : events) rollback_event = rollback_event || (e["action"] == "rollback" && e["actor"] == "admin");
  EXPECT_TRUE(rollback_event) << events.dump();
}

TEST_F(ApiProcess, ManualSyncWithWaitReturnsTheOperationResult) {
  ASSERT_EQ(call("POST", "/api/v1/applications", admin, app_spec("manual", false)).status, 200);
  wait_app("manual", [](const Json& app) {
    return app.value("/status/sync/status"_json_pointer, std::string()) == "OutOfSync";
  });
  auto plan = Json::parse(call("GET", "/api/v1/applications/manual/plan", admin).body);
  ASSERT_EQ(plan["items"].size(), 1u) << plan.dump();
  EXPECT_EQ(plan["items"][0]["kind"], "ConfigMap");
  auto diff = Json::parse(call("GET", "/api/v1/applications/manual/diff", admin).body);
  ASSERT_EQ(diff["items"].size(), 1u) << diff.dump();
  EXPECT_EQ(diff["items"][0]["status"], "Missing");

  auto r = call("POST", "/api/v1/applications/manual/sync?wait=true&timeout=120", admin, {{"prune", true}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto result = Json::parse(r.body);
  EXPECT_EQ(result["phase"], "Succeeded");
  EXPECT_EQ(result["revision"], first_commit);
  ASSERT_EQ(result["resources"].size(), 1u);
  EXPECT_EQ(result["resources"][0]["kind"], "ConfigMap");
  EXPECT_EQ(live_greeting(), "hello");

  auto meta = Json::parse(call("GET", "/api/v1/applications/manual/revisions/" + first_commit + "/metadata", admin).body);
  EXPECT_EQ(meta["message"].get<std::string>().substr(0, 5), "first") << meta.dump();

  // Delete without cascade leaves the resources; the app is gone.
  EXPECT_EQ(call("DELETE", "/api/v1/applications/manual?cascade=false", admin).status, 200);
  for (int i = 0; i < 100 && call("GET", "/api/v1/applications/manual", admin).status != 404; ++i) {
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(call("GET", "/api/v1/applications/manual", admin).status, 404);
  EXPECT_EQ(live_greeting(), "hello");
}

TEST_F(ApiProcess, SelectiveSyncMatchesAResourceWithoutNamespaceAndAppliesTheRequestsSyncOptions) {
  Json app = app_spec("optioned", false);
  app["spec"]["destination"]["namespace"] = "made-by-sync";  // does not exist yet
  ASSERT_EQ(call("POST", "/api/v1/applications", admin, app).status, 200);
  wait_app("optioned", [](const Json& a) {
    return a.value("/status/sync/status"_json_pointer, std::string()) == "OutOfSync";
  });
  // As `argocd app sync --resource :ConfigMap:settings` sends it: no namespace; CreateNamespace
  // comes from the request only, so without it the apply would fail for the missing namespace.
  Json request = {{"resources", {{{"group", ""}, {"kind", "ConfigMap"}, {"name", "settings"}}}},
                  {"syncOptions", {{"items", {"CreateNamespace=true"}}}}};
  auto r = call("POST", "/api/v1/applications/optioned/sync?wait=true&timeout=120", admin, request);
  ASSERT_EQ(r.status, 200) << r.body;
  auto result = Json::parse(r.body);
  EXPECT_EQ(result["phase"], "Succeeded") << result.dump();
  // The namespace CreateNamespace made, then the one selected resource.
  ASSERT_EQ(result["resources"].size(), 2u) << result.dump();
  EXPECT_EQ(result["resources"][0]["kind"], "Namespace");
  EXPECT_EQ(result["resources"][1]["kind"], "ConfigMap");
  EXPECT_EQ(result["resources"][1]["namespace"], "made-by-sync");
  EXPECT_EQ(sim.kubectl({"get", "configmap", "settings", "-n", "made-by-sync", "-o", "jsonpath={.data.greeting}"}).out,
            "hello");
  // The ledger has the same results as the answer.
  auto entry = Json::parse(call("GET", "/api/v1/applications/optioned/history/" +
                                           std::to_string(result["historyId"].get<int64_t>()), admin).body);
  ASSERT_EQ(entry["resources"].size(), 2u) << entry.dump();
  // The operation is on the app's status too (Argo CD's operationState), with its results.
  auto shown = wait_app("optioned", [](const Json& a) {
    return a.value("/status/operationState/phase"_json_pointer, std::string()) == "Succeeded";
  });
  EXPECT_EQ(shown["status"]["operationState"]["syncResult"]["resources"].size(), 2u) << shown.dump();

  // A list carries the apps without managedFields (one app's GET keeps them).
  auto list = Json::parse(call("GET", "/api/v1/applications", admin).body);
  ASSERT_FALSE(list["items"].empty());
  for (const auto& item : list["items"]) EXPECT_FALSE(item["metadata"].contains("managedFields")) << item.dump();
  EXPECT_TRUE(shown["metadata"].contains("managedFields")) << shown.dump();
}

}  // namespace
}  // namespace ferry::testing
