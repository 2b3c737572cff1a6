// From an Application's spec.source to what the renderer needs (RenderSpec), refusing with a
// clear message the source kinds Ferry does not render (Helm repository charts, plugins,
// multiple sources) and noting the options it ignores. Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "apis/types/application.h"
#include "apis/types/application_status.h"
#include "reconciler/render/render_spec.h"

namespace ferry::controller {

struct RenderPlan {
  reconciler::RenderSpec spec;
  std::vector<std::string> warnings;  // accepted but ignored options
};

Result<RenderPlan> render_plan_for(const apis::Application& app);

// ServerSideDiff=true in the app's sync options, or in its compare-options annotation
// (`argocd.argoproj.io/compare-options`, where Argo CD reads it, or `ferry.dev/compare-options`).
bool server_side_diff_enabled(const apis::Application& app);

// An Application or AppProject as Ferry stores it: argoproj.io ones (from git or the API) become
// ferry.dev ones, and they all live in Ferry's namespace `ns` (an Argo CD app-of-apps repo that
// holds its AppProjects works unchanged). Other objects pass unchanged.
nlohmann::json as_ferry_application(const nlohmann::json& object, const std::string& ns);

// The kinds (apiVersion, kind) an app's status lists, each once: where a comparison looks for
// live objects, and for objects to prune, when the worker's memory of the app is empty.
std::vector<std::pair<std::string, std::string>> kinds_in_status(const apis::ApplicationStatus& status);

}  // namespace ferry::controller
