// The controller's answers to the API and webhook surfaces: reading Applications from the watch,
// writing them through the Kubernetes API (the watch then brings the change back to the
// workers), and rendering + comparing on demand for diff and plan.
#include <algorithm>

#include "controller/app_source.h"
#include "controller/controller.h"
#include "controller/project_gate.h"
#include "reconciler/sync/plan.h"

namespace ferry::controller {

std::vector<Json> Controller::applications() const {
  if (!apps_) return {};
  auto items = apps_->list(options_.namespace_);
  std::sort(items.begin(), items.end(), [](const Json& a, const Json& b) {
    return a["metadata"].value("name", "") < b["metadata"].value("name", "");
  });
  return items;
}

void Controller::set_default_policy(reconciler::policy::PolicyConfig policy) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (default_policy_ == policy) return;
    default_policy_ = std::move(policy);
  }
  // Every app's verdict may change: look at all of them again.
  for (const auto& [name, version] : application_versions()) queue_.add(name);
}

reconciler::policy::PolicyConfig Controller::default_policy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return default_policy_;
}

std::vector<std::pair<std::string, std::string>> Controller::application_versions() const {
  if (!apps_) return {};
  return apps_->versions(options_.namespace_);
}

std::optional<Json> Controller::application(const std::string& name) const {
  if (!apps_) return std::nullopt;
  return apps_->get(options_.namespace_, name);
}

Result<Json> Controller::create_application(Json object, bool upsert) {
  if (!object.is_object()) return Status::Invalid("an Application must be a JSON object");
  if (object.value("kind", "Application") != "Application") {
    return Status::Invalid("kind: expected Application, got " + object.value("kind", ""));
  }
  if (!object.contains("apiVersion")) object["apiVersion"] = std::string(apis::kApiVersion);
  object["kind"] = "Application";
  if (!object.contains("metadata") || !object["metadata"].is_object()) return Status::Invalid("metadata: required");
  object = as_ferry_application(object, options_.namespace_);
  if (object.value("apiVersion", "") != apis::kApiVersion) {
    return Status::Invalid("apiVersion: expected " + std::string(apis::kApiVersion) + " or " +
                           std::string(apis::kArgoApiVersion));
  }
  object.erase("status");
  object.erase("operation");
  auto& meta = object["metadata"];
  for (const char* server_field : {"resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"}) {
    meta.erase(server_field);
  }
  auto parsed = apis::parse_application(object);
  if (!parsed.ok()) return parsed.status();
  Status valid = apis::validate_application(*parsed);
  if (!valid.ok()) return valid;
  if (Status admitted = admitted_by_project(*parsed); !admitted.ok()) return admitted;
  std::string name = parsed->metadata.name;
  if (auto existing = application(name)) {
    if (!upsert) return Status::AlreadyExists("application \"" + name + "\" already exists");
    return update_application(name, object);
  }
  auto created = client_->create(object);
  if (!created.ok() && created.status().is(Reason::kAlreadyExists) && upsert) return update_application(name, object);
  return created;
}

Result<Json> Controller::update_application(const std::string& name, Json object) {
  if (!object.is_object()) return Status::Invalid("an Application must be a JSON object");
  object = as_ferry_application(object, options_.namespace_);
  if (object.contains("metadata") && object["metadata"].contains("name") &&
      object["metadata"].value("name", "") != name) {
    return Status::Invalid("metadata.name: \"" + object["metadata"].value("name", "") + "\" does not match \"" +
                           name + "\"");
  }
  // Validate what it would become before writing anything.
  Json candidate = {{"apiVersion", std::string(apis::kApiVersion)},
                    {"kind", "Application"},
                    {"metadata", {{"name", name}, {"namespace", options_.namespace_}}},
                    {"spec", object.value("spec", Json::object())}};
  auto parsed = apis::parse_application(candidate);
  if (!parsed.ok()) return parsed.status();
  Status valid = apis::validate_application(*parsed);
  if (!valid.ok()) return valid;
  if (Status admitted = admitted_by_project(*parsed); !admitted.ok()) return admitted;
  // Read-modify-write with the resourceVersion: a conflicting writer makes us read again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto live = client_->get(app_ref(name));
    if (!live.ok()) {
      if (live.status().is(Reason::kNotFound)) return Status::NotFound("application \"" + name + "\" not found");
      return live.status();
    }
    Json updated = *live;
    updated["spec"] = candidate["spec"];
    const Json& meta = object.value("metadata", Json::object());
    for (const char* field : {"labels", "annotations"}) {
      if (meta.contains(field)) updated["metadata"][field] = meta[field];
    }
    auto written = client_->update(updated);
    if (written.ok() || !written.status().is(Reason::kConflict)) return written;
  }
  return Status::Conflict("application \"" + name + "\" kept changing; try again");
}

Status Controller::delete_application(const std::string& name, bool cascade) {
  auto ref = app_ref(name);
  auto live = client_->get(ref);
  if (!live.ok()) {
    return live.status().is(Reason::kNotFound) ? Status::NotFound("application \"" + name + "\" not found")
                                                : live.status();
  }
  // The resources finalizer decides whether the worker deletes the app's resources first.
  const Json current = live->value("/metadata/finalizers"_json_pointer, Json::array());
  Json finalizers = Json::array();
  bool has_resources_finalizer = false;
  for (const auto& f : current) {
    std::string value = f.is_string() ? f.get<std::string>() : "";
    bool resources = apis::ferry_finalizer(value) == apis::kResourcesFinalizer ||
                     value == apis::kResourcesFinalizerBackground;
    has_resources_finalizer = has_resources_finalizer || resources;
    if (!resources || cascade) finalizers.push_back(f);
  }
  if (cascade && !has_resources_finalizer) finalizers.push_back(std::string(apis::kResourcesFinalizer));
  if (finalizers != current) {
    auto patched = client_->merge_patch(ref, {{"metadata", {{"finalizers", finalizers}}}});
    if (!patched.ok()) return patched.status();
  }
  return client_->remove(ref, {});
}

Status Controller::admitted_by_project(const apis::Application& app) const {
  auto project = project_for(app);
  Status allowed = project.ok() ? allows_app(*project, app) : project.status();
  // Argo CD answers InvalidArgument here: the spec is what is wrong, not the caller's rights.
  return allowed.ok() ? allowed : Status::Invalid(allowed.message());
}

Result<std::vector<Json>> Controller::projects() const {
  std::vector<Json> out;
  if (projects_) {
    out = projects_->list(options_.namespace_);
  } else {
    auto listed = client_->list({std::string(apis::kApiVersion), "AppProject", options_.namespace_, ""});
    if (listed.ok()) {
      for (const auto& item : listed->value("items", Json::array())) out.push_back(item);
    } else if (!listed.status().is(Reason::kNotFound)) {
      return listed.status();
    }
  }
  bool has_default = std::any_of(out.begin(), out.end(), [](const Json& p) {
    return p["metadata"].value("name", "") == apis::kDefaultProject;
  });
  if (!has_default) {
    // Argo CD's implicit default project, the one the project gate enforces.
    apis::Project implicit = apis::default_project();
    implicit.metadata.namespace_ = options_.namespace_;
    out.insert(out.begin(), apis::to_json(implicit));
  }
  return out;
}

Result<AppComparison> Controller::compare_now(const std::string& name) {
  auto object = application(name);
  if (!object) return Status::NotFound("application \"" + name + "\" not found");
  auto app = apis::parse_application(*object);
  if (!app.ok()) return app.status();
  auto plan = render_plan_for(*app);
  if (!plan.ok()) return plan.status();
  auto rendered = render(*app, plan->spec, /*ask_git=*/false);
  if (!rendered.ok()) return rendered.status();
  auto status = apis::parse_application_status(object->value("status", Json()));
  auto kinds = status.ok() ? kinds_in_status(*status) : std::vector<std::pair<std::string, std::string>>{};
  auto compared = reconciler::compare(compare_request(*app, *rendered, kinds), *live_);
  if (!compared.ok()) return compared.status();
  return AppComparison{std::move(*app), rendered->commit, std::move(*compared)};
}

Result<std::vector<reconciler::Task>> Controller::plan_now(const std::string& name, bool prune) {
  auto compared = compare_now(name);
  if (!compared.ok()) return compared.status();
  return reconciler::make_plan(plan_request(compared->app, compared->comparison, prune, {}));
}

Result<reconciler::CommitInfo> Controller::commit_info(const std::string& name, const std::string& revision) {
  auto object = application(name);
  if (!object) return Status::NotFound("application \"" + name + "\" not found");
  std::string url = object->value("/spec/source/repoURL"_json_pointer, std::string());
  if (url.empty()) return Status::NotFound("application \"" + name + "\" has no spec.source.repoURL");
  return repos_->commit_info(url, revision);
}

void Controller::repo_pushed(const std::string& repo_url) {
  auto pushed = reconciler::parse_repo_url(repo_url);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = repo_refreshed_.begin(); it != repo_refreshed_.end();) {
    auto known = reconciler::parse_repo_url(it->first);
    bool same = pushed.ok() && known.ok() ? known->key == pushed->key : it->first == repo_url;
    it = same ? repo_refreshed_.erase(it) : std::next(it);
  }
}

int Controller::subscribe(std::function<void(const kube::Change&)> listener) {
  std::lock_guard<std::mutex> lock(mu_);
  int id = next_listener_++;
  listeners_[id] = std::move(listener);
  return id;
}

void Controller::unsubscribe(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.erase(id);
}

void Controller::set_credentials(std::function<reconciler::Credentials(const std::string& url)> provider) {
  std::lock_guard<std::mutex> lock(mu_);
  credentials_ = std::move(provider);
}

}  // namespace ferry::controller
