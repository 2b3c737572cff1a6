// Health of workloads: Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod, Job, CronJob.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconciler/health/health.h"
#include "tests/unit/reconciler_health/print.h"

namespace ferry::reconciler {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

Health of(const json& object) { return health_of(&object); }

// ---- Deployment -----------------------------------------------------------------------------

json deployment(int replicas, int generation, int observed, int total, int updated, int available) {
  json d = {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", "web"}, {"namespace", "default"}, {"generation", generation}}},
            {"spec", {{"replicas", replicas}}},
            {"status",
             {{"observedGeneration", observed},
              {"replicas", total},
              {"updatedReplicas", updated},
              {"availableReplicas", available}}}};
  return d;
}

TEST(DeploymentHealthTest, RolledOutIsHealthy) {
  EXPECT_EQ(of(deployment(3, 2, 2, 3, 3, 3)), Health{});
  EXPECT_EQ(of(deployment(0, 1, 1, 0, 0, 0)), Health{});
}

TEST(DeploymentHealthTest, SpecNotObservedYet) {
  EXPECT_EQ(of(deployment(3, 3, 2, 3, 3, 3)),
            (Health{HealthStatus::kProgressing,
                    "Waiting for rollout to finish: observed deployment generation less than desired generation"}));
}

TEST(DeploymentHealthTest, RolloutSteps) {
  EXPECT_EQ(of(deployment(3, 1, 1, 3, 1, 1)),
            (Health{HealthStatus::kProgressing,
                    "Waiting for rollout to finish: 1 out of 3 new replicas have been updated..."}));
  EXPECT_EQ(of(deployment(3, 1, 1, 4, 3, 3)),
            (Health{HealthStatus::kProgressing, "Waiting for rollout to finish: 1 old replicas are pending termination..."}));
  EXPECT_EQ(of(deployment(3, 1, 1, 3, 3, 1)),
            (Health{HealthStatus::kProgressing, "Waiting for rollout to finish: 1 of 3 updated replicas are available..."}));
}

TEST(DeploymentHealthTest, ReplicasDefaultToOne) {
  json d = deployment(1, 1, 1, 0, 0, 0);
  d["spec"].erase("replicas");
  EXPECT_EQ(of(d).status, HealthStatus::kProgressing);
  d["status"] = {{"observedGeneration", 1}, {"replicas", 1}, {"updatedReplicas", 1}, {"availableReplicas", 1}};
  EXPECT_EQ(of(d).status, HealthStatus::kHealthy);
}

TEST(DeploymentHealthTest, PausedIsSuspended) {
  json d = deployment(3, 1, 1, 3, 1, 1);
  d["spec"]["paused"] = true;
  EXPECT_EQ(of(d), (Health{HealthStatus::kSuspended, "Deployment is paused"}));
}

TEST(DeploymentHealthTest, ProgressDeadlineExceededIsDegraded) {
  json d = deployment(3, 1, 1, 3, 3, 1);
  d["status"]["conditions"] = {{{"type", "Available"}, {"status", "False"}},
                               {{"type", "Progressing"}, {"status", "False"}, {"reason", "ProgressDeadlineExceeded"}}};
  EXPECT_EQ(of(d), (Health{HealthStatus::kDegraded, "Deployment \"web\" exceeded its progress deadline"}));
  d["status"]["conditions"][1]["reason"] = "ReplicaSetUpdated";
  EXPECT_EQ(of(d).status, HealthStatus::kProgressing);
}

TEST(DeploymentHealthTest, NoStatusYet) {
  json d = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"generation", 1}}},
            {"spec", {{"replicas", 2}}}};
  EXPECT_EQ(of(d).status, HealthStatus::kProgressing);
}

// ---- StatefulSet ----------------------------------------------------------------------------

json stateful_set(int replicas, int ready, int updated, const std::string& current, const std::string& update) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "StatefulSet"},
          {"metadata", {{"name", "db"}, {"generation", 2}}},
          {"spec", {{"replicas", replicas}, {"updateStrategy", {{"type", "RollingUpdate"}}}}},
          {"status",
           {{"observedGeneration", 2},
            {"readyReplicas", ready},
            {"updatedReplicas", updated},
            {"currentReplicas", replicas},
            {"currentRevision", current},
            {"updateRevision", update}}}};
}

TEST(StatefulSetHealthTest, RollingUpdate) {
  EXPECT_EQ(of(stateful_set(3, 3, 3, "db-1", "db-1")),
            (Health{HealthStatus::kHealthy, "statefulset rolling update complete 3 pods at revision db-1..."}));
  EXPECT_EQ(of(stateful_set(3, 3, 1, "db-1", "db-2")),
            (Health{HealthStatus::kProgressing, "waiting for statefulset rolling update to complete 1 pods at revision db-2..."}));
  EXPECT_EQ(of(stateful_set(3, 1, 3, "db-1", "db-1")), (Health{HealthStatus::kProgressing, "Waiting for 2 pods to be ready..."}));
}

TEST(StatefulSetHealthTest, NotObserved) {
  json s = stateful_set(3, 3, 3, "db-1", "db-1");
  s["status"]["observedGeneration"] = 1;
  EXPECT_EQ(of(s), (Health{HealthStatus::kProgressing, "Waiting for statefulset spec update to be observed..."}));
  s["status"].erase("observedGeneration");
  EXPECT_EQ(of(s).status, HealthStatus::kProgressing);
}

TEST(StatefulSetHealthTest, Partition) {
  json s = stateful_set(5, 5, 1, "db-1", "db-2");
  s["spec"]["updateStrategy"]["rollingUpdate"] = {{"partition", 3}};
  EXPECT_EQ(of(s), (Health{HealthStatus::kProgressing,
                           "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated..."}));
  s["status"]["updatedReplicas"] = 2;
  // The pods below the partition keep the old revision on purpose: done.
  EXPECT_EQ(of(s), (Health{HealthStatus::kHealthy, "partitioned roll out complete: 2 new pods have been updated..."}));
  // Partition 0 (the server default) is a plain rolling update.
  s["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 0;
  EXPECT_EQ(of(s).status, HealthStatus::kProgressing);
}

TEST(StatefulSetHealthTest, OnDelete) {
  json s = stateful_set(3, 3, 0, "db-1", "db-2");
  s["spec"]["updateStrategy"] = {{"type", "OnDelete"}};
  EXPECT_EQ(of(s), (Health{HealthStatus::kHealthy, "statefulset has 3 ready pods"}));
  s["status"]["readyReplicas"] = 2;
  EXPECT_EQ(of(s).status, HealthStatus::kProgressing);
}

// ---- DaemonSet ------------------------------------------------------------------------------

json daemon_set(int desired, int updated, int available) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "DaemonSet"},
          {"metadata", {{"name", "agent"}, {"generation", 1}}},
          {"spec", {{"updateStrategy", {{"type", "RollingUpdate"}}}}},
          {"status",
           {{"observedGeneration", 1},
            {"desiredNumberScheduled", desired},
            {"updatedNumberScheduled", updated},
            {"numberAvailable", available}}}};
}

TEST(DaemonSetHealthTest, States) {
  EXPECT_EQ(of(daemon_set(4, 4, 4)), Health{});
  EXPECT_EQ(of(daemon_set(4, 2, 2)),
            (Health{HealthStatus::kProgressing,
                    "Waiting for daemon set \"agent\" rollout to finish: 2 out of 4 new pods have been updated..."}));
  EXPECT_EQ(of(daemon_set(4, 4, 3)),
            (Health{HealthStatus::kProgressing,
                    "Waiting for daemon set \"agent\" rollout to finish: 3 of 4 updated pods are available..."}));
  json d = daemon_set(4, 4, 4);
  d["metadata"]["generation"] = 2;
  EXPECT_EQ(of(d).message, "Waiting for rollout to finish: observed daemon set generation less than desired generation");
  json on_delete = daemon_set(4, 1, 4);
  on_delete["spec"]["updateStrategy"]["type"] = "OnDelete";
  EXPECT_EQ(of(on_delete), (Health{HealthStatus::kHealthy, "daemon set 1 out of 4 new pods have been updated"}));
}

// ---- ReplicaSet -----------------------------------------------------------------------------

TEST(ReplicaSetHealthTest, States) {
  json rs = {{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata", {{"generation", 1}}},
             {"spec", {{"replicas", 2}}},
             {"status", {{"observedGeneration", 1}, {"availableReplicas", 2}}}};
  EXPECT_EQ(of(rs), Health{});
  rs["status"]["availableReplicas"] = 1;
  EXPECT_EQ(of(rs),
            (Health{HealthStatus::kProgressing, "Waiting for rollout to finish: 1 out of 2 new replicas are available..."}));
  rs["status"]["conditions"] = {{{"type", "ReplicaFailure"}, {"status", "True"}, {"message", "exceeded quota: pods"}}};
  EXPECT_EQ(of(rs), (Health{HealthStatus::kDegraded, "exceeded quota: pods"}));
  rs["metadata"]["generation"] = 2;
  EXPECT_EQ(of(rs).status, HealthStatus::kProgressing);
}

// ---- Pod ------------------------------------------------------------------------------------

json pod(const std::string& phase, const std::string& restart_policy = "Always") {
  json p = {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", "p"}}},
            {"spec", {{"containers", {{{"name", "app"}}}}}},
            {"status", {{"phase", phase}}}};
  if (!restart_policy.empty()) p["spec"]["restartPolicy"] = restart_policy;
  return p;
}

TEST(PodHealthTest, Phases) {
  EXPECT_EQ(of(pod("Pending")).status, HealthStatus::kProgressing);
  EXPECT_EQ(of(pod("Succeeded")).status, HealthStatus::kHealthy);
  EXPECT_EQ(of(pod("Unknown")).status, HealthStatus::kUnknown);
  json failed = pod("Failed");
  failed["status"]["message"] = "Pod was evicted";
  EXPECT_EQ(of(failed), (Health{HealthStatus::kDegraded, "Pod was evicted"}));
}

TEST(PodHealthTest, FailedContainerMessages) {
  json p = pod("Failed", "Never");
  p["status"]["containerStatuses"] = {
      {{"name", "app"}, {"state", {{"terminated", {{"exitCode", 2}, {"reason", "Error"}}}}}}};
  EXPECT_EQ(of(p), (Health{HealthStatus::kDegraded, "container \"app\" failed with exit code 2"}));
  p["status"]["containerStatuses"][0]["state"]["terminated"] = {{"exitCode", 137}, {"reason", "OOMKilled"}};
  EXPECT_EQ(of(p).message, "OOMKilled");
  p["status"]["containerStatuses"][0]["state"]["terminated"]["message"] = "out of memory";
  EXPECT_EQ(of(p).message, "out of memory");
}

TEST(PodHealthTest, RunningAlwaysNeedsReady) {
  json p = pod("Running");
  EXPECT_EQ(of(p).status, HealthStatus::kProgressing);
  p["status"]["conditions"] = {{{"type", "Ready"}, {"status", "True"}}};
  EXPECT_EQ(of(p).status, HealthStatus::kHealthy);
  p["status"]["conditions"][0]["status"] = "False";
  p["status"]["containerStatuses"] = {{{"name", "app"}, {"lastState", {{"terminated", {{"exitCode", 1}}}}}}};
  EXPECT_EQ(of(p).status, HealthStatus::kDegraded);
  // No restartPolicy means Always.
  json implicit = pod("Running", "");
  implicit["status"]["conditions"] = {{{"type", "Ready"}, {"status", "True"}}};
  EXPECT_EQ(of(implicit).status, HealthStatus::kHealthy);
}

TEST(PodHealthTest, RunningFinitePodsAreProgressing) {
  for (const char* policy : {"Never", "OnFailure"}) {
    json p = pod("Running", policy);
    p["status"]["conditions"] = {{{"type", "Ready"}, {"status", "True"}}};
    EXPECT_EQ(of(p).status, HealthStatus::kProgressing) << policy;
  }
}

TEST(PodHealthTest, StuckContainersAreDegraded) {
  for (const char* reason : {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
                             "InvalidImageName" /* not stuck */}) {
    json p = pod("Pending");
    p["status"]["containerStatuses"] = {
        {{"name", "app"}, {"state", {{"waiting", {{"reason", reason}, {"message", std::string("why: ") + reason}}}}}}};
    Health h = of(p);
    if (std::string(reason) == "InvalidImageName") {
      EXPECT_EQ(h.status, HealthStatus::kProgressing);
    } else {
      EXPECT_EQ(h, (Health{HealthStatus::kDegraded, std::string("why: ") + reason})) << reason;
    }
  }
}

TEST(PodHealthTest, StuckMessagesJoinAndFallBackToReason) {
  json p = pod("Running");
  p["status"]["initContainerStatuses"] = {{{"name", "init"}, {"state", {{"waiting", {{"reason", "ErrImagePull"}}}}}}};
  p["status"]["containerStatuses"] = {
      {{"name", "app"}, {"state", {{"waiting", {{"reason", "CrashLoopBackOff"}, {"message", "back-off 5m0s"}}}}}}};
  EXPECT_EQ(of(p), (Health{HealthStatus::kDegraded, "container \"init\" is waiting: ErrImagePull, back-off 5m0s"}));
}

TEST(PodHealthTest, HookPodsWaitingForImagesAreNotDegraded) {
  json p = pod("Pending", "Never");
  p["status"]["containerStatuses"] = {{{"name", "app"}, {"state", {{"waiting", {{"reason", "ImagePullBackOff"}}}}}}};
  EXPECT_EQ(of(p).status, HealthStatus::kProgressing);
}

// ---- Job ------------------------------------------------------------------------------------

json job(json conditions = json::array()) {
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", "migrate"}}},
          {"spec", {{"backoffLimit", 1}}},
          {"status", {{"conditions", std::move(conditions)}}}};
}

TEST(JobHealthTest, States) {
  EXPECT_EQ(of(job()).status, HealthStatus::kProgressing);
  EXPECT_EQ(of(job({{{"type", "Complete"}, {"status", "True"}, {"message", "done"}}})),
            (Health{HealthStatus::kHealthy, "done"}));
  EXPECT_EQ(of(job({{{"type", "Failed"}, {"status", "True"}, {"reason", "BackoffLimitExceeded"},
                     {"message", "Job has reached the specified backoff limit"}}})),
            (Health{HealthStatus::kDegraded, "Job has reached the specified backoff limit"}));
  // A condition that is not True does not count.
  EXPECT_EQ(of(job({{{"type", "Failed"}, {"status", "False"}}})).status, HealthStatus::kProgressing);
  // Failed wins over a Complete listed first.
  EXPECT_EQ(of(job({{{"type", "Complete"}, {"status", "True"}}, {{"type", "Failed"}, {"status", "True"}}})).status,
            HealthStatus::kDegraded);
}

TEST(JobHealthTest, Suspended) {
  json j = job();
  j["spec"]["suspend"] = true;
  EXPECT_EQ(of(j), (Health{HealthStatus::kSuspended, "Job is suspended"}));
  json c = job({{{"type", "Suspended"}, {"status", "True"}, {"message", "Job suspended"}}});
  EXPECT_EQ(of(c), (Health{HealthStatus::kSuspended, "Job suspended"}));
}

// ---- CronJob --------------------------------------------------------------------------------

json cron_job() {
  return {{"apiVersion", "batch/v1"}, {"kind", "CronJob"}, {"metadata", {{"name", "report"}}},
          {"spec", {{"schedule", "*/5 * * * *"}}}};
}

TEST(CronJobHealthTest, States) {
  json c = cron_job();
  EXPECT_EQ(of(c), (Health{HealthStatus::kHealthy, "CronJob has not been scheduled yet"}));
  c["status"] = {{"lastScheduleTime", "2026-11-23T09:00:00Z"}, {"active", {{{"name", "report-1"}}}}};
  EXPECT_EQ(of(c).status, HealthStatus::kProgressing);
  c["status"].erase("active");
  EXPECT_EQ(of(c), (Health{HealthStatus::kDegraded, "CronJob has not completed its last execution successfully"}));
  c["status"]["lastSuccessfulTime"] = "2026-11-23T09:00:42Z";
  EXPECT_EQ(of(c).status, HealthStatus::kHealthy);
  // A newer run that did not succeed.
  c["status"]["lastScheduleTime"] = "2026-11-23T09:05:00Z";
  EXPECT_EQ(of(c).status, HealthStatus::kDegraded);
  c["spec"]["suspend"] = true;
  EXPECT_EQ(of(c), (Health{HealthStatus::kSuspended, "CronJob is suspended"}));
}

}  // namespace
}  // namespace ferry::reconciler
