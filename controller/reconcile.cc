// Controller::reconcile and the operations it runs: one pass over one Application.
#include <openssl/sha.h>

#include <algorithm>
#include <optional>
#include <set>

#include "kube/machinery/group_version.h"
#include "apis/types/crd.h"
#include "apis/types/log.h"
#include "controller/app_source.h"
#include "controller/controller.h"
#include "controller/policy_gate.h"
#include "controller/project_gate.h"
#include "reconciler/sync/plan.h"

namespace ferry::controller {
namespace {

using Clock = std::chrono::steady_clock;
using reconciler::SyncState;

constexpr const char* kPinnedRevisionAnnotation = "ferry.dev/rollback-pinned-revision";

std::string now_rfc3339() { return apis::rfc3339(std::chrono::system_clock::now()); }

std::string short_hash(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 12; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string annotation(const apis::Application& app, const std::string& name) {
  auto it = app.metadata.annotations.find(name);
  return it == app.metadata.annotations.end() ? "" : it->second;
}

// The ledger spells phases as the engine does; an unfinished one cannot end an operation.
store::OperationPhase store_phase(reconciler::OperationPhase phase) {
  auto parsed = store::parse_phase(reconciler::operation_phase_name(phase));
  return parsed && store::is_final(*parsed) ? *parsed : store::OperationPhase::kError;
}

// One engine result as the Application status (and, field for field, the ledger) shows it.
apis::ResourceResult status_result(const reconciler::ResourceResult& r) {
  apis::ResourceResult out;
  out.group = r.key.group;
  out.version = kube::version_of(r.api_version);
  out.kind = r.key.kind;
  out.namespace_ = r.key.namespace_;
  out.name = r.key.name;
  out.status = r.status;
  out.message = r.message;
  out.hook_type = r.action == reconciler::Action::kHook ? reconciler::phase_name(r.phase) : "";
  out.hook_phase = r.hook_phase;
  out.sync_phase = reconciler::phase_name(r.phase);
  return out;
}

// The same result as the ledger records it (its manifest digest is added once stored).
store::ResourceResult ledger_result(const apis::ResourceResult& r) {
  return {r.group, r.version, r.kind, r.namespace_, r.name, r.status, r.message, r.sync_phase, r.hook_type,
          r.hook_phase, ""};
}

std::string source_type(reconciler::RendererKind kind) {
  switch (kind) {
    case reconciler::RendererKind::kHelm:
      return "Helm";
    case reconciler::RendererKind::kKustomize:
      return "Kustomize";
    default:
      return "Directory";
  }
}

reconciler::DiffOptions diff_options(const apis::Application& app) {
  reconciler::DiffOptions options;
  options.views_when_synced = false;
  for (const auto& d : app.spec.ignore_differences) {
    reconciler::IgnoreRule rule;
    rule.group = d.group;
    rule.kind = d.kind;
    rule.name = d.name;
    rule.namespace_ = d.namespace_;
    rule.json_pointers = d.json_pointers;
    rule.managed_fields_managers = d.managed_fields_managers;
    options.ignore.push_back(std::move(rule));
  }
  return options;
}

void collect_images(const Json& node, std::set<std::string>& images) {
  if (node.is_object()) {
    for (const char* list : {"containers", "initContainers"}) {
      auto it = node.find(list);
      if (it == node.end() || !it->is_array()) continue;
      for (const auto& c : *it) {
        if (c.is_object() && c.contains("image") && c["image"].is_string()) images.insert(c["image"].get<std::string>());
      }
    }
    for (const auto& [key, value] : node.items()) {
      if (key != "status" && key != "metadata") collect_images(value, images);
    }
  } else if (node.is_array()) {
    for (const auto& v : node) collect_images(v, images);
  }
}

// The status without the fields that change on every pass, to decide whether to write.
Json comparable(Json status) {
  status.erase("reconciledAt");
  return status;
}

}  // namespace

void Controller::reconcile(const std::string& name) {
  auto object = apps_->get(options_.namespace_, name);
  if (!object || !owns(name)) {  // gone, or another replica's (its memory goes with it)
    std::lock_guard<std::mutex> lock(mu_);
    memory_.erase(name);
    return;
  }
  if (projects_ && !projects_->synced()) {  // an unknown project is not a missing one
    queue_.add_after(name, std::chrono::milliseconds(100));
    return;
  }
  auto mem = memory(name);
  auto parsed_status = apis::parse_application_status(object->value("status", Json()));
  apis::ApplicationStatus status = parsed_status.ok() ? *parsed_status : apis::ApplicationStatus{};
  const Json old_status = object->value("status", Json::object());
  if (mem->kinds.empty()) mem->kinds = kinds_in_status(status);
  auto write_status = [&]() {
    Json fresh = apis::to_json(status);
    if (comparable(fresh) == comparable(old_status)) return;
    fresh["reconciledAt"] = now_rfc3339();
    Json updated = *object;
    updated["status"] = fresh;
    auto written = client_->update_status(updated, {"ferry", false});
    if (!written.ok() && written.status().is(Reason::kConflict)) queue_.add_after(name, std::chrono::milliseconds(200));
  };
  auto fail = [&](std::string_view type, const std::string& message) {
    bool known = false;
    for (const auto& c : status.conditions) known = known || (c.type == type && c.message == message);
    if (!known) {  // once per new problem, not on every pass
      log::warn(message, {{"app", options_.namespace_ + "/" + name}, {"revision", status.sync.revision},
                          {"operation", ""}, {"condition", std::string(type)}});
    }
    apis::set_condition(status.conditions, {std::string(type), message, now_rfc3339()});
    if (type == apis::kConditionComparisonError || type == apis::kConditionInvalidSpecError) {
      status.sync.status = std::string(apis::kSyncUnknown);
    }
    write_status();
  };

  auto parsed = apis::parse_application(*object);
  if (!parsed.ok()) return fail(apis::kConditionInvalidSpecError, parsed.status().message());
  const apis::Application& app = *parsed;

  if (app.metadata.being_deleted()) return finalize(app);
  // The operation field, parsed once: a rollback request runs here, a sync request further down.
  std::optional<Result<apis::Operation>> requested;
  if (app.raw_operation.is_object()) {
    requested = apis::parse_operation(app.raw_operation);
    if (requested->ok()) {
      for (const auto& info : (*requested)->info) {
        if (info.name == kRollbackOfInfo) return run_requested_rollback(app, **requested);
      }
    }
  }

  // Refresh requests by annotation: handled here, then removed.
  for (const char* key : {apis::kRefreshAnnotation.data(), "argocd.argoproj.io/refresh"}) {
    std::string value = annotation(app, key);
    if (value.empty()) continue;
    if (value == "hard") mem->hard_refresh = true;
    auto patched = client_->merge_patch(app_ref(name), {{"metadata", {{"annotations", {{key, nullptr}}}}}});
    if (patched.ok()) *object = std::move(*patched);  // the status write below then needs no retry
  }

  auto invalid = apis::validate_application(app);
  if (!invalid.ok()) return fail(apis::kConditionInvalidSpecError, invalid.message());
  if (!app.spec.destination.server.empty() && !apis::targets_local_cluster(app)) {
    return fail(apis::kConditionInvalidSpecError,
                "spec.destination.server " + app.spec.destination.server +
                    ": Ferry deploys to the cluster it runs in (https://kubernetes.default.svc)");
  }

  auto project = project_for(app);
  if (!project.ok()) return fail(apis::kConditionInvalidSpecError, project.status().message());
  if (Status allowed = allows_app(*project, app); !allowed.ok()) {
    return fail(apis::kConditionInvalidSpecError, allowed.message());
  }
  // Only now: fail() logs a problem once, when its condition is not already there.
  apis::remove_condition(status.conditions, apis::kConditionInvalidSpecError);

  // App of apps: refuse to run an app that is its own ancestor.
  {
    std::string cursor = name;
    for (int depth = 0; depth < 64; ++depth) {
      auto current = apps_->get(options_.namespace_, cursor);
      auto parent = current ? reconciler::tracked_app(*current) : std::nullopt;
      if (!parent) break;
      if (*parent == name) {
        return fail(apis::kConditionCyclicDependencyError,
                    "application " + name + " is its own ancestor through " + cursor + "; breaking the cycle");
      }
      cursor = *parent;
    }
    apis::remove_condition(status.conditions, apis::kConditionCyclicDependencyError);
  }

  // Render.
  auto plan = render_plan_for(app);
  if (!plan.ok()) return fail(apis::kConditionComparisonError, plan.status().message());
  // A requested operation asks git first, as Argo CD resolves the revision when a sync starts:
  // `ferry app sync` right after a push must deploy that push.
  bool operation_requested = app.raw_operation.is_object();
  auto rendered = render(app, plan->spec, mem->hard_refresh || operation_requested, mem->hard_refresh);
  mem->hard_refresh = false;
  if (!rendered.ok()) return fail(apis::kConditionComparisonError, rendered.status().message());

  // Compare.
  reconciler::CompareRequest request = compare_request(app, *rendered, mem->kinds);
  auto compared = reconciler::compare(request, *live_);
  if (!compared.ok()) return fail(apis::kConditionComparisonError, compared.status().message());
  mem->kinds = compared->kinds;
  apis::remove_condition(status.conditions, apis::kConditionComparisonError);
  std::string warnings;
  for (const auto& w : plan->warnings) warnings += (warnings.empty() ? "" : "; ") + w;
  for (const auto& w : compared->warnings) warnings += (warnings.empty() ? "" : "; ") + w;
  if (warnings.empty()) {
    apis::remove_condition(status.conditions, apis::kConditionSharedResourceWarning);
  } else {
    apis::set_condition(status.conditions, {std::string(apis::kConditionSharedResourceWarning), warnings, now_rfc3339()});
  }

  fill_comparison_status(status, app, *rendered, *compared);
  GateVerdict gate = apply_policy_gates(app, rendered->output->objects, default_policy(), status, now_rfc3339());

  // Operations: a requested one (the `operation` field), else auto-sync per policy.
  auto options = apis::sync_policy_options(app);
  std::string pinned = annotation(app, kPinnedRevisionAnnotation);
  if (!pinned.empty() && pinned != rendered->commit) {
    // A new revision arrived after a rollback: auto-sync may follow git again.
    auto patched = client_->merge_patch(app_ref(name),
                                        {{"metadata", {{"annotations", {{kPinnedRevisionAnnotation, nullptr}}}}}});
    if (patched.ok()) *object = std::move(*patched);
    apis::remove_condition(status.conditions, apis::kConditionRollbackPinned);
    pinned.clear();
  }

  std::optional<OperationRequest> op;
  if (requested) {
    OperationRequest r;
    if (requested->ok()) {
      const apis::Operation& operation = **requested;
      if (operation.sync) {
        r.prune = operation.sync->prune;
        r.dry_run = operation.sync->dry_run;
        r.requested_revision = operation.sync->revision;
        r.initiated_by = operation.initiated_by.username.empty() ? "admin" : operation.initiated_by.username;
        for (const auto& res : operation.sync->resources) r.only.insert({res.group, res.kind, res.namespace_, res.name});
        r.sync_options = operation.sync->sync_options;
      }
      r.info = operation.info;
    }
    r.clear_operation_field = true;
    if (gate.denied) r.refused = gate.reason;  // journalled as an Error operation that says why
    op = r;
  } else if (options.automated && compared->sync == SyncState::kOutOfSync && pinned.empty() && !gate.denied) {
    std::string key = rendered->commit + ":" + short_hash(app.raw_spec.dump());
    // After a restart the memory is empty: the status tells whether this revision and source were
    // already synced (Argo CD's "already attempted"), so drift is left alone without self-heal.
    // An operation still Running in the status was cut short (its process died): not attempted.
    const auto& last = status.operation_state;
    if (mem->auto_synced_key.empty() && last && last->sync_result && last->phase != apis::kPhaseRunning &&
        last->phase != apis::kPhaseTerminating &&
        last->sync_result->revision == rendered->commit &&
        last->sync_result->source == apis::source_to_json(app.spec.source)) {
      mem->auto_synced_key = key;
    }
    auto now = Clock::now();
    bool first_for_revision = key != mem->auto_synced_key;
    bool retry_due = mem->retry_attempts > 0 && now >= mem->next_retry;
    bool heal_due = options.self_heal && now >= mem->next_self_heal;
    if (first_for_revision || retry_due || heal_due) {
      OperationRequest r;
      r.prune = options.prune;
      r.initiated_by = store::kInitiatedAutomated;
      if (first_for_revision) {
        mem->retry_attempts = 0;
        mem->self_heal_attempts = 0;
      } else if (!retry_due) {
        // Self-heal: drift on a revision already synced; back off 5 s, 10 s, 20 s ... up to 5 min.
        ++mem->self_heal_attempts;
        auto delay = options_.self_heal_backoff * (1 << std::min(mem->self_heal_attempts - 1, 6));
        mem->next_self_heal = now + std::min<std::chrono::milliseconds>(delay, std::chrono::minutes(5));
      }
      mem->auto_synced_key = key;
      op = r;
    } else if (options.self_heal) {
      queue_.add_after(name, std::chrono::duration_cast<std::chrono::milliseconds>(mem->next_self_heal - now));
    }
  }
  if (!pinned.empty()) {
    apis::set_condition(status.conditions, {std::string(apis::kConditionRollbackPinned),
                                            "rolled back: auto-sync waits for a revision newer than " + pinned,
                                            now_rfc3339()});
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = interrupted_.find(app.key());
    if (it != interrupted_.end()) {
      apis::set_condition(status.conditions, {std::string(apis::kConditionSyncError),
                                              "operation " + std::to_string(it->second.id) +
                                                  " was interrupted by a controller restart",
                                              now_rfc3339()});
      interrupted_.erase(it);
      mem->auto_synced_key.clear();  // an automated app retries it
    }
  }

  if (op) {
    op->revision = rendered->commit;
    // A sync to another revision than the target (`sync --revision`): render and compare that one.
    std::optional<reconciler::Comparison> other;
    if (!op->requested_revision.empty() && op->requested_revision != rendered->commit) {
      auto at = render(app, plan->spec, false, false, op->requested_revision);
      Result<reconciler::Comparison> compared_at =
          at.ok() ? reconciler::compare(compare_request(app, *at, mem->kinds), *live_)
                  : Result<reconciler::Comparison>(at.status());
      if (!compared_at.ok()) {
        if (op->clear_operation_field) {
          auto cleared = client_->merge_patch(app_ref(name), {{"operation", nullptr}});
          if (cleared.ok()) *object = std::move(*cleared);
        }
        finish_request(op->info, 0);
        return fail(apis::kConditionSyncError,
                    "revision " + op->requested_revision + ": " + compared_at.status().message());
      }
      op->revision = at->commit;
      other = std::move(*compared_at);
    }
    auto ran = run_sync(app, *object, status, other ? *other : *compared, *op);
    bool failed = !ran.ok() || status.operation_state->phase != apis::kPhaseSucceeded;
    if (op->initiated_by == store::kInitiatedAutomated) {
      if (failed && (options.retry_limit < 0 || mem->retry_attempts < options.retry_limit) && options.retry) {
        auto delay = apis::retry_delay(options, mem->retry_attempts);
        ++mem->retry_attempts;
        mem->next_retry = Clock::now() + delay;
        queue_.add_after(name, delay);
      } else if (!failed) {
        mem->retry_attempts = 0;
      }
    }
    if (failed) {
      apis::set_condition(status.conditions, {std::string(apis::kConditionSyncError),
                                              ran.ok() ? status.operation_state->message : ran.status().message(),
                                              now_rfc3339()});
    } else {
      apis::remove_condition(status.conditions, apis::kConditionSyncError);
    }
    // What the cluster looks like now.
    auto after = reconciler::compare(request, *live_);
    if (after.ok()) fill_comparison_status(status, app, *rendered, *after);
  }
  write_status();
}

void Controller::fill_comparison_status(apis::ApplicationStatus& status, const apis::Application& app,
                                        const reconciler::AppRenderResult& rendered,
                                        const reconciler::Comparison& compared) {
  status.sync.status = compared.sync == SyncState::kSynced ? std::string(apis::kSyncSynced)
                                                           : std::string(apis::kSyncOutOfSync);
  status.sync.revision = rendered.commit;
  status.sync.compared_to = apis::compared_to(app);
  status.health = {reconciler::health_status_name(compared.health.status), compared.health.message};
  status.source_type = source_type(rendered.output->kind);
  status.resources.clear();
  for (const auto& r : compared.resources) {
    apis::ResourceStatus rs;
    rs.group = r.key.group;
    rs.version = kube::version_of(r.api_version);
    rs.kind = r.key.kind;
    rs.namespace_ = r.key.namespace_;
    rs.name = r.key.name;
    rs.status = r.state == SyncState::kSynced ? std::string(apis::kSyncSynced) : std::string(apis::kSyncOutOfSync);
    rs.requires_pruning = r.state == SyncState::kRequiresPruning;
    rs.health = apis::HealthStatus{reconciler::health_status_name(r.health.status), r.health.message};
    status.resources.push_back(std::move(rs));
  }
  std::set<std::string> images;
  for (const auto& o : compared.desired) collect_images(o.value("spec", Json::object()), images);
  status.summary.images.assign(images.begin(), images.end());
}

reconciler::RepoRequest Controller::repo_request(const std::string& url) const {
  reconciler::RepoRequest request{url, {}};
  std::lock_guard<std::mutex> lock(mu_);
  if (credentials_) request.credentials = credentials_(url);
  return request;
}

Result<reconciler::AppRenderResult> Controller::render(const apis::Application& app, const reconciler::RenderSpec& spec,
                                                        bool ask_git, bool rerender,
                                                        const std::string& revision_override) {
  const std::string& url = app.spec.source.repo_url;
  const std::string& revision = revision_override.empty() ? app.spec.source.target_revision : revision_override;
  bool fresh_enough = false;
  Clock::time_point refreshed_at{};
  std::string known;  // the commit `revision` resolved to since that refresh
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = repo_refreshed_.find(url);
    fresh_enough = !ask_git && it != repo_refreshed_.end() && Clock::now() - it->second.at < options_.repo_refresh_interval;
    if (fresh_enough) {
      refreshed_at = it->second.at;
      if (auto r = it->second.resolved.find(revision); r != it->second.resolved.end()) known = r->second;
    }
  }
  if (fresh_enough) {
    // Another app refreshed this repo moments ago: render from the mirror, no network. Only a
    // refresh moves the mirror's refs, so a revision resolved since the last one is remembered
    // (opening the mirror on every pass of every app was most of an idle pass).
    auto commit = known.empty() ? repos_->resolve(url, revision) : Result<std::string>(known);
    if (commit.ok()) {
      if (known.empty()) {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = repo_refreshed_.find(url);
        if (it != repo_refreshed_.end() && it->second.at == refreshed_at) it->second.resolved[revision] = *commit;
      }
      return renderer_->render_commit(url, *commit, spec, rerender);
    }
  }
  auto rendered = renderer_->render(repo_request(url), revision, spec, rerender);
  if (rendered.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    repo_refreshed_[url] = {Clock::now(), {{revision, rendered->commit}}};
  }
  return rendered;
}

reconciler::CompareRequest Controller::compare_request(
    const apis::Application& app, const reconciler::AppRenderResult& rendered,
    const std::vector<std::pair<std::string, std::string>>& kinds) const {
  reconciler::CompareRequest request;
  request.app = app.metadata.name;
  request.destination_namespace = app.spec.destination.namespace_.empty() ? "default" : app.spec.destination.namespace_;
  for (const auto& o : rendered.output->objects) request.rendered.push_back(as_ferry_application(o, options_.namespace_));
  request.previous_kinds = kinds;
  request.diff = diff_options(app);
  if (server_side_diff_enabled(app)) request.server_side = predictor_.get();
  return request;
}

reconciler::PlanRequest Controller::plan_request(const apis::Application& app, const reconciler::Comparison& compared,
                                                 bool prune, const std::set<kube::ObjectKey>& only) {
  auto options = apis::sync_policy_options(app);
  reconciler::PlanRequest out;
  out.app = app.metadata.name;
  out.desired = compared.desired;
  if (options.respect_ignore_differences) {
    auto diff = diff_options(app);
    for (auto& d : out.desired) {
      auto live = live_->get(d.value("apiVersion", ""), kube::ObjectKey::of(d));
      if (live.ok() && *live) d = reconciler::respect_ignore_differences(d, **live, diff);
    }
  }
  out.live = compared.live;
  for (const auto& r : compared.resources) out.states[r.key] = r.state;
  out.prune = prune;
  out.apply_out_of_sync_only = options.apply_out_of_sync_only;
  out.replace = options.replace;
  out.prune_last = options.prune_last;
  out.allow_empty = options.allow_empty;
  out.only = only;
  if (options.create_namespace && !app.spec.destination.namespace_.empty()) {
    out.create_namespace = app.spec.destination.namespace_;
    Json meta = Json::object();
    if (!options.managed_namespace_metadata.labels.empty()) meta["labels"] = options.managed_namespace_metadata.labels;
    if (!options.managed_namespace_metadata.annotations.empty())
      meta["annotations"] = options.managed_namespace_metadata.annotations;
    out.namespace_metadata = meta;
  }
  return out;
}

Result<int64_t> Controller::run_sync(const apis::Application& app, Json& object, apis::ApplicationStatus& status,
                                     const reconciler::Comparison& compared, const OperationRequest& request) {
  // The request's sync options come after the app's, so a later "Key=value" wins.
  apis::Application with_request_options = app;
  auto& sync_options = with_request_options.spec.sync_policy.sync_options;
  sync_options.insert(sync_options.end(), request.sync_options.begin(), request.sync_options.end());
  auto options = apis::sync_policy_options(with_request_options);
  auto plan_request = this->plan_request(with_request_options, compared, request.prune, request.only);
  auto tasks = reconciler::make_plan(plan_request);
  OperationRun run;
  run.kind = store::kKindSync;
  run.revision = request.revision;
  run.initiated_by = request.initiated_by;
  run.prune = request.prune;
  run.dry_run = request.dry_run;
  run.prune_propagation = options.prune_propagation_policy;
  run.clear_operation_field = request.clear_operation_field;
  run.info = request.info;
  if (!request.refused.empty()) {
    run.plan_error = Status::Invalid(request.refused);
  } else if (!tasks.ok()) {
    run.plan_error = tasks.status();
  } else {
    run.tasks = std::move(*tasks);
    check_project(app, run);
  }
  return run_operation(app, object, status, run);
}

Result<apis::Project> Controller::project_for(const apis::Application& app) const {
  // One lookup by name: a pass reads and parses only its own app's project.
  return find_project(app, projects_ ? projects_->get(options_.namespace_, project_name(app)) : std::nullopt);
}

void Controller::check_project(const apis::Application& app, OperationRun& run) const {
  auto project = project_for(app);
  if (!project.ok()) {
    run.plan_error = project.status();
    return;
  }
  run.refused = refuse_unpermitted(*project, app, run.tasks);
  if (!run.refused.empty()) run.refused_message = refused_message(*project, run.refused.size());
}

Result<int64_t> Controller::run_operation(const apis::Application& app, Json& object,
                                          apis::ApplicationStatus& status, const OperationRun& run) {
  store::OperationStart start;
  start.app = app.key();
  start.project = app.spec.project;
  start.kind = run.kind;
  start.revision = run.revision;
  start.source = apis::source_to_json(app.spec.source);
  start.initiated_by = run.initiated_by;
  start.dry_run = run.dry_run;
  start.prune = run.prune;
  start.rollback_of = run.rollback_of;
  auto id = store_->begin_operation(start);  // journalled before anything touches the cluster
  if (!id.ok()) {
    finish_request(run.info, 0);
    return id.status();
  }
  ++syncs_;
  auto terminate = std::make_shared<kube::Cancellation>();
  const int stop_ends_it = cancel_.on_cancel([terminate] { terminate->cancel(); });
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_operations_[app.metadata.name] = terminate;
  }
  log::info(run.kind + " started", {{"app", app.key()}, {"revision", run.revision}, {"operation", std::to_string(*id)},
                                    {"initiated_by", run.initiated_by}, {"dry_run", run.dry_run ? "true" : "false"}});
  if (run.started) run.started(*id);

  apis::OperationState state;
  apis::SyncOperation sync_op;
  sync_op.revision = run.revision;
  sync_op.prune = run.prune;
  sync_op.dry_run = run.dry_run;
  state.operation.sync = sync_op;
  state.operation.initiated_by = {run.initiated_by == store::kInitiatedAutomated ? "" : run.initiated_by,
                                  run.initiated_by == store::kInitiatedAutomated};
  state.operation.info = run.info;
  state.operation.info.push_back({std::string(kHistoryIdInfo), std::to_string(*id)});
  state.phase = std::string(apis::kPhaseRunning);
  state.message = "sync in progress";
  state.started_at = now_rfc3339();
  state.sync_result = apis::SyncOperationResult{};
  state.sync_result->revision = run.revision;
  state.sync_result->source = apis::source_to_json(app.spec.source);

  // The operation is shown on the Application while it runs (phase Running and the results so
  // far, as Argo CD does), so the UI and `ferry app wait` see progress. `object` follows every
  // write, so the pass's final status write does not conflict with these.
  auto show_progress = [&] {
    apis::ApplicationStatus shown = status;
    shown.operation_state = state;
    object = write_owned_status(object, shown);
  };
  show_progress();

  reconciler::SyncResult result;
  if (!run.plan_error.ok()) {
    result.phase = reconciler::OperationPhase::kError;
    result.message = run.plan_error.message();
  } else if (!run.refused.empty()) {
    result.phase = reconciler::OperationPhase::kFailed;
    result.message = run.refused_message;
    result.resources = run.refused;
    std::vector<store::ResourceResult> refused;
    for (const auto& r : run.refused) refused.push_back(ledger_result(status_result(r)));
    (void)store_->record_resource_results(*id, refused);
  } else {
    // Results reach the ledger in batches (one transaction each) and the status at most once a
    // second; both are flushed again when the run ends.
    const int64_t op_id = *id;
    std::vector<store::ResourceResult> pending;
    std::vector<Json> pending_manifests;  // applied objects, by index into `pending` (null: none)
    auto flush_ledger = [&] {
      std::vector<Json> applied;
      for (const auto& m : pending_manifests) {
        if (m.is_object()) applied.push_back(m);
      }
      std::vector<std::string> digests;
      if (!applied.empty()) {
        auto stored = store_->store_manifests(op_id, applied);
        if (stored.ok()) digests = std::move(*stored);
      }
      for (size_t i = 0, next = 0; i < pending.size(); ++i) {
        if (!pending_manifests[i].is_object()) continue;
        if (next < digests.size()) pending[i].manifest_digest = digests[next];
        ++next;
      }
      if (!pending.empty()) (void)store_->record_resource_results(op_id, pending);
      pending.clear();
      pending_manifests.clear();
    };
    auto last_flush = Clock::now();
    auto last_progress = Clock::now();
    reconciler::RunOptions options;
    options.dry_run = run.dry_run;
    options.prune_propagation = run.prune_propagation;
    options.health_timeout = options_.health_timeout;
    options.poll_interval = options_.poll_interval;
    options.wave_delay = options_.wave_delay;
    options.cancel = terminate.get();
    options.on_result = [&](const reconciler::ResourceResult& r) {  // serialised by the runner
      apis::ResourceResult shown = status_result(r);
      pending.push_back(ledger_result(shown));
      pending_manifests.push_back(r.applied.is_object() ? r.applied : Json());
      state.sync_result->resources.push_back(std::move(shown));
      auto now = Clock::now();
      if (pending.size() >= 64 || now - last_flush >= std::chrono::milliseconds(250)) {
        flush_ledger();
        last_flush = now;
      }
      if (now - last_progress >= std::chrono::seconds(1)) {
        show_progress();
        last_progress = Clock::now();
      }
    };
    options.on_wave_written = [&] {
      flush_ledger();
      last_flush = Clock::now();
      show_progress();
      last_progress = Clock::now();
    };
    result = runner_->run(run.tasks, options);
    flush_ledger();
  }
  if (result.phase != reconciler::OperationPhase::kSucceeded) ++sync_failures_;
  Status journalled = store_->finish_operation(*id, store_phase(result.phase), result.message);
  log::write(result.phase == reconciler::OperationPhase::kSucceeded ? log::Level::kInfo : log::Level::kWarn,
             run.kind + " finished", {{"app", app.key()}, {"revision", run.revision}, {"operation", std::to_string(*id)},
                                      {"phase", reconciler::operation_phase_name(result.phase)},
                                      {"message", result.message}});
  if (!journalled.ok()) {
    log::error("journalling the end of an operation failed", {{"app", app.key()}, {"revision", run.revision},
                                                              {"operation", std::to_string(*id)},
                                                              {"error", journalled.to_string()}});
  }
  (void)store_->prune_history(app.key());

  state.phase = reconciler::operation_phase_name(result.phase);
  state.message = result.message;
  state.finished_at = now_rfc3339();
  state.sync_result->resources.clear();
  for (const auto& r : result.resources) state.sync_result->resources.push_back(status_result(r));
  status.operation_state = std::move(state);
  if (result.phase == reconciler::OperationPhase::kSucceeded && !run.dry_run) {
    apis::RevisionHistory entry;
    entry.id = *id;
    entry.revision = run.revision;
    entry.deploy_started_at = status.operation_state->started_at;
    entry.deployed_at = status.operation_state->finished_at;
    entry.source = apis::source_to_json(app.spec.source);
    entry.initiated_by = status.operation_state->operation.initiated_by;
    status.history.push_back(std::move(entry));
    int64_t limit = std::max<int64_t>(1, app.spec.revision_history_limit);
    while (static_cast<int64_t>(status.history.size()) > limit) status.history.erase(status.history.begin());
  }
  if (run.clear_operation_field) {
    auto cleared = client_->merge_patch(app_ref(app.metadata.name), {{"operation", nullptr}});
    if (cleared.ok()) object = std::move(*cleared);
  }
  // The final state is on the app before anyone waiting hears that the operation ended.
  object = write_owned_status(object, status);
  cancel_.forget(stop_ends_it);
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_operations_.erase(app.metadata.name);
  }
  finish_request(run.info, *id);
  return *id;
}

kube::ObjectRef Controller::app_ref(const std::string& name) const {
  return {std::string(apis::kApiVersion), "Application", options_.namespace_, name};
}

Json Controller::write_owned_status(const Json& object, const apis::ApplicationStatus& status) {
  const kube::ObjectRef ref = app_ref(object.value("metadata", Json::object()).value("name", ""));
  Json updated = object;
  for (int attempt = 0; attempt < 3; ++attempt) {
    updated["status"] = apis::to_json(status);
    updated["status"]["reconciledAt"] = now_rfc3339();
    auto written = client_->update_status(updated, {"ferry", false});
    if (written.ok()) return std::move(*written);
    if (!written.status().is(Reason::kConflict)) break;
    auto current = client_->get(ref);
    if (!current.ok()) break;
    updated = std::move(*current);
  }
  return object;
}

void Controller::finalize(const apis::Application& app) {
  if (!apis::has_resources_finalizer(app)) return;
  auto mem = memory(app.metadata.name);
  auto live = live_->labelled(app.metadata.name, mem->kinds);
  bool background = std::find(app.metadata.finalizers.begin(), app.metadata.finalizers.end(),
                              std::string(apis::kResourcesFinalizerBackground)) != app.metadata.finalizers.end();
  size_t remaining = 0;
  if (live.ok()) {
    for (const auto& object : *live) {
      auto owner = reconciler::tracked_app(object);
      if (!owner || *owner != app.metadata.name) continue;
      ++remaining;
      if (object.value("metadata", Json::object()).contains("deletionTimestamp")) continue;
      kube::DeleteOptions del;
      del.propagation_policy = background ? "Background" : "Foreground";
      kube::ObjectKey key = kube::ObjectKey::of(object);
      (void)client_->remove({object.value("apiVersion", ""), key.kind, key.namespace_, key.name}, del);
    }
  }
  if (!live.ok() || remaining > 0) {
    queue_.add_after(app.metadata.name, std::chrono::milliseconds(500));
    return;
  }
  Json finalizers = Json::array();
  for (const auto& f : app.metadata.finalizers) {
    if (apis::ferry_finalizer(f) != apis::kResourcesFinalizer && f != apis::kResourcesFinalizerBackground) {
      finalizers.push_back(f);
    }
  }
  (void)client_->merge_patch(app_ref(app.metadata.name), {{"metadata", {{"finalizers", finalizers}}}});
}

namespace {

// Refuses a history entry this app cannot roll back to.
Status rollback_target(const store::Operation& op, const std::string& app_key) {
  std::string history = "history " + std::to_string(op.id);
  if (op.app != app_key) return Status::Invalid(history + " belongs to " + op.app + ", not " + app_key);
  if (op.kind == store::kKindSync && op.dry_run) return Status::Invalid(history + " was a dry run");
  return Status::Ok();
}

}  // namespace

Result<int64_t> Controller::rollback(const std::string& name, int64_t id, bool prune, const std::string& initiated_by,
                                     std::function<void(int64_t)> started) {
  if (!owns(name)) {
    // The store is shared: check the history ID here, so a bad one is refused at once.
    auto op = store_->get_operation(id);
    if (!op.ok()) return op.status();
    if (Status target = rollback_target(*op, options_.namespace_ + "/" + name); !target.ok()) return target;
    SyncRequest request;
    request.prune = prune;
    request.initiated_by = initiated_by;
    auto request_id = request_operation(name, request, {{std::string(kRollbackOfInfo), std::to_string(id)}});
    if (!request_id.ok()) return request_id.status();
    auto finished = wait_request(*request_id, options_.health_timeout * 2);
    if (!finished.ok()) return finished;
    if (*finished == 0) return Status::Internal("the owning replica could not run the rollback");
    if (started) started(*finished);
    return finished;
  }
  std::lock_guard<std::mutex> app_guard(app_lock(name));
  return rollback_locked(name, id, prune, initiated_by, std::move(started), {});
}

void Controller::run_requested_rollback(const apis::Application& app, const apis::Operation& operation) {
  int64_t id = 0;
  for (const auto& info : operation.info) {
    if (info.name == kRollbackOfInfo) id = std::strtoll(info.value.c_str(), nullptr, 10);
  }
  std::string initiated_by = operation.initiated_by.username.empty() ? "admin" : operation.initiated_by.username;
  bool prune = operation.sync && operation.sync->prune;
  auto ran = rollback_locked(app.metadata.name, id, prune, initiated_by, nullptr, operation.info);
  if (ran.ok()) return;
  log::warn("requested rollback failed", {{"app", app.key()}, {"revision", ""}, {"operation", ""},
                                          {"rollback_of", std::to_string(id)}, {"error", ran.status().to_string()}});
  (void)client_->merge_patch(app_ref(app.metadata.name), {{"operation", nullptr}});
  finish_request(operation.info, 0);
}

Result<int64_t> Controller::rollback_locked(const std::string& name, int64_t id, bool prune,
                                            const std::string& initiated_by, std::function<void(int64_t)> started,
                                            std::vector<apis::Info> info) {
  auto object = apps_ ? apps_->get(options_.namespace_, name) : std::nullopt;
  if (!object) return Status::NotFound("application \"" + name + "\" not found");
  auto app = apis::parse_application(*object);
  if (!app.ok()) return app.status();
  auto op = store_->get_operation(id);
  if (!op.ok()) return op.status();
  if (Status target = rollback_target(*op, app->key()); !target.ok()) return target;
  auto manifests = store_->manifests_of(id, /*include_sensitive=*/true);
  if (!manifests.ok()) return manifests.status();
  std::vector<Json> desired;
  for (auto& m : *manifests) {
    auto annotations = reconciler::read_sync_annotations(m);
    if (annotations.ok() && annotations->is_hook) continue;  // hooks ran then; a rollback does not rerun them
    desired.push_back(std::move(m));
  }
  auto mem = memory(name);
  auto live = live_->labelled(name, mem->kinds);
  if (!live.ok()) return live.status();
  reconciler::PlanRequest plan_request;
  plan_request.app = name;
  plan_request.desired = desired;
  plan_request.live = *live;
  plan_request.prune = prune;
  auto tasks = reconciler::make_plan(plan_request);
  auto parsed_status = apis::parse_application_status(object->value("status", Json()));
  apis::ApplicationStatus status = parsed_status.ok() ? *parsed_status : apis::ApplicationStatus{};
  OperationRun run;
  run.kind = store::kKindRollback;
  run.revision = op->revision;
  run.initiated_by = initiated_by;
  run.prune = prune;
  run.rollback_of = id;
  run.started = std::move(started);
  run.clear_operation_field = !info.empty();  // asked for through the `operation` field
  run.info = std::move(info);
  if (tasks.ok()) {
    run.tasks = std::move(*tasks);
    check_project(*app, run);
  } else {
    run.plan_error = tasks.status();
  }
  auto ran = run_operation(*app, *object, status, run);
  if (!ran.ok()) return ran;
  // Auto-sync would undo the rollback at once: pin until git moves past the current revision.
  const kube::ObjectRef ref = app_ref(name);
  auto pinned = client_->merge_patch(
      ref, {{"metadata", {{"annotations", {{kPinnedRevisionAnnotation, status.sync.revision}}}}}});
  if (pinned.ok()) {
    Json updated = *pinned;
    updated["status"] = apis::to_json(status);
    (void)client_->update_status(updated, {"ferry", false});
  }
  queue_.add(name);
  return ran;
}

}  // namespace ferry::controller
