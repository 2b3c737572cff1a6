// Proving who sent a delivery: HMAC vectors, constant-time comparison, and each provider's
// credential check against valid, wrong, missing, tampered and unconfigured cases.
#include "webhook/signature.h"

#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <string>

namespace ferry::webhook {
namespace {

TEST(HmacTest, MatchesRfc4231TestCase2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacTest, MatchesGitHubDocumentedExample) {
  // From GitHub's "Validating webhook deliveries" page.
  EXPECT_EQ(hmac_sha256_hex("It's a Secret to Everybody", "Hello, World!"),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

TEST(HmacTest, EmptySecretAndBodyStillProduceADigest) {
  EXPECT_EQ(hmac_sha256_hex("", ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(ConstantTimeEqualTest, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("token-123", "token-123"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("token-123", "token-124"));
  EXPECT_FALSE(constant_time_equal("token-123", "token-1234"));
  EXPECT_FALSE(constant_time_equal("token", ""));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

// One provider's way of proving a delivery.
struct SignCase {
  const char* name;
  Provider provider;
  std::function<void(WebhookSecrets&, const std::string&)> configure;
  std::function<void(http::Request&, const std::string& secret)> sign;
  bool covers_body;  // a signature over the body (vs a token sent as is)
};

void add(http::Request& request, const std::string& name, const std::string& value) {
  request.headers.emplace_back(name, value);
}

std::vector<SignCase> sign_cases() {
  return {
      {"GitHub", Provider::kGitHub, [](WebhookSecrets& s, const std::string& v) { s.github = v; },
       [](http::Request& r, const std::string& k) { add(r, "x-hub-signature-256", "sha256=" + hmac_sha256_hex(k, r.body)); },
       true},
      {"GitLab", Provider::kGitLab, [](WebhookSecrets& s, const std::string& v) { s.gitlab = v; },
       [](http::Request& r, const std::string& k) { add(r, "x-gitlab-token", k); }, false},
      {"Gitea", Provider::kGitea, [](WebhookSecrets& s, const std::string& v) { s.gogs = v; },
       [](http::Request& r, const std::string& k) { add(r, "x-gitea-signature", hmac_sha256_hex(k, r.body)); }, true},
      {"Gogs", Provider::kGogs, [](WebhookSecrets& s, const std::string& v) { s.gogs = v; },
       [](http::Request& r, const std::string& k) { add(r, "x-gogs-signature", hmac_sha256_hex(k, r.body)); }, true},
      {"BitbucketUuid", Provider::kBitbucket, [](WebhookSecrets& s, const std::string& v) { s.bitbucket_uuid = v; },
       [](http::Request& r, const std::string& k) { add(r, "x-hook-uuid", k); }, false},
      {"BitbucketSecret", Provider::kBitbucket, [](WebhookSecrets& s, const std::string& v) { s.bitbucket = v; },
       [](http::Request& r, const std::string& k) { add(r, "x-hub-signature", "sha256=" + hmac_sha256_hex(k, r.body)); },
       true},
      {"BitbucketServer", Provider::kBitbucketServer,
       [](WebhookSecrets& s, const std::string& v) { s.bitbucket_server = v; },
       [](http::Request& r, const std::string& k) { add(r, "x-hub-signature", "sha256=" + hmac_sha256_hex(k, r.body)); },
       true},
  };
}

class VerifyDeliveryTest : public ::testing::TestWithParam<SignCase> {
 protected:
  static constexpr const char* kSecret = "{3f1c0e2a-s3cr3t-value}";
  http::Request request(std::string body = R"({"ref":"refs/heads/main"})") {
    http::Request r;
    r.method = "POST";
    r.body = std::move(body);
    return r;
  }
  WebhookSecrets secrets(const std::string& value = kSecret) {
    WebhookSecrets s;
    GetParam().configure(s, value);
    return s;
  }
};

TEST_P(VerifyDeliveryTest, ValidCredentialIsAccepted) {
  http::Request r = request();
  GetParam().sign(r, kSecret);
  Status s = verify_delivery(GetParam().provider, r, secrets());
  EXPECT_TRUE(s.ok()) << s.to_string();
}

TEST_P(VerifyDeliveryTest, WrongCredentialIsUnauthorized) {
  http::Request r = request();
  GetParam().sign(r, "not-the-secret");
  Status s = verify_delivery(GetParam().provider, r, secrets());
  EXPECT_TRUE(s.is(Reason::kUnauthorized)) << s.to_string();
  EXPECT_NE(s.message().find("does not match"), std::string::npos) << s.message();
}

TEST_P(VerifyDeliveryTest, MissingCredentialWhileSecretSetIsUnauthorized) {
  http::Request r = request();
  Status s = verify_delivery(GetParam().provider, r, secrets());
  EXPECT_TRUE(s.is(Reason::kUnauthorized)) << s.to_string();
  EXPECT_NE(s.message().find("missing"), std::string::npos) << s.message();
}

TEST_P(VerifyDeliveryTest, BodyAlteredAfterSigningIsUnauthorized) {
  http::Request r = request();
  GetParam().sign(r, kSecret);
  r.body = R"({"ref":"refs/heads/evil"})";
  Status s = verify_delivery(GetParam().provider, r, secrets());
  if (GetParam().covers_body) {
    EXPECT_TRUE(s.is(Reason::kUnauthorized)) << s.to_string();
  } else {
    EXPECT_TRUE(s.ok()) << "a token sent as is does not cover the body: " << s.to_string();
  }
}

TEST_P(VerifyDeliveryTest, NoSecretConfiguredAcceptsAnything) {
  http::Request bare = request();
  EXPECT_TRUE(verify_delivery(GetParam().provider, bare, WebhookSecrets{}).ok());
  http::Request signed_wrong = request();
  GetParam().sign(signed_wrong, "whatever");
  EXPECT_TRUE(verify_delivery(GetParam().provider, signed_wrong, WebhookSecrets{}).ok());
}

TEST_P(VerifyDeliveryTest, MessagesNeverEchoTheSecretOrTheSignature) {
  http::Request r = request();
  GetParam().sign(r, "attacker-guess");
  Status s = verify_delivery(GetParam().provider, r, secrets());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find(kSecret), std::string::npos);
  EXPECT_EQ(s.message().find("attacker-guess"), std::string::npos);
  for (const auto& [name, value] : r.headers) EXPECT_EQ(s.message().find(value), std::string::npos) << name;
}

INSTANTIATE_TEST_SUITE_P(Providers, VerifyDeliveryTest, ::testing::ValuesIn(sign_cases()),
                         [](const ::testing::TestParamInfo<SignCase>& info) { return info.param.name; });

TEST(VerifyDeliveryDetailsTest, GitHubAcceptsUppercaseHexAndRejectsTheOldSha1Header) {
  WebhookSecrets secrets;
  secrets.github = "s";
  http::Request upper;
  upper.body = "{}";
  std::string hex = hmac_sha256_hex("s", "{}");
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper.headers.emplace_back("x-hub-signature-256", "sha256=" + hex);
  EXPECT_TRUE(verify_delivery(Provider::kGitHub, upper, secrets).ok());

  http::Request sha1_only;
  sha1_only.body = "{}";
  sha1_only.headers.emplace_back("x-hub-signature", "sha1=0123456789abcdef0123456789abcdef01234567");
  Status s = verify_delivery(Provider::kGitHub, sha1_only, secrets);
  EXPECT_TRUE(s.is(Reason::kUnauthorized));
  EXPECT_NE(s.message().find("X-Hub-Signature-256"), std::string::npos) << s.message();
}

TEST(VerifyDeliveryDetailsTest, GitHubSignatureWithoutPrefixIsRejected) {
  WebhookSecrets secrets;
  secrets.github = "s";
  http::Request r;
  r.body = "{}";
  r.headers.emplace_back("x-hub-signature-256", hmac_sha256_hex("s", "{}"));
  Status s = verify_delivery(Provider::kGitHub, r, secrets);
  EXPECT_TRUE(s.is(Reason::kUnauthorized));
  EXPECT_NE(s.message().find("sha256=<hex>"), std::string::npos) << s.message();
}

TEST(VerifyDeliveryDetailsTest, GiteaFallsBackToTheGogsSignatureHeader) {
  WebhookSecrets secrets;
  secrets.gogs = "k";
  http::Request r;
  r.body = R"({"a":1})";
  r.headers.emplace_back("x-gogs-signature", hmac_sha256_hex("k", r.body));
  EXPECT_TRUE(verify_delivery(Provider::kGitea, r, secrets).ok());
  // A present but wrong Gitea header is not rescued by a right Gogs one.
  r.headers.emplace_back("x-gitea-signature", hmac_sha256_hex("other", r.body));
  EXPECT_TRUE(verify_delivery(Provider::kGitea, r, secrets).is(Reason::kUnauthorized));
}

TEST(VerifyDeliveryDetailsTest, BitbucketUuidIgnoresBracesAndCase) {
  WebhookSecrets secrets;
  secrets.bitbucket_uuid = "c7f2a1a4-0f1e-4bfa-9c55-5b9a9a0f8e21";
  http::Request r;
  r.headers.emplace_back("x-hook-uuid", "{C7F2A1A4-0F1E-4BFA-9C55-5B9A9A0F8E21}");
  EXPECT_TRUE(verify_delivery(Provider::kBitbucket, r, secrets).ok());
  r.headers[0].second = "{c7f2a1a4-0f1e-4bfa-9c55-5b9a9a0f8e22}";
  EXPECT_TRUE(verify_delivery(Provider::kBitbucket, r, secrets).is(Reason::kUnauthorized));
}

TEST(VerifyDeliveryDetailsTest, BitbucketWithUuidAndSecretNeedsBoth) {
  WebhookSecrets secrets;
  secrets.bitbucket_uuid = "{uuid-1}";
  secrets.bitbucket = "hmac-key";
  http::Request r;
  r.body = R"({"push":{}})";
  r.headers.emplace_back("x-hook-uuid", "{uuid-1}");
  EXPECT_TRUE(verify_delivery(Provider::kBitbucket, r, secrets).is(Reason::kUnauthorized));  // no signature
  r.headers.emplace_back("x-hub-signature", "sha256=" + hmac_sha256_hex("hmac-key", r.body));
  EXPECT_TRUE(verify_delivery(Provider::kBitbucket, r, secrets).ok());
  r.headers[0].second = "{uuid-2}";
  EXPECT_TRUE(verify_delivery(Provider::kBitbucket, r, secrets).is(Reason::kUnauthorized));  // wrong uuid
}

TEST(VerifyDeliveryDetailsTest, OneProvidersSecretDoesNotGuardAnother) {
  WebhookSecrets secrets;
  secrets.github = "only-github";
  http::Request r;
  r.body = "{}";
  EXPECT_TRUE(verify_delivery(Provider::kGitLab, r, secrets).ok());
  EXPECT_TRUE(verify_delivery(Provider::kGitHub, r, secrets).is(Reason::kUnauthorized));
}

}  // namespace
}  // namespace ferry::webhook
