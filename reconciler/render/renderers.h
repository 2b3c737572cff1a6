// The three renderers and their detection. Each takes a private WorkTree (reconciler/source)
// that already holds the files it needs, and returns objects or an error naming the file,
// line or tool output. Pure apart from reading the work tree and running tools; thread-safe.
//
//   Chart.yaml in the app path            -> Helm       (`helm template`)
//   kustomization.yaml|yml|Kustomization  -> Kustomize  (`kustomize build` / `kubectl kustomize`)
//   anything else                         -> Directory  (*.yaml, *.yml, *.json)
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "apis/types/status.h"
#include "reconciler/render/render_spec.h"
#include "reconciler/source/repo_cache.h"

namespace ferry::reconciler {

// Detection from the names of the files directly in the app path.
RendererKind detect_renderer(const std::set<std::string>& file_names);
inline constexpr const char* kKustomizationNames[] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};

// Glob as Argo CD's directory include/exclude: '*' (any run, '/' included), '?', [abc], [!a],
// [a-z], {a,b}. Matches the whole text.
bool glob_match(std::string_view pattern, std::string_view text);

// Parses manifests of one file: multi-document YAML or JSON, `List` kinds flattened, documents
// without apiVersion/kind skipped with a warning. Errors name the file and line.
Status parse_manifest_file(std::string_view text, const std::string& source, std::vector<Json>& objects,
                           std::vector<std::string>& warnings);

Result<RenderOutput> render_directory(const WorkTree& tree, const std::string& app_path,
                                      const DirectoryOptions& options);

// Value files, resolved inside the repository (repo-relative), in order. Refused
// (ValueFileOutsideRepo) when absolute, a URL, or climbing out of the repository.
Result<std::vector<std::string>> helm_value_file_paths(const std::string& app_path, const HelmOptions& options);

Result<RenderOutput> render_helm(const WorkTree& tree, const std::string& app_path, const HelmOptions& options,
                                 const ToolSettings& tools);

// The repo paths a kustomization (and the kustomizations it pulls in) reads, resolved inside the
// repository; PathTraversal when one leaves it. Remote resources (URLs) are reported in
// `remote` and not followed.
Result<std::vector<std::string>> kustomize_inputs(const WorkTree& tree, const std::string& app_path,
                                                  std::vector<std::string>* remote = nullptr);

Result<RenderOutput> render_kustomize(const WorkTree& tree, const std::string& app_path, const ToolSettings& tools);

}  // namespace ferry::reconciler
