// Namespace: Active (or no phase yet) is Healthy; Terminating is Progressing, since the
// namespace is on its way out while its content is deleted.
#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health namespace_health(const Json& live) {
  const std::string phase = string_at(live, {"status", "phase"});
  if (phase == "Terminating") return {HealthStatus::kProgressing, "Namespace is terminating"};
  if (phase.empty() || phase == "Active") return {};
  return {HealthStatus::kUnknown, "Unknown namespace phase " + phase};
}

}  // namespace ferry::reconciler::health
