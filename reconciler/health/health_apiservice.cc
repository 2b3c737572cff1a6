// APIService: its Available condition. True is Healthy, anything else Progressing, both with
// "<reason>: <message>"; no condition yet is Progressing "Waiting to be processed".
#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

Health api_service_health(const Json& live) {
  const Json* available = condition(live, "Available");
  if (available == nullptr) return {HealthStatus::kProgressing, "Waiting to be processed"};
  std::string message = string_at(*available, {"reason"}) + ": " + string_at(*available, {"message"});
  if (string_at(*available, {"status"}) == "True") return {HealthStatus::kHealthy, message};
  return {HealthStatus::kProgressing, message};
}

}  // namespace ferry::reconciler::health
