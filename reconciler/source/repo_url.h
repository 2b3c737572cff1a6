// Repository URLs. Users spell one repository many ways (`git@host:org/repo.git`,
// `ssh://host/org/repo`, `https://Host/org/repo/`); Ferry keeps one mirror per repository, so it
// needs one key per repository. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "apis/types/status.h"

namespace ferry::reconciler {

struct RepoUrl {
  std::string fetch_url;  // what libgit2 is given (scp-like ssh rewritten to ssh://, paths to file://)
  std::string key;        // the normalised identity: scheme://host[:port]/path, no user, no .git
  std::string scheme;     // https, http, ssh, git or file
  std::string host;       // lower-case; empty for file
  std::string user;       // from user@ (ssh) — kept for fetching, not part of the key
};

// Parses and normalises a repository URL. Accepted: https://, http://, ssh://, git://,
// file:// and scp-like `user@host:path`; an absolute local path is read as file://. For the
// key: the scheme and host are lower-cased, default ports dropped, user@ and credentials
// dropped, a trailing '/' and `.git` suffix removed; for network schemes the path is
// lower-cased too (as Argo CD does); file paths keep their case. A URL that carries a password
// (https://u:p@host) is accepted but the password never reaches the key or fetch_url.
Result<RepoUrl> parse_repo_url(std::string_view url);

// A file-system-safe directory name for the mirror of `key`: readable prefix + hash.
std::string mirror_dir_name(const RepoUrl& url);

}  // namespace ferry::reconciler
