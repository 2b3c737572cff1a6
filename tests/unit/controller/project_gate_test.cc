#include "controller/project_gate.h"

#include <gtest/gtest.h>

namespace ferry::controller {
namespace {

using Json = nlohmann::json;

apis::Application app_of(const std::string& project, const std::string& ns = "team-a") {
  apis::Application app;
  app.metadata.name = "web";
  app.spec.project = project;
  app.spec.source.repo_url = "https://git.example.com/team-a/web.git";
  app.spec.destination.server = "https://kubernetes.default.svc";
  app.spec.destination.namespace_ = ns;
  return app;
}

Json team_a() {
  return Json::parse(R"({"apiVersion": "ferry.dev/v1alpha1", "kind": "AppProject",
    "metadata": {"name": "team-a", "namespace": "ferry"},
    "spec": {"sourceRepos": ["https://git.example.com/team-a/*"],
             "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "team-*"}],
             "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
             "namespaceResourceBlacklist": [{"group": "", "kind": "ResourceQuota"}]}})");
}

reconciler::Task task(reconciler::Action action, const std::string& group, const std::string& kind,
                      const std::string& ns, const std::string& name) {
  reconciler::Task t;
  t.action = action;
  t.key = {group, kind, ns, name};
  t.object = {{"apiVersion", group.empty() ? "v1" : group + "/v1"}, {"kind", kind}};
  return t;
}

TEST(FindProject, PicksTheNamedOneAndFallsBackToTheBuiltInDefault) {
  auto found = find_project(app_of("team-a"), {team_a()});
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  EXPECT_EQ(found->metadata.name, "team-a");
  auto fallback = find_project(app_of(""), std::nullopt);
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->metadata.name, "default");
  EXPECT_TRUE(allows_resource(*fallback, app_of(""), {"rbac.authorization.k8s.io", "ClusterRole", "", "x"}).ok());
}

TEST(FindProject, AMissingOrBrokenProjectIsNamed) {
  auto missing = find_project(app_of("team-b"), std::nullopt);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "application references project \"team-b\", which does not exist");
  Json broken = team_a();
  broken["spec"]["sourceRepos"] = "not a list";
  auto invalid = find_project(app_of("team-a"), {broken});
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.status().message().find("project \"team-a\" is invalid"), std::string::npos)
      << invalid.status().message();
}

TEST(AllowsApp, ChecksRepositoryAndDestination) {
  auto project = find_project(app_of("team-a"), {team_a()});
  ASSERT_TRUE(project.ok());
  EXPECT_TRUE(allows_app(*project, app_of("team-a")).ok());
  EXPECT_FALSE(allows_app(*project, app_of("team-a", "kube-system")).ok());
  auto other_repo = app_of("team-a");
  other_repo.spec.source.repo_url = "https://git.example.com/team-b/web.git";
  Status refused = allows_app(*project, other_repo);
  EXPECT_TRUE(refused.is(Reason::kForbidden));
  EXPECT_NE(refused.message().find("application repo"), std::string::npos) << refused.message();
}

TEST(AllowsResource, KindsByScopeAndTheObjectsOwnNamespace) {
  auto project = find_project(app_of("team-a"), {team_a()});
  ASSERT_TRUE(project.ok());
  const auto app = app_of("team-a");
  EXPECT_TRUE(allows_resource(*project, app, {"", "Namespace", "", "team-a"}).ok());
  EXPECT_FALSE(allows_resource(*project, app, {"rbac.authorization.k8s.io", "ClusterRole", "", "x"}).ok());
  EXPECT_TRUE(allows_resource(*project, app, {"", "ConfigMap", "team-b", "x"}).ok());
  EXPECT_FALSE(allows_resource(*project, app, {"", "ResourceQuota", "team-a", "x"}).ok());
  Status away = allows_resource(*project, app, {"", "ConfigMap", "kube-system", "x"});
  EXPECT_EQ(away.message(), "namespace \"kube-system\" of ConfigMap x is not permitted in project \"team-a\"");
}

TEST(RefuseUnpermitted, RefusesWritesAndTurnsPrunesIntoSkips) {
  auto project = find_project(app_of("team-a"), {team_a()});
  ASSERT_TRUE(project.ok());
  std::vector<reconciler::Task> tasks = {
      task(reconciler::Action::kApply, "", "ConfigMap", "team-a", "fine"),
      task(reconciler::Action::kApply, "rbac.authorization.k8s.io", "ClusterRole", "", "wide"),
      task(reconciler::Action::kHook, "", "ResourceQuota", "team-a", "quota"),
      task(reconciler::Action::kPrune, "", "ConfigMap", "kube-system", "old"),
      task(reconciler::Action::kPrune, "", "ConfigMap", "team-a", "gone"),
  };
  auto refused = refuse_unpermitted(*project, app_of("team-a"), tasks);
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0].key.name, "wide");
  EXPECT_EQ(refused[0].status, "SyncFailed");
  EXPECT_EQ(refused[0].api_version, "rbac.authorization.k8s.io/v1");
  EXPECT_EQ(refused[1].key.name, "quota");
  EXPECT_EQ(tasks[0].action, reconciler::Action::kApply);
  EXPECT_EQ(tasks[3].action, reconciler::Action::kSkip);
  EXPECT_EQ(tasks[3].reason.rfind("not pruned: namespace \"kube-system\"", 0), 0u) << tasks[3].reason;
  EXPECT_EQ(tasks[4].action, reconciler::Action::kPrune);
  EXPECT_NE(refused_message(*project, 2).find("2 resources are not permitted in project \"team-a\""),
            std::string::npos);
}

}  // namespace
}  // namespace ferry::controller
