// AppRenderer: from (repository, revision, RenderSpec) to objects. It resolves the revision
// through the RepoCache, answers from the RenderCache when it can, skips rendering when no input
// path changed since the last commit it rendered for the same app (so an unrelated commit in a
// monorepo re-renders nothing), and otherwise checks out a private copy and runs the renderer.
//
// Example:
//   AppRenderer renderer(repos, cache, ToolSettings::from_environment());
//   auto r = renderer.render({.url = url}, "main", RenderSpec{.path = "apps/web"});
//   for (const Json& obj : r->output->objects) ...
//
// Threads: render() may be called concurrently; `repos` and `cache` must outlive the renderer.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "apis/types/status.h"
#include "reconciler/render/render_cache.h"
#include "reconciler/render/render_spec.h"
#include "reconciler/source/repo_cache.h"

namespace ferry::reconciler {

struct AppRenderResult {
  std::string commit;
  std::shared_ptr<const RenderOutput> output;
  bool cache_hit = false;       // this exact (commit, path, parameters) was cached
  bool reused = false;          // an earlier commit's output reused: none of its inputs changed
};

class AppRenderer {
 public:
  AppRenderer(RepoCache& repos, RenderCache& cache, ToolSettings tools, CheckoutLimits limits = {});

  // Refreshes the mirror (shared with concurrent callers), resolves `revision`, renders.
  // `rerender` (a hard refresh) runs the renderer even when the output is cached.
  Result<AppRenderResult> render(const RepoRequest& repo, std::string_view revision, const RenderSpec& spec,
                                 bool rerender = false);
  // Renders a commit already in the mirror; no network.
  Result<AppRenderResult> render_commit(const std::string& url, const std::string& commit, const RenderSpec& spec,
                                        bool rerender = false);

 private:
  Result<std::shared_ptr<const RenderOutput>> render_uncached(const std::string& url, const std::string& commit,
                                                              const std::string& path, const RenderSpec& spec);
  struct Last {
    std::string commit;
    std::shared_ptr<const RenderOutput> output;
  };

  RepoCache& repos_;
  RenderCache& cache_;
  ToolSettings tools_;
  CheckoutLimits limits_;
  std::mutex mu_;
  std::map<std::string, Last> last_;  // by (repo, path, parameters): the latest render
};

}  // namespace ferry::reconciler
