// The sync plan, tracking ids and sync annotations: pure functions, checked densely.
#include <gtest/gtest.h>

#include "reconciler/sync/plan.h"
#include "reconciler/sync/runner.h"

namespace ferry::reconciler {
namespace {

Json object(const std::string& api_version, const std::string& kind, const std::string& ns, const std::string& name,
            Json annotations = Json::object()) {
  Json o = {{"apiVersion", api_version}, {"kind", kind}, {"metadata", {{"name", name}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  if (!annotations.empty()) o["metadata"]["annotations"] = annotations;
  return o;
}

Json tracked(Json o, const std::string& app = "shop") {
  // Read the kind before `o` is moved: argument evaluation order is unspecified.
  bool namespaced = o.value("kind", "") != "Namespace" && o.value("kind", "") != "ClusterRole";
  return with_tracking(std::move(o), app, "shop", namespaced);
}

std::vector<std::string> lines(const std::vector<Task>& plan) {
  std::vector<std::string> out;
  for (const auto& t : plan) {
    out.push_back(std::string(phase_name(t.phase)) + " " + std::to_string(t.wave) + " " + t.key.kind + " " + t.key.name +
                  " " + action_name(t.action));
  }
  return out;
}

TEST(Tracking, IdRoundTripsAndNamesTheApp) {
  ObjectKey key{"apps", "Deployment", "default", "web"};
  EXPECT_EQ(tracking_id("guestbook", key), "guestbook:apps/Deployment:default/web");
  auto parsed = parse_tracking_id("guestbook:apps/Deployment:default/web");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->app, "guestbook");
  EXPECT_EQ(parsed->key, key);
  auto core = parse_tracking_id("a:/Namespace:/shop");
  ASSERT_TRUE(core.has_value());
  EXPECT_EQ(core->key, (ObjectKey{"", "Namespace", "", "shop"}));
  EXPECT_FALSE(parse_tracking_id("nonsense").has_value());
  EXPECT_FALSE(parse_tracking_id(":apps/Deployment:default/web").has_value());
}

TEST(Tracking, LongAppNamesGetAHashedLabel) {
  EXPECT_EQ(app_label_value("short"), "short");
  std::string long_name(80, 'a');
  std::string label = app_label_value(long_name);
  EXPECT_LE(label.size(), 63u);
  EXPECT_EQ(label.rfind("h-", 0), 0u);
  EXPECT_NE(label, app_label_value(long_name + "b"));
  EXPECT_EQ(label, app_label_value(long_name));
}

TEST(Tracking, InjectsNamespaceAnnotationAndLabelButKeepsChartLabels) {
  Json o = object("apps/v1", "Deployment", "", "web");
  o["metadata"]["labels"] = {{"app.kubernetes.io/instance", "web"}};
  Json t = with_tracking(o, "shop", "prod", true);
  EXPECT_EQ(t["metadata"]["namespace"], "prod");
  EXPECT_EQ(t["metadata"]["annotations"][kTrackingAnnotation], "shop:apps/Deployment:prod/web");
  EXPECT_EQ(t["metadata"]["labels"][kAppLabel], "shop");
  EXPECT_EQ(t["metadata"]["labels"]["app.kubernetes.io/instance"], "web");
  EXPECT_EQ(tracked_app(t), "shop");
  Json cluster = with_tracking(object("rbac.authorization.k8s.io/v1", "ClusterRole", "x", "reader"), "shop", "prod", false);
  EXPECT_FALSE(cluster["metadata"].contains("namespace"));
  EXPECT_EQ(cluster["metadata"]["annotations"][kTrackingAnnotation], "shop:rbac.authorization.k8s.io/ClusterRole:/reader");
}

TEST(Annotations, ReadsFerryArgoAndHelmSpellings) {
  auto ferry = read_sync_annotations(object("batch/v1", "Job", "", "m", {{"ferry.dev/hook", "PreSync"},
                                                                      {"ferry.dev/sync-wave", "-2"}}));
  ASSERT_TRUE(ferry.ok());
  EXPECT_TRUE(ferry->is_hook);
  EXPECT_EQ(ferry->hook_phases, std::set<Phase>{Phase::kPreSync});
  EXPECT_EQ(ferry->wave, -2);
  EXPECT_EQ(ferry->delete_policies, std::set<HookDeletePolicy>{HookDeletePolicy::kBeforeHookCreation});

  auto argo = read_sync_annotations(object("batch/v1", "Job", "", "m",
                                           {{"argocd.argoproj.io/hook", "PostSync,SyncFail"},
                                            {"argocd.argoproj.io/hook-delete-policy", "HookSucceeded"}}));
  ASSERT_TRUE(argo.ok());
  EXPECT_EQ(argo->hook_phases, (std::set<Phase>{Phase::kPostSync, Phase::kSyncFail}));
  EXPECT_EQ(argo->delete_policies, std::set<HookDeletePolicy>{HookDeletePolicy::kHookSucceeded});

  auto helm = read_sync_annotations(object("batch/v1", "Job", "", "m",
                                           {{"helm.sh/hook", "pre-install,pre-upgrade"},
                                            {"helm.sh/hook-weight", "5"},
                                            {"helm.sh/hook-delete-policy", "hook-succeeded,hook-failed"}}));
  ASSERT_TRUE(helm.ok());
  EXPECT_EQ(helm->hook_phases, std::set<Phase>{Phase::kPreSync});
  EXPECT_EQ(helm->wave, 5);
  EXPECT_EQ(helm->delete_policies.size(), 2u);
  auto helm_test = read_sync_annotations(object("v1", "Pod", "", "t", {{"helm.sh/hook", "test"}}));
  ASSERT_TRUE(helm_test.ok());
  EXPECT_TRUE(helm_test->skip);

  auto options = read_sync_annotations(object("v1", "ConfigMap", "", "c",
                                              {{"argocd.argoproj.io/sync-options", "Prune=false, Replace=true"}}));
  ASSERT_TRUE(options.ok());
  EXPECT_TRUE(options->prune_disabled);
  EXPECT_TRUE(options->replace);
  EXPECT_FALSE(options->is_hook);
}

TEST(Annotations, TyposAreErrorsNamingTheObject) {
  auto wave = read_sync_annotations(object("v1", "ConfigMap", "", "c", {{"argocd.argoproj.io/sync-wave", "one"}}));
  ASSERT_FALSE(wave.ok());
  EXPECT_NE(wave.status().message().find("ConfigMap \"c\""), std::string::npos) << wave.status().message();
  EXPECT_NE(wave.status().message().find("\"one\" is not an integer"), std::string::npos);
  EXPECT_FALSE(read_sync_annotations(object("v1", "Pod", "", "p", {{"ferry.dev/hook", "PreSinc"}})).ok());
  EXPECT_FALSE(read_sync_annotations(object("v1", "Pod", "", "p", {{"ferry.dev/hook", "PreSync"},
                                                                    {"ferry.dev/hook-delete-policy", "Never"}}))
                   .ok());
}

TEST(Plan, OrdersByPhaseWaveKindAndName) {
  PlanRequest request;
  request.app = "shop";
  request.desired = {
      tracked(object("apps/v1", "Deployment", "shop", "web", {{"ferry.dev/sync-wave", "1"}})),
      tracked(object("v1", "Service", "shop", "web")),
      tracked(object("v1", "ConfigMap", "shop", "b-config")),
      tracked(object("v1", "ConfigMap", "shop", "a-config")),
      tracked(object("v1", "Namespace", "", "shop")),
      tracked(object("example.com/v1", "Widget", "shop", "w")),
      tracked(object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets.example.com")),
      tracked(object("batch/v1", "Job", "shop", "migrate", {{"ferry.dev/hook", "PreSync"}})),
      tracked(object("batch/v1", "Job", "shop", "smoke", {{"argocd.argoproj.io/hook", "PostSync"}})),
      tracked(object("batch/v1", "Job", "shop", "alert", {{"argocd.argoproj.io/hook", "SyncFail"}})),
      tracked(object("v1", "ServiceAccount", "shop", "runner", {{"ferry.dev/sync-wave", "-1"}})),
  };
  auto plan = make_plan(request);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_EQ(lines(*plan), (std::vector<std::string>{
                              "PreSync 0 Job migrate hook",
                              "Sync -1 ServiceAccount runner apply",
                              "Sync 0 Namespace shop apply",
                              "Sync 0 ConfigMap a-config apply",
                              "Sync 0 ConfigMap b-config apply",
                              "Sync 0 CustomResourceDefinition widgets.example.com apply",
                              "Sync 0 Service web apply",
                              "Sync 0 Widget w apply",
                              "Sync 1 Deployment web apply",
                              "PostSync 0 Job smoke hook",
                              "SyncFail 0 Job alert hook",
                          }));
  EXPECT_NE(format_plan(*plan).find("PreSync\t0\tbatch/Job\tshop/migrate\thook"), std::string::npos)
      << format_plan(*plan);
}

TEST(Plan, MissingBecomesCreateAndInSyncCanBeSkipped) {
  PlanRequest request;
  request.app = "shop";
  request.desired = {tracked(object("v1", "ConfigMap", "shop", "new")), tracked(object("v1", "ConfigMap", "shop", "same"))};
  request.states[{"", "ConfigMap", "shop", "new"}] = SyncState::kMissing;
  request.states[{"", "ConfigMap", "shop", "same"}] = SyncState::kSynced;
  auto plan = make_plan(request);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(lines(*plan), (std::vector<std::string>{"Sync 0 ConfigMap new create", "Sync 0 ConfigMap same apply"}));
  request.apply_out_of_sync_only = true;
  plan = make_plan(request);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(lines(*plan), (std::vector<std::string>{"Sync 0 ConfigMap new create", "Sync 0 ConfigMap same skip"}));
  request.replace = true;
  request.apply_out_of_sync_only = false;
  plan = make_plan(request);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ((*plan)[0].action, Action::kReplace);
}

TEST(Plan, PrunesOnlyWhatThisAppTracksInReverseOrder) {
  PlanRequest request;
  request.app = "shop";
  request.prune = true;
  request.desired = {tracked(object("v1", "ConfigMap", "shop", "kept"))};
  request.live = {
      tracked(object("v1", "ConfigMap", "shop", "kept")),
      tracked(object("v1", "Namespace", "", "old-ns")),
      tracked(object("apps/v1", "Deployment", "shop", "old-web")),
      tracked(object("v1", "ConfigMap", "shop", "keep-me", {{"argocd.argoproj.io/sync-options", "Prune=false"}})),
      tracked(object("v1", "ConfigMap", "shop", "other"), "another-app"),  // same label value is not ownership
      object("v1", "ConfigMap", "shop", "untracked"),
      tracked(object("v1", "Secret", "shop", "late", {{"ferry.dev/sync-options", "PruneLast=true"}})),
  };
  auto plan = make_plan(request);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_EQ(lines(*plan), (std::vector<std::string>{
                              "Sync 0 ConfigMap kept apply",
                              "Sync 0 Deployment old-web prune",
                              "Sync 0 ConfigMap keep-me skip",
                              "Sync 0 Namespace old-ns prune",
                              "Sync 0 Secret late prune",
                          }));
  EXPECT_EQ((*plan)[2].reason, "Prune=false");
  EXPECT_TRUE((*plan)[4].prune_last);

  request.prune = false;
  plan = make_plan(request);
  ASSERT_TRUE(plan.ok());
  for (const auto& t : *plan) EXPECT_NE(t.action, Action::kPrune) << t.key.name;
}

TEST(Plan, EmptyRenderNeverPrunesUnlessAllowed) {
  PlanRequest request;
  request.app = "shop";
  request.prune = true;
  request.live = {tracked(object("v1", "ConfigMap", "shop", "a")), tracked(object("v1", "ConfigMap", "shop", "b"))};
  auto refused = make_plan(request);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("would prune all 2 resources"), std::string::npos);
  request.allow_empty = true;
  auto allowed = make_plan(request);
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed->size(), 2u);
}

TEST(Plan, SelectiveSyncAndCreateNamespace) {
  PlanRequest request;
  request.app = "shop";
  request.prune = true;
  request.desired = {tracked(object("v1", "ConfigMap", "shop", "a")), tracked(object("v1", "ConfigMap", "shop", "b"))};
  request.live = {tracked(object("v1", "ConfigMap", "shop", "gone"))};
  request.only = {{"", "ConfigMap", "shop", "b"}};
  request.create_namespace = "shop";
  request.namespace_metadata = {{"labels", {{"team", "shop"}}}};
  auto plan = make_plan(request);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0].key.kind, "Namespace");
  EXPECT_EQ((*plan)[0].object["metadata"]["labels"]["team"], "shop");
  EXPECT_EQ((*plan)[1].key.name, "b");
}

TEST(Plan, BadAnnotationFailsThePlan) {
  PlanRequest request;
  request.app = "shop";
  request.desired = {tracked(object("v1", "ConfigMap", "shop", "a", {{"ferry.dev/sync-wave", "x"}}))};
  EXPECT_TRUE(make_plan(request).status().is(Reason::kInvalid));
}

TEST(Retry, BackoffGrowsAndIsCapped) {
  RetryPolicy policy;
  policy.duration = std::chrono::seconds(5);
  policy.factor = 2;
  policy.max_duration = std::chrono::seconds(30);
  EXPECT_EQ(policy.backoff_for(1), std::chrono::seconds(5));
  EXPECT_EQ(policy.backoff_for(2), std::chrono::seconds(10));
  EXPECT_EQ(policy.backoff_for(3), std::chrono::seconds(20));
  EXPECT_EQ(policy.backoff_for(4), std::chrono::seconds(30));
}

}  // namespace
}  // namespace ferry::reconciler
