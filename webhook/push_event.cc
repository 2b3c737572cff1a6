#include "webhook/push_event.h"

#include <algorithm>

namespace ferry::webhook {

const char* provider_name(Provider provider) {
  switch (provider) {
    case Provider::kGitHub: return "github";
    case Provider::kGitLab: return "gitlab";
    case Provider::kGitea: return "gitea";
    case Provider::kGogs: return "gogs";
    case Provider::kBitbucket: return "bitbucket";
    case Provider::kBitbucketServer: return "bitbucketserver";
  }
  return "unknown";
}

bool is_zero_sha(std::string_view sha) {
  return !sha.empty() && std::all_of(sha.begin(), sha.end(), [](char c) { return c == '0'; });
}

}  // namespace ferry::webhook
