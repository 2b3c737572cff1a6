// What to render and what came out. A RenderSpec is the rendering half of an Application's
// source (Argo CD field names: path, directory{recurse, include, exclude}, helm{releaseName,
// valueFiles, values, parameters, skipCrds, kubeVersion, apiVersions}); a RenderOutput is the
// list of objects it produced. Plain values; thread-safe to copy and read.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "apis/types/status.h"
#include "apis/types/yaml_codec.h"

namespace ferry::reconciler {

enum class RendererKind { kAuto, kDirectory, kKustomize, kHelm };

const char* renderer_name(RendererKind kind);  // "auto", "directory", "kustomize", "helm"
Result<RendererKind> parse_renderer_kind(std::string_view name);

struct DirectoryOptions {
  bool recurse = false;
  std::string include;  // glob over the file's path relative to the app path; "" = all
  std::string exclude;  // glob; "" = none
};

struct HelmParameter {
  std::string name;
  std::string value;
  bool force_string = false;  // --set-string instead of --set
};

struct HelmOptions {
  std::string release_name;  // "" = "release-name", as `helm template` without a name
  std::string namespace_;
  std::vector<std::string> value_files;  // relative to the app path; must stay in the repo
  std::string values;                    // inline values YAML
  std::vector<HelmParameter> parameters;
  bool skip_crds = false;
  std::string kube_version;
  std::vector<std::string> api_versions;
};

struct RenderSpec {
  std::string path;  // repo-relative app path ("" or "." = the root)
  RendererKind kind = RendererKind::kAuto;
  DirectoryOptions directory;
  HelmOptions helm;
  std::vector<std::string> watch_paths;  // extra repo paths whose changes re-render the app

  // The canonical parameters as JSON (the render cache key's parameter part).
  Json parameters_json() const;
};

struct RenderOutput {
  RendererKind kind = RendererKind::kDirectory;  // what actually ran (never kAuto)
  std::vector<Json> objects;
  std::vector<std::string> warnings;
  // Repo paths this output depends on: the app path, value files, Kustomize bases, symlink
  // targets. If none changed between two commits, the output of one is the output of both.
  std::vector<std::string> inputs;
  size_t approx_bytes = 0;  // for the cache's size bound
};

// Limits and tools for renderer processes.
struct ToolSettings {
  std::string helm;       // absolute path; "" = not available
  std::string kustomize;  // a standalone kustomize binary, preferred
  std::string kubectl;    // `kubectl kustomize` when there is no kustomize binary
  std::chrono::milliseconds timeout{90'000};
  size_t max_output_bytes = 64u << 20;
  std::vector<std::string> secrets;  // redacted from tool errors

  // From the environment: $FERRY_HELM, $FERRY_KUSTOMIZE, $FERRY_KUBECTL, else
  // /opt/ferry/tools/{helm,kubectl}, else the PATH.
  static ToolSettings from_environment();
};

}  // namespace ferry::reconciler
