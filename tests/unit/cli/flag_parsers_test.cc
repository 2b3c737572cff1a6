// --expires-in, --timeout and --resource as Argo CD users write them.
#include "cli/client/flag_parsers.h"

#include <gtest/gtest.h>

namespace ferry::cli {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ExpiresIn, GoDurationsAndDays) {
  struct Case {
    const char* text;
    seconds want;
  };
  for (const Case& c : {Case{"24h", hours(24)}, Case{"30m", minutes(30)}, Case{"90s", seconds(90)},
                        Case{"1h30m", minutes(90)}, Case{"1.5h", minutes(90)}, Case{"7d", hours(24 * 7)},
                        Case{"1d12h", hours(36)}, Case{"0", seconds(0)}, Case{"0s", seconds(0)},
                        Case{"1500ms", seconds(1)}}) {
    auto got = parse_expires_in(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status().to_string();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(ExpiresIn, RejectsNegativeBareAndMalformed) {
  for (const char* bad : {"", "24", "-1h", "+1h", "1d-1h", "h", "1y", "1 h", "d", "1dd", "abc"}) {
    auto got = parse_expires_in(bad);
    EXPECT_FALSE(got.ok()) << "accepted \"" << bad << "\"";
    if (!got.ok()) {
      EXPECT_NE(got.status().message().find(bad), std::string::npos);
    }
  }
}

TEST(Timeout, BareNumbersAreSecondsLikeArgo) {
  auto plain = parse_timeout("60");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, seconds(60));
  auto zero = parse_timeout("0");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*zero, seconds(0));
  auto duration = parse_timeout("2m");
  ASSERT_TRUE(duration.ok());
  EXPECT_EQ(*duration, seconds(120));
  EXPECT_FALSE(parse_timeout("-5").ok());
  EXPECT_FALSE(parse_timeout("soon").ok());
  EXPECT_FALSE(parse_timeout("99999999999999999999").ok());
}

TEST(ResourceRef, ArgoSyntaxWithAndWithoutNamespace) {
  auto r = parse_resource_ref("apps:Deployment:web");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->group, "apps");
  EXPECT_EQ(r->kind, "Deployment");
  EXPECT_EQ(r->namespace_, "");
  EXPECT_EQ(r->name, "web");

  auto namespaced = parse_resource_ref("apps:Deployment:prod/web");
  ASSERT_TRUE(namespaced.ok());
  EXPECT_EQ(namespaced->namespace_, "prod");
  EXPECT_EQ(namespaced->name, "web");

  auto core = parse_resource_ref(":Service:default/web");
  ASSERT_TRUE(core.ok());
  EXPECT_EQ(core->group, "");
  EXPECT_EQ(core->kind, "Service");
  EXPECT_EQ(core->namespace_, "default");
}

TEST(ResourceRef, RejectsMalformedSelections) {
  for (const char* bad : {"", "web", "Deployment:web", "apps:Deployment:web:x", "apps::web", "apps:Deployment:",
                          "apps:Deployment:ns/", "apps:Deployment:/web", "apps:Deployment:a/b/c",
                          "apps:Deploy ment:web"}) {
    auto r = parse_resource_ref(bad);
    EXPECT_FALSE(r.ok()) << "accepted \"" << bad << "\"";
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("GROUP:KIND:NAME"), std::string::npos) << bad;
    }
  }
}

}  // namespace
}  // namespace ferry::cli
