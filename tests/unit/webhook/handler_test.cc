// The HTTP answers of /api/webhook: what each kind of delivery gets back, that pushes reach the
// Dispatcher, that secrets are re-read per request, and the request counters.
#include "webhook/handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include <nlohmann/json.hpp>

#include "tests/unit/webhook/fixtures.h"
#include "webhook/signature.h"

namespace ferry::webhook {
namespace {

using namespace fixtures;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Json = nlohmann::json;
using std::chrono::seconds;

constexpr const char* kSecret = "gh-webhook-secret-5f2c";

http::Request delivery(std::string body, std::initializer_list<std::pair<std::string, std::string>> headers) {
  http::Request r;
  r.method = "POST";
  r.target = r.path = std::string(kWebhookPath);
  r.headers = {{"content-type", "application/json"}};
  for (const auto& h : headers) r.headers.push_back(h);
  r.body = std::move(body);
  return r;
}

http::Request github(std::string_view body, std::string event = "push", const std::string& secret = kSecret) {
  std::string signature = "sha256=" + hmac_sha256_hex(secret, body);
  return delivery(std::string(body), {{"x-github-event", event}, {"x-hub-signature-256", signature},
                                      {"x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"}});
}

Json body_of(const http::Response& response) { return Json::parse(response.body); }

class WebhookHandlerTest : public ::testing::Test {
 protected:
  WebhookHandlerTest()
      : target_({{"guestbook", "git@github.com:codertocat/hello-world.git", "HEAD", {"apps/guestbook"}},
                 {"docs", "https://github.com/Codertocat/Hello-World", "main", {"docs"}}}),
        dispatcher_(target_),
        handler_([this] { return secrets_; }, dispatcher_) {
    secrets_.github = kSecret;
  }

  FakeTarget target_;
  Dispatcher dispatcher_;
  WebhookSecrets secrets_;  // read by the handler's secrets function on every request
  WebhookHandler handler_;
};

TEST_F(WebhookHandlerTest, SignedGitHubPushIsAcceptedAndRefreshesOnlyTheMatchingApp) {
  http::Response response = handler_.handle(github(kGitHubPush));
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(body_of(response), (Json{{"status", "accepted"}, {"events", 1}}));

  dispatcher_.start();
  ASSERT_TRUE(dispatcher_.wait_idle(seconds(30)));
  ASSERT_EQ(target_.pushes().size(), 1u);
  EXPECT_EQ(target_.pushes()[0].after, "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");
  EXPECT_THAT(target_.refreshed(), ElementsAre("guestbook"));  // docs/ was not touched
}

TEST_F(WebhookHandlerTest, AnswersBeforeAnyWorkIsDone) {
  // The worker is not running: the push is only queued, yet the host already has its 202.
  EXPECT_EQ(handler_.handle(github(kGitHubPush)).status, 202);
  EXPECT_EQ(dispatcher_.counters().events_received, 1u);
  EXPECT_THAT(target_.pushes(), IsEmpty());
}

TEST_F(WebhookHandlerTest, BitbucketPushWithThreeRefsQueuesThreeEvents) {
  http::Response response =
      handler_.handle(delivery(std::string(kBitbucketPush), {{"x-event-key", "repo:push"}, {"x-hook-uuid", "{x}"}}));
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(body_of(response)["events"], 3);
  EXPECT_EQ(dispatcher_.counters().events_received, 3u);
}

TEST_F(WebhookHandlerTest, PingsAreAnsweredWithoutWork) {
  http::Response ping = handler_.handle(github(kGitHubPing, "ping"));
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(body_of(ping)["status"], "pong");
  // A ping is signed like any delivery: a wrong secret shows up when the hook is created.
  EXPECT_EQ(handler_.handle(github(kGitHubPing, "ping", "wrong")).status, 401);

  secrets_.bitbucket_server = "bbs-secret";
  http::Response bbs = handler_.handle(delivery("", {{"x-event-key", "diagnostics:ping"}}));
  EXPECT_EQ(bbs.status, 200);
  EXPECT_EQ(body_of(bbs)["status"], "pong");
  EXPECT_EQ(dispatcher_.counters().events_received, 0u);
}

TEST_F(WebhookHandlerTest, NonPushEventsAreIgnored) {
  http::Response response = handler_.handle(github(R"({"action":"opened"})", "issues"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(body_of(response), (Json{{"status", "ignored"}, {"event", "issues"}}));
  EXPECT_EQ(dispatcher_.counters().events_received, 0u);
}

TEST_F(WebhookHandlerTest, UnknownProviderIsBadRequest) {
  http::Response response = handler_.handle(delivery(std::string(kGitHubPush), {{"user-agent", "curl/8.5"}}));
  EXPECT_EQ(response.status, 400);
  Json body = body_of(response);
  EXPECT_EQ(body["error"], "BadRequest");
  EXPECT_EQ(body["code"], 400);
  EXPECT_THAT(body["message"].get<std::string>(), HasSubstr("X-GitHub-Event"));
}

TEST_F(WebhookHandlerTest, MalformedJsonIsBadRequestWithAReason) {
  http::Response response = handler_.handle(github(R"({"ref": "refs/heads/main", )"));
  EXPECT_EQ(response.status, 400);
  Json body = body_of(response);
  EXPECT_EQ(body["code"], 400);
  EXPECT_THAT(body["message"].get<std::string>(), HasSubstr("not JSON"));

  http::Response no_repo = handler_.handle(github(R"({"ref": "refs/heads/main"})"));
  EXPECT_EQ(no_repo.status, 400);
  EXPECT_THAT(body_of(no_repo)["message"].get<std::string>(), HasSubstr("repository"));
  EXPECT_EQ(dispatcher_.counters().events_received, 0u);
}

TEST_F(WebhookHandlerTest, InvalidUtf8InTheRequestStillYieldsValidJson) {
  http::Response response = handler_.handle(github("{\"ref\": \"\xc3\x28\"}", "is\xff" "sues"));
  EXPECT_EQ(response.status, 200);  // a non-push event named with a broken byte
  EXPECT_NO_THROW(body_of(response));
  http::Response bad = handler_.handle(github("\xff\xfe{"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NO_THROW(body_of(bad));
}

TEST_F(WebhookHandlerTest, WrongOrMissingSignatureIsUnauthorizedWithoutEchoingSecrets) {
  http::Request forged = github(kGitHubPush, "push", "guessed-secret");
  http::Response response = handler_.handle(forged);
  EXPECT_EQ(response.status, 401);
  Json body = body_of(response);
  EXPECT_EQ(body["error"], "Unauthorized");
  EXPECT_EQ(body["code"], 401);
  EXPECT_THAT(body["message"].get<std::string>(), HasSubstr("X-Hub-Signature-256"));
  EXPECT_THAT(response.body, ::testing::Not(HasSubstr(kSecret)));
  EXPECT_THAT(response.body, ::testing::Not(HasSubstr(*forged.header("x-hub-signature-256"))));
  EXPECT_THAT(response.body, ::testing::Not(HasSubstr("guessed-secret")));

  http::Response unsigned_push = handler_.handle(delivery(std::string(kGitHubPush), {{"x-github-event", "push"}}));
  EXPECT_EQ(unsigned_push.status, 401);
  EXPECT_EQ(dispatcher_.counters().events_received, 0u);
}

TEST_F(WebhookHandlerTest, SecretsAreReadForEveryRequest) {
  secrets_.github.clear();
  EXPECT_EQ(handler_.handle(delivery(std::string(kGitHubPush), {{"x-github-event", "push"}})).status, 202);
  secrets_.github = "rotated";
  EXPECT_EQ(handler_.handle(github(kGitHubPush)).status, 401);  // signed with the old secret
  EXPECT_EQ(handler_.handle(github(kGitHubPush, "push", "rotated")).status, 202);
}

TEST_F(WebhookHandlerTest, OversizedBodyIs413) {
  secrets_.max_payload_bytes = 4096;
  std::string big = std::string(kGitHubPush);
  big.append(4096 - big.size() + 1, ' ');
  ASSERT_EQ(big.size(), 4097u);
  http::Response response = handler_.handle(github(big));
  EXPECT_EQ(response.status, 413);
  Json body = body_of(response);
  EXPECT_EQ(body["error"], "RequestEntityTooLarge");
  EXPECT_THAT(body["message"].get<std::string>(), HasSubstr("4096"));

  big.pop_back();  // exactly at the limit is fine
  EXPECT_EQ(handler_.handle(github(big)).status, 202);
}

TEST_F(WebhookHandlerTest, DefaultLimitIsTenMegabytes) {
  EXPECT_EQ(WebhookSecrets{}.max_payload_bytes, 10u * 1024 * 1024);
  std::string huge(10 * 1024 * 1024 + 1, ' ');
  EXPECT_EQ(handler_.handle(github(huge)).status, 413);
}

TEST_F(WebhookHandlerTest, NonPostIs405WithAllowHeader) {
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    http::Request r = github(kGitHubPush);
    r.method = method;
    http::Response response = handler_.handle(r);
    EXPECT_EQ(response.status, 405) << method;
    EXPECT_EQ(body_of(response)["error"], "MethodNotAllowed");
    EXPECT_THAT(response.headers, ::testing::Contains(std::pair<std::string, std::string>("Allow", "POST")));
  }
  EXPECT_EQ(dispatcher_.counters().events_received, 0u);
}

TEST_F(WebhookHandlerTest, FormEncodedGitHubDeliveryIsAccepted) {
  std::string form = "payload=";
  for (unsigned char c : kGitHubPush) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", c);
    form += buf;
  }
  std::string signature = "sha256=" + hmac_sha256_hex(kSecret, form);  // over the raw form body
  http::Request r = delivery(form, {{"x-github-event", "push"}, {"x-hub-signature-256", signature}});
  r.headers[0].second = "application/x-www-form-urlencoded";
  EXPECT_EQ(handler_.handle(r).status, 202);
}

TEST_F(WebhookHandlerTest, PushNamingNoRefIsIgnored) {
  Json doc = Json::parse(kBitbucketPush);
  doc["push"]["changes"] = Json::array();
  http::Response response = handler_.handle(delivery(doc.dump(), {{"x-event-key", "repo:push"}}));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(body_of(response)["status"], "ignored");
}

TEST_F(WebhookHandlerTest, FullDispatcherAnswers503SoTheHostCanRedeliver) {
  FakeTarget target;
  DispatcherOptions options;
  options.max_pending = 1;
  Dispatcher small(target, options);
  WebhookHandler handler([] { return WebhookSecrets{}; }, small);
  http::Request r = delivery(std::string(kBitbucketServerPush), {{"x-event-key", "repo:refs_changed"}});
  http::Response response = handler.handle(r);  // two refs, room for one
  EXPECT_EQ(response.status, 503);
  EXPECT_THAT(body_of(response)["message"].get<std::string>(), HasSubstr("1 of 2"));
}

TEST_F(WebhookHandlerTest, EachProviderReachesTheDispatcher) {
  WebhookHandler open([] { return WebhookSecrets{}; }, dispatcher_);
  EXPECT_EQ(open.handle(delivery(std::string(kGitLabPush), {{"x-gitlab-event", "Push Hook"}})).status, 202);
  EXPECT_EQ(open.handle(delivery(std::string(kGiteaPush), {{"x-gitea-event", "push"},
                                                           {"x-gogs-event", "push"},
                                                           {"x-github-event", "push"}}))
                .status,
            202);
  EXPECT_EQ(open.handle(delivery(std::string(kGogsPush), {{"x-gogs-event", "push"}})).status, 202);
  EXPECT_EQ(open.handle(delivery(std::string(kBitbucketServerPush), {{"x-event-key", "repo:refs_changed"}})).status,
            202);
  EXPECT_EQ(dispatcher_.counters().events_received, 5u);
  auto counts = open.request_counts();
  ASSERT_EQ(counts.size(), 4u);
  EXPECT_EQ(counts[0].provider, "bitbucketserver");
  EXPECT_EQ(counts[1].provider, "gitea");  // not "github", despite the GitHub header it also sent
}

TEST_F(WebhookHandlerTest, CountsRequestsByProviderAndCode) {
  handler_.handle(github(kGitHubPush));
  handler_.handle(github(kGitHubPush));
  handler_.handle(github(kGitHubPush, "push", "wrong"));
  handler_.handle(delivery("{}", {}));
  http::Request get = github(kGitHubPush);
  get.method = "GET";
  handler_.handle(get);

  std::vector<std::tuple<std::string, int, uint64_t>> rows;
  for (const auto& row : handler_.request_counts()) rows.emplace_back(row.provider, row.code, row.count);
  EXPECT_THAT(rows, ElementsAre(std::make_tuple("github", 202, 2u), std::make_tuple("github", 401, 1u),
                                std::make_tuple("github", 405, 1u), std::make_tuple("unknown", 400, 1u)));
}

}  // namespace
}  // namespace ferry::webhook
