#include "controller/controller.h"

#include <iostream>
#include <random>
#include <sstream>

#include "apis/types/crd.h"
#include "apis/types/log.h"
#include "controller/app_views.h"
#include "controller/leases.h"
#include "reconciler/source/credentials.h"
#include "store/tokens.h"

namespace ferry::controller {

namespace {

// A Prometheus label value: backslash, quote and newline escaped.
std::string label(const std::string& value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return escaped;
}

// A string field of an object the user wrote, or `fallback` (absent, or not a string).
std::string text_or(const Json& object, const char* pointer, const std::string& fallback) {
  Json::json_pointer at(pointer);
  if (!object.is_object() || !object.contains(at) || !object.at(at).is_string()) return fallback;
  return object.at(at).get<std::string>();
}

// One app's ferry_app_info series.
std::string app_info_line(const std::string& app_namespace, const Json& app) {
  return "ferry_app_info{namespace=\"" + label(app_namespace) + "\",name=\"" +
         label(text_or(app, "/metadata/name", "")) + "\",project=\"" + label(apis::project_of(app)) +
         "\",repo=\"" + label(reconciler::redact(text_or(app, "/spec/source/repoURL", ""), {})) +
         "\",sync_status=\"" + label(text_or(app, "/status/sync/status", "Unknown")) +
         "\",health_status=\"" + label(text_or(app, "/status/health/status", "Unknown")) + "\"} 1\n";
}

}  // namespace

Controller::Controller(std::shared_ptr<kube::Client> client, std::shared_ptr<store::Store> store,
                       ControllerOptions options)
    : client_(std::move(client)), store_(std::move(store)), options_(std::move(options)) {
  app_info_lines_ = std::make_unique<AppViews<std::string>>(
      *this, [ns = options_.namespace_](Json app) { return std::optional(app_info_line(ns, app)); });
  kube::CacheOptions cache_options;
  cache_options.namespace_ = options_.resources_namespace;
  cache_ = std::make_shared<kube::ClusterCache>(client_, cache_options);
  // A managed object changed (our own apply landing in the cache, drift, a Deployment becoming
  // ready): its app is compared again now, not at the next resync.
  cache_->on_change([this](const kube::Change& change) {
    if (auto app = reconciler::tracked_app(change.object)) queue_.add(*app);
  });
  live_ = reconciler::cache_live_view(client_, cache_);
  repos_ = std::make_unique<reconciler::RepoCache>(options_.data_dir + "/git");
  render_cache_ = std::make_unique<reconciler::RenderCache>();
  renderer_ = std::make_unique<reconciler::AppRenderer>(*repos_, *render_cache_,
                                                         reconciler::ToolSettings::from_environment());
  runner_ = std::make_unique<reconciler::SyncRunner>(client_);
  predictor_ = std::make_unique<reconciler::ServerSidePredictor>(client_);
}

Controller::~Controller() { stop(); }

Status Controller::ensure_crd() {
  for (const Json& crd : {apis::application_crd(), apis::project_crd()}) {
    auto applied = client_->apply(crd, {"ferry", true, false});
    if (!applied.ok()) return Status(applied.status().reason(), "registering the CRD: " + applied.status().message());
  }
  // Wait until the API serves Applications (a fresh CRD takes a moment to be established).
  for (int i = 0; i < 100; ++i) {
    if (client_->resource_for(std::string(apis::kApiVersion), "Application").ok()) return Status::Ok();
    client_->invalidate_discovery();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::Unavailable("the API server does not serve " + std::string(apis::kApiVersion) + " Applications");
}

void Controller::use_leases(std::shared_ptr<ShardLeases> leases, std::function<void()> lost) {
  leases_ = std::move(leases);
  on_lease_lost_ = std::move(lost);
}

bool Controller::owns(const std::string& name) const { return !leases_ || leases_->owns_app(name); }

Status Controller::start() {
  if (options_.register_crd) {
    Status crd = ensure_crd();
    if (!crd.ok()) return crd;
  }
  if (!leases_) {  // with leases, each shard's cut-short operations are marked as it is acquired
    auto interrupted = store_->mark_interrupted_running();
    if (!interrupted.ok()) return interrupted.status();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& op : *interrupted) interrupted_[op.app] = op;
  }
  auto resource = client_->resource_for(std::string(apis::kApiVersion), "Application");
  if (!resource.ok()) return resource.status();
  kube::InformerOptions informer_options;
  informer_options.namespace_ = options_.namespace_;
  informer_options.label_selector = "";
  apps_ = std::make_unique<kube::Informer>(client_, *resource, informer_options);
  apps_->add_callback([this](const kube::Change& change) { on_app_change(change); });
  apps_->start();
  // Projects change rarely and every pass checks its app against one: watched, never fetched.
  if (auto projects = client_->resource_for(std::string(apis::kApiVersion), "AppProject"); projects.ok()) {
    projects_ = std::make_unique<kube::Informer>(client_, *projects, informer_options);
    projects_->add_callback([this](const kube::Change& change) { on_project_change(change); });
    projects_->start();
  } else {
    log::warn("AppProjects are not served; every app is checked against the built-in default project",
              {{"error", projects.status().to_string()}});
  }
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { work_loop(); });
  if (leases_) {
    ShardLeases::Callbacks callbacks;
    callbacks.acquired = [this](int shard) { adopt_shard(shard); };
    callbacks.busy = [this](int shard) { return shard_busy(shard); };
    callbacks.lost = on_lease_lost_;
    Status leased = leases_->start(std::move(callbacks));
    if (!leased.ok()) return leased;
  }
  return Status::Ok();
}

void Controller::adopt_shard(int shard) {
  // The shard's previous holder is gone (or handed it over idle): what it left Running was cut short.
  std::string prefix = options_.namespace_ + "/";
  auto interrupted = store_->mark_interrupted_running([&](const std::string& app) {
    return app.rfind(prefix, 0) == 0 && shard_of(app.substr(prefix.size()), leases_->shards()) == shard;
  });
  if (!interrupted.ok()) {
    log::error("marking a shard's interrupted operations failed",
               {{"shard", std::to_string(shard)}, {"error", interrupted.status().to_string()}});
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& op : *interrupted) interrupted_[op.app] = op;
  }
  for (const auto& [name, version] : application_versions()) {
    if (shard_of(name, leases_->shards()) == shard) queue_.add(name);
  }
}

bool Controller::shard_busy(int shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, cancel] : running_operations_) {
    if (shard_of(name, leases_->shards()) == shard) return true;
  }
  return false;
}

void Controller::stop() {
  if (stopping_.exchange(true)) return;
  cancel_.cancel();
  queue_.shut_down();
  for (auto& w : workers_) w.join();
  workers_.clear();
  if (leases_) leases_->stop();  // after the last operation: a successor may start at once
  if (apps_) apps_->stop();
  if (projects_) projects_->stop();
  cache_->stop();
}

bool Controller::ready() const { return apps_ && apps_->synced() && (!projects_ || projects_->synced()); }

void Controller::on_app_change(const kube::Change& change) {
  queue_.add(change.key.name);
  if (text_or(change.object, "/status/operationState/phase", "") == apis::kPhaseTerminating) {
    std::lock_guard<std::mutex> lock(mu_);  // asked of another replica: end it if it runs here
    if (auto it = running_operations_.find(change.key.name); it != running_operations_.end()) it->second->cancel();
  }
  if (leases_) note_finished_elsewhere(change.object);
  // A child's health and sync feed its parent's: look the parent up from the tracking id.
  if (auto parent = reconciler::tracked_app(change.object)) {
    if (*parent != change.key.name) queue_.add(*parent);
  }
  std::vector<std::function<void(const kube::Change&)>> listeners;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, listener] : listeners_) listeners.push_back(listener);
  }
  for (const auto& listener : listeners) listener(change);
}

void Controller::on_project_change(const kube::Change& change) {
  for (const auto& app : apps_->list(options_.namespace_)) {
    if (apis::project_of(app) == change.key.name) queue_.add(text_or(app, "/metadata/name", ""));
  }
}

Status Controller::terminate_operation(const std::string& name) {
  auto object = apps_ ? apps_->get(options_.namespace_, name) : std::nullopt;
  if (!object) return Status::NotFound("application \"" + name + "\" not found");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = running_operations_.find(name); it != running_operations_.end()) {
      it->second->cancel();
      return Status::Ok();
    }
  }
  if (owns(name) || text_or(*object, "/status/operationState/phase", "") != apis::kPhaseRunning) {
    return Status::Invalid("no operation is in progress for application \"" + name + "\"");
  }
  // Another replica runs it: say so on the Application, as Argo CD's API server does.
  Json updated = *object;
  updated["status"]["operationState"]["phase"] = std::string(apis::kPhaseTerminating);
  auto written = client_->update_status(updated, {"ferry", false});
  return written.ok() ? Status::Ok() : written.status();
}

Result<std::string> Controller::request_sync(const std::string& name, const SyncRequest& request) {
  return request_operation(name, request, {});
}

Result<std::string> Controller::request_operation(const std::string& name, const SyncRequest& request,
                                                  std::vector<apis::Info> extra_info) {
  auto object = apps_ ? apps_->get(options_.namespace_, name) : std::nullopt;
  if (!object) return Status::NotFound("application \"" + name + "\" not found");
  const Json& operation_field = object->contains("operation") ? (*object)["operation"] : Json();
  bool running = false;
  {
    // Not status.operationState.phase: the status may lag behind, or be left Running by a process
    // that died (the restart marks that operation Interrupted).
    std::lock_guard<std::mutex> lock(mu_);
    running = running_operations_.count(name) > 0;
  }
  if (operation_field.is_object() || running) {
    return Status::Conflict("another operation is already in progress for application \"" + name + "\"");
  }
  apis::SyncOperation sync;
  sync.revision = request.revision;
  sync.prune = request.prune;
  sync.dry_run = request.dry_run;
  sync.sync_options = request.sync_options;
  for (const auto& r : request.resources) sync.resources.push_back({r.group, r.kind, r.name, r.namespace_});
  auto request_id = store::generate_token();
  if (!request_id.ok()) return request_id.status();
  std::string id = request_id->substr(request_id->size() - 16);
  apis::Operation operation;
  operation.sync = sync;
  operation.initiated_by = {request.initiated_by, false};
  operation.info.push_back({std::string(kRequestIdInfo), id});
  for (auto& info : extra_info) operation.info.push_back(std::move(info));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (issued_requests_.size() > 10000) {  // a long-lived process: forget requests nobody waits on
      issued_requests_.clear();
      finished_requests_.clear();
      pending_requests_.clear();
    }
    issued_requests_.insert(id);
    pending_requests_.insert(id);
  }
  auto patched = client_->merge_patch(app_ref(name), {{"operation", apis::to_json(operation)}});
  if (!patched.ok()) return patched.status();
  return id;
}

Result<int64_t> Controller::wait_request(const std::string& request_id, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!issued_requests_.count(request_id)) return Status::NotFound("unknown request " + request_id);
  bool done = request_finished_.wait_for(lock, timeout, [&] { return finished_requests_.count(request_id) > 0; });
  if (!done) return Status(Reason::kTimeout, "the operation has not finished yet");
  return finished_requests_[request_id];
}

void Controller::finish_request(const std::vector<apis::Info>& info, int64_t id) {
  for (const auto& entry : info) {
    if (entry.name != kRequestIdInfo) continue;
    std::lock_guard<std::mutex> lock(mu_);
    finished_requests_[entry.value] = id;
    pending_requests_.erase(entry.value);
    request_finished_.notify_all();
  }
}

void Controller::note_finished_elsewhere(const Json& object) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_requests_.empty()) return;
  }
  const Json state = object.value("/status/operationState"_json_pointer, Json());
  if (!state.is_object()) return;
  std::string phase = state.value("phase", "");
  if (phase != apis::kPhaseSucceeded && phase != apis::kPhaseFailed && phase != apis::kPhaseError) return;
  std::string request_id;
  int64_t history_id = 0;
  for (const auto& entry : state.value("/operation/info"_json_pointer, Json::array())) {
    if (!entry.is_object()) continue;
    std::string name = entry.value("name", ""), value = entry.value("value", "");
    if (name == kRequestIdInfo) request_id = value;
    if (name == kHistoryIdInfo) history_id = std::strtoll(value.c_str(), nullptr, 10);
  }
  if (request_id.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (!pending_requests_.erase(request_id)) return;
  finished_requests_[request_id] = history_id;
  request_finished_.notify_all();
}

std::shared_ptr<Controller::AppMemory> Controller::memory(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = memory_[name];
  if (!slot) slot = std::make_shared<AppMemory>();
  return slot;
}

std::mutex& Controller::app_lock(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = app_locks_[name];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

void Controller::work_loop() {
  std::mt19937 random(std::random_device{}());
  while (auto name = queue_.get()) {
    {
      std::lock_guard<std::mutex> lock(app_lock(*name));
      auto began = std::chrono::steady_clock::now();
      try {
        reconcile(*name);
      } catch (const std::exception& e) {
        // A bug must cost one app one pass, not the whole controller: log, back off, go on.
        log::error("reconcile failed unexpectedly", {{"app", options_.namespace_ + "/" + *name},
                                                     {"revision", ""},
                                                     {"operation", ""},
                                                     {"error", e.what()}});
        queue_.add_rate_limited(*name);
      }
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      std::lock_guard<std::mutex> guard(mu_);
      reconcile_seconds_.observe(seconds);
    }
    ++reconciles_;
    queue_.done(*name);
    if (stopping_) continue;
    auto jitter = options_.resync_jitter.count() > 0
                      ? std::chrono::milliseconds(std::uniform_int_distribution<long>(0, options_.resync_jitter.count())(random))
                      : std::chrono::milliseconds(0);
    queue_.add_after(*name, options_.resync + jitter);
  }
}

Status Controller::refresh(const std::string& name, bool hard) {
  if (!apps_ || !apps_->get(options_.namespace_, name)) return Status::NotFound("application \"" + name + "\" not found");
  if (hard) memory(name)->hard_refresh = true;
  queue_.add(name);
  return Status::Ok();
}

ControllerStats Controller::stats() const {
  ControllerStats s;
  s.apps = apps_ ? apps_->size() : 0;
  s.reconciles = reconciles_;
  s.syncs = syncs_;
  s.sync_failures = sync_failures_;
  s.cached_objects = cache_->size();
  s.queue_depth = queue_.queued();
  return s;
}

void Histogram::observe(double value) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (value <= bounds[i]) ++counts[i];
  }
  ++count;
  sum += value;
}

std::string Controller::metrics_text() const {
  ControllerStats s = stats();
  std::ostringstream out;
  auto help = [&out](const char* name, const char* type, const char* text) {
    out << "# HELP " << name << " " << text << "\n# TYPE " << name << " " << type << "\n";
  };
  help("ferry_app_info", "gauge", "One series per Application, labelled with its sync and health status.");
  for (const auto& line : app_info_lines_->get()) out << *line;
  help("ferry_applications", "gauge", "Applications watched.");
  out << "ferry_applications " << s.apps << "\n";
  help("ferry_app_sync_total", "counter", "Sync and rollback operations by result.");
  out << "ferry_app_sync_total{phase=\"Succeeded\"} " << (s.syncs - s.sync_failures) << "\n"
      << "ferry_app_sync_total{phase=\"Failed\"} " << s.sync_failures << "\n";
  help("ferry_reconciles_total", "counter", "Reconciles done.");
  out << "ferry_reconciles_total " << s.reconciles << "\n";
  help("ferry_app_reconcile_seconds", "histogram", "Time to reconcile one app (render, compare, sync).");
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < reconcile_seconds_.bounds.size(); ++i) {
      out << "ferry_app_reconcile_seconds_bucket{le=\"" << reconcile_seconds_.bounds[i] << "\"} "
          << reconcile_seconds_.counts[i] << "\n";
    }
    out << "ferry_app_reconcile_seconds_bucket{le=\"+Inf\"} " << reconcile_seconds_.count << "\n"
        << "ferry_app_reconcile_seconds_sum " << reconcile_seconds_.sum << "\n"
        << "ferry_app_reconcile_seconds_count " << reconcile_seconds_.count << "\n";
  }
  help("ferry_kube_requests_total", "counter", "Kubernetes API requests by verb and HTTP code (0: no answer).");
  for (const auto& [key, count] : client_->request_counts()) {
    out << "ferry_kube_requests_total{verb=\"" << key.first << "\",code=\"" << key.second << "\"} " << count << "\n";
  }
  help("ferry_git_requests_total", "counter", "Git fetches (downloads) from remotes.");
  out << "ferry_git_requests_total{request=\"fetch\"} " << repos_->fetch_count() << "\n";
  help("ferry_cached_objects", "gauge", "Live objects in the watch cache.");
  out << "ferry_cached_objects " << s.cached_objects << "\n";
  help("ferry_workqueue_depth", "gauge", "Apps waiting for a worker.");
  out << "ferry_workqueue_depth " << s.queue_depth << "\n";
  if (leases_) out << leases_->metrics_text();
  return out.str();
}

}  // namespace ferry::controller
