// Service: a LoadBalancer is Progressing until the cloud gives it an address
// (status.loadBalancer.ingress); every other type is Healthy as soon as it exists.
#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health service_health(const Json& live) {
  if (string_at(live, {"spec", "type"}) != "LoadBalancer") return {};
  const Json* ingress = at(live, {"status", "loadBalancer", "ingress"});
  if (ingress != nullptr && ingress->is_array() && !ingress->empty()) return {};
  return {HealthStatus::kProgressing, "Waiting for the load balancer to get an address"};
}

}  // namespace ferry::reconciler::health
