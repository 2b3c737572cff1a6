#include "cli/render_flags.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

#include "reconciler/render/app_renderer.h"
#include "reconciler/render/renderers.h"
#include "reconciler/source/credentials.h"
#include "reconciler/source/repo_path.h"

namespace ferry::cli {
namespace {

namespace fs = std::filesystem;

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

Result<reconciler::RepoRequest> repo_request(const RenderFlags& f) {
  reconciler::RepoRequest request;
  request.url = f.repo;
  reconciler::Credentials& c = request.credentials;
  c.username = f.username;
  if (!f.password.empty()) {
    auto v = reconciler::read_secret(f.password);
    if (!v.ok()) return v.status();
    c.password = *v;
  }
  if (!f.ssh_key.empty()) {
    auto v = reconciler::read_secret(f.ssh_key.rfind("file:", 0) == 0 ? f.ssh_key : "file:" + f.ssh_key);
    if (!v.ok()) return v.status();
    c.ssh_private_key = *v + "\n";
  }
  if (!f.ssh_passphrase.empty()) {
    auto v = reconciler::read_secret(f.ssh_passphrase);
    if (!v.ok()) return v.status();
    c.ssh_passphrase = *v;
  }
  c.known_hosts_file = f.known_hosts;
  c.insecure_ignore_host_key = f.insecure_ignore_host_key;
  return request;
}

Result<reconciler::RenderSpec> render_spec(const RenderFlags& f) {
  reconciler::RenderSpec spec;
  spec.path = f.path;
  auto kind = reconciler::parse_renderer_kind(f.renderer);
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
    auto v = reconciler::read_file(f.values_file);
    if (!v.ok()) return v.status();
    spec.helm.values = *v;
  }
  for (const auto& [list, force_string] : {std::pair{&f.helm_set, false}, std::pair{&f.helm_set_string, true}}) {
    for (const auto& s : *list) {
      auto p = parse_set(s, force_string);
      if (!p.ok()) return p.status();
      spec.helm.parameters.push_back(*p);
    }
  }
  return spec;
}

reconciler::ToolSettings tool_settings(const RenderFlags& f, std::vector<std::string> secrets) {
  reconciler::ToolSettings tools = reconciler::ToolSettings::from_environment();
  tools.timeout = std::chrono::seconds(f.timeout_seconds);
  tools.secrets = std::move(secrets);
  return tools;
}

// Copies repo paths of a local directory into a work tree as a checkout writes them: no .git,
// symlinks replaced by copies of their targets and refused when a target leaves the directory,
// the checkout's file and size limits applied.
class LocalCopy {
 public:
  LocalCopy(fs::path root, const reconciler::WorkTree& tree, reconciler::CheckoutLimits limits)
      : root_(std::move(root)), tree_(tree), limits_(limits) {}

  // Copies repo path `rel` ("" = everything) unless it is already there; a missing path is skipped
  // (the renderer then reports it as a checkout would).
  Status copy_path(const std::string& rel) {
    for (const auto& done : copied_) {
      if (reconciler::path_is_under(rel, done)) return Status::Ok();
    }
    copied_.insert(rel);
    std::error_code ec;
    fs::path source = rel.empty() ? root_ : root_ / rel;
    if (!fs::exists(fs::symlink_status(source, ec))) return Status::Ok();
    auto inside = resolve_inside(source, rel);
    if (!inside.ok()) return inside.status();
    fs::path target = tree_.path(rel);
    fs::create_directories(target.parent_path(), ec);
    return copy_entry(*inside, target, rel, 0);
  }

 private:
  static constexpr int kMaxDepth = 64;

  // `path` with every symlink resolved, refused when that leaves the directory.
  Result<fs::path> resolve_inside(const fs::path& path, const std::string& rel) const {
    std::error_code ec;
    fs::path real = fs::weakly_canonical(path, ec);
    const std::string r = real.string(), root = root_.string();
    if (ec || (r != root && !r.starts_with(root + "/"))) {
      return reconciler::refusal(reconciler::kSymlinkEscape, "\"" + rel + "\" resolves outside the directory", rel);
    }
    return real;
  }

  Status copy_entry(const fs::path& from, const fs::path& to, const std::string& rel, int depth) {
    std::error_code ec;
    if (fs::is_regular_file(from, ec)) return copy_file(from, to, rel);
    if (!fs::is_directory(from, ec)) return Status::Ok();  // sockets, fifos: nothing to render
    if (depth > kMaxDepth) return Status::Invalid("\"" + rel + "\": directories nested too deep (a symlink loop?)");
    fs::create_directories(to, ec);
    if (ec) return Status::Internal("create " + to.string() + ": " + ec.message());
    for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name == ".git") continue;
      const std::string child = rel.empty() ? name : rel + "/" + name;
      auto source = resolve_inside(it->path(), child);
      if (!source.ok()) return source.status();
      if (Status s = copy_entry(*source, to / name, child, depth + 1); !s.ok()) return s;
    }
    if (ec) return Status::Internal("list " + rel + ": " + ec.message());
    return Status::Ok();
  }

  Status copy_file(const fs::path& from, const fs::path& to, const std::string& rel) {
    using reconciler::refusal;
    std::error_code ec;
    uint64_t size = fs::file_size(from, ec);
    if (ec) return Status::Internal("read " + rel + ": " + ec.message());
    if (size > limits_.max_file_bytes) return refusal(reconciler::kFileTooLarge, "\"" + rel + "\" is too large", rel);
    if (++files_ > limits_.max_files) return refusal(reconciler::kTooManyFiles, "more than " + std::to_string(limits_.max_files) + " files", rel);
    if ((bytes_ += size) > limits_.max_total_bytes) return refusal(reconciler::kTreeTooLarge, "the app's files are too large", rel);
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::Internal("copy " + rel + ": " + ec.message());
    return Status::Ok();
  }

  fs::path root_;
  const reconciler::WorkTree& tree_;
  reconciler::CheckoutLimits limits_;
  std::set<std::string> copied_;
  uint64_t files_ = 0, bytes_ = 0;
};

// What the renderer of `kind` reads, copied as AppRenderer checks out: the app path, Helm value
// files outside it, and for Kustomize every path the kustomizations pull in (found by reading
// them as they arrive, until nothing new appears).
Status copy_inputs(LocalCopy& copier, const reconciler::WorkTree& tree, reconciler::RendererKind kind,
                   const std::string& app_path, const reconciler::RenderSpec& spec) {
  using namespace reconciler;
  if (Status s = copier.copy_path(app_path); !s.ok()) return s;
  if (kind == RendererKind::kHelm) {
    auto files = helm_value_file_paths(app_path, spec.helm);
    if (!files.ok()) return files.status();
    for (const auto& f : *files) {
      if (Status s = copier.copy_path(f); !s.ok()) return s;
    }
  } else if (kind == RendererKind::kKustomize) {
    for (size_t known = 0;;) {
      auto inputs = kustomize_inputs(tree, app_path);
      if (!inputs.ok()) return inputs.status();
      if (inputs->size() == known) break;
      known = inputs->size();
      for (const auto& p : *inputs) {
        if (Status s = copier.copy_path(p); !s.ok()) return s;
      }
    }
  }
  return Status::Ok();
}

}  // namespace

void add_render_flags(CLI::App& cmd, RenderFlags& flags) {
  cmd.add_option("--repo", flags.repo, "Repository URL (https, ssh, git, file or a local path)");
  cmd.add_option("--revision", flags.revision, "Branch, tag, HEAD or commit SHA")->capture_default_str();
  cmd.add_option("--path", flags.path, "App path inside the repository")->required();
  cmd.add_option("--renderer", flags.renderer, "auto, directory, kustomize or helm")->capture_default_str();
  cmd.add_flag("--recurse", flags.recurse, "Directory: include subdirectories");
  cmd.add_option("--include", flags.include, "Directory: glob of files to include");
  cmd.add_option("--exclude", flags.exclude, "Directory: glob of files to exclude");
  cmd.add_option("--helm-values,--values", flags.value_files, "Helm value file, relative to the app path");
  cmd.add_option("--helm-values-literal-file", flags.values_file, "Helm inline values, read from a local file");
  cmd.add_option("--helm-set", flags.helm_set, "Helm parameter key=value");
  cmd.add_option("--helm-set-string", flags.helm_set_string, "Helm string parameter key=value");
  cmd.add_option("--release-name", flags.release_name, "Helm release name");
  cmd.add_option("--namespace", flags.namespace_, "Helm release namespace");
  cmd.add_flag("--skip-crds", flags.skip_crds, "Helm: leave out the chart's crds/");
  cmd.add_option("--kube-version", flags.kube_version, "Helm: Capabilities.KubeVersion");
  cmd.add_option("--api-versions", flags.api_versions, "Helm: Capabilities.APIVersions");
  cmd.add_option("--data-dir", flags.data_dir, "Where mirrors live (default ~/.cache/ferry)");
  cmd.add_option("--username", flags.username, "HTTPS username");
  cmd.add_option("--password", flags.password, "HTTPS password or token, as file:/path (or inline)");
  cmd.add_option("--ssh-private-key-path", flags.ssh_key, "SSH private key file");
  cmd.add_option("--ssh-passphrase", flags.ssh_passphrase, "SSH key passphrase, as file:/path (or inline)");
  cmd.add_option("--known-hosts", flags.known_hosts, "known_hosts file (default ~/.ssh/known_hosts)");
  cmd.add_flag("--insecure-ignore-host-key", flags.insecure_ignore_host_key, "Do not check the SSH host key");
  cmd.add_option("--timeout", flags.timeout_seconds, "Renderer tool timeout in seconds")->capture_default_str();
}

Result<Rendered> render_repo(const RenderFlags& f) {
  auto request = repo_request(f);
  if (!request.ok()) return request.status();
  auto spec = render_spec(f);
  if (!spec.ok()) return spec.status();
  reconciler::RepoCache repos(f.data_dir.empty() ? default_data_dir() : f.data_dir);
  reconciler::RenderCache cache;
  reconciler::AppRenderer renderer(repos, cache, tool_settings(f, request->credentials.secrets()));
  auto result = renderer.render(*request, f.revision, *spec);
  if (!result.ok()) return result.status();
  return Rendered{result->output, result->commit};
}

Result<Rendered> render_dir(const RenderFlags& f, const std::string& dir) {
  using namespace reconciler;
  auto spec = render_spec(f);
  if (!spec.ok()) return spec.status();
  auto app_path = clean_app_path(spec->path);
  if (!app_path.ok()) return app_path.status();
  std::error_code ec;
  fs::path root = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(root, ec)) return Status::NotFound("--dir " + dir + " is not a directory");

  const fs::path app_dir = root / *app_path;
  if (!fs::is_directory(app_dir, ec)) return Status::NotFound("app path \"" + *app_path + "\" is not a directory in " + dir);
  RendererKind kind = spec->kind;
  if (kind == RendererKind::kAuto) {
    std::set<std::string> names;
    for (fs::directory_iterator it(app_dir, ec), end; !ec && it != end; it.increment(ec)) {
      names.insert(it->path().filename().string());
    }
    kind = detect_renderer(names);
  }

  std::string pattern = (fs::temp_directory_path(ec) / "ferry-lint-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) return Status::Internal("create a work dir in " + pattern + ": " + std::strerror(errno));
  WorkTree tree(pattern, "");
  ::mkdir(tree.root().c_str(), 0700);
  ::mkdir(tree.scratch().c_str(), 0700);
  LocalCopy copier(root, tree, CheckoutLimits{});
  if (Status s = copy_inputs(copier, tree, kind, *app_path, *spec); !s.ok()) return s;
  const ToolSettings tools = tool_settings(f, {});
  Result<RenderOutput> out = Status::Internal("no renderer ran");
  switch (kind) {
    case RendererKind::kHelm: out = render_helm(tree, *app_path, spec->helm, tools); break;
    case RendererKind::kKustomize: out = render_kustomize(tree, *app_path, tools); break;
    default: out = render_directory(tree, *app_path, spec->directory); break;
  }
  if (!out.ok()) return out.status();
  return Rendered{std::make_shared<const RenderOutput>(std::move(*out)), ""};
}

}  // namespace ferry::cli
