// `ferry render`: prints the manifests an app source renders to, as one YAML stream.
//   ferry render --repo URL [--revision R] --path P [--recurse] [--helm-values F]...
//                [--helm-set k=v]... [--release-name N] [--namespace NS]
// Exit 0 on success; 2 with the reason on stderr otherwise.
#include <cstdlib>
#include <iostream>

#include "apis/types/yaml_codec.h"
#include "cli/commands.h"
#include "reconciler/render/app_renderer.h"
#include "reconciler/source/credentials.h"

namespace ferry::cli {
namespace {

struct RenderFlags {
  std::string repo, revision = "HEAD", path = ".", data_dir, renderer = "auto";
  bool recurse = false;
  std::string include, exclude;
  std::vector<std::string> value_files, helm_set, helm_set_string, api_versions;
  std::string values_file, release_name, namespace_, kube_version;
  bool skip_crds = false;
  std::string username, password, ssh_key, ssh_passphrase, known_hosts;
  bool insecure_ignore_host_key = false;
  int timeout_seconds = 90;
};

std::string default_data_dir() {
  if (const char* d = std::getenv("FERRY_DATA_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/ferry";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.cache/ferry";
}

Result<reconciler::HelmParameter> parse_set(const std::string& text, bool force_string) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return Status::Invalid("--helm-set wants key=value, got \"" + text + "\"");
  return reconciler::HelmParameter{text.substr(0, eq), text.substr(eq + 1), force_string};
}

Status run(const RenderFlags& f) {
  using namespace reconciler;
  RepoRequest request;
  request.url = f.repo;
  Credentials& c = request.credentials;
  c.username = f.username;
  if (!f.password.empty()) {
    auto v = read_secret(f.password);
    if (!v.ok()) return v.status();
    c.password = *v;
  }
  if (!f.ssh_key.empty()) {
    auto v = read_secret(f.ssh_key.rfind("file:", 0) == 0 ? f.ssh_key : "file:" + f.ssh_key);
    if (!v.ok()) return v.status();
    c.ssh_private_key = *v + "\n";
  }
  if (!f.ssh_passphrase.empty()) {
    auto v = read_secret(f.ssh_passphrase);
    if (!v.ok()) return v.status();
    c.ssh_passphrase = *v;
  }
  c.known_hosts_file = f.known_hosts;
  c.insecure_ignore_host_key = f.insecure_ignore_host_key;

  RenderSpec spec;
  spec.path = f.path;
  auto kind = parse_renderer_kind(f.renderer);
  if (!kind.ok()) return kind.status();
  spec.kind = *kind;
  spec.directory = {f.recurse, f.include, f.exclude};
  spec.helm.release_name = f.release_name;
  spec.helm.namespace_ = f.namespace_;
  spec.helm.value_files = f.value_files;
  spec.helm.skip_crds = f.skip_crds;
  spec.helm.kube_version = f.kube_version;
  spec.helm.api_versions = f.api_versions;
  if (!f.values_file.empty()) {
    auto v = read_file(f.values_file);
    if (!v.ok()) return v.status();
    spec.helm.values = *v;
  }
  for (const auto& s : f.helm_set) {
    auto p = parse_set(s, false);
    if (!p.ok()) return p.status();
    spec.helm.parameters.push_back(*p);
  }
  for (const auto& s : f.helm_set_string) {
    auto p = parse_set(s, true);
    if (!p.ok()) return p.status();
    spec.helm.parameters.push_back(*p);
  }

  ToolSettings tools = ToolSettings::from_environment();
  tools.timeout = std::chrono::seconds(f.timeout_seconds);
  tools.secrets = c.secrets();
  RepoCache repos(f.data_dir.empty() ? default_data_dir() : f.data_dir);
  RenderCache cache;
  AppRenderer renderer(repos, cache, tools);
  auto result = renderer.render(request, f.revision, spec);
  if (!result.ok()) return result.status();
  for (const auto& w : result->output->warnings) std::cerr << "warning: " << w << "\n";
  std::cout << yaml::to_yaml_stream(result->output->objects);
  std::cout.flush();
  return Status::Ok();
}

}  // namespace

void add_render_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("render", "Render an application's manifests from git");
  auto flags = std::make_shared<RenderFlags>();
  cmd->add_option("--repo", flags->repo, "Repository URL (https, ssh, git, file or a local path)")->required();
  cmd->add_option("--revision", flags->revision, "Branch, tag, HEAD or commit SHA")->capture_default_str();
  cmd->add_option("--path", flags->path, "App path inside the repository")->required();
  cmd->add_option("--renderer", flags->renderer, "auto, directory, kustomize or helm")->capture_default_str();
  cmd->add_flag("--recurse", flags->recurse, "Directory: include subdirectories");
  cmd->add_option("--include", flags->include, "Directory: glob of files to include");
  cmd->add_option("--exclude", flags->exclude, "Directory: glob of files to exclude");
  cmd->add_option("--helm-values,--values", flags->value_files, "Helm value file, relative to the app path");
  cmd->add_option("--helm-values-literal-file", flags->values_file, "Helm inline values, read from a local file");
  cmd->add_option("--helm-set", flags->helm_set, "Helm parameter key=value");
  cmd->add_option("--helm-set-string", flags->helm_set_string, "Helm string parameter key=value");
  cmd->add_option("--release-name", flags->release_name, "Helm release name");
  cmd->add_option("--namespace", flags->namespace_, "Helm release namespace");
  cmd->add_flag("--skip-crds", flags->skip_crds, "Helm: leave out the chart's crds/");
  cmd->add_option("--kube-version", flags->kube_version, "Helm: Capabilities.KubeVersion");
  cmd->add_option("--api-versions", flags->api_versions, "Helm: Capabilities.APIVersions");
  cmd->add_option("--data-dir", flags->data_dir, "Where mirrors live (default ~/.cache/ferry)");
  cmd->add_option("--username", flags->username, "HTTPS username");
  cmd->add_option("--password", flags->password, "HTTPS password or token, as file:/path (or inline)");
  cmd->add_option("--ssh-private-key-path", flags->ssh_key, "SSH private key file");
  cmd->add_option("--ssh-passphrase", flags->ssh_passphrase, "SSH key passphrase, as file:/path (or inline)");
  cmd->add_option("--known-hosts", flags->known_hosts, "known_hosts file (default ~/.ssh/known_hosts)");
  cmd->add_flag("--insecure-ignore-host-key", flags->insecure_ignore_host_key, "Do not check the SSH host key");
  cmd->add_option("--timeout", flags->timeout_seconds, "Renderer tool timeout in seconds")->capture_default_str();
  cmd->callback([flags, &exit_code] {
    Status s;
    try {
      s = run(*flags);
    } catch (const std::exception& e) {
      s = Status::Internal(e.what());
    }
    if (!s.ok()) {
      std::cerr << "ferry render: " << s.to_string() << "\n";
      exit_code = 2;
      return;
    }
    exit_code = 0;
  });
}

}  // namespace ferry::cli
