// Standard base64 as Kubernetes uses it: round trips, padding, and what is refused.
#include <gtest/gtest.h>

#include "apis/types/base64.h"

namespace ferry {
namespace {

TEST(Base64, RoundTripsEveryLength) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    std::string back;
    ASSERT_TRUE(base64_decode(base64_encode(s), back)) << s;
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(base64_encode("ferry:pw"), "ZmVycnk6cHc=");
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
}

TEST(Base64, DecodesLikeGoStdEncoding) {
  std::string out;
  EXPECT_TRUE(base64_decode("aGVs\nbG8=", out));
  EXPECT_EQ(out, "hello");
  EXPECT_FALSE(base64_decode("aGVsbG8", out));    // padding is required
  EXPECT_FALSE(base64_decode("aGV*bG8=", out));   // not the alphabet
  EXPECT_FALSE(base64_decode("aG=Vs", out));      // padding in the middle
  EXPECT_FALSE(base64_decode("aGVs bG8=", out));  // blanks only when asked
  EXPECT_TRUE(base64_decode("aGVs bG8=", out, /*skip_blanks=*/true));
  EXPECT_EQ(out, "hello");
}

}  // namespace
}  // namespace ferry
