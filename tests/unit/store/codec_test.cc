#include "store/codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "store/tokens.h"

namespace ferry::store {
namespace {

TEST(Codec, CanonicalJsonSortsKeysAndRoundTrips) {
  Json v = Json::parse(R"({"b":1,"a":{"z":[1,2.5,"x"],"y":null},"c":"ü"})");
  auto text = canonical_json(v);
  ASSERT_TRUE(text.ok()) << text.status().to_string();
  EXPECT_EQ(*text, R"({"a":{"y":null,"z":[1,2.5,"x"]},"b":1,"c":"ü"})");
  EXPECT_EQ(*canonical_json(Json::parse(*text)), *text);
}

TEST(Codec, CanonicalJsonRefusesWhatJsonCannotCarry) {
  EXPECT_TRUE(canonical_json(Json{{"x", std::nan("")}}).status().is(Reason::kInvalid));
  EXPECT_TRUE(canonical_json(Json::array({std::numeric_limits<double>::infinity()})).status().is(Reason::kInvalid));
  auto bad_utf8 = canonical_json(Json{{"s", std::string("\xff\xfe")}});
  EXPECT_TRUE(bad_utf8.status().is(Reason::kInvalid)) << bad_utf8.status().to_string();
}

TEST(Codec, DigestsMatchKnownVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231, test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Codec, CompressionRoundTripsAndShrinksRepetition) {
  std::string raw;
  for (int i = 0; i < 1000; ++i) raw += "{\"name\":\"replica\",\"image\":\"nginx:1.25\"},";
  auto packed = compress(raw);
  ASSERT_TRUE(packed.ok());
  EXPECT_LT(packed->size(), raw.size() / 10);
  auto back = decompress(*packed, static_cast<int64_t>(raw.size()));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, raw);

  auto empty = compress("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*decompress(*empty, 0), "");
  EXPECT_FALSE(decompress(*packed, static_cast<int64_t>(raw.size()) - 1).ok());
  EXPECT_FALSE(decompress("not zlib", 10).ok());
  EXPECT_FALSE(decompress(*packed, -1).ok());
}

TEST(Codec, MasksSecretValuesKeepingKeys) {
  Json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata",
                  {{"name", "db"},
                   {"annotations",
                    {{"kubectl.kubernetes.io/last-applied-configuration",
                      R"({"apiVersion":"v1","kind":"Secret","data":{"password":"aHVudGVyMg=="}})"},
                     {"team", "payments"}}}}},
                 {"type", "Opaque"},
                 {"data", {{"password", "aHVudGVyMg=="}, {"user", "YWRtaW4="}}},
                 {"stringData", {{"token", "hunter2"}}}};
  ASSERT_TRUE(is_sensitive(secret));
  Json masked = mask_secret(secret);
  EXPECT_EQ(masked["data"], (Json{{"password", kMaskedValue}, {"user", kMaskedValue}}));
  EXPECT_EQ(masked["stringData"], (Json{{"token", kMaskedValue}}));
  EXPECT_EQ(masked["type"], "Opaque");
  EXPECT_EQ(masked["metadata"]["annotations"]["team"], "payments");
  std::string last = masked["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"];
  EXPECT_EQ(last.find("aHVudGVyMg=="), std::string::npos);
  EXPECT_NE(last.find(kMaskedValue), std::string::npos);
  EXPECT_EQ(masked.dump().find("hunter2"), std::string::npos);

  Json odd = {{"kind", "Secret"},
              {"data", "not-an-object"},
              {"metadata", {{"annotations", {{"kubectl.kubernetes.io/last-applied-configuration", "{broken"}}}}}};
  Json odd_masked = mask_secret(odd);
  EXPECT_EQ(odd_masked["data"], kMaskedValue);
  EXPECT_EQ(odd_masked["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"], kMaskedValue);

  Json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"data", {{"k", "v"}}}};
  EXPECT_FALSE(is_sensitive(cm));
  EXPECT_EQ(mask_secret(cm), cm);
}

TEST(Tokens, GeneratesDistinctPrefixedTokensAndHashesThem) {
  auto a = generate_token();
  auto b = generate_token();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->rfind(kTokenPrefix, 0), 0u);
  EXPECT_EQ(a->size(), std::string(kTokenPrefix).size() + 64);
  EXPECT_EQ(hash_token("abc"), sha256_hex("abc"));
  EXPECT_EQ(hash_token(*a).size(), 64u);
}

TEST(Tokens, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("abc", ""));
}

}  // namespace
}  // namespace ferry::store
