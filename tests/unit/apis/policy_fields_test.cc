// spec.policy on the Application and policy.gates in the settings: read, written back, and
// refused with a cause naming the key when a check id or a level is unknown.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apis/types/application.h"
#include "apis/types/settings.h"
#include "apis/types/yaml_codec.h"

namespace ferry::apis {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kApp = R"(
apiVersion: ferry.dev/v1alpha1
kind: Application
metadata: {name: web, namespace: ferry}
spec:
  source: {repoURL: https://git.example.com/config.git, path: web}
  destination: {server: https://kubernetes.default.svc, namespace: web}
  policy:
    default: deny
    image-digest: warn
    probes-missing: off
)";

Application parse(const std::string& yaml) {
  auto objects = yaml::parse_objects(yaml, "app.yaml");
  EXPECT_TRUE(objects.ok()) << objects.status().to_string();
  auto app = parse_application(objects->at(0));
  EXPECT_TRUE(app.ok()) << app.status().to_string();
  return app.ok() ? *app : Application{};
}

TEST(PolicyFields, SpecPolicyIsReadValidatedAndWrittenBack) {
  Application app = parse(kApp);
  // The plain `off` is YAML 1.1's false; it reads as the level "off".
  EXPECT_EQ(app.spec.policy,
            (std::map<std::string, std::string>{{"default", "deny"}, {"image-digest", "warn"}, {"probes-missing", "off"}}));
  EXPECT_THAT(validate(app), IsEmpty());
  Json spec = spec_to_json(app);
  EXPECT_EQ(spec["policy"], Json::parse(R"({"default": "deny", "image-digest": "warn", "probes-missing": "off"})"));
  auto again = parse_application(to_json(app));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->spec.policy, app.spec.policy);

  Application none = parse(std::string(kApp).substr(0, std::string(kApp).find("  policy:")));
  EXPECT_TRUE(none.spec.policy.empty());
  EXPECT_FALSE(spec_to_json(none).contains("policy"));
}

TEST(PolicyFields, UnknownChecksAndLevelsAreCausesNamingTheKey) {
  Application app = parse(kApp);
  app.spec.policy["image-tag-latset"] = "deny";
  app.spec.policy["privileged"] = "block";
  std::vector<StatusCause> causes = validate(app);
  ASSERT_EQ(causes.size(), 2u);
  EXPECT_EQ(causes[0].field, "spec.policy.image-tag-latset");
  EXPECT_EQ(causes[0].reason, kCauseNotSupported);
  EXPECT_THAT(causes[0].message, HasSubstr("unknown check \"image-tag-latset\""));
  EXPECT_EQ(causes[1].field, "spec.policy.privileged");
  EXPECT_THAT(causes[1].message, HasSubstr("unknown level \"block\" (want off, warn or deny)"));
  Status status = validate_application(app);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("spec.policy.privileged"));
}

TEST(PolicyFields, WrongTypesAreParseErrors) {
  std::string text = std::string(kApp) + "    privileged: 3\n";
  auto objects = yaml::parse_objects(text, "app.yaml");
  ASSERT_TRUE(objects.ok());
  auto app = parse_application(objects->at(0));
  ASSERT_FALSE(app.ok());
  EXPECT_THAT(app.status().message(), HasSubstr("spec.policy.privileged: must be a string (off, warn or deny)"));
  Json list = objects->at(0);
  list["spec"]["policy"] = Json::array({"strict"});
  EXPECT_FALSE(parse_application(list).ok());
}

TEST(PolicyFields, TheIdListAndLevelsAreTheContract) {
  EXPECT_EQ(std::size(kPolicyCheckIds), 15u);
  EXPECT_TRUE(is_policy_check_id("sa-token-automount"));
  EXPECT_FALSE(is_policy_check_id("default"));
  EXPECT_TRUE(is_policy_level("deny"));
  EXPECT_FALSE(is_policy_level("Deny"));
}

TEST(PolicyFields, SettingsReadPolicyGatesFlatAndNested) {
  auto nested = parse_settings("policy:\n  default: role:admin\n  gates:\n    default: deny\n    image-digest: off\n",
                               "nested.yaml");
  ASSERT_TRUE(nested.ok()) << nested.status().to_string();
  EXPECT_EQ(nested->policy_default, "role:admin") << "RBAC's policy.default is untouched";
  EXPECT_EQ(nested->policy_gates, (std::map<std::string, std::string>{{"default", "deny"}, {"image-digest", "off"}}));

  auto flat = parse_settings(R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm}
data:
  policy.gates.secret-in-git: " deny "
)", "cm.yaml");
  ASSERT_TRUE(flat.ok()) << flat.status().to_string();
  EXPECT_EQ(flat->policy_gates, (std::map<std::string, std::string>{{"secret-in-git", "deny"}}));
  EXPECT_TRUE(parse_settings("webhook.github.secret: x\n", "none.yaml")->policy_gates.empty());
}

TEST(PolicyFields, SettingsRefuseUnknownGates) {
  auto check = parse_settings("policy.gates.latest: deny\n", "s.yaml");
  ASSERT_FALSE(check.ok());
  EXPECT_THAT(check.status().message(), HasSubstr("s.yaml: line 1: policy.gates.latest: unknown check \"latest\""));
  auto level = parse_settings("policy:\n  gates:\n    privileged: loud\n", "s.yaml");
  ASSERT_FALSE(level.ok());
  EXPECT_THAT(level.status().message(), HasSubstr("policy.gates.privileged: unknown level \"loud\""));
  auto type = parse_settings("policy.gates.privileged: [deny]\n", "s.yaml");
  EXPECT_FALSE(type.ok());
}

}  // namespace
}  // namespace ferry::apis
