// Application (ferry.dev and argoproj.io): a child app reports its own health in
// status.health.{status,message}, which is taken as is, so an app-of-apps parent waits for its
// children. A child that has not reported yet is Progressing (the documented Argo CD
// customization for Application health does the same), never Healthy: otherwise a sync wave
// holding child apps would pass before they did anything. A status Ferry does not know is Unknown.
#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health application_health(const Json& live) {
  const std::string status = string_at(live, {"status", "health", "status"});
  std::string message = string_at(live, {"status", "health", "message"});
  if (status.empty()) return {HealthStatus::kProgressing, "Waiting for the application to report its health"};
  for (HealthStatus s : {HealthStatus::kHealthy, HealthStatus::kProgressing, HealthStatus::kDegraded,
                         HealthStatus::kSuspended, HealthStatus::kMissing, HealthStatus::kUnknown}) {
    if (status == health_status_name(s)) return {s, message};
  }
  return {HealthStatus::kUnknown, "Unknown health status \"" + status + "\"" + (message.empty() ? "" : ": " + message)};
}

}  // namespace ferry::reconciler::health
