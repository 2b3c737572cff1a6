#include "reconciler/health/health.h"
#include "tests/unit/reconciler_health/print.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

namespace ferry::reconciler {
namespace {

using nlohmann::json;

constexpr HealthStatus kAll[] = {HealthStatus::kHealthy, HealthStatus::kSuspended, HealthStatus::kProgressing,
                                 HealthStatus::kMissing, HealthStatus::kDegraded, HealthStatus::kUnknown};

TEST(HealthStatusTest, ArgoSpellings) {
  EXPECT_STREQ(health_status_name(HealthStatus::kHealthy), "Healthy");
  EXPECT_STREQ(health_status_name(HealthStatus::kProgressing), "Progressing");
  EXPECT_STREQ(health_status_name(HealthStatus::kDegraded), "Degraded");
  EXPECT_STREQ(health_status_name(HealthStatus::kSuspended), "Suspended");
  EXPECT_STREQ(health_status_name(HealthStatus::kMissing), "Missing");
  EXPECT_STREQ(health_status_name(HealthStatus::kUnknown), "Unknown");
}

TEST(WorstTest, GitopsEngineOrder) {
  // kAll is listed from most to least healthy.
  for (size_t i = 0; i < std::size(kAll); ++i) {
    for (size_t j = 0; j < std::size(kAll); ++j) {
      HealthStatus expected = kAll[std::max(i, j)];
      EXPECT_EQ(worst(kAll[i], kAll[j]), expected)
          << health_status_name(kAll[i]) << " vs " << health_status_name(kAll[j]);
    }
  }
  EXPECT_EQ(worst(HealthStatus::kSuspended, HealthStatus::kProgressing), HealthStatus::kProgressing);
  EXPECT_EQ(worst(HealthStatus::kDegraded, HealthStatus::kMissing), HealthStatus::kDegraded);
  EXPECT_EQ(worst(HealthStatus::kUnknown, HealthStatus::kDegraded), HealthStatus::kUnknown);
}

TEST(AppHealthTest, WorstWithItsMessage) {
  EXPECT_EQ(app_health({}), (Health{HealthStatus::kHealthy, ""}));
  EXPECT_EQ(app_health({{HealthStatus::kHealthy, "ok"}}), (Health{HealthStatus::kHealthy, "ok"}));
  EXPECT_EQ(app_health({{HealthStatus::kHealthy, ""},
                        {HealthStatus::kProgressing, "first progressing"},
                        {HealthStatus::kSuspended, "paused"},
                        {HealthStatus::kProgressing, "second progressing"}}),
            (Health{HealthStatus::kProgressing, "first progressing"}));
  EXPECT_EQ(app_health({{HealthStatus::kDegraded, "crash"}, {HealthStatus::kMissing, ""}}),
            (Health{HealthStatus::kDegraded, "crash"}));
  EXPECT_EQ(app_health({{HealthStatus::kSuspended, "cron off"}, {HealthStatus::kHealthy, ""}}),
            (Health{HealthStatus::kSuspended, "cron off"}));
  EXPECT_EQ(app_health({{HealthStatus::kMissing, ""}, {HealthStatus::kUnknown, "?"}}).status, HealthStatus::kUnknown);
}

TEST(HealthOfTest, MissingAndNotAnObject) {
  EXPECT_EQ(health_of(nullptr), (Health{HealthStatus::kMissing, ""}));
  json scalar = "text";
  EXPECT_EQ(health_of(&scalar).status, HealthStatus::kUnknown);
}

TEST(HealthOfTest, KindsWithoutACheckAreHealthy) {
  json config = json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})");
  EXPECT_EQ(health_of(&config), Health{});
  json custom = json::parse(R"({"apiVersion": "example.com/v1", "kind": "Widget", "status": {"phase": "Failed"}})");
  EXPECT_EQ(health_of(&custom), Health{});
  EXPECT_EQ(health_check_for("", "ConfigMap"), nullptr);
}

TEST(HealthOfTest, BeingDeletedIsProgressingForEveryKind) {
  for (const char* text : {
           R"({"apiVersion": "v1", "kind": "ConfigMap"})",
           R"({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"paused": true}})",
           R"({"apiVersion": "v1", "kind": "Pod", "status": {"phase": "Failed"}})",
           R"({"apiVersion": "example.com/v1", "kind": "Widget"})",
       }) {
    json object = json::parse(text);
    object["metadata"]["deletionTimestamp"] = "2026-11-23T09:00:00Z";
    EXPECT_EQ(health_of(&object), (Health{HealthStatus::kProgressing, "Pending deletion"})) << text;
  }
}

TEST(HealthCheckTableTest, BuiltInKinds) {
  for (auto [group, kind] : std::initializer_list<std::pair<const char*, const char*>>{
           {"apps", "Deployment"},
           {"apps", "StatefulSet"},
           {"apps", "DaemonSet"},
           {"apps", "ReplicaSet"},
           {"", "Pod"},
           {"batch", "Job"},
           {"batch", "CronJob"},
           {"", "Service"},
           {"networking.k8s.io", "Ingress"},
           {"", "PersistentVolumeClaim"},
           {"autoscaling", "HorizontalPodAutoscaler"},
           {"apiregistration.k8s.io", "APIService"},
           {"", "Namespace"},
           {"ferry.dev", "Application"},
           {"argoproj.io", "Application"},
       }) {
    EXPECT_NE(health_check_for(group, kind), nullptr) << group << "/" << kind;
  }
  // The group matters: a Deployment CRD elsewhere gets no built-in check.
  EXPECT_EQ(health_check_for("example.com", "Deployment"), nullptr);
  EXPECT_EQ(health_check_for("", "Deployment"), nullptr);
}

}  // namespace
}  // namespace ferry::reconciler
