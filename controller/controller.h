// Controller: keeps the Applications of one namespace in sync (DESIGN.md §2, §5, §8). It
// registers the CRD when missing, watches Applications, and for each one, on a work queue
// (one worker per app at a time): renders its source, compares with the live state from the
// watch cache, auto-syncs per policy (once per revision and spec; self-heal with backoff; retries
// with backoff), runs manual operations (the Application's `operation` field, as Argo CD's CLI
// writes it, or sync()/rollback() calls), journals every operation and the manifests it applied
// in the Store, and writes the status back only when it changed. App of apps: Applications
// rendered by a parent are applied like any resource (argoproj.io ones converted to ferry.dev);
// a child's change re-queues its parent, whose health and waves wait on its children.
// Thread-safe; owns its worker threads between start() and stop().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "apis/types/application.h"
#include "apis/types/application_status.h"
#include "apis/types/project.h"
#include "controller/work_queue.h"
#include "kube/cache/cluster_cache.h"
#include "kube/client/client.h"
#include "reconciler/policy/policy.h"
#include "reconciler/render/app_renderer.h"
#include "reconciler/sync/compare.h"
#include "reconciler/sync/runner.h"
#include "store/store.h"

namespace ferry::controller {

using Json = nlohmann::json;

template <class T>
class AppViews;     // controller/app_views.h
class ShardLeases;  // controller/leases.h

// The Operation info entry that carries a request_sync() id into operationState.
inline constexpr std::string_view kRequestIdInfo = "ferry.dev/request-id";
// The history ID of an operation, in its operationState's info (a replica that did not run it
// learns it from there).
inline constexpr std::string_view kHistoryIdInfo = "ferry.dev/history-id";
// In an `operation` field: roll back to this history ID (a rollback asked of a replica that does
// not own the app travels to its owner this way).
inline constexpr std::string_view kRollbackOfInfo = "ferry.dev/rollback-of";

struct ControllerOptions {
  std::string namespace_ = "ferry";  // where Applications live
  std::string data_dir = "/var/lib/ferry";
  int workers = 4;
  std::chrono::milliseconds resync = std::chrono::seconds(120);
  std::chrono::milliseconds resync_jitter = std::chrono::seconds(60);
  std::chrono::milliseconds self_heal_backoff = std::chrono::seconds(5);
  // A repo is asked for new commits at most this often, however many apps use it.
  std::chrono::milliseconds repo_refresh_interval = std::chrono::seconds(15);
  std::chrono::milliseconds health_timeout = std::chrono::minutes(5);  // per wave
  std::chrono::milliseconds poll_interval = std::chrono::seconds(1);   // health polls during a sync
  std::chrono::milliseconds wave_delay = std::chrono::seconds(1);
  bool register_crd = true;
  // "" = managed resources are watched in every namespace; else only in this one (an install
  // whose rights are a Role in one namespace).
  std::string resources_namespace;
};

// A manual sync request (API, CLI).
struct SyncRequest {
  std::string revision;  // "" = the app's target revision
  bool prune = false;
  bool dry_run = false;
  std::vector<kube::ObjectKey> resources;  // empty = all
  std::vector<std::string> sync_options;   // e.g. "CreateNamespace=true", on top of the app's
  std::string initiated_by = "admin";
};

// An app rendered and compared with the live state just now (what `ferry app diff` shows).
struct AppComparison {
  apis::Application app;
  std::string revision;  // the commit rendered
  reconciler::Comparison comparison;
};

struct ControllerStats {
  size_t apps = 0;
  uint64_t reconciles = 0;
  uint64_t syncs = 0;
  uint64_t sync_failures = 0;
  size_t cached_objects = 0;
  size_t queue_depth = 0;
};

// A Prometheus histogram of durations in seconds.
struct Histogram {
  std::vector<double> bounds{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  std::vector<uint64_t> counts = std::vector<uint64_t>(11, 0);
  uint64_t count = 0;
  double sum = 0;
  void observe(double value);
};

class Controller {
 public:
  Controller(std::shared_ptr<kube::Client> client, std::shared_ptr<store::Store> store, ControllerOptions options);
  ~Controller();  // stops
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Several replicas: reconcile only the apps of the shards `leases` holds. start() starts the
  // leases, stop() releases them once the workers are done. `lost` runs when a held shard could
  // not be renewed in time; the process should then stop. Call before start().
  void use_leases(std::shared_ptr<ShardLeases> leases, std::function<void()> lost);
  // True when this replica reconciles the app (always, without leases).
  bool owns(const std::string& name) const;

  // Registers the CRD when missing, marks operations a dead process left Running as
  // Interrupted (with leases: those of each shard as it is acquired), starts the Application
  // watch and the workers.
  Status start();
  // Stops taking work, lets running operations finish their current step, joins the workers.
  void stop();
  // True once the Application watch has synced.
  bool ready() const;

  // Queue a refresh (hard: bypass the render cache and ask git now).
  Status refresh(const std::string& name, bool hard = false);
  // Asks for a sync the way Argo CD's CLI does: by writing the Application's `operation` field,
  // which the app's worker runs and then clears (a restart mid-way runs it again). Returns a
  // request id for wait_request(). Conflict when an operation is already requested or running.
  Result<std::string> request_sync(const std::string& name, const SyncRequest& request);
  // The history ID of the operation request_sync() asked for, once it has finished; Timeout when
  // it has not finished within `timeout`, NotFound for an id this process never issued.
  Result<int64_t> wait_request(const std::string& request_id, std::chrono::milliseconds timeout);
  // Ends the app's running operation, as Argo CD's terminate-op: the step under way finishes,
  // nothing further is written, no SyncFail hook runs, and the operation ends Failed with
  // "Operation terminated". Works from any replica (the owner hears it from the Application:
  // operationState.phase Terminating). NotFound for an unknown app; Invalid when none is running.
  Status terminate_operation(const std::string& name);
  // Re-applies exactly the manifests of history ID `id`; auto-sync then waits for a new revision.
  // Runs in the caller's thread; `started` (optional) gets the new history ID as soon as the
  // operation is journalled. An app another replica owns is rolled back by that replica (through
  // the `operation` field); the call then waits for it, and `started` hears at the end.
  Result<int64_t> rollback(const std::string& name, int64_t id, bool prune, const std::string& initiated_by,
                           std::function<void(int64_t)> started = nullptr);

  // ---- For the API and webhook surfaces -----------------------------------------------------

  const std::string& app_namespace() const { return options_.namespace_; }
  // Applications as the watch holds them (whole objects, status included), sorted by name.
  std::vector<Json> applications() const;
  std::optional<Json> application(const std::string& name) const;
  // (name, resourceVersion) of every Application, by name, without reading the objects.
  std::vector<std::pair<std::string, std::string>> application_versions() const;
  // Creates (or with upsert replaces the spec, labels and annotations of) an Application; an
  // argoproj.io one is converted. Invalid naming the field when it does not validate;
  // AlreadyExists when present and !upsert.
  Result<Json> create_application(Json object, bool upsert);
  // Replaces the spec, labels and annotations of an existing Application.
  Result<Json> update_application(const std::string& name, Json object);
  // cascade: the app's resources are deleted first (the resources finalizer); otherwise they stay.
  Status delete_application(const std::string& name, bool cascade);
  // The AppProjects in the controller's namespace, with a `default` one when none is defined.
  Result<std::vector<Json>> projects() const;
  // Renders (from the mirror when fresh) and compares with the live state now.
  Result<AppComparison> compare_now(const std::string& name);
  // What a sync would do now, in order.
  Result<std::vector<reconciler::Task>> plan_now(const std::string& name, bool prune);
  // Author, date and message of a revision of the app's repository (from the mirror).
  Result<reconciler::CommitInfo> commit_info(const std::string& name, const std::string& revision);
  // A push reached this repository (webhook): the next render of its apps asks git first.
  void repo_pushed(const std::string& repo_url);
  // Calls `listener` after every Application change (from the watch thread) until unsubscribed.
  int subscribe(std::function<void(const kube::Change&)> listener);
  void unsubscribe(int id);
  // Repository credentials by URL (from the settings); asked before every fetch.
  void set_credentials(std::function<reconciler::Credentials(const std::string& url)> provider);
  // The policy gates' levels every app starts from (the settings' policy.gates); its own
  // spec.policy and ferry.dev/policy annotation win key by key.
  void set_default_policy(reconciler::policy::PolicyConfig policy);
  reconciler::policy::PolicyConfig default_policy() const;

  ControllerStats stats() const;
  std::string metrics_text() const;  // Prometheus exposition format

 private:
  // What the controller remembers about an app between passes (a restart rebuilds it from the
  // status and the store).
  struct AppMemory {
    std::vector<std::pair<std::string, std::string>> kinds;  // kinds it managed last time
    std::string auto_synced_key;  // (revision, spec) of the last auto-sync
    int self_heal_attempts = 0;
    std::chrono::steady_clock::time_point next_self_heal{};
    int retry_attempts = 0;
    std::chrono::steady_clock::time_point next_retry{};
    bool hard_refresh = false;
  };
  // A sync about to run: asked for (operation field) or automated.
  struct OperationRequest {
    std::string revision;
    bool prune = false;
    bool dry_run = false;
    std::set<kube::ObjectKey> only;
    std::vector<std::string> sync_options;  // the request's, over the app's own
    std::string refused;  // not empty: the policy gates refuse it, for this reason
    std::string initiated_by = "automated";
    bool clear_operation_field = false;
    std::string requested_revision;  // "" = the target revision
    std::vector<apis::Info> info;    // carried into operationState (the request id)
  };
  // What run_operation journals and carries out.
  struct OperationRun {
    std::string kind = "sync";
    std::string revision;
    std::string initiated_by = "automated";
    bool prune = false;
    bool dry_run = false;
    int64_t rollback_of = 0;
    std::string prune_propagation = "foreground";
    bool clear_operation_field = false;
    std::vector<apis::Info> info;
    std::function<void(int64_t)> started;
    std::vector<reconciler::Task> tasks;
    Status plan_error;  // not OK: the plan could not be made; recorded as an Error operation
    // Not empty: tasks the app's project does not allow; the operation fails before any write.
    std::vector<reconciler::ResourceResult> refused;
    std::string refused_message;
  };

  void work_loop();
  void reconcile(const std::string& name);
  Result<std::string> request_operation(const std::string& name, const SyncRequest& request,
                                        std::vector<apis::Info> extra_info);
  Result<int64_t> rollback_locked(const std::string& name, int64_t id, bool prune, const std::string& initiated_by,
                                  std::function<void(int64_t)> started, std::vector<apis::Info> info);
  // An operation asked for through the `operation` field to roll back (kRollbackOfInfo).
  void run_requested_rollback(const apis::Application& app, const apis::Operation& operation);
  // A request this process issued finished on another replica: its final operationState says so.
  void note_finished_elsewhere(const Json& object);
  void adopt_shard(int shard);
  bool shard_busy(int shard) const;
  void finalize(const apis::Application& app);
  // ask_git: ask the remote for new commits now; rerender: bypass the render cache (hard refresh).
  Result<reconciler::AppRenderResult> render(const apis::Application& app, const reconciler::RenderSpec& spec,
                                             bool ask_git, bool rerender = false, const std::string& revision = "");
  reconciler::CompareRequest compare_request(const apis::Application& app, const reconciler::AppRenderResult& rendered,
                                             const std::vector<std::pair<std::string, std::string>>& kinds) const;
  reconciler::PlanRequest plan_request(const apis::Application& app, const reconciler::Comparison& compared,
                                       bool prune, const std::set<kube::ObjectKey>& only);
  reconciler::RepoRequest repo_request(const std::string& url) const;
  void finish_request(const std::vector<apis::Info>& info, int64_t id);
  void fill_comparison_status(apis::ApplicationStatus& status, const apis::Application& app,
                              const reconciler::AppRenderResult& rendered, const reconciler::Comparison& compared);
  Result<int64_t> run_sync(const apis::Application& app, Json& object, apis::ApplicationStatus& status,
                           const reconciler::Comparison& compared, const OperationRequest& request);
  Result<int64_t> run_operation(const apis::Application& app, Json& object, apis::ApplicationStatus& status,
                                const OperationRun& run);
  // Writes `status` on the Application `object` and returns what the server stored. This replica
  // owns the status: a write that lost a race (another replica marking the operation Terminating,
  // say) is made again on the current object, so an operation's end is never lost. On failure
  // returns `object` unchanged.
  Json write_owned_status(const Json& object, const apis::ApplicationStatus& status);
  // The Application `name` in the controller's namespace, for reads and writes through client_.
  kube::ObjectRef app_ref(const std::string& name) const;
  Status ensure_crd();
  void on_app_change(const kube::Change& change);
  // The app's AppProject (the built-in default when none is stored by that name).
  Result<apis::Project> project_for(const apis::Application& app) const;
  // Refuses the tasks the app's project does not allow (project_gate.h) into `run`.
  void check_project(const apis::Application& app, OperationRun& run) const;
  void on_project_change(const kube::Change& change);
  // OK when the app's project exists and allows its repository and destination; else Invalid.
  Status admitted_by_project(const apis::Application& app) const;
  std::shared_ptr<AppMemory> memory(const std::string& name);
  std::mutex& app_lock(const std::string& name);

  std::shared_ptr<kube::Client> client_;
  std::shared_ptr<store::Store> store_;
  ControllerOptions options_;

  std::shared_ptr<kube::ClusterCache> cache_;      // managed objects (label-selected)
  std::unique_ptr<kube::Informer> apps_;           // Applications in options_.namespace_
  std::unique_ptr<kube::Informer> projects_;       // AppProjects there (null: not served)
  std::unique_ptr<reconciler::LiveView> live_;
  std::unique_ptr<reconciler::RepoCache> repos_;
  std::unique_ptr<reconciler::RenderCache> render_cache_;
  std::unique_ptr<reconciler::AppRenderer> renderer_;
  std::unique_ptr<reconciler::SyncRunner> runner_;
  std::unique_ptr<reconciler::ServerSidePredictor> predictor_;  // for apps with ServerSideDiff=true
  WorkQueue queue_;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<AppMemory>> memory_;  // guarded by mu_
  std::map<std::string, std::unique_ptr<std::mutex>> app_locks_;  // guarded by mu_
  // When each repo was last asked for new commits, and what revisions resolved to since then.
  struct RepoFreshness {
    std::chrono::steady_clock::time_point at;
    std::map<std::string, std::string> resolved;  // revision → commit
  };
  std::map<std::string, RepoFreshness> repo_refreshed_;  // by URL; guarded by mu_
  std::map<std::string, store::Operation> interrupted_;  // by app key; guarded by mu_
  Histogram reconcile_seconds_;                          // guarded by mu_
  std::map<std::string, int64_t> finished_requests_;     // request id → history id; guarded by mu_
  std::set<std::string> issued_requests_;                // guarded by mu_
  std::set<std::string> pending_requests_;               // issued, not finished; guarded by mu_
  // Apps whose operation runs here, with what ends it early; guarded by mu_.
  std::map<std::string, std::shared_ptr<kube::Cancellation>> running_operations_;
  std::condition_variable request_finished_;
  std::map<int, std::function<void(const kube::Change&)>> listeners_;  // guarded by mu_
  int next_listener_ = 1;                                              // guarded by mu_
  std::function<reconciler::Credentials(const std::string&)> credentials_;  // guarded by mu_
  std::unique_ptr<AppViews<std::string>> app_info_lines_;                   // ferry_app_info, per app
  reconciler::policy::PolicyConfig default_policy_;                         // guarded by mu_

  std::shared_ptr<ShardLeases> leases_;  // null: one replica owns every app
  std::function<void()> on_lease_lost_;

  std::vector<std::thread> workers_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> reconciles_{0}, syncs_{0}, sync_failures_{0};
  kube::Cancellation cancel_;  // ends running operations' waits on stop
};

}  // namespace ferry::controller
