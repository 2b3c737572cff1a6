// From an Application's spec.source to what the renderer needs (RenderSpec), refusing with a
// clear message the source kinds Ferry does not render (Helm repository charts, plugins,
// multiple sources) and noting the options it ignores. Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "apis/types/application.h"
#include "reconciler/render/render_spec.h"

namespace ferry::controller {

struct RenderPlan {
  reconciler::RenderSpec spec;
  std::vector<std::string> warnings;  // accepted but ignored options
};

Result<RenderPlan> render_plan_for(const apis::Application& app);

}  // namespace ferry::controller
