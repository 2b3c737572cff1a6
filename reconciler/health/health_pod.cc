// Pod: by phase. Pending is Progressing, Succeeded Healthy, Failed Degraded (with the pod's or a
// container's message). A Running pod that restarts forever (restartPolicy Always) is Healthy
// once Ready and Degraded when a container already terminated; pods with a finite life
// (OnFailure, Never: typically hook pods) stay Progressing while they run.
//
// A container waiting with a reason like CrashLoopBackOff, ImagePullBackOff, ErrImagePull or
// CreateContainerConfigError makes a restartPolicy-Always pod Degraded in any phase. As in Argo CD
// this is not applied to finite pods: a hook pod waiting for its image must not fail the sync
// early and then run after it has finished.
#include <string>

#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {
namespace {

bool stuck_reason(const std::string& reason) {
  return reason.starts_with("Err") || reason.ends_with("Error") || reason.ends_with("BackOff");
}

// The reason a terminated container gives, when it gives one.
std::string failure_message(const Json& status) {
  const Json* terminated = at(status, {"state", "terminated"});
  if (terminated == nullptr || !terminated->is_object()) return {};
  std::string message = string_at(*terminated, {"message"});
  if (!message.empty()) return message;
  std::string reason = string_at(*terminated, {"reason"});
  if (reason == "OOMKilled") return reason;
  int64_t exit_code = int_at(*terminated, {"exitCode"});
  if (exit_code != 0) {
    return "container \"" + string_at(status, {"name"}) + "\" failed with exit code " + std::to_string(exit_code);
  }
  return {};
}

template <class Fn>
void for_each_container_status(const Json& live, Fn&& fn) {
  for (const char* key : {"initContainerStatuses", "containerStatuses"}) {
    const Json* statuses = at(live, {"status", key});
    if (statuses == nullptr || !statuses->is_array()) continue;
    for (const Json& s : *statuses) {
      if (s.is_object()) fn(s);
    }
  }
}

}  // namespace

Health pod_health(const Json& live) {
  std::string restart_policy = string_at(live, {"spec", "restartPolicy"});
  if (restart_policy.empty()) restart_policy = "Always";
  const std::string message = string_at(live, {"status", "message"});

  if (restart_policy == "Always") {
    std::string stuck;
    for_each_container_status(live, [&stuck](const Json& s) {
      std::string reason = string_at(s, {"state", "waiting", "reason"});
      if (!stuck_reason(reason)) return;
      std::string text = string_at(s, {"state", "waiting", "message"});
      if (text.empty()) text = "container \"" + string_at(s, {"name"}) + "\" is waiting: " + reason;
      stuck += (stuck.empty() ? "" : ", ") + text;
    });
    if (!stuck.empty()) return {HealthStatus::kDegraded, stuck};
  }

  const std::string phase = string_at(live, {"status", "phase"});
  if (phase == "Pending") return {HealthStatus::kProgressing, message};
  if (phase == "Succeeded") return {HealthStatus::kHealthy, message};
  if (phase == "Failed") {
    if (!message.empty()) return {HealthStatus::kDegraded, message};
    std::string failure;
    for_each_container_status(live, [&failure](const Json& s) {
      if (failure.empty()) failure = failure_message(s);
    });
    return {HealthStatus::kDegraded, failure};
  }
  if (phase == "Running") {
    if (restart_policy != "Always") return {HealthStatus::kProgressing, message};
    if (condition_true(live, "Ready")) return {HealthStatus::kHealthy, message};
    bool restarted = false;
    const Json* statuses = at(live, {"status", "containerStatuses"});
    if (statuses != nullptr && statuses->is_array()) {
      for (const Json& s : *statuses) {
        const Json* last = at(s, {"lastState", "terminated"});
        if (last != nullptr && last->is_object()) restarted = true;
      }
    }
    return {restarted ? HealthStatus::kDegraded : HealthStatus::kProgressing, message};
  }
  return {HealthStatus::kUnknown, message};
}

}  // namespace ferry::reconciler::health
