// parse_server_url: how the HTTP transports take a RestConfig's server apart.
#include <gtest/gtest.h>

#include "kube/client/http_transports.h"

namespace ferry::kube {
namespace {

TEST(ServerUrlTest, SchemeHostPortAndPrefix) {
  auto url = parse_server_url("https://api.example.com:6443/k8s/clusters/c-1/");
  ASSERT_TRUE(url.ok()) << url.status().to_string();
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "api.example.com");
  EXPECT_EQ(url->port, "6443");
  EXPECT_EQ(url->host_header, "api.example.com:6443");
  EXPECT_EQ(url->base_path, "/k8s/clusters/c-1");
}

TEST(ServerUrlTest, DefaultPorts) {
  auto https = parse_server_url("https://kubernetes.default.svc");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->port, "443");
  EXPECT_EQ(https->host_header, "kubernetes.default.svc");
  EXPECT_EQ(https->base_path, "");
  auto http = parse_server_url("http://127.0.0.1");
  ASSERT_TRUE(http.ok());
  EXPECT_FALSE(http->tls);
  EXPECT_EQ(http->port, "80");
}

TEST(ServerUrlTest, Ipv6Literal) {
  auto url = parse_server_url("https://[fd00::1]:6443");
  ASSERT_TRUE(url.ok()) << url.status().to_string();
  EXPECT_EQ(url->host, "fd00::1");
  EXPECT_EQ(url->port, "6443");
  EXPECT_EQ(url->host_header, "[fd00::1]:6443");
}

TEST(ServerUrlTest, Rejected) {
  for (const char* bad : {"", "127.0.0.1:6443", "ftp://host", "https://", "https://:6443",
                          "https://host:", "https://host:0", "https://host:65536", "https://host:12a", "https://[::1",
                          "https://[::1]x", "https://user@host", "https://host/x?y=1", "https://ho st"}) {
    auto url = parse_server_url(bad);
    ASSERT_FALSE(url.ok()) << bad;
    EXPECT_EQ(url.status().message(), "REST config: server \"" + std::string(bad) + "\" is not a valid URL");
  }
}

}  // namespace
}  // namespace ferry::kube
