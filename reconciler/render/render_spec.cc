#include "reconciler/render/render_spec.h"

#include <unistd.h>

#include <cstdlib>

#include "reconciler/render/tool_runner.h"

namespace ferry::reconciler {

const char* renderer_name(RendererKind kind) {
  switch (kind) {
    case RendererKind::kAuto: return "auto";
    case RendererKind::kDirectory: return "directory";
    case RendererKind::kKustomize: return "kustomize";
    case RendererKind::kHelm: return "helm";
  }
  return "auto";
}

Result<RendererKind> parse_renderer_kind(std::string_view name) {
  if (name.empty() || name == "auto") return RendererKind::kAuto;
  if (name == "directory" || name == "plain" || name == "Directory") return RendererKind::kDirectory;
  if (name == "kustomize" || name == "Kustomize") return RendererKind::kKustomize;
  if (name == "helm" || name == "Helm") return RendererKind::kHelm;
  return Status::Invalid("unknown renderer \"" + std::string(name) + "\" (auto, directory, kustomize, helm)");
}

Json RenderSpec::parameters_json() const {
  Json j;
  j["kind"] = renderer_name(kind);
  if (kind == RendererKind::kAuto || kind == RendererKind::kDirectory) {
    j["directory"] = {{"recurse", directory.recurse}, {"include", directory.include}, {"exclude", directory.exclude}};
  }
  if (kind == RendererKind::kAuto || kind == RendererKind::kHelm) {
    Json params = Json::array();
    for (const auto& p : helm.parameters) params.push_back({p.name, p.value, p.force_string});
    j["helm"] = {{"releaseName", helm.release_name}, {"namespace", helm.namespace_},
                 {"valueFiles", helm.value_files},    {"values", helm.values},
                 {"parameters", params},              {"skipCrds", helm.skip_crds},
                 {"kubeVersion", helm.kube_version},  {"apiVersions", helm.api_versions}};
  }
  return j;
}

ToolSettings ToolSettings::from_environment() {
  auto pick = [](const char* env, const char* fixed, const char* name) -> std::string {
    if (const char* v = std::getenv(env); v && *v) return find_on_path(v);
    if (::access(fixed, X_OK) == 0) return fixed;
    return find_on_path(name);
  };
  ToolSettings s;
  s.helm = pick("FERRY_HELM", "/opt/ferry/tools/helm", "helm");
  s.kubectl = pick("FERRY_KUBECTL", "/opt/ferry/tools/kubectl", "kubectl");
  if (const char* v = std::getenv("FERRY_KUSTOMIZE"); v && *v) {
    s.kustomize = find_on_path(v);
  } else {
    s.kustomize = find_on_path("kustomize");
  }
  return s;
}

}  // namespace ferry::reconciler
