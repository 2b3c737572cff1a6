// ShardLeases against the in-process simulator: Leases are really written, read and contended
// through the Kubernetes API (optimistic concurrency on resourceVersion).
#include "controller/leases.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "kube/sim/api_server.h"

namespace ferry::controller {
namespace {

using namespace std::chrono_literals;

class ShardLeasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kube::sim::SimOptions options;
    options.token = "t";
    sim_ = std::make_unique<kube::sim::ApiServer>(options);
    ASSERT_EQ(sim_->start(), "");
    client_ = client();
    auto ns = client_->create({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ferry"}}}});
    ASSERT_TRUE(ns.ok()) << ns.status().to_string();
  }

  std::shared_ptr<kube::Client> client() {
    kube::RestConfig config;
    config.server = sim_->server_url();
    config.token = sim_->token();
    kube::ClientOptions options;
    options.qps = 0;
    options.max_retries = 1;
    auto c = kube::Client::connect(config, options);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return c.ok() ? *c : nullptr;
  }

  std::unique_ptr<ShardLeases> replica(const std::string& id, int shards) {
    LeaseOptions options;
    options.identity = id;
    options.shards = shards;
    options.lease_duration = 1500ms;
    options.renew_deadline = 1000ms;
    options.retry_period = 100ms;
    return std::make_unique<ShardLeases>(client(), options);
  }

  std::string holder(const std::string& lease) {
    auto got = client_->get({"coordination.k8s.io/v1", "Lease", "ferry", lease});
    return got.ok() ? got->value("/spec/holderIdentity"_json_pointer, std::string()) : "<" + got.status().to_string() + ">";
  }

  // Polls until `done` holds; the bound only stops a hang (no timing is asserted).
  template <class F>
  bool eventually(F done) {
    for (int i = 0; i < 300 && !done(); ++i) std::this_thread::sleep_for(50ms);
    return done();
  }

  std::unique_ptr<kube::sim::ApiServer> sim_;
  std::shared_ptr<kube::Client> client_;
};

TEST(ShardOf, IsStableAndSpreadsNamesOverEveryShard) {
  EXPECT_EQ(shard_of("guestbook", 1), 0);
  EXPECT_EQ(shard_of("guestbook", 7), shard_of("guestbook", 7));
  std::map<int, int> counts;
  for (int i = 0; i < 3000; ++i) ++counts[shard_of("app-" + std::to_string(i), 3)];
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [shard, count] : counts) {
    EXPECT_GT(count, 800) << shard;  // about 1,000 each
    EXPECT_LT(count, 1200) << shard;
  }
}

TEST(DefaultIdentity, IsALeaseNameFriendlyPodNameWithARandomSuffix) {
  setenv("POD_NAME", "Ferry_Controller.0", 1);
  std::string a = default_identity(), b = default_identity();
  unsetenv("POD_NAME");
  EXPECT_EQ(a.rfind("ferry-controller-0-", 0), 0u) << a;
  EXPECT_NE(a, b);
}

TEST_F(ShardLeasesTest, RefusesTimingsThatCouldLetTwoHoldersOverlap) {
  LeaseOptions options;
  options.identity = "a";
  options.renew_deadline = 20s;  // longer than the lease: a holder could keep working after expiry
  ShardLeases leases(client_, options);
  Status started = leases.start({});
  EXPECT_TRUE(started.is(Reason::kInvalid)) << started.to_string();
  options.renew_deadline = 10s;
  options.identity = "Not A Name";
  ShardLeases badly_named(client_, options);
  EXPECT_TRUE(badly_named.start({}).is(Reason::kInvalid));
}

TEST_F(ShardLeasesTest, OneLeaderAtATimeAndTheStandbyTakesOverWhenTheLeaderStopsRenewing) {
  auto a = replica("replica-a", 1);
  std::atomic<int> a_acquired{0}, b_acquired{0};
  ASSERT_TRUE(a->start({[&](int) { ++a_acquired; }, nullptr, nullptr}).ok());
  EXPECT_TRUE(a->owns_shard(0));  // the first round runs in start()
  EXPECT_EQ(holder("ferry-controller-leader"), "replica-a");
  auto b = replica("replica-b", 1);
  ASSERT_TRUE(b->start({[&](int) { ++b_acquired; }, nullptr, nullptr}).ok());
  std::this_thread::sleep_for(500ms);  // several rounds: the standby must not take a live Lease
  EXPECT_FALSE(b->owns_shard(0));
  EXPECT_FALSE(b->owns_app("anything"));
  EXPECT_EQ(b_acquired, 0);
  EXPECT_NE(b->metrics_text().find("ferry_leader 0"), std::string::npos);
  EXPECT_NE(a->metrics_text().find("ferry_leader 1"), std::string::npos);

  // A stops: stop() clears the holder, so the standby takes over without waiting for expiry.
  a.reset();
  ASSERT_TRUE(eventually([&] { return b->owns_shard(0); }));
  EXPECT_EQ(holder("ferry-controller-leader"), "replica-b");
  EXPECT_EQ(b_acquired, 1);
}

TEST_F(ShardLeasesTest, AnUnrenewedLeaseIsTakenOverOnlyAfterItExpires) {
  // A Lease left by a replica that died: holder set, never renewed again.
  auto stale = client_->create({{"apiVersion", "coordination.k8s.io/v1"},
                                {"kind", "Lease"},
                                {"metadata", {{"name", "ferry-controller-leader"}, {"namespace", "ferry"},
                                              {"labels", {{"ferry.dev/lease-group", "ferry-controller"}}}}},
                                {"spec", {{"holderIdentity", "dead-replica"}, {"leaseDurationSeconds", 1}}}});
  ASSERT_TRUE(stale.ok()) << stale.status().to_string();
  auto b = replica("replica-b", 1);
  ASSERT_TRUE(b->start({}).ok());
  EXPECT_FALSE(b->owns_shard(0));  // just seen: it counts as alive for one lease duration
  ASSERT_TRUE(eventually([&] { return b->owns_shard(0); }));
  auto lease = client_->get({"coordination.k8s.io/v1", "Lease", "ferry", "ferry-controller-leader"});
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"].value("holderIdentity", ""), "replica-b");
  EXPECT_EQ((*lease)["spec"].value("leaseTransitions", 0), 1);
}

TEST_F(ShardLeasesTest, ShardsSpreadEvenlyAndRebalanceWhenReplicasJoinAndLeave) {
  std::map<std::string, std::unique_ptr<ShardLeases>> replicas;
  auto total_held = [&] {
    size_t n = 0;
    for (auto& [id, r] : replicas) n += r->held().size();
    return n;
  };
  std::atomic<bool> busy{true};  // r1 has operations running: it hands shards over only after
  replicas["r1"] = replica("r1", 6);
  ASSERT_TRUE(replicas["r1"]->start({nullptr, [&](int) { return busy.load(); }, nullptr}).ok());
  ASSERT_TRUE(eventually([&] { return replicas["r1"]->held().size() == 6; }));

  // Two more join: each ends with its even share, and no shard is ever held twice.
  for (const char* id : {"r2", "r3"}) {
    replicas[id] = replica(id, 6);
    ASSERT_TRUE(replicas[id]->start({}).ok());
  }
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(replicas["r1"]->held().size(), 6u) << "a busy shard was handed over";
  busy = false;
  ASSERT_TRUE(eventually([&] {
    for (auto& [id, r] : replicas) {
      if (r->held().size() != 2) return false;
    }
    return true;
  }));
  std::set<int> all;
  for (auto& [id, r] : replicas) {
    for (int s : r->held()) EXPECT_TRUE(all.insert(s).second) << "shard " << s << " held twice";
  }
  EXPECT_EQ(all.size(), 6u);
  for (int s = 0; s < 6; ++s) {
    std::string h = holder("ferry-controller-shard-" + std::to_string(s));
    ASSERT_TRUE(replicas.count(h)) << h;
    EXPECT_TRUE(replicas[h]->owns_shard(s));
  }
  EXPECT_NE(replicas["r2"]->metrics_text().find("ferry_replicas 3"), std::string::npos);

  // One leaves: the two others adopt its shards.
  replicas.erase("r2");
  ASSERT_TRUE(eventually([&] { return total_held() == 6 && replicas["r1"]->held().size() == 3; }));
  EXPECT_EQ(replicas["r3"]->held().size(), 3u);
}

}  // namespace
}  // namespace ferry::controller
