// Levels, presets, the policy forms (map, JSON, annotation text), merge, app and settings
// policies, exemptions and their reasons.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apis/types/yaml_codec.h"
#include "reconciler/policy/policy.h"

namespace ferry::reconciler::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A Deployment whose only problems are a :latest image (and no digest) and a missing liveness
// probe; everything else passes strict.
Json deployment(const Json& annotations = Json()) {
  Json d = Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"template": {"spec": {
      "automountServiceAccountToken": false, "securityContext": {"runAsNonRoot": true},
      "containers": [{"name": "web", "image": "web:latest", "readinessProbe": {"exec": {"command": ["true"]}},
                      "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}}}})");
  if (!annotations.is_null()) d["metadata"]["annotations"] = annotations;
  return d;
}

std::vector<std::string> check_ids(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.check);
  return out;
}

TEST(PolicyConfig, TheCatalogueFollowsTheContractsIds) {
  ASSERT_EQ(checks().size(), std::size(apis::kPolicyCheckIds));
  for (size_t i = 0; i < checks().size(); ++i) {
    EXPECT_EQ(checks()[i].id, apis::kPolicyCheckIds[i]);
    EXPECT_FALSE(checks()[i].summary.empty());
    EXPECT_FALSE(checks()[i].hint.empty());
  }
  EXPECT_EQ(find_check("privileged")->id, "privileged");
  EXPECT_EQ(find_check("nope"), nullptr);
}

TEST(PolicyConfig, BuiltInDefaultsWarnExceptTheOptInDigestCheck) {
  PolicyConfig none;
  EXPECT_EQ(none.level_of("image-tag-latest"), Level::warn);
  EXPECT_EQ(none.level_of("image-digest"), Level::off);
  EXPECT_EQ(none.level_of("no-such-check"), Level::off);
  Evaluation e = evaluate({deployment()}, none);
  EXPECT_THAT(check_ids(e.findings), ElementsAre("image-tag-latest", "probes-missing"));
  EXPECT_EQ(e.count(Level::warn), 2u);
  EXPECT_FALSE(e.denied());
}

TEST(PolicyConfig, DefaultKeyLeavesOptInChecksOff) {
  auto config = parse_policy_map({{"default", "deny"}, {"probes-missing", "off"}});
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->level_of("image-tag-latest"), Level::deny);
  EXPECT_EQ(config->level_of("probes-missing"), Level::off);
  EXPECT_EQ(config->level_of("image-digest"), Level::off);
  Evaluation e = evaluate({deployment()}, *config);
  EXPECT_THAT(check_ids(e.findings), ElementsAre("image-tag-latest"));
  EXPECT_TRUE(e.denied());
}

TEST(PolicyConfig, Presets) {
  auto strict = preset("strict");
  ASSERT_TRUE(strict.ok());
  for (const auto& c : checks()) EXPECT_EQ(strict->level_of(c.id), Level::deny) << c.id;
  auto off = preset("off");
  for (const auto& c : checks()) EXPECT_EQ(off->level_of(c.id), Level::off) << c.id;
  EXPECT_THAT(evaluate({deployment()}, *off).findings, IsEmpty());
  auto def = preset("default");
  for (const auto& c : checks()) EXPECT_EQ(def->level_of(c.id), c.default_level) << c.id;
  auto bad = preset("paranoid");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("\"paranoid\""));
}

TEST(PolicyConfig, AnnotationTextAppliesPresetsAndItemsLeftToRight) {
  auto config = parse_policy_text(" strict , image-digest=off,probes-missing = warn ");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->level_of("privileged"), Level::deny);
  EXPECT_EQ(config->level_of("image-digest"), Level::off);
  EXPECT_EQ(config->level_of("probes-missing"), Level::warn);
  Evaluation e = evaluate({deployment()}, *config);
  ASSERT_THAT(check_ids(e.findings), ElementsAre("image-tag-latest", "probes-missing"));
  EXPECT_EQ(e.findings[0].level, Level::deny);
  EXPECT_EQ(e.findings[1].level, Level::warn);

  auto only = parse_policy_text("default=off,secret-in-git=deny");
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->level_of("privileged"), Level::off);
  EXPECT_EQ(only->level_of("secret-in-git"), Level::deny);
  EXPECT_EQ(parse_policy_text("")->levels.size(), 0u);
}

TEST(PolicyConfig, ParseErrorsNameTheCulprit) {
  auto unknown = parse_policy_text("image-tag-latset=deny");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown check \"image-tag-latset\""));
  EXPECT_THAT(unknown.status().message(), HasSubstr("image-tag-latest"));  // the list to pick from
  auto level = parse_policy_map({{"privileged", "block"}});
  ASSERT_FALSE(level.ok());
  EXPECT_THAT(level.status().message(), HasSubstr("unknown level \"block\" for privileged"));
  auto no_preset = parse_policy_text("strictest");
  ASSERT_FALSE(no_preset.ok());
  EXPECT_THAT(no_preset.status().message(), HasSubstr("preset \"strictest\""));
  auto json = parse_policy(Json::parse(R"({"privileged": 3})"));
  ASSERT_FALSE(json.ok());
  EXPECT_THAT(json.status().message(), HasSubstr("privileged: level must be a string"));
  EXPECT_FALSE(parse_policy(Json::array()).ok());
}

TEST(PolicyConfig, JsonReadsFalseAsOff) {
  auto config = parse_policy(Json::parse(R"({"default": "deny", "probes-missing": false, "privileged": null})"));
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->level_of("probes-missing"), Level::off);
  EXPECT_EQ(config->level_of("privileged"), Level::deny);
}

TEST(PolicyConfig, MergeLetsTheAppWinKeyByKey) {
  auto settings = parse_policy_map({{"default", "deny"}, {"secret-in-git", "deny"}, {"probes-missing", "off"}});
  auto app = parse_policy_map({{"default", "warn"}, {"probes-missing", "deny"}});
  ASSERT_TRUE(settings.ok() && app.ok());
  PolicyConfig merged = merge(*settings, *app);
  EXPECT_EQ(merged.level_of("privileged"), Level::warn);       // the app's default
  EXPECT_EQ(merged.level_of("secret-in-git"), Level::deny);    // the settings' own key, kept
  EXPECT_EQ(merged.level_of("probes-missing"), Level::deny);   // the app's key
  EXPECT_EQ(merge(*settings, PolicyConfig{}), *settings);
  EXPECT_EQ(merge(*settings, *preset("off")).level_of("secret-in-git"), Level::off) << "a preset names every check";
}

TEST(PolicyConfig, AppPolicyIsSpecPolicyWithTheAnnotationOverIt) {
  apis::Application app;
  app.metadata.name = "web";
  app.spec.policy = {{"default", "deny"}, {"probes-missing", "warn"}};
  auto config = app_policy(app);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->level_of("probes-missing"), Level::warn);
  app.metadata.annotations[std::string(apis::kPolicyAnnotation)] = "probes-missing=off";
  config = app_policy(app);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->level_of("probes-missing"), Level::off);
  EXPECT_EQ(config->level_of("privileged"), Level::deny);

  app.metadata.annotations[std::string(apis::kPolicyAnnotation)] = "probes=off";
  auto bad = app_policy(app);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("annotation ferry.dev/policy: unknown check \"probes\""));
  app.metadata.annotations.clear();
  app.spec.policy = {{"privileged", "loud"}};
  bad = app_policy(app);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("spec.policy: unknown level \"loud\""));
}

TEST(PolicyConfig, SettingsPolicyReadsPolicyGates) {
  auto settings = apis::parse_settings("policy:\n  gates:\n    default: deny\n    image-digest: warn\n", "s.yaml");
  ASSERT_TRUE(settings.ok()) << settings.status().to_string();
  auto config = settings_policy(*settings);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->level_of("privileged"), Level::deny);
  EXPECT_EQ(config->level_of("image-digest"), Level::warn);
  EXPECT_TRUE(settings_policy(apis::Settings{})->levels.empty());
}

TEST(PolicyExemption, HonouredOnlyWithAReason) {
  const Json both = {{"ferry.dev/policy-exempt", "image-tag-latest, probes-missing"},
                     {"ferry.dev/policy-exempt-reason", "vendor image, probed by the sidecar"}};
  Evaluation e = evaluate({deployment(both)}, *preset("strict"));
  EXPECT_THAT(check_ids(e.findings), ElementsAre("image-digest"));
  EXPECT_THAT(check_ids(e.exempted), ElementsAre("image-tag-latest", "probes-missing"));
  EXPECT_THAT(e.errors, IsEmpty());

  const Json inline_reason = {{"ferry.dev/policy-exempt", "image-tag-latest,image-digest: built in CI, retagged nightly"}};
  Evaluation i = evaluate({deployment(inline_reason)}, *preset("strict"));
  EXPECT_THAT(check_ids(i.findings), ElementsAre("probes-missing"));
  EXPECT_THAT(check_ids(i.exempted), ElementsAre("image-tag-latest", "image-digest"));

  for (const Json& no_reason : {Json{{"ferry.dev/policy-exempt", "image-tag-latest"}},
                                Json{{"ferry.dev/policy-exempt", "image-tag-latest:  "}},
                                Json{{"ferry.dev/policy-exempt", "image-tag-latest"}, {"ferry.dev/policy-exempt-reason", ""}}}) {
    Evaluation n = evaluate({deployment(no_reason)}, *preset("strict"));
    EXPECT_THAT(check_ids(n.findings), ElementsAre("image-tag-latest", "image-digest", "probes-missing")) << no_reason;
    EXPECT_THAT(n.exempted, IsEmpty());
    ASSERT_EQ(n.errors.size(), 1u) << no_reason;
    EXPECT_THAT(n.errors[0], HasSubstr("Deployment web: exemption from image-tag-latest has no reason"));
    EXPECT_TRUE(n.denied());
  }
}

TEST(PolicyExemption, UnknownIdsAreErrorsAndTheRestStillCounts) {
  Exemption ex = parse_exemption(Json{{"ferry.dev/policy-exempt", "privileged,no-such,privileged: legacy agent"}});
  EXPECT_THAT(ex.checks, ElementsAre("privileged"));
  EXPECT_EQ(ex.reason, "legacy agent");
  ASSERT_EQ(ex.errors.size(), 1u);
  EXPECT_THAT(ex.errors[0], HasSubstr("unknown check \"no-such\""));

  Exemption empty = parse_exemption(Json{{"ferry.dev/policy-exempt", " , : why"}});
  EXPECT_THAT(empty.checks, IsEmpty());
  ASSERT_EQ(empty.errors.size(), 1u);
  EXPECT_THAT(empty.errors[0], HasSubstr("names no check"));
  EXPECT_EQ(parse_exemption(Json{{"ferry.dev/policy-exempt", 5}}).errors.size(), 1u);
  EXPECT_THAT(parse_exemption(Json{{"other", "x"}}).errors, IsEmpty());
  EXPECT_THAT(parse_exemption(Json()).checks, IsEmpty());
}

TEST(PolicyLevels, NamesRoundTrip) {
  for (Level l : {Level::off, Level::warn, Level::deny}) EXPECT_EQ(parse_level(level_name(l)), l);
  EXPECT_FALSE(parse_level("Deny").has_value());
}

}  // namespace
}  // namespace ferry::reconciler::policy
