// The simulator's test-bed features, seen through real kubectl: injected faults, statistics,
// watch bookmarks, 410 Gone for an expired watch history, and watch timeouts.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/sim_fixture.h"

namespace ferry::testing {
namespace {

using Json = nlohmann::json;

class SimFeatures : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim.ok()) << sim.error();
    auto r = sim.kubectl({"apply", "--server-side", "-f", "-"},
                         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe, namespace: default}\ndata: {a: b}\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  SimProcess sim{true, 100};
};

TEST_F(SimFeatures, InjectedErrorsHitOnlyTheChosenVerbsUntilReset) {
  Json set = Json::parse(sim.sim_post("/sim/faults", R"({"errorRate":1.0,"errorStatus":503,"verbs":["get"]})"), nullptr, false);
  ASSERT_FALSE(set.is_discarded());
  EXPECT_EQ(set["errorStatus"], 503);
  auto failed = sim.kubectl({"get", "configmap", "probe", "--request-timeout=5s"});
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_NE(failed.err.find("injected fault"), std::string::npos) << failed.err;
  EXPECT_EQ(sim.kubectl({"get", "configmaps"}).exit_code, 0) << "list is not a chosen verb";
  sim.sim_post("/sim/faults", "{}");
  EXPECT_EQ(sim.kubectl({"get", "configmap", "probe"}).exit_code, 0);
}

TEST_F(SimFeatures, ThrottlingAnswers429WithRetryAfter) {
  sim.sim_post("/sim/faults", R"({"throttleRate":1.0,"retryAfterSeconds":2,"verbs":["get"]})");
  auto r = sim.kubectl({"get", "--raw", "/api/v1/namespaces/default/configmaps/probe", "-v=6"});
  sim.sim_post("/sim/faults", "{}");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("429"), std::string::npos) << r.err;
}

TEST_F(SimFeatures, RejectsBadFaultSettings) {
  auto r = sim.kubectl({"create", "--raw", "/sim/faults", "-f", "-"}, R"({"errorRate":3})");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("rates must be within"), std::string::npos) << r.err;
}

TEST_F(SimFeatures, StatsCountRequestsByVerbAndResource) {
  Json before = Json::parse(sim.sim_get("/sim/stats"));
  ASSERT_EQ(sim.kubectl({"get", "configmap", "probe"}).exit_code, 0);
  Json after = Json::parse(sim.sim_get("/sim/stats"));
  auto gets = [](const Json& s) { return s["requests"].value("get", Json::object()).value("configmaps", 0); };
  EXPECT_EQ(gets(after), gets(before) + 1);
  EXPECT_GE(after["objects"].get<int>(), 5);  // 4 namespaces + the probe
  EXPECT_GT(after["bytesOut"].get<int64_t>(), before["bytesOut"].get<int64_t>());
}

TEST_F(SimFeatures, WatchSendsBookmarksAndEndsAtItsTimeout) {
  auto r = sim.kubectl({"get", "--raw",
                        "/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"ADDED\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"BOOKMARK\""), std::string::npos) << r.out;
}

TEST_F(SimFeatures, ExpiredHistoryGivesGoneToAResumingWatch) {
  sim.sim_post("/sim/faults", R"({"expireWatchHistory":true})");
  auto r = sim.kubectl({"get", "--raw",
                        "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=2&timeoutSeconds=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"ERROR\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("410"), std::string::npos) << r.out;
}

TEST_F(SimFeatures, DroppedWatchesEndTheStream) {
  ChildProcess watcher;
  ASSERT_TRUE(watcher.start({kubectl_bin(), "--kubeconfig", sim.kubeconfig(), "get", "--raw",
                             "/api/v1/namespaces/default/configmaps?watch=1"},
                            {{"HOME", sim.dir().path()}}));
  ASSERT_TRUE(watcher.wait_for_output("ADDED", std::chrono::seconds(20))) << watcher.output();
  Json dropped = Json::parse(sim.sim_post("/sim/faults", R"({"dropWatches":true})"));
  EXPECT_GE(dropped["droppedWatches"].get<int>(), 1);
  int status = watcher.wait();
  EXPECT_TRUE(WIFEXITED(status)) << "the watch stream ended, so kubectl exits";
}

}  // namespace
}  // namespace ferry::testing
