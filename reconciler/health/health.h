// Health: how far a live Kubernetes object is from doing its job, in Argo CD's six states
// (Healthy, Progressing, Degraded, Suspended, Missing, Unknown) with a human message such as
// "Waiting for rollout to finish: 1 of 3 updated replicas are available...".
//
// Each built-in kind has one small pure check in its own file (health_deployment.cc, ...) and one
// line in the table of health.cc; kinds without a check are Healthy, as in Argo CD. An object
// being deleted is Progressing ("Pending deletion") whatever its kind. An app's health is the
// worst of its resources' in Argo CD's order (see worst()).
//
// All functions are pure and thread-safe; inputs are only read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::reconciler {

using Json = nlohmann::json;

enum class HealthStatus { kHealthy, kProgressing, kDegraded, kSuspended, kMissing, kUnknown };

// Argo CD's spellings: "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown".
const char* health_status_name(HealthStatus status);

struct Health {
  HealthStatus status = HealthStatus::kHealthy;
  std::string message;
  bool operator==(const Health&) const = default;
};

// The health of a live object; nullptr (not in the cluster) is Missing.
Health health_of(const Json* live);

// The health check for a group/kind, or null when Ferry has none (then an object is Healthy).
using HealthCheck = Health (*)(const Json& live);
HealthCheck health_check_for(std::string_view group, std::string_view kind);

// The worse of two states, in gitops-engine's order (health.IsWorse):
//   Healthy < Suspended < Progressing < Missing < Degraded < Unknown.
// Unknown ranks worst because a check that cannot tell must not let an app look fine.
HealthStatus worst(HealthStatus a, HealthStatus b);

// The worst status of the resources, with the message of the first resource in that state;
// Healthy with no message for an empty list.
Health app_health(const std::vector<Health>& resources);

}  // namespace ferry::reconciler
