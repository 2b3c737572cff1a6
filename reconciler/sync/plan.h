// The sync plan: the ordered list of what a sync will do, computed before anything runs so
// `ferry app plan` and dry runs can print it. Order (DESIGN.md §5): phase (PreSync, Sync,
// PostSync), then wave (lowest first, negatives allowed), then kind (Namespace first, CRDs and
// RBAC early, workloads late, unknown kinds last), then namespace and name. Prunes come after
// the Sync phase's applies, in reverse wave and kind order, so a Deployment goes before its
// Namespace; PruneLast ones after those, still before PostSync. SyncFail hooks are planned but only run when
// the sync fails. A pure function of its inputs; any thread.
//
// Example: a PreSync migration Job, a Namespace, a Deployment (wave 1) and a stale ConfigMap:
//   PreSync  0  batch/Job          db-migrate   hook
//   Sync     0  /Namespace         shop         apply
//   Sync     1  apps/Deployment    shop/web     apply
//   Sync     0  /ConfigMap         shop/old     prune
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "apis/types/status.h"
#include "reconciler/diff/diff.h"
#include "reconciler/sync/annotations.h"
#include "reconciler/sync/tracking.h"

namespace ferry::reconciler {

enum class Action { kCreate, kApply, kReplace, kPrune, kHook, kSkip };
const char* action_name(Action action);

struct Task {
  Phase phase = Phase::kSync;
  int wave = 0;
  ObjectKey key;
  Action action = Action::kApply;
  Json object;            // what to write (desired, or the hook), or the live object to prune
  SyncAnnotations annotations;
  std::string reason;     // why a task is skipped ("Prune=false", "in sync", "tracked by app x")
  bool prune_last = false;
};

struct PlanRequest {
  std::string app;
  std::vector<Json> desired;               // rendered and tracked (with_tracking)
  std::vector<Json> live;                  // live objects carrying this app's tracking label
  std::map<ObjectKey, SyncState> states;   // from the diff; missing entries count as OutOfSync
  bool prune = false;
  bool apply_out_of_sync_only = false;
  bool replace = false;                    // app-wide Replace=true
  bool prune_last = false;                 // app-wide PruneLast=true
  bool allow_empty = false;
  std::set<ObjectKey> only;                // selective sync: these resources only (empty = all; no namespace = any)
  // CreateNamespace=true: the destination namespace, created first with these labels/annotations.
  std::string create_namespace;
  Json namespace_metadata = Json::object();  // {"labels": {...}, "annotations": {...}}
};

// Invalid when an annotation is malformed; FailedPrecondition-like Invalid when the render is
// empty and allowEmpty is off while live resources exist (nothing would be left).
Result<std::vector<Task>> make_plan(const PlanRequest& request);

// Position of a kind in the apply order (lower first); unknown kinds after all known ones.
int kind_rank(const std::string& group, const std::string& kind);

// One line per task: "PreSync  0  batch/Job  ns/name  hook" — for the CLI and dry runs.
std::string format_plan(const std::vector<Task>& tasks);

}  // namespace ferry::reconciler
