// The runner's ordering and waiting rules, against a scripted API server (a fake Transport):
// what must not run side by side, which writes need no read afterwards, and when it pauses.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "kube/client/client.h"
#include "reconciler/sync/plan.h"
#include "reconciler/sync/runner.h"
#include "reconciler/sync/tracking.h"

namespace ferry::reconciler {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Answers discovery for v1 and echoes every write back as the stored object; `on_request` may
// delay or replace an answer. Keeps the log of requests in the order they arrived and ended.
class ScriptedServer : public kube::Transport {
 public:
  Result<kube::Response> send(const kube::Request& request) override {
    if (request.path == "/api/v1") return discovery();
    log("start " + request.method + " " + request.path);
    kube::Response response{200, request.body.empty() ? "{}" : request.body, {}};
    if (on_request) response = on_request(request, response);
    log("end " + request.method + " " + request.path);
    return response;
  }

  std::vector<std::string> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

  std::function<kube::Response(const kube::Request&, kube::Response)> on_request;

 private:
  static kube::Response discovery() {
    Json resources = Json::array({
        {{"name", "configmaps"}, {"kind", "ConfigMap"}, {"namespaced", true}},
        {{"name", "namespaces"}, {"kind", "Namespace"}, {"namespaced", false}},
        {{"name", "services"}, {"kind", "Service"}, {"namespaced", true}},
        {{"name", "pods"}, {"kind", "Pod"}, {"namespaced", true}},
    });
    return {200, Json{{"kind", "APIResourceList"}, {"resources", resources}}.dump(), {}};
  }

  void log(const std::string& event) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(event);
  }

  std::mutex mu_;
  std::vector<std::string> events_;
};

Json object(const std::string& kind, const std::string& ns, const std::string& name, int wave = 0) {
  Json o = {{"apiVersion", "v1"}, {"kind", kind}, {"metadata", {{"name", name}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  if (wave != 0) o["metadata"]["annotations"]["ferry.dev/sync-wave"] = std::to_string(wave);
  return o;
}

Json load_balancer(const std::string& name) {
  Json o = object("Service", "shop", name);
  o["spec"] = {{"type", "LoadBalancer"}, {"ports", {{{"port", 80}}}}};
  return o;
}

class RunnerTest : public ::testing::Test {
 protected:
  std::vector<Task> plan_of(const std::vector<Json>& desired, bool apply_out_of_sync_only = false,
                            std::map<ObjectKey, SyncState> states = {}) {
    PlanRequest request;
    request.app = "shop";
    request.desired = desired;
    request.apply_out_of_sync_only = apply_out_of_sync_only;
    request.states = std::move(states);
    auto plan = make_plan(request);
    EXPECT_TRUE(plan.ok()) << plan.status().to_string();
    return plan.ok() ? *plan : std::vector<Task>{};
  }

  SyncResult run(const std::vector<Task>& plan, RunOptions options = {}) {
    kube::ClientOptions client_options;
    client_options.qps = 0;
    auto client = std::make_shared<kube::Client>(server, client_options);
    return SyncRunner(client).run(plan, options);
  }

  // The events of requests whose path contains `part`.
  std::vector<std::string> events_for(const std::string& part) {
    std::vector<std::string> out;
    for (const auto& e : server->events()) {
      if (e.find(part) != std::string::npos) out.push_back(e);
    }
    return out;
  }

  std::shared_ptr<ScriptedServer> server = std::make_shared<ScriptedServer>();
};

TEST_F(RunnerTest, ObjectsInANamespaceAreWrittenOnlyOnceTheNamespaceIsInTheSameWave) {
  // A slow namespace write: without the rule, the other writers would send the ConfigMaps
  // meanwhile, and a real API server refuses objects in a namespace it does not have.
  server->on_request = [](const kube::Request& request, kube::Response response) {
    if (request.path.find("/namespaces/shop?") != std::string::npos) std::this_thread::sleep_for(100ms);
    return response;
  };
  std::vector<Json> desired;
  for (int i = 0; i < 12; ++i) desired.push_back(object("ConfigMap", "shop", "cm-" + std::to_string(i)));
  desired.push_back(object("Namespace", "", "shop"));
  SyncResult result = run(plan_of(desired));
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << result.message;

  auto events = server->events();
  auto namespace_done = std::find(events.begin(), events.end(), "end PATCH /api/v1/namespaces/shop?fieldManager=ferry&force=true");
  ASSERT_NE(namespace_done, events.end());
  for (auto it = events.begin(); it != namespace_done; ++it) EXPECT_EQ(it->find("configmaps"), std::string::npos) << *it;
  EXPECT_EQ(events_for("configmaps").size(), 24u);
}

TEST_F(RunnerTest, WritesWhoseAnswerNeedsNoStatusAreNotReadAgain) {
  std::vector<Json> desired;
  for (int i = 0; i < 20; ++i) desired.push_back(object("ConfigMap", "shop", "cm-" + std::to_string(i)));
  Json service = object("Service", "shop", "web");
  service["spec"] = {{"type", "ClusterIP"}, {"ports", {{{"port", 80}}}}};
  desired.push_back(service);
  desired.push_back(object("ConfigMap", "shop", "after", 1));  // so wave 0 is gated on health
  SyncResult result = run(plan_of(desired));
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << result.message;
  for (const auto& e : server->events()) EXPECT_EQ(e.find(" GET "), std::string::npos) << e;
  EXPECT_EQ(server->events().size(), 2 * 22u);
}

TEST_F(RunnerTest, AResourceWaitingOnItsStatusIsReadUntilHealthyWithEarlyPollsCloseTogether) {
  // The load balancer gets its address soon after the write: seen at the fourth read. The poll
  // interval is far longer than the gate's timeout, so only early polls get there in time (with
  // one poll per interval, the second read would already be at the deadline).
  int reads = 0;
  server->on_request = [&](const kube::Request& request, kube::Response response) {
    if (request.method != "GET") return response;
    Json live = load_balancer("web");
    if (++reads >= 4) live["status"]["loadBalancer"]["ingress"] = {{{"ip", "10.0.0.1"}}};
    response.body = live.dump();
    return response;
  };
  RunOptions options;
  options.poll_interval = 1h;
  options.health_timeout = 10s;
  // A later wave, so the load balancer's wave is gated on its health.
  SyncResult result = run(plan_of({load_balancer("web"), object("ConfigMap", "shop", "after", 1)}), options);
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << result.message;
  EXPECT_EQ(reads, 4);
}

TEST_F(RunnerTest, AHookIsPolledUntilItFinishesWithEarlyPollsCloseTogether) {
  // A PreSync Pod hook that has finished by the fourth read. As with the health gate, the poll
  // interval is far longer than the timeout, so only early polls get there in time.
  int reads = 0;
  Json hook = object("Pod", "shop", "migrate");
  hook["metadata"]["annotations"]["ferry.dev/hook"] = "PreSync";
  hook["spec"] = {{"restartPolicy", "Never"}, {"containers", {{{"name", "m"}, {"image", "busybox"}}}}};
  bool created = false;  // before creation (BeforeHookCreation looks for an old hook) it is not there
  server->on_request = [&](const kube::Request& request, kube::Response response) {
    if (request.method == "POST" && request.path.find("/pods") != std::string::npos) created = true;
    if (request.method != "GET" || request.path.find("/pods/migrate") == std::string::npos) return response;
    if (!created) return kube::Response{404, R"({"kind":"Status","reason":"NotFound","code":404})", {}};
    Json live = hook;
    live["status"]["phase"] = ++reads >= 4 ? "Succeeded" : "Running";
    response.body = live.dump();
    return response;
  };
  RunOptions options;
  options.poll_interval = 1h;
  options.health_timeout = 10s;
  SyncResult result = run(plan_of({hook, object("ConfigMap", "shop", "app")}), options);
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << result.message;
  EXPECT_EQ(reads, 4);
  EXPECT_EQ(events_for("configmaps/app").size(), 2u);  // the Sync phase ran after the hook
}

TEST_F(RunnerTest, TheLastWaveIsNotAwaitedAsInArgoCD) {
  // The load balancer never gets an address. With nothing after its wave, the sync ends once it
  // is written (its health is the app's to report); with a later wave, the gate holds that wave.
  server->on_request = [&](const kube::Request& request, kube::Response response) {
    if (request.method == "GET") response.body = load_balancer("web").dump();
    return response;
  };
  RunOptions options;
  options.health_timeout = 1s;
  SyncResult result = run(plan_of({load_balancer("web")}), options);
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << result.message;
  EXPECT_TRUE(events_for("GET").empty());

  result = run(plan_of({load_balancer("web"), object("ConfigMap", "shop", "after", 1)}), options);
  EXPECT_EQ(result.phase, OperationPhase::kFailed);
  EXPECT_NE(result.message.find("timed out waiting for"), std::string::npos) << result.message;
  EXPECT_TRUE(events_for("configmaps/after").empty());
}

TEST_F(RunnerTest, PlainPrunesDoNotWaitForHealthPruneLastOnesDo) {
  // The load balancer never gets an address; a ConfigMap left the render. A plain prune runs
  // without waiting on the load balancer (as in Argo CD); a PruneLast one waits for it, here
  // until the gate times out, and is never sent.
  server->on_request = [&](const kube::Request& request, kube::Response response) {
    if (request.method == "GET") response.body = load_balancer("web").dump();
    return response;
  };
  auto plan_with_prune = [&](bool prune_last) {
    PlanRequest request;
    request.app = "shop";
    request.desired = {load_balancer("web")};
    request.live = {with_tracking(object("ConfigMap", "shop", "old"), "shop", "shop", true)};
    request.prune = true;
    request.prune_last = prune_last;
    auto plan = make_plan(request);
    EXPECT_TRUE(plan.ok()) << plan.status().to_string();
    return plan.ok() ? *plan : std::vector<Task>{};
  };
  RunOptions options;
  options.health_timeout = 1s;
  SyncResult result = run(plan_with_prune(false), options);
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << result.message;
  EXPECT_EQ(events_for("DELETE /api/v1/namespaces/shop/configmaps/old").size(), 2u);
  EXPECT_TRUE(events_for("GET").empty());

  result = run(plan_with_prune(true), options);
  EXPECT_EQ(result.phase, OperationPhase::kFailed);
  EXPECT_NE(result.message.find("timed out waiting for"), std::string::npos) << result.message;
  EXPECT_EQ(events_for("DELETE").size(), 2u);  // still only the first run's prune
}

// Cancels a run that is still going after `limit`: turns a wait that should not happen into a
// failed (terminated) sync instead of a hung test.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit)
      : thread_([this, limit] {
          std::unique_lock<std::mutex> lock(mu_);
          if (!done_cv_.wait_for(lock, limit, [this] { return done_; })) cancel.cancel();
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
  }
  kube::Cancellation cancel;

 private:
  std::mutex mu_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

TEST_F(RunnerTest, AWaveThatWroteNothingIsNotFollowedByTheWaveDelay) {
  Json in_sync = object("ConfigMap", "shop", "same");
  Json changed = object("ConfigMap", "shop", "changed", 1);
  std::map<ObjectKey, SyncState> states = {{ObjectKey::of(in_sync), SyncState::kSynced},
                                           {ObjectKey::of(changed), SyncState::kOutOfSync}};
  {
    // A delay here would last an hour; the watchdog would end it as a terminated sync.
    Watchdog watchdog(30s);
    RunOptions options;
    options.wave_delay = 1h;
    options.cancel = &watchdog.cancel;
    SyncResult result = run(plan_of({in_sync, changed}, true, states), options);
    ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << result.message;
    EXPECT_EQ(events_for("configmaps").size(), 2u);  // only the changed one is written
  }

  // A wave that wrote something is still followed by the delay.
  RunOptions options;
  options.wave_delay = 800ms;
  auto start = Clock::now();
  SyncResult result = run(plan_of({object("ConfigMap", "shop", "first"), changed}), options);
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << result.message;
  EXPECT_GE(Clock::now() - start, 800ms);
}

}  // namespace
}  // namespace ferry::reconciler
