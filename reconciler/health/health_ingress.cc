// Ingress: Healthy once the ingress controller published an address in
// status.loadBalancer.ingress, Progressing until then (as Argo CD).
#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health ingress_health(const Json& live) {
  const Json* ingress = at(live, {"status", "loadBalancer", "ingress"});
  if (ingress != nullptr && ingress->is_array() && !ingress->empty()) return {};
  return {HealthStatus::kProgressing, "Waiting for the ingress controller to publish an address"};
}

}  // namespace ferry::reconciler::health
