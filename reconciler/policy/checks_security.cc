// privileged, host-path, host-network, run-as-root, sa-token-automount (pods and containers),
// clusterrole-wildcard (Roles and ClusterRoles), public-exposure (Services and Ingresses).
#include "reconciler/policy/checks.h"

namespace ferry::reconciler::policy::detail {
namespace {

const Json* security_context(const Json& holder) { return member(holder, "securityContext"); }

// A securityContext field, the container's over the pod's; `path` says which one set it.
const Json* effective(const PodRef& pod, const ContainerRef& c, std::string_view key, std::string& path) {
  if (const Json* sc = security_context(c.container); sc && member(*sc, key) && !member(*sc, key)->is_null()) {
    path = c.path + ".securityContext." + std::string(key);
    return member(*sc, key);
  }
  if (const Json* sc = security_context(pod.spec); sc && member(*sc, key) && !member(*sc, key)->is_null()) {
    path = pod.path + ".securityContext." + std::string(key);
    return member(*sc, key);
  }
  return nullptr;
}

bool has_wildcard(const Json* list) {
  if (!list || !list->is_array()) return false;
  for (const Json& item : *list) {
    if (item.is_string() && item.get_ref<const std::string&>() == "*") return true;
  }
  return false;
}

}  // namespace

void check_pod_security(Reporter& r, const PodRef& pod) {
  if (r.on(Check::kHostNetwork)) {
    for (const char* key : {"hostNetwork", "hostPID", "hostIPC"}) {
      if (is_true(pod.spec, key)) {
        r.report(Check::kHostNetwork, pod.path + "." + key, std::string(key) + " shares the node's namespace with the pod");
      }
    }
  }
  if (r.on(Check::kHostPath)) {
    if (const Json* volumes = member(pod.spec, "volumes"); volumes && volumes->is_array()) {
      for (size_t i = 0; i < volumes->size(); ++i) {
        const Json* host_path = member((*volumes)[i], "hostPath");
        if (!host_path) continue;
        std::string_view where = string_member(*host_path, "path");
        r.report(Check::kHostPath, pod.path + ".volumes[" + std::to_string(i) + "].hostPath",
                 "volume " + in_quotes(string_member((*volumes)[i], "name")) + " mounts the node's " + in_quotes(where));
      }
    }
  }
  if (r.on(Check::kSaTokenAutomount)) {
    // A pod on its own ServiceAccount says it needs an identity; one on `default` rarely needs
    // the API, so its token should not be mounted.
    std::string_view account = string_member(pod.spec, "serviceAccountName");
    if (account.empty()) account = string_member(pod.spec, "serviceAccount");
    const Json* automount = member(pod.spec, "automountServiceAccountToken");
    const bool off = automount && automount->is_boolean() && !automount->get<bool>();
    if ((account.empty() || account == "default") && !off) {
      r.report(Check::kSaTokenAutomount, pod.path + ".automountServiceAccountToken",
               "the pod runs as the default ServiceAccount with its API token mounted");
    }
  }
}

void check_container_security(Reporter& r, const PodRef& pod, const ContainerRef& c) {
  if (r.on(Check::kPrivileged)) {
    if (const Json* sc = security_context(c.container); sc && is_true(*sc, "privileged")) {
      r.report(Check::kPrivileged, c.path + ".securityContext.privileged",
               "container " + in_quotes(c.name) + " is privileged: it holds every capability of the node");
    }
  }
  if (r.on(Check::kRunAsRoot)) {
    std::string user_path, non_root_path;
    const Json* user = effective(pod, c, "runAsUser", user_path);
    const Json* non_root = effective(pod, c, "runAsNonRoot", non_root_path);
    if (user && user->is_number_integer() && user->get<int64_t>() == 0) {
      r.report(Check::kRunAsRoot, user_path, "container " + in_quotes(c.name) + " runs as user 0 (root)");
    } else if (!user && !(non_root && non_root->is_boolean() && non_root->get<bool>())) {
      r.report(Check::kRunAsRoot, non_root_path.empty() ? c.path + ".securityContext.runAsNonRoot" : non_root_path,
               "container " + in_quotes(c.name) + " may run as root: neither runAsNonRoot: true nor a runAsUser is set");
    }
  }
}

void check_rbac(Reporter& r, const Json& object) {
  if (!r.on(Check::kClusterRoleWildcard)) return;
  const Json* rules = member(object, "rules");
  if (!rules || !rules->is_array()) return;
  for (size_t i = 0; i < rules->size(); ++i) {
    for (const char* key : {"verbs", "resources"}) {
      if (!has_wildcard(member((*rules)[i], key))) continue;
      std::string field = "rules[" + std::to_string(i) + "]." + key;
      r.report(Check::kClusterRoleWildcard, field, std::string("grants \"*\" ") + key);
    }
  }
}

void check_exposure(Reporter& r, const Json& object, std::string_view kind) {
  if (!r.on(Check::kPublicExposure)) return;
  const Json* meta = member(object, "metadata");
  const Json* annotations = meta ? member(*meta, "annotations") : nullptr;
  if (annotations && !trim(string_member(*annotations, kExposureNoteAnnotation)).empty()) return;
  const std::string note = "; annotate " + std::string(kExposureNoteAnnotation) + " to state it is meant";
  if (kind == "Ingress") {
    r.report(Check::kPublicExposure, "spec", "an Ingress exposes the service outside the cluster" + note);
    return;
  }
  const Json* spec = member(object, "spec");
  std::string_view type = spec ? string_member(*spec, "type") : std::string_view();
  if (type == "LoadBalancer" || type == "NodePort") {
    r.report(Check::kPublicExposure, "spec.type",
             "a Service of type " + std::string(type) + " is reachable from outside the cluster" + note);
  }
}

}  // namespace ferry::reconciler::policy::detail
