// Health of non-workload kinds: Service, Ingress, PVC, HPA, APIService, Namespace, Application.
#include <gtest/gtest.h>

#include "reconciler/health/health.h"
#include "tests/unit/reconciler_health/print.h"

namespace ferry::reconciler {
namespace {

using nlohmann::json;

Health of(const json& object) { return health_of(&object); }

TEST(ServiceHealthTest, LoadBalancerWaitsForAnAddress) {
  json svc = {{"apiVersion", "v1"}, {"kind", "Service"}, {"spec", {{"type", "ClusterIP"}}}};
  EXPECT_EQ(of(svc), Health{});
  svc["spec"]["type"] = "LoadBalancer";
  svc["status"] = {{"loadBalancer", json::object()}};
  EXPECT_EQ(of(svc).status, HealthStatus::kProgressing);
  svc["status"]["loadBalancer"]["ingress"] = json::array();
  EXPECT_EQ(of(svc).status, HealthStatus::kProgressing);
  svc["status"]["loadBalancer"]["ingress"] = {{{"ip", "203.0.113.7"}}};
  EXPECT_EQ(of(svc), Health{});
  json headless = {{"apiVersion", "v1"}, {"kind", "Service"}};
  EXPECT_EQ(of(headless), Health{});
}

TEST(IngressHealthTest, AddressMakesItHealthy) {
  for (const char* api_version : {"networking.k8s.io/v1", "extensions/v1beta1"}) {
    json ing = {{"apiVersion", api_version}, {"kind", "Ingress"}, {"spec", json::object()}};
    EXPECT_EQ(of(ing).status, HealthStatus::kProgressing) << api_version;
    ing["status"] = {{"loadBalancer", {{"ingress", {{{"hostname", "lb.example.com"}}}}}}};
    EXPECT_EQ(of(ing), Health{}) << api_version;
  }
}

TEST(PersistentVolumeClaimHealthTest, Phases) {
  json pvc = {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"status", {{"phase", "Bound"}}}};
  EXPECT_EQ(of(pvc), Health{});
  pvc["status"]["phase"] = "Pending";
  EXPECT_EQ(of(pvc).status, HealthStatus::kProgressing);
  pvc["status"]["phase"] = "Lost";
  EXPECT_EQ(of(pvc).status, HealthStatus::kDegraded);
  pvc["status"]["phase"] = "Weird";
  EXPECT_EQ(of(pvc).status, HealthStatus::kUnknown);
  pvc.erase("status");
  EXPECT_EQ(of(pvc).status, HealthStatus::kUnknown);
}

json hpa(json conditions) {
  return {{"apiVersion", "autoscaling/v2"},
          {"kind", "HorizontalPodAutoscaler"},
          {"status", {{"conditions", std::move(conditions)}}}};
}

TEST(HorizontalPodAutoscalerHealthTest, Conditions) {
  EXPECT_EQ(of(hpa(json::array())), (Health{HealthStatus::kProgressing, "Waiting to Autoscale"}));
  EXPECT_EQ(of(hpa({{{"type", "AbleToScale"}, {"status", "True"}, {"reason", "ReadyForNewScale"}},
                    {{"type", "ScalingActive"}, {"status", "True"}, {"reason", "ValidMetricFound"}},
                    {{"type", "ScalingLimited"}, {"status", "False"}, {"reason", "DesiredWithinRange"},
                     {"message", "the desired count is within the acceptable range"}}})),
            (Health{HealthStatus::kHealthy, "the desired count is within the acceptable range"}));
  // A degraded condition wins wherever it is listed.
  EXPECT_EQ(of(hpa({{{"type", "AbleToScale"}, {"status", "True"}, {"reason", "SucceededRescale"}},
                    {{"type", "ScalingActive"}, {"status", "False"}, {"reason", "FailedGetResourceMetric"},
                     {"message", "missing request for cpu"}}})),
            (Health{HealthStatus::kDegraded, "missing request for cpu"}));
  for (auto [type, reason] : std::initializer_list<std::pair<const char*, const char*>>{
           {"AbleToScale", "FailedGetScale"},
           {"AbleToScale", "FailedUpdateScale"},
           {"ScalingActive", "InvalidSelector"}}) {
    EXPECT_EQ(of(hpa({{{"type", type}, {"status", "False"}, {"reason", reason}}})).status, HealthStatus::kDegraded)
        << reason;
  }
  for (const char* reason : {"TooFewReplicas", "TooManyReplicas"}) {
    EXPECT_EQ(of(hpa({{{"type", "ScalingLimited"}, {"status", "True"}, {"reason", reason}}})).status,
              HealthStatus::kHealthy);
  }
}

TEST(HorizontalPodAutoscalerHealthTest, V1ConditionsAnnotation) {
  json v1 = {{"apiVersion", "autoscaling/v1"}, {"kind", "HorizontalPodAutoscaler"}};
  v1["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/conditions"] =
      R"([{"type":"AbleToScale","status":"False","reason":"FailedGetScale","message":"no scale target"}])";
  EXPECT_EQ(of(v1), (Health{HealthStatus::kDegraded, "no scale target"}));
  v1["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/conditions"] = "not json";
  EXPECT_EQ(of(v1).status, HealthStatus::kProgressing);
}

TEST(APIServiceHealthTest, AvailableCondition) {
  json api = {{"apiVersion", "apiregistration.k8s.io/v1"}, {"kind", "APIService"}};
  EXPECT_EQ(of(api), (Health{HealthStatus::kProgressing, "Waiting to be processed"}));
  api["status"]["conditions"] = {{{"type", "Available"}, {"status", "True"}, {"reason", "Passed"},
                                  {"message", "all checks passed"}}};
  EXPECT_EQ(of(api), (Health{HealthStatus::kHealthy, "Passed: all checks passed"}));
  api["status"]["conditions"][0] = {{"type", "Available"}, {"status", "False"}, {"reason", "MissingEndpoints"},
                                    {"message", "endpoints for service/metrics-server have no addresses"}};
  EXPECT_EQ(of(api), (Health{HealthStatus::kProgressing,
                             "MissingEndpoints: endpoints for service/metrics-server have no addresses"}));
}

TEST(NamespaceHealthTest, Phases) {
  json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"status", {{"phase", "Active"}}}};
  EXPECT_EQ(of(ns), Health{});
  ns["status"]["phase"] = "Terminating";
  EXPECT_EQ(of(ns), (Health{HealthStatus::kProgressing, "Namespace is terminating"}));
  ns.erase("status");
  EXPECT_EQ(of(ns), Health{});
}

TEST(ApplicationHealthTest, ChildAppsReportTheirOwnHealth) {
  for (const char* api_version : {"ferry.dev/v1alpha1", "argoproj.io/v1alpha1"}) {
    json app = {{"apiVersion", api_version}, {"kind", "Application"}, {"metadata", {{"name", "child"}}}};
    EXPECT_EQ(of(app).status, HealthStatus::kProgressing) << api_version;  // not reported yet
    app["status"]["health"] = {{"status", "Healthy"}};
    EXPECT_EQ(of(app), Health{}) << api_version;
    app["status"]["health"] = {{"status", "Degraded"}, {"message", "Deployment \"web\" exceeded its progress deadline"}};
    EXPECT_EQ(of(app), (Health{HealthStatus::kDegraded, "Deployment \"web\" exceeded its progress deadline"}));
    app["status"]["health"] = {{"status", "Suspended"}};
    EXPECT_EQ(of(app).status, HealthStatus::kSuspended);
    app["status"]["health"] = {{"status", "Missing"}};
    EXPECT_EQ(of(app).status, HealthStatus::kMissing);
    app["status"]["health"] = {{"status", "Sideways"}};
    EXPECT_EQ(of(app).status, HealthStatus::kUnknown);
  }
  // Another group's Application kind is not Ferry's to judge.
  json other = {{"apiVersion", "app.k8s.io/v1beta1"}, {"kind", "Application"}};
  EXPECT_EQ(of(other), Health{});
}

}  // namespace
}  // namespace ferry::reconciler
