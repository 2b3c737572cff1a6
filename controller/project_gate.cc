#include "controller/project_gate.h"

namespace ferry::controller {

using Json = nlohmann::json;

std::string project_name(const apis::Application& app) {
  return app.spec.project.empty() ? std::string(apis::kDefaultProject) : app.spec.project;
}

Result<apis::Project> find_project(const apis::Application& app, const std::optional<Json>& stored) {
  const std::string name = project_name(app);
  if (stored) {
    auto project = apis::parse_project(*stored);
    if (!project.ok()) return Status::Invalid("project \"" + name + "\" is invalid: " + project.status().message());
    return project;
  }
  if (name == apis::kDefaultProject) return apis::default_project();
  return Status::NotFound("application references project \"" + name + "\", which does not exist");
}

Status allows_app(const apis::Project& project, const apis::Application& app) {
  Status source = apis::allows_source(project, app.spec.source.repo_url);
  if (!source.ok()) return source;
  return apis::allows_destination(project, app.spec.destination);
}

Status allows_resource(const apis::Project& project, const apis::Application& app, const kube::ObjectKey& key) {
  if (key.namespace_.empty()) return apis::allows_cluster_resource(project, key.group, key.kind);
  Status kind = apis::allows_namespaced_resource(project, key.group, key.kind);
  if (!kind.ok()) return kind;
  // The object's own namespace is a destination too: a chart may write outside the app's one.
  apis::ApplicationDestination destination = app.spec.destination;
  destination.namespace_ = key.namespace_;
  Status where = apis::allows_destination(project, destination);
  if (where.ok()) return where;
  return Status(Reason::kForbidden, "namespace \"" + key.namespace_ + "\" of " + key.kind + " " + key.name +
                                        " is not permitted in project \"" + project.metadata.name + "\"");
}

std::vector<reconciler::ResourceResult> refuse_unpermitted(const apis::Project& project, const apis::Application& app,
                                                            std::vector<reconciler::Task>& tasks) {
  std::vector<reconciler::ResourceResult> refused;
  for (auto& task : tasks) {
    if (task.action == reconciler::Action::kSkip) continue;
    Status allowed = allows_resource(project, app, task.key);
    if (allowed.ok()) continue;
    if (task.action == reconciler::Action::kPrune) {
      task.action = reconciler::Action::kSkip;
      task.reason = "not pruned: " + allowed.message();
      continue;
    }
    reconciler::ResourceResult result;
    result.key = task.key;
    result.api_version = task.object.value("apiVersion", "");
    result.phase = task.phase;
    result.wave = task.wave;
    result.action = task.action;
    result.status = "SyncFailed";
    result.message = allowed.message();
    refused.push_back(std::move(result));
  }
  return refused;
}

std::string refused_message(const apis::Project& project, size_t count) {
  return "one or more synchronization tasks are not valid: " + std::to_string(count) +
         (count == 1 ? " resource is" : " resources are") + " not permitted in project \"" + project.metadata.name +
         "\"; nothing was written";
}

}  // namespace ferry::controller
