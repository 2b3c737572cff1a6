#include "controller/controller.h"

#include <iostream>
#include <random>
#include <sstream>

#include "apis/types/crd.h"

namespace ferry::controller {

Controller::Controller(std::shared_ptr<kube::Client> client, std::shared_ptr<store::Store> store,
                       ControllerOptions options)
    : client_(std::move(client)), store_(std::move(store)), options_(std::move(options)) {
  cache_ = std::make_shared<kube::ClusterCache>(client_);
  live_ = reconciler::cache_live_view(client_, cache_);
  repos_ = std::make_unique<reconciler::RepoCache>(options_.data_dir + "/git");
  render_cache_ = std::make_unique<reconciler::RenderCache>();
  renderer_ = std::make_unique<reconciler::AppRenderer>(*repos_, *render_cache_,
                                                         reconciler::ToolSettings::from_environment());
  runner_ = std::make_unique<reconciler::SyncRunner>(client_);
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

Status Controller::start() {
  if (options_.register_crd) {
    Status crd = ensure_crd();
    if (!crd.ok()) return crd;
  }
  auto interrupted = store_->mark_interrupted_running();
  if (!interrupted.ok()) return interrupted.status();
  {
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
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { work_loop(); });
  return Status::Ok();
}

void Controller::stop() {
  if (stopping_.exchange(true)) return;
  cancel_.cancel();
  queue_.shut_down();
  for (auto& w : workers_) w.join();
  workers_.clear();
  if (apps_) apps_->stop();
  cache_->stop();
}

bool Controller::ready() const { return apps_ && apps_->synced(); }

void Controller::on_app_change(const kube::Change& change) {
  queue_.add(change.key.name);
  // A child's health and sync feed its parent's: look the parent up from the tracking id.
  if (auto parent = reconciler::tracked_app(change.object)) {
    if (*parent != change.key.name) queue_.add(*parent);
  }
}

Status Controller::request_sync(const std::string& name, const SyncRequest& request) {
  if (!apps_ || !apps_->get(options_.namespace_, name)) return Status::NotFound("application \"" + name + "\" not found");
  apis::SyncOperation sync;
  sync.revision = request.revision;
  sync.prune = request.prune;
  sync.dry_run = request.dry_run;
  for (const auto& r : request.resources) sync.resources.push_back({r.group, r.kind, r.name, r.namespace_});
  apis::Operation operation;
  operation.sync = sync;
  operation.initiated_by = {request.initiated_by, false};
  auto patched = client_->merge_patch({std::string(apis::kApiVersion), "Application", options_.namespace_, name},
                                      {{"operation", apis::to_json(operation)}});
  return patched.ok() ? Status::Ok() : patched.status();
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
      try {
        reconcile(*name);
      } catch (const std::exception& e) {
        // A bug must cost one app one pass, not the whole controller: log, back off, go on.
        std::cerr << "ferry controller: reconciling " << *name << " failed unexpectedly: " << e.what() << "\n";
        queue_.add_rate_limited(*name);
      }
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

std::string Controller::metrics_text() const {
  ControllerStats s = stats();
  std::ostringstream out;
  out << "# HELP ferry_applications Applications watched.\n# TYPE ferry_applications gauge\nferry_applications "
      << s.apps << "\n# HELP ferry_reconciles_total Reconciles done.\n# TYPE ferry_reconciles_total counter\n"
      << "ferry_reconciles_total " << s.reconciles
      << "\n# HELP ferry_syncs_total Sync operations run.\n# TYPE ferry_syncs_total counter\nferry_syncs_total " << s.syncs
      << "\n# HELP ferry_sync_failures_total Sync operations that did not succeed.\n# TYPE ferry_sync_failures_total counter\n"
      << "ferry_sync_failures_total " << s.sync_failures
      << "\n# HELP ferry_cached_objects Live objects in the watch cache.\n# TYPE ferry_cached_objects gauge\n"
      << "ferry_cached_objects " << s.cached_objects
      << "\n# HELP ferry_queue_depth Apps waiting for a worker.\n# TYPE ferry_queue_depth gauge\nferry_queue_depth "
      << s.queue_depth << "\n";
  return out.str();
}

}  // namespace ferry::controller
