// The policy gates (docs/policy.md) as the controller applies them to each render: findings at
// warn become the PolicyGateWarning condition and the app syncs; findings at deny (or an app
// policy that does not parse) become PolicyGateError and every sync of that render is refused,
// automated or asked for, with the findings as the reason.
#pragma once

#include <string>
#include <vector>

#include "apis/types/application.h"
#include "apis/types/application_status.h"
#include "reconciler/policy/policy.h"

namespace ferry::controller {

inline constexpr std::string_view kConditionPolicyGateWarning = "PolicyGateWarning";
inline constexpr std::string_view kConditionPolicyGateError = "PolicyGateError";

struct GateVerdict {
  bool denied = false;
  std::string reason;  // why the sync is refused (when denied)
};

// Evaluates `rendered` under the settings' default policy merged with the app's own, and sets or
// clears the two conditions on `status`.
GateVerdict apply_policy_gates(const apis::Application& app, const std::vector<nlohmann::json>& rendered,
                               const reconciler::policy::PolicyConfig& settings_default,
                               apis::ApplicationStatus& status, const std::string& now);

}  // namespace ferry::controller
