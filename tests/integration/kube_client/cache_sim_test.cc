// kube::ClusterCache against the real simulator: label-selected LIST+WATCH, indexes, change
// callbacks, and convergence to a fresh LIST while the server fails, throttles, drops watches
// and forgets its watch history.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "kube/cache/cluster_cache.h"
#include "kube/client/kubeconfig.h"
#include "tests/support/sim_fixture.h"

namespace ferry::kube {
namespace {

using namespace std::chrono_literals;

class CacheSim : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim.ok()) << sim.error();
    auto loaded = load_kubeconfig({sim.kubeconfig()});
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    ClientOptions options;
    options.qps = 0;
    options.backoff_max = 200ms;
    auto connected = Client::connect(*loaded, options);
    ASSERT_TRUE(connected.ok()) << connected.status().to_string();
    client = *connected;
  }

  static Json config_map(const std::string& name, const std::string& app, const std::string& value = "v") {
    Json object = {{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", {{"name", name}, {"namespace", "default"}}},
                   {"data", {{"key", value}}}};
    if (!app.empty()) object["metadata"]["labels"] = {{"ferry.dev/app", app}};
    return object;
  }

  // name → resourceVersion of the labelled ConfigMaps, as a fresh LIST sees them.
  std::map<std::string, std::string> fresh_list() {
    auto listed = client->list({"v1", "ConfigMap", "", ""}, {"ferry.dev/app", "", 100});
    EXPECT_TRUE(listed.ok()) << listed.status().to_string();
    std::map<std::string, std::string> out;
    if (!listed.ok()) return out;
    for (const auto& item : (*listed)["items"]) out[item["metadata"]["name"]] = item["metadata"]["resourceVersion"];
    return out;
  }

  static std::map<std::string, std::string> cached(const ClusterCache& cache) {
    std::map<std::string, std::string> out;
    for (const auto& item : cache.list("", "ConfigMap")) out[item["metadata"]["name"]] = item["metadata"]["resourceVersion"];
    return out;
  }

  // Polls until the cache equals a fresh LIST; no time is asserted, the loop only bounds a hang.
  bool converges(const ClusterCache& cache) {
    for (int i = 0; i < 600; ++i) {
      if (cached(cache) == fresh_list()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  ferry::testing::SimProcess sim{true};
  std::shared_ptr<Client> client;
};

TEST_F(CacheSim, HoldsOnlyLabelledObjectsAndFollowsChanges) {
  ASSERT_TRUE(client->apply(config_map("a1", "alpha")).ok());
  ASSERT_TRUE(client->apply(config_map("a2", "alpha")).ok());
  ASSERT_TRUE(client->apply(config_map("b1", "beta")).ok());
  ASSERT_TRUE(client->apply(config_map("stranger", "")).ok());

  ClusterCache cache(client);
  std::mutex mu;
  std::vector<std::pair<ChangeType, std::string>> changes;
  cache.on_change([&](const Change& change) {
    std::lock_guard<std::mutex> lock(mu);
    changes.emplace_back(change.type, change.key.name);
    EXPECT_EQ(change.object["kind"], "ConfigMap");
  });
  ASSERT_TRUE(cache.watch_kind("v1", "ConfigMap").ok());
  ASSERT_TRUE(cache.watch_kind("v1", "ConfigMap").ok());  // idempotent
  ASSERT_TRUE(cache.wait_synced(30s));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.get({"", "ConfigMap", "default", "stranger"}).has_value());
  auto a1 = cache.get({"", "ConfigMap", "default", "a1"});
  ASSERT_TRUE(a1.has_value());
  EXPECT_EQ((*a1)["apiVersion"], "v1");
  EXPECT_EQ((*a1)["data"]["key"], "v");
  EXPECT_EQ(cache.with_label("alpha").size(), 2u);
  EXPECT_EQ(cache.keys_with_label("beta"), (std::vector<ObjectKey>{{"", "ConfigMap", "default", "b1"}}));

  // Changes made by real kubectl reach the cache and its index.
  auto relabel = sim.kubectl({"label", "configmap", "b1", "ferry.dev/app=gamma", "--overwrite", "-n", "default"});
  ASSERT_EQ(relabel.exit_code, 0) << relabel.err;
  ASSERT_TRUE(client->apply(config_map("a3", "alpha", "new")).ok());
  ASSERT_TRUE(client->remove({"v1", "ConfigMap", "default", "a2"}).ok());
  ASSERT_TRUE(converges(cache));
  EXPECT_EQ(cache.with_label("alpha").size(), 2u);  // a1, a3
  EXPECT_TRUE(cache.with_label("beta").empty());
  EXPECT_EQ(cache.with_label("gamma").size(), 1u);
  EXPECT_FALSE(cache.get({"", "ConfigMap", "default", "a2"}).has_value());
  EXPECT_GT(cache.stored_bytes(), 0u);

  std::lock_guard<std::mutex> lock(mu);
  auto saw = [&](ChangeType type, const std::string& name) {
    return std::find(changes.begin(), changes.end(), std::make_pair(type, name)) != changes.end();
  };
  EXPECT_TRUE(saw(ChangeType::kAdded, "a1"));
  EXPECT_TRUE(saw(ChangeType::kModified, "b1"));
  EXPECT_TRUE(saw(ChangeType::kAdded, "a3"));
  EXPECT_TRUE(saw(ChangeType::kDeleted, "a2"));
  EXPECT_FALSE(saw(ChangeType::kAdded, "stranger"));
}

TEST_F(CacheSim, UnknownKindIsNotFound) {
  ClusterCache cache(client);
  EXPECT_TRUE(cache.watch_kind("example.com/v1", "Nothing").is(Reason::kNotFound));
  EXPECT_TRUE(cache.wait_synced(1s));  // nothing to wait for
}

TEST_F(CacheSim, RelistsWhenItsVersionIsGoneAndReportsWhatChanged) {
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->apply(config_map("g" + std::to_string(i), "app")).ok());
  ClusterCache cache(client);
  std::atomic<int> deletes{0};
  cache.on_change([&](const Change& change) {
    if (change.type == ChangeType::kDeleted) ++deletes;
  });
  ASSERT_TRUE(cache.watch_kind("v1", "ConfigMap").ok());
  ASSERT_TRUE(cache.wait_synced(30s));
  // Block writes' events from reaching the watch, forget history, then cut the watch: the resume
  // gets 410 Gone and only a relist can see the deletes.
  sim.sim_post("/sim/faults", R"({"errorRate":1,"errorStatus":503,"verbs":["watch","list"]})");
  sim.sim_post("/sim/faults", R"({"errorRate":1,"errorStatus":503,"verbs":["watch","list"],"dropWatches":true})");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->remove({"v1", "ConfigMap", "default", "g" + std::to_string(i)}).ok());
  ASSERT_TRUE(client->apply(config_map("late", "app")).ok());
  sim.sim_post("/sim/faults", R"({"expireWatchHistory":true})");
  ASSERT_TRUE(converges(cache));
  EXPECT_EQ(cache.size(), 16u);
  EXPECT_EQ(deletes.load(), 5);
  EXPECT_TRUE(cache.errors().empty());
}

TEST_F(CacheSim, ConvergesToAFreshListUnderFaults) {
  ClusterCache cache(client);
  ASSERT_TRUE(cache.watch_kind("v1", "ConfigMap").ok());
  ASSERT_TRUE(cache.wait_synced(30s));
  sim.sim_post("/sim/faults", R"({"errorRate":0.2,"errorStatus":500,"throttleRate":0.1,"retryAfterSeconds":1,)"
                              R"("verbs":["list","watch","patch","delete"],"seed":7})");
  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int i = next++; i < 300; i = next++) {
        if (!client->apply(config_map("f" + std::to_string(i), "app-" + std::to_string(i % 7))).ok()) ++failures;
        if (i % 5 == 0 && !client->remove({"v1", "ConfigMap", "default", "f" + std::to_string(i / 2)}).ok()) {
          // The object may already be gone (an earlier attempt's delete landed): only that is fine.
        }
      }
    });
  }
  std::thread chaos([&] {
    for (int i = 0; i < 6; ++i) {
      std::this_thread::sleep_for(100ms);
      sim.sim_post("/sim/faults", R"({"errorRate":0.2,"errorStatus":500,"throttleRate":0.1,"retryAfterSeconds":1,)"
                                  R"("verbs":["list","watch","patch","delete"],"dropWatches":true})");
    }
  });
  for (auto& w : writers) w.join();
  chaos.join();
  EXPECT_EQ(failures.load(), 0);
  sim.sim_post("/sim/faults", "{}");
  ASSERT_TRUE(converges(cache));
  EXPECT_GT(cache.size(), 200u);
  // The index agrees with the objects.
  size_t indexed = 0;
  for (int app = 0; app < 7; ++app) indexed += cache.keys_with_label("app-" + std::to_string(app)).size();
  EXPECT_EQ(indexed, cache.size());
  cache.stop();  // returns although watches were in flight
  EXPECT_TRUE(cached(cache) == fresh_list());
}

}  // namespace
}  // namespace ferry::kube
