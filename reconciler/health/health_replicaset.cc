// ReplicaSet: a ReplicaFailure condition (quota, admission refusing pods) is Degraded;
// otherwise Progressing until the spec is observed and every replica is available.
#include <string>

#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health replica_set_health(const Json& live) {
  if (int_at(live, {"metadata", "generation"}) > int_at(live, {"status", "observedGeneration"})) {
    return {HealthStatus::kProgressing,
            "Waiting for rollout to finish: observed replica set generation less than desired generation"};
  }
  if (const Json* failure = condition(live, "ReplicaFailure");
      failure != nullptr && string_at(*failure, {"status"}) == "True") {
    return {HealthStatus::kDegraded, string_at(*failure, {"message"})};
  }
  const int64_t replicas = int_at(live, {"spec", "replicas"}, 1);
  const int64_t available = int_at(live, {"status", "availableReplicas"});
  if (available < replicas) {
    return {HealthStatus::kProgressing, "Waiting for rollout to finish: " + std::to_string(available) + " out of " +
                                            std::to_string(replicas) + " new replicas are available..."};
  }
  return {};
}

}  // namespace ferry::reconciler::health
