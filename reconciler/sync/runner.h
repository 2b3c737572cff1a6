// SyncRunner: carries out a plan (plan.h) against the cluster through kube::Client. Writes are
// server-side applies with field manager `ferry` and force (Replace=true uses PUT); prunes
// delete with the chosen propagation policy and the live uid as precondition. The writes of a
// wave run side by side, except that Namespaces and CRDs are written on their own, in plan
// order, since other objects cannot be written before them. After a wave of applies that is
// followed by more work (a later wave, PostSync hooks, PruneLast prunes) it waits until those
// resources are healthy (Degraded fails the sync, Progressing waits); as in Argo CD, plain prunes
// and the end of the sync do not wait, and the app's health reports the rollout. In the gate, a resource
// whose write answer is Healthy without its status (a ConfigMap, a ClusterIP Service) is not
// read again; the others are polled, at first close together. Hooks are created, awaited and
// deleted per their delete policy. A failure stops the sync, runs the SyncFail hooks and reports
// Failed; cancelling (terminate) stops between steps.
// One run per call; a SyncRunner may serve several threads (the Client is thread-safe).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kube/client/cancellation.h"
#include "kube/client/client.h"
#include "reconciler/sync/plan.h"

namespace ferry::reconciler {

enum class OperationPhase { kRunning, kSucceeded, kFailed, kError, kTerminating };
const char* operation_phase_name(OperationPhase phase);

struct ResourceResult {
  ObjectKey key;
  std::string api_version;
  Phase phase = Phase::kSync;
  int wave = 0;
  Action action = Action::kApply;
  std::string status;      // Synced, SyncFailed, Pruned, PruneSkipped, Skipped
  std::string hook_phase;  // hooks: Running, Succeeded, Failed
  std::string message;
  Json applied;            // the object as written (hooks and applies), for the ledger
};

struct SyncResult {
  OperationPhase phase = OperationPhase::kRunning;
  std::string message;
  std::vector<ResourceResult> resources;
};

struct RunOptions {
  bool dry_run = false;
  std::string field_manager = "ferry";
  std::string prune_propagation = "foreground";  // foreground, background, orphan
  std::chrono::milliseconds health_timeout = std::chrono::minutes(5);  // per wave and per hook
  // The longest wait between health polls (the first polls of a wave come sooner) and hook polls.
  std::chrono::milliseconds poll_interval = std::chrono::milliseconds(200);
  // Pause before the next wave after a wave that wrote something, for controllers to act on it.
  std::chrono::milliseconds wave_delay = std::chrono::milliseconds(0);
  int parallelism = 8;  // writes in flight at once within one wave
  kube::Cancellation* cancel = nullptr;  // terminate
  std::function<void(const ResourceResult&)> on_result;  // progress, called as each step ends
  // Called (from run()'s thread) when a wave's writes are done, before waiting on their health:
  // the moment to show progress that would otherwise wait for the next result.
  std::function<void()> on_wave_written;
};

// Retry policy of a sync (spec.syncPolicy.retry): the delay before attempt n (1-based) is
// duration * factor^(n-1), at most max_duration.
struct RetryPolicy {
  int limit = 0;  // extra attempts; 0 = none
  std::chrono::milliseconds duration = std::chrono::seconds(5);
  double factor = 2;
  std::chrono::milliseconds max_duration = std::chrono::minutes(3);
  std::chrono::milliseconds backoff_for(int attempt) const;
};

class SyncRunner {
 public:
  explicit SyncRunner(std::shared_ptr<kube::Client> client);
  SyncResult run(const std::vector<Task>& plan, const RunOptions& options) const;

 private:
  std::shared_ptr<kube::Client> client_;
};

}  // namespace ferry::reconciler
