#include "controller/app_source.h"

#include <algorithm>

#include "apis/types/project.h"
#include "reconciler/sync/annotations.h"

namespace ferry::controller {

Result<RenderPlan> render_plan_for(const apis::Application& app) {
  const auto& source = app.spec.source;
  if (!app.spec.sources.empty() && source.repo_url.empty()) {
    return Status::Invalid("spec.sources: multiple sources are not supported yet; use spec.source");
  }
  if (!source.chart.empty()) {
    return Status::Invalid("spec.source.chart: charts from Helm repositories are not supported; vendor the chart "
                           "into the git repository and point spec.source.path at it");
  }
  if (!source.plugin.is_null()) {
    return Status::Invalid("spec.source.plugin: config management plugins are not supported");
  }
  RenderPlan plan;
  auto& spec = plan.spec;
  spec.path = source.path;
  if (source.helm) {
    spec.kind = reconciler::RendererKind::kHelm;
    const auto& helm = *source.helm;
    spec.helm.release_name = helm.release_name.empty() ? app.metadata.name : helm.release_name;
    spec.helm.namespace_ = app.spec.destination.namespace_;
    spec.helm.value_files = helm.value_files;
    auto values = apis::helm_values(helm);
    if (!values.ok()) return values.status();
    // JSON is YAML: the merged inline values go to helm as one values document.
    if (values->is_object() && !values->empty()) spec.helm.values = values->dump();
    for (const auto& p : helm.parameters) spec.helm.parameters.push_back({p.name, p.value, p.force_string});
    if (!helm.file_parameters.empty()) plan.warnings.push_back("spec.source.helm.fileParameters are not supported");
    spec.helm.skip_crds = helm.skip_crds;
    spec.helm.kube_version = helm.kube_version;
    spec.helm.api_versions = helm.api_versions;
  } else if (source.kustomize) {
    spec.kind = reconciler::RendererKind::kKustomize;
    const auto& k = *source.kustomize;
    if (!k.name_prefix.empty() || !k.name_suffix.empty() || !k.images.empty() || !k.common_labels.empty() ||
        !k.common_annotations.empty() || !k.namespace_.empty() || !k.components.empty()) {
      plan.warnings.push_back("spec.source.kustomize overrides (namePrefix, images, commonLabels, ...) are not "
                              "applied yet; put them in the kustomization.yaml");
    }
  } else if (source.directory) {
    spec.kind = reconciler::RendererKind::kDirectory;
    spec.directory.recurse = source.directory->recurse;
    spec.directory.include = source.directory->include;
    spec.directory.exclude = source.directory->exclude;
    if (!source.directory->jsonnet.empty()) plan.warnings.push_back("spec.source.directory.jsonnet is not supported");
  } else {
    spec.helm.release_name = app.metadata.name;  // for an auto-detected chart
    spec.helm.namespace_ = app.spec.destination.namespace_;
  }
  return plan;
}

bool server_side_diff_enabled(const apis::Application& app) {
  bool enabled = apis::sync_policy_options(app).server_side_diff;
  for (const char* key : {"argocd.argoproj.io/compare-options", "ferry.dev/compare-options"}) {
    auto it = app.metadata.annotations.find(key);
    if (it == app.metadata.annotations.end()) continue;
    const auto options = reconciler::split_list(it->second);  // e.g. "IgnoreExtraneous,ServerSideDiff=true"
    auto has = [&](const char* option) { return std::find(options.begin(), options.end(), option) != options.end(); };
    if (has("ServerSideDiff=true")) enabled = true;
    if (has("ServerSideDiff=false")) enabled = false;
  }
  return enabled;
}

// argoproj.io Applications found in git become ferry.dev ones in Ferry's namespace.
Json as_ferry_application(const Json& object, const std::string& ns) {
  const std::string kind = object.value("kind", "");
  if (kind != "Application" && kind != apis::kProjectKind) return object;
  std::string api_version = object.value("apiVersion", "");
  if (api_version != apis::kArgoApiVersion && api_version != apis::kApiVersion) return object;
  Json out = object;
  if (api_version == apis::kArgoApiVersion) {
    // A malformed one is applied as is and fails there, with the API server's reason.
    if (kind == "Application") {
      if (auto parsed = apis::parse_application(object); parsed.ok()) out = apis::to_json(*parsed);
    } else if (auto parsed = apis::parse_project(object); parsed.ok()) {
      out = apis::to_json(*parsed);
    }
    out["apiVersion"] = std::string(apis::kApiVersion);
    out.erase("status");
  }
  out["metadata"]["namespace"] = ns;  // Ferry watches only its own namespace
  return out;
}

std::vector<std::pair<std::string, std::string>> kinds_in_status(const apis::ApplicationStatus& status) {
  std::vector<std::pair<std::string, std::string>> kinds;
  for (const auto& r : status.resources) {
    std::pair<std::string, std::string> kind{r.group.empty() ? r.version : r.group + "/" + r.version, r.kind};
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(std::move(kind));
  }
  return kinds;
}

}  // namespace ferry::controller
