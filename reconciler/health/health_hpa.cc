// HorizontalPodAutoscaler: read from its conditions (autoscaling/v2 status.conditions, or the
// autoscaling.alpha.kubernetes.io/conditions annotation of v1 objects). The condition
// (type, reason) pairs are Argo CD's: failing to read or update the scale target, to get
// metrics, or a bad selector is Degraded; a successful rescale or a desired count within (or
// clamped to) the range is Healthy; anything else is Progressing ("Waiting to Autoscale").
// Unlike Argo CD, which takes the first condition matching either list, any degraded condition
// wins, so the order in which the controller lists conditions does not change the answer.
#include <array>
#include <utility>

#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {
namespace {

using Pair = std::pair<std::string_view, std::string_view>;

constexpr std::array<Pair, 4> kDegraded = {{{"AbleToScale", "FailedGetScale"},
                                            {"AbleToScale", "FailedUpdateScale"},
                                            {"ScalingActive", "FailedGetResourceMetric"},
                                            {"ScalingActive", "InvalidSelector"}}};
constexpr std::array<Pair, 4> kHealthy = {{{"AbleToScale", "SucceededRescale"},
                                           {"ScalingLimited", "DesiredWithinRange"},
                                           {"ScalingLimited", "TooFewReplicas"},
                                           {"ScalingLimited", "TooManyReplicas"}}};

template <size_t N>
bool matches(const std::array<Pair, N>& table, const Json& c) {
  const std::string type = string_at(c, {"type"});
  const std::string reason = string_at(c, {"reason"});
  for (const auto& [t, r] : table) {
    if (type == t && reason == r) return true;
  }
  return false;
}

Json conditions_of(const Json& live) {
  const Json* conditions = at(live, {"status", "conditions"});
  if (conditions != nullptr && conditions->is_array()) return *conditions;
  const std::string annotation =
      string_at(live, {"metadata", "annotations", "autoscaling.alpha.kubernetes.io/conditions"});
  if (annotation.empty()) return Json::array();
  Json parsed = Json::parse(annotation, nullptr, false);
  return parsed.is_array() ? parsed : Json::array();
}

}  // namespace

Health horizontal_pod_autoscaler_health(const Json& live) {
  const Json conditions = conditions_of(live);
  for (const Json& c : conditions) {
    if (c.is_object() && matches(kDegraded, c)) return {HealthStatus::kDegraded, string_at(c, {"message"})};
  }
  for (const Json& c : conditions) {
    if (c.is_object() && matches(kHealthy, c)) return {HealthStatus::kHealthy, string_at(c, {"message"})};
  }
  return {HealthStatus::kProgressing, "Waiting to Autoscale"};
}

}  // namespace ferry::reconciler::health
