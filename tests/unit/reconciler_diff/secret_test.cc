#include "reconciler/diff/secret.h"

#include <openssl/sha.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apis/types/base64.h"
#include "reconciler/diff/diff.h"
#include "tests/unit/reconciler_diff/fixtures.h"

namespace ferry::reconciler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace ferry::reconciler::testing;

constexpr const char* kPassword = "hunter2-correct-horse";
constexpr const char* kNewPassword = "battery-staple-9000";

std::string hex(const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return hex(digest, sizeof digest);
}

// Every form of a secret value that must never leave: itself, its base64, its unsalted SHA-256
// (whole and the 12-digit prefix a careless mask would use).
void expect_no_leak(const std::string& output, const std::string& value) {
  EXPECT_THAT(output, Not(HasSubstr(value)));
  EXPECT_THAT(output, Not(HasSubstr(ferry::base64_encode(value))));
  EXPECT_THAT(output, Not(HasSubstr(sha256_hex(value))));
  EXPECT_THAT(output, Not(HasSubstr(sha256_hex(value).substr(0, 12))));
}

json secret_with_data(const std::string& password) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "db"}, {"namespace", "default"}}},
          {"type", "Opaque"},
          {"data", {{"password", ferry::base64_encode(password)}, {"user", ferry::base64_encode("admin")}}}};
}

json secret_with_string_data(const std::string& password) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "db"}, {"namespace", "default"}}},
          {"stringData", {{"password", password}, {"user", "admin"}}}};
}

TEST(MaskSecretTest, NonSecretsUnchanged) {
  json config = json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
    "data": {"password": "visible"}})");
  EXPECT_EQ(mask_secret(config), config);
  json custom = config;
  custom["apiVersion"] = "example.com/v1";
  custom["kind"] = "Secret";  // not core/v1
  EXPECT_EQ(mask_secret(custom), custom);
}

TEST(MaskSecretTest, ValuesBecomeMasks) {
  json masked = mask_secret(secret_with_data(kPassword));
  const std::string mask = masked["data"]["password"];
  EXPECT_THAT(mask, ::testing::MatchesRegex("\\+{8}[0-9a-f]{12}"));
  EXPECT_EQ(masked["type"], "Opaque");
  EXPECT_EQ(masked["metadata"]["name"], "db");
  expect_no_leak(masked.dump(), kPassword);
}

TEST(MaskSecretTest, StringDataIsFoldedThenMasked) {
  json masked = mask_secret(secret_with_string_data(kPassword));
  EXPECT_FALSE(masked.contains("stringData"));
  ASSERT_TRUE(masked["data"].contains("password"));
  // The same bytes mask the same whether they came as data or stringData.
  EXPECT_EQ(masked["data"], mask_secret(secret_with_data(kPassword))["data"]);
  expect_no_leak(masked.dump(), kPassword);
}

TEST(MaskSecretTest, EqualValuesEqualMasksDifferentValuesDifferentMasks) {
  json a = mask_secret(secret_with_data(kPassword));
  json b = mask_secret(secret_with_data(kPassword));
  json c = mask_secret(secret_with_data(kNewPassword));
  EXPECT_EQ(a["data"]["password"], b["data"]["password"]);
  EXPECT_NE(a["data"]["password"], c["data"]["password"]);
  EXPECT_EQ(a["data"]["user"], c["data"]["user"]);
}

TEST(MaskSecretTest, SaltChangesEveryMask) {
  json s = secret_with_data(kPassword);
  EXPECT_EQ(mask_secret(s, "salt-1"), mask_secret(s, "salt-1"));
  EXPECT_NE(mask_secret(s, "salt-1")["data"]["password"], mask_secret(s, "salt-2")["data"]["password"]);
  EXPECT_NE(mask_secret(s, "salt-1")["data"]["password"], mask_secret(s)["data"]["password"]);
  // An empty salt is the process salt, not "no salt".
  EXPECT_EQ(mask_value(kPassword, ""), mask_value(kPassword, ""));
  EXPECT_NE(mask_value(kPassword, "").substr(8), sha256_hex(kPassword).substr(0, 12));
}

TEST(MaskSecretTest, LastAppliedAnnotationIsMasked) {
  json applied = secret_with_string_data(kPassword);
  json live = secret_with_data(kPassword);
  live["metadata"]["annotations"] = {{"kubectl.kubernetes.io/last-applied-configuration", applied.dump()},
                                     {"other", "kept"}};
  json masked = mask_secret(live);
  expect_no_leak(masked.dump(), kPassword);
  json annotation = json::parse(masked["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
                                    .get<std::string>());
  EXPECT_EQ(annotation["data"]["password"], masked["data"]["password"]);
  EXPECT_EQ(masked["metadata"]["annotations"]["other"], "kept");

  live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
      std::string("{not json ") + kPassword;
  expect_no_leak(mask_secret(live).dump(), kPassword);
}

TEST(FoldStringDataTest, StringDataWinsAndBase64IsCanonical) {
  json s = secret_with_data("old");
  s["stringData"] = {{"password", "new"}};
  s["data"]["wrapped"] = "aGVs\nbG8=";  // "hello" with a line break, as some tools write it
  fold_string_data(s);
  EXPECT_FALSE(s.contains("stringData"));
  EXPECT_EQ(s["data"]["password"], ferry::base64_encode("new"));
  EXPECT_EQ(s["data"]["wrapped"], "aGVsbG8=");
}

// ---- Secrets through the diff ---------------------------------------------------------------

TEST(SecretDiffTest, SameValueAsStringDataAndDataIsSynced) {
  json desired = secret_with_string_data(kPassword);
  json live = secret_with_data(kPassword);
  ResourceDiff d = diff_resource(&desired, &live, {});
  EXPECT_EQ(d.state, SyncState::kSynced);
  expect_no_leak(all_output(d), kPassword);
}

TEST(SecretDiffTest, ChangedValueIsOutOfSyncAndNeverShown) {
  json desired = secret_with_string_data(kNewPassword);
  json live = server_apply(nullptr, secret_with_string_data(kPassword));
  ResourceDiff d = diff_resource(&desired, &live, {});
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  EXPECT_THAT(d.changed, ElementsAre(ChangedPath{"/data/password", "ferry"}));
  // The unified text shows that password changed, by mask only.
  EXPECT_THAT(d.unified, HasSubstr("-  password: ++++++++"));
  EXPECT_THAT(d.unified, HasSubstr("+  password: ++++++++"));
  // Equal values mask equally: context, not a change.
  EXPECT_THAT(d.unified, HasSubstr("\n   user: ++++++++"));
  EXPECT_THAT(d.unified, Not(HasSubstr("-  user")));
  EXPECT_THAT(d.unified, Not(HasSubstr("+  user")));
  const std::string out = all_output(d);
  expect_no_leak(out, kPassword);
  expect_no_leak(out, kNewPassword);
  EXPECT_FALSE(d.desired_view.contains("stringData"));
}

TEST(SecretDiffTest, NonCanonicalBase64IsTheSameValue) {
  json desired = secret_with_data(kPassword);
  std::string b64 = desired["data"]["password"];
  desired["data"]["password"] = b64.substr(0, 8) + "\n" + b64.substr(8);
  json live = secret_with_data(kPassword);
  EXPECT_EQ(diff_resource(&desired, &live, {}).state, SyncState::kSynced);
}

TEST(SecretDiffTest, MissingAndPruningAreMasked) {
  json desired = secret_with_string_data(kPassword);
  ResourceDiff missing = diff_resource(&desired, nullptr, {});
  EXPECT_EQ(missing.state, SyncState::kMissing);
  EXPECT_THAT(missing.unified, HasSubstr("+  password: ++++++++"));
  expect_no_leak(all_output(missing), kPassword);

  json live = secret_with_data(kPassword);
  live["metadata"]["annotations"] = {
      {"kubectl.kubernetes.io/last-applied-configuration", secret_with_string_data(kPassword).dump()}};
  ResourceDiff prune = diff_resource(nullptr, &live, {});
  EXPECT_EQ(prune.state, SyncState::kRequiresPruning);
  expect_no_leak(all_output(prune), kPassword);
}

TEST(SecretDiffTest, RemovedKeyPreviouslyAppliedIsDriftWithoutValue) {
  json before = secret_with_string_data(kPassword);
  json live = server_apply(nullptr, before);
  json desired = before;
  desired["stringData"].erase("password");
  ResourceDiff d = diff_resource(&desired, &live, {});
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  EXPECT_THAT(d.changed, ElementsAre(ChangedPath{"/data/password", "ferry"}));
  expect_no_leak(all_output(d), kPassword);
}

TEST(SecretDiffTest, ConfiguredSaltIsUsedInViews) {
  json desired = secret_with_data(kNewPassword);
  json live = secret_with_data(kPassword);
  DiffOptions options;
  options.mask_salt = "cluster-salt";
  ResourceDiff d = diff_resource(&desired, &live, options);
  EXPECT_EQ(d.desired_view["data"]["password"], mask_value(kNewPassword, "cluster-salt"));
  EXPECT_EQ(d.live_view["data"]["password"], mask_value(kPassword, "cluster-salt"));
}

}  // namespace
}  // namespace ferry::reconciler
