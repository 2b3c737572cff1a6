// The password KDF: round trip, wrong passwords, the self-describing encoding, and what a
// malformed or tampered hash does (never verifies).
#include "apis/auth/passwords.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace ferry::auth {
namespace {

constexpr int kFast = kMinPasswordIterations;  // the cost is in the encoding; tests need not pay it

TEST(Passwords, RoundTripAtTheDefaultCost) {
  auto h = hash_password("correct horse battery staple");
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_TRUE(h->starts_with("pbkdf2-sha256$600000$")) << *h;
  EXPECT_EQ(password_iterations(*h), kDefaultPasswordIterations);
  EXPECT_TRUE(verify_password("correct horse battery staple", *h));
  EXPECT_FALSE(verify_password("correct horse battery stapl", *h));
}

TEST(Passwords, WrongPasswordsAndSaltsAtLowCost) {
  auto a = hash_password("s3cret", kFast);
  auto b = hash_password("s3cret", kFast);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);  // a fresh salt each time
  EXPECT_TRUE(verify_password("s3cret", *a));
  EXPECT_TRUE(verify_password("s3cret", *b));
  for (const char* wrong : {"", "s3cre", "s3cret ", "S3cret", "s3cret\n"}) {
    EXPECT_FALSE(verify_password(wrong, *a)) << wrong;
  }
  EXPECT_EQ(a->find("s3cret"), std::string::npos);
}

TEST(Passwords, RefusesBadInputAndMalformedHashes) {
  EXPECT_TRUE(hash_password("").status().is(Reason::kInvalid));
  EXPECT_TRUE(hash_password("x", 10).status().is(Reason::kInvalid));
  EXPECT_TRUE(hash_password("x", kMaxPasswordIterations + 1).status().is(Reason::kInvalid));

  auto h = hash_password("pw", kFast);
  ASSERT_TRUE(h.ok());
  std::string good = *h;
  const std::string bad[] = {
      "",
      "pw",
      "pbkdf2-sha256$1000$",
      "bcrypt$1000$" + good.substr(good.find('$', 14) + 1),
      "pbkdf2-sha256$10$" + good.substr(good.find('$', 14) + 1),         // too cheap to trust
      "pbkdf2-sha256$99999999$" + good.substr(good.find('$', 14) + 1),   // too costly to try
      "pbkdf2-sha256$1e3$" + good.substr(good.find('$', 14) + 1),
      good + "$extra",
      good.substr(0, good.size() - 4),                                    // truncated key
      "pbkdf2-sha256$1000$!!!!$AAAA",
  };
  for (const auto& b : bad) {
    EXPECT_FALSE(verify_password("pw", b)) << b;
    EXPECT_EQ(password_iterations(b), 0) << b;
  }
  std::string flipped = good;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password("pw", flipped));
}

TEST(Passwords, GeneratesUrlSafeRandomPasswords) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto p = generate_password();
    ASSERT_TRUE(p.ok());
    ASSERT_EQ(p->size(), 24u);
    for (char c : *p) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
          << *p;
    }
    seen.insert(*p);
  }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(generate_password(32)->size(), 32u);
  EXPECT_TRUE(generate_password(4).status().is(Reason::kInvalid));
}

}  // namespace
}  // namespace ferry::auth
