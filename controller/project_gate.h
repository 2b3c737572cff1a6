// Projects (apis/types/project.h) as the controller enforces them, the way Argo CD does:
// - an app whose project does not exist, or does not allow its repository or destination, is
//   an invalid spec (InvalidSpecError) and never syncs;
// - a sync or rollback whose plan would write a kind, or into a namespace, that the project does
//   not allow fails before anything is written ("one or more synchronization tasks are not
//   valid"), each such resource SyncFailed with the reason;
// - a live object the project does not allow is never pruned (PruneSkipped with the reason), so
//   tightening a project cannot delete anything.
// Plain functions over values; any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apis/types/application.h"
#include "apis/types/project.h"
#include "reconciler/sync/plan.h"
#include "reconciler/sync/runner.h"

namespace ferry::controller {

// The name of the app's project ("default" when it names none).
std::string project_name(const apis::Application& app);

// The app's project from the AppProject object stored under project_name(app) (nullopt: none);
// the built-in `default` one when none is stored by that name. NotFound or Invalid (naming the
// project) otherwise.
Result<apis::Project> find_project(const apis::Application& app, const std::optional<nlohmann::json>& stored);

// OK when the project allows the app's repository and destination, else Forbidden saying which.
Status allows_app(const apis::Project& project, const apis::Application& app);

// OK when the project allows `app` to write the object `key` (its kind, and for a namespaced
// object its namespace as a destination), else Forbidden saying why.
Status allows_resource(const apis::Project& project, const apis::Application& app, const kube::ObjectKey& key);

// Checks a plan: writes (apply, create, replace, hook) the project does not allow come back as
// SyncFailed results; prunes of objects it does not allow become skips in `tasks`.
std::vector<reconciler::ResourceResult> refuse_unpermitted(const apis::Project& project, const apis::Application& app,
                                                            std::vector<reconciler::Task>& tasks);

// The operation message when refuse_unpermitted returned results.
std::string refused_message(const apis::Project& project, size_t count);

}  // namespace ferry::controller
