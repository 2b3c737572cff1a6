#include "kube/machinery/schema.h"

#include <initializer_list>
#include <span>

namespace ferry::kube {
namespace {

using Path = std::span<const std::string>;

ListType atomic() { return {}; }
ListType set_list() { return {ListType::kSet, {}}; }
ListType map_list(std::initializer_list<const char*> keys) {
  ListType type{ListType::kMap, {}};
  for (const char* key : keys) type.keys.emplace_back(key);
  return type;
}

bool is(Path path, std::initializer_list<std::string_view> names) {
  if (path.size() != names.size()) return false;
  size_t i = 0;
  for (std::string_view name : names) {
    if (path[i++] != name) return false;
  }
  return true;
}

// True when `path` starts with `prefix`; `rest` is what follows it.
bool under(Path path, std::initializer_list<std::string_view> prefix, Path& rest) {
  if (path.size() < prefix.size()) return false;
  size_t i = 0;
  for (std::string_view name : prefix) {
    if (path[i++] != name) return false;
  }
  rest = path.subspan(prefix.size());
  return true;
}

// ObjectMeta, for the object's own metadata and for template metadata alike.
ListType object_meta_list(Path rel) {
  if (is(rel, {"finalizers"})) return set_list();
  if (is(rel, {"ownerReferences"})) return map_list({"uid"});
  return atomic();  // managedFields included: it is replaced whole
}

// Container and EphemeralContainer share these field names.
ListType container_list(Path rel) {
  if (is(rel, {"ports"})) return map_list({"containerPort", "protocol"});
  if (is(rel, {"env"})) return map_list({"name"});
  if (is(rel, {"volumeMounts"})) return map_list({"mountPath"});
  if (is(rel, {"volumeDevices"})) return map_list({"devicePath"});
  if (is(rel, {"resources", "claims"})) return map_list({"name"});
  return atomic();  // args, command, envFrom, resizePolicy, capabilities.add/drop, ...
}

ListType pod_spec_list(Path rel) {
  if (rel.empty()) return atomic();
  const std::string& field = rel[0];
  const bool container = field == "containers" || field == "initContainers" || field == "ephemeralContainers";
  if (rel.size() == 1) {
    if (container || field == "volumes" || field == "imagePullSecrets" || field == "resourceClaims" ||
        field == "schedulingGates") {
      return map_list({"name"});
    }
    if (field == "hostAliases") return map_list({"ip"});
    if (field == "topologySpreadConstraints") return map_list({"topologyKey", "whenUnsatisfiable"});
    return atomic();  // tolerations, readinessGates, ...
  }
  if (container) return container_list(rel.subspan(1));
  return atomic();
}

ListType pod_template_list(Path rel) {
  Path rest;
  if (under(rel, {"metadata"}, rest)) return object_meta_list(rest);
  if (under(rel, {"spec"}, rest)) return pod_spec_list(rest);
  return atomic();
}

bool has_pod_template(std::string_view group, std::string_view kind) {
  if (group == "apps") {
    return kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" || kind == "DaemonSet";
  }
  if (group == "batch") return kind == "Job";
  if (group == "") return kind == "ReplicationController";
  return false;
}

// Built-in kinds whose status.conditions is a map list keyed by `type`.
bool has_typed_conditions(std::string_view group, std::string_view kind) {
  if (has_pod_template(group, kind)) return true;
  if (group == "") {
    return kind == "Pod" || kind == "Node" || kind == "Namespace" || kind == "PersistentVolumeClaim" ||
           kind == "Service";
  }
  if (group == "autoscaling") return kind == "HorizontalPodAutoscaler";
  if (group == "apiregistration.k8s.io") return kind == "APIService";
  return false;
}

}  // namespace

ListType list_type(std::string_view group, std::string_view kind, const std::vector<std::string>& full_path) {
  const Path path(full_path);
  Path rest;
  // Every kind, custom resources included, has ObjectMeta as its metadata.
  if (under(path, {"metadata"}, rest)) return object_meta_list(rest);
  if (is(path, {"status", "conditions"})) return has_typed_conditions(group, kind) ? map_list({"type"}) : atomic();

  if (has_pod_template(group, kind)) {
    if (under(path, {"spec", "template"}, rest)) return pod_template_list(rest);
    return atomic();  // StatefulSet volumeClaimTemplates included
  }
  if (group == "batch" && kind == "CronJob") {
    if (under(path, {"spec", "jobTemplate", "metadata"}, rest)) return object_meta_list(rest);
    if (under(path, {"spec", "jobTemplate", "spec", "template"}, rest)) return pod_template_list(rest);
    return atomic();
  }
  if (group == "" && kind == "Pod") {
    if (under(path, {"spec"}, rest)) return pod_spec_list(rest);
    return atomic();
  }
  if (group == "" && kind == "PodTemplate") {
    if (under(path, {"template"}, rest)) return pod_template_list(rest);
    return atomic();
  }
  if (group == "" && kind == "Service") {
    if (is(path, {"spec", "ports"})) return map_list({"port", "protocol"});
    return atomic();
  }
  // RBAC rules, Ingress rules, subjects, custom resources, ...: replaced whole.
  return atomic();
}

std::string_view list_key_default(std::string_view key) {
  // Ports of containers, Services and EndpointSlices default `protocol` before keys are compared.
  if (key == "protocol") return "TCP";
  return {};
}

}  // namespace ferry::kube
