// RepoCache against real git servers on loopback: git daemon (git://), smart HTTP with basic
// auth (git http-backend) and file://.
#include "reconciler/source/repo_cache.h"

#include <gtest/gtest.h>

#include <thread>

#include "reconciler/source/repo_path.h"
#include "tests/support/git_server.h"
#include "tests/support/process.h"

namespace ferry::reconciler {
namespace {

using ferry::testing::GitDaemon;
using ferry::testing::GitHttpServer;
using ferry::testing::TempDir;
using ferry::testing::UpstreamRepo;

class RepoCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<UpstreamRepo>(dir_.path(), "config");
    first_ = upstream_->commit({{"apps/web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}},
                               "first");
    cache_ = std::make_unique<RepoCache>(dir_.path() + "/data");
  }
  std::string srv() const { return dir_.path() + "/srv"; }

  TempDir dir_;
  std::unique_ptr<UpstreamRepo> upstream_;
  std::unique_ptr<RepoCache> cache_;
  std::string first_;
};

TEST_F(RepoCacheTest, ResolvesBranchTagHeadAndShasOverFile) {
  upstream_->tag("v1");
  upstream_->tag("v1-annotated", "HEAD", /*annotated=*/true);
  std::string second = upstream_->commit({{"apps/web/extra.yaml", "a: b\n"}});
  upstream_->create_branch("feature");
  RepoRequest req{upstream_->file_url(), {}};
  auto refreshed = cache_->refresh(req);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().to_string();
  EXPECT_TRUE(refreshed->fetched);
  EXPECT_EQ(refreshed->default_branch, "refs/heads/main");

  EXPECT_EQ(*cache_->resolve(req.url, "main"), second);
  EXPECT_EQ(*cache_->resolve(req.url, "HEAD"), second);
  EXPECT_EQ(*cache_->resolve(req.url, ""), second);
  EXPECT_EQ(*cache_->resolve(req.url, "feature"), second);
  EXPECT_EQ(*cache_->resolve(req.url, "refs/heads/main"), second);
  EXPECT_EQ(*cache_->resolve(req.url, "v1"), first_);
  EXPECT_EQ(*cache_->resolve(req.url, "v1-annotated"), first_);  // peeled through the tag object
  EXPECT_EQ(*cache_->resolve(req.url, first_), first_);
  EXPECT_EQ(*cache_->resolve(req.url, first_.substr(0, 8)), first_);
  auto missing = cache_->resolve(req.url, "no-such-branch");
  EXPECT_TRUE(missing.status().is(Reason::kNotFound)) << missing.status().to_string();
}

TEST_F(RepoCacheTest, SpellingsOfOneUrlShareOneMirror) {
  auto a = cache_->mirror_path("file://" + upstream_->bare_path());
  auto b = cache_->mirror_path(upstream_->bare_path() + "/");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST_F(RepoCacheTest, GitDaemonSeesNewCommitsAndSkipsFetchWhenQuiet) {
  GitDaemon daemon(srv());
  ASSERT_TRUE(daemon.start());
  RepoRequest req{daemon.url("config"), {}};
  auto sha = cache_->resolve_fresh(req, "main");
  ASSERT_TRUE(sha.ok()) << sha.status().to_string();
  EXPECT_EQ(*sha, first_);
  EXPECT_EQ(cache_->fetch_count(), 1u);

  // Nothing changed: the ref listing matches, no fetch.
  auto quiet = cache_->refresh(req);
  ASSERT_TRUE(quiet.ok()) << quiet.status().to_string();
  EXPECT_FALSE(quiet->fetched);
  EXPECT_EQ(cache_->fetch_count(), 1u);

  std::string second = upstream_->commit({{"apps/web/cm.yaml", "changed: true\n"}});
  auto next = cache_->resolve_fresh(req, "main");
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_EQ(*next, second);
  EXPECT_EQ(cache_->fetch_count(), 2u);

  // A full SHA already in the mirror needs no network at all.
  uint64_t listings = cache_->remote_listings();
  EXPECT_EQ(*cache_->resolve_fresh(req, first_), first_);
  EXPECT_EQ(cache_->remote_listings(), listings);
}

TEST_F(RepoCacheTest, ForcePushDeletedBranchAndMovedTagFollowTheRemote) {
  GitDaemon daemon(srv());
  ASSERT_TRUE(daemon.start());
  RepoRequest req{daemon.url("config"), {}};
  std::string second = upstream_->commit({{"a.yaml", "x: 1\n"}});
  upstream_->tag("release");
  upstream_->tag("signed", "HEAD", /*annotated=*/true);
  upstream_->create_branch("doomed");
  ASSERT_TRUE(cache_->refresh(req).ok());
  EXPECT_EQ(*cache_->resolve(req.url, "main"), second);
  EXPECT_EQ(*cache_->resolve(req.url, "release"), second);
  EXPECT_EQ(*cache_->resolve(req.url, "doomed"), second);

  // Rewritten history: main's tip is replaced by an unrelated commit.
  std::string rewritten = upstream_->rewrite_last_commit({{"a.yaml", "x: 2\n"}});
  ASSERT_NE(rewritten, second);
  // Tags moved to other commits, the branch deleted.
  upstream_->tag("release", first_);
  upstream_->tag("signed", rewritten, /*annotated=*/true);
  upstream_->delete_branch("doomed");

  auto refreshed = cache_->refresh(req);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().to_string();
  EXPECT_EQ(*cache_->resolve(req.url, "main"), rewritten);
  EXPECT_EQ(*cache_->resolve(req.url, "release"), first_);
  EXPECT_EQ(*cache_->resolve(req.url, "signed"), rewritten);
  auto gone = cache_->resolve(req.url, "doomed");
  EXPECT_TRUE(gone.status().is(Reason::kNotFound)) << gone.status().to_string();
  // The old commit is still readable by SHA (rollback to what ran before a force-push).
  EXPECT_EQ(*cache_->resolve(req.url, second), second);
}

TEST_F(RepoCacheTest, DefaultBranchChangeMovesHead) {
  RepoRequest req{upstream_->file_url(), {}};
  ASSERT_TRUE(cache_->refresh(req).ok());
  upstream_->git({"checkout", "-q", "-b", "trunk"});
  upstream_->checkout("trunk");
  std::string trunk = upstream_->commit({{"t.yaml", "t: 1\n"}});
  ferry::testing::run_command({"git", "--git-dir", upstream_->bare_path(), "symbolic-ref", "HEAD", "refs/heads/trunk"});
  ASSERT_TRUE(cache_->refresh(req).ok());
  EXPECT_EQ(*cache_->resolve(req.url, "HEAD"), trunk);
  EXPECT_EQ(*cache_->resolve(req.url, "main"), first_);
}

TEST_F(RepoCacheTest, ServerDownIsAnErrorAndTheLastGoodStateStays) {
  int port = ferry::testing::free_loopback_port();
  auto daemon = std::make_unique<GitDaemon>(srv());
  ASSERT_TRUE(daemon->start(port));
  RepoRequest req{daemon->url("config"), {}};
  ASSERT_TRUE(cache_->refresh(req).ok());
  daemon->stop();
  upstream_->commit({{"new.yaml", "n: 1\n"}});

  auto down = cache_->refresh(req);
  ASSERT_FALSE(down.ok());
  EXPECT_TRUE(down.status().is(Reason::kUnavailable)) << down.status().to_string();
  auto fresh = cache_->resolve_fresh(req, "main");
  EXPECT_TRUE(fresh.status().is(Reason::kUnavailable));
  // The mirror still answers with what it had.
  EXPECT_EQ(*cache_->resolve(req.url, "main"), first_);
  auto tree = cache_->checkout(req.url, first_, {"apps/web"});
  ASSERT_TRUE(tree.ok()) << tree.status().to_string();
  EXPECT_EQ(ferry::testing::read_file((*tree)->path("apps/web/cm.yaml")),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n");

  // Back up: the next refresh catches up.
  GitDaemon again(srv());
  ASSERT_TRUE(again.start(port));
  auto back = cache_->resolve_fresh(req, "main");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, upstream_->head());
}

TEST_F(RepoCacheTest, SmartHttpWithBasicAuth) {
  GitHttpServer server(srv(), "ferry", "s3cret-token");
  ASSERT_TRUE(server.start());
  RepoRequest good{server.url("config"), {}};
  good.credentials.username = "ferry";
  good.credentials.password = "s3cret-token";
  auto sha = cache_->resolve_fresh(good, "main");
  ASSERT_TRUE(sha.ok()) << sha.status().to_string();
  EXPECT_EQ(*sha, first_);
  int posts = server.upload_pack_posts();
  EXPECT_GE(posts, 1);

  // Quiet remote: one ref listing, no upload-pack POST.
  auto quiet = cache_->refresh(good);
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE(quiet->fetched);
  EXPECT_EQ(server.upload_pack_posts(), posts);

  std::string second = upstream_->commit({{"b.yaml", "b: 1\n"}});
  EXPECT_EQ(*cache_->resolve_fresh(good, "main"), second);

  RepoRequest wrong = good;
  wrong.credentials.password = "not-the-token";
  auto denied = cache_->refresh(wrong);
  ASSERT_FALSE(denied.ok());
  EXPECT_TRUE(denied.status().is(Reason::kUnauthorized)) << denied.status().to_string();
  EXPECT_EQ(denied.status().message().find("not-the-token"), std::string::npos);

  RepoRequest none{server.url("config"), {}};
  auto anonymous = cache_->refresh(none);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_TRUE(anonymous.status().is(Reason::kUnauthorized)) << anonymous.status().to_string();
  // Failed attempts left the mirror as it was.
  EXPECT_EQ(*cache_->resolve(good.url, "main"), second);
}

TEST_F(RepoCacheTest, ConcurrentRefreshesShareOneFetch) {
  GitHttpServer server(srv());
  ASSERT_TRUE(server.start());
  server.set_delay_ms(150);
  RepoRequest req{server.url("config"), {}};
  std::vector<std::thread> threads;
  std::vector<Result<RefreshResult>> results(6, Status::Internal("not run"));
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] { results[i] = cache_->refresh(req); });
  }
  for (auto& t : threads) t.join();
  int shared = 0;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    shared += r->shared ? 1 : 0;
  }
  EXPECT_EQ(cache_->fetch_count(), 1u);
  EXPECT_EQ(shared, 5);
  EXPECT_EQ(server.upload_pack_posts(), 1);
}

TEST_F(RepoCacheTest, UnknownRepositoryIsAnError) {
  GitDaemon daemon(srv());
  ASSERT_TRUE(daemon.start());
  auto r = cache_->refresh({daemon.url("missing"), {}});
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.status().message().empty());
}

TEST_F(RepoCacheTest, PathsChangedComparesSubtrees) {
  upstream_->commit({{"apps/api/cm.yaml", "a: 1\n"}});
  std::string before = upstream_->head();
  std::string unrelated = upstream_->commit({{"apps/api/cm.yaml", "a: 2\n"}});
  std::string related = upstream_->commit({{"apps/web/cm.yaml", "w: 2\n"}});
  RepoRequest req{upstream_->file_url(), {}};
  ASSERT_TRUE(cache_->refresh(req).ok());
  EXPECT_FALSE(*cache_->paths_changed(req.url, before, unrelated, {"apps/web"}));
  EXPECT_TRUE(*cache_->paths_changed(req.url, before, unrelated, {"apps/api"}));
  EXPECT_TRUE(*cache_->paths_changed(req.url, before, unrelated, {"apps/web", "apps/api"}));
  EXPECT_TRUE(*cache_->paths_changed(req.url, unrelated, related, {"apps/web"}));
  EXPECT_TRUE(*cache_->paths_changed(req.url, before, related, {""}));
  EXPECT_FALSE(*cache_->paths_changed(req.url, before, related, {"apps/none"}));
}

}  // namespace
}  // namespace ferry::reconciler
