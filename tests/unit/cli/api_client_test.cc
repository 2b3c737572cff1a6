// The CLI's HTTP client against real loopback servers (Ferry's own HTTP server standing in for
// the API): transport errors a user can act on, the HTTPS-first choice with its plain-HTTP
// fallback, certificate checks, server errors surfaced verbatim, pagination.
#include "cli/client/api_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "apis/http/server.h"
#include "kube/sim/tls.h"
#include "tests/support/git_server.h"

namespace ferry::cli {
namespace {

using namespace std::chrono_literals;

// A loopback HTTP(S) server with a few API-like routes; records the Authorization headers seen.
class FakeApi {
 public:
  explicit FakeApi(bool tls = false, bool serve_version = true) {
    http::ServerOptions options;
    if (tls) {
      material_ = kube::sim::generate_tls_material();
      options.tls_cert_pem = material_.server_cert_pem;
      options.tls_key_pem = material_.server_key_pem;
    }
    server_ = std::make_unique<http::Server>(options, [this, serve_version](http::Request& req) {
      http::Response res;
      {
        std::lock_guard<std::mutex> lock(mu_);
        const std::string* auth = req.header("authorization");
        seen_.push_back(req.path + " " + (auth ? *auth : "-"));
      }
      if (req.path == "/api/version" && serve_version) {
        res.body = R"({"Version": "v0.1.0"})";
      } else if (req.path == "/api/v1/echo") {
        res.body = Json{{"method", req.method}, {"body", req.body}, {"query", req.query}}.dump();
      } else if (req.path == "/api/v1/missing") {
        res.status = 404;
        res.body = R"({"error": "NotFound", "code": 404, "message": "application \"web\" not found"})";
      } else if (req.path == "/api/v1/locked") {
        res.status = 401;
        res.body = R"({"error": "Unauthorized", "code": 401, "message": "invalid token"})";
      } else if (req.path == "/api/v1/slow") {
        res.delay = 3s;
        res.body = "{}";
      } else if (req.path == "/api/v1/pages") {
        std::string next = req.query_param("continue");
        Json page = {{"metadata", {{"continue", next.empty() ? "p2" : (next == "p2" ? "p 3" : "")}}},
                     {"items", Json::array({next.empty() ? "a" : next})}};
        res.body = page.dump();
      } else {
        res.status = 404;
        res.content_type = "text/plain";
        res.body = "404 page not found\n";
      }
      return res;
    });
    started_ = server_->start().empty();
  }

  bool ok() const { return started_; }
  int port() const { return server_->port(); }
  ServerUrl url(const std::string& scheme = "") const { return ServerUrl{scheme, "127.0.0.1", port(), ""}; }
  std::vector<std::string> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  kube::sim::TlsMaterial material_;
  std::unique_ptr<http::Server> server_;
  bool started_ = false;
  std::mutex mu_;
  std::vector<std::string> seen_;
};

ApiClientOptions options_for(const ServerUrl& url, const std::string& token = "", bool insecure = false) {
  ApiClientOptions o;
  o.server = url;
  o.token = token;
  o.insecure = insecure;
  o.timeout = 10s;
  return o;
}

TEST(ApiClient, ConnectionRefusedSaysSo) {
  int port = testing::free_loopback_port();
  ApiClient client(options_for(ServerUrl{"", "127.0.0.1", port, ""}));
  auto got = client.get("/api/version");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(got.status().is(Reason::kUnavailable));
  EXPECT_EQ(got.status().message(), "cannot reach https://127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST(ApiClient, UnknownHostSaysSo) {
  ApiClient client(options_for(ServerUrl{"http", "no-such-host.invalid", 80, ""}));
  auto got = client.get("/api/version");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("cannot reach http://no-such-host.invalid:80"), std::string::npos)
      << got.status().message();
  EXPECT_NE(got.status().message().find("cannot resolve host \"no-such-host.invalid\""), std::string::npos)
      << got.status().message();
}

TEST(ApiClient, WithoutSchemeFallsBackToAPlainHttpFerryServerAndSendsNoTokenBeforeKnowing) {
  FakeApi api;
  ASSERT_TRUE(api.ok());
  ApiClient client(options_for(api.url(), "secret-token"));
  auto got = client.post("/api/v1/echo", Json{{"a", 1}});
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ((*got)["method"], "POST");
  EXPECT_EQ(Json::parse((*got)["body"].get<std::string>()), Json({{"a", 1}}));
  EXPECT_EQ(client.url(), "http://127.0.0.1:" + std::to_string(api.port()));
  auto seen = api.seen();
  // Whatever the TLS attempt looked like to the server, the only requests it could read were the
  // unauthenticated probe and then the real one.
  std::vector<std::string> readable;
  for (const std::string& s : seen) {
    if (s.rfind("/api/", 0) == 0) readable.push_back(s);
  }
  ASSERT_EQ(readable.size(), 2u) << ::testing::PrintToString(seen);
  EXPECT_EQ(readable[0], "/api/version -");
  EXPECT_EQ(readable[1], "/api/v1/echo Bearer secret-token");
  // The choice is kept: the next request goes straight to HTTP.
  ASSERT_TRUE(client.get("/api/v1/echo").ok());
  EXPECT_EQ(api.seen().size(), seen.size() + 1);
}

TEST(ApiClient, NoFallbackWhenThePlainServerIsNotClearlyFerry) {
  FakeApi api(false, /*serve_version=*/false);
  ASSERT_TRUE(api.ok());
  ApiClient client(options_for(api.url(), "secret-token"));
  auto started = std::chrono::steady_clock::now();
  auto got = client.get("/api/v1/echo");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "http://127.0.0.1:" + std::to_string(api.port()) +
                                        " speaks plain HTTP but does not answer like a Ferry server (GET "
                                        "/api/version: HTTP 404); to use it anyway, name it with http:// or pass "
                                        "--plaintext");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // no waiting out the TLS attempt
  for (const std::string& s : api.seen()) EXPECT_EQ(s.find("secret-token"), std::string::npos) << s;
}

TEST(ApiClient, ExplicitHttpsNeverFallsBack) {
  FakeApi api;
  ASSERT_TRUE(api.ok());
  ApiClientOptions options = options_for(api.url("https"), "secret-token");
  options.timeout = 2s;
  ApiClient client(options);
  auto got = client.get("/api/version");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "no answer from https://127.0.0.1:" + std::to_string(api.port()) +
                                        " within 2s (if the server speaks plain HTTP, name it with http:// or pass "
                                        "--plaintext)");
  EXPECT_TRUE(api.seen().empty());
}

TEST(ApiClient, TlsCertificatesAreVerifiedUnlessInsecure) {
  FakeApi api(true);
  ASSERT_TRUE(api.ok());
  ApiClient strict(options_for(api.url()));
  auto refused = strict.get("/api/version");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("cannot verify the TLS certificate of https://127.0.0.1"),
            std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("--insecure"), std::string::npos);
  EXPECT_EQ(api.seen().size(), 0u);  // nothing was sent to a server we could not verify

  ApiClient insecure(options_for(api.url(), "t", true));
  auto got = insecure.get("/api/version");
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ((*got)["Version"], "v0.1.0");
  EXPECT_EQ(insecure.url(), "https://127.0.0.1:" + std::to_string(api.port()));
}

TEST(ApiClient, ServerErrorsAreSurfacedWithTheirReason) {
  FakeApi api;
  ASSERT_TRUE(api.ok());
  ApiClient client(options_for(api.url("http")));
  auto missing = client.get("/api/v1/missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().is(Reason::kNotFound));
  EXPECT_EQ(missing.status().message(), "application \"web\" not found");

  auto locked = client.get("/api/v1/locked");
  ASSERT_FALSE(locked.ok());
  EXPECT_TRUE(locked.status().is(Reason::kUnauthorized));
  EXPECT_NE(locked.status().message().find("invalid token"), std::string::npos);
  EXPECT_NE(locked.status().message().find("ferry login"), std::string::npos);

  auto plain = client.get("/nothing");
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().message(), "HTTP 404: 404 page not found");

  auto raw = client.send("GET", "/api/v1/missing");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->status, 404);
  EXPECT_EQ(raw->body["code"], 404);
}

TEST(ApiClient, TimeoutsAreErrorsThatSaySo) {
  FakeApi api;
  ASSERT_TRUE(api.ok());
  ApiClient client(options_for(api.url("http")));
  auto got = client.send("GET", "/api/v1/slow", nullptr, 1s);
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(got.status().is(Reason::kTimeout)) << got.status().to_string();
  EXPECT_NE(got.status().message().find("within 1s"), std::string::npos) << got.status().message();
}

TEST(ApiClient, ListAllFollowsContinueTokens) {
  FakeApi api;
  ASSERT_TRUE(api.ok());
  ApiClient client(options_for(api.url("http")));
  auto items = client.list_all("/api/v1/pages");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  EXPECT_EQ(*items, Json::parse(R"(["a", "p2", "p 3"])"));
}

TEST(ApiClient, PathPrefixIsPrepended) {
  FakeApi api;
  ASSERT_TRUE(api.ok());
  ApiClient client(options_for(ServerUrl{"http", "127.0.0.1", api.port(), "/ferry"}));
  auto got = client.get("/api/v1/echo");  // the fake knows no prefix: a 404 proves where it went
  ASSERT_FALSE(got.ok());
  ASSERT_FALSE(api.seen().empty());
  EXPECT_EQ(api.seen().back(), "/ferry/api/v1/echo -");
}

TEST(StatusFromReply, FallsBackToTheHttpCode) {
  EXPECT_TRUE(status_from_reply({409, Json(), "busy"}).is(Reason::kConflict));
  EXPECT_EQ(status_from_reply({409, Json(), "busy\nmore"}).message(), "HTTP 409: busy");
  EXPECT_EQ(status_from_reply({500, Json(), ""}).message(), "HTTP 500");
  EXPECT_TRUE(status_from_reply({504, Json(), ""}).is(Reason::kTimeout));
  // A reason the server names wins over the code; its message is shown verbatim.
  auto s = status_from_reply({400, Json{{"error", "Invalid"}, {"message", "spec.source.repoURL: required"}}, ""});
  EXPECT_TRUE(s.is(Reason::kInvalid));
  EXPECT_EQ(s.message(), "spec.source.repoURL: required");
  EXPECT_TRUE(status_from_reply({429, Json{{"error", "Whatever"}, {"message", "slow down"}}, ""}).is(Reason::kTooManyRequests));
}

TEST(Escaping, PathSegmentsAndQueryValues) {
  EXPECT_EQ(escape_path_segment("web-1.a_b~"), "web-1.a_b~");
  EXPECT_EQ(escape_path_segment("a/b c"), "a%2Fb%20c");
  EXPECT_EQ(escape_query_value("team=web,tier in (a)"), "team%3Dweb%2Ctier%20in%20%28a%29");
  EXPECT_EQ(escape_query_value("ü"), "%C3%BC");
}

}  // namespace
}  // namespace ferry::cli
