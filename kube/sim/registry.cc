#include "kube/sim/registry.h"

#include <mutex>

namespace ferry::kube::sim {
namespace {

ResourceType make(std::string group, std::string version, std::string kind, std::string plural,
                  bool namespaced, std::vector<std::string> short_names = {}, bool status = false,
                  bool scale = false, bool generation = false) {
  ResourceType t;
  t.group = std::move(group);
  t.version = std::move(version);
  t.kind = std::move(kind);
  t.plural = std::move(plural);
  t.singular = t.kind;
  for (auto& c : t.singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  t.namespaced = namespaced;
  t.short_names = std::move(short_names);
  t.status_subresource = status;
  t.scale_subresource = scale;
  t.sets_generation = generation;
  return t;
}

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list", "patch", "update", "watch"};

}  // namespace

Registry::Registry() {
  // core/v1
  add(make("", "v1", "Namespace", "namespaces", false, {"ns"}, true));
  add(make("", "v1", "ConfigMap", "configmaps", true, {"cm"}));
  add(make("", "v1", "Secret", "secrets", true));
  add(make("", "v1", "Service", "services", true, {"svc"}, true));
  add(make("", "v1", "ServiceAccount", "serviceaccounts", true, {"sa"}));
  add(make("", "v1", "Pod", "pods", true, {"po"}, true));
  add(make("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, {"pvc"}, true));
  add(make("", "v1", "Endpoints", "endpoints", true, {"ep"}));
  add(make("", "v1", "Event", "events", true, {"ev"}));
  add(make("", "v1", "ResourceQuota", "resourcequotas", true, {"quota"}, true));
  add(make("", "v1", "LimitRange", "limitranges", true, {"limits"}));
  // apps/v1
  add(make("apps", "v1", "Deployment", "deployments", true, {"deploy"}, true, true, true));
  add(make("apps", "v1", "StatefulSet", "statefulsets", true, {"sts"}, true, true, true));
  add(make("apps", "v1", "DaemonSet", "daemonsets", true, {"ds"}, true, false, true));
  add(make("apps", "v1", "ReplicaSet", "replicasets", true, {"rs"}, true, true, true));
  // batch/v1
  add(make("batch", "v1", "Job", "jobs", true, {}, true, false, true));
  add(make("batch", "v1", "CronJob", "cronjobs", true, {"cj"}, true, false, true));
  // networking, rbac, policy, autoscaling, coordination, apiextensions
  add(make("networking.k8s.io", "v1", "Ingress", "ingresses", true, {"ing"}, true, false, true));
  add(make("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, {"netpol"}, false, false, true));
  add(make("rbac.authorization.k8s.io", "v1", "Role", "roles", true));
  add(make("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true));
  add(make("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false));
  add(make("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false));
  add(make("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, {"pdb"}, true, false, true));
  add(make("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, {"hpa"}, true));
  add(make("coordination.k8s.io", "v1", "Lease", "leases", true));
  add(make("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false,
           {"crd", "crds"}, true, false, true));
  add(make("apiregistration.k8s.io", "v1", "APIService", "apiservices", false, {}, true, false, false));
  add(make("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, {"sc"}));
  add(make("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, {"pc"}));
}

void Registry::add(ResourceType type) {
  auto ptr = std::make_shared<const ResourceType>(std::move(type));
  for (auto& existing : types_) {
    if (existing->group == ptr->group && existing->version == ptr->version && existing->plural == ptr->plural) {
      existing = ptr;
      return;
    }
  }
  types_.push_back(std::move(ptr));
}

std::shared_ptr<const ResourceType> Registry::by_resource(const std::string& group, const std::string& version,
                                                          const std::string& plural) const {
  std::shared_lock lock(mutex_);
  for (const auto& t : types_) {
    if (t->group == group && t->version == version && t->plural == plural) return t;
  }
  return nullptr;
}

std::shared_ptr<const ResourceType> Registry::by_kind(const std::string& group, const std::string& version,
                                                      const std::string& kind) const {
  std::shared_lock lock(mutex_);
  for (const auto& t : types_) {
    if (t->group == group && t->version == version && t->kind == kind) return t;
  }
  return nullptr;
}

std::shared_ptr<const ResourceType> Registry::by_group_kind(const std::string& group, const std::string& kind) const {
  std::shared_lock lock(mutex_);
  for (const auto& t : types_) {
    if (t->group == group && t->kind == kind) return t;
  }
  return nullptr;
}

void Registry::add_crd(const Json& crd) {
  const Json& spec = crd.value("spec", Json::object());
  const Json& names = spec.value("names", Json::object());
  std::unique_lock lock(mutex_);
  std::string group = spec.value("group", "");
  std::string plural = names.value("plural", "");
  std::erase_if(types_, [&](const auto& t) { return t->custom && t->group == group && t->plural == plural; });
  for (const auto& v : spec.value("versions", Json::array())) {
    if (!v.value("served", true)) continue;
    ResourceType t;
    t.group = group;
    t.version = v.value("name", "");
    t.kind = names.value("kind", "");
    t.plural = plural;
    t.singular = names.value("singular", "");
    if (t.singular.empty()) {
      t.singular = t.kind;
      for (auto& c : t.singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    t.namespaced = spec.value("scope", "Namespaced") == "Namespaced";
    for (const auto& s : names.value("shortNames", Json::array())) t.short_names.push_back(s.get<std::string>());
    for (const auto& c : names.value("categories", Json::array())) t.categories.push_back(c.get<std::string>());
    const Json& sub = v.value("subresources", Json::object());
    t.status_subresource = sub.contains("status");
    if (sub.contains("scale")) {
      t.scale_subresource = true;
      t.scale_spec_path = sub["scale"].value("specReplicasPath", ".spec.replicas");
      t.scale_status_path = sub["scale"].value("statusReplicasPath", ".status.replicas");
      t.scale_selector_path = sub["scale"].value("labelSelectorPath", "");
    }
    t.custom = true;
    t.sets_generation = true;
    t.printer_columns = v.value("additionalPrinterColumns", Json::array());
    types_.push_back(std::make_shared<const ResourceType>(std::move(t)));
  }
}

void Registry::remove_crd(const std::string& group, const std::string& plural) {
  std::unique_lock lock(mutex_);
  std::erase_if(types_, [&](const auto& t) { return t->custom && t->group == group && t->plural == plural; });
}

std::vector<std::string> Registry::versions_of(const std::string& group) const {
  std::vector<std::string> versions;
  for (const auto& t : types_) {
    if (t->group != group) continue;
    if (std::find(versions.begin(), versions.end(), t->version) == versions.end()) versions.push_back(t->version);
  }
  return versions;
}

Json Registry::api_versions(const std::string& server_address) const {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

Json Registry::api_group_list() const {
  std::shared_lock lock(mutex_);
  Json groups = Json::array();
  std::vector<std::string> seen;
  for (const auto& t : types_) {
    if (t->group.empty() || std::find(seen.begin(), seen.end(), t->group) != seen.end()) continue;
    seen.push_back(t->group);
    Json versions = Json::array();
    for (const auto& v : versions_of(t->group)) {
      versions.push_back({{"groupVersion", t->group + "/" + v}, {"version", v}});
    }
    groups.push_back({{"name", t->group}, {"versions", versions}, {"preferredVersion", versions[0]}});
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<Json> Registry::api_group(const std::string& group) const {
  std::shared_lock lock(mutex_);
  auto versions = versions_of(group);
  if (versions.empty() || group.empty()) return std::nullopt;
  Json list = Json::array();
  for (const auto& v : versions) list.push_back({{"groupVersion", group + "/" + v}, {"version", v}});
  return Json{{"kind", "APIGroup"}, {"apiVersion", "v1"}, {"name", group}, {"versions", list},
              {"preferredVersion", list[0]}};
}

std::optional<Json> Registry::resource_list(const std::string& group, const std::string& version) const {
  std::shared_lock lock(mutex_);
  Json resources = Json::array();
  for (const auto& t : types_) {
    if (t->group != group || t->version != version) continue;
    Json r = {{"name", t->plural},       {"singularName", t->singular}, {"namespaced", t->namespaced},
              {"kind", t->kind},         {"verbs", kAllVerbs},          {"storageVersionHash", ""}};
    if (!t->short_names.empty()) r["shortNames"] = t->short_names;
    if (!t->categories.empty()) r["categories"] = t->categories;
    r.erase("storageVersionHash");
    resources.push_back(r);
    if (t->status_subresource) {
      resources.push_back({{"name", t->plural + "/status"}, {"singularName", ""}, {"namespaced", t->namespaced},
                           {"kind", t->kind}, {"verbs", {"get", "patch", "update"}}});
    }
    if (t->scale_subresource) {
      resources.push_back({{"name", t->plural + "/scale"}, {"singularName", ""}, {"namespaced", t->namespaced},
                           {"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"},
                           {"verbs", {"get", "patch", "update"}}});
    }
  }
  if (resources.empty()) return std::nullopt;
  std::string gv = group.empty() ? version : group + "/" + version;
  return Json{{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", resources}};
}

Json Registry::openapi_v3_index() const {
  std::shared_lock lock(mutex_);
  Json paths = Json::object();
  for (const auto& t : types_) {
    std::string path = t->group.empty() ? "api/" + t->version : "apis/" + t->group + "/" + t->version;
    paths[path] = {{"serverRelativeURL", "/openapi/v3/" + path + "?hash=" + std::to_string(types_.size())}};
  }
  return {{"paths", paths}};
}

std::optional<Json> Registry::openapi_v3_document(const std::string& path) const {
  std::shared_lock lock(mutex_);
  Json paths = Json::object();
  for (const auto& t : types_) {
    std::string gv_path = t->group.empty() ? "api/" + t->version : "apis/" + t->group + "/" + t->version;
    if (gv_path != path) continue;
    Json parameters = Json::array();
    for (const char* name : {"dryRun", "fieldManager", "fieldValidation", "force"}) {
      parameters.push_back({{"name", name}, {"in", "query"}, {"schema", {{"type", "string"}}}});
    }
    Json gvk = {{"group", t->group}, {"version", t->version}, {"kind", t->kind}};
    std::string item = "/" + gv_path + (t->namespaced ? "/namespaces/{namespace}/" : "/") + t->plural + "/{name}";
    paths[item] = {{"patch", {{"x-kubernetes-group-version-kind", gvk}, {"x-kubernetes-action", "patch"},
                              {"parameters", parameters}, {"responses", {{"200", {{"description", "OK"}}}}}}}};
  }
  if (paths.empty()) return std::nullopt;
  return Json{{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes"}, {"version", "v1.33.0"}}},
              {"paths", paths},
              {"components", {{"schemas", Json::object()}}}};
}

}  // namespace ferry::kube::sim
