// Safe materialisation: what a repository may not make Ferry write or read.
#include <gtest/gtest.h>

#include <filesystem>

#include "reconciler/source/repo_cache.h"
#include "reconciler/source/repo_path.h"
#include "tests/support/git_server.h"
#include "tests/support/process.h"

namespace ferry::reconciler {
namespace {

using ferry::testing::TempDir;
using ferry::testing::UpstreamRepo;
namespace fs = std::filesystem;

class CheckoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<UpstreamRepo>(dir_.path(), "repo");
    upstream_->commit({{"apps/web/cm.yaml", "kind: ConfigMap\n"},
                       {"apps/web/sub/deep.yaml", "deep: 1\n"},
                       {"shared/common.yaml", "common: 1\n"}});
    cache_ = std::make_unique<RepoCache>(dir_.path() + "/data");
    url_ = upstream_->file_url();
  }
  std::string sync() {
    auto sha = cache_->resolve_fresh({url_, {}}, "main");
    EXPECT_TRUE(sha.ok()) << sha.status().to_string();
    return sha.ok() ? *sha : "";
  }

  TempDir dir_;
  std::unique_ptr<UpstreamRepo> upstream_;
  std::unique_ptr<RepoCache> cache_;
  std::string url_;
};

TEST_F(CheckoutTest, WritesOnlyTheRequestedPathIntoAPrivateDir) {
  std::string sha = sync();
  std::string dir;
  {
    auto tree = cache_->checkout(url_, sha, {"apps/web"});
    ASSERT_TRUE(tree.ok()) << tree.status().to_string();
    dir = (*tree)->dir();
    EXPECT_TRUE(fs::exists((*tree)->path("apps/web/cm.yaml")));
    EXPECT_TRUE(fs::exists((*tree)->path("apps/web/sub/deep.yaml")));
    EXPECT_FALSE(fs::exists((*tree)->path("shared/common.yaml")));
    EXPECT_EQ((*tree)->files(), 2u);
    EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);
  }
  EXPECT_FALSE(fs::exists(dir));  // removed with the WorkTree
}

TEST_F(CheckoutTest, SymlinkEscapingTheRepositoryIsRefused) {
  upstream_->symlink("apps/web/passwd", "../../../../../../etc/passwd");
  std::string sha = sync();
  auto tree = cache_->checkout(url_, sha, {"apps/web"});
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(refusal_name(tree.status()), kSymlinkEscape) << tree.status().to_string();
  EXPECT_TRUE(tree.status().is(Reason::kForbidden));
}

TEST_F(CheckoutTest, AbsoluteSymlinkIsRefused) {
  upstream_->symlink("apps/web/hosts", "/etc/hosts");
  auto tree = cache_->checkout(url_, sync(), {"apps/web"});
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(refusal_name(tree.status()), kSymlinkEscape) << tree.status().to_string();
}

TEST_F(CheckoutTest, DirectorySymlinkEscapeThroughTheAppPathIsRefused) {
  upstream_->symlink("apps/evil", "../..");
  auto tree = cache_->checkout(url_, sync(), {"apps/evil"});
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(refusal_name(tree.status()), kSymlinkEscape) << tree.status().to_string();
}

TEST_F(CheckoutTest, SymlinksInsideTheRepositoryAreCopiedAsTheirTargets) {
  upstream_->symlink("apps/web/common.yaml", "../../shared/common.yaml");
  upstream_->symlink("apps/web/shared", "../../shared");
  auto tree = cache_->checkout(url_, sync(), {"apps/web"});
  ASSERT_TRUE(tree.ok()) << tree.status().to_string();
  std::string file = (*tree)->path("apps/web/common.yaml");
  EXPECT_FALSE(fs::is_symlink(file));
  EXPECT_EQ(ferry::testing::read_file(file), "common: 1\n");
  EXPECT_EQ(ferry::testing::read_file((*tree)->path("apps/web/shared/common.yaml")), "common: 1\n");
  EXPECT_EQ((*tree)->link_targets().size(), 2u);
}

TEST_F(CheckoutTest, SymlinkToItsOwnParentIsRefused) {
  upstream_->symlink("apps/web/loop", ".");
  auto tree = cache_->checkout(url_, sync(), {"apps/web"});
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(refusal_name(tree.status()), kSymlinkEscape) << tree.status().to_string();
}

TEST_F(CheckoutTest, HugeFileIsRefused) {
  upstream_->commit({{"apps/web/huge.yaml", std::string(3 << 20, 'x')}});
  CheckoutLimits limits;
  limits.max_file_bytes = 1 << 20;
  auto tree = cache_->checkout(url_, sync(), {"apps/web"}, limits);
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(refusal_name(tree.status()), kFileTooLarge) << tree.status().to_string();
}

TEST_F(CheckoutTest, TreeSizeAndFileCountLimits) {
  std::map<std::string, std::string> files;
  for (int i = 0; i < 30; ++i) files["apps/web/many/f" + std::to_string(i) + ".yaml"] = std::string(1000, 'y');
  upstream_->commit(files);
  std::string sha = sync();
  CheckoutLimits few;
  few.max_files = 10;
  auto a = cache_->checkout(url_, sha, {"apps/web"}, few);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(refusal_name(a.status()), kTooManyFiles) << a.status().to_string();
  CheckoutLimits small;
  small.max_total_bytes = 10000;
  auto b = cache_->checkout(url_, sha, {"apps/web"}, small);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(refusal_name(b.status()), kTreeTooLarge) << b.status().to_string();
}

TEST_F(CheckoutTest, TraversingAppPathsAreRefused) {
  std::string sha = sync();
  for (const char* path : {"../", "apps/../../etc", "/etc", "apps/web/../.."}) {
    auto tree = cache_->checkout(url_, sha, {path});
    ASSERT_FALSE(tree.ok()) << path;
    EXPECT_EQ(refusal_name(tree.status()), kPathTraversal) << path << ": " << tree.status().to_string();
  }
  auto missing = cache_->checkout(url_, sha, {"apps/nope"});
  EXPECT_TRUE(missing.status().is(Reason::kNotFound));
}

}  // namespace
}  // namespace ferry::reconciler
