// Job: a Failed condition is Degraded with its message, Complete is Healthy; a suspended Job
// (spec.suspend or a Suspended condition) is Suspended; anything else is still running.
#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health job_health(const Json& live) {
  if (const Json* failed = condition(live, "Failed"); failed != nullptr && string_at(*failed, {"status"}) == "True") {
    return {HealthStatus::kDegraded, string_at(*failed, {"message"})};
  }
  if (const Json* complete = condition(live, "Complete");
      complete != nullptr && string_at(*complete, {"status"}) == "True") {
    return {HealthStatus::kHealthy, string_at(*complete, {"message"})};
  }
  const Json* suspended = condition(live, "Suspended");
  if ((suspended != nullptr && string_at(*suspended, {"status"}) == "True") || bool_at(live, {"spec", "suspend"})) {
    std::string message = suspended != nullptr ? string_at(*suspended, {"message"}) : std::string();
    return {HealthStatus::kSuspended, message.empty() ? "Job is suspended" : message};
  }
  return {HealthStatus::kProgressing, ""};
}

}  // namespace ferry::reconciler::health
