// Several `ferry controller` replicas against the simulator, sharing a real PostgreSQL server on
// loopback: leader election (a standby takes over from a killed leader and finishes its work)
// and sharding (each app handled by exactly one replica; a killed replica's apps adopted).
// Real kubectl reads the Leases and the Applications; the shared ledger is read with the store.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "tests/support/git_server.h"
#include "tests/support/http_client.h"
#include "tests/support/postgres.h"
#include "tests/support/sim_fixture.h"

namespace ferry::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kNamespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ferry\n";
constexpr const char* kAdminPassword = "ha-admin-Passw0rd";
using Json = nlohmann::json;

std::string config_map(const std::string& name, const std::string& value, int wave = 0) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name +
         (wave ? "\n  annotations:\n    argocd.argoproj.io/sync-wave: \"" + std::to_string(wave) + "\"" : "") +
         "\ndata:\n  k: " + value + "\n";
}

// A Deployment the simulator makes ready only after its ready delay: a sync waits on it.
std::string slow_deployment(const std::string& name) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: " + name +
         "}\n  template:\n    metadata:\n      labels: {app: " + name +
         "}\n    spec:\n      containers:\n      - name: main\n        image: nginx:1.27\n";
}

std::string application(const std::string& name, const std::string& repo, const std::string& path) {
  return "apiVersion: ferry.dev/v1alpha1\nkind: Application\nmetadata:\n  name: " + name +
         "\n  namespace: ferry\nspec:\n  project: default\n  source:\n    repoURL: " + repo +
         "\n    targetRevision: main\n    path: " + path +
         "\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: default\n"
         "  syncPolicy:\n    automated:\n      prune: true\n";
}

struct Replica {
  explicit Replica(std::string name) : id(std::move(name)) {}
  std::string id;
  std::unique_ptr<ChildProcess> process;
  int port = 0;
};

class HaProcess : public ::testing::Test {
 protected:
  explicit HaProcess(int ready_delay_ms = 100) : sim(true, ready_delay_ms) {}

  void SetUp() override {
    ASSERT_TRUE(sim.ok()) << sim.error();
    ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, kNamespace).exit_code, 0);
    upstream = std::make_unique<UpstreamRepo>(dir.path(), "config");
    ASSERT_TRUE(postgres.ok()) << postgres.log();
    store_url = postgres.url(postgres.new_database());
  }

  // Short lease timings keep the test quick; the benchmark measures the default ones.
  void start_replica(Replica& replica, const std::vector<std::string>& mode) {
    std::vector<std::string> argv{ferry_bin(), "controller", "--kubeconfig", sim.kubeconfig(), "--namespace", "ferry",
                                  "--data-dir", dir.path() + "/data-" + replica.id, "--listen", "127.0.0.1:0",
                                  "--store", store_url, "--replica-id", replica.id,
                                  "--leader-elect-lease-duration", "5s", "--leader-elect-renew-deadline", "3s",
                                  "--leader-elect-retry-period", "500ms", "--resync-seconds", "2",
                                  "--resync-jitter-seconds", "0", "--health-poll-ms", "100", "--wave-delay-ms", "0",
                                  "--kube-qps", "0", "--log-format", "text",
                                  "--admin-password-file", dir.write("admin.password", kAdminPassword)};
    argv.insert(argv.end(), mode.begin(), mode.end());
    replica.process = std::make_unique<ChildProcess>();
    ASSERT_TRUE(replica.process->start(argv, {{"HOME", dir.path()}}));
    ASSERT_TRUE(replica.process->wait_for_output("ferry controller ready", 60s)) << replica.process->output();
    std::smatch m;
    std::string out = replica.process->output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(http://127\.0\.0\.1:(\d+))")));
    replica.port = std::stoi(m[1]);
  }

  std::string metrics(const Replica& replica) {
    return run_command({"curl", "-s", "http://127.0.0.1:" + std::to_string(replica.port) + "/metrics"}).out;
  }

  // The value of an unlabelled series in a replica's /metrics; -1 when absent.
  long gauge(const Replica& replica, const std::string& series) {
    std::smatch m;
    std::string text = metrics(replica);
    if (!std::regex_search(text, m, std::regex("(^|\n)" + series + " (\\d+)"))) return -1;
    return std::stol(m[2]);
  }

  // An API call to one replica as admin (accounts live in the shared store: any replica logs in).
  HttpReply api(const Replica& replica, const std::string& method, const std::string& path, const Json& body) {
    std::string base = "http://127.0.0.1:" + std::to_string(replica.port);
    auto login = http_request("POST", base + "/api/v1/session",
                              Json{{"username", "admin"}, {"password", kAdminPassword}}.dump(),
                              {{"Content-Type", "application/json"}});
    EXPECT_EQ(login.status, 200) << login.body;
    std::string token = login.status == 200 ? Json::parse(login.body).value("token", "") : "";
    return http_request(method, base + path, body.dump(),
                        {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}});
  }

  std::string lease_holder(const std::string& lease) {
    return sim.kubectl({"get", "lease", lease, "-n", "ferry", "-o", "jsonpath={.spec.holderIdentity}"}).out;
  }

  std::string app_field(const std::string& name, const std::string& jsonpath) {
    return sim.kubectl({"get", "applications.ferry.dev", name, "-n", "ferry", "-o", "jsonpath=" + jsonpath}).out;
  }

  std::string config_value(const std::string& name) {
    return sim.kubectl({"get", "configmap", name, "-n", "default", "-o", "jsonpath={.data.k}"}).out;
  }

  // Polls `done` until it holds; the bound only stops a hang (no timing is asserted).
  template <class F>
  bool eventually(F done, std::chrono::seconds bound = 120s) {
    auto until = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(200ms);
    }
    return done();
  }

  std::vector<store::Operation> history(const std::string& app) {
    auto db = store::Store::open_postgres(store_url);
    EXPECT_TRUE(db.ok()) << db.status().to_string();
    if (!db.ok()) return {};
    auto ops = (*db)->list_operations("ferry/" + app, 0);
    EXPECT_TRUE(ops.ok()) << ops.status().to_string();
    return ops.ok() ? *ops : std::vector<store::Operation>{};
  }

  std::string logs(std::initializer_list<const Replica*> replicas) {
    std::string text;
    for (const Replica* r : replicas) text += "\n--- " + r->id + ":\n" + (r->process ? r->process->output() : "");
    return text;
  }

  SimProcess sim;
  TempDir dir;
  PostgresServer postgres;
  std::string store_url;
  std::unique_ptr<UpstreamRepo> upstream;
};

TEST(HaFlags, LeaderElectionAndShardingAreRefusedOnSqliteSayingWhy) {
  TempDir dir;
  for (const auto& mode : {std::vector<std::string>{"--leader-elect"}, std::vector<std::string>{"--shards", "3"}}) {
    // Never contacted: the store is checked before the controller starts.
    std::string kubeconfig = dir.write("kubeconfig", R"(apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
)");
    std::vector<std::string> argv{ferry_bin(), "controller", "--kubeconfig", kubeconfig,
                                  "--data-dir", dir.path(), "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), mode.begin(), mode.end());
    auto run = run_command(argv, {{"HOME", dir.path()}}, "", 60s);
    EXPECT_NE(run.exit_code, 0) << mode[0];
    std::string said = run.out + run.err;
    EXPECT_NE(said.find("SQLite"), std::string::npos) << said;
    EXPECT_NE(said.find("postgres://"), std::string::npos) << said;
  }
}

class LeaderElection : public HaProcess {
 protected:
  LeaderElection() : HaProcess(4000) {}  // Deployments take 4 s to be ready: a sync is caught mid-way
};

TEST_F(LeaderElection, TheStandbyTakesOverFromAKilledLeaderAndFinishesItsSync) {
  Replica a{"replica-a"}, b{"replica-b"};
  start_replica(a, {"--leader-elect"});
  ASSERT_TRUE(eventually([&] { return lease_holder("ferry-controller-leader") == "replica-a"; })) << logs({&a});
  start_replica(b, {"--leader-elect"});
  EXPECT_EQ(gauge(a, "ferry_leader"), 1) << metrics(a);
  EXPECT_EQ(gauge(b, "ferry_leader"), 0) << metrics(b);

  // Wave 0 waits for a slow Deployment, wave 1 writes a ConfigMap: the leader dies in between.
  upstream->commit({{"apps/web/deploy.yaml", slow_deployment("web")},
                    {"apps/web/cm.yaml", config_map("after-deploy", "v1", 1)}});
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, application("web", upstream->file_url(), "apps/web")).exit_code, 0);
  ASSERT_TRUE(eventually([&] { return app_field("web", "{.status.operationState.phase}") == "Running"; }))
      << logs({&a, &b});
  EXPECT_TRUE(config_value("after-deploy").empty()) << "the sync was not caught mid-way";
  EXPECT_EQ(b.process->output().find("acquired shard lease"), std::string::npos) << logs({&b});
  a.process->kill(9);
  a.process->wait();

  // The standby takes the Lease over once it expires, and finishes the work.
  ASSERT_TRUE(eventually([&] { return lease_holder("ferry-controller-leader") == "replica-b"; })) << logs({&b});
  EXPECT_EQ(gauge(b, "ferry_leader"), 1) << metrics(b);
  ASSERT_TRUE(eventually([&] { return config_value("after-deploy") == "v1"; })) << logs({&b});
  ASSERT_TRUE(eventually([&] {
    return app_field("web", "{.status.sync.status}/{.status.health.status}") == "Synced/Healthy";
  })) << logs({&b});
  EXPECT_EQ(sim.kubectl({"get", "lease", "ferry-controller-leader", "-n", "ferry", "-o",
                         "jsonpath={.spec.leaseTransitions}"}).out, "1");

  // The shared ledger: the leader's operation was marked Interrupted by the standby (not left
  // Running), then the standby's own sync succeeded. Nothing ran twice at once.
  auto ops = history("web");
  ASSERT_GE(ops.size(), 2u);
  EXPECT_EQ(ops.back().phase, store::OperationPhase::kInterrupted);
  EXPECT_EQ(ops.front().phase, store::OperationPhase::kSucceeded);
  for (const auto& op : ops) EXPECT_NE(op.phase, store::OperationPhase::kRunning) << op.id;

  // A stopped standby hands its Lease back at once (SIGTERM): nobody waits for it to expire.
  b.process->kill(15);
  EXPECT_EQ(b.process->wait(), 0) << logs({&b});
  EXPECT_TRUE(lease_holder("ferry-controller-leader").empty());
}

class TerminateAcrossReplicas : public HaProcess {
 protected:
  TerminateAcrossReplicas() : HaProcess(600000) {}  // wave 0's Deployment is never ready in the test
};

TEST_F(TerminateAcrossReplicas, ATerminateAskedOfTheStandbyEndsTheLeadersSync) {
  Replica a{"replica-a"}, b{"replica-b"};
  start_replica(a, {"--leader-elect"});
  ASSERT_TRUE(eventually([&] { return lease_holder("ferry-controller-leader") == "replica-a"; })) << logs({&a});
  start_replica(b, {"--leader-elect"});
  upstream->commit({{"apps/web/deploy.yaml", slow_deployment("web")},
                    {"apps/web/cm.yaml", config_map("after-deploy", "v1", 1)}});
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, application("web", upstream->file_url(), "apps/web")).exit_code, 0);
  ASSERT_TRUE(eventually([&] { return app_field("web", "{.status.operationState.phase}") == "Running"; }))
      << logs({&a, &b});

  // The standby does not run the sync: it marks the Application Terminating, and the leader,
  // which runs it, ends it (Argo CD's API server and controller split the work the same way).
  auto terminated = api(b, "DELETE", "/api/v1/applications/web/operation", Json::object());
  EXPECT_EQ(terminated.status, 200) << terminated.body;
  ASSERT_TRUE(eventually([&] { return app_field("web", "{.status.operationState.phase}") == "Failed"; }))
      << logs({&a, &b}) << sim.kubectl({"get", "applications.ferry.dev", "web", "-n", "ferry", "-o", "yaml"}).out;
  EXPECT_EQ(app_field("web", "{.status.operationState.message}"), "Operation terminated");
  EXPECT_TRUE(config_value("after-deploy").empty()) << "wave 1 ran after the terminate";
  auto ops = history("web");
  ASSERT_EQ(ops.size(), 1u) << logs({&a, &b});
  EXPECT_EQ(ops[0].phase, store::OperationPhase::kFailed);
}

class PostgresRestart : public HaProcess {
 protected:
  PostgresRestart() : HaProcess(4000) {}
};

TEST_F(PostgresRestart, ASyncRunningWhileTheDatabaseRestartsFinishesAndIsJournalledWhole) {
  Replica one{"single"};
  start_replica(one, {});  // one replica may use PostgreSQL too
  upstream->commit({{"apps/web/deploy.yaml", slow_deployment("web")},
                    {"apps/web/cm.yaml", config_map("after-deploy", "v1", 1)}});
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, application("web", upstream->file_url(), "apps/web")).exit_code, 0);
  ASSERT_TRUE(eventually([&] { return app_field("web", "{.status.operationState.phase}") == "Running"; }))
      << logs({&one});
  ASSERT_TRUE(postgres.restart()) << postgres.log();  // while wave 0 waits for the Deployment
  ASSERT_TRUE(eventually([&] {
    return app_field("web", "{.status.sync.status}/{.status.health.status}") == "Synced/Healthy";
  })) << logs({&one});
  EXPECT_EQ(config_value("after-deploy"), "v1");
  auto ops = history("web");
  ASSERT_EQ(ops.size(), 1u) << logs({&one});
  auto op = store::Store::open_postgres(store_url).value()->get_operation(ops[0].id);
  ASSERT_TRUE(op.ok()) << op.status().to_string();
  EXPECT_EQ(op->phase, store::OperationPhase::kSucceeded) << op->message;
  ASSERT_EQ(op->resources.size(), 2u);  // both waves' results reached the ledger
  EXPECT_EQ(op->resources[0].kind, "Deployment");
  EXPECT_EQ(op->resources[1].kind, "ConfigMap");
  EXPECT_EQ(one.process->output().find("journalling the end of an operation failed"), std::string::npos);
}

class Sharding : public HaProcess {};

TEST_F(Sharding, EachAppIsHandledByExactlyOneReplicaAndAKilledReplicasAppsAreAdopted) {
  constexpr int kApps = 12;
  std::map<std::string, std::string> files;
  for (int i = 0; i < kApps; ++i) {
    std::string n = "app-" + std::to_string(i);
    files["apps/" + n + "/cm.yaml"] = config_map(n, "v1");
  }
  upstream->commit(files);
  std::vector<Replica> replicas;
  for (const char* id : {"shard-r1", "shard-r2", "shard-r3"}) replicas.emplace_back(id);
  for (auto& r : replicas) start_replica(r, {"--shards", "6"});
  auto all_logs = [&] { return logs({&replicas[0], &replicas[1], &replicas[2]}); };
  // Every replica sees the others and holds its even share: 2 of the 6 shards.
  ASSERT_TRUE(eventually([&] {
    for (auto& r : replicas) {
      if (gauge(r, "ferry_shards_held") != 2 || gauge(r, "ferry_replicas") != 3) return false;
    }
    return true;
  })) << all_logs();

  std::string apps;
  for (int i = 0; i < kApps; ++i) {
    std::string n = "app-" + std::to_string(i);
    apps += application(n, upstream->file_url(), "apps/" + n) + "---\n";
  }
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, apps).exit_code, 0);
  for (int i = 0; i < kApps; ++i) {
    std::string n = "app-" + std::to_string(i);
    ASSERT_TRUE(eventually([&] { return config_value(n) == "v1"; })) << n << all_logs();
  }
  // Exactly one sync per app in the shared ledger, and the replicas' sync counters add up to it.
  long synced = 0;
  for (auto& r : replicas) {
    std::smatch m;
    std::string text = metrics(r);
    if (std::regex_search(text, m, std::regex(R"(ferry_app_sync_total\{phase="Succeeded"\} (\d+))"))) {
      synced += std::stol(m[1]);
    }
  }
  for (int i = 0; i < kApps; ++i) EXPECT_EQ(history("app-" + std::to_string(i)).size(), 1u) << i;
  EXPECT_EQ(synced, kApps) << all_logs();

  // Kill one replica: its shards' Leases expire and the others adopt its apps.
  replicas[1].process->kill(9);
  replicas[1].process->wait();
  ASSERT_TRUE(eventually([&] {
    return gauge(replicas[0], "ferry_shards_held") == 3 && gauge(replicas[2], "ferry_shards_held") == 3;
  })) << all_logs();
  files.clear();
  for (int i = 0; i < kApps; ++i) {
    std::string n = "app-" + std::to_string(i);
    files["apps/" + n + "/cm.yaml"] = config_map(n, "v2");
  }
  upstream->commit(files);
  for (int i = 0; i < kApps; ++i) {
    std::string n = "app-" + std::to_string(i);
    ASSERT_TRUE(eventually([&] { return config_value(n) == "v2"; })) << n << all_logs();
    EXPECT_EQ(history(n).size(), 2u) << n;
  }

  // Rollback and sync through either remaining replica: one of the two does not own app-0, so
  // its request travels to the owner (the operation field) and the answer still comes back.
  auto ops = history("app-0");
  ASSERT_EQ(ops.size(), 2u);
  int64_t first = ops.back().id;
  for (Replica* via : {&replicas[0], &replicas[2]}) {
    auto rolled = api(*via, "POST", "/api/v1/applications/app-0/rollback?wait=true&timeout=120", {{"id", first}});
    ASSERT_EQ(rolled.status, 200) << via->id << " " << rolled.body << all_logs();
    EXPECT_EQ(Json::parse(rolled.body).value("phase", ""), "Succeeded") << rolled.body;
    EXPECT_EQ(config_value("app-0"), "v1") << via->id;
    ASSERT_EQ(sim.kubectl({"patch", "configmap", "app-0", "-n", "default", "--type", "merge", "-p",
                           R"({"data":{"k":"edited"}})"}).exit_code, 0);
    auto synced = api(*via, "POST", "/api/v1/applications/app-0/sync?wait=true&timeout=120", Json::object());
    ASSERT_EQ(synced.status, 200) << via->id << " " << synced.body << all_logs();
    EXPECT_EQ(config_value("app-0"), "v2") << via->id;  // a manual sync follows git again
  }
  EXPECT_EQ(history("app-0").size(), 6u);

  // A dry run cannot be rolled back to: both replicas say so at once (the one that does not own
  // the app checks the shared ledger before asking the owner).
  auto dry = api(replicas[0], "POST", "/api/v1/applications/app-0/sync?wait=true&timeout=120", {{"dryRun", true}});
  ASSERT_EQ(dry.status, 200) << dry.body;
  int64_t dry_id = Json::parse(dry.body).value("historyId", int64_t{0});
  for (Replica* via : {&replicas[0], &replicas[2]}) {
    auto refused = api(*via, "POST", "/api/v1/applications/app-0/rollback?wait=true&timeout=120", {{"id", dry_id}});
    EXPECT_EQ(refused.status, 400) << via->id << " " << refused.body;
    EXPECT_NE(refused.body.find("dry run"), std::string::npos) << refused.body;
  }
}

}  // namespace
}  // namespace ferry::testing
