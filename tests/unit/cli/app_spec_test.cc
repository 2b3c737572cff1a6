// `app create` / `app set` flags turned into Application fields, with Argo CD's meanings.
#include "cli/client/app_spec.h"

#include <gtest/gtest.h>

namespace ferry::cli {
namespace {

TEST(NewApplication, FromTheUsualFlags) {
  AppFlags f;
  f.repo = "https://git.example.com/apps.git";
  f.path = "guestbook";
  f.revision = "main";
  f.dest_server = "https://kubernetes.default.svc";
  f.dest_namespace = "guestbook";
  f.sync_policy = "automated";
  f.auto_prune = true;
  f.self_heal = true;
  f.sync_options = {"CreateNamespace=true"};
  f.labels = {"team=web"};
  auto app = new_application("guestbook", f);
  ASSERT_TRUE(app.ok()) << app.status().to_string();
  Json want = Json::parse(R"({
    "apiVersion": "ferry.dev/v1alpha1", "kind": "Application",
    "metadata": {"name": "guestbook", "labels": {"team": "web"}},
    "spec": {
      "project": "default",
      "source": {"repoURL": "https://git.example.com/apps.git", "path": "guestbook", "targetRevision": "main"},
      "destination": {"server": "https://kubernetes.default.svc", "namespace": "guestbook"},
      "syncPolicy": {"automated": {"prune": true, "selfHeal": true}, "syncOptions": ["CreateNamespace=true"]}
    }})");
  EXPECT_EQ(*app, want) << app->dump(2);
}

TEST(NewApplication, HelmFlags) {
  AppFlags f;
  f.repo = "https://git.example.com/charts.git";
  f.path = "charts/web";
  f.values = std::vector<std::string>{"values.yaml", "values-prod.yaml"};
  f.helm_sets = {"image.tag=1.2", "replicas=3"};
  f.helm_set_strings = {"port=8080"};
  f.release_name = "web-prod";
  f.project = "team";
  auto app = new_application("web", f);
  ASSERT_TRUE(app.ok());
  const Json& helm = (*app)["spec"]["source"]["helm"];
  EXPECT_EQ(helm["valueFiles"], Json::parse(R"(["values.yaml", "values-prod.yaml"])"));
  EXPECT_EQ(helm["releaseName"], "web-prod");
  EXPECT_EQ(helm["parameters"], Json::parse(R"([{"name": "image.tag", "value": "1.2"}, {"name": "replicas", "value": "3"},
                                               {"name": "port", "value": "8080", "forceString": true}])"));
  EXPECT_EQ((*app)["spec"]["project"], "team");
  EXPECT_FALSE((*app)["spec"].contains("syncPolicy"));
}

TEST(NewApplication, DirectoryRecurse) {
  AppFlags f;
  f.directory_recurse = true;
  auto app = new_application("web", f);
  ASSERT_TRUE(app.ok());
  EXPECT_EQ((*app)["spec"]["source"]["directory"]["recurse"], true);
}

TEST(ApplyAppFlags, ChangesOnlyWhatIsGiven) {
  Json app = Json::parse(R"({
    "apiVersion": "ferry.dev/v1alpha1", "kind": "Application",
    "metadata": {"name": "web", "resourceVersion": "7", "labels": {"keep": "me"}},
    "spec": {"project": "default", "source": {"repoURL": "r", "path": "p", "targetRevision": "main",
                                              "helm": {"parameters": [{"name": "a", "value": "1"}]}},
             "destination": {"server": "s", "namespace": "n"},
             "syncPolicy": {"syncOptions": ["CreateNamespace=true", "PruneLast=true"]},
             "unknownField": {"kept": true}}})");
  Json before = app;
  AppFlags f;
  f.revision = "v2";
  f.helm_sets = {"a=2", "b=3"};
  f.sync_options = {"PruneLast=false"};
  f.labels = {"team=web"};
  ASSERT_TRUE(apply_app_flags(app, f).ok());
  before["spec"]["source"]["targetRevision"] = "v2";
  before["spec"]["source"]["helm"]["parameters"] = Json::parse(R"([{"name": "a", "value": "2"}, {"name": "b", "value": "3"}])");
  before["spec"]["syncPolicy"]["syncOptions"] = Json::parse(R"(["CreateNamespace=true", "PruneLast=false"])");
  before["metadata"]["labels"]["team"] = "web";
  EXPECT_EQ(app, before) << app.dump(2);
}

TEST(ApplyAppFlags, SyncPolicyOnAndOff) {
  Json app = {{"spec", {{"syncPolicy", {{"automated", {{"prune", true}}}}}}}};
  AppFlags keep;
  keep.sync_policy = "auto";  // already automated: its settings stay
  ASSERT_TRUE(apply_app_flags(app, keep).ok());
  EXPECT_EQ(app["spec"]["syncPolicy"]["automated"]["prune"], true);

  AppFlags off;
  off.sync_policy = "none";
  ASSERT_TRUE(apply_app_flags(app, off).ok());
  EXPECT_FALSE(app["spec"].contains("syncPolicy")) << app.dump();  // no empty syncPolicy left

  AppFlags on;
  on.sync_policy = "automated";
  on.self_heal = false;
  ASSERT_TRUE(apply_app_flags(app, on).ok());
  EXPECT_EQ(app["spec"]["syncPolicy"]["automated"], Json::parse(R"({"selfHeal": false})"));

  AppFlags prune_off;
  prune_off.auto_prune = false;
  ASSERT_TRUE(apply_app_flags(app, prune_off).ok());
  EXPECT_EQ(app["spec"]["syncPolicy"]["automated"]["prune"], false);
}

TEST(ApplyAppFlags, AutoPruneNeedsAutomatedSyncAsInArgo) {
  Json app = {{"spec", Json::object()}};
  AppFlags f;
  f.auto_prune = true;
  Status s = apply_app_flags(app, f);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("--auto-prune"), std::string::npos);
  EXPECT_NE(s.message().find("--sync-policy automated"), std::string::npos);
}

TEST(ApplyAppFlags, BadValuesNameTheFlag) {
  struct Case {
    AppFlags flags;
    const char* flag;
  };
  AppFlags policy;
  policy.sync_policy = "sometimes";
  AppFlags set;
  set.helm_sets = {"novalue"};
  AppFlags option;
  option.sync_options = {"=x"};
  AppFlags label;
  label.labels = {"team"};
  for (const Case& c : {Case{policy, "--sync-policy"}, Case{set, "--helm-set"}, Case{option, "--sync-option"},
                        Case{label, "--label"}}) {
    Json app = {{"spec", Json::object()}};
    Status s = apply_app_flags(app, c.flags);
    ASSERT_FALSE(s.ok()) << c.flag;
    EXPECT_TRUE(s.is(Reason::kInvalid));
    EXPECT_NE(s.message().find(c.flag), std::string::npos) << s.message();
  }
}

TEST(AppFlags, AnyTellsWhetherSomethingWasGiven) {
  AppFlags none;
  EXPECT_FALSE(none.any());
  AppFlags one;
  one.directory_recurse = false;  // given as --directory-recurse=false: still a change
  EXPECT_TRUE(one.any());
  AppFlags empty_values;
  empty_values.values = std::vector<std::string>{};
  EXPECT_TRUE(empty_values.any());
}

}  // namespace
}  // namespace ferry::cli
