#include "reconciler/diff/diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/reconciler_diff/fixtures.h"

namespace ferry::reconciler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace ferry::reconciler::testing;

ResourceDiff diff(const json& desired, const json& live, const DiffOptions& options = {}) {
  return diff_resource(&desired, &live, options);
}

TEST(SyncStateTest, ArgoSpellings) {
  EXPECT_STREQ(sync_state_name(SyncState::kSynced), "Synced");
  EXPECT_STREQ(sync_state_name(SyncState::kOutOfSync), "OutOfSync");
  EXPECT_STREQ(sync_state_name(SyncState::kMissing), "Missing");
  EXPECT_STREQ(sync_state_name(SyncState::kRequiresPruning), "RequiresPruning");
}

// ---- no false OutOfSync ---------------------------------------------------------------------

TEST(DiffTest, DeploymentAfterServerSideApplyIsSynced) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  // The live object really carries what the server added.
  ASSERT_EQ(live["spec"]["strategy"]["type"], "RollingUpdate");
  ASSERT_EQ(live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
  ASSERT_EQ(live["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"], "1");
  ASSERT_EQ(live["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"], "500m");
  ASSERT_TRUE(live["metadata"].contains("managedFields"));

  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kSynced);
  EXPECT_THAT(d.changed, IsEmpty());
  EXPECT_EQ(d.unified, "");
  EXPECT_EQ(d.desired_view, d.live_view);
}

// The same check against a live object written out by hand, as `kubectl get -o json` shows it.
TEST(DiffTest, HandWrittenServerDefaultsDoNotCount) {
  json desired = json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "api", "namespace": "prod", "annotations": {}},
    "spec": {
      "selector": {"matchLabels": {"app": "api"}},
      "template": {
        "metadata": {"labels": {"app": "api"}},
        "spec": {"containers": [{"name": "api", "image": "api:2", "env": []}]}
      }
    }
  })");
  json live = json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {
      "name": "api", "namespace": "prod", "uid": "u-1", "resourceVersion": "812", "generation": 4,
      "creationTimestamp": "2026-11-01T10:00:00Z",
      "annotations": {"deployment.kubernetes.io/revision": "4"},
      "managedFields": [{"manager": "ferry", "operation": "Apply", "apiVersion": "apps/v1",
                         "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:selector": {}}}}]
    },
    "spec": {
      "replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
      "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
      "selector": {"matchLabels": {"app": "api"}},
      "template": {
        "metadata": {"creationTimestamp": null, "labels": {"app": "api"}},
        "spec": {
          "containers": [{"name": "api", "image": "api:2", "imagePullPolicy": "IfNotPresent", "resources": {},
                          "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
          "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
          "securityContext": {}, "terminationGracePeriodSeconds": 30
        }
      }
    },
    "status": {"observedGeneration": 4, "replicas": 1, "availableReplicas": 1}
  })");
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kSynced) << d.unified;
  EXPECT_THAT(d.changed, IsEmpty());
}

TEST(DiffTest, ServerSetFieldsInDesiredNeverCount) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  desired["status"] = {{"replicas", 99}};
  desired["metadata"]["resourceVersion"] = "1";
  desired["metadata"]["uid"] = "other";
  desired["metadata"]["generation"] = 7;
  desired["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z";
  desired["metadata"]["managedFields"] = json::array();
  desired["metadata"]["selfLink"] = "/x";
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);
}

TEST(DiffTest, LiveReadAtAnotherVersionIsNotDrift) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  desired["apiVersion"] = "apps/v1beta2";
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);
}

TEST(DiffTest, QuantitiesCompareByValue) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  json& resources = live["spec"]["template"]["spec"]["containers"][0]["resources"];
  // Spelled otherwise live, same values.
  resources["limits"]["memory"] = "1073741824";
  resources["limits"]["cpu"] = 1;
  resources["requests"]["memory"] = "0.5Gi";
  resources["requests"]["cpu"] = "0.5";
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced) << diff(desired, live).unified;

  resources["limits"]["cpu"] = "2";
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  EXPECT_THAT(paths(d), ElementsAre("/spec/template/spec/containers/0/resources/limits/cpu"));
}

TEST(DiffTest, QuantitiesOfStorageAndQuotas) {
  json pvc = json::parse(R"({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data", "namespace": "default"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1024Mi"}}}})");
  json live = server_apply(nullptr, pvc);
  live["spec"]["resources"]["requests"]["storage"] = "1Gi";
  EXPECT_EQ(diff(pvc, live).state, SyncState::kSynced);
  live["spec"]["resources"]["requests"]["storage"] = "2Gi";
  EXPECT_EQ(diff(pvc, live).state, SyncState::kOutOfSync);

  json quota = json::parse(R"({"apiVersion": "v1", "kind": "ResourceQuota",
    "metadata": {"name": "q", "namespace": "default"}, "spec": {"hard": {"cpu": "2000m", "pods": "10"}}})");
  json quota_live = quota;
  quota_live["spec"]["hard"] = {{"cpu", "2"}, {"pods", 10}};
  EXPECT_EQ(diff(quota, quota_live).state, SyncState::kSynced);
}

TEST(DiffTest, QuantitySpellingOutsideQuantityFieldsIsExact) {
  json desired = json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "c", "namespace": "default"}, "data": {"cpu": "1000m"}})");
  json live = desired;
  live["data"]["cpu"] = "1";
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  EXPECT_THAT(paths(d), ElementsAre("/data/cpu"));
}

TEST(DiffTest, IntOrStringPorts) {
  json desired = web_service();
  json live = server_apply(nullptr, desired);
  live["spec"]["ports"][0]["targetPort"] = "8080";
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);

  desired["spec"]["ports"][0]["targetPort"] = "8080";
  live["spec"]["ports"][0]["targetPort"] = 8080;
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);

  // A named port is another value.
  live["spec"]["ports"][0]["targetPort"] = "http";
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  EXPECT_THAT(paths(d), ElementsAre("/spec/ports/0/targetPort"));
}

TEST(DiffTest, IntOrStringOnlyWhereKubernetesHasIt) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  // A label value is a string field: "3" is not 3 there.
  desired["metadata"]["labels"]["tier"] = 3;
  live["metadata"]["labels"]["tier"] = "3";
  EXPECT_EQ(diff(desired, live).state, SyncState::kOutOfSync);
  desired["metadata"]["labels"]["tier"] = "3";
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);
  // A percentage is not the number.
  desired["spec"]["strategy"] = {{"rollingUpdate", {{"maxSurge", 25}}}};
  EXPECT_EQ(diff(desired, live).state, SyncState::kOutOfSync);
  desired["spec"]["strategy"] = {{"rollingUpdate", {{"maxSurge", "25%"}}}};
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);
}

TEST(DiffTest, EmptyInDesiredEqualsAbsentLive) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  json& container = desired["spec"]["template"]["spec"]["containers"][0];
  desired["metadata"]["annotations"]["empty.example.com/x"] = "";
  desired["spec"]["template"]["metadata"]["annotations"] = json::object();
  desired["spec"]["template"]["spec"]["volumes"] = json::array();
  desired["spec"]["template"]["spec"]["hostNetwork"] = false;
  desired["spec"]["template"]["spec"]["nodeSelector"] = nullptr;
  desired["spec"]["template"]["spec"]["affinity"] = {{"nodeAffinity", json::object()}};
  container["envFrom"] = json::array();
  container["workingDir"] = "";
  container["stdin"] = false;
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced) << diff(desired, live).unified;
}

TEST(DiffTest, EmptyListAgainstNonEmptyAtomicListDiffers) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  desired["spec"]["template"]["spec"]["containers"][0]["args"] = json::array();
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  EXPECT_THAT(paths(d), ElementsAre("/spec/template/spec/containers/0/args"));
}

TEST(DiffTest, EmptyStringAgainstAValueDiffers) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live["metadata"]["annotations"]["note"] = "set by someone";
  desired["metadata"]["annotations"]["note"] = "";
  EXPECT_EQ(diff(desired, live).state, SyncState::kOutOfSync);
}

TEST(DiffTest, NumbersCompareByValue) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  desired["spec"]["replicas"] = 3.0;
  desired["spec"]["progressDeadlineSeconds"] = 600.0;
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);
  desired["spec"]["replicas"] = 3.5;
  EXPECT_EQ(diff(desired, live).state, SyncState::kOutOfSync);
}

TEST(DiffTest, TypeMismatchIsADifference) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live["spec"]["selector"] = "app=web";
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  EXPECT_THAT(paths(d), ElementsAre("/spec/selector"));
}

// ---- lists ----------------------------------------------------------------------------------

TEST(DiffTest, KeyedListsMatchByMergeKeyNotPosition) {
  json desired = web_deployment();
  json& containers = desired["spec"]["template"]["spec"]["containers"];
  containers.push_back({{"name", "sidecar"}, {"image", "envoy:1"}});
  json live = server_apply(nullptr, desired);
  // Live order differs and a third container was injected by a webhook.
  json& live_containers = live["spec"]["template"]["spec"]["containers"];
  std::swap(live_containers[0], live_containers[1]);
  live_containers.push_back({{"name", "istio-proxy"}, {"image", "istio/proxyv2"}});
  // env in another order too.
  json& env = live_containers[1]["env"];
  std::swap(env[0], env[1]);
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced) << diff(desired, live).unified;

  // The path names desired's index; the sidecar's image differs.
  live_containers[0]["image"] = "envoy:2";
  ResourceDiff d = diff(desired, live);
  EXPECT_THAT(paths(d), ElementsAre("/spec/template/spec/containers/1/image"));
}

TEST(DiffTest, KeyedListItemMissingLive) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  desired["spec"]["template"]["spec"]["containers"][0]["env"].push_back({{"name", "NEW"}, {"value", "1"}});
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  EXPECT_THAT(paths(d), ElementsAre("/spec/template/spec/containers/0/env/2"));
  EXPECT_EQ(d.changed[0].live_manager, "");  // nobody owns what does not exist
}

TEST(DiffTest, PortsKeyedByContainerPortAndDefaultProtocol) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  // Live has the defaulted protocol; desired leaves it out: same item.
  ASSERT_EQ(live["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);
  // A UDP port with the same number is another item.
  desired["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] = "UDP";
  EXPECT_EQ(diff(desired, live).state, SyncState::kOutOfSync);
}

TEST(DiffTest, ServicePortsKeyedByPort) {
  json desired = web_service();
  desired["spec"]["ports"].push_back({{"name", "metrics"}, {"port", 9090}});
  json live = server_apply(nullptr, desired);
  std::swap(live["spec"]["ports"][0], live["spec"]["ports"][1]);
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);
}

TEST(DiffTest, ScalarListsCompareExactlyInOrder) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live["spec"]["template"]["spec"]["containers"][0]["args"] = {"8080", "--port"};
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  EXPECT_THAT(paths(d), ElementsAre("/spec/template/spec/containers/0/args/0",
                                    "/spec/template/spec/containers/0/args/1"));
  live["spec"]["template"]["spec"]["containers"][0]["args"] = {"--port", "8080", "--verbose"};
  EXPECT_THAT(paths(diff(desired, live)), ElementsAre("/spec/template/spec/containers/0/args"));
}

TEST(DiffTest, AtomicListsOfMapsCompareItemsAsSubsets) {
  json desired = web_deployment();
  desired["spec"]["template"]["spec"]["tolerations"] = {{{"key", "gpu"}, {"operator", "Exists"}}};
  json live = server_apply(nullptr, desired);
  // A server-side addition inside an item does not count...
  live["spec"]["template"]["spec"]["tolerations"][0]["effect"] = "NoSchedule";
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);
  // ...a different value or another item does.
  live["spec"]["template"]["spec"]["tolerations"][0]["operator"] = "Equal";
  EXPECT_THAT(paths(diff(desired, live)), ElementsAre("/spec/template/spec/tolerations/0/operator"));
  live["spec"]["template"]["spec"]["tolerations"][0]["operator"] = "Exists";
  live["spec"]["template"]["spec"]["tolerations"].push_back({{"key", "other"}});
  EXPECT_THAT(paths(diff(desired, live)), ElementsAre("/spec/template/spec/tolerations"));
}

TEST(DiffTest, SetListsIgnoreOrderAndExtraLiveValues) {
  json desired = web_deployment();
  desired["metadata"]["finalizers"] = {"example.com/a", "example.com/b"};
  json live = server_apply(nullptr, desired);
  live["metadata"]["finalizers"] = {"foregroundDeletion", "example.com/b", "example.com/a"};
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);
  live["metadata"]["finalizers"] = {"example.com/b"};
  EXPECT_THAT(paths(diff(desired, live)), ElementsAre("/metadata/finalizers/0"));
}

TEST(DiffTest, NewNestedBlockIsOneChangedPath) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  desired["spec"]["template"]["spec"]["affinity"] = json::parse(
      R"({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1}]}})");
  EXPECT_THAT(paths(diff(desired, live)), ElementsAre("/spec/template/spec/affinity"));
}

TEST(DiffTest, PointerTokensAreEscaped) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  desired["metadata"]["annotations"]["example.com/owner~x"] = "team-a";
  EXPECT_THAT(paths(diff(desired, live)), ElementsAre("/metadata/annotations/example.com~1owner~0x"));
}

// ---- drift: fields Ferry applied before ----------------------------------------------------

TEST(DiffTest, FieldRemovedFromDesiredThatFerryAppliedIsDrift) {
  json before = web_deployment();
  before["metadata"]["annotations"]["team"] = "payments";
  json live = server_apply(nullptr, before);

  json desired = web_deployment();  // no longer sets the annotation
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_EQ(d.changed[0].path, "/metadata/annotations/team");
  EXPECT_EQ(d.changed[0].live_manager, "ferry");
  // The predicted object drops it: the unified diff shows a removal.
  EXPECT_FALSE(d.desired_view["metadata"]["annotations"].contains("team"));
  EXPECT_THAT(d.unified, HasSubstr("-    team: payments\n"));

  // After Ferry applies the new desired state, SSA has removed it: Synced.
  json synced = server_apply(live, desired);
  EXPECT_FALSE(synced["metadata"]["annotations"].contains("team"));
  EXPECT_EQ(diff(desired, synced).state, SyncState::kSynced);
}

TEST(DiffTest, RemovedListItemIsReportedAtItsLiveIndex) {
  json before = web_deployment();
  json live = server_apply(nullptr, before);
  json desired = web_deployment();
  desired["spec"]["template"]["spec"]["containers"][0]["env"].erase(0);  // drops MODE
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  EXPECT_THAT(paths(d), ElementsAre("/spec/template/spec/containers/0/env/0"));
  EXPECT_EQ(d.changed[0].live_manager, "ferry");
  EXPECT_EQ(d.desired_view["spec"]["template"]["spec"]["containers"][0]["env"].size(), 1u);
}

TEST(DiffTest, FieldsOfOtherManagersAreNotDriftWhenDesiredNeverSetThem) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live = server_update(live, [](json& o) { o["metadata"]["annotations"]["owner"] = "ops"; }, "kubectl-annotate");
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);
}

TEST(DiffTest, DriftCheckUsesTheConfiguredFieldManager) {
  json before = web_deployment();
  before["metadata"]["labels"]["extra"] = "x";
  json live = server_apply(nullptr, before, "other-tool");
  json desired = web_deployment();
  EXPECT_EQ(diff(desired, live).state, SyncState::kSynced);
  DiffOptions options;
  options.field_manager = "other-tool";
  ResourceDiff d = diff(desired, live, options);
  EXPECT_THAT(paths(d), ElementsAre("/metadata/labels/extra"));
}

// ---- drift attribution ----------------------------------------------------------------------

TEST(DiffTest, KubectlEditIsAttributed) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live = server_update(live, [](json& o) { o["spec"]["replicas"] = 5; }, "kubectl-edit");
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_EQ(d.changed[0], (ChangedPath{"/spec/replicas", "kubectl-edit"}));
}

TEST(DiffTest, AttributionInsideKeyedAndAtomicLists) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live = server_update(live, [](json& o) { o["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:evil"; },
                       "kubectl-patch");
  live = server_update(live, [](json& o) { o["spec"]["template"]["spec"]["containers"][0]["args"][1] = "9090"; },
                       "kubectl-edit");
  live = server_update(live, [](json& o) { o["metadata"]["labels"]["app"] = "api"; }, "kubectl-client-side-apply");
  ResourceDiff d = diff(desired, live);
  EXPECT_THAT(d.changed, ::testing::UnorderedElementsAre(
                             ChangedPath{"/metadata/labels/app", "kubectl-client-side-apply"},
                             ChangedPath{"/spec/template/spec/containers/0/image", "kubectl-patch"},
                             ChangedPath{"/spec/template/spec/containers/0/args/1", "kubectl-edit"}));
}

TEST(DiffTest, AttributionWithoutManagedFieldsIsEmpty) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live["metadata"].erase("managedFields");
  live["spec"]["replicas"] = 7;
  ResourceDiff d = diff(desired, live);
  EXPECT_EQ(d.changed, (std::vector<ChangedPath>{{"/spec/replicas", ""}}));
}

// ---- Missing, RequiresPruning ---------------------------------------------------------------

TEST(DiffTest, Missing) {
  json desired = web_deployment();
  ResourceDiff d = diff_resource(&desired, nullptr, {});
  EXPECT_EQ(d.state, SyncState::kMissing);
  EXPECT_TRUE(d.live_view.is_null());
  EXPECT_EQ(d.desired_view["spec"]["replicas"], 3);
  EXPECT_THAT(d.unified, ::testing::StartsWith("--- live/apps/Deployment/default/web\n"
                                               "+++ desired/apps/Deployment/default/web\n@@ -0,0 +1,"));
  EXPECT_THAT(d.unified, HasSubstr("\n+  replicas: 3\n"));
  EXPECT_THAT(d.unified, Not(HasSubstr("\n-")));
}

TEST(DiffTest, RequiresPruning) {
  json live = server_apply(nullptr, web_service());
  ResourceDiff d = diff_resource(nullptr, &live, {});
  EXPECT_EQ(d.state, SyncState::kRequiresPruning);
  EXPECT_TRUE(d.desired_view.is_null());
  EXPECT_FALSE(d.live_view["metadata"].contains("managedFields"));
  EXPECT_FALSE(d.live_view.contains("status"));
  EXPECT_THAT(d.unified, ::testing::StartsWith("--- live//Service/default/web\n+++ desired//Service/default/web\n"
                                               "@@ -1,"));
  EXPECT_THAT(d.unified.substr(d.unified.find("@@")), Not(HasSubstr("\n+")));
}

TEST(DiffTest, NothingOnEitherSide) {
  ResourceDiff d = diff_resource(nullptr, nullptr, {});
  EXPECT_EQ(d.state, SyncState::kSynced);
  EXPECT_EQ(d.unified, "");
}

// ---- views and unified text -----------------------------------------------------------------

TEST(DiffTest, UnifiedTextShape) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live = server_update(live, [](json& o) { o["spec"]["replicas"] = 5; }, "kubectl-edit");
  ResourceDiff d = diff(desired, live);
  const std::string& u = d.unified;
  EXPECT_THAT(u, ::testing::StartsWith("--- live/apps/Deployment/default/web\n+++ desired/apps/Deployment/default/web\n@@ -"));
  EXPECT_THAT(u, HasSubstr("\n-  replicas: 5\n+  replicas: 3\n"));
  // Exactly one changed line each way, with context around it.
  EXPECT_EQ(std::count(u.begin(), u.end(), '\n'), 2 + 1 + 3 + 2 + 3);
  // Server-set noise is not shown.
  EXPECT_THAT(u, Not(HasSubstr("managedFields")));
  EXPECT_THAT(u, Not(HasSubstr("resourceVersion")));
  // Deterministic.
  EXPECT_EQ(diff(desired, live).unified, u);
}

TEST(DiffTest, PredictedViewKeepsLiveSpellingsAndDefaults) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  live["spec"]["replicas"] = 4;
  ResourceDiff d = diff(desired, live);
  // The predicted object is live with desired's values: defaults and canonical quantities stay.
  EXPECT_EQ(d.desired_view["spec"]["replicas"], 3);
  EXPECT_EQ(d.desired_view["spec"]["revisionHistoryLimit"], 10);
  EXPECT_EQ(d.desired_view["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"], "1");
  json expected = d.live_view;
  expected["spec"]["replicas"] = 3;
  EXPECT_EQ(d.desired_view, expected);
}

TEST(DiffTest, ViewsCanBeSkippedWhenSynced) {
  json desired = web_deployment();
  json live = server_apply(nullptr, desired);
  DiffOptions options;
  options.views_when_synced = false;
  ResourceDiff synced = diff(desired, live, options);
  EXPECT_EQ(synced.state, SyncState::kSynced);
  EXPECT_TRUE(synced.desired_view.is_null());
  EXPECT_TRUE(synced.live_view.is_null());
  live["spec"]["replicas"] = 1;
  ResourceDiff out_of_sync = diff(desired, live, options);
  EXPECT_EQ(out_of_sync.state, SyncState::kOutOfSync);
  EXPECT_EQ(out_of_sync.desired_view["spec"]["replicas"], 3);
  EXPECT_THAT(out_of_sync.unified, HasSubstr("+  replicas: 3"));
}

TEST(DiffTest, ClusterScopedHeaderHasEmptyNamespace) {
  json desired = json::parse(R"({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
    "metadata": {"name": "reader"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]})");
  json live = desired;
  live["rules"][0]["verbs"] = {"get", "list"};
  ResourceDiff d = diff(desired, live);
  EXPECT_THAT(d.unified, ::testing::StartsWith("--- live/rbac.authorization.k8s.io/ClusterRole//reader\n"));
  EXPECT_THAT(paths(d), ElementsAre("/rules/0/verbs"));
}

TEST(DiffTest, InvalidUtf8InAListKeyIsADifferenceNotACrash) {
  json desired = web_deployment();
  desired["spec"]["template"]["spec"]["containers"][0]["env"][0]["name"] = std::string("BAD\xff");
  json live = server_apply(nullptr, web_deployment());
  live["spec"]["template"]["spec"]["containers"][0]["env"][0]["name"] = std::string("BAD\xff");
  live["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "other";
  ResourceDiff d;
  EXPECT_NO_THROW(d = diff(desired, live));
  EXPECT_EQ(d.state, SyncState::kOutOfSync);
  EXPECT_FALSE(d.changed.empty());
}

}  // namespace
}  // namespace ferry::reconciler
