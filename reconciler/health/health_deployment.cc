// Deployment: paused is Suspended; a missed progress deadline is Degraded; otherwise the rollout
// is Progressing until the controller has observed the spec and every replica is updated and
// available (Argo CD's built-in check).
#include <string>

#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health deployment_health(const Json& live) {
  if (bool_at(live, {"spec", "paused"})) return {HealthStatus::kSuspended, "Deployment is paused"};
  if (int_at(live, {"metadata", "generation"}) > int_at(live, {"status", "observedGeneration"})) {
    return {HealthStatus::kProgressing,
            "Waiting for rollout to finish: observed deployment generation less than desired generation"};
  }
  if (const Json* progressing = condition(live, "Progressing");
      progressing != nullptr && string_at(*progressing, {"reason"}) == "ProgressDeadlineExceeded") {
    return {HealthStatus::kDegraded,
            "Deployment \"" + string_at(live, {"metadata", "name"}) + "\" exceeded its progress deadline"};
  }
  const int64_t replicas = int_at(live, {"spec", "replicas"}, 1);
  const int64_t total = int_at(live, {"status", "replicas"});
  const int64_t updated = int_at(live, {"status", "updatedReplicas"});
  const int64_t available = int_at(live, {"status", "availableReplicas"});
  if (updated < replicas) {
    return {HealthStatus::kProgressing, "Waiting for rollout to finish: " + std::to_string(updated) + " out of " +
                                            std::to_string(replicas) + " new replicas have been updated..."};
  }
  if (total > updated) {
    return {HealthStatus::kProgressing, "Waiting for rollout to finish: " + std::to_string(total - updated) +
                                            " old replicas are pending termination..."};
  }
  if (available < updated) {
    return {HealthStatus::kProgressing, "Waiting for rollout to finish: " + std::to_string(available) + " of " +
                                            std::to_string(updated) + " updated replicas are available..."};
  }
  return {};
}

}  // namespace ferry::reconciler::health
