#include "reconciler/source/git_handle.h"

#include <mutex>

namespace ferry::reconciler::git {

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

std::string last_error(std::string_view what) {
  const git_error* e = git_error_last();
  std::string message(what);
  if (e && e->message) message += std::string(": ") + e->message;
  return message;
}

Status error_status(int rc, std::string_view what) {
  if (rc == GIT_ENOTFOUND) return Status::NotFound(last_error(what));
  return Status::Internal(last_error(what));
}

std::string oid_hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

Result<Repository> open(const std::string& path) {
  ensure_initialized();
  git_repository* repo = nullptr;
  int rc = git_repository_open_bare(&repo, path.c_str());
  if (rc != 0) return error_status(rc, "open mirror " + path);
  return Repository(repo);
}

Result<Commit> lookup_commit(git_repository* repo, std::string_view sha) {
  git_oid oid;
  std::string hex(sha);
  if (hex.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, hex.c_str()) != 0) {
    return Status::Invalid("\"" + hex + "\" is not a full commit SHA");
  }
  git_object* obj = nullptr;
  int rc = git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY);
  if (rc != 0) return Status::NotFound("commit " + hex + " is not in the mirror");
  Object holder(obj);
  git_object* peeled = nullptr;
  rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
  if (rc != 0) return Status::NotFound("object " + hex + " is not a commit");
  return Commit(reinterpret_cast<git_commit*>(peeled));
}

}  // namespace ferry::reconciler::git
