// The matching rules as tables: repository spellings, target revisions, path filters and
// Argo CD's manifest-generate-paths annotation.
#include "webhook/match.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ferry::webhook {
namespace {

using ::testing::ElementsAre;

PushEvent event_for(std::string ref, std::string default_branch = "", std::vector<std::string> files = {},
                    bool files_known = false) {
  PushEvent e;
  e.repo_urls = {"https://github.com/Org/Repo", "git@github.com:Org/Repo.git"};
  e.ref = std::move(ref);
  e.default_branch = std::move(default_branch);
  e.changed_files = std::move(files);
  e.files_known = files_known;
  return e;
}

// --- repository ----------------------------------------------------------------------------------

TEST(RepoIdentityTest, SpellingsOfOneRepositoryAgree) {
  const char* canonical = "https://github.com/org/repo";
  for (const char* spelling : {
           "https://github.com/org/repo",
           "https://GitHub.com/Org/Repo",
           "https://github.com/org/repo.git",
           "https://github.com/org/repo/",
           "http://github.com/org/repo",
           "https://token:x-oauth@github.com/org/repo.git",
           "https://github.com:443/org/repo",
           "git@github.com:Org/Repo.git",
           "ssh://git@github.com/org/repo.git",
           "ssh://git@github.com:22/org/repo",
           "git://github.com/org/repo.git",
       }) {
    EXPECT_TRUE(same_repository(spelling, canonical)) << spelling;
  }
  EXPECT_EQ(repo_identity("git@github.com:Org/Repo.git"), "github.com/org/repo");
}

TEST(RepoIdentityTest, SelfHostedSshPortsDoNotSplitARepository) {
  // Gitea and Bitbucket Server serve ssh on their own port next to https.
  EXPECT_TRUE(same_repository("ssh://gitea@localhost:2222/gitea/webhooks.git", "http://localhost:3000/gitea/webhooks"));
  EXPECT_TRUE(same_repository("ssh://git@[::1]:2222/a/b.git", "https://[::1]/a/b"));
}

TEST(RepoIdentityTest, DifferentRepositoriesDiffer) {
  EXPECT_FALSE(same_repository("https://github.com/org/repo", "https://github.com/org/repo2"));
  EXPECT_FALSE(same_repository("https://github.com/org/repo", "https://github.com/other/repo"));
  EXPECT_FALSE(same_repository("https://github.com/org/repo", "https://gitlab.com/org/repo"));
  EXPECT_FALSE(same_repository("https://github.com/org/repo", "https://github.com/org/repo/sub"));
  EXPECT_FALSE(same_repository("not a url", "not a url"));  // unparseable never matches, even itself
  EXPECT_EQ(repo_identity(""), std::nullopt);
  EXPECT_EQ(repo_identity("ftp://example.com/x"), std::nullopt);
}

TEST(RepositoryMatchesTest, AnyUrlTheEventNamesWillDo) {
  PushEvent e = event_for("refs/heads/main");
  EXPECT_TRUE(repository_matches(e, "ssh://git@github.com/org/repo"));
  EXPECT_TRUE(repository_matches(e, "https://github.com/ORG/REPO.git"));
  EXPECT_FALSE(repository_matches(e, "https://github.com/org/other"));
  EXPECT_FALSE(repository_matches(e, ""));
}

// --- revision ------------------------------------------------------------------------------------

struct RevisionCase {
  const char* ref;
  const char* default_branch;
  const char* target_revision;
  bool matches;
};

class RevisionMatchesTest : public ::testing::TestWithParam<RevisionCase> {};

TEST_P(RevisionMatchesTest, Table) {
  const RevisionCase& c = GetParam();
  EXPECT_EQ(revision_matches(event_for(c.ref, c.default_branch), c.target_revision), c.matches)
      << "ref=" << c.ref << " default=" << c.default_branch << " targetRevision=" << c.target_revision;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, RevisionMatchesTest,
    ::testing::Values(
        // HEAD and "" follow the default branch when the payload names it...
        RevisionCase{"refs/heads/main", "main", "HEAD", true},
        RevisionCase{"refs/heads/main", "main", "", true},
        RevisionCase{"refs/heads/dev", "main", "HEAD", false},
        RevisionCase{"refs/heads/main", "refs/heads/main", "HEAD", true},
        // ... and any branch when it does not; never a tag.
        RevisionCase{"refs/heads/dev", "", "HEAD", true},
        RevisionCase{"refs/tags/v1", "", "HEAD", false},
        RevisionCase{"refs/tags/v1", "main", "", false},
        // Branches, by short or full name.
        RevisionCase{"refs/heads/main", "main", "main", true},
        RevisionCase{"refs/heads/main", "main", "refs/heads/main", true},
        RevisionCase{"refs/heads/main", "main", "dev", false},
        RevisionCase{"refs/heads/release/1.x", "", "release/1.x", true},
        RevisionCase{"refs/heads/main-old", "", "main", false},
        RevisionCase{"refs/heads/Main", "", "main", false},
        // Tags, by short or full name.
        RevisionCase{"refs/tags/v1.2.0", "main", "v1.2.0", true},
        RevisionCase{"refs/tags/v1.2.0", "main", "refs/tags/v1.2.0", true},
        RevisionCase{"refs/tags/v1.2.0", "main", "refs/heads/v1.2.0", false},
        RevisionCase{"refs/heads/v1.2.0", "main", "refs/tags/v1.2.0", false},
        RevisionCase{"refs/tags/v1.2.0", "main", "v1.2.1", false},
        // A full commit SHA is pinned: no push moves it.
        RevisionCase{"refs/heads/main", "main", "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", false},
        RevisionCase{"refs/heads/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", "",
                     "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", false},
        // A short hex string may be a branch name.
        RevisionCase{"refs/heads/cafe123", "", "cafe123", true}));

// --- paths ---------------------------------------------------------------------------------------

struct PathsCase {
  std::vector<std::string> files;
  std::vector<std::string> paths;
  bool matches;
};

class PathsMatchTest : public ::testing::TestWithParam<PathsCase> {};

TEST_P(PathsMatchTest, KnownFilesTable) {
  const PathsCase& c = GetParam();
  EXPECT_EQ(paths_match(event_for("refs/heads/main", "main", c.files, true), c.paths), c.matches)
      << ::testing::PrintToString(c.files) << " under " << ::testing::PrintToString(c.paths);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, PathsMatchTest,
    ::testing::Values(PathsCase{{"apps/guestbook/deployment.yaml"}, {"apps/guestbook"}, true},
                      PathsCase{{"apps/guestbook/deep/er/x.yaml"}, {"apps/guestbook"}, true},
                      PathsCase{{"apps/guestbook2/x.yaml"}, {"apps/guestbook"}, false},  // a sibling, not a child
                      PathsCase{{"apps/other/x.yaml", "README.md"}, {"apps/guestbook"}, false},
                      PathsCase{{"README.md"}, {""}, true},
                      PathsCase{{"README.md"}, {"."}, true},
                      PathsCase{{"README.md"}, {}, true},
                      PathsCase{{"apps/guestbook"}, {"apps/guestbook"}, true},  // the path itself (a file)
                      PathsCase{{"apps/guestbook/x.yaml"}, {"./apps/guestbook/"}, true},
                      PathsCase{{"/apps/guestbook/x.yaml"}, {"apps//guestbook"}, true},
                      PathsCase{{"shared/base.yaml"}, {"apps/guestbook", "shared"}, true},
                      PathsCase{{}, {"apps/guestbook"}, false}));

TEST(PathsMatchTest, UnknownFilesAlwaysMatch) {
  PushEvent e = event_for("refs/heads/main", "main", {}, false);
  EXPECT_TRUE(paths_match(e, {"apps/guestbook"}));
  e.changed_files = {"README.md"};  // stale list on an unknown-files event is not trusted either
  EXPECT_TRUE(paths_match(e, {"apps/guestbook"}));
}

// --- manifest-generate-paths ---------------------------------------------------------------------

TEST(WatchPathsTest, ResolvesAnnotationEntries) {
  EXPECT_THAT(watch_paths("apps/web", ""), ElementsAre("apps/web"));
  EXPECT_THAT(watch_paths("apps/web", "."), ElementsAre("apps/web"));
  EXPECT_THAT(watch_paths("apps/web", "../shared;/charts/common"), ElementsAre("apps/web", "apps/shared", "charts/common"));
  EXPECT_THAT(watch_paths("./apps/web/", " ../../base ; ; values "), ElementsAre("apps/web", "base", "apps/web/values"));
  EXPECT_THAT(watch_paths("", "/"), ElementsAre(""));
  // Climbing above the root stands for the whole repository.
  EXPECT_THAT(watch_paths("apps/web", "../../../x"), ElementsAre("apps/web", ""));
}

TEST(WatchPathsTest, AbsoluteAndRelativeEntriesDecideMatching) {
  AppSource app{"web", "https://github.com/org/repo", "main", watch_paths("apps/web", "../shared;/charts")};
  auto with_file = [](std::string file) {
    PushEvent e = event_for("refs/heads/main", "main", {std::move(file)}, true);
    return e;
  };
  EXPECT_TRUE(push_matches(with_file("apps/web/deployment.yaml"), app));
  EXPECT_TRUE(push_matches(with_file("apps/shared/configmap.yaml"), app));  // relative entry
  EXPECT_TRUE(push_matches(with_file("charts/Chart.yaml"), app));           // absolute entry
  EXPECT_FALSE(push_matches(with_file("shared/configmap.yaml"), app));      // "/shared" was not listed
  EXPECT_FALSE(push_matches(with_file("apps/api/deployment.yaml"), app));
}

// --- all together --------------------------------------------------------------------------------

TEST(PushMatchesTest, NeedsRepositoryRevisionAndPaths) {
  PushEvent e = event_for("refs/heads/main", "main", {"apps/web/x.yaml"}, true);
  AppSource app{"web", "git@github.com:org/repo.git", "HEAD", {"apps/web"}};
  EXPECT_TRUE(push_matches(e, app));

  AppSource other_repo = app;
  other_repo.repo_url = "https://github.com/org/elsewhere";
  EXPECT_FALSE(push_matches(e, other_repo));

  AppSource pinned = app;
  pinned.target_revision = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
  EXPECT_FALSE(push_matches(e, pinned));

  AppSource other_path = app;
  other_path.paths = {"apps/api"};
  EXPECT_FALSE(push_matches(e, other_path));
  e.files_known = false;
  EXPECT_TRUE(push_matches(e, other_path));  // unknown files: the controller decides from git
}

}  // namespace
}  // namespace ferry::webhook
