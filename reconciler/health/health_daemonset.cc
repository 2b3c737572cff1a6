// DaemonSet: Progressing until the spec is observed and every scheduled pod is updated and
// available. With the OnDelete strategy pods are replaced by hand, so it is Healthy once observed
// and reports how many are updated.
#include <string>

#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health daemon_set_health(const Json& live) {
  if (int_at(live, {"metadata", "generation"}) > int_at(live, {"status", "observedGeneration"})) {
    return {HealthStatus::kProgressing,
            "Waiting for rollout to finish: observed daemon set generation less than desired generation"};
  }
  const int64_t desired = int_at(live, {"status", "desiredNumberScheduled"});
  const int64_t updated = int_at(live, {"status", "updatedNumberScheduled"});
  const int64_t available = int_at(live, {"status", "numberAvailable"});
  if (string_at(live, {"spec", "updateStrategy", "type"}) == "OnDelete") {
    return {HealthStatus::kHealthy, "daemon set " + std::to_string(updated) + " out of " + std::to_string(desired) +
                                        " new pods have been updated"};
  }
  const std::string name = string_at(live, {"metadata", "name"});
  if (updated < desired) {
    return {HealthStatus::kProgressing, "Waiting for daemon set \"" + name + "\" rollout to finish: " +
                                            std::to_string(updated) + " out of " + std::to_string(desired) +
                                            " new pods have been updated..."};
  }
  if (available < desired) {
    return {HealthStatus::kProgressing, "Waiting for daemon set \"" + name + "\" rollout to finish: " +
                                            std::to_string(available) + " of " + std::to_string(desired) +
                                            " updated pods are available..."};
  }
  return {};
}

}  // namespace ferry::reconciler::health
