#include "controller/app_source.h"

#include <gtest/gtest.h>

namespace ferry::controller {
namespace {

using Json = nlohmann::json;

apis::Application app_with(const std::vector<std::string>& sync_options, const std::string& compare_options) {
  apis::Application app;
  app.metadata.name = "web";
  app.spec.sync_policy.sync_options = sync_options;
  if (!compare_options.empty()) app.metadata.annotations["argocd.argoproj.io/compare-options"] = compare_options;
  return app;
}

TEST(ServerSideDiffEnabled, FromSyncOptionsOrArgoCdsCompareOptionsAnnotation) {
  EXPECT_FALSE(server_side_diff_enabled(app_with({}, "")));
  EXPECT_TRUE(server_side_diff_enabled(app_with({"ServerSideDiff=true"}, "")));
  EXPECT_TRUE(server_side_diff_enabled(app_with({}, "IgnoreExtraneous, ServerSideDiff=true")));
  EXPECT_FALSE(server_side_diff_enabled(app_with({"ServerSideDiff=true"}, "ServerSideDiff=false")));
  EXPECT_FALSE(server_side_diff_enabled(app_with({}, "ServerSideDiff=truer")));
  auto ferry = app_with({}, "");
  ferry.metadata.annotations["ferry.dev/compare-options"] = "ServerSideDiff=true";
  EXPECT_TRUE(server_side_diff_enabled(ferry));
}

TEST(AsFerryApplication, ConvertsArgoCdAppProjectsIntoFerrysNamespace) {
  Json argo = Json::parse(R"({"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
    "metadata": {"name": "team-a", "namespace": "argocd"},
    "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "team-a"}],
             "roles": [{"name": "ci"}]}})");
  Json out = as_ferry_application(argo, "ferry");
  EXPECT_EQ(out["apiVersion"], "ferry.dev/v1alpha1");
  EXPECT_EQ(out["metadata"]["namespace"], "ferry");
  EXPECT_EQ(out["spec"]["destinations"][0]["namespace"], "team-a");
  EXPECT_EQ(out["spec"]["roles"][0]["name"], "ci");  // kept, not enforced
  Json config_map = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "x"}}}};
  EXPECT_EQ(as_ferry_application(config_map, "ferry"), config_map);
}

}  // namespace
}  // namespace ferry::controller
