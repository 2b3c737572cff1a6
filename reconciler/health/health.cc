#include "reconciler/health/health.h"

#include "reconciler/health/checks.h"

namespace ferry::reconciler {
namespace {

struct KindCheck {
  std::string_view group;
  std::string_view kind;
  HealthCheck check;
};

// One line per kind. Deployments, DaemonSets, ReplicaSets and Ingresses are also served under
// their older groups; the status fields the checks read are the same there.
constexpr KindCheck kChecks[] = {
    {"apps", "Deployment", health::deployment_health},
    {"extensions", "Deployment", health::deployment_health},
    {"apps", "StatefulSet", health::stateful_set_health},
    {"apps", "DaemonSet", health::daemon_set_health},
    {"extensions", "DaemonSet", health::daemon_set_health},
    {"apps", "ReplicaSet", health::replica_set_health},
    {"extensions", "ReplicaSet", health::replica_set_health},
    {"", "Pod", health::pod_health},
    {"batch", "Job", health::job_health},
    {"batch", "CronJob", health::cron_job_health},
    {"", "Service", health::service_health},
    {"networking.k8s.io", "Ingress", health::ingress_health},
    {"extensions", "Ingress", health::ingress_health},
    {"", "PersistentVolumeClaim", health::persistent_volume_claim_health},
    {"autoscaling", "HorizontalPodAutoscaler", health::horizontal_pod_autoscaler_health},
    {"apiregistration.k8s.io", "APIService", health::api_service_health},
    {"", "Namespace", health::namespace_health},
    {"ferry.dev", "Application", health::application_health},
    {"argoproj.io", "Application", health::application_health},
};

// Position in gitops-engine's healthOrder, from most to least healthy.
int rank(HealthStatus status) {
  switch (status) {
    case HealthStatus::kHealthy:
      return 0;
    case HealthStatus::kSuspended:
      return 1;
    case HealthStatus::kProgressing:
      return 2;
    case HealthStatus::kMissing:
      return 3;
    case HealthStatus::kDegraded:
      return 4;
    case HealthStatus::kUnknown:
      return 5;
  }
  return 5;
}

}  // namespace

const char* health_status_name(HealthStatus status) {
  switch (status) {
    case HealthStatus::kHealthy:
      return "Healthy";
    case HealthStatus::kProgressing:
      return "Progressing";
    case HealthStatus::kDegraded:
      return "Degraded";
    case HealthStatus::kSuspended:
      return "Suspended";
    case HealthStatus::kMissing:
      return "Missing";
    case HealthStatus::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

HealthCheck health_check_for(std::string_view group, std::string_view kind) {
  for (const KindCheck& entry : kChecks) {
    if (entry.group == group && entry.kind == kind) return entry.check;
  }
  return nullptr;
}

Health health_of(const Json* live) {
  if (live == nullptr) return {HealthStatus::kMissing, ""};
  if (!live->is_object()) return {HealthStatus::kUnknown, "not a Kubernetes object"};
  const Json* deletion = health::at(*live, {"metadata", "deletionTimestamp"});
  if (deletion != nullptr && !deletion->is_null()) return {HealthStatus::kProgressing, "Pending deletion"};
  std::string api_version = health::string_at(*live, {"apiVersion"});
  size_t slash = api_version.find('/');
  std::string group = slash == std::string::npos ? std::string() : api_version.substr(0, slash);
  HealthCheck check = health_check_for(group, health::string_at(*live, {"kind"}));
  return check != nullptr ? check(*live) : Health{};
}

HealthStatus worst(HealthStatus a, HealthStatus b) { return rank(b) > rank(a) ? b : a; }

Health app_health(const std::vector<Health>& resources) {
  const Health* worst_seen = nullptr;
  for (const Health& h : resources) {
    if (worst_seen == nullptr || rank(h.status) > rank(worst_seen->status)) worst_seen = &h;
  }
  return worst_seen != nullptr ? *worst_seen : Health{};
}

}  // namespace ferry::reconciler
