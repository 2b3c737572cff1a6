// Flags over environment over the login config, and tokens only for their own server.
#include "cli/client/connection.h"

#include <gtest/gtest.h>

namespace ferry::cli {
namespace {

CliConfig logged_in() { return CliConfig{"https://ferry.example.com:443", "admin", "config-token", false, false}; }

TEST(Connection, TheConfigFileAloneIsEnough) {
  auto c = resolve_connection({}, "", "", logged_in());
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->server.url(), "https://ferry.example.com:443");
  EXPECT_EQ(c->token, "config-token");
  EXPECT_FALSE(c->insecure);
}

TEST(Connection, FlagsBeatEnvironmentWhichBeatsTheConfig) {
  ConnectionFlags flags;
  flags.server = "flag.example.com:1";
  flags.auth_token = "flag-token";
  auto c = resolve_connection(flags, "env.example.com:2", "env-token", logged_in());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server.key(), "flag.example.com:1");
  EXPECT_EQ(c->token, "flag-token");

  auto env = resolve_connection({}, "env.example.com:2", "env-token", logged_in());
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->server.key(), "env.example.com:2");
  EXPECT_EQ(env->token, "env-token");
}

TEST(Connection, EnvironmentTokenWithTheConfiguredServer) {
  auto c = resolve_connection({}, "", "ci-token", logged_in());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server.key(), "ferry.example.com:443");
  EXPECT_EQ(c->token, "ci-token");
}

TEST(Connection, TheConfigTokenNeverGoesToAnotherServer) {
  ConnectionFlags flags;
  flags.server = "elsewhere.example.com:443";
  auto c = resolve_connection(flags, "", "", logged_in());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->token, "");
  auto env = resolve_connection({}, "https://evil.example.com", "", logged_in());
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->token, "");
}

TEST(Connection, TheSameServerNamedDifferentlyKeepsTheConfigTokenAndScheme) {
  CliConfig config{"http://127.0.0.1:8080", "admin", "t", true, true};
  ConnectionFlags flags;
  flags.server = "127.0.0.1:8080";
  auto c = resolve_connection(flags, "", "", config);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->token, "t");
  EXPECT_EQ(c->server.scheme, "http");  // what login found out
  EXPECT_TRUE(c->insecure);
}

TEST(Connection, PlaintextAndInsecureFlags) {
  ConnectionFlags flags;
  flags.server = "127.0.0.1:8080";
  flags.plaintext = true;
  flags.insecure = true;
  auto c = resolve_connection(flags, "", "", {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server.url(), "http://127.0.0.1:8080");
  EXPECT_TRUE(c->insecure);
}

TEST(Connection, NoServerAnywhereSaysHowToNameOne) {
  auto c = resolve_connection({}, "", "token", {});
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().is(Reason::kNotFound));
  EXPECT_NE(c.status().message().find("ferry login"), std::string::npos);
  EXPECT_NE(c.status().message().find("FERRY_SERVER"), std::string::npos);
}

TEST(Connection, MalformedServerIsInvalid) {
  ConnectionFlags flags;
  flags.server = "ftp://x";
  auto c = resolve_connection(flags, "", "", {});
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().is(Reason::kInvalid));
}

}  // namespace
}  // namespace ferry::cli
