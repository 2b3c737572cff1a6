#include "reconciler/sync/runner.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "reconciler/health/health.h"

namespace ferry::reconciler {
namespace {

using Clock = std::chrono::steady_clock;

// The first wait between polls of a wave's health (wait_healthy) and of a hook; later waits
// double up to the poll interval.
constexpr std::chrono::milliseconds kFirstPollDelay{10};

kube::ObjectRef ref_of(const Task& task, const std::string& name) {
  return {task.object.value("apiVersion", std::string()), task.key.kind, task.key.namespace_, name};
}

bool cancelled(const RunOptions& options) { return options.cancel && options.cancel->cancelled(); }

// Sleeps unless cancelled; false when cancelled.
bool pause(const RunOptions& options, std::chrono::milliseconds delay) {
  auto until = Clock::now() + delay;
  while (Clock::now() < until) {
    if (cancelled(options)) return false;
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(50), std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now())));
  }
  return !cancelled(options);
}

// The pause before the next poll of something awaited until `deadline`: `delay`, cut short so
// the last poll comes at the deadline rather than up to a poll interval after it.
bool pause_before_poll(const RunOptions& options, std::chrono::milliseconds delay, Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());  // ends at or past it
  return pause(options, std::clamp(left, std::chrono::milliseconds(0), delay));
}

std::string describe(const ObjectKey& key) {
  return key.kind + " " + (key.namespace_.empty() ? "" : key.namespace_ + "/") + key.name;
}

std::string propagation_policy(const std::string& option) {
  if (option == "background") return "Background";
  if (option == "orphan") return "Orphan";
  return "Foreground";
}

// Namespaces and CRDs are what other objects need before they can be written at all (the API
// server refuses an object in a missing namespace or of a kind it does not serve yet), so they
// are never written side by side with the tasks around them.
bool is_foundation(const Task& task) {
  return (task.key.group.empty() && task.key.kind == "Namespace") ||
         (task.key.group == "apiextensions.k8s.io" && task.key.kind == "CustomResourceDefinition");
}

// The end of the group starting at `begin`: consecutive tasks of one phase, one wave and one kind
// of work (apply or prune).
size_t group_end(const std::vector<Task>& plan, size_t begin) {
  size_t end = begin;
  while (end < plan.size() && plan[end].phase == plan[begin].phase && plan[end].wave == plan[begin].wave &&
         (plan[end].action == Action::kPrune) == (plan[begin].action == Action::kPrune) &&
         plan[end].phase != Phase::kSyncFail) {
    ++end;
  }
  return end;
}

// Whether what runs after plan[from] in a successful sync waits for health first: a later wave,
// a PostSync hook or a PruneLast prune does ("after the other resources are healthy", Argo CD's
// words); a plain prune does not, nor do SyncFail hooks.
bool gated_work_follows(const std::vector<Task>& plan, size_t from) {
  return std::any_of(plan.begin() + static_cast<std::ptrdiff_t>(from), plan.end(), [](const Task& t) {
    if (t.phase == Phase::kSyncFail || t.action == Action::kSkip) return false;
    return t.action != Action::kPrune || t.prune_last;
  });
}

// The end of the part of a group [begin, end) that may be written side by side: a run of
// foundation tasks, or a run of other tasks. Plan order puts Namespaces and CRDs before what
// needs them (and prunes after), so this keeps that order observable.
size_t segment_end(const std::vector<Task>& plan, size_t begin, size_t end) {
  size_t to = begin + 1;
  while (to < end && is_foundation(plan[to]) == is_foundation(plan[begin])) ++to;
  return to;
}

bool writes(Action action) {
  return action == Action::kApply || action == Action::kCreate || action == Action::kReplace;
}

// A resource written in this wave and the object the API server answered with.
struct Written {
  const Task* task;
  Json live;
};

// Whether the write alone shows the resource healthy: its answer is the live object right after
// the write, so a read would tell no more, unless the verdict rests on status, which controllers
// update later (a Deployment's replicas, a child app's reported health, a load balancer's
// address). So the answer settles a resource only when it is Healthy without its status too;
// the rest are read. Kinds Ferry has no health check for are settled this way, and so is a
// ClusterIP Service.
bool settled_by_write(const Written& w) {
  if (health_of(&w.live).status != HealthStatus::kHealthy) return false;
  if (!w.live.is_object() || !w.live.contains("status")) return true;
  Json without_status = w.live;
  without_status.erase("status");
  return health_of(&without_status).status == HealthStatus::kHealthy;
}

class Run {
 public:
  Run(kube::Client& client, const RunOptions& options) : client_(client), options_(options) {}

  SyncResult execute(const std::vector<Task>& plan) {
    size_t i = 0;
    std::optional<std::pair<Phase, int>> previous_wave;
    bool wave_changed_something = false;
    while (i < plan.size() && !failed()) {
      if (plan[i].phase == Phase::kSyncFail) break;
      size_t end = group_end(plan, i);
      if (cancelled(options_)) {
        fail("Operation terminated");
        break;
      }
      auto wave = std::make_pair(plan[i].phase, plan[i].wave);
      if (previous_wave && *previous_wave != wave) {
        // The delay gives controllers time to act on what the last wave wrote; after a wave
        // that wrote nothing there is nothing to act on.
        if (wave_changed_something && !pause_between_waves()) break;
        wave_changed_something = false;
      }
      previous_wave = wave;
      wave_changed_something |= changes_something(plan, i, end);
      std::vector<Written> written = write_group(plan, i, end);
      if (options_.on_wave_written) options_.on_wave_written();
      // As in Argo CD, health gates the next wave: once nothing is left to run but plain prunes,
      // the operation ends and the app's health (Progressing until a rollout is done) reports the rest.
      if (!failed() && !options_.dry_run && !written.empty() && gated_work_follows(plan, end)) {
        Status healthy = wait_healthy(written);
        if (!healthy.ok()) fail(healthy.message());
      }
      i = end;
    }
    return finish(plan);
  }

 private:
  bool failed() {
    std::lock_guard<std::mutex> lock(failure_mu_);
    return failed_;
  }

  // Records the first failure; later ones are reported per resource only.
  void fail(const std::string& message) {
    std::lock_guard<std::mutex> lock(failure_mu_);
    if (!failed_) failure_ = message;
    failed_ = true;
  }

  bool changes_something(const std::vector<Task>& plan, size_t begin, size_t end) const {
    if (options_.dry_run) return false;
    return std::any_of(plan.begin() + static_cast<std::ptrdiff_t>(begin), plan.begin() + static_cast<std::ptrdiff_t>(end),
                       [](const Task& t) { return t.action != Action::kSkip; });
  }

  bool pause_between_waves() {
    if (options_.wave_delay.count() <= 0 || options_.dry_run) return true;
    if (pause(options_, options_.wave_delay)) return true;
    fail("Operation terminated");
    return false;
  }

  // Writes one group, part by part (segment_end); the tasks of a part run side by side.
  std::vector<Written> write_group(const std::vector<Task>& plan, size_t begin, size_t end) {
    std::vector<Written> written;
    for (size_t from = begin; from < end && !failed();) {
      size_t to = segment_end(plan, from, end);
      write_side_by_side(plan, from, to, written);
      from = to;
    }
    return written;
  }

  // Runs tasks [begin, end), up to `parallelism` at once; adds what was written to `written`.
  void write_side_by_side(const std::vector<Task>& plan, size_t begin, size_t end, std::vector<Written>& written) {
    std::mutex written_mu;
    std::atomic<size_t> next{begin};
    auto worker = [&] {
      for (size_t t = next++; t < end && !failed(); t = next++) {
        const Task& task = plan[t];
        Json live;
        Status s = task.action == Action::kHook ? run_hook(task) : run_task(task, live);
        if (!s.ok()) {
          fail(s.message());
        } else if (writes(task.action)) {
          std::lock_guard<std::mutex> lock(written_mu);
          written.push_back({&task, std::move(live)});
        }
      }
    };
    size_t threads = std::min<size_t>(std::max(1, options_.parallelism), end - begin);
    std::vector<std::thread> pool;
    for (size_t n = 1; n < threads; ++n) pool.emplace_back(worker);
    worker();
    for (auto& thread : pool) thread.join();
  }

  SyncResult finish(const std::vector<Task>& plan) {
    SyncResult result;
    if (failed()) {
      // SyncFail hooks run on any failure, but not after a terminate.
      bool terminated = cancelled(options_);
      if (!terminated) {
        for (const auto& task : plan) {
          if (task.phase == Phase::kSyncFail && task.action == Action::kHook) (void)run_hook(task);
        }
      }
      result.phase = OperationPhase::kFailed;
      result.message = terminated ? "Operation terminated" : failure_;
    } else {
      result.phase = OperationPhase::kSucceeded;
      result.message = options_.dry_run ? "successfully synced (dry run)" : "successfully synced (all tasks run)";
    }
    result.resources = std::move(results_);
    return result;
  }

  void report(ResourceResult r) {
    std::lock_guard<std::mutex> lock(report_mu_);
    if (options_.on_result) options_.on_result(r);
    results_.push_back(std::move(r));
  }

  ResourceResult base(const Task& task) {
    ResourceResult r;
    r.key = task.key;
    r.api_version = task.object.is_object() ? task.object.value("apiVersion", "") : "";
    r.phase = task.phase;
    r.wave = task.wave;
    r.action = task.action;
    return r;
  }

  // Runs one task other than a hook; `live` gets the server's answer to a write.
  Status run_task(const Task& task, Json& live) {
    ResourceResult r = base(task);
    Status failure;
    switch (task.action) {
      case Action::kSkip:
        r.status = task.reason.find("prun") != std::string::npos || task.reason == "Prune=false" ? "PruneSkipped" : "Skipped";
        r.message = task.reason;
        break;
      case Action::kCreate:
      case Action::kApply: {
        auto applied = client_.apply(task.object, {options_.field_manager, true, options_.dry_run});
        r.applied = task.object;
        if (applied.ok()) {
          live = std::move(*applied);
          r.status = "Synced";
          r.message = task.action == Action::kCreate ? "created" : "configured";
          if (options_.dry_run) r.message += " (dry run)";
        } else {
          r.status = "SyncFailed";
          r.message = applied.status().to_string();
          failure = Status(applied.status().reason(), describe(task.key) + ": " + applied.status().message());
        }
        break;
      }
      case Action::kReplace: {
        r.applied = task.object;
        auto current = client_.get(ref_of(task, task.key.name));
        Result<Json> written = Status::Internal("not written");
        if (current.ok()) {
          Json object = task.object;
          object["metadata"]["resourceVersion"] = (*current)["metadata"]["resourceVersion"];
          written = client_.update(object, {options_.field_manager, options_.dry_run});
        } else if (current.status().is(Reason::kNotFound)) {
          written = client_.create(task.object, {options_.field_manager, options_.dry_run});
        } else {
          written = current.status();
        }
        if (written.ok()) live = *written;
        r.status = written.ok() ? "Synced" : "SyncFailed";
        r.message = written.ok() ? "replaced" : written.status().to_string();
        if (!written.ok()) failure = Status(written.status().reason(), describe(task.key) + ": " + written.status().message());
        break;
      }
      case Action::kPrune: {
        kube::DeleteOptions del;
        del.propagation_policy = propagation_policy(options_.prune_propagation);
        del.precondition_uid = task.object.value("metadata", Json::object()).value("uid", "");
        del.dry_run = options_.dry_run;
        Status removed = client_.remove(ref_of(task, task.key.name), del);
        if (removed.ok() || removed.is(Reason::kNotFound)) {
          r.status = "Pruned";
          r.message = removed.ok() ? (options_.dry_run ? "pruned (dry run)" : "pruned") : "already gone";
        } else {
          r.status = "SyncFailed";
          r.message = removed.to_string();
          failure = Status(removed.reason(), describe(task.key) + ": prune failed: " + removed.message());
        }
        break;
      }
      case Action::kHook:
        break;
    }
    report(std::move(r));
    return failure;
  }

  // Waits until every written resource is past Progressing; Degraded or a timeout fails. Those
  // settled by their write are not read again; the rest are polled, starting at once. Many
  // objects of one kind in one namespace are read with one LIST per poll rather than a GET each.
  Status wait_healthy(const std::vector<Written>& written) {
    constexpr size_t kListThreshold = 16;
    auto deadline = Clock::now() + options_.health_timeout;
    std::vector<const Task*> waiting;
    for (const auto& w : written) {
      if (!settled_by_write(w)) waiting.push_back(w.task);
    }
    // Most resources are healthy soon after their write; a slow rollout is not. So polls start
    // close together and spread out to poll_interval, which stays the rate of a long wait.
    auto next_poll = std::min(options_.poll_interval, kFirstPollDelay);
    while (!waiting.empty()) {
      std::map<std::tuple<std::string, std::string, std::string>, size_t> per_group;
      for (const Task* task : waiting) ++per_group[{task->object.value("apiVersion", ""), task->key.kind, task->key.namespace_}];
      std::map<ObjectKey, Json> listed;
      std::set<std::tuple<std::string, std::string, std::string>> listed_groups;
      for (const auto& [group, count] : per_group) {
        if (count < kListThreshold) continue;
        auto items = client_.list({std::get<0>(group), std::get<1>(group), std::get<2>(group), ""});
        if (!items.ok()) continue;
        listed_groups.insert(group);
        for (auto& item : (*items)["items"]) {
          item["apiVersion"] = std::get<0>(group);
          item["kind"] = std::get<1>(group);
          listed.emplace(ObjectKey::of(item), std::move(item));
        }
      }
      std::vector<const Task*> still;
      for (const Task* task : waiting) {
        Health h;
        if (listed_groups.count({task->object.value("apiVersion", ""), task->key.kind, task->key.namespace_})) {
          auto it = listed.find(task->key);
          h = health_of(it == listed.end() ? nullptr : &it->second);
        } else {
          auto live = client_.get(ref_of(*task, task->key.name));
          h = live.ok() ? health_of(&*live) : health_of(nullptr);
          if (!live.ok() && !live.status().is(Reason::kNotFound)) h = {HealthStatus::kProgressing, live.status().to_string()};
        }
        if (h.status == HealthStatus::kDegraded) {
          return Status::Invalid(describe(task->key) + " is Degraded" + (h.message.empty() ? "" : ": " + h.message));
        }
        if (h.status == HealthStatus::kProgressing || h.status == HealthStatus::kMissing) still.push_back(task);
      }
      if (still.empty()) return Status::Ok();
      if (Clock::now() >= deadline) {
        return Status(Reason::kTimeout, "timed out waiting for " + describe(still.front()->key) + " to become healthy");
      }
      if (!pause_before_poll(options_, next_poll, deadline)) return Status::Invalid("Operation terminated");
      next_poll = std::min(options_.poll_interval, next_poll * 2);
      waiting = std::move(still);
    }
    return Status::Ok();
  }

  Status run_hook(const Task& task) {
    ResourceResult r = base(task);
    r.action = Action::kHook;
    if (options_.dry_run) {
      r.status = "Skipped";
      r.hook_phase = "Skipped";
      r.message = "hook not run in a dry run";
      report(std::move(r));
      return Status::Ok();
    }
    const auto& policies = task.annotations.delete_policies;
    Json object = task.object;
    std::string name = task.key.name;
    if (!name.empty() && policies.count(HookDeletePolicy::kBeforeHookCreation)) {
      Status gone = delete_and_wait(task, name);
      if (!gone.ok()) return fail_hook(std::move(r), gone);
    }
    auto created = client_.create(object, {options_.field_manager, false});
    if (!created.ok() && created.status().is(Reason::kAlreadyExists)) {
      created = client_.get(ref_of(task, name));  // kept from an earlier run, no delete policy
    }
    if (!created.ok()) return fail_hook(std::move(r), created.status());
    name = (*created)["metadata"].value("name", name);
    r.key.name = name;
    r.applied = *created;
    // Await the hook: Jobs and Pods until they finish, anything else is done once created.
    auto deadline = Clock::now() + options_.health_timeout;
    auto next_poll = std::min(options_.poll_interval, kFirstPollDelay);
    Health h;
    while (true) {
      auto live = client_.get(ref_of(task, name));
      h = live.ok() ? health_of(&*live) : Health{HealthStatus::kProgressing, live.status().to_string()};
      if (h.status != HealthStatus::kProgressing && h.status != HealthStatus::kMissing) break;
      if (Clock::now() >= deadline) {
        h = {HealthStatus::kDegraded, "timed out waiting for the hook to finish"};
        break;
      }
      if (!pause_before_poll(options_, next_poll, deadline)) {
        h = {HealthStatus::kDegraded, "Operation terminated"};
        break;
      }
      next_poll = std::min(options_.poll_interval, next_poll * 2);
    }
    bool succeeded = h.status != HealthStatus::kDegraded;
    if ((succeeded && policies.count(HookDeletePolicy::kHookSucceeded)) ||
        (!succeeded && policies.count(HookDeletePolicy::kHookFailed))) {
      (void)delete_and_wait(task, name);
    }
    r.status = succeeded ? "Synced" : "SyncFailed";
    r.hook_phase = succeeded ? "Succeeded" : "Failed";
    r.message = h.message;
    Status outcome = succeeded ? Status::Ok()
                               : Status::Invalid(std::string(phase_name(task.phase)) + " hook " + describe(r.key) +
                                                 " failed" + (h.message.empty() ? "" : ": " + h.message));
    report(std::move(r));
    return outcome;
  }

  Status fail_hook(ResourceResult r, const Status& why) {
    r.status = "SyncFailed";
    r.hook_phase = "Failed";
    r.message = why.to_string();
    Status outcome(why.reason(), std::string(phase_name(r.phase)) + " hook " + describe(r.key) + ": " + why.message());
    report(std::move(r));
    return outcome;
  }

  Status delete_and_wait(const Task& task, const std::string& name) {
    kube::DeleteOptions del;
    del.propagation_policy = "Background";
    Status removed = client_.remove(ref_of(task, name), del);
    if (!removed.ok() && !removed.is(Reason::kNotFound)) return removed;
    auto deadline = Clock::now() + options_.health_timeout;
    while (true) {
      auto live = client_.get(ref_of(task, name));
      if (!live.ok() && live.status().is(Reason::kNotFound)) return Status::Ok();
      if (Clock::now() >= deadline) return Status(Reason::kTimeout, describe(task.key) + " was not deleted in time");
      if (!pause(options_, options_.poll_interval)) return Status::Invalid("Operation terminated");
    }
  }

  kube::Client& client_;
  const RunOptions& options_;
  std::mutex report_mu_;
  std::vector<ResourceResult> results_;  // guarded by report_mu_
  std::mutex failure_mu_;
  bool failed_ = false;   // guarded by failure_mu_
  std::string failure_;   // the first failure; guarded by failure_mu_
};

}  // namespace

const char* operation_phase_name(OperationPhase phase) {
  switch (phase) {
    case OperationPhase::kRunning:
      return "Running";
    case OperationPhase::kSucceeded:
      return "Succeeded";
    case OperationPhase::kFailed:
      return "Failed";
    case OperationPhase::kError:
      return "Error";
    case OperationPhase::kTerminating:
      return "Terminating";
  }
  return "Error";
}

std::chrono::milliseconds RetryPolicy::backoff_for(int attempt) const {
  double ms = static_cast<double>(duration.count()) * std::pow(factor, std::max(0, attempt - 1));
  if (ms > static_cast<double>(max_duration.count())) return max_duration;
  return std::chrono::milliseconds(static_cast<long>(ms));
}

SyncRunner::SyncRunner(std::shared_ptr<kube::Client> client) : client_(std::move(client)) {}

SyncResult SyncRunner::run(const std::vector<Task>& plan, const RunOptions& options) const {
  Run run(*client_, options);
  return run.execute(plan);
}

}  // namespace ferry::reconciler
