#include "reconciler/diff/ignore.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconciler/diff/diff.h"
#include "tests/unit/reconciler_diff/fixtures.h"

namespace ferry::reconciler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace ferry::reconciler::testing;

IgnoreRule rule(const std::string& group, const std::string& kind, std::vector<std::string> pointers,
                std::vector<std::string> managers = {}) {
  IgnoreRule r;
  r.group = group;
  r.kind = kind;
  r.json_pointers = std::move(pointers);
  r.managed_fields_managers = std::move(managers);
  return r;
}

DiffOptions with_rules(std::vector<IgnoreRule> rules) {
  DiffOptions options;
  options.ignore = std::move(rules);
  return options;
}

ResourceDiff diff(const json& desired, const json& live, const DiffOptions& options) {
  return diff_resource(&desired, &live, options);
}

// ---- parsing ---------------------------------------------------------------------------------

TEST(IgnoreRuleFromJsonTest, ArgoShape) {
  auto r = ignore_rule_from_json(json::parse(R"({
    "group": "apps", "kind": "Deployment", "name": "web", "namespace": "prod",
    "jsonPointers": ["/spec/replicas", "/metadata/annotations/a~1b"],
    "managedFieldsManagers": ["kube-controller-manager", "hpa"]})"));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->group, "apps");
  EXPECT_EQ(r->kind, "Deployment");
  EXPECT_EQ(r->name, "web");
  EXPECT_EQ(r->namespace_, "prod");
  EXPECT_THAT(r->json_pointers, ElementsAre("/spec/replicas", "/metadata/annotations/a~1b"));
  EXPECT_THAT(r->managed_fields_managers, ElementsAre("kube-controller-manager", "hpa"));
}

TEST(IgnoreRuleFromJsonTest, GroupDefaultsToCore) {
  auto r = ignore_rule_from_json(json::parse(R"({"kind": "Service", "jsonPointers": ["/spec/clusterIP"]})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->group, "");
  EXPECT_EQ(r->name, "");
  EXPECT_THAT(r->managed_fields_managers, IsEmpty());
}

TEST(IgnoreRuleFromJsonTest, JqPathExpressionsAreRefusedClearly) {
  auto r = ignore_rule_from_json(
      json::parse(R"({"group": "apps", "kind": "Deployment", "jqPathExpressions": [".spec.replicas"]})"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is(Reason::kInvalid));
  EXPECT_THAT(r.status().message(), HasSubstr("jqPathExpressions is not supported"));
  EXPECT_THAT(r.status().message(), HasSubstr("jsonPointers"));
  // An empty list asks for nothing and is accepted.
  EXPECT_TRUE(ignore_rule_from_json(json::parse(R"({"kind": "Deployment", "jqPathExpressions": []})")).ok());
}

TEST(IgnoreRuleFromJsonTest, InvalidEntries) {
  for (const char* text : {
           R"([])",
           R"({"group": "apps"})",
           R"({"kind": 3})",
           R"({"kind": "Deployment", "jsonPointers": "/spec/replicas"})",
           R"({"kind": "Deployment", "jsonPointers": [1]})",
           R"({"kind": "Deployment", "jsonPointers": ["spec/replicas"]})",
           R"({"kind": "Deployment", "jsonPointers": [""]})",
           R"({"kind": "Deployment", "jsonPointers": ["/a~2"]})",
           R"({"kind": "Deployment", "managedFieldsManagers": "hpa"})",
           R"({"kind": "Deployment", "jsonPointer": ["/spec"]})",
       }) {
    auto r = ignore_rule_from_json(json::parse(text));
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_TRUE(r.status().is(Reason::kInvalid)) << text;
  }
}

TEST(IgnoreRuleMatchTest, ByGroupKindNameNamespace) {
  IgnoreRule r = rule("apps", "Deployment", {"/spec/replicas"});
  EXPECT_TRUE(ignore_rule_matches(r, "apps", "Deployment", "default", "web"));
  EXPECT_FALSE(ignore_rule_matches(r, "", "Deployment", "default", "web"));
  EXPECT_FALSE(ignore_rule_matches(r, "apps", "StatefulSet", "default", "web"));
  r.name = "web";
  r.namespace_ = "prod";
  EXPECT_FALSE(ignore_rule_matches(r, "apps", "Deployment", "default", "web"));
  EXPECT_FALSE(ignore_rule_matches(r, "apps", "Deployment", "prod", "api"));
  EXPECT_TRUE(ignore_rule_matches(r, "apps", "Deployment", "prod", "web"));
  IgnoreRule any = rule("*", "*", {});
  EXPECT_TRUE(ignore_rule_matches(any, "batch", "Job", "x", "y"));
}

// ---- JSON pointers --------------------------------------------------------------------------

TEST(IgnoreDifferencesTest, PointerHidesADifference) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live = server_update(live, [](json& o) { o["spec"]["replicas"] = 10; }, "kubectl-scale");
  EXPECT_EQ(diff(desired, live, {}).state, SyncState::kOutOfSync);

  ResourceDiff d = diff(desired, live, with_rules({rule("apps", "Deployment", {"/spec/replicas"})}));
  EXPECT_EQ(d.state, SyncState::kSynced);
  EXPECT_THAT(d.changed, IsEmpty());
  // Ignored fields are left out of both views.
  EXPECT_FALSE(d.live_view["spec"].contains("replicas"));
  EXPECT_FALSE(d.desired_view["spec"].contains("replicas"));
}

TEST(IgnoreDifferencesTest, RuleForAnotherObjectDoesNotApply) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live["spec"]["replicas"] = 10;
  IgnoreRule other_name = rule("apps", "Deployment", {"/spec/replicas"});
  other_name.name = "api";
  IgnoreRule other_ns = rule("apps", "Deployment", {"/spec/replicas"});
  other_ns.namespace_ = "prod";
  IgnoreRule other_kind = rule("apps", "StatefulSet", {"/spec/replicas"});
  IgnoreRule other_group = rule("extensions", "Deployment", {"/spec/replicas"});
  EXPECT_EQ(diff(desired, live, with_rules({other_name, other_ns, other_kind, other_group})).state,
            SyncState::kOutOfSync);
  IgnoreRule same = other_name;
  same.name = "web";
  same.namespace_ = "default";
  EXPECT_EQ(diff(desired, live, with_rules({same})).state, SyncState::kSynced);
}

TEST(IgnoreDifferencesTest, PointerIntoListIndexAndEscapedMapKey) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28";
  live["metadata"]["annotations"]["example.com/revision"] = "7";
  desired["metadata"]["annotations"]["example.com/revision"] = "1";
  DiffOptions options = with_rules({rule("apps", "Deployment",
                                         {"/spec/template/spec/containers/0/image",
                                          "/metadata/annotations/example.com~1revision"})});
  ResourceDiff d = diff(desired, live, options);
  EXPECT_EQ(d.state, SyncState::kSynced) << d.unified;
}

TEST(IgnoreDifferencesTest, IgnoredFieldDroppedFromDesiredIsNotDrift) {
  json before = web_deployment();
  json live = server_apply(nullptr, before);
  json desired = web_deployment();
  desired["spec"].erase("replicas");  // Ferry applied replicas before, an HPA owns it now
  EXPECT_THAT(diff(desired, live, {}).changed, ElementsAre(ChangedPath{"/spec/replicas", "ferry"}));
  EXPECT_EQ(diff(desired, live, with_rules({rule("apps", "Deployment", {"/spec/replicas"})})).state,
            SyncState::kSynced);
}

// ---- managedFieldsManagers ------------------------------------------------------------------

TEST(IgnoreDifferencesTest, FieldsOwnedByIgnoredManagersDoNotCount) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live = server_update(live, [](json& o) { o["spec"]["replicas"] = 8; }, "hpa-controller");
  ResourceDiff plain = diff(desired, live, {});
  EXPECT_THAT(plain.changed, ElementsAre(ChangedPath{"/spec/replicas", "hpa-controller"}));

  DiffOptions options = with_rules({rule("apps", "Deployment", {}, {"hpa-controller"})});
  EXPECT_EQ(diff(desired, live, options).state, SyncState::kSynced);

  // Changes by anyone else are still seen.
  live = server_update(live, [](json& o) { o["spec"]["template"]["spec"]["containers"][0]["image"] = "x:1"; },
                       "kubectl-edit");
  ResourceDiff d = diff(desired, live, options);
  EXPECT_THAT(d.changed, ElementsAre(ChangedPath{"/spec/template/spec/containers/0/image", "kubectl-edit"}));
}

TEST(IgnoreDifferencesTest, IgnoredManagerInsideKeyedList) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live = server_update(live,
                       [](json& o) { o["spec"]["template"]["spec"]["containers"][0]["env"][1]["value"] = "debug"; },
                       "config-operator");
  EXPECT_EQ(diff(desired, live, {}).state, SyncState::kOutOfSync);
  EXPECT_EQ(diff(desired, live, with_rules({rule("apps", "Deployment", {}, {"config-operator"})})).state,
            SyncState::kSynced);
}

// ---- RespectIgnoreDifferences ---------------------------------------------------------------

TEST(RespectIgnoreDifferencesTest, PointerTakesLiveValue) {
  json desired = web_deployment(3);
  json live = server_apply(nullptr, desired);
  live["spec"]["replicas"] = 6;
  DiffOptions options = with_rules({rule("apps", "Deployment", {"/spec/replicas"})});
  json out = respect_ignore_differences(desired, live, options);
  EXPECT_EQ(out["spec"]["replicas"], 6);
  json expected = desired;
  expected["spec"]["replicas"] = 6;
  EXPECT_EQ(out, expected);
}

TEST(RespectIgnoreDifferencesTest, PointerRemovedWhenLiveLacksIt) {
  json desired = web_deployment();
  desired["metadata"]["annotations"]["note"] = "from git";
  json live = server_apply(nullptr, web_deployment());
  json out = respect_ignore_differences(desired, live,
                                        with_rules({rule("apps", "Deployment", {"/metadata/annotations/note"})}));
  EXPECT_FALSE(out["metadata"]["annotations"].contains("note"));
}

TEST(RespectIgnoreDifferencesTest, PointerCopiedEvenWhereDesiredDoesNotSetIt) {
  json desired = web_deployment();
  desired["spec"].erase("replicas");
  json live = server_apply(nullptr, web_deployment(4));
  json out = respect_ignore_differences(desired, live, with_rules({rule("apps", "Deployment", {"/spec/replicas"})}));
  EXPECT_EQ(out["spec"]["replicas"], 4);
}

TEST(RespectIgnoreDifferencesTest, ManagerOwnedFieldsTakeLiveValues) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live = server_update(live, [](json& o) {
    o["spec"]["replicas"] = 9;
    o["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "canary";
  }, "rollout-operator");
  json out = respect_ignore_differences(desired, live, with_rules({rule("apps", "Deployment", {}, {"rollout-operator"})}));
  EXPECT_EQ(out["spec"]["replicas"], 9);
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"], "canary");
  // Everything else is desired's, untouched: no server defaults leak in.
  EXPECT_FALSE(out["spec"].contains("revisionHistoryLimit"));
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27");
  // And the result diffs clean against live, with or without the rule.
  EXPECT_EQ(diff_resource(&out, &live, {}).state, SyncState::kSynced);
}

TEST(RespectIgnoreDifferencesTest, NoMatchingRuleReturnsDesired) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live["spec"]["replicas"] = 1;
  EXPECT_EQ(respect_ignore_differences(desired, live, with_rules({rule("", "Service", {"/spec/replicas"})})), desired);
  EXPECT_EQ(respect_ignore_differences(desired, live, {}), desired);
}

TEST(RespectIgnoreDifferencesTest, SecretDataPointerAlsoDropsStringData) {
  json desired = json::parse(R"({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "d"},
    "stringData": {"token": "from-git", "other": "x"}})");
  json live = json::parse(R"({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "d"},
    "data": {"token": "cm90YXRlZA==", "other": "eA=="}})");
  json out = respect_ignore_differences(desired, live, with_rules({rule("", "Secret", {"/data/token"})}));
  EXPECT_EQ(out["data"]["token"], "cm90YXRlZA==");
  EXPECT_FALSE(out["stringData"].contains("token"));
  EXPECT_EQ(out["stringData"]["other"], "x");
}

// ---- helpers --------------------------------------------------------------------------------

TEST(IgnoreHelpersTest, RemovePointersHighestIndexFirst) {
  json doc = json::parse(R"({"a": [0, 1, 2, 3], "b": {"c": 1}})");
  remove_pointers(doc, {{"a", "1"}, {"a", "3"}, {"b", "c"}, {"a", "nope"}, {"zz"}});
  EXPECT_EQ(doc, json::parse(R"({"a": [0, 2], "b": {}})"));
}

TEST(IgnoreHelpersTest, RemovalOrder) {
  EXPECT_TRUE(pointer_removal_order({"a", "10"}, {"a", "9"}));
  EXPECT_FALSE(pointer_removal_order({"a", "9"}, {"a", "10"}));
  EXPECT_TRUE(pointer_removal_order({"a", "1", "x"}, {"a", "1"}));
}

TEST(IgnoreHelpersTest, StringDataPointersAlsoNameData) {
  IgnoreRule r = rule("", "Secret", {"/stringData/k"});
  auto pointers = ignored_pointers({&r}, true);
  EXPECT_THAT(pointers, ::testing::UnorderedElementsAre(std::vector<std::string>{"data", "k"},
                                                       std::vector<std::string>{"stringData", "k"}));
  EXPECT_EQ(ignored_pointers({&r}, false).size(), 1u);
}

TEST(IgnoreHelpersTest, IdentityAndGroup) {
  ObjectIdentity id = identity_of(web_deployment());
  EXPECT_EQ(id.group, "apps");
  EXPECT_EQ(id.kind, "Deployment");
  EXPECT_EQ(id.namespace_, "default");
  EXPECT_EQ(id.name, "web");
  EXPECT_EQ(group_of(web_service()), "");
  EXPECT_EQ(group_of(json::object()), "");
}

}  // namespace
}  // namespace ferry::reconciler
