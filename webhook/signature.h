// Who sent this delivery: the per-provider webhook secrets from Ferry's settings and the checks
// that prove a request came from a Git host that knows them (HMAC-SHA256 signatures, GitLab's
// shared token, Bitbucket Cloud's hook UUID). Every comparison of a secret-derived value runs in
// constant time. Pure functions over their arguments; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "apis/http/server.h"
#include "apis/types/status.h"
#include "store/tokens.h"
#include "webhook/push_event.h"

namespace ferry::webhook {

// The webhook part of the settings file. An empty secret turns that provider's check off (any
// delivery is accepted, as Argo CD does); a set one makes a missing or wrong signature a 401.
struct WebhookSecrets {
  std::string github;            // X-Hub-Signature-256: sha256=<hex HMAC-SHA256(body)>
  std::string gitlab;            // X-Gitlab-Token, compared as is
  std::string gogs;              // Gitea and Gogs: X-Gitea-Signature / X-Gogs-Signature, hex HMAC
  std::string bitbucket_uuid;    // Bitbucket Cloud: X-Hook-UUID must name this webhook
  std::string bitbucket;         // Bitbucket Cloud webhook secret: X-Hub-Signature: sha256=<hex>
  std::string bitbucket_server;  // Bitbucket Server / DC: X-Hub-Signature: sha256=<hex>
  size_t max_payload_bytes = 10 << 20;  // larger bodies are answered 413
};

// Lowercase hex HMAC-SHA256 of `body` keyed with `secret`.
std::string hmac_sha256_hex(std::string_view secret, std::string_view body);

// Signatures and tokens are compared with store::constant_time_equal (store/tokens.h).
using store::constant_time_equal;

// Checks the delivery's credentials for `provider` against `secrets`. OK when the provider has
// no secret configured or the request proves it; Unauthorized otherwise, with a message naming
// the header at fault but never its value nor the secret.
Status verify_delivery(Provider provider, const http::Request& request, const WebhookSecrets& secrets);

}  // namespace ferry::webhook
