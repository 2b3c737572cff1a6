// The Dispatcher's promises: a burst costs one call, the last commit wins, files are unioned,
// nothing arriving mid-round is lost, and only matching apps are refreshed. Ordering is forced
// with a target that holds the worker, never with sleeps.
#include "webhook/dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <thread>

#include "tests/unit/webhook/fixtures.h"

namespace ferry::webhook {
namespace {

using namespace fixtures;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using std::chrono::seconds;

constexpr const char* kRepo = "https://github.com/org/config";
constexpr const char* kMain = "refs/heads/main";

std::vector<std::string> afters(const std::vector<FakeTarget::Push>& pushes) {
  std::vector<std::string> out;
  for (const auto& p : pushes) out.push_back(p.after);
  return out;
}

TEST(DispatcherTest, AThousandPushesToOneRefBecomeOneCallWithTheLastCommit) {
  FakeTarget target({
      {"whole-repo", kRepo, "HEAD", {""}},
      {"web", "git@github.com:org/config.git", "main", {"apps/web"}},
      {"touched-once", kRepo, "main", {"apps/rare"}},
      {"untouched", kRepo, "main", {"apps/never"}},
      {"other-repo", "https://github.com/org/elsewhere", "main", {""}},
      {"other-branch", kRepo, "dev", {""}},
  });
  Dispatcher dispatcher(target);
  for (unsigned i = 0; i < 1000; ++i) {
    std::string file = i == 500 ? "apps/rare/values.yaml" : "apps/web/file-" + std::to_string(i % 7) + ".yaml";
    ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(i), {file})));
  }
  dispatcher.start();
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));

  auto pushes = target.pushes();
  ASSERT_EQ(pushes.size(), 1u);
  EXPECT_EQ(pushes[0].repo_url, kRepo);
  EXPECT_EQ(pushes[0].ref, kMain);
  EXPECT_EQ(pushes[0].after, sha(999));
  EXPECT_EQ(target.apps_calls(), 1);
  EXPECT_THAT(target.refreshed(), UnorderedElementsAre("whole-repo", "web", "touched-once"));
  auto c = dispatcher.counters();
  EXPECT_EQ(c.events_received, 1000u);
  EXPECT_EQ(c.bursts_processed, 1u);
  EXPECT_EQ(c.rounds, 1u);
  EXPECT_EQ(c.apps_refreshed, 3u);
  EXPECT_EQ(c.events_dropped, 0u);
}

TEST(DispatcherTest, PushesArrivingWhileTheRepoIsProcessedAreProcessedAfterwards) {
  FakeTarget target({{"web", kRepo, "main", {"apps/web"}}});
  Dispatcher dispatcher(target);
  target.block_next_push();
  dispatcher.start();
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(1), {"apps/web/a.yaml"})));
  ASSERT_TRUE(target.wait_until_blocked());  // the worker is inside repo_pushed for sha(1)

  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(2), {"apps/web/b.yaml"})));
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(3), {"README.md"})));
  EXPECT_FALSE(dispatcher.wait_idle(std::chrono::milliseconds(0)));  // busy, and more is pending
  target.release();
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));

  EXPECT_THAT(afters(target.pushes()), ElementsAre(sha(1), sha(3)));
  // The second round's files are b.yaml and README.md: b.yaml is under apps/web.
  EXPECT_THAT(target.refreshed(), ElementsAre("web", "web"));
  EXPECT_EQ(dispatcher.counters().rounds, 2u);
  EXPECT_EQ(dispatcher.counters().events_received, 3u);
}

TEST(DispatcherTest, DifferentRefsAndRepositoriesAreSeparateBurstsOfOneRound) {
  FakeTarget target({{"web", kRepo, "HEAD", {}}, {"tagged", kRepo, "v1.0.0", {}}});
  Dispatcher dispatcher(target);
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(1), {}, false)));
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, "refs/tags/v1.0.0", sha(2), {}, false)));
  ASSERT_TRUE(dispatcher.submit(push_event("https://github.com/org/other", kMain, sha(3), {}, false)));
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(4), {}, false)));
  dispatcher.start();
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));

  auto pushes = target.pushes();
  ASSERT_EQ(pushes.size(), 3u);  // in order of each burst's first event
  EXPECT_EQ(pushes[0].ref, kMain);
  EXPECT_EQ(pushes[0].after, sha(4));
  EXPECT_EQ(pushes[1].ref, "refs/tags/v1.0.0");
  EXPECT_EQ(pushes[2].repo_url, "https://github.com/org/other");
  EXPECT_EQ(target.apps_calls(), 1);
  EXPECT_THAT(target.refreshed(), UnorderedElementsAre("web", "tagged"));
}

TEST(DispatcherTest, SpellingsOfOneRepositoryCoalesce) {
  FakeTarget target({{"web", "ssh://git@github.com/org/config", "main", {}}});
  Dispatcher dispatcher(target);
  ASSERT_TRUE(dispatcher.submit(push_event("https://github.com/org/config", kMain, sha(1), {"a"})));
  ASSERT_TRUE(dispatcher.submit(push_event("git@github.com:Org/Config.git", kMain, sha(2), {"b"})));
  dispatcher.start();
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));
  EXPECT_THAT(afters(target.pushes()), ElementsAre(sha(2)));
  EXPECT_THAT(target.refreshed(), ElementsAre("web"));
}

TEST(DispatcherTest, OneEventWithUnknownFilesMakesTheBurstsFilesUnknown) {
  FakeTarget target({{"api", kRepo, "main", {"apps/api"}}});
  Dispatcher dispatcher(target);
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(1), {"apps/web/x.yaml"})));
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(2), {}, false)));  // e.g. a force-push
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(3), {"apps/web/y.yaml"})));
  dispatcher.start();
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));
  EXPECT_THAT(target.refreshed(), ElementsAre("api"));
}

TEST(DispatcherTest, UnrelatedFilesRefreshNothingButStillFetch) {
  FakeTarget target({{"api", kRepo, "main", {"apps/api"}}});
  Dispatcher dispatcher(target);
  dispatcher.start();
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(1), {"docs/README.md"})));
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));
  EXPECT_THAT(afters(target.pushes()), ElementsAre(sha(1)));
  EXPECT_THAT(target.refreshed(), IsEmpty());
}

TEST(DispatcherTest, AnAppMatchedByTwoBurstsIsRefreshedOncePerRound) {
  FakeTarget target({{"everything", kRepo, "HEAD", {}}});
  Dispatcher dispatcher(target);
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, "refs/heads/a", sha(1), {}, false)));
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, "refs/heads/b", sha(2), {}, false)));
  dispatcher.start();
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));
  EXPECT_EQ(target.pushes().size(), 2u);
  EXPECT_THAT(target.refreshed(), ElementsAre("everything"));
}

TEST(DispatcherTest, DeletedRefIsReportedWithAnEmptyCommit) {
  FakeTarget target;
  Dispatcher dispatcher(target);
  PushEvent deleted = push_event(kRepo, "refs/heads/old", "0000000000000000000000000000000000000000", {}, false);
  deleted.deleted = true;
  ASSERT_TRUE(dispatcher.submit(deleted));
  dispatcher.start();
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));
  ASSERT_EQ(target.pushes().size(), 1u);
  EXPECT_EQ(target.pushes()[0].after, "");
}

TEST(DispatcherTest, ConcurrentSubmittersLoseNothing) {
  FakeTarget target;
  Dispatcher dispatcher(target);
  dispatcher.start();
  constexpr int kThreads = 4;
  constexpr unsigned kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&dispatcher, t] {
      std::string repo = "https://git.example.com/team/repo-" + std::to_string(t);
      for (unsigned i = 0; i < kPerThread; ++i) {
        dispatcher.submit(push_event(repo, kMain, sha(static_cast<unsigned>(t) * 1000 + i), {}));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));

  // However the rounds fell, each repository's last call carries its last commit.
  std::map<std::string, std::string> last;
  for (const auto& p : target.pushes()) last[p.repo_url] = p.after;
  ASSERT_EQ(last.size(), static_cast<size_t>(kThreads));
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(last["https://git.example.com/team/repo-" + std::to_string(t)],
              sha(static_cast<unsigned>(t) * 1000 + kPerThread - 1));
  }
  auto c = dispatcher.counters();
  EXPECT_EQ(c.events_received, kThreads * kPerThread);
  EXPECT_EQ(c.bursts_processed, target.pushes().size());
  EXPECT_LE(c.bursts_processed, c.events_received);
}

TEST(DispatcherTest, StopKeepsPendingBurstsForTheNextStart) {
  FakeTarget target;
  Dispatcher dispatcher(target);
  dispatcher.start();
  dispatcher.stop();
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(7), {})));
  EXPECT_FALSE(dispatcher.wait_idle(std::chrono::milliseconds(0)));
  EXPECT_THAT(target.pushes(), IsEmpty());
  dispatcher.start();
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));
  EXPECT_THAT(afters(target.pushes()), ElementsAre(sha(7)));
}

TEST(DispatcherTest, StopLetsTheRoundInProgressFinish) {
  FakeTarget target({{"web", kRepo, "main", {}}});
  Dispatcher dispatcher(target);
  target.block_next_push();
  dispatcher.start();
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(1), {})));
  ASSERT_TRUE(target.wait_until_blocked());
  std::thread stopper([&] { dispatcher.stop(); });
  target.release();
  stopper.join();
  EXPECT_THAT(target.refreshed(), ElementsAre("web"));  // the round completed before stop returned
  EXPECT_EQ(dispatcher.counters().rounds, 1u);
}

TEST(DispatcherTest, FloodOfNewKeysIsBoundedButExistingBurstsStillMerge) {
  FakeTarget target;
  DispatcherOptions options;
  options.max_pending = 2;
  Dispatcher dispatcher(target, options);
  EXPECT_TRUE(dispatcher.submit(push_event(kRepo, "refs/heads/a", sha(1), {})));
  EXPECT_TRUE(dispatcher.submit(push_event(kRepo, "refs/heads/b", sha(2), {})));
  EXPECT_FALSE(dispatcher.submit(push_event(kRepo, "refs/heads/c", sha(3), {})));
  EXPECT_TRUE(dispatcher.submit(push_event(kRepo, "refs/heads/a", sha(4), {})));
  auto c = dispatcher.counters();
  EXPECT_EQ(c.events_received, 3u);
  EXPECT_EQ(c.events_dropped, 1u);
  dispatcher.start();
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));
  EXPECT_THAT(afters(target.pushes()), ElementsAre(sha(4), sha(2)));
}

TEST(DispatcherTest, EventsWithoutRepositoryOrRefAreRefused) {
  FakeTarget target;
  Dispatcher dispatcher(target);
  PushEvent no_url = push_event(kRepo, kMain, sha(1), {});
  no_url.repo_urls.clear();
  EXPECT_FALSE(dispatcher.submit(no_url));
  EXPECT_FALSE(dispatcher.submit(push_event(kRepo, "", sha(1), {})));
  EXPECT_EQ(dispatcher.counters().events_dropped, 2u);
  EXPECT_EQ(dispatcher.counters().events_received, 0u);
}

TEST(DispatcherTest, ATargetThatThrowsDoesNotStopTheWorker) {
  FakeTarget target({{"web", kRepo, "main", {}}});
  target.throw_once_in_apps();
  Dispatcher dispatcher(target);
  dispatcher.start();
  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(1), {})));
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));
  EXPECT_EQ(dispatcher.counters().target_errors, 1u);
  EXPECT_THAT(target.refreshed(), IsEmpty());  // no apps that round, but the fetch still went out
  EXPECT_EQ(target.pushes().size(), 1u);

  ASSERT_TRUE(dispatcher.submit(push_event(kRepo, kMain, sha(2), {})));
  ASSERT_TRUE(dispatcher.wait_idle(seconds(30)));
  EXPECT_THAT(target.refreshed(), ElementsAre("web"));
}

}  // namespace
}  // namespace ferry::webhook
