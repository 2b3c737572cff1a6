// RepoCache: Ferry's local copies of git repositories. One bare mirror per normalised repository
// URL lives under <data_dir>/repos/; refresh() asks the remote for its refs (a cheap ls-remote)
// and fetches only when they differ from the mirror, so a quiet repository costs one round trip.
// Concurrent refresh() calls for one repository share a single fetch. A failed fetch leaves the
// mirror as it was: the last good state stays resolvable and checkout-able.
//
// Example:
//   RepoCache cache("/var/lib/ferry");
//   auto refreshed = cache.refresh({.url = "https://git.example.com/org/config"});
//   auto sha = cache.resolve("https://git.example.com/org/config", "main");
//   auto tree = cache.checkout(url, *sha, {"apps/web"}, CheckoutLimits{});
//   // (*tree)->path("apps/web") is a private copy of apps/web at that commit.
//
// Threads: every method may be called from any thread concurrently. The cache holds no libgit2
// handle between calls.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "apis/types/status.h"
#include "reconciler/source/credentials.h"
#include "reconciler/source/repo_url.h"

namespace ferry::reconciler {

struct RepoRequest {
  std::string url;
  Credentials credentials;
};

// What a commit says about itself, for people reading history (the UI, `ferry app get`).
struct CommitInfo {
  std::string sha;
  std::string author;   // "Name <email>"
  std::string date;     // RFC 3339, UTC
  std::string message;  // the full message
};

struct RemoteRef {
  std::string name;  // refs/heads/main, refs/tags/v1
  std::string sha;   // what the ref points at (the tag object for annotated tags)
};

struct RefreshResult {
  bool fetched = false;          // false when the remote's refs already matched the mirror
  bool shared = false;           // true when this call waited on another caller's fetch
  std::string default_branch;    // the remote HEAD, e.g. refs/heads/main ("" when unknown)
  std::vector<RemoteRef> refs;   // branches and tags as the remote listed them
};

// Bounds on what a checkout may write (DESIGN.md §7: trees leave the repo for no one).
struct CheckoutLimits {
  uint64_t max_file_bytes = 16ull << 20;    // one file
  uint64_t max_total_bytes = 512ull << 20;  // all files written
  uint64_t max_files = 50000;
};

// A private copy of parts of a commit's tree, laid out as in the repository under root().
// The directory (mode 0700) is removed when the WorkTree is destroyed. Not thread-safe.
class WorkTree {
 public:
  WorkTree(std::string dir, std::string commit);
  ~WorkTree();
  WorkTree(const WorkTree&) = delete;
  WorkTree& operator=(const WorkTree&) = delete;

  // The private directory; the repository's root is root(), scratch space is scratch().
  const std::string& dir() const { return dir_; }
  std::string root() const { return dir_ + "/repo"; }
  std::string scratch() const { return dir_ + "/tmp"; }
  // The on-disk path of a repo-relative path ("" is the root).
  std::string path(std::string_view repo_path) const;
  const std::string& commit() const { return commit_; }
  uint64_t files() const { return files_; }
  uint64_t bytes() const { return bytes_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Repo paths that symlinks in the checkout pointed to (copied in as their targets); a change
  // there changes what was checked out.
  const std::vector<std::string>& link_targets() const { return link_targets_; }

 private:
  friend class TreeWriter;
  std::string dir_;
  std::string commit_;
  uint64_t files_ = 0;
  uint64_t bytes_ = 0;
  std::vector<std::string> warnings_;
  std::vector<std::string> link_targets_;
};

class RepoCache {
 public:
  // `data_dir` holds repos/ (mirrors) and work/ (private checkouts); both are created.
  explicit RepoCache(std::string data_dir);
  RepoCache(const RepoCache&) = delete;
  RepoCache& operator=(const RepoCache&) = delete;

  // The remote's branches and tags (ls-remote), without touching the mirror.
  Result<RefreshResult> list_remote(const RepoRequest& request);

  // Brings the mirror up to date with the remote: ls-remote, then a fetch only when a ref
  // differs; deleted branches and tags are pruned, moved tags and force-pushed branches follow
  // the remote. Errors: Unauthorized (bad credentials, unknown host key), Unavailable (server
  // down, network) — in both cases the mirror keeps its previous state.
  Result<RefreshResult> refresh(const RepoRequest& request);

  // A revision as a full commit SHA, from the mirror only (no network): "" or "HEAD" (the
  // remote's default branch), a branch, a tag, a full ref name, or a full or short SHA.
  Result<std::string> resolve(const std::string& url, std::string_view revision);

  // refresh() then resolve(), except that a full SHA already in the mirror needs no network.
  Result<std::string> resolve_fresh(const RepoRequest& request, std::string_view revision);

  // Writes the given repo-relative paths (directories or files; "" = everything) of `commit`
  // into a private work dir. Refused with a named error (see repo_path.h): symlinks whose target
  // leaves the repository, bad entry names, a file over max_file_bytes, more than max_files
  // files or max_total_bytes in all. Symlinks that stay inside are written as copies of their
  // targets, so the work dir holds no links at all.
  Result<std::unique_ptr<WorkTree>> checkout(const std::string& url, const std::string& commit,
                                             const std::vector<std::string>& paths,
                                             const CheckoutLimits& limits = {});

  // A commit's author, date and message, from the mirror only. `revision` as for resolve().
  Result<CommitInfo> commit_info(const std::string& url, std::string_view revision);

  // Did anything under any of `paths` change between two commits? Compares tree ids, so it
  // costs a few object reads however large the repository.
  Result<bool> paths_changed(const std::string& url, const std::string& from_commit,
                             const std::string& to_commit, const std::vector<std::string>& paths);

  // Whether `path` exists in `commit` and what it is: "tree", "blob", "link", or "" if absent.
  Result<std::string> path_kind(const std::string& url, const std::string& commit,
                                const std::string& path);

  // The names of the entries directly in directory `path` of `commit` (one object read);
  // NotFound when `path` is not a directory there. Symlinked directories are followed inside
  // the repository.
  Result<std::vector<std::string>> list_dir(const std::string& url, const std::string& commit,
                                            const std::string& path);

  // The mirror's directory for a URL (whether or not it exists yet).
  Result<std::string> mirror_path(const std::string& url) const;

  // How many fetches (downloads) have run since construction; for tests and metrics.
  uint64_t fetch_count() const { return fetches_.load(); }
  uint64_t remote_listings() const { return listings_.load(); }

 private:
  struct Entry {
    std::mutex mu;
    bool running = false;
    std::shared_future<Result<RefreshResult>> inflight;
  };
  std::shared_ptr<Entry> entry_for(const std::string& key);
  Result<RefreshResult> do_refresh(const RepoUrl& url, const RepoRequest& request, bool fetch);

  std::string data_dir_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::atomic<uint64_t> fetches_{0};
  std::atomic<uint64_t> listings_{0};
};

}  // namespace ferry::reconciler
