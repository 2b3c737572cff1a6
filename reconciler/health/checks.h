// The per-kind health checks (one file each, health_<kind>.cc) and the small readers of object
// fields they share. Internal to reconciler/health: callers use health_of() in health.h.
// Every check is a pure function of the live object; missing fields read as Kubernetes' zero
// values, so a half-written status never throws or crashes.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "reconciler/health/health.h"

namespace ferry::reconciler::health {

// ---- field readers ------------------------------------------------------------------------

// The value at a path of object keys, or null when any step is missing.
const Json* at(const Json& object, std::initializer_list<const char*> path);
// Integer at path; `fallback` when absent or not a number.
int64_t int_at(const Json& object, std::initializer_list<const char*> path, int64_t fallback = 0);
// Whether the integer at path is present.
bool has_int(const Json& object, std::initializer_list<const char*> path);
std::string string_at(const Json& object, std::initializer_list<const char*> path);
bool bool_at(const Json& object, std::initializer_list<const char*> path);
// The status.conditions[] entry of `type`, or null.
const Json* condition(const Json& object, const char* type);
// Whether the condition exists with status "True".
bool condition_true(const Json& object, const char* type);

// ---- checks (health_<kind>.cc) ------------------------------------------------------------

Health deployment_health(const Json& live);
Health stateful_set_health(const Json& live);
Health daemon_set_health(const Json& live);
Health replica_set_health(const Json& live);
Health pod_health(const Json& live);
Health job_health(const Json& live);
Health cron_job_health(const Json& live);
Health service_health(const Json& live);
Health ingress_health(const Json& live);
Health persistent_volume_claim_health(const Json& live);
Health horizontal_pod_autoscaler_health(const Json& live);
Health api_service_health(const Json& live);
Health namespace_health(const Json& live);
Health application_health(const Json& live);

}  // namespace ferry::reconciler::health
