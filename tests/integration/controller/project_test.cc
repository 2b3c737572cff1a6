// Projects enforced by a `ferry controller` process, as Argo CD enforces AppProjects: the
// source repository and destination of an app, the kinds and namespaces a sync may write, and
// no prune of what a project no longer allows. Real git, the simulator, kubectl as the oracle.
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/controller/controller_process.h"

namespace ferry::testing {
namespace {

std::string project_yaml(const std::string& repo, const std::string& destinations) {
  return "apiVersion: ferry.dev/v1alpha1\nkind: AppProject\nmetadata: {name: team-a, namespace: ferry}\n"
         "spec:\n  sourceRepos: ['" + repo + "']\n  destinations:\n" + destinations +
         "  namespaceResourceBlacklist: [{group: '', kind: ResourceQuota}]\n";
}

std::string destination(const std::string& pattern) {
  return "  - {server: 'https://kubernetes.default.svc', namespace: '" + pattern + "'}\n";
}

// An Application of `project` deploying to namespace `to`.
std::string app_in(const std::string& name, const std::string& project, const std::string& to,
                   const std::string& repo, const std::string& path) {
  std::string yaml = application(name, repo, path, kAutomated);
  yaml.replace(yaml.find("project: default"), 16, "project: " + project);
  yaml.replace(yaml.rfind("namespace: default"), 18, "namespace: " + to);
  return yaml;
}

std::string config_map(const std::string& name, const std::string& ns = "") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + (ns.empty() ? "" : "\n  namespace: " + ns) +
         "\ndata:\n  k: v\n";
}

class ProjectProcess : public ControllerProcess {
 protected:
  void SetUp() override {
    ControllerProcess::SetUp();
    for (const char* ns : {"team-a", "team-b", "other"}) {
      ASSERT_TRUE(apply(std::string("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ") + ns + "\n"));
    }
  }

  // Callers wrap it in ASSERT_TRUE: a failed apply must end the test.
  bool apply(const std::string& yaml) {
    auto applied = sim.kubectl({"apply", "-f", "-"}, yaml);
    EXPECT_EQ(applied.exit_code, 0) << applied.err;
    return applied.exit_code == 0;
  }

  // Polls until `jsonpath` of the app contains `text`; the loop only bounds a hang.
  bool eventually_shows(const std::string& name, const std::string& jsonpath, const std::string& text) {
    for (int i = 0; i < 450; ++i) {
      if (app_field(name, jsonpath).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }
};

TEST_F(ProjectProcess, AProjectDecidesTheRepoDestinationKindsAndNamespacesOfItsApps) {
  const std::string repo = upstream->file_url();
  upstream->commit({{"apps/ok/cm.yaml", config_map("ok-config")},
                    {"apps/wide/all.yaml", config_map("wide-config") + "---\n" +
                                               "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
                                               "metadata:\n  name: wide-role\nrules: []\n---\n"
                                               "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: wide-quota\n"
                                               "spec:\n  hard:\n    pods: '10'\n"},
                    {"apps/away/cm.yaml", config_map("away-config", "other")}});
  start_controller();  // registers the AppProject CRD
  ASSERT_TRUE(apply(project_yaml(repo, destination("team-*"))));
  ASSERT_TRUE(apply(app_in("ok", "team-a", "team-a", repo, "apps/ok")));
  ASSERT_TRUE(apply(app_in("elsewhere", "team-a", "other", repo, "apps/ok")));
  ASSERT_TRUE(apply(app_in("ghost", "no-such-project", "team-a", repo, "apps/ok")));
  ASSERT_TRUE(apply(app_in("wide", "team-a", "team-b", repo, "apps/wide")));
  ASSERT_TRUE(apply(app_in("away", "team-a", "team-a", repo, "apps/away")));
  ASSERT_TRUE(apply(app_in("foreign", "team-a", "team-a", "file:///elsewhere/config.git", "apps/ok")));

  // Allowed: repo and destination match, the kind is allowed.
  ASSERT_TRUE(wait_for("ok", "Synced", "Healthy")) << debug("ok");
  EXPECT_TRUE(exists("configmap", "ok-config", "team-a"));

  // Destination, project and repository refused: an invalid spec, nothing deployed.
  EXPECT_TRUE(eventually_shows("elsewhere", "{.status.conditions[*].message}", "is not permitted in project \"team-a\""))
      << debug("elsewhere");
  EXPECT_EQ(app_field("elsewhere", "{.status.conditions[*].type}"), "InvalidSpecError");
  EXPECT_FALSE(exists("configmap", "ok-config", "other"));
  EXPECT_TRUE(eventually_shows("ghost", "{.status.conditions[*].message}",
                               "project \"no-such-project\", which does not exist"))
      << debug("ghost");
  EXPECT_TRUE(eventually_shows("foreign", "{.status.conditions[*].message}",
                               "application repo \"file:///elsewhere/config.git\" is not permitted"))
      << debug("foreign");

  // A cluster-scoped kind the project does not whitelist and a blacklisted namespaced kind: the
  // sync fails before anything is written, naming each resource.
  ASSERT_TRUE(eventually_shows("wide", "{.status.operationState.phase}", "Failed")) << debug("wide");
  EXPECT_NE(app_field("wide", "{.status.operationState.message}").find("not valid"), std::string::npos) << debug("wide");
  std::string results = app_field("wide", "{range .status.operationState.syncResult.resources[*]}{.kind}={.status}: "
                                          "{.message}{\"\\n\"}{end}");
  EXPECT_NE(results.find("ClusterRole=SyncFailed: cluster-scoped resource rbac.authorization.k8s.io/ClusterRole is "
                         "not permitted in project \"team-a\""),
            std::string::npos)
      << results;
  EXPECT_NE(results.find("ResourceQuota=SyncFailed: namespaced resource /ResourceQuota is not permitted"),
            std::string::npos)
      << results;
  EXPECT_FALSE(exists("configmap", "wide-config", "team-b"));
  EXPECT_NE(sim.kubectl({"get", "clusterrole", "wide-role"}).exit_code, 0);

  // An object that names a namespace outside the project's destinations.
  ASSERT_TRUE(eventually_shows("away", "{.status.operationState.phase}", "Failed")) << debug("away");
  EXPECT_NE(app_field("away", "{.status.operationState.syncResult.resources[0].message}")
                .find("namespace \"other\" of ConfigMap away-config is not permitted in project \"team-a\""),
            std::string::npos)
      << debug("away");
  EXPECT_FALSE(exists("configmap", "away-config", "other"));

  // Widening the project lets the refused app through without touching the app.
  ASSERT_TRUE(apply(project_yaml(repo, destination("team-*") + destination("other"))));
  ASSERT_TRUE(wait_for("elsewhere", "Synced", "Healthy")) << debug("elsewhere");
  EXPECT_TRUE(exists("configmap", "ok-config", "other"));
}

// The project comes from git as Argo CD users keep it: an argoproj.io AppProject in an app of
// apps (Ferry converts it to its own kind, as it does Applications).
TEST_F(ProjectProcess, NarrowingAProjectInGitNeverPrunesWhatItNoLongerAllows) {
  const std::string repo = upstream->file_url();
  auto argo_project = [&](const std::string& destinations) {
    std::string yaml = project_yaml(repo, destinations);
    yaml.replace(0, yaml.find('\n'), "apiVersion: argoproj.io/v1alpha1");
    return yaml;
  };
  upstream->commit({{"projects/team-a.yaml", argo_project(destination("team-*"))},
                    {"apps/spread/a.yaml", config_map("in-a")},
                    {"apps/spread/b.yaml", config_map("in-b", "team-b")}});
  start_controller();
  ASSERT_TRUE(apply(application("projects", repo, "projects", kAutomated)));
  ASSERT_TRUE(wait_for("projects", "Synced", "Healthy")) << debug("projects");
  EXPECT_EQ(sim.kubectl({"get", "appprojects.ferry.dev", "team-a", "-n", "ferry", "-o", "jsonpath={.apiVersion}"}).out,
            "ferry.dev/v1alpha1");
  ASSERT_TRUE(apply(app_in("spread", "team-a", "team-a", repo, "apps/spread")));
  ASSERT_TRUE(wait_for("spread", "Synced", "Healthy")) << debug("spread");
  ASSERT_TRUE(exists("configmap", "in-b", "team-b"));

  // team-b leaves the project, then in-b leaves git: the automated prune must skip it.
  upstream->commit({{"projects/team-a.yaml", argo_project(destination("team-a"))}});
  bool narrowed = false;
  for (int i = 0; i < 450 && !narrowed; ++i) {
    narrowed = sim.kubectl({"get", "appprojects.ferry.dev", "team-a", "-n", "ferry", "-o",
                            "jsonpath={.spec.destinations[*].namespace}"})
                   .out == "team-a";
    if (!narrowed) std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(narrowed) << debug("projects");
  std::string removed = upstream->remove("apps/spread/b.yaml");
  ASSERT_TRUE(eventually_shows("spread", "{.status.operationState.syncResult.revision}", removed)) << debug("spread");
  ASSERT_TRUE(eventually_shows("spread", "{.status.operationState.phase}", "Succeeded")) << debug("spread");
  std::string results = app_field("spread", "{range .status.operationState.syncResult.resources[*]}{.name}={.status}: "
                                            "{.message}{\"\\n\"}{end}");
  EXPECT_NE(results.find("in-b=PruneSkipped: not pruned: namespace \"team-b\""), std::string::npos) << results;
  EXPECT_TRUE(exists("configmap", "in-b", "team-b"));
  EXPECT_TRUE(exists("configmap", "in-a", "team-a"));
}

}  // namespace
}  // namespace ferry::testing
