#include "webhook/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

namespace ferry::webhook {
namespace {

std::string to_hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Status unauthorized(std::string message) { return Status(Reason::kUnauthorized, std::move(message)); }

// The value of `header` (named as the providers' documentation spells it; looked up lower-cased,
// as the HTTP layer stores names), empty when absent.
std::string_view header_value(const http::Request& request, std::string_view header) {
  const std::string* value = request.header(lower(header));
  return value == nullptr ? std::string_view() : std::string_view(*value);
}

// `header` carries "<prefix><hex HMAC-SHA256 of the body>"; the hex may come in either case.
Status check_hmac(const http::Request& request, std::string_view header, std::string_view prefix,
                  std::string_view secret, Provider provider) {
  std::string_view given = header_value(request, header);
  std::string name = provider_name(provider);
  if (given.empty()) {
    return unauthorized("missing " + std::string(header) + " header; a " + name + " webhook secret is configured");
  }
  if (!given.starts_with(prefix)) {
    return unauthorized(std::string(header) + " header is not of the form " + std::string(prefix) + "<hex>");
  }
  given.remove_prefix(prefix.size());
  if (!constant_time_equal(lower(given), hmac_sha256_hex(secret, request.body))) {
    return unauthorized(std::string(header) + " does not match the payload signed with the " + name +
                        " webhook secret");
  }
  return Status::Ok();
}

// A shared value sent as is (GitLab's token, Bitbucket's hook UUID); `given` is empty when the
// header is absent.
Status check_token(std::string_view given, std::string_view header, std::string_view expected,
                   std::string_view what) {
  if (given.empty()) {
    return unauthorized("missing " + std::string(header) + " header; a " + std::string(what) + " is configured");
  }
  if (!constant_time_equal(given, expected)) {
    return unauthorized(std::string(header) + " does not match the configured " + std::string(what));
  }
  return Status::Ok();
}

// Bitbucket shows hook UUIDs as "{xxxxxxxx-...}"; users may paste them with or without braces.
std::string bare_uuid(std::string_view uuid) {
  if (uuid.size() >= 2 && uuid.front() == '{' && uuid.back() == '}') uuid = uuid.substr(1, uuid.size() - 2);
  return lower(uuid);
}

}  // namespace

std::string hmac_sha256_hex(std::string_view secret, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // HMAC() rejects a null key pointer even with length 0, so an empty secret gets a valid one.
  static const unsigned char kEmpty = 0;
  const void* key = secret.empty() ? static_cast<const void*>(&kEmpty) : secret.data();
  const unsigned char* data = body.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(body.data());
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), data, body.size(), digest, &size) == nullptr) {
    return {};
  }
  return to_hex(digest, size);
}

Status verify_delivery(Provider provider, const http::Request& request, const WebhookSecrets& secrets) {
  switch (provider) {
    case Provider::kGitHub:
      if (secrets.github.empty()) return Status::Ok();
      return check_hmac(request, "X-Hub-Signature-256", "sha256=", secrets.github, provider);
    case Provider::kGitLab:
      if (secrets.gitlab.empty()) return Status::Ok();
      return check_token(header_value(request, "X-Gitlab-Token"), "X-Gitlab-Token", secrets.gitlab,
                         "gitlab webhook secret");
    case Provider::kGitea:
      if (secrets.gogs.empty()) return Status::Ok();
      // Gitea signs with both headers; older releases only with the Gogs one.
      if (!header_value(request, "X-Gitea-Signature").empty()) {
        return check_hmac(request, "X-Gitea-Signature", "", secrets.gogs, provider);
      }
      return check_hmac(request, "X-Gogs-Signature", "", secrets.gogs, provider);
    case Provider::kGogs:
      if (secrets.gogs.empty()) return Status::Ok();
      return check_hmac(request, "X-Gogs-Signature", "", secrets.gogs, provider);
    case Provider::kBitbucket:
      // Each configured credential must hold; with neither configured anything is accepted.
      if (!secrets.bitbucket_uuid.empty()) {
        std::string_view given = header_value(request, "X-Hook-UUID");
        Status uuid = check_token(given.empty() ? std::string() : bare_uuid(given), "X-Hook-UUID",
                                  bare_uuid(secrets.bitbucket_uuid), "bitbucket webhook UUID");
        if (!uuid.ok()) return uuid;
      }
      if (secrets.bitbucket.empty()) return Status::Ok();
      return check_hmac(request, "X-Hub-Signature", "sha256=", secrets.bitbucket, provider);
    case Provider::kBitbucketServer:
      if (secrets.bitbucket_server.empty()) return Status::Ok();
      return check_hmac(request, "X-Hub-Signature", "sha256=", secrets.bitbucket_server, provider);
  }
  return unauthorized("unknown provider");
}

}  // namespace ferry::webhook
