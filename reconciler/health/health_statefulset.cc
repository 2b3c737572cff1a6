// StatefulSet: Progressing until the spec is observed and every replica is ready; then, by
// update strategy: a partitioned rolling update is done when the pods above the partition are
// updated, OnDelete is done once pods are ready (the user replaces them), and a plain rolling
// update is done when the current revision has caught up with the update revision.
#include <string>

#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health stateful_set_health(const Json& live) {
  const int64_t observed = int_at(live, {"status", "observedGeneration"});
  if (observed == 0 || int_at(live, {"metadata", "generation"}) > observed) {
    return {HealthStatus::kProgressing, "Waiting for statefulset spec update to be observed..."};
  }
  const int64_t replicas = int_at(live, {"spec", "replicas"}, 1);
  const int64_t ready = int_at(live, {"status", "readyReplicas"});
  if (ready < replicas) {
    return {HealthStatus::kProgressing, "Waiting for " + std::to_string(replicas - ready) + " pods to be ready..."};
  }
  std::string strategy = string_at(live, {"spec", "updateStrategy", "type"});
  if (strategy.empty()) strategy = "RollingUpdate";
  const int64_t updated = int_at(live, {"status", "updatedReplicas"});
  const int64_t partition = int_at(live, {"spec", "updateStrategy", "rollingUpdate", "partition"});
  if (strategy == "RollingUpdate" && partition > 0) {
    const int64_t expected = replicas - partition;
    if (updated < expected) {
      return {HealthStatus::kProgressing, "Waiting for partitioned roll out to finish: " + std::to_string(updated) +
                                              " out of " + std::to_string(expected) + " new pods have been updated..."};
    }
    return {HealthStatus::kHealthy,
            "partitioned roll out complete: " + std::to_string(updated) + " new pods have been updated..."};
  }
  if (strategy == "OnDelete") {
    return {HealthStatus::kHealthy, "statefulset has " + std::to_string(ready) + " ready pods"};
  }
  const std::string update_revision = string_at(live, {"status", "updateRevision"});
  const std::string current_revision = string_at(live, {"status", "currentRevision"});
  if (update_revision != current_revision) {
    return {HealthStatus::kProgressing, "waiting for statefulset rolling update to complete " +
                                            std::to_string(updated) + " pods at revision " + update_revision + "..."};
  }
  return {HealthStatus::kHealthy, "statefulset rolling update complete " +
                                      std::to_string(int_at(live, {"status", "currentReplicas"})) +
                                      " pods at revision " + current_revision + "..."};
}

}  // namespace ferry::reconciler::health
