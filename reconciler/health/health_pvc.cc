// PersistentVolumeClaim: one switch on status.phase. Bound is Healthy, Pending Progressing (a
// WaitForFirstConsumer class stays there until a pod uses the claim), Lost Degraded.
#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health persistent_volume_claim_health(const Json& live) {
  const std::string phase = string_at(live, {"status", "phase"});
  if (phase == "Bound") return {};
  if (phase == "Pending") return {HealthStatus::kProgressing, "Waiting for the claim to be bound"};
  if (phase == "Lost") return {HealthStatus::kDegraded, "The claim lost its persistent volume"};
  return {HealthStatus::kUnknown, phase.empty() ? "The claim has no phase yet" : "Unknown claim phase " + phase};
}

}  // namespace ferry::reconciler::health
