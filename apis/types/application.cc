#include "apis/types/application.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "apis/types/duration.h"
#include "apis/types/json_fields.h"
#include "apis/types/yaml_codec.h"

namespace ferry::apis {

using detail::FieldReader;
using detail::index_path;
using detail::join_path;

// =============================================================================================
// Parsing

namespace {

ObjectMeta parse_meta(FieldReader& r, const Json& object) {
  ObjectMeta meta;
  const Json* m = r.read_object(object, "", "metadata");
  if (m == nullptr) return meta;
  const std::string p = "metadata";
  r.read_string(*m, p, "name", meta.name);
  r.read_string(*m, p, "namespace", meta.namespace_);
  r.read_string_map(*m, p, "labels", meta.labels);
  r.read_string_map(*m, p, "annotations", meta.annotations);
  r.read_strings(*m, p, "finalizers", meta.finalizers);
  r.read_string(*m, p, "uid", meta.uid);
  r.read_string(*m, p, "resourceVersion", meta.resource_version);
  r.read_int(*m, p, "generation", meta.generation);
  r.read_string(*m, p, "creationTimestamp", meta.creation_timestamp);
  r.read_string(*m, p, "deletionTimestamp", meta.deletion_timestamp);
  if (const Json* owners = r.read_array(*m, p, "ownerReferences")) meta.owner_references = *owners;
  return meta;
}

DirectorySource parse_directory(FieldReader& r, const Json& d, const std::string& p) {
  DirectorySource out;
  r.read_bool(d, p, "recurse", out.recurse);
  r.read_string(d, p, "include", out.include);
  r.read_string(d, p, "exclude", out.exclude);
  if (const Json* jsonnet = r.read_object(d, p, "jsonnet")) out.jsonnet = *jsonnet;
  return out;
}

KustomizeSource parse_kustomize(FieldReader& r, const Json& k, const std::string& p) {
  KustomizeSource out;
  out.raw = k;
  r.read_string(k, p, "namePrefix", out.name_prefix);
  r.read_string(k, p, "nameSuffix", out.name_suffix);
  r.read_string(k, p, "namespace", out.namespace_);
  r.read_string(k, p, "version", out.version);
  r.read_strings(k, p, "images", out.images);
  r.read_string_map(k, p, "commonLabels", out.common_labels);
  r.read_string_map(k, p, "commonAnnotations", out.common_annotations);
  r.read_bool(k, p, "forceCommonLabels", out.force_common_labels);
  r.read_bool(k, p, "forceCommonAnnotations", out.force_common_annotations);
  r.read_strings(k, p, "components", out.components);
  return out;
}

HelmSource parse_helm(FieldReader& r, const Json& h, const std::string& p) {
  HelmSource out;
  r.read_string(h, p, "releaseName", out.release_name);
  r.read_strings(h, p, "valueFiles", out.value_files);
  r.read_string(h, p, "values", out.values);
  if (const Json* values = r.read_object(h, p, "valuesObject")) out.values_object = *values;
  if (const Json* params = r.read_array(h, p, "parameters")) {
    const std::string pp = join_path(p, "parameters");
    for (size_t i = 0; i < params->size(); ++i) {
      const std::string ip = index_path(pp, i);
      if (!(*params)[i].is_object()) {
        r.wrong_type(ip, "an object", (*params)[i]);
        continue;
      }
      HelmParameter param;
      r.read_string((*params)[i], ip, "name", param.name);
      r.read_string((*params)[i], ip, "value", param.value);
      r.read_bool((*params)[i], ip, "forceString", param.force_string);
      out.parameters.push_back(std::move(param));
    }
  }
  if (const Json* params = r.read_array(h, p, "fileParameters")) {
    const std::string pp = join_path(p, "fileParameters");
    for (size_t i = 0; i < params->size(); ++i) {
      const std::string ip = index_path(pp, i);
      if (!(*params)[i].is_object()) {
        r.wrong_type(ip, "an object", (*params)[i]);
        continue;
      }
      HelmFileParameter param;
      r.read_string((*params)[i], ip, "name", param.name);
      r.read_string((*params)[i], ip, "path", param.path);
      out.file_parameters.push_back(std::move(param));
    }
  }
  r.read_bool(h, p, "skipCrds", out.skip_crds);
  r.read_bool(h, p, "skipTests", out.skip_tests);
  r.read_bool(h, p, "skipSchemaValidation", out.skip_schema_validation);
  r.read_bool(h, p, "passCredentials", out.pass_credentials);
  r.read_bool(h, p, "ignoreMissingValueFiles", out.ignore_missing_value_files);
  r.read_string(h, p, "version", out.version);
  r.read_string(h, p, "namespace", out.namespace_);
  r.read_string(h, p, "kubeVersion", out.kube_version);
  r.read_strings(h, p, "apiVersions", out.api_versions);
  return out;
}

ApplicationSource parse_source(FieldReader& r, const Json& s, const std::string& p) {
  ApplicationSource out;
  out.raw = s;
  r.read_string(s, p, "repoURL", out.repo_url);
  r.read_string(s, p, "targetRevision", out.target_revision);
  if (out.target_revision.empty()) out.target_revision = std::string(kDefaultTargetRevision);
  r.read_string(s, p, "path", out.path);
  r.read_string(s, p, "chart", out.chart);
  r.read_string(s, p, "ref", out.ref);
  r.read_string(s, p, "name", out.name);
  if (const Json* d = r.read_object(s, p, "directory")) out.directory = parse_directory(r, *d, join_path(p, "directory"));
  if (const Json* k = r.read_object(s, p, "kustomize")) out.kustomize = parse_kustomize(r, *k, join_path(p, "kustomize"));
  if (const Json* h = r.read_object(s, p, "helm")) out.helm = parse_helm(r, *h, join_path(p, "helm"));
  if (const Json* plugin = r.read_object(s, p, "plugin")) out.plugin = *plugin;
  return out;
}

SyncPolicy parse_sync_policy(FieldReader& r, const Json& sp, const std::string& p) {
  SyncPolicy out;
  if (const Json* a = r.read_object(sp, p, "automated")) {
    const std::string ap = join_path(p, "automated");
    AutomatedSync automated;
    r.read_bool(*a, ap, "prune", automated.prune);
    r.read_bool(*a, ap, "selfHeal", automated.self_heal);
    r.read_bool(*a, ap, "allowEmpty", automated.allow_empty);
    bool enabled = true;
    if (r.read_bool(*a, ap, "enabled", enabled)) automated.enabled = enabled;
    out.automated = automated;
  }
  r.read_strings(sp, p, "syncOptions", out.sync_options);
  if (const Json* retry = r.read_object(sp, p, "retry")) {
    const std::string rp = join_path(p, "retry");
    RetryStrategy strategy;
    r.read_int(*retry, rp, "limit", strategy.limit);
    if (const Json* b = r.read_object(*retry, rp, "backoff")) {
      const std::string bp = join_path(rp, "backoff");
      r.read_string(*b, bp, "duration", strategy.backoff.duration);
      r.read_int(*b, bp, "factor", strategy.backoff.factor);
      r.read_string(*b, bp, "maxDuration", strategy.backoff.max_duration);
    }
    out.retry = strategy;
  }
  if (const Json* m = r.read_object(sp, p, "managedNamespaceMetadata")) {
    const std::string mp = join_path(p, "managedNamespaceMetadata");
    ManagedNamespaceMetadata meta;
    r.read_string_map(*m, mp, "labels", meta.labels);
    r.read_string_map(*m, mp, "annotations", meta.annotations);
    out.managed_namespace_metadata = meta;
  }
  return out;
}

IgnoreDifference parse_ignore_difference(FieldReader& r, const Json& d, const std::string& p) {
  IgnoreDifference out;
  r.read_string(d, p, "group", out.group);
  r.read_string(d, p, "kind", out.kind);
  r.read_string(d, p, "name", out.name);
  r.read_string(d, p, "namespace", out.namespace_);
  r.read_strings(d, p, "jsonPointers", out.json_pointers);
  r.read_strings(d, p, "jqPathExpressions", out.jq_path_expressions);
  r.read_strings(d, p, "managedFieldsManagers", out.managed_fields_managers);
  return out;
}

void parse_spec(FieldReader& r, const Json& spec, ApplicationSpec& out) {
  const std::string p = "spec";
  r.read_string(spec, p, "project", out.project);
  if (out.project.empty()) out.project = std::string(kDefaultProject);
  if (const Json* s = r.read_object(spec, p, "source")) out.source = parse_source(r, *s, "spec.source");
  if (const Json* sources = r.read_array(spec, p, "sources")) {
    for (size_t i = 0; i < sources->size(); ++i) {
      const std::string ip = index_path("spec.sources", i);
      if (!(*sources)[i].is_object()) {
        r.wrong_type(ip, "an object", (*sources)[i]);
        continue;
      }
      out.sources.push_back(parse_source(r, (*sources)[i], ip));
    }
  }
  if (const Json* d = r.read_object(spec, p, "destination")) {
    r.read_string(*d, "spec.destination", "server", out.destination.server);
    r.read_string(*d, "spec.destination", "name", out.destination.name);
    r.read_string(*d, "spec.destination", "namespace", out.destination.namespace_);
  }
  if (const Json* sp = r.read_object(spec, p, "syncPolicy")) out.sync_policy = parse_sync_policy(r, *sp, "spec.syncPolicy");
  if (const Json* list = r.read_array(spec, p, "ignoreDifferences")) {
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string ip = index_path("spec.ignoreDifferences", i);
      if (!(*list)[i].is_object()) {
        r.wrong_type(ip, "an object", (*list)[i]);
        continue;
      }
      out.ignore_differences.push_back(parse_ignore_difference(r, (*list)[i], ip));
    }
  }
  r.read_int(spec, p, "revisionHistoryLimit", out.revision_history_limit);
  if (const Json* policy = r.read_object(spec, p, "policy")) {
    for (const auto& [key, level] : policy->items()) {
      // A plain `off` is YAML 1.1's false (kubectl reads it so); it means the level "off".
      if (level.is_string()) {
        out.policy[key] = level.get<std::string>();
      } else if (level.is_boolean() && !level.get<bool>()) {
        out.policy[key] = std::string(kPolicyLevels[0]);
      } else if (!level.is_null()) {
        r.wrong_type(join_path("spec.policy", key), "a string (off, warn or deny)", level);
      }
    }
  }
  if (const Json* list = r.read_array(spec, p, "info")) {
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string ip = index_path("spec.info", i);
      if (!(*list)[i].is_object()) {
        r.wrong_type(ip, "an object", (*list)[i]);
        continue;
      }
      Info info;
      r.read_string((*list)[i], ip, "name", info.name);
      r.read_string((*list)[i], ip, "value", info.value);
      out.info.push_back(std::move(info));
    }
  }
}

std::string string_member(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string Application::key() const {
  return metadata.namespace_.empty() ? metadata.name : metadata.namespace_ + "/" + metadata.name;
}

std::string project_of(const Json& object) {
  static const Json::json_pointer kProject("/spec/project");
  if (!object.is_object() || !object.contains(kProject)) return std::string(kDefaultProject);
  const Json& project = object.at(kProject);
  if (!project.is_string() || project.get_ref<const std::string&>().empty()) return std::string(kDefaultProject);
  return project.get<std::string>();
}

Result<Application> parse_application(const Json& object) {
  if (!object.is_object()) {
    return Status::Invalid(std::string("an Application must be an object, not ") + detail::json_type_phrase(object));
  }
  const std::string api_version = string_member(object, "apiVersion");
  const std::string kind = string_member(object, "kind");
  if ((api_version != kApiVersion && api_version != kArgoApiVersion) || kind != kApplicationKind) {
    return Status::Invalid("not an Application: apiVersion \"" + api_version + "\", kind \"" + kind +
                           "\" (want kind Application of ferry.dev/v1alpha1 or argoproj.io/v1alpha1)");
  }
  FieldReader r;
  Application app;
  app.source_api_version = api_version;
  app.metadata = parse_meta(r, object);
  if (const Json* spec = r.read_object(object, "", "spec")) {
    app.raw_spec = *spec;
    parse_spec(r, *spec, app.spec);
  }
  if (const Json* op = r.read_object(object, "", "operation")) app.raw_operation = *op;
  if (auto it = object.find("status"); it != object.end() && !it->is_null()) app.raw_status = *it;
  if (!r.ok()) {
    std::string name = app.metadata.name.empty() ? "" : " \"" + app.key() + "\"";
    return r.to_status("Application" + name);
  }
  return app;
}

// =============================================================================================
// Writing

namespace {

using detail::object_member;
using detail::put_bool;
using detail::put_int;
using detail::put_json;
using detail::put_string;
using detail::put_string_map;
using detail::put_strings;

void erase_member(Json& object, const char* key) {
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end() && !it->is_null()) object.erase(it);
  }
}

Json directory_to_json(const DirectorySource& d, Json out) {
  put_bool(out, "recurse", d.recurse);
  put_string(out, "include", d.include);
  put_string(out, "exclude", d.exclude);
  put_json(out, "jsonnet", d.jsonnet.is_object() ? d.jsonnet : Json::object());
  return out;
}

Json kustomize_to_json(const KustomizeSource& k) {
  Json out = k.raw.is_object() ? k.raw : Json::object();
  put_string(out, "namePrefix", k.name_prefix);
  put_string(out, "nameSuffix", k.name_suffix);
  put_string(out, "namespace", k.namespace_);
  put_string(out, "version", k.version);
  put_strings(out, "images", k.images);
  put_string_map(out, "commonLabels", k.common_labels);
  put_string_map(out, "commonAnnotations", k.common_annotations);
  put_bool(out, "forceCommonLabels", k.force_common_labels);
  put_bool(out, "forceCommonAnnotations", k.force_common_annotations);
  put_strings(out, "components", k.components);
  return out;
}

Json helm_to_json(const HelmSource& h, Json out) {
  put_string(out, "releaseName", h.release_name);
  put_strings(out, "valueFiles", h.value_files);
  put_string(out, "values", h.values);
  if (h.values_object.is_null()) {
    erase_member(out, "valuesObject");
  } else {
    out["valuesObject"] = h.values_object;
  }
  Json params = Json::array();
  for (const HelmParameter& param : h.parameters) {
    Json item = {{"name", param.name}, {"value", param.value}};
    if (param.force_string) item["forceString"] = true;
    params.push_back(std::move(item));
  }
  put_json(out, "parameters", std::move(params));
  Json files = Json::array();
  for (const HelmFileParameter& param : h.file_parameters) files.push_back({{"name", param.name}, {"path", param.path}});
  put_json(out, "fileParameters", std::move(files));
  put_bool(out, "skipCrds", h.skip_crds);
  put_bool(out, "skipTests", h.skip_tests);
  put_bool(out, "skipSchemaValidation", h.skip_schema_validation);
  put_bool(out, "passCredentials", h.pass_credentials);
  put_bool(out, "ignoreMissingValueFiles", h.ignore_missing_value_files);
  put_string(out, "version", h.version);
  put_string(out, "namespace", h.namespace_);
  put_string(out, "kubeVersion", h.kube_version);
  put_strings(out, "apiVersions", h.api_versions);
  return out;
}

Json meta_to_json(const ObjectMeta& meta) {
  Json out = Json::object();
  out["name"] = meta.name;
  put_string(out, "namespace", meta.namespace_);
  put_string_map(out, "labels", meta.labels);
  put_string_map(out, "annotations", meta.annotations);
  std::vector<std::string> finalizers;
  for (const std::string& f : meta.finalizers) {
    std::string mapped = ferry_finalizer(f);
    if (std::find(finalizers.begin(), finalizers.end(), mapped) == finalizers.end()) finalizers.push_back(mapped);
  }
  put_strings(out, "finalizers", finalizers);
  put_string(out, "uid", meta.uid);
  put_string(out, "resourceVersion", meta.resource_version);
  put_int(out, "generation", meta.generation, 0);
  put_string(out, "creationTimestamp", meta.creation_timestamp);
  put_string(out, "deletionTimestamp", meta.deletion_timestamp);
  if (meta.owner_references.is_array() && !meta.owner_references.empty()) {
    out["ownerReferences"] = meta.owner_references;
  }
  return out;
}

}  // namespace

Json source_to_json(const ApplicationSource& s) {
  Json out = s.raw.is_object() ? s.raw : Json::object();
  put_string(out, "repoURL", s.repo_url);
  put_string(out, "targetRevision", s.target_revision, kDefaultTargetRevision);
  put_string(out, "path", s.path);
  put_string(out, "chart", s.chart);
  put_string(out, "ref", s.ref);
  put_string(out, "name", s.name);
  if (s.directory) {
    out["directory"] = directory_to_json(*s.directory, object_member(out, "directory"));
  } else {
    erase_member(out, "directory");
  }
  if (s.kustomize) {
    out["kustomize"] = kustomize_to_json(*s.kustomize);
  } else {
    erase_member(out, "kustomize");
  }
  if (s.helm) {
    out["helm"] = helm_to_json(*s.helm, object_member(out, "helm"));
  } else {
    erase_member(out, "helm");
  }
  if (s.plugin.is_object()) {
    out["plugin"] = s.plugin;
  } else {
    erase_member(out, "plugin");
  }
  return out;
}

Json spec_to_json(const Application& app) {
  const ApplicationSpec& spec = app.spec;
  Json out = app.raw_spec.is_object() ? app.raw_spec : Json::object();
  put_string(out, "project", spec.project, kDefaultProject);
  put_json(out, "source", source_to_json(spec.source));
  Json sources = Json::array();
  for (const ApplicationSource& s : spec.sources) sources.push_back(source_to_json(s));
  put_json(out, "sources", std::move(sources));

  Json dest = object_member(out, "destination");
  put_string(dest, "server", spec.destination.server);
  put_string(dest, "name", spec.destination.name);
  put_string(dest, "namespace", spec.destination.namespace_);
  put_json(out, "destination", std::move(dest));

  const SyncPolicy& policy = spec.sync_policy;
  Json sp = object_member(out, "syncPolicy");
  if (policy.automated) {
    Json a = object_member(sp, "automated");
    put_bool(a, "prune", policy.automated->prune);
    put_bool(a, "selfHeal", policy.automated->self_heal);
    put_bool(a, "allowEmpty", policy.automated->allow_empty);
    if (policy.automated->enabled) {
      a["enabled"] = *policy.automated->enabled;
    } else {
      erase_member(a, "enabled");
    }
    sp["automated"] = std::move(a);
  } else {
    erase_member(sp, "automated");
  }
  put_strings(sp, "syncOptions", policy.sync_options);
  if (policy.retry) {
    Json r = object_member(sp, "retry");
    put_int(r, "limit", policy.retry->limit, 0);
    Json b = object_member(r, "backoff");
    put_string(b, "duration", policy.retry->backoff.duration, "5s");
    put_int(b, "factor", policy.retry->backoff.factor, 2);
    put_string(b, "maxDuration", policy.retry->backoff.max_duration, "3m");
    put_json(r, "backoff", std::move(b));
    sp["retry"] = std::move(r);
  } else {
    erase_member(sp, "retry");
  }
  if (policy.managed_namespace_metadata) {
    Json m = object_member(sp, "managedNamespaceMetadata");
    put_string_map(m, "labels", policy.managed_namespace_metadata->labels);
    put_string_map(m, "annotations", policy.managed_namespace_metadata->annotations);
    sp["managedNamespaceMetadata"] = std::move(m);
  } else {
    erase_member(sp, "managedNamespaceMetadata");
  }
  put_json(out, "syncPolicy", std::move(sp));

  Json ignores = Json::array();
  const Json* raw_ignores = out.contains("ignoreDifferences") && out["ignoreDifferences"].is_array()
                                ? &out["ignoreDifferences"]
                                : nullptr;
  for (size_t i = 0; i < spec.ignore_differences.size(); ++i) {
    const IgnoreDifference& d = spec.ignore_differences[i];
    Json item = raw_ignores != nullptr && i < raw_ignores->size() && (*raw_ignores)[i].is_object() ? (*raw_ignores)[i]
                                                                                                   : Json::object();
    put_string(item, "group", d.group);
    put_string(item, "kind", d.kind);
    put_string(item, "name", d.name);
    put_string(item, "namespace", d.namespace_);
    put_strings(item, "jsonPointers", d.json_pointers);
    put_strings(item, "jqPathExpressions", d.jq_path_expressions);
    put_strings(item, "managedFieldsManagers", d.managed_fields_managers);
    ignores.push_back(std::move(item));
  }
  put_json(out, "ignoreDifferences", std::move(ignores));

  put_int(out, "revisionHistoryLimit", spec.revision_history_limit, kDefaultRevisionHistoryLimit);
  Json info = Json::array();
  for (const Info& i : spec.info) info.push_back({{"name", i.name}, {"value", i.value}});
  put_json(out, "info", std::move(info));
  put_string_map(out, "policy", spec.policy);
  return out;
}

Json to_json(const Application& app) {
  Json out = {{"apiVersion", std::string(kApiVersion)},
              {"kind", std::string(kApplicationKind)},
              {"metadata", meta_to_json(app.metadata)},
              {"spec", spec_to_json(app)}};
  if (app.raw_operation.is_object()) out["operation"] = app.raw_operation;
  return out;
}

std::string ferry_finalizer(std::string_view finalizer) {
  if (finalizer == kArgoResourcesFinalizer) return std::string(kResourcesFinalizer);
  if (finalizer.substr(0, kArgoResourcesFinalizer.size()) == kArgoResourcesFinalizer) {
    std::string_view rest = finalizer.substr(kArgoResourcesFinalizer.size());
    if (rest == "/foreground") return std::string(kResourcesFinalizer);
    if (rest == "/background") return std::string(kResourcesFinalizerBackground);
  }
  return std::string(finalizer);
}

bool has_resources_finalizer(const Application& app) {
  for (const std::string& f : app.metadata.finalizers) {
    std::string mapped = ferry_finalizer(f);
    if (mapped == kResourcesFinalizer || mapped == kResourcesFinalizerBackground) return true;
  }
  return false;
}

// =============================================================================================
// Validation

namespace {

void add(std::vector<StatusCause>& causes, const char* reason, const std::string& field, const std::string& message) {
  causes.push_back({reason, field + ": " + message, field});
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool is_alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A path is safe when it is relative and no ".." component leaves the directory it starts in.
// `depth` is how deep the starting directory is below the root (value files start in the app path).
bool stays_inside(std::string_view path, int depth) {
  if (!path.empty() && path[0] == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part == "..") {
      if (--depth < 0) return false;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    start = end + 1;
  }
  return true;
}

// How many directories deep a clean relative path is ("a/b" → 2, "" and "." → 0).
int path_depth(std::string_view path) {
  int depth = 0;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") ++depth;
    start = end + 1;
  }
  return depth;
}

bool has_dotdot(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

bool is_json_pointer(std::string_view pointer) {
  if (pointer.empty() || pointer[0] != '/') return false;
  for (size_t i = 0; i < pointer.size(); ++i) {
    if (pointer[i] == '~' && (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))) {
      return false;
    }
  }
  return true;
}

// The sync options Ferry knows, with the values each accepts, as Argo CD names them.
struct KnownOption {
  std::string_view key;
  std::vector<std::string_view> values;
  bool resource_level = false;  // meaningful only as a resource annotation
};

const std::vector<KnownOption>& known_options() {
  static const std::vector<KnownOption> kOptions = {
      {"ApplyOutOfSyncOnly", {"true", "false"}},
      {"CreateNamespace", {"true", "false"}},
      {"FailOnSharedResource", {"true", "false"}},
      {"PruneLast", {"true", "false"}},
      {"PrunePropagationPolicy", {"foreground", "background", "orphan"}},
      {"Replace", {"true", "false"}},
      {"RespectIgnoreDifferences", {"true", "false"}},
      {"ServerSideApply", {"true", "false"}},
      {"ServerSideDiff", {"true", "false"}},
      {"SkipDryRunOnMissingResource", {"true", "false"}},
      {"Validate", {"true", "false"}},
      {"Delete", {"false", "confirm"}, true},
      {"Force", {"true", "false"}, true},
      {"Prune", {"false", "confirm"}, true},
  };
  return kOptions;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string join(const std::vector<std::string_view>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

void validate_sync_option(std::vector<StatusCause>& causes, const std::string& field, const std::string& option) {
  size_t eq = option.find('=');
  std::string_view key = std::string_view(option).substr(0, eq);
  std::string_view value = eq == std::string::npos ? std::string_view() : std::string_view(option).substr(eq + 1);
  for (const KnownOption& known : known_options()) {
    if (key == known.key && eq != std::string::npos) {
      if (std::find(known.values.begin(), known.values.end(), value) == known.values.end()) {
        add(causes, kCauseInvalid, field,
            in_quotes(option) + ": the value must be " +
                (known.values.size() == 2 ? std::string(known.values[0]) + " or " + std::string(known.values[1])
                                          : "one of " + join(known.values, ", ")));
      } else if (known.resource_level) {
        add(causes, kCauseWarning, field,
            in_quotes(option) +
                " is a per-resource option and is ignored here; set it in the annotation "
                "ferry.dev/sync-options (or argocd.argoproj.io/sync-options) of the resources");
      }
      return;
    }
  }
  std::string message = "unknown option " + in_quotes(option);
  for (const KnownOption& known : known_options()) {
    if (iequals(key, known.key)) {
      // A wrong case, or a key without its value ("CreateNamespace"): suggest the spelling.
      std::string_view suggested_value = eq == std::string::npos ? known.values[0] : value;
      message += " (did you mean " + in_quotes(std::string(known.key) + "=" + std::string(suggested_value)) + "?)";
      add(causes, kCauseNotSupported, field, message);
      return;
    }
  }
  std::vector<std::string_view> keys;
  for (const KnownOption& known : known_options()) {
    if (!known.resource_level) keys.push_back(known.key);
  }
  add(causes, kCauseNotSupported, field, message + " (known: " + join(keys, ", ") + ")");
}

void validate_duration(std::vector<StatusCause>& causes, const std::string& field, const std::string& text) {
  Result<std::chrono::milliseconds> d = parse_duration(text);
  if (!d.ok()) {
    add(causes, kCauseInvalid, field, d.status().message());
  } else if (d->count() < 0) {
    add(causes, kCauseInvalid, field, in_quotes(text) + " must not be negative");
  }
}

void validate_source(std::vector<StatusCause>& causes, const ApplicationSource& s, const std::string& p,
                     bool multi_source_only) {
  if (s.repo_url.empty()) {
    if (multi_source_only) {
      add(causes, kCauseRequired, p,
          "required (spec.sources, multiple sources, is not supported by Ferry; use spec.source)");
      return;
    }
    add(causes, kCauseRequired, p + ".repoURL", "required");
  }
  if (!s.path.empty() && (s.path[0] == '/' || has_dotdot(s.path))) {
    add(causes, kCauseInvalid, p + ".path",
        in_quotes(s.path) + " must be a path relative to the repository root, without \"..\"");
  }
  if (!s.chart.empty() && !s.path.empty()) {
    add(causes, kCauseInvalid, p,
        "chart and path are mutually exclusive (chart names a chart of a Helm repository, path a directory of a "
        "git repository)");
  }
  std::vector<std::string_view> types;
  if (s.directory) types.push_back("directory");
  if (s.helm) types.push_back("helm");
  if (s.kustomize) types.push_back("kustomize");
  if (s.plugin.is_object()) types.push_back("plugin");
  if (types.size() > 1) {
    add(causes, kCauseInvalid, p,
        "only one of directory, helm, kustomize and plugin may be set (found " + join(types, ", ") + ")");
  }
  if (s.plugin.is_object()) {
    add(causes, kCauseNotSupported, p + ".plugin",
        "config management plugins are not supported by Ferry (use a directory, Kustomize or Helm source)");
  }
  if (s.directory && s.directory->jsonnet.is_object() && !s.directory->jsonnet.empty()) {
    add(causes, kCauseWarning, p + ".directory.jsonnet", "Jsonnet is not supported; these settings are ignored");
  }
  if (s.helm) {
    const HelmSource& h = *s.helm;
    const std::string hp = p + ".helm";
    const int depth = stays_inside(s.path, 0) ? path_depth(s.path) : 0;
    for (size_t i = 0; i < h.value_files.size(); ++i) {
      const std::string& f = h.value_files[i];
      bool remote = f.rfind("http://", 0) == 0 || f.rfind("https://", 0) == 0;
      if (f.empty()) {
        add(causes, kCauseRequired, index_path(hp + ".valueFiles", i), "must not be empty");
      } else if (!remote && !stays_inside(f, depth)) {
        add(causes, kCauseInvalid, index_path(hp + ".valueFiles", i),
            in_quotes(f) + " points outside the repository (value files are relative to spec.source.path)");
      }
    }
    for (size_t i = 0; i < h.parameters.size(); ++i) {
      if (h.parameters[i].name.empty()) add(causes, kCauseRequired, index_path(hp + ".parameters", i) + ".name", "required");
    }
    for (size_t i = 0; i < h.file_parameters.size(); ++i) {
      const std::string ip = index_path(hp + ".fileParameters", i);
      if (h.file_parameters[i].name.empty()) add(causes, kCauseRequired, ip + ".name", "required");
      if (h.file_parameters[i].path.empty()) add(causes, kCauseRequired, ip + ".path", "required");
    }
    if (!h.values.empty()) {
      HelmSource only_string = h;
      only_string.values_object = nullptr;
      Result<Json> values = helm_values(only_string);
      if (!values.ok()) add(causes, kCauseInvalid, hp + ".values", values.status().message());
      if (!h.values_object.is_null()) {
        add(causes, kCauseWarning, hp, "values and valuesObject are both set; valuesObject is used");
      }
    }
  }
}

}  // namespace

bool is_warning(const StatusCause& cause) { return cause.reason == kCauseWarning; }

bool is_policy_check_id(std::string_view id) {
  return std::find(std::begin(kPolicyCheckIds), std::end(kPolicyCheckIds), id) != std::end(kPolicyCheckIds);
}

bool is_policy_level(std::string_view level) {
  return std::find(std::begin(kPolicyLevels), std::end(kPolicyLevels), level) != std::end(kPolicyLevels);
}

void validate_policy_map(const std::map<std::string, std::string>& policy, std::string_view field,
                         std::vector<StatusCause>& causes) {
  for (const auto& [key, level] : policy) {
    const std::string f = join_path(field, key);
    if (key != kPolicyDefaultKey && !is_policy_check_id(key)) {
      add(causes, kCauseNotSupported, f,
          "unknown check " + in_quotes(key) + " (want \"default\" or a check id of docs/policy.md, e.g. "
          "image-tag-latest)");
    }
    if (!is_policy_level(level)) {
      add(causes, kCauseNotSupported, f, "unknown level " + in_quotes(level) + " (want off, warn or deny)");
    }
  }
}

bool is_dns1123_label(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!is_alnum_lower(name.front()) || !is_alnum_lower(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_alnum_lower(c) || c == '-'; });
}

bool is_dns1123_subdomain(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    std::string_view part = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    // Parts follow the label rule apart from the 63-character limit, which applies to the whole.
    if (part.empty() || !is_alnum_lower(part.front()) || !is_alnum_lower(part.back())) return false;
    if (!std::all_of(part.begin(), part.end(), [](char c) { return is_alnum_lower(c) || c == '-'; })) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::vector<StatusCause> validate(const Application& app) {
  std::vector<StatusCause> causes;
  const ApplicationSpec& spec = app.spec;
  const char* subdomain_rule =
      " must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-' and '.', starting and ending with a letter or digit, "
      "at most 253 characters)";
  const char* label_rule =
      " must be a lowercase RFC 1123 label (a-z, 0-9 and '-', starting and ending with a letter or digit, at most 63 "
      "characters)";

  if (app.metadata.name.empty()) {
    add(causes, kCauseRequired, "metadata.name", "required");
  } else if (!is_dns1123_subdomain(app.metadata.name)) {
    add(causes, kCauseInvalid, "metadata.name", in_quotes(app.metadata.name) + subdomain_rule);
  }
  if (!app.metadata.namespace_.empty() && !is_dns1123_label(app.metadata.namespace_)) {
    add(causes, kCauseInvalid, "metadata.namespace", in_quotes(app.metadata.namespace_) + label_rule);
  }

  if (!is_dns1123_subdomain(spec.project)) {
    add(causes, kCauseInvalid, "spec.project", in_quotes(spec.project) + subdomain_rule);
  }

  const bool only_sources = spec.source.repo_url.empty() && !spec.sources.empty();
  validate_source(causes, spec.source, "spec.source", only_sources);
  if (!spec.sources.empty()) {
    add(causes, kCauseWarning, "spec.sources",
        "multi-source Applications are not supported; Ferry deploys spec.source only");
  }

  const ApplicationDestination& dest = spec.destination;
  if (dest.server.empty() && dest.name.empty()) {
    add(causes, kCauseRequired, "spec.destination", "one of server or name is required");
  } else if (!dest.server.empty() && !dest.name.empty()) {
    causes.push_back({kCauseInvalid, "spec.destination.server and spec.destination.name are mutually exclusive",
                      "spec.destination"});
  }
  if (!dest.server.empty() && dest.server.rfind("https://", 0) != 0 && dest.server.rfind("http://", 0) != 0) {
    add(causes, kCauseInvalid, "spec.destination.server",
        in_quotes(dest.server) + " is not a URL (e.g. " + std::string(kInClusterServer) + ")");
  }
  if (!dest.namespace_.empty() && !is_dns1123_label(dest.namespace_)) {
    add(causes, kCauseInvalid, "spec.destination.namespace", in_quotes(dest.namespace_) + label_rule);
  }

  const SyncPolicy& policy = spec.sync_policy;
  for (size_t i = 0; i < policy.sync_options.size(); ++i) {
    validate_sync_option(causes, index_path("spec.syncPolicy.syncOptions", i), policy.sync_options[i]);
  }
  if (policy.retry) {
    const Backoff& b = policy.retry->backoff;
    validate_duration(causes, "spec.syncPolicy.retry.backoff.duration", b.duration);
    validate_duration(causes, "spec.syncPolicy.retry.backoff.maxDuration", b.max_duration);
    if (b.factor < 1) {
      add(causes, kCauseInvalid, "spec.syncPolicy.retry.backoff.factor",
          std::to_string(b.factor) + " must be at least 1");
    }
  }
  if (policy.managed_namespace_metadata && !has_sync_option(app, "CreateNamespace=true")) {
    add(causes, kCauseWarning, "spec.syncPolicy.managedNamespaceMetadata",
        "applies only with the sync option CreateNamespace=true; ignored");
  }

  for (size_t i = 0; i < spec.ignore_differences.size(); ++i) {
    const IgnoreDifference& d = spec.ignore_differences[i];
    const std::string ip = index_path("spec.ignoreDifferences", i);
    if (d.kind.empty()) add(causes, kCauseRequired, ip + ".kind", "required (use \"*\" for every kind)");
    for (size_t j = 0; j < d.json_pointers.size(); ++j) {
      if (!is_json_pointer(d.json_pointers[j])) {
        add(causes, kCauseInvalid, index_path(ip + ".jsonPointers", j),
            in_quotes(d.json_pointers[j]) + " is not a JSON pointer (e.g. /spec/replicas)");
      }
    }
    if (!d.jq_path_expressions.empty()) {
      add(causes, kCauseNotSupported, ip + ".jqPathExpressions",
          "not supported by Ferry; use jsonPointers or managedFieldsManagers");
    }
  }

  if (spec.revision_history_limit < 0) {
    add(causes, kCauseInvalid, "spec.revisionHistoryLimit",
        std::to_string(spec.revision_history_limit) + " must not be negative");
  }
  for (size_t i = 0; i < spec.info.size(); ++i) {
    if (spec.info[i].name.empty()) add(causes, kCauseRequired, index_path("spec.info", i) + ".name", "required");
  }
  validate_policy_map(spec.policy, "spec.policy", causes);
  return causes;
}

Status validation_status(const Application& app, const std::vector<StatusCause>& causes) {
  std::string message;
  std::vector<const StatusCause*> errors;
  for (const StatusCause& cause : causes) {
    if (is_warning(cause)) continue;
    if (!errors.empty()) message += "; ";
    message += cause.message;
    errors.push_back(&cause);
  }
  if (errors.empty()) return Status::Ok();
  Status status = Status::Invalid("Application " + in_quotes(app.key()) + " is invalid: " + message);
  for (const StatusCause* cause : errors) status.add_cause(*cause);
  return status;
}

Status validate_application(const Application& app) { return validation_status(app, validate(app)); }

bool targets_local_cluster(const Application& app) {
  const ApplicationDestination& dest = app.spec.destination;
  if (!dest.server.empty()) {
    return dest.server == kInClusterServer || dest.server == std::string(kInClusterServer) + "/";
  }
  return dest.name == kInClusterName;
}

// =============================================================================================
// Sync policy

bool has_sync_option(const Application& app, std::string_view option) {
  const std::vector<std::string>& options = app.spec.sync_policy.sync_options;
  return std::find(options.begin(), options.end(), option) != options.end();
}

SyncPolicyOptions sync_policy_options(const Application& app) {
  SyncPolicyOptions out;
  const SyncPolicy& policy = app.spec.sync_policy;
  if (policy.automated) {
    out.automated = policy.automated->enabled.value_or(true);
    out.prune = policy.automated->prune;
    out.self_heal = policy.automated->self_heal;
    out.allow_empty = policy.automated->allow_empty;
  }
  for (const std::string& option : policy.sync_options) {
    size_t eq = option.find('=');
    if (eq == std::string::npos) continue;
    std::string_view key = std::string_view(option).substr(0, eq);
    std::string_view value = std::string_view(option).substr(eq + 1);
    if (key == "PrunePropagationPolicy") {
      if (value == "foreground" || value == "background" || value == "orphan") {
        out.prune_propagation_policy = std::string(value);
      }
      continue;
    }
    if (value != "true" && value != "false") continue;
    const bool on = value == "true";
    static const std::pair<std::string_view, bool SyncPolicyOptions::*> kFlags[] = {
        {"Validate", &SyncPolicyOptions::validate},
        {"CreateNamespace", &SyncPolicyOptions::create_namespace},
        {"PruneLast", &SyncPolicyOptions::prune_last},
        {"Replace", &SyncPolicyOptions::replace},
        {"ServerSideApply", &SyncPolicyOptions::server_side_apply},
        {"ApplyOutOfSyncOnly", &SyncPolicyOptions::apply_out_of_sync_only},
        {"RespectIgnoreDifferences", &SyncPolicyOptions::respect_ignore_differences},
        {"ServerSideDiff", &SyncPolicyOptions::server_side_diff},
        {"FailOnSharedResource", &SyncPolicyOptions::fail_on_shared_resource},
        {"SkipDryRunOnMissingResource", &SyncPolicyOptions::skip_dry_run_on_missing_resource},
    };
    for (const auto& [name, member] : kFlags) {
      if (key == name) out.*member = on;
    }
  }
  if (policy.retry) {
    out.retry = true;
    out.retry_limit = policy.retry->limit;
    if (auto d = parse_duration(policy.retry->backoff.duration); d.ok() && d->count() >= 0) out.backoff_duration = *d;
    if (auto d = parse_duration(policy.retry->backoff.max_duration); d.ok() && d->count() >= 0) {
      out.backoff_max_duration = *d;
    }
    if (policy.retry->backoff.factor >= 1) out.backoff_factor = policy.retry->backoff.factor;
  }
  if (policy.managed_namespace_metadata) out.managed_namespace_metadata = *policy.managed_namespace_metadata;
  return out;
}

std::chrono::milliseconds retry_delay(const SyncPolicyOptions& options, int attempt) {
  const int64_t cap = options.backoff_max_duration.count();
  int64_t delay = options.backoff_duration.count();
  for (int i = 0; i < attempt && delay < cap && options.backoff_factor > 1; ++i) {
    // Saturate instead of overflowing: anything past the cap is the cap.
    delay = delay > cap / options.backoff_factor ? cap : delay * options.backoff_factor;
  }
  return std::chrono::milliseconds(std::min(delay, cap));
}

Result<Json> helm_values(const HelmSource& helm) {
  if (!helm.values_object.is_null()) return helm.values_object;
  if (helm.values.empty()) return Json::object();
  auto docs = yaml::parse_stream(helm.values, "values");
  if (!docs.ok()) return Status::Invalid("not valid YAML: " + docs.status().message());
  if (docs->empty()) return Json::object();
  if (docs->size() > 1) return Status::Invalid("holds more than one YAML document");
  const Json& values = (*docs)[0].value;
  if (values.is_null()) return Json::object();
  if (!values.is_object()) {
    return Status::Invalid(std::string("must be a YAML mapping, not ") + detail::json_type_phrase(values));
  }
  return values;
}

Json compared_to(const Application& app) {
  Json spec = spec_to_json(app);
  Json out = Json::object();
  out["source"] = spec.contains("source") ? spec["source"] : Json::object();
  out["destination"] = spec.contains("destination") ? spec["destination"] : Json::object();
  if (spec.contains("sources")) out["sources"] = spec["sources"];
  if (!app.spec.ignore_differences.empty()) out["ignoreDifferences"] = spec["ignoreDifferences"];
  return out;
}

}  // namespace ferry::apis
