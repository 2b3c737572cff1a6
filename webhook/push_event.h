// PushEvent: what one Git host notification says happened to one ref of one repository, in a
// shape common to every provider. The payload parsers (payload.h) produce it, the matcher
// (match.h) reads it, the Dispatcher (dispatcher.h) merges bursts of it. A plain value: copy it
// freely; it is not synchronised.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::webhook {

enum class Provider {
  kGitHub,
  kGitLab,
  kGitea,
  kGogs,
  kBitbucket,        // Bitbucket Cloud (bitbucket.org)
  kBitbucketServer,  // Bitbucket Server / Data Center
};

// "github", "gitlab", "gitea", "gogs", "bitbucket", "bitbucketserver": metric labels and messages.
const char* provider_name(Provider provider);

struct PushEvent {
  Provider provider = Provider::kGitHub;
  // Every URL form the payload names for the repository (web, https clone, ssh clone, ...), in
  // payload order without duplicates. Never empty in a parsed event; at least one of them is a
  // URL reconciler::parse_repo_url accepts.
  std::vector<std::string> repo_urls;
  std::string ref;     // full ref name: "refs/heads/main", "refs/tags/v1.2.0"
  std::string before;  // commit SHA before the push; all zeros (or empty) for a new ref
  std::string after;   // commit SHA after the push; all zeros (or empty) when the ref was deleted
  std::string default_branch;  // "main" when the payload names it, else empty
  // Repository-relative paths touched by the push, sorted and unique. Meaningful only when
  // files_known; empty otherwise.
  std::vector<std::string> changed_files;
  // False when the payload cannot say which files changed: the provider sends no file lists
  // (Bitbucket), the commit list was truncated, the ref was created, deleted or force-pushed.
  bool files_known = false;
  bool deleted = false;  // the push deleted the ref
};

// True for a SHA made only of zeros, which providers use for "no commit" (new or deleted refs).
bool is_zero_sha(std::string_view sha);

}  // namespace ferry::webhook
