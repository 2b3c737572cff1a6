// Small RAII wrappers over libgit2 handles, and the one place libgit2 is initialised and its
// errors become Status values. Internal to reconciler/source; nothing above this layer sees
// libgit2 (DESIGN.md §1). Thread-safe: libgit2 is initialised once; each handle belongs to one
// thread at a time.
#pragma once

#include <git2.h>

#include <memory>
#include <string>
#include <string_view>

#include "apis/types/status.h"

namespace ferry::reconciler::git {

// Initialises libgit2 once per process (never shut down: mirrors outlive any one cache).
void ensure_initialized();

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
using Repository = std::unique_ptr<git_repository, Deleter<git_repository, git_repository_free>>;
using Remote = std::unique_ptr<git_remote, Deleter<git_remote, git_remote_free>>;
using Object = std::unique_ptr<git_object, Deleter<git_object, git_object_free>>;
using Commit = std::unique_ptr<git_commit, Deleter<git_commit, git_commit_free>>;
using Tree = std::unique_ptr<git_tree, Deleter<git_tree, git_tree_free>>;
using TreeEntry = std::unique_ptr<git_tree_entry, Deleter<git_tree_entry, git_tree_entry_free>>;
using Blob = std::unique_ptr<git_blob, Deleter<git_blob, git_blob_free>>;
using Reference = std::unique_ptr<git_reference, Deleter<git_reference, git_reference_free>>;
using Odb = std::unique_ptr<git_odb, Deleter<git_odb, git_odb_free>>;

// The last libgit2 error as text ("<what>: <libgit2 message>").
std::string last_error(std::string_view what);
// A Status for a failed libgit2 call: NotFound for GIT_ENOTFOUND, Internal otherwise.
Status error_status(int rc, std::string_view what);

std::string oid_hex(const git_oid& oid);

Result<Repository> open(const std::string& path);
// The commit `sha` names (full hex), peeled through tags.
Result<Commit> lookup_commit(git_repository* repo, std::string_view sha);

}  // namespace ferry::reconciler::git
