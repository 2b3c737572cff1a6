// Internal to reconciler/policy: the check enum, the Reporter the checks write findings into, and
// one function per group of checks (checks_*.cc). evaluate.cc walks the objects and calls them.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "reconciler/policy/policy.h"

namespace ferry::reconciler::policy::detail {

// In apis::kPolicyCheckIds order (checks.cc asserts it).
enum class Check : uint8_t {
  kImageTagMissing,
  kImageTagLatest,
  kImageDigest,
  kSecretInGit,
  kCredentialLiteral,
  kProbesMissing,
  kResourcesMissing,
  kLimitBelowRequest,
  kPrivileged,
  kHostPath,
  kHostNetwork,
  kRunAsRoot,
  kClusterRoleWildcard,
  kPublicExposure,
  kSaTokenAutomount,
  kCount,
};
inline constexpr size_t kCheckCount = static_cast<size_t>(Check::kCount);
using Levels = std::array<Level, kCheckCount>;

Levels resolve_levels(const PolicyConfig& config);

// Collects the findings of one object. A check asks on() before building a message, so a check
// at level off costs one array read.
class Reporter {
 public:
  Reporter(const Levels& levels, std::vector<Finding>& out) : levels_(levels), out_(out) {}

  // Starts an object; the strings are copied into its findings only when there are some.
  void begin(std::string_view group, std::string_view kind, std::string_view ns, std::string_view name) {
    group_ = group;
    kind_ = kind;
    ns_ = ns;
    name_ = name;
  }
  bool on(Check check) const { return levels_[static_cast<size_t>(check)] != Level::off; }
  bool any_on(std::initializer_list<Check> checks) const {
    for (Check c : checks) {
      if (on(c)) return true;
    }
    return false;
  }
  std::string object() const;  // as Finding::object()
  // One finding: "<Kind> <ns>/<name>: <field>: <text>".
  void report(Check check, std::string field, std::string_view text);

 private:
  const Levels& levels_;
  std::vector<Finding>& out_;
  std::string_view group_, kind_, ns_, name_;
};

// Small JSON readers that never throw.
const Json* member(const Json& object, std::string_view key);
std::string_view string_member(const Json& object, std::string_view key);
bool is_true(const Json& object, std::string_view key);
std::string in_quotes(std::string_view text);  // "\"text\""
std::string_view trim(std::string_view text);  // without leading and trailing white space
// "a, b,,c" -> {"a", "b", "c"}: split on `sep`, items trimmed, empty ones dropped.
std::vector<std::string_view> split_list(std::string_view text, char sep = ',');

// A container of a pod spec and where it sits.
struct ContainerRef {
  const Json& container;
  std::string path;   // spec.template.spec.containers[0]
  std::string_view name;
  bool init = false;  // an initContainer
};

// A pod spec (a workload's template, a CronJob's job template's, a Pod's own).
struct PodRef {
  const Json& spec;
  std::string path;           // spec.template.spec
  bool long_running = false;  // Deployment, StatefulSet, DaemonSet, ReplicaSet, restarting Pod
};

// checks_images.cc: image-tag-missing, image-tag-latest, image-digest.
void check_image(Reporter& r, const ContainerRef& c);
// checks_secrets.cc: secret-in-git (Secret), credential-literal (ConfigMap data, container env).
void check_secret(Reporter& r, const Json& object);
void check_config_map(Reporter& r, const Json& object);
void check_env(Reporter& r, const ContainerRef& c);
// True when a key or variable name reads like a credential (password, token, secret, apikey, …).
bool looks_like_credential_name(std::string_view name);
// checks_workloads.cc: probes-missing, resources-missing, limit-below-request.
void check_probes(Reporter& r, const PodRef& pod, const ContainerRef& c);
void check_resources(Reporter& r, const ContainerRef& c);
// checks_security.cc: privileged, host-path, host-network, run-as-root, sa-token-automount on
// pods; clusterrole-wildcard on (Cluster)Roles; public-exposure on Services and Ingresses.
void check_pod_security(Reporter& r, const PodRef& pod);
void check_container_security(Reporter& r, const PodRef& pod, const ContainerRef& c);
void check_rbac(Reporter& r, const Json& object);
void check_exposure(Reporter& r, const Json& object, std::string_view kind);

}  // namespace ferry::reconciler::policy::detail
