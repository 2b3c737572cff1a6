#include "reconciler/sync/runner.h"

#include <atomic>
#include <map>
#include <set>
#include <tuple>
#include <cmath>
#include <mutex>
#include <thread>

#include "reconciler/health/health.h"

namespace ferry::reconciler {
namespace {

using Clock = std::chrono::steady_clock;

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

std::string describe(const ObjectKey& key) {
  return key.kind + " " + (key.namespace_.empty() ? "" : key.namespace_ + "/") + key.name;
}

std::string propagation_policy(const std::string& option) {
  if (option == "background") return "Background";
  if (option == "orphan") return "Orphan";
  return "Foreground";
}

class Run {
 public:
  Run(kube::Client& client, const RunOptions& options) : client_(client), options_(options) {}

  SyncResult execute(const std::vector<Task>& plan) {
    size_t i = 0;
    bool failed = false;
    std::string failure;
    std::optional<std::pair<Phase, int>> previous_wave;
    while (i < plan.size() && !failed) {
      if (plan[i].phase == Phase::kSyncFail) break;
      // A group: consecutive tasks of one phase, one wave and one kind of work (apply or prune).
      size_t end = i;
      while (end < plan.size() && plan[end].phase == plan[i].phase && plan[end].wave == plan[i].wave &&
             (plan[end].action == Action::kPrune) == (plan[i].action == Action::kPrune) &&
             plan[end].phase != Phase::kSyncFail) {
        ++end;
      }
      if (cancelled(options_)) {
        failed = true;
        failure = "Operation terminated";
        break;
      }
      auto wave = std::make_pair(plan[i].phase, plan[i].wave);
      if (previous_wave && *previous_wave != wave && options_.wave_delay.count() > 0 && !options_.dry_run) {
        if (!pause(options_, options_.wave_delay)) {
          failed = true;
          failure = "Operation terminated";
          break;
        }
      }
      previous_wave = wave;
      std::vector<const Task*> to_check;
      // The tasks of one wave do not depend on each other: run them side by side.
      std::mutex group_mu;
      std::atomic<size_t> next{i};
      auto worker = [&] {
        for (size_t t = next++; t < end; t = next++) {
          {
            std::lock_guard<std::mutex> lock(group_mu);
            if (failed) return;
          }
          const Task& task = plan[t];
          Status s = task.action == Action::kHook ? run_hook(task) : run_task(task);
          std::lock_guard<std::mutex> lock(group_mu);
          if (!s.ok()) {
            if (!failed) failure = s.message();
            failed = true;
          } else if (task.action == Action::kApply || task.action == Action::kCreate ||
                     task.action == Action::kReplace) {
            to_check.push_back(&task);
          }
        }
      };
      size_t threads = std::min<size_t>(std::max(1, options_.parallelism), end - i);
      std::vector<std::thread> pool;
      for (size_t n = 1; n < threads; ++n) pool.emplace_back(worker);
      worker();
      for (auto& thread : pool) thread.join();
      if (options_.on_wave_written) options_.on_wave_written();
      if (!failed && !options_.dry_run && !to_check.empty()) {
        Status healthy = wait_healthy(to_check);
        if (!healthy.ok()) {
          failed = true;
          failure = healthy.message();
        }
      }
      i = end;
    }
    SyncResult result;
    if (failed) {
      // SyncFail hooks run on any failure, but not after a terminate.
      bool terminated = cancelled(options_);
      if (!terminated) {
        for (const auto& task : plan) {
          if (task.phase == Phase::kSyncFail && task.action == Action::kHook) (void)run_hook(task);
        }
      }
      result.phase = OperationPhase::kFailed;
      result.message = terminated ? "Operation terminated" : failure;
    } else {
      result.phase = OperationPhase::kSucceeded;
      result.message = options_.dry_run ? "successfully synced (dry run)" : "successfully synced (all tasks run)";
    }
    result.resources = std::move(results_);
    return result;
  }

 private:
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

  Status run_task(const Task& task) {
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
        auto live = client_.get(ref_of(task, task.key.name));
        Result<Json> written = Status::Internal("not written");
        if (live.ok()) {
          Json object = task.object;
          object["metadata"]["resourceVersion"] = (*live)["metadata"]["resourceVersion"];
          written = client_.update(object, {options_.field_manager, options_.dry_run});
        } else if (live.status().is(Reason::kNotFound)) {
          written = client_.create(task.object, {options_.field_manager, options_.dry_run});
        } else {
          written = live.status();
        }
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

  // Polls until every resource is past Progressing. Degraded or a timeout fails. Many objects
  // of one kind in one namespace are read with one LIST per poll rather than a GET each.
  Status wait_healthy(const std::vector<const Task*>& tasks) {
    constexpr size_t kListThreshold = 16;
    auto deadline = Clock::now() + options_.health_timeout;
    std::vector<const Task*> waiting = tasks;
    while (true) {
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
      if (!pause(options_, options_.poll_interval)) return Status::Invalid("Operation terminated");
      waiting = std::move(still);
    }
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
    Health h;
    while (true) {
      auto live = client_.get(ref_of(task, name));
      h = live.ok() ? health_of(&*live) : Health{HealthStatus::kProgressing, live.status().to_string()};
      if (h.status != HealthStatus::kProgressing && h.status != HealthStatus::kMissing) break;
      if (Clock::now() >= deadline) {
        h = {HealthStatus::kDegraded, "timed out waiting for the hook to finish"};
        break;
      }
      if (!pause(options_, options_.poll_interval)) {
        h = {HealthStatus::kDegraded, "Operation terminated"};
        break;
      }
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
