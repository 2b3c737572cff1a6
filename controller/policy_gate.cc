#include "controller/policy_gate.h"

namespace ferry::controller {
namespace {

namespace policy = reconciler::policy;

// "2 findings: Deployment web: ... [image-tag-latest]; ..." — the first ten, then a count.
std::string summary(const std::vector<const policy::Finding*>& findings, const std::vector<std::string>& errors) {
  constexpr size_t kShown = 10;
  std::string out = std::to_string(findings.size()) + (findings.size() == 1 ? " finding" : " findings");
  size_t shown = 0;
  for (const auto* f : findings) {
    if (shown++ == kShown) break;
    out += (shown == 1 ? ": " : "; ") + f->message + " [" + f->check + "]";
  }
  if (findings.size() > kShown) out += "; and " + std::to_string(findings.size() - kShown) + " more";
  for (const auto& e : errors) out += "; exemption ignored: " + e;
  return out;
}

}  // namespace

GateVerdict apply_policy_gates(const apis::Application& app, const std::vector<nlohmann::json>& rendered,
                               const policy::PolicyConfig& settings_default, apis::ApplicationStatus& status,
                               const std::string& now) {
  GateVerdict verdict;
  auto own = policy::app_policy(app);
  if (!own.ok()) {
    // A policy that does not parse must not weaken the gates: refuse until it is fixed.
    verdict.denied = true;
    verdict.reason = "the app's policy is invalid: " + own.status().message();
    apis::set_condition(status.conditions, {std::string(kConditionPolicyGateError), verdict.reason, now});
    apis::remove_condition(status.conditions, kConditionPolicyGateWarning);
    return verdict;
  }
  policy::Evaluation evaluation = policy::evaluate(rendered, policy::merge(settings_default, *own));
  std::vector<const policy::Finding*> denied, warned;
  for (const auto& f : evaluation.findings) (f.level == policy::Level::deny ? denied : warned).push_back(&f);
  if (!denied.empty()) {
    verdict.denied = true;
    verdict.reason = "policy gates deny the sync: " + summary(denied, {});
    apis::set_condition(status.conditions, {std::string(kConditionPolicyGateError), verdict.reason, now});
  } else {
    apis::remove_condition(status.conditions, kConditionPolicyGateError);
  }
  if (!warned.empty() || !evaluation.errors.empty()) {
    apis::set_condition(status.conditions,
                        {std::string(kConditionPolicyGateWarning), summary(warned, evaluation.errors), now});
  } else {
    apis::remove_condition(status.conditions, kConditionPolicyGateWarning);
  }
  return verdict;
}

}  // namespace ferry::controller
