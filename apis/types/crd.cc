#include "apis/types/crd.h"

#include <string>
#include <utility>

#include "apis/types/application.h"
#include "apis/types/project.h"

namespace ferry::apis {
namespace {

// Schema builders. Every node gets a type (structural schema rules); int64 as Argo CD declares.
Json str() { return {{"type", "string"}}; }
Json boolean() { return {{"type", "boolean"}}; }
Json integer() { return {{"type", "integer"}, {"format", "int64"}}; }
Json array_of(Json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
Json strings() { return array_of(str()); }
Json string_map() { return {{"type", "object"}, {"additionalProperties", str()}}; }
Json free_form() { return {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}; }
Json object(Json properties) { return {{"type", "object"}, {"properties", std::move(properties)}}; }

Json with_description(Json schema, const char* description) {
  schema["description"] = description;
  return schema;
}

Json source_schema() {
  Json helm = object({
      {"releaseName", str()},
      {"valueFiles", strings()},
      {"values", with_description(str(), "Helm values as a YAML string")},
      {"valuesObject", with_description(free_form(), "Helm values as an object; wins over values")},
      {"parameters", array_of(object({{"name", str()}, {"value", str()}, {"forceString", boolean()}}))},
      {"fileParameters", array_of(object({{"name", str()}, {"path", str()}}))},
      {"skipCrds", boolean()},
      {"skipTests", boolean()},
      {"skipSchemaValidation", boolean()},
      {"passCredentials", boolean()},
      {"ignoreMissingValueFiles", boolean()},
      {"version", str()},
      {"namespace", str()},
      {"kubeVersion", str()},
      {"apiVersions", strings()},
  });
  Json directory = object({
      {"recurse", boolean()},
      {"include", str()},
      {"exclude", str()},
      {"jsonnet", with_description(free_form(), "Accepted for Argo CD compatibility; not evaluated")},
  });
  return object({
      {"repoURL", with_description(str(), "Git repository URL, or Helm repository URL when chart is set")},
      {"targetRevision", with_description(str(), "Branch, tag, commit or chart version; default HEAD")},
      {"path", with_description(str(), "Directory in the repository; default the root")},
      {"chart", str()},
      {"ref", str()},
      {"name", str()},
      {"directory", std::move(directory)},
      {"helm", std::move(helm)},
      {"kustomize", with_description(free_form(), "namePrefix, nameSuffix, images, commonLabels, namespace, ...")},
      {"plugin", with_description(free_form(), "Accepted for Argo CD compatibility; not supported")},
  });
}

Json application_spec_schema() {
  Json sync_policy = object({
      {"automated", object({{"prune", boolean()},
                            {"selfHeal", boolean()},
                            {"allowEmpty", boolean()},
                            {"enabled", boolean()}})},
      {"syncOptions", strings()},
      {"retry", object({{"limit", integer()},
                        {"backoff", object({{"duration", str()}, {"factor", integer()}, {"maxDuration", str()}})}})},
      {"managedNamespaceMetadata", object({{"labels", string_map()}, {"annotations", string_map()}})},
  });
  Json ignore = object({
      {"group", str()},
      {"kind", str()},
      {"name", str()},
      {"namespace", str()},
      {"jsonPointers", strings()},
      {"jqPathExpressions", strings()},
      {"managedFieldsManagers", strings()},
  });
  return object({
      {"project", with_description(str(), "AppProject name; default \"default\"")},
      {"source", source_schema()},
      {"sources", with_description(array_of(source_schema()), "Multi-source; accepted, not supported")},
      {"destination", object({{"server", str()}, {"name", str()}, {"namespace", str()}})},
      {"syncPolicy", std::move(sync_policy)},
      {"ignoreDifferences", array_of(std::move(ignore))},
      {"revisionHistoryLimit", with_description(integer(), "History entries kept in status; default 10")},
      {"info", array_of(object({{"name", str()}, {"value", str()}}))},
      {"policy", with_description(string_map(), "Policy gates: \"default\" or a check id to off|warn|deny (docs/policy.md)")},
  });
}

Json project_spec_schema() {
  Json group_kind = object({{"group", str()}, {"kind", str()}});
  Json kept = with_description(array_of(free_form()), "Accepted for Argo CD compatibility; not enforced");
  return object({
      {"description", str()},
      {"sourceRepos", strings()},
      {"destinations", array_of(object({{"server", str()}, {"name", str()}, {"namespace", str()}}))},
      {"clusterResourceWhitelist", array_of(group_kind)},
      {"clusterResourceBlacklist", array_of(group_kind)},
      {"namespaceResourceWhitelist", array_of(group_kind)},
      {"namespaceResourceBlacklist", array_of(group_kind)},
      {"roles", kept},
      {"syncWindows", kept},
      {"signatureKeys", kept},
      {"destinationServiceAccounts", kept},
      {"sourceNamespaces", strings()},
      {"orphanedResources", with_description(free_form(), "Accepted for Argo CD compatibility; not enforced")},
      {"permitOnlyProjectScopedClusters", boolean()},
  });
}

Json printer_column(const char* name, const char* type, const char* path) {
  return {{"name", name}, {"type", type}, {"jsonPath", path}};
}

struct Names {
  const char* kind;
  const char* plural;
  const char* singular;
  std::vector<std::string> short_names;
};

Json crd(const Names& names, Json root_properties, Json version_extras) {
  Json schema = {{"type", "object"}, {"required", {"spec"}}, {"properties", std::move(root_properties)}};
  Json version = {{"name", std::string(kVersion)},
                  {"served", true},
                  {"storage", true},
                  {"schema", {{"openAPIV3Schema", std::move(schema)}}}};
  for (auto it = version_extras.begin(); it != version_extras.end(); ++it) version[it.key()] = it.value();
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata",
           {{"name", std::string(names.plural) + "." + std::string(kGroup)},
            {"labels", {{"app.kubernetes.io/name", names.plural}, {"app.kubernetes.io/part-of", "ferry"}}}}},
          {"spec",
           {{"group", std::string(kGroup)},
            {"scope", "Namespaced"},
            {"names",
             {{"kind", names.kind},
              {"listKind", std::string(names.kind) + "List"},
              {"plural", names.plural},
              {"singular", names.singular},
              {"shortNames", names.short_names}}},
            {"versions", Json::array({std::move(version)})}}}};
}

}  // namespace

Json application_crd() {
  Json properties = {
      {"apiVersion", str()},
      {"kind", str()},
      {"metadata", {{"type", "object"}}},
      {"spec", application_spec_schema()},
      {"operation", with_description(free_form(), "A requested operation (sync), as Argo CD's")},
      {"status", with_description(free_form(), "sync, health, resources, conditions, operationState, history")},
  };
  Json extras = {
      {"subresources", {{"status", Json::object()}}},
      {"additionalPrinterColumns",
       Json::array({printer_column("Sync", "string", ".status.sync.status"),
                    printer_column("Health", "string", ".status.health.status"),
                    printer_column("Revision", "string", ".status.sync.revision"),
                    printer_column("Age", "date", ".metadata.creationTimestamp")})},
  };
  return crd({"Application", "applications", "application", {"app", "apps"}}, std::move(properties),
             std::move(extras));
}

Json project_crd() {
  Json properties = {
      {"apiVersion", str()},
      {"kind", str()},
      {"metadata", {{"type", "object"}}},
      {"spec", project_spec_schema()},
      {"status", free_form()},
  };
  Json extras = {
      {"subresources", {{"status", Json::object()}}},
      {"additionalPrinterColumns",
       Json::array({printer_column("Description", "string", ".spec.description"),
                    printer_column("Age", "date", ".metadata.creationTimestamp")})},
  };
  return crd({"AppProject", "appprojects", "appproject", {"appproj", "appprojs"}}, std::move(properties),
             std::move(extras));
}

std::vector<Json> crds() { return {application_crd(), project_crd()}; }

}  // namespace ferry::apis
