// Server names as users type them for `ferry login` and --server.
#include "cli/client/server_url.h"

#include <gtest/gtest.h>

namespace ferry::cli {
namespace {

TEST(ServerUrl, HostAndPortWithoutSchemeLeavesTheChoiceToTheClient) {
  auto s = parse_server_url("ferry.example.com:8080");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->scheme, "");
  EXPECT_EQ(s->host, "ferry.example.com");
  EXPECT_EQ(s->port, 8080);
  EXPECT_EQ(s->url(), "https://ferry.example.com:8080");
  EXPECT_EQ(s->url("http"), "http://ferry.example.com:8080");
  EXPECT_EQ(s->key(), "ferry.example.com:8080");
}

TEST(ServerUrl, ExplicitSchemesAndDefaultPorts) {
  auto https = parse_server_url("https://Ferry.Example.com");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->url(), "https://ferry.example.com:443");
  auto http = parse_server_url("HTTP://127.0.0.1");
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->url(), "http://127.0.0.1:80");
  auto bare = parse_server_url("ferry.example.com");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 443);
}

TEST(ServerUrl, PlaintextMeansHttpAndConflictsWithHttps) {
  auto s = parse_server_url("127.0.0.1:9000", true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->url(), "http://127.0.0.1:9000");
  auto plain = parse_server_url("localhost", true);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 80);
  EXPECT_TRUE(parse_server_url("http://127.0.0.1:9000", true).ok());
  auto conflict = parse_server_url("https://127.0.0.1:9000", true);
  ASSERT_FALSE(conflict.ok());
  EXPECT_NE(conflict.status().message().find("--plaintext"), std::string::npos);
}

TEST(ServerUrl, PathPrefixKeptWithoutTrailingSlash) {
  auto s = parse_server_url("https://ci.example.com:8443/ferry/");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->base_path, "/ferry");
  EXPECT_EQ(s->url(), "https://ci.example.com:8443/ferry");
  EXPECT_EQ(s->key(), "ci.example.com:8443/ferry");
  auto root = parse_server_url("http://h:1/");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->base_path, "");
}

TEST(ServerUrl, Ipv6KeepsItsBrackets) {
  auto s = parse_server_url("[::1]:8080");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->host, "[::1]");
  EXPECT_EQ(s->port, 8080);
  EXPECT_EQ(s->url("http"), "http://[::1]:8080");
  auto no_port = parse_server_url("https://[fe80::1]");
  ASSERT_TRUE(no_port.ok());
  EXPECT_EQ(no_port->port, 443);
}

TEST(ServerUrl, SurroundingSpacesAreTrimmed) {
  auto s = parse_server_url("  localhost:1234\n");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->key(), "localhost:1234");
}

TEST(ServerUrl, RejectsWhatIsNotAServer) {
  for (const char* bad : {"", "   ", "ftp://host:21", "host:", "host:0", "host:65536", "host:12ab", "host:123456",
                          "user:pw@host:80", "https://host/p?q=1", "ho st:80", "[::1", "[::1]x", "[zz]:80", ":8080",
                          "https://"}) {
    auto s = parse_server_url(bad);
    EXPECT_FALSE(s.ok()) << "accepted \"" << bad << "\"";
    if (!s.ok()) {
      EXPECT_TRUE(s.status().is(Reason::kInvalid)) << bad;
    }
  }
}

}  // namespace
}  // namespace ferry::cli
