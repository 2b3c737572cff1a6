// The check catalogue, levels, presets and the policy forms (map, JSON, annotation text), merge.
#include <algorithm>
#include <iterator>

#include "reconciler/policy/checks.h"

namespace ferry::reconciler::policy {
namespace {

using detail::Check;
using detail::kCheckCount;
using detail::trim;

static_assert(std::size(apis::kPolicyCheckIds) == kCheckCount, "one Check per apis::kPolicyCheckIds entry");

struct CheckText {
  Check check;
  Level default_level;
  bool opt_in;
  std::string_view summary;
  std::string_view hint;
};

// One line per check, in apis::kPolicyCheckIds order.
constexpr CheckText kTexts[] = {
    {Check::kImageTagMissing, Level::warn, false, "Container image without a tag (it means :latest)",
     "Pin a version tag (nginx:1.27.2) or a digest (nginx@sha256:...)."},
    {Check::kImageTagLatest, Level::warn, false, "Container image with the mutable tag :latest",
     "Pin a version tag or a digest; with :latest a rollout or a node restart can run different code."},
    {Check::kImageDigest, Level::off, true, "Container image not pinned by digest",
     "Append the digest the registry reports: repo:1.2.3@sha256:<64 hex>."},
    {Check::kSecretInGit, Level::warn, false, "Secret with data or stringData committed to git",
     "Keep the value out of git: an ExternalSecret (external-secrets), a SealedSecret or SOPS."},
    {Check::kCredentialLiteral, Level::warn, false, "Credential-like value written literally in a ConfigMap or env",
     "Move the value into a Secret and reference it (env valueFrom.secretKeyRef or envFrom.secretRef)."},
    {Check::kProbesMissing, Level::warn, false, "Long-running container without readiness or liveness probe",
     "Add readinessProbe and livenessProbe (httpGet, tcpSocket, grpc or exec) so traffic and restarts follow health."},
    {Check::kResourcesMissing, Level::warn, false, "Container without CPU or memory requests",
     "Set resources.requests.cpu and resources.requests.memory (a limit alone counts as the request)."},
    {Check::kLimitBelowRequest, Level::warn, false, "Resource limit below its request",
     "Raise the limit to at least the request; the API server refuses the object otherwise."},
    {Check::kPrivileged, Level::warn, false, "Privileged container",
     "Drop securityContext.privileged; add only the capabilities the process needs."},
    {Check::kHostPath, Level::warn, false, "hostPath volume",
     "Use a PersistentVolumeClaim, emptyDir, ConfigMap or CSI volume instead of the node's filesystem."},
    {Check::kHostNetwork, Level::warn, false, "Pod sharing the node's network, PID or IPC namespace",
     "Remove hostNetwork/hostPID/hostIPC; expose ports through a Service."},
    {Check::kRunAsRoot, Level::warn, false, "Container that may run as root",
     "Set securityContext.runAsNonRoot: true (and a non-zero runAsUser) on the pod or the container."},
    {Check::kClusterRoleWildcard, Level::warn, false, "Role or ClusterRole granting \"*\" verbs or resources",
     "List the verbs and resources the subject needs."},
    {Check::kPublicExposure, Level::warn, false, "Service of type LoadBalancer/NodePort or an Ingress without a note",
     "Annotate ferry.dev/exposure-note: <who may reach it and why>, or use a ClusterIP Service."},
    {Check::kSaTokenAutomount, Level::warn, false, "Pod on the default ServiceAccount with its token mounted",
     "Set automountServiceAccountToken: false, or run the pod under its own ServiceAccount."},
};
static_assert(std::size(kTexts) == kCheckCount, "one text per check");

constexpr bool texts_in_check_order() {
  for (size_t i = 0; i < kCheckCount; ++i) {
    if (static_cast<size_t>(kTexts[i].check) != i) return false;
  }
  return true;
}
static_assert(texts_in_check_order(), "kTexts follows the Check enum");

std::vector<CheckInfo> build_catalogue() {
  std::vector<CheckInfo> out;
  for (size_t i = 0; i < kCheckCount; ++i) {
    const CheckText& t = kTexts[i];
    out.push_back({apis::kPolicyCheckIds[static_cast<size_t>(t.check)], t.default_level, t.opt_in, t.summary, t.hint});
  }
  return out;
}

std::string known_checks() {
  std::string out;
  for (std::string_view id : apis::kPolicyCheckIds) {
    if (!out.empty()) out += ", ";
    out += id;
  }
  return out;
}

// Sets key ("default" or a check id) to level name; Invalid naming what is wrong.
Status set_entry(PolicyConfig& config, std::string_view key, std::string_view level_text) {
  auto level = parse_level(level_text);
  if (!level) return Status::Invalid("unknown level \"" + std::string(level_text) + "\" for " + std::string(key) +
                                     " (want off, warn or deny)");
  if (key == apis::kPolicyDefaultKey) {
    config.default_level = *level;
    return Status::Ok();
  }
  if (!find_check(key)) {
    return Status::Invalid("unknown check \"" + std::string(key) + "\" (want default or one of: " + known_checks() +
                           ")");
  }
  config.levels[std::string(key)] = *level;
  return Status::Ok();
}

PolicyConfig every_check(Level level) {
  PolicyConfig out;
  out.default_level = level;
  for (std::string_view id : apis::kPolicyCheckIds) out.levels[std::string(id)] = level;
  return out;
}

Status prefixed(const Status& s, const std::string& prefix) {
  return s.ok() ? s : Status(s.reason(), prefix + s.message());
}

}  // namespace

const char* level_name(Level level) {
  switch (level) {
    case Level::off: return "off";
    case Level::warn: return "warn";
    case Level::deny: return "deny";
  }
  return "off";
}

std::optional<Level> parse_level(std::string_view name) {
  if (name == "off") return Level::off;
  if (name == "warn") return Level::warn;
  if (name == "deny") return Level::deny;
  return std::nullopt;
}

const std::vector<CheckInfo>& checks() {
  static const std::vector<CheckInfo> catalogue = build_catalogue();
  return catalogue;
}

const CheckInfo* find_check(std::string_view id) {
  for (const CheckInfo& c : checks()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::string Finding::object() const { return kind + " " + (namespace_.empty() ? name : namespace_ + "/" + name); }

Level PolicyConfig::level_of(std::string_view check) const {
  if (auto it = levels.find(std::string(check)); it != levels.end()) return it->second;
  const CheckInfo* info = find_check(check);
  if (!info) return Level::off;
  if (default_level && !info->opt_in) return *default_level;
  return info->default_level;
}

Result<PolicyConfig> preset(std::string_view name) {
  if (name == "strict") return every_check(Level::deny);
  if (name == "off") return every_check(Level::off);
  if (name == "default") {
    PolicyConfig out;
    for (const CheckInfo& c : checks()) out.levels[std::string(c.id)] = c.default_level;
    return out;
  }
  return Status::Invalid("unknown policy preset \"" + std::string(name) + "\" (want strict, default or off)");
}

Result<PolicyConfig> parse_policy_map(const std::map<std::string, std::string>& map) {
  PolicyConfig out;
  for (const auto& [key, level] : map) {
    if (Status s = set_entry(out, key, level); !s.ok()) return s;
  }
  return out;
}

Result<PolicyConfig> parse_policy(const Json& object) {
  if (object.is_null()) return PolicyConfig{};
  if (!object.is_object()) {
    return Status::Invalid(std::string("a policy must be a map of check ids to levels, not ") + object.type_name());
  }
  PolicyConfig out;
  for (const auto& [key, level] : object.items()) {
    Status s;
    if (level.is_string()) {
      s = set_entry(out, key, level.get_ref<const std::string&>());
    } else if (level.is_boolean() && !level.get<bool>()) {
      s = set_entry(out, key, "off");
    } else if (!level.is_null()) {
      s = Status::Invalid(key + ": level must be a string (off, warn or deny), not " + level.type_name());
    }
    if (!s.ok()) return s;
  }
  return out;
}

Result<PolicyConfig> parse_policy_text(std::string_view text) {
  PolicyConfig out;
  for (std::string_view item : detail::split_list(text)) {
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      auto p = preset(item);
      if (!p.ok()) return p.status();
      out = merge(out, *p);
      continue;
    }
    if (Status s = set_entry(out, trim(item.substr(0, eq)), trim(item.substr(eq + 1))); !s.ok()) return s;
  }
  return out;
}

Result<PolicyConfig> app_policy(const apis::Application& app) {
  auto spec = parse_policy_map(app.spec.policy);
  if (!spec.ok()) return prefixed(spec.status(), "spec.policy: ");
  auto it = app.metadata.annotations.find(std::string(apis::kPolicyAnnotation));
  if (it == app.metadata.annotations.end()) return spec;
  auto annotation = parse_policy_text(it->second);
  if (!annotation.ok()) return prefixed(annotation.status(), "annotation " + std::string(apis::kPolicyAnnotation) + ": ");
  return merge(*spec, *annotation);
}

Result<PolicyConfig> settings_policy(const apis::Settings& settings) {
  auto out = parse_policy_map(settings.policy_gates);
  if (!out.ok()) return prefixed(out.status(), "settings policy.gates: ");
  return out;
}

PolicyConfig merge(const PolicyConfig& settings_default, const PolicyConfig& app) {
  PolicyConfig out = settings_default;
  if (app.default_level) out.default_level = app.default_level;
  for (const auto& [id, level] : app.levels) out.levels[id] = level;
  return out;
}

namespace detail {

Levels resolve_levels(const PolicyConfig& config) {
  Levels out{};
  for (size_t i = 0; i < kCheckCount; ++i) out[i] = config.level_of(apis::kPolicyCheckIds[i]);
  return out;
}

}  // namespace detail
}  // namespace ferry::reconciler::policy
