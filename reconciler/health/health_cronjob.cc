// CronJob (Argo CD's resource customization for batch/CronJob): suspended is Suspended; never
// scheduled is Healthy; after a schedule, the last run decides: still running is Progressing,
// finished without success is Degraded, succeeded is Healthy. Timestamps are RFC 3339 in UTC as
// the API server writes them, so they compare as strings.
#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health cron_job_health(const Json& live) {
  if (bool_at(live, {"spec", "suspend"})) return {HealthStatus::kSuspended, "CronJob is suspended"};
  const std::string last_schedule = string_at(live, {"status", "lastScheduleTime"});
  if (last_schedule.empty()) return {HealthStatus::kHealthy, "CronJob has not been scheduled yet"};
  const std::string last_success = string_at(live, {"status", "lastSuccessfulTime"});
  if (last_success.empty() || last_schedule > last_success) {
    const Json* active = at(live, {"status", "active"});
    if (active != nullptr && active->is_array() && !active->empty()) {
      return {HealthStatus::kProgressing, "CronJob is running its last scheduled Job"};
    }
    return {HealthStatus::kDegraded, "CronJob has not completed its last execution successfully"};
  }
  return {HealthStatus::kHealthy, "The last scheduled Job completed successfully"};
}

}  // namespace ferry::reconciler::health
