// Policy gates: checks on rendered objects for the lessons operators learned the hard way —
// mutable image tags, Secrets in git, workloads without probes or requests, privileged or root
// containers, wildcard RBAC, unannounced public exposure, token automount. Each check has a stable
// kebab-case id (apis::kPolicyCheckIds), a level per app (off, warn, deny) and a per-object
// exemption that needs a written reason. docs/policy.md is the user page; README.md here the tour.
//
//   auto settings = policy::parse_policy_map(settings.policy_gates);       // org-wide default
//   auto app = policy::app_policy(application);                             // spec.policy + annotation
//   policy::Evaluation e = policy::evaluate(rendered, policy::merge(*settings, *app));
//   if (e.denied()) { /* refuse the sync; e.findings say why */ }
//
// evaluate() is one pass over the objects with no allocation beyond the findings it reports and
// no regex; checks at level off cost nothing. Everything here is a plain value or a pure
// function: thread-safe, inputs only read.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apis/types/application.h"
#include "apis/types/settings.h"
#include "apis/types/status.h"

namespace ferry::reconciler::policy {

using Json = nlohmann::json;

enum class Level { off, warn, deny };

const char* level_name(Level level);                          // "off", "warn", "deny"
std::optional<Level> parse_level(std::string_view name);      // the reverse; nullopt when unknown

// Per-object opt-out: `ferry.dev/policy-exempt: "<id>[,<id>…]"` with the reason in
// `ferry.dev/policy-exempt-reason`, or in one annotation as "<ids>: <reason>".
inline constexpr std::string_view kExemptAnnotation = "ferry.dev/policy-exempt";
inline constexpr std::string_view kExemptReasonAnnotation = "ferry.dev/policy-exempt-reason";
// A Service of type LoadBalancer/NodePort or an Ingress with this annotation (non-empty) states
// its exposure on purpose: public-exposure does not flag it.
inline constexpr std::string_view kExposureNoteAnnotation = "ferry.dev/exposure-note";

// What a check is, for `ferry lint`, SARIF rules and docs.
struct CheckInfo {
  std::string_view id;       // "image-tag-latest"
  Level default_level;       // the level when no policy names the check
  bool opt_in;               // only on when named (or `strict`): a policy's "default" leaves it off
  std::string_view summary;  // one line
  std::string_view hint;     // how to fix it
};

// Every check, in apis::kPolicyCheckIds order.
const std::vector<CheckInfo>& checks();
// nullptr when `id` is no check.
const CheckInfo* find_check(std::string_view id);

struct Finding {
  std::string check;  // a check id
  Level level = Level::warn;
  std::string group, kind, namespace_, name;  // the object
  std::string field;    // e.g. spec.template.spec.containers[0].image
  std::string message;  // names the object and the field
  std::string hint;

  // "Deployment web" or "Deployment shop/web" (namespace when the object has one).
  std::string object() const;
};

// Levels by check. A check's level is levels[id] when set; else `default_level` when set and the
// check is not opt-in; else the check's own default (CheckInfo::default_level).
struct PolicyConfig {
  std::optional<Level> default_level;   // the "default" key
  std::map<std::string, Level> levels;  // by check id

  Level level_of(std::string_view check) const;
  bool operator==(const PolicyConfig&) const = default;
};

// Presets, which name every check so that they win over a settings default in merge():
// "default" (each check's own default level), "strict" (every check deny, image-digest included)
// and "off" (every check off). Invalid for any other name.
Result<PolicyConfig> preset(std::string_view name);
// A policy map — spec.policy, Settings::policy_gates, a `--policy` file: "default" or a check id
// to "off", "warn" or "deny". Invalid naming the first unknown key or level.
Result<PolicyConfig> parse_policy_map(const std::map<std::string, std::string>& map);
// The same from JSON: an object whose values are strings (false reads as "off", as YAML's plain
// `off` does).
Result<PolicyConfig> parse_policy(const Json& object);
// The annotation form: comma-separated presets and id=level items, applied left to right:
// "strict", "image-tag-latest=deny,probes-missing=off", "strict,image-digest=warn". Spaces
// around items are ignored; an empty text is the empty config.
Result<PolicyConfig> parse_policy_text(std::string_view text);
// An Application's own policy: spec.policy, then the ferry.dev/policy annotation over it.
Result<PolicyConfig> app_policy(const apis::Application& app);
// The settings' default (Settings::policy_gates).
Result<PolicyConfig> settings_policy(const apis::Settings& settings);

// Key by key, `app` over `settings_default`: the app's "default" replaces the settings' one, each
// check level the app sets replaces the settings' level for that check, the rest is kept.
PolicyConfig merge(const PolicyConfig& settings_default, const PolicyConfig& app);

// A parsed exemption annotation (exposed for tests and the fuzzer).
struct Exemption {
  std::vector<std::string> checks;  // known check ids, in the order written, no duplicates
  std::string reason;               // trimmed; empty = not honoured
  std::vector<std::string> errors;  // unknown ids, a missing reason
};
// From an object's metadata.annotations; no exemption annotation gives an empty Exemption.
Exemption parse_exemption(const Json& annotations);

struct Evaluation {
  std::vector<Finding> findings;  // at warn or deny, in object order then check order
  std::vector<Finding> exempted;  // would have been findings; the object's exemption covers them
  std::vector<std::string> errors;  // bad exemption annotations ("Deployment web: ...")

  bool denied() const;  // a finding at deny
  size_t count(Level level) const;
};

// Runs every check whose level is not off over `objects` (rendered manifests: objects with
// apiVersion and kind; anything else is skipped).
Evaluation evaluate(const std::vector<Json>& objects, const PolicyConfig& config);

}  // namespace ferry::reconciler::policy
