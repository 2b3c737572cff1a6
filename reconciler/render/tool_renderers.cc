// Helm and Kustomize renderers: run the real tool over the private work tree and parse what it
// prints. The tool sees a minimal environment whose HOME is scratch space inside the work dir.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "reconciler/render/renderers.h"
#include "reconciler/render/tool_runner.h"
#include "reconciler/source/credentials.h"
#include "reconciler/source/repo_path.h"

namespace ferry::reconciler {
namespace {

namespace fs = std::filesystem;

bool is_remote_reference(std::string_view s) {
  return s.find("://") != std::string_view::npos || s.starts_with("github.com/") || s.starts_with("git@") ||
         s.find("?ref=") != std::string_view::npos;
}

// Runs a renderer tool; a failure carries the tool's stderr with secrets redacted.
Result<ToolResult> run_renderer(const std::string& what, std::vector<std::string> argv, const std::string& cwd,
                                const WorkTree& tree, const ToolSettings& tools) {
  std::string home = tree.scratch() + "/home";
  std::error_code ec;
  fs::create_directories(home, ec);
  ToolRun run;
  run.argv = std::move(argv);
  run.cwd = cwd;
  run.env = minimal_environment(home);
  run.timeout = tools.timeout;
  run.max_output_bytes = tools.max_output_bytes;
  auto result = run_tool(run);
  if (!result.ok()) {
    return Status(result.status().reason(), what + ": " + redact(result.status().message(), tools.secrets));
  }
  if (result->exit_code != 0) {
    std::string err = result->err;
    // The work dir's path means nothing to the user; show repo-relative paths.
    for (size_t pos; (pos = err.find(tree.root() + "/")) != std::string::npos;) err.erase(pos, tree.root().size() + 1);
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return Status::Invalid(what + " failed (exit " + std::to_string(result->exit_code) + "): " +
                           redact(err, tools.secrets));
  }
  return result;
}

}  // namespace

Result<std::vector<std::string>> helm_value_file_paths(const std::string& app_path, const HelmOptions& options) {
  std::vector<std::string> out;
  for (const auto& file : options.value_files) {
    if (is_remote_reference(file)) {
      return refusal(kValueFileOutsideRepo, "value file \"" + file + "\" is remote; only files in the repository are allowed",
                     file);
    }
    if (!file.empty() && file.front() == '/') {
      return refusal(kValueFileOutsideRepo, "value file \"" + file + "\" is an absolute path", file);
    }
    auto joined = join_inside_repo(app_path, file);
    if (!joined.ok()) {
      return refusal(kValueFileOutsideRepo, "value file \"" + file + "\" resolves outside the repository", file);
    }
    out.push_back(*joined);
  }
  return out;
}

Result<RenderOutput> render_helm(const WorkTree& tree, const std::string& app_path, const HelmOptions& options,
                                 const ToolSettings& tools) {
  if (tools.helm.empty()) return Status::NotFound("helm is not installed (set FERRY_HELM)");
  auto value_files = helm_value_file_paths(app_path, options);
  if (!value_files.ok()) return value_files.status();
  RenderOutput out;
  out.kind = RendererKind::kHelm;
  out.inputs.push_back(app_path);
  std::vector<std::string> argv = {tools.helm, "template",
                                   options.release_name.empty() ? "release-name" : options.release_name, "."};
  if (!options.namespace_.empty()) argv.insert(argv.end(), {"--namespace", options.namespace_});
  std::error_code ec;
  for (const auto& file : *value_files) {
    std::string disk = tree.path(file);
    if (!fs::is_regular_file(disk, ec)) return Status::NotFound("value file \"" + file + "\" does not exist");
    argv.insert(argv.end(), {"--values", disk});
    out.inputs.push_back(file);
  }
  if (!options.values.empty()) {
    std::string inline_file = tree.scratch() + "/inline-values.yaml";
    std::ofstream(inline_file, std::ios::binary) << options.values;
    argv.insert(argv.end(), {"--values", inline_file});
  }
  for (const auto& p : options.parameters) {
    argv.insert(argv.end(), {p.force_string ? "--set-string" : "--set", p.name + "=" + p.value});
  }
  argv.push_back(options.skip_crds ? "--skip-crds" : "--include-crds");
  if (!options.kube_version.empty()) argv.insert(argv.end(), {"--kube-version", options.kube_version});
  for (const auto& v : options.api_versions) argv.insert(argv.end(), {"--api-versions", v});

  auto result = run_renderer("helm template", argv, tree.path(app_path), tree, tools);
  if (!result.ok()) return result.status();
  Status s = parse_manifest_file(result->out, "helm template output", out.objects, out.warnings);
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<std::string>> kustomize_inputs(const WorkTree& tree, const std::string& app_path,
                                                  std::vector<std::string>* remote) {
  std::vector<std::string> inputs;
  std::set<std::string> seen;
  std::vector<std::string> queue = {app_path};
  seen.insert(app_path);
  inputs.push_back(app_path);
  std::error_code ec;
  while (!queue.empty()) {
    std::string dir = queue.back();
    queue.pop_back();
    std::string file;
    for (const char* name : kKustomizationNames) {
      std::string candidate = tree.path(dir.empty() ? name : dir + "/" + name);
      if (fs::is_regular_file(candidate, ec)) {
        file = candidate;
        break;
      }
    }
    if (file.empty()) continue;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto docs = yaml::parse_stream(text.str(), (dir.empty() ? "" : dir + "/") + "kustomization.yaml");
    if (!docs.ok()) return docs.status();
    if (docs->empty() || !docs->front().value.is_object()) continue;
    const Json& k = docs->front().value;

    std::vector<std::string> refs;
    auto add_string = [&](const Json& v) {
      if (v.is_string()) refs.push_back(v.get<std::string>());
    };
    auto add_list = [&](const char* key) {
      auto it = k.find(key);
      if (it == k.end() || !it->is_array()) return;
      for (const auto& v : *it) add_string(v);
    };
    for (const char* key : {"resources", "bases", "components", "crds", "configurations", "generators",
                            "transformers", "validators", "patchesStrategicMerge"}) {
      add_list(key);
    }
    for (const char* key : {"patches", "patchesJson6902", "replacements", "helmCharts"}) {
      auto it = k.find(key);
      if (it == k.end() || !it->is_array()) continue;
      for (const auto& item : *it) {
        if (!item.is_object()) continue;
        if (item.contains("path")) add_string(item["path"]);
        if (item.contains("valuesFile")) add_string(item["valuesFile"]);
      }
    }
    for (const char* key : {"configMapGenerator", "secretGenerator"}) {
      auto it = k.find(key);
      if (it == k.end() || !it->is_array()) continue;
      for (const auto& item : *it) {
        if (!item.is_object()) continue;
        if (item.contains("env")) add_string(item["env"]);
        for (const char* list : {"files", "envs"}) {
          if (!item.contains(list) || !item[list].is_array()) continue;
          for (const auto& f : item[list]) {
            if (!f.is_string()) continue;
            std::string s = f.get<std::string>();
            size_t eq = s.find('=');
            refs.push_back(eq == std::string::npos ? s : s.substr(eq + 1));
          }
        }
      }
    }
    if (k.contains("openapi") && k["openapi"].is_object() && k["openapi"].contains("path")) add_string(k["openapi"]["path"]);
    if (k.contains("helmGlobals") && k["helmGlobals"].is_object()) {
      for (const char* key : {"chartHome", "configHome"}) {
        if (k["helmGlobals"].contains(key)) add_string(k["helmGlobals"][key]);
      }
    }

    for (const auto& ref : refs) {
      if (ref.find('\n') != std::string::npos) continue;  // an inline patch or generator, not a path
      if (is_remote_reference(ref)) {
        if (remote) remote->push_back(ref);
        continue;
      }
      if (!ref.empty() && ref.front() == '/') {
        return refusal(kPathTraversal, "kustomization in \"" + dir + "\" references absolute path \"" + ref + "\"", ref);
      }
      auto joined = join_inside_repo(dir, ref);
      if (!joined.ok()) {
        return refusal(kPathTraversal, "kustomization in \"" + dir + "\" references \"" + ref + "\" outside the repository",
                       ref);
      }
      if (seen.insert(*joined).second) {
        inputs.push_back(*joined);
        if (fs::is_directory(tree.path(*joined), ec)) queue.push_back(*joined);
      }
    }
  }
  return inputs;
}

Result<RenderOutput> render_kustomize(const WorkTree& tree, const std::string& app_path, const ToolSettings& tools) {
  auto inputs = kustomize_inputs(tree, app_path);
  if (!inputs.ok()) return inputs.status();
  std::vector<std::string> argv;
  std::string what;
  if (!tools.kustomize.empty()) {
    argv = {tools.kustomize, "build", "."};
    what = "kustomize build";
  } else if (!tools.kubectl.empty()) {
    argv = {tools.kubectl, "kustomize", "."};
    what = "kubectl kustomize";
  } else {
    return Status::NotFound("neither kustomize nor kubectl is installed (set FERRY_KUSTOMIZE or FERRY_KUBECTL)");
  }
  auto result = run_renderer(what, argv, tree.path(app_path), tree, tools);
  if (!result.ok()) return result.status();
  RenderOutput out;
  out.kind = RendererKind::kKustomize;
  out.inputs = std::move(*inputs);
  Status s = parse_manifest_file(result->out, what + " output", out.objects, out.warnings);
  if (!s.ok()) return s;
  return out;
}

}  // namespace ferry::reconciler
