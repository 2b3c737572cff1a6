#include "kube/client/client.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <mutex>

namespace ferry::kube {
namespace {

// A scripted transport: serves discovery for v1 ConfigMaps/Namespaces, then answers other
// requests from a queue of canned responses (or a handler), recording everything sent.
class FakeTransport : public Transport {
 public:
  Result<Response> send(const Request& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    sent.push_back(request);
    if (request.path == "/api/v1") {
      ++discovery_calls;
      Json resources = Json::array({
          {{"name", "configmaps"}, {"kind", "ConfigMap"}, {"namespaced", true}, {"verbs", {"get", "list"}}},
          {{"name", "namespaces"}, {"kind", "Namespace"}, {"namespaced", false}},
          {{"name", "namespaces/status"}, {"kind", "Namespace"}, {"namespaced", false}},
      });
      if (extra_kind) resources.push_back({{"name", "widgets"}, {"kind", "Widget"}, {"namespaced", true}});
      return Response{200, Json{{"kind", "APIResourceList"}, {"resources", resources}}.dump(), {}};
    }
    if (request.path.rfind("/apis/", 0) == 0 && request.path.find('/', 6) != std::string::npos &&
        request.path.find("/namespaces/") == std::string::npos && request.path.find("/widgets") == std::string::npos) {
      return Response{404, "", {}};
    }
    if (handler) return handler(request);
    if (replies.empty()) return Response{200, "{}", {}};
    auto reply = replies.front();
    replies.pop_front();
    return reply;
  }

  std::mutex mu_;
  std::vector<Request> sent;
  std::deque<Result<Response>> replies;
  std::function<Result<Response>(const Request&)> handler;
  int discovery_calls = 0;
  bool extra_kind = false;
};

ClientOptions fast() {
  ClientOptions o;
  o.qps = 0;
  o.backoff_base = std::chrono::milliseconds(1);
  o.backoff_max = std::chrono::milliseconds(2);
  o.retry_after_max = std::chrono::milliseconds(50);
  o.discovery_refresh_interval = std::chrono::milliseconds(20);
  return o;
}

Json config_map(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "ns"}}},
          {"data", {{"k", "v"}}}};
}

Response status_body(int code, const std::string& reason, const std::string& message, Json causes = nullptr) {
  Json body = {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
               {"code", code},     {"reason", reason},   {"message", message}};
  if (!causes.is_null()) body["details"] = {{"causes", causes}};
  return Response{code, body.dump(), {}};
}

Status unavailable_unsent() {
  Status s = Status::Unavailable("connect failed");
  s.add_cause({"ConnectionRefused", "refused", ""});
  return s;
}

TEST(ClientTest, PathsForNamespacedAndClusterScopedKinds) {
  auto fake = std::make_shared<FakeTransport>();
  Client client(fake, fast());
  ASSERT_TRUE(client.get({"v1", "ConfigMap", "ns", "a b"}).ok());
  EXPECT_EQ(fake->sent.back().path, "/api/v1/namespaces/ns/configmaps/a%20b");
  ASSERT_TRUE(client.get({"v1", "Namespace", "ignored", "prod"}).ok());
  EXPECT_EQ(fake->sent.back().path, "/api/v1/namespaces/prod");
  ASSERT_TRUE(client.get({"v1", "ConfigMap", "", "x"}).ok());
  EXPECT_EQ(fake->sent.back().path, "/api/v1/namespaces/default/configmaps/x");
  EXPECT_EQ(fake->discovery_calls, 1);  // cached
  auto info = client.resource_for("v1", "Namespace");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->namespaced);
  EXPECT_TRUE(info->has_status);
}

TEST(ClientTest, ApplySendsFieldManagerForceAndDryRun) {
  auto fake = std::make_shared<FakeTransport>();
  Client client(fake, fast());
  auto result = client.apply(config_map("cm"), {"ferry-test", true, true});
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  const Request& r = fake->sent.back();
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(r.path, "/api/v1/namespaces/ns/configmaps/cm?fieldManager=ferry-test&force=true&dryRun=All");
  EXPECT_EQ(r.content_type, "application/apply-patch+yaml");
  EXPECT_EQ(Json::parse(r.body), config_map("cm"));
}

TEST(ClientTest, OtherVerbs) {
  auto fake = std::make_shared<FakeTransport>();
  Client client(fake, fast());
  ASSERT_TRUE(client.create(config_map("cm")).ok());
  EXPECT_EQ(fake->sent.back().method, "POST");
  EXPECT_EQ(fake->sent.back().path, "/api/v1/namespaces/ns/configmaps");
  ASSERT_TRUE(client.merge_patch({"v1", "ConfigMap", "ns", "cm"}, {{"data", {{"k", "w"}}}}).ok());
  EXPECT_EQ(fake->sent.back().content_type, "application/merge-patch+json");
  ASSERT_TRUE(client.json_patch({"v1", "ConfigMap", "ns", "cm"}, Json::array()).ok());
  EXPECT_EQ(fake->sent.back().content_type, "application/json-patch+json");
  ASSERT_TRUE(client.update(config_map("cm")).ok());
  EXPECT_EQ(fake->sent.back().method, "PUT");
  Json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "prod"}}}};
  ASSERT_TRUE(client.update_status(ns).ok());
  EXPECT_EQ(fake->sent.back().path, "/api/v1/namespaces/prod/status");
  ASSERT_TRUE(client.remove({"v1", "ConfigMap", "ns", "cm"}, {"Foreground", "uid-1", "", false}).ok());
  EXPECT_EQ(fake->sent.back().method, "DELETE");
  Json body = Json::parse(fake->sent.back().body);
  EXPECT_EQ(body["propagationPolicy"], "Foreground");
  EXPECT_EQ(body["preconditions"]["uid"], "uid-1");
}

TEST(ClientTest, TypedErrorsWithCauses) {
  auto fake = std::make_shared<FakeTransport>();
  Client client(fake, fast());
  fake->replies.push_back(status_body(
      422, "Invalid", "ConfigMap \"x\" is invalid",
      Json::array({{{"reason", "FieldValueInvalid"}, {"message", "bad name"}, {"field", "metadata.name"}}})));
  auto invalid = client.create(config_map("x"));
  ASSERT_FALSE(invalid.ok());
  EXPECT_TRUE(invalid.status().is(Reason::kInvalid));
  EXPECT_EQ(invalid.status().message(), "ConfigMap \"x\" is invalid");
  ASSERT_EQ(invalid.status().causes().size(), 1u);
  EXPECT_EQ(invalid.status().causes()[0].field, "metadata.name");

  fake->replies.push_back(status_body(409, "AlreadyExists", "exists"));
  EXPECT_TRUE(client.create(config_map("x")).status().is(Reason::kAlreadyExists));
  fake->replies.push_back(status_body(409, "Conflict", "stale"));
  EXPECT_TRUE(client.update(config_map("x")).status().is(Reason::kConflict));
  fake->replies.push_back(status_body(410, "Expired", "too old"));
  EXPECT_TRUE(client.get({"v1", "ConfigMap", "ns", "x"}).status().is(Reason::kGone));
  fake->replies.push_back(Response{403, "forbidden by policy", {}});
  auto forbidden = client.get({"v1", "ConfigMap", "ns", "x"});
  EXPECT_TRUE(forbidden.status().is(Reason::kForbidden));
  EXPECT_NE(forbidden.status().message().find("HTTP 403"), std::string::npos);
}

TEST(ClientTest, TruncatedJsonIsAnErrorNotACrash) {
  auto fake = std::make_shared<FakeTransport>();
  Client client(fake, fast());
  fake->replies.push_back(Response{200, R"({"apiVersion":"v1","kind":"Config)", {}});
  auto result = client.get({"v1", "ConfigMap", "ns", "x"});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("not valid JSON"), std::string::npos);
}

TEST(ClientTest, RetriesIdempotentVerbsOn5xxAnd429) {
  auto fake = std::make_shared<FakeTransport>();
  Client client(fake, fast());
  fake->replies = {Response{500, "", {}}, Response{429, "", {{"retry-after", "0"}}},
                   Result<Response>(Status::Unavailable("reset")), Response{200, config_map("x").dump(), {}}};
  auto result = client.apply(config_map("x"));
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ((*result)["metadata"]["name"], "x");
  EXPECT_TRUE(fake->replies.empty());
}

TEST(ClientTest, CreateRetriesOnlyWhenNothingLanded) {
  auto fake = std::make_shared<FakeTransport>();
  Client client(fake, fast());
  fake->replies = {Response{500, "", {}}, Response{200, "{}", {}}};
  auto failed = client.create(config_map("x"));
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.status().is(Reason::kInternal));
  EXPECT_EQ(fake->replies.size(), 1u);  // not retried

  fake->replies = {Response{429, "", {}}, Result<Response>(unavailable_unsent()), Response{201, "{}", {}}};
  EXPECT_TRUE(client.create(config_map("x")).ok());
  EXPECT_TRUE(fake->replies.empty());

  fake->replies = {Result<Response>(Status::Unavailable("reset after send")), Response{201, "{}", {}}};
  EXPECT_FALSE(client.create(config_map("x")).ok());
}

TEST(ClientTest, GivesUpAfterMaxRetries) {
  auto fake = std::make_shared<FakeTransport>();
  ClientOptions options = fast();
  options.max_retries = 2;
  Client client(fake, options);
  fake->handler = [](const Request&) -> Result<Response> { return Response{503, "", {}}; };
  auto result = client.get({"v1", "ConfigMap", "ns", "x"});
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kUnavailable));
  EXPECT_EQ(fake->sent.size(), 1u + 3u);  // discovery + 3 attempts
}

TEST(ClientTest, RetryAfterIsHonoured) {
  auto fake = std::make_shared<FakeTransport>();
  ClientOptions options = fast();
  options.retry_after_max = std::chrono::seconds(5);
  Client client(fake, options);
  ASSERT_TRUE(client.resource_for("v1", "ConfigMap").ok());
  fake->replies = {Response{429, "", {{"retry-after", "1"}}}, Response{200, "{}", {}}};
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.get({"v1", "ConfigMap", "ns", "x"}).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(950));
}

TEST(ClientTest, ListFollowsContinue) {
  auto fake = std::make_shared<FakeTransport>();
  Client client(fake, fast());
  fake->handler = [](const Request& r) -> Result<Response> {
    Json page = {{"kind", "ConfigMapList"}, {"apiVersion", "v1"}};
    if (r.path.find("continue=") == std::string::npos) {
      page["metadata"] = {{"continue", "next/1"}, {"resourceVersion", "5"}};
      page["items"] = Json::array({{{"metadata", {{"name", "a"}}}}, {{"metadata", {{"name", "b"}}}}});
    } else {
      page["metadata"] = {{"resourceVersion", "6"}};
      page["items"] = Json::array({{{"metadata", {{"name", "c"}}}}});
    }
    return Response{200, page.dump(), {}};
  };
  auto list = client.list({"v1", "ConfigMap", "ns", ""}, {"app=web", "", 2});
  ASSERT_TRUE(list.ok()) << list.status().to_string();
  ASSERT_EQ((*list)["items"].size(), 3u);
  EXPECT_EQ((*list)["items"][2]["metadata"]["name"], "c");
  EXPECT_EQ((*list)["items"][0]["kind"], "ConfigMap");
  EXPECT_EQ((*list)["metadata"]["resourceVersion"], "6");
  EXPECT_EQ(fake->sent[1].path, "/api/v1/namespaces/ns/configmaps?labelSelector=app%3Dweb&limit=2");
  EXPECT_EQ(fake->sent[2].path, "/api/v1/namespaces/ns/configmaps?labelSelector=app%3Dweb&limit=2&continue=next%2F1");
}

TEST(ClientTest, DiscoveryRefreshesOnAMiss) {
  auto fake = std::make_shared<FakeTransport>();
  Client client(fake, fast());
  auto missing = client.resource_for("v1", "Widget");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().is(Reason::kNotFound));
  EXPECT_EQ(missing.status().message(), "the server has no resource for kind \"Widget\" in version \"v1\"");
  fake->extra_kind = true;
  auto found = client.resource_for("v1", "Widget");
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  EXPECT_EQ(found->plural, "widgets");
  EXPECT_EQ(fake->discovery_calls, 2);
  auto unknown_group = client.resource_for("example.com/v1", "Thing");
  EXPECT_TRUE(unknown_group.status().is(Reason::kNotFound));
}

TEST(ClientTest, WatchDeliversEventsAndTracksTheVersion) {
  auto fake = std::make_shared<FakeTransport>();
  Client client(fake, fast());
  fake->replies.push_back(
      Response{200,
               R"({"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"7"}}})"
               "\n\n"
               R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"9"}}})"
               "\n",
               {}});
  std::vector<std::string> types;
  auto rv = client.watch({"v1", "ConfigMap", "ns", "a"}, {"app=x", "", "5", true, 10}, [&](const WatchEvent& e) {
    types.push_back(e.type);
    return true;
  });
  ASSERT_TRUE(rv.ok()) << rv.status().to_string();
  EXPECT_EQ(*rv, "9");
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "BOOKMARK"}));
  EXPECT_EQ(fake->sent.back().path,
            "/api/v1/namespaces/ns/configmaps?watch=true&labelSelector=app%3Dx&fieldSelector=metadata.name%3Da&"
            "resourceVersion=5&allowWatchBookmarks=true&timeoutSeconds=10");
}

TEST(ClientTest, WatchErrorEventIsTyped) {
  auto fake = std::make_shared<FakeTransport>();
  Client client(fake, fast());
  fake->replies.push_back(Response{
      200,
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version"}})"
      "\n",
      {}});
  auto rv = client.watch({"v1", "ConfigMap", "ns", ""}, {}, [](const WatchEvent&) { return true; });
  ASSERT_FALSE(rv.ok());
  EXPECT_TRUE(rv.status().is(Reason::kGone));
  fake->replies.push_back(Response{200, "{\"type\":\"ADD", {}});
  auto broken = client.watch({"v1", "ConfigMap", "ns", ""}, {}, [](const WatchEvent&) { return true; });
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("not valid JSON"), std::string::npos);
}

TEST(ClientTest, RateLimit) {
  auto fake = std::make_shared<FakeTransport>();
  ClientOptions options = fast();
  options.qps = 20;
  options.burst = 1;
  Client client(fake, options);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(client.get({"v1", "ConfigMap", "ns", "x"}).ok());
  // 7 requests (one discovery) with burst 1 at 20/s need at least 6 * 50ms.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(280));
}

}  // namespace
}  // namespace ferry::kube
