// Reading deliveries: which provider sent them, what kind of event they are, and what each
// provider's documented push payload says (refs, SHAs, URLs, default branch, changed files).
#include "webhook/payload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/webhook/fixtures.h"

namespace ferry::webhook {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using Json = nlohmann::json;
using namespace fixtures;

http::Request with_headers(std::initializer_list<std::pair<std::string, std::string>> headers) {
  http::Request r;
  r.method = "POST";
  for (const auto& h : headers) r.headers.push_back(h);
  return r;
}

PushEvent only_event(Provider provider, std::string_view body) {
  auto events = parse_push(provider, body);
  EXPECT_TRUE(events.ok()) << events.status().to_string();
  if (!events.ok()) return {};
  EXPECT_EQ(events->size(), 1u);
  return events->empty() ? PushEvent{} : events->front();
}

// --- detection ---------------------------------------------------------------------------------

TEST(DetectDeliveryTest, EachProvidersOwnHeader) {
  struct Case {
    std::pair<std::string, std::string> header;
    Provider provider;
  };
  for (const Case& c : std::vector<Case>{{{"x-github-event", "push"}, Provider::kGitHub},
                                         {{"x-gitlab-event", "Push Hook"}, Provider::kGitLab},
                                         {{"x-gitea-event", "push"}, Provider::kGitea},
                                         {{"x-gogs-event", "push"}, Provider::kGogs},
                                         {{"x-event-key", "repo:refs_changed"}, Provider::kBitbucketServer},
                                         {{"x-event-key", "repo:push"}, Provider::kBitbucket}}) {
    auto d = detect_delivery(with_headers({c.header}));
    ASSERT_TRUE(d.ok()) << c.header.first;
    EXPECT_EQ(d->provider, c.provider) << c.header.first;
    EXPECT_EQ(d->event, c.header.second);
  }
}

TEST(DetectDeliveryTest, GiteaSendingGogsAndGitHubHeadersTooIsGitea) {
  // Header order on the wire must not matter: GitHub's comes first here.
  auto d = detect_delivery(with_headers({{"x-github-event", "push"},
                                         {"x-gogs-event", "push"},
                                         {"x-gitea-event", "push"},
                                         {"x-hub-signature-256", "sha256=00"}}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->provider, Provider::kGitea);
}

TEST(DetectDeliveryTest, GogsSendingGitHubHeaderTooIsGogs) {
  auto d = detect_delivery(with_headers({{"x-github-event", "push"}, {"x-gogs-event", "push"}}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->provider, Provider::kGogs);
}

TEST(DetectDeliveryTest, BitbucketCloudAndServerAreToldApart) {
  EXPECT_EQ(detect_delivery(with_headers({{"x-event-key", "diagnostics:ping"}}))->provider,
            Provider::kBitbucketServer);
  EXPECT_EQ(detect_delivery(with_headers({{"x-event-key", "pr:opened"}}))->provider, Provider::kBitbucketServer);
  EXPECT_EQ(detect_delivery(with_headers({{"x-event-key", "pullrequest:created"}}))->provider, Provider::kBitbucket);
  // Only Bitbucket Cloud sends X-Hook-UUID, whatever the event.
  EXPECT_EQ(detect_delivery(with_headers({{"x-event-key", "repo:updated"}, {"x-hook-uuid", "{u}"}}))->provider,
            Provider::kBitbucket);
}

TEST(DetectDeliveryTest, NoKnownHeaderIsBadRequest) {
  auto d = detect_delivery(with_headers({{"user-agent", "curl/8.0"}, {"x-custom-event", "push"}}));
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(d.status().is(Reason::kBadRequest));
  EXPECT_THAT(d.status().message(), HasSubstr("X-GitHub-Event"));
}

TEST(EventKindTest, PushPingAndOtherPerProvider) {
  struct Case {
    Provider provider;
    const char* event;
    EventKind kind;
  };
  for (const Case& c : std::vector<Case>{
           {Provider::kGitHub, "push", EventKind::kPush},
           {Provider::kGitHub, "ping", EventKind::kPing},
           {Provider::kGitHub, "pull_request", EventKind::kOther},
           {Provider::kGitea, "push", EventKind::kPush},
           {Provider::kGitea, "ping", EventKind::kPing},
           {Provider::kGitea, "create", EventKind::kOther},
           {Provider::kGogs, "push", EventKind::kPush},
           {Provider::kGitLab, "Push Hook", EventKind::kPush},
           {Provider::kGitLab, "Tag Push Hook", EventKind::kPush},
           {Provider::kGitLab, "Merge Request Hook", EventKind::kOther},
           {Provider::kBitbucket, "repo:push", EventKind::kPush},
           {Provider::kBitbucket, "pullrequest:created", EventKind::kOther},
           {Provider::kBitbucketServer, "repo:refs_changed", EventKind::kPush},
           {Provider::kBitbucketServer, "diagnostics:ping", EventKind::kPing},
           {Provider::kBitbucketServer, "pr:opened", EventKind::kOther},
       }) {
    EXPECT_EQ(event_kind(Delivery{c.provider, c.event}), c.kind) << provider_name(c.provider) << " " << c.event;
  }
}

// --- payloads ----------------------------------------------------------------------------------

TEST(ParsePushTest, GitHub) {
  PushEvent e = only_event(Provider::kGitHub, kGitHubPush);
  EXPECT_EQ(e.provider, Provider::kGitHub);
  EXPECT_EQ(e.ref, "refs/heads/main");
  EXPECT_EQ(e.before, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
  EXPECT_EQ(e.after, "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");
  EXPECT_EQ(e.default_branch, "main");
  EXPECT_THAT(e.repo_urls, ElementsAre("https://github.com/Codertocat/Hello-World",
                                       "https://github.com/Codertocat/Hello-World.git",
                                       "git@github.com:Codertocat/Hello-World.git",
                                       "git://github.com/Codertocat/Hello-World.git"));
  EXPECT_TRUE(e.files_known);
  EXPECT_THAT(e.changed_files,
              ElementsAre("README.md", "apps/guestbook/deployment.yaml", "apps/guestbook/service.yaml"));
  EXPECT_FALSE(e.deleted);
}

TEST(ParsePushTest, GitHubTwentyCommitsMayBeTruncatedSoFilesAreUnknown) {
  Json doc = Json::parse(kGitHubPush);
  Json commit = doc["commits"][0];
  doc["commits"] = Json::array();
  for (int i = 0; i < 19; ++i) doc["commits"].push_back(commit);
  EXPECT_TRUE(only_event(Provider::kGitHub, doc.dump()).files_known);
  doc["commits"].push_back(commit);
  PushEvent e = only_event(Provider::kGitHub, doc.dump());
  EXPECT_FALSE(e.files_known);
  EXPECT_THAT(e.changed_files, IsEmpty());
}

TEST(ParsePushTest, GitHubCreatedForcedAndDeletedRefsHaveUnknownFiles) {
  for (const char* flag : {"created", "forced"}) {
    Json doc = Json::parse(kGitHubPush);
    doc[flag] = true;
    PushEvent e = only_event(Provider::kGitHub, doc.dump());
    EXPECT_FALSE(e.files_known) << flag;
    EXPECT_FALSE(e.deleted) << flag;
  }
  Json doc = Json::parse(kGitHubPush);
  doc["deleted"] = true;
  doc["after"] = "0000000000000000000000000000000000000000";
  doc["commits"] = Json::array();
  PushEvent e = only_event(Provider::kGitHub, doc.dump());
  EXPECT_TRUE(e.deleted);
  EXPECT_FALSE(e.files_known);
}

TEST(ParsePushTest, GitHubCommitWithoutFileListsMakesFilesUnknown) {
  // GitHub Actions' copy of the push payload strips added/modified/removed.
  Json doc = Json::parse(kGitHubPush);
  for (Json& commit : doc["commits"]) {
    commit.erase("added");
    commit.erase("removed");
    commit.erase("modified");
  }
  EXPECT_FALSE(only_event(Provider::kGitHub, doc.dump()).files_known);
}

TEST(ParsePushTest, GitHubTagPush) {
  Json doc = Json::parse(kGitHubPush);
  doc["ref"] = "refs/tags/v1.2.0";
  doc["base_ref"] = "refs/heads/main";
  EXPECT_EQ(only_event(Provider::kGitHub, doc.dump()).ref, "refs/tags/v1.2.0");
}

TEST(ParsePushTest, GitLabListingTwoOfFourCommitsHasUnknownFiles) {
  PushEvent e = only_event(Provider::kGitLab, kGitLabPush);
  EXPECT_EQ(e.provider, Provider::kGitLab);
  EXPECT_EQ(e.ref, "refs/heads/master");
  EXPECT_EQ(e.before, "95790bf891e76fee5e1747ab589903a6a1f80f22");
  EXPECT_EQ(e.after, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
  EXPECT_EQ(e.default_branch, "master");
  EXPECT_THAT(e.repo_urls, ElementsAre("http://example.com/mike/diaspora", "http://example.com/mike/diaspora.git",
                                       "git@example.com:mike/diaspora.git"));
  EXPECT_FALSE(e.files_known);  // total_commits_count 4 > 2 listed
  EXPECT_THAT(e.changed_files, IsEmpty());
}

TEST(ParsePushTest, GitLabWithEveryCommitListedHasKnownFiles) {
  Json doc = Json::parse(kGitLabPush);
  doc["total_commits_count"] = 2;
  PushEvent e = only_event(Provider::kGitLab, doc.dump());
  EXPECT_TRUE(e.files_known);
  EXPECT_THAT(e.changed_files, ElementsAre("CHANGELOG", "app/controller/application.rb", "deploy/prod/values.yaml"));
}

TEST(ParsePushTest, GitLabTagPushAndBranchDeletion) {
  PushEvent tag = only_event(Provider::kGitLab, kGitLabTagPush);
  EXPECT_EQ(tag.ref, "refs/tags/v1.0.0");
  EXPECT_FALSE(tag.files_known);  // a new ref
  EXPECT_FALSE(tag.deleted);
  EXPECT_THAT(tag.repo_urls, ::testing::Contains("ssh://git@example.com/jsmith/example.git"));

  Json doc = Json::parse(kGitLabPush);
  doc["after"] = "0000000000000000000000000000000000000000";
  doc["commits"] = Json::array();
  doc["total_commits_count"] = 0;
  PushEvent deleted = only_event(Provider::kGitLab, doc.dump());
  EXPECT_TRUE(deleted.deleted);
  EXPECT_FALSE(deleted.files_known);
}

TEST(ParsePushTest, Gitea) {
  PushEvent e = only_event(Provider::kGitea, kGiteaPush);
  EXPECT_EQ(e.provider, Provider::kGitea);
  EXPECT_EQ(e.ref, "refs/heads/develop");
  EXPECT_EQ(e.after, "bffeb74224043ba2feb48d137756c8a9331c449a");
  EXPECT_EQ(e.default_branch, "master");
  EXPECT_THAT(e.repo_urls, ElementsAre("http://localhost:3000/gitea/webhooks",
                                       "http://localhost:3000/gitea/webhooks.git",
                                       "ssh://gitea@localhost:2222/gitea/webhooks.git"));
  EXPECT_TRUE(e.files_known);
  EXPECT_THAT(e.changed_files, ElementsAre("deploy/base/deployment.yaml", "deploy/staging/kustomization.yaml"));
}

TEST(ParsePushTest, GiteaTotalCommitsAboveListedMakesFilesUnknown) {
  // Gitea cuts the list to its feed size and says how many there were.
  Json doc = Json::parse(kGiteaPush);
  doc["total_commits"] = 12;
  EXPECT_FALSE(only_event(Provider::kGitea, doc.dump()).files_known);
}

TEST(ParsePushTest, Gogs) {
  PushEvent e = only_event(Provider::kGogs, kGogsPush);
  EXPECT_EQ(e.provider, Provider::kGogs);
  EXPECT_EQ(e.ref, "refs/heads/master");
  EXPECT_THAT(e.repo_urls, ::testing::Contains("git@gogs.example.com:ops/cluster.git"));
  EXPECT_TRUE(e.files_known);
  EXPECT_THAT(e.changed_files, ElementsAre("web/deployment.yaml"));
}

TEST(ParsePushTest, BitbucketCloudGivesOneEventPerRef) {
  auto events = parse_push(Provider::kBitbucket, kBitbucketPush);
  ASSERT_TRUE(events.ok()) << events.status().to_string();
  ASSERT_EQ(events->size(), 3u);
  const PushEvent& branch = (*events)[0];
  EXPECT_EQ(branch.ref, "refs/heads/main");
  EXPECT_EQ(branch.before, "1e65c05c1d5171631d92438a13901ca7dae9618c");
  EXPECT_EQ(branch.after, "9fec847784abb10b2fa567ee63b85bd238955d0e");
  EXPECT_THAT(branch.repo_urls, ElementsAre("https://bitbucket.org/team/infra"));
  EXPECT_FALSE(branch.files_known);  // Bitbucket sends no file lists
  EXPECT_FALSE(branch.deleted);
  const PushEvent& tag = (*events)[1];
  EXPECT_EQ(tag.ref, "refs/tags/v1.2.0");
  EXPECT_EQ(tag.before, "");
  EXPECT_FALSE(tag.deleted);
  const PushEvent& gone = (*events)[2];
  EXPECT_EQ(gone.ref, "refs/heads/feature/old");
  EXPECT_TRUE(gone.deleted);
  EXPECT_EQ(gone.after, "");
  for (const PushEvent& e : *events) EXPECT_EQ(e.provider, Provider::kBitbucket);
}

TEST(ParsePushTest, BitbucketServerGivesOneEventPerChange) {
  auto events = parse_push(Provider::kBitbucketServer, kBitbucketServerPush);
  ASSERT_TRUE(events.ok()) << events.status().to_string();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].ref, "refs/heads/master");
  EXPECT_EQ((*events)[0].before, "ecddabb624f6f5ba43816f5926e580a5f680a932");
  EXPECT_EQ((*events)[0].after, "178864a7d521b6f5e720b386b2c2b0ef8563e0dc");
  EXPECT_THAT((*events)[0].repo_urls, ElementsAre("ssh://git@bitbucket.example.com:7999/proj/repository.git",
                                                  "https://bitbucket.example.com/scm/proj/repository.git"));
  EXPECT_FALSE((*events)[0].files_known);
  EXPECT_EQ((*events)[1].ref, "refs/tags/v2.0.0");

  Json doc = Json::parse(kBitbucketServerPush);
  doc["changes"][0]["type"] = "DELETE";
  doc["changes"][0]["toHash"] = "0000000000000000000000000000000000000000";
  doc["changes"][1]["ref"] = nullptr;  // older servers send only refId
  auto edited = parse_push(Provider::kBitbucketServer, doc.dump());
  ASSERT_TRUE(edited.ok());
  EXPECT_TRUE((*edited)[0].deleted);
  EXPECT_EQ((*edited)[1].ref, "refs/tags/v2.0.0");
}

TEST(ParsePushTest, BitbucketPushWithNoChangesGivesNoEvents) {
  Json doc = Json::parse(kBitbucketPush);
  doc["push"]["changes"] = Json::array();
  auto events = parse_push(Provider::kBitbucket, doc.dump());
  ASSERT_TRUE(events.ok());
  EXPECT_THAT(*events, IsEmpty());
}

// --- malformed ---------------------------------------------------------------------------------

TEST(ParsePushTest, MalformedBodiesAreBadRequestsWithAReason) {
  struct Case {
    Provider provider;
    std::string body;
    const char* reason;
  };
  std::string deep(200, '[');
  for (const Case& c : std::vector<Case>{
           {Provider::kGitHub, "", "not JSON"},
           {Provider::kGitHub, "{\"ref\": ", "not JSON"},
           {Provider::kGitLab, "ref=refs/heads/main", "not JSON"},
           {Provider::kGitHub, "[1, 2]", "not a JSON object"},
           {Provider::kGitHub, R"({"ref": 5, "repository": {"html_url": "https://github.com/a/b"}})", "\"ref\""},
           {Provider::kGitHub, R"({"ref": "refs/heads/main"})", "\"repository\""},
           {Provider::kGitHub, R"({"ref": "refs/heads/main", "repository": {"html_url": "not a url"}})",
            "repository URL"},
           {Provider::kGitLab, R"({"ref": "refs/heads/main"})", "\"project\""},
           {Provider::kBitbucket, R"({"repository": {"links": {}}})", "push.changes"},
           {Provider::kBitbucketServer, R"({"repository": {}, "changes": {}})", "\"changes\""},
           {Provider::kGitHub, deep, "nests deeper"},
           {Provider::kGitHub, "{\"ref\": \"\xff\xfe\"}", "not JSON"},
       }) {
    auto events = parse_push(c.provider, c.body);
    ASSERT_FALSE(events.ok()) << c.body.substr(0, 40);
    EXPECT_TRUE(events.status().is(Reason::kBadRequest)) << events.status().to_string();
    EXPECT_THAT(events.status().message(), HasSubstr(c.reason)) << c.body.substr(0, 40);
  }
}

TEST(ParsePushTest, FieldsOfTheWrongTypeReadAsAbsentInsteadOfThrowing) {
  Json doc = Json::parse(kGitHubPush);
  doc["before"] = 17;
  doc["deleted"] = "yes";
  doc["commits"][0]["added"] = "apps/x.yaml";  // not a list: ignored for this key
  doc["commits"][1]["modified"] = Json::array({1, 2});
  doc["repository"]["default_branch"] = Json::object();
  PushEvent e = only_event(Provider::kGitHub, doc.dump());
  EXPECT_EQ(e.before, "");
  EXPECT_FALSE(e.deleted);
  EXPECT_EQ(e.default_branch, "main");  // falls back to master_branch
  EXPECT_FALSE(e.files_known);          // a non-string path makes the list untrustworthy
}

TEST(ParsePushTest, BracketsInsideStringsDoNotCountAsNesting) {
  Json doc = Json::parse(kGitHubPush);
  doc["commits"][0]["message"] = std::string(500, '[') + "\\\"{";
  EXPECT_EQ(only_event(Provider::kGitHub, doc.dump()).ref, "refs/heads/main");
}

TEST(JsonTextTest, FormEncodedBodiesCarryThePayloadField) {
  http::Request form = with_headers({{"content-type", "application/x-www-form-urlencoded"}});
  form.body = "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%2C%22a%22%3A%22x+y%22%7D&other=1";
  EXPECT_EQ(json_text(form), R"({"ref":"refs/heads/main","a":"x y"})");
  form.body = "other=1";
  EXPECT_EQ(json_text(form), "");
  http::Request json = with_headers({{"content-type", "application/json"}});
  json.body = "payload=%7B%7D";
  EXPECT_EQ(json_text(json), "payload=%7B%7D");
}

}  // namespace
}  // namespace ferry::webhook
