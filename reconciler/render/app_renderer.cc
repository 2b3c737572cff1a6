#include "reconciler/render/app_renderer.h"

#include <set>

#include "reconciler/render/renderers.h"
#include "reconciler/source/repo_path.h"

namespace ferry::reconciler {

AppRenderer::AppRenderer(RepoCache& repos, RenderCache& cache, ToolSettings tools, CheckoutLimits limits)
    : repos_(repos), cache_(cache), tools_(std::move(tools)), limits_(limits) {}

Result<AppRenderResult> AppRenderer::render(const RepoRequest& repo, std::string_view revision,
                                            const RenderSpec& spec, bool rerender) {
  auto commit = repos_.resolve_fresh(repo, revision);
  if (!commit.ok()) return commit.status();
  return render_commit(repo.url, *commit, spec, rerender);
}

Result<AppRenderResult> AppRenderer::render_commit(const std::string& url, const std::string& commit,
                                                   const RenderSpec& spec, bool rerender) {
  auto repo_url = parse_repo_url(url);
  if (!repo_url.ok()) return repo_url.status();
  auto path = clean_app_path(spec.path);
  if (!path.ok()) return path.status();
  for (const auto& w : spec.watch_paths) {
    auto clean = clean_app_path(w);
    if (!clean.ok()) return clean.status();
  }
  const std::string app_key = RenderCache::key(repo_url->key, "", *path, spec);
  const std::string key = RenderCache::key(repo_url->key, commit, *path, spec);

  AppRenderResult result;
  result.commit = commit;
  if (auto hit = rerender ? nullptr : cache_.get(key)) {
    result.output = std::move(hit);
    result.cache_hit = true;
    return result;
  }
  Last last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = last_.find(app_key); it != last_.end()) last = it->second;
  }
  if (!rerender && last.output && last.commit != commit) {
    std::vector<std::string> inputs = last.output->inputs;
    auto changed = repos_.paths_changed(url, last.commit, commit, inputs);
    if (changed.ok() && !*changed) {
      cache_.put(key, last.output);
      std::lock_guard<std::mutex> lock(mu_);
      last_[app_key] = {commit, last.output};
      result.output = last.output;
      result.reused = true;
      return result;
    }
  }
  auto output = render_uncached(url, commit, *path, spec);
  if (!output.ok()) return output.status();
  cache_.put(key, *output);
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_[app_key] = {commit, *output};
  }
  result.output = std::move(*output);
  return result;
}

Result<std::shared_ptr<const RenderOutput>> AppRenderer::render_uncached(const std::string& url,
                                                                         const std::string& commit,
                                                                         const std::string& path,
                                                                         const RenderSpec& spec) {
  auto listing = repos_.list_dir(url, commit, path);
  if (!listing.ok()) return listing.status();
  RendererKind kind = spec.kind;
  if (kind == RendererKind::kAuto) {
    kind = detect_renderer(std::set<std::string>(listing->begin(), listing->end()));
  }

  std::vector<std::string> checkout_paths = {path};
  if (kind == RendererKind::kHelm) {
    auto files = helm_value_file_paths(path, spec.helm);
    if (!files.ok()) return files.status();
    for (const auto& f : *files) {
      if (!path_is_under(f, path)) checkout_paths.push_back(f);
    }
  } else if (kind == RendererKind::kKustomize) {
    checkout_paths = {""};  // bases may live anywhere in the repository
  }
  auto tree = repos_.checkout(url, commit, checkout_paths, limits_);
  if (!tree.ok()) return tree.status();

  Result<RenderOutput> out = Status::Internal("no renderer ran");
  switch (kind) {
    case RendererKind::kHelm: out = render_helm(**tree, path, spec.helm, tools_); break;
    case RendererKind::kKustomize: out = render_kustomize(**tree, path, tools_); break;
    default: out = render_directory(**tree, path, spec.directory); break;
  }
  if (!out.ok()) return out.status();
  for (const auto& w : (*tree)->warnings()) out->warnings.push_back(w);
  for (const auto& p : (*tree)->link_targets()) out->inputs.push_back(p);
  for (const auto& p : spec.watch_paths) out->inputs.push_back(*clean_app_path(p));
  size_t bytes = 0;
  for (const auto& obj : out->objects) bytes += obj.dump().size();
  out->approx_bytes = bytes;
  return std::shared_ptr<const RenderOutput>(std::make_shared<RenderOutput>(std::move(*out)));
}

}  // namespace ferry::reconciler
