// evaluate(): one pass over the rendered objects. Each object is routed by kind to the checks
// that concern it; its findings are then split by the object's exemption.
#include <algorithm>
#include <cctype>

#include "reconciler/policy/checks.h"

namespace ferry::reconciler::policy {
namespace detail {

const Json* member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string_view string_member(const Json& object, std::string_view key) {
  const Json* v = member(object, key);
  return v && v->is_string() ? std::string_view(v->get_ref<const std::string&>()) : std::string_view();
}

bool is_true(const Json& object, std::string_view key) {
  const Json* v = member(object, key);
  return v && v->is_boolean() && v->get<bool>();
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_list(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t at = text.find(sep);
    std::string_view item = trim(text.substr(0, at));
    text = at == std::string_view::npos ? std::string_view() : text.substr(at + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string Reporter::object() const {
  Finding f;
  f.kind = kind_;
  f.namespace_ = ns_;
  f.name = name_;
  return f.object();
}

void Reporter::report(Check check, std::string field, std::string_view text) {
  Finding f;
  f.check = std::string(apis::kPolicyCheckIds[static_cast<size_t>(check)]);
  f.level = levels_[static_cast<size_t>(check)];
  f.group = group_;
  f.kind = kind_;
  f.namespace_ = ns_;
  f.name = name_;
  f.message = f.object() + ": " + field + ": " + std::string(text);
  f.field = std::move(field);
  f.hint = std::string(checks()[static_cast<size_t>(check)].hint);
  out_.push_back(std::move(f));
}

}  // namespace detail

namespace {

using namespace detail;

// Where a kind keeps its pod spec.
enum class PodAt { kNone, kSpec, kTemplate, kJobTemplate };

struct Route {
  PodAt pod = PodAt::kNone;
  bool long_running = false;
};

Route route(std::string_view group, std::string_view kind) {
  const bool apps = group == "apps" || group == "extensions";
  if (group.empty() && kind == "Pod") return {PodAt::kSpec, true};
  if (apps && (kind == "Deployment" || kind == "DaemonSet" || kind == "ReplicaSet")) return {PodAt::kTemplate, true};
  if (group == "apps" && kind == "StatefulSet") return {PodAt::kTemplate, true};
  if (group.empty() && kind == "ReplicationController") return {PodAt::kTemplate, true};
  if (group == "batch" && kind == "Job") return {PodAt::kTemplate, false};
  if (group == "batch" && kind == "CronJob") return {PodAt::kJobTemplate, false};
  return {};
}

void check_pod(Reporter& r, const PodRef& pod) {
  check_pod_security(r, pod);
  for (const char* list : {"initContainers", "containers"}) {
    const Json* containers = member(pod.spec, list);
    if (!containers || !containers->is_array()) continue;
    const bool init = list[0] == 'i';
    for (size_t i = 0; i < containers->size(); ++i) {
      const Json& c = (*containers)[i];
      if (!c.is_object()) continue;
      ContainerRef ref{c, pod.path + "." + list + "[" + std::to_string(i) + "]", string_member(c, "name"), init};
      check_image(r, ref);
      check_env(r, ref);
      if (!init) check_probes(r, pod, ref);
      check_resources(r, ref);
      check_container_security(r, pod, ref);
    }
  }
}

// The pod spec of a workload, following spec[.jobTemplate.spec].template.spec.
void check_workload(Reporter& r, const Json& object, const Route& route) {
  const Json* spec = member(object, "spec");
  std::string path = "spec";
  if (spec && route.pod == PodAt::kJobTemplate) {
    const Json* job = member(*spec, "jobTemplate");
    spec = job ? member(*job, "spec") : nullptr;
    path = "spec.jobTemplate.spec";
  }
  if (spec && route.pod != PodAt::kSpec) {
    const Json* tmpl = member(*spec, "template");
    spec = tmpl ? member(*tmpl, "spec") : nullptr;
    path += ".template.spec";
  }
  if (!spec || !spec->is_object()) return;
  bool long_running = route.long_running;
  if (route.pod == PodAt::kSpec) {
    std::string_view restart = string_member(*spec, "restartPolicy");
    long_running = restart != "Never" && restart != "OnFailure";  // a bare run-to-completion Pod is a job
  }
  check_pod(r, PodRef{*spec, std::move(path), long_running});
}

void check_object(Reporter& r, const Json& object, std::string_view group, std::string_view kind) {
  if (Route rt = route(group, kind); rt.pod != PodAt::kNone) {
    check_workload(r, object, rt);
  } else if (group.empty() && kind == "Secret") {
    check_secret(r, object);
  } else if (group.empty() && kind == "ConfigMap") {
    check_config_map(r, object);
  } else if (group == "rbac.authorization.k8s.io" && (kind == "ClusterRole" || kind == "Role")) {
    check_rbac(r, object);
  } else if ((group.empty() && kind == "Service") ||
             ((group == "networking.k8s.io" || group == "extensions") && kind == "Ingress")) {
    check_exposure(r, object, kind);
  }
}

}  // namespace

bool Evaluation::denied() const { return count(Level::deny) > 0; }

size_t Evaluation::count(Level level) const {
  return static_cast<size_t>(
      std::count_if(findings.begin(), findings.end(), [level](const Finding& f) { return f.level == level; }));
}

Evaluation evaluate(const std::vector<Json>& objects, const PolicyConfig& config) {
  const Levels levels = resolve_levels(config);
  Evaluation out;
  std::vector<Finding> found;
  Reporter reporter(levels, found);
  for (const Json& object : objects) {
    std::string_view api_version = string_member(object, "apiVersion");
    std::string_view kind = string_member(object, "kind");
    if (api_version.empty() || kind.empty()) continue;
    size_t slash = api_version.find('/');
    std::string_view group = slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
    const Json* meta = member(object, "metadata");
    std::string_view name = meta ? string_member(*meta, "name") : std::string_view();
    if (name.empty() && meta) name = string_member(*meta, "generateName");
    reporter.begin(group, kind, meta ? string_member(*meta, "namespace") : std::string_view(), name);

    found.clear();
    check_object(reporter, object, group, kind);

    const Json* annotations = meta ? member(*meta, "annotations") : nullptr;
    Exemption exemption;
    if (annotations && annotations->contains(kExemptAnnotation)) {
      exemption = parse_exemption(*annotations);
      for (const auto& e : exemption.errors) out.errors.push_back(reporter.object() + ": " + e);
    }
    for (Finding& f : found) {
      bool exempt = !exemption.reason.empty() &&
                    std::find(exemption.checks.begin(), exemption.checks.end(), f.check) != exemption.checks.end();
      (exempt ? out.exempted : out.findings).push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace ferry::reconciler::policy
