// The status of an Application, with Argo CD's field names so `kubectl get applications` shows
// SYNC/HEALTH/REVISION and Argo CD habits carry over:
//
//   status:
//     sync: {status: Synced, revision: 3f2a..., comparedTo: {source: {...}, destination: {...}}}
//     health: {status: Healthy}
//     resources: [{group: apps, version: v1, kind: Deployment, namespace: web, name: web,
//                  status: Synced, health: {status: Healthy}}]
//     conditions: [{type: SyncError, message: ..., lastTransitionTime: "2024-05-01T10:00:00Z"}]
//     operationState: {operation: {sync: {revision: 3f2a...}}, phase: Succeeded, startedAt: ...,
//                      finishedAt: ..., syncResult: {revision: 3f2a..., resources: [...]}}
//     history: [{id: 4, revision: 3f2a..., deployedAt: ..., source: {...}}]
//     reconciledAt: "2024-05-01T10:00:00Z"
//     sourceType: Helm
//     summary: {images: [nginx:1.25]}
//
// The full ledger lives in SQLite (store/); this is the last-N view written through the status
// subresource. Plain values and pure functions: copy freely, any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apis/types/application.h"
#include "apis/types/status.h"

namespace ferry::apis {

// status.sync.status
inline constexpr std::string_view kSyncSynced = "Synced";
inline constexpr std::string_view kSyncOutOfSync = "OutOfSync";
inline constexpr std::string_view kSyncUnknown = "Unknown";

// status.health.status (and each resource's)
inline constexpr std::string_view kHealthHealthy = "Healthy";
inline constexpr std::string_view kHealthProgressing = "Progressing";
inline constexpr std::string_view kHealthDegraded = "Degraded";
inline constexpr std::string_view kHealthSuspended = "Suspended";
inline constexpr std::string_view kHealthMissing = "Missing";
inline constexpr std::string_view kHealthUnknown = "Unknown";

// status.operationState.phase
inline constexpr std::string_view kPhaseRunning = "Running";
inline constexpr std::string_view kPhaseTerminating = "Terminating";
inline constexpr std::string_view kPhaseSucceeded = "Succeeded";
inline constexpr std::string_view kPhaseFailed = "Failed";
inline constexpr std::string_view kPhaseError = "Error";

// status.operationState.syncResult.resources[].status
inline constexpr std::string_view kResultSynced = "Synced";
inline constexpr std::string_view kResultSyncFailed = "SyncFailed";
inline constexpr std::string_view kResultPruned = "Pruned";
inline constexpr std::string_view kResultPruneSkipped = "PruneSkipped";

// status.conditions[].type. Types ending in "Error" stop syncing; the others inform.
inline constexpr std::string_view kConditionComparisonError = "ComparisonError";
inline constexpr std::string_view kConditionSyncError = "SyncError";
inline constexpr std::string_view kConditionInvalidSpecError = "InvalidSpecError";
inline constexpr std::string_view kConditionSharedResourceWarning = "SharedResourceWarning";
inline constexpr std::string_view kConditionOrphanedResourceWarning = "OrphanedResourceWarning";
inline constexpr std::string_view kConditionRepeatedResourceWarning = "RepeatedResourceWarning";
// Ferry's: an app-of-apps tree where an app is its own ancestor.
inline constexpr std::string_view kConditionCyclicDependencyError = "CyclicDependencyError";
// Ferry's: after a rollback, auto-sync waits for a new revision instead of undoing it.
inline constexpr std::string_view kConditionRollbackPinned = "RollbackPinned";
// Ferry's: warnings from validate() (something accepted but ignored or unsupported).
inline constexpr std::string_view kConditionPolicyWarning = "PolicyWarning";

bool is_error_condition(std::string_view type);

struct HealthStatus {
  std::string status = std::string(kHealthUnknown);
  std::string message;
};

struct SyncStatus {
  std::string status = std::string(kSyncUnknown);
  std::string revision;
  Json compared_to = Json::object();  // {source, destination, ...} — see compared_to(app)
};

struct ResourceStatus {
  std::string group;
  std::string version;
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string status;  // Synced, OutOfSync, Unknown
  std::optional<HealthStatus> health;  // absent for kinds without a health rule
  bool hook = false;
  bool requires_pruning = false;
  int64_t sync_wave = 0;
};

struct ApplicationCondition {
  std::string type;
  std::string message;
  std::string last_transition_time;  // RFC 3339, UTC
};

struct ResourceResult {
  std::string group;
  std::string version;
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string status;  // Synced, SyncFailed, Pruned, PruneSkipped
  std::string message;
  std::string hook_type;   // PreSync, Sync, PostSync, SyncFail; "" = not a hook
  std::string hook_phase;  // Running, Succeeded, Failed, ...
  std::string sync_phase;  // PreSync, Sync, PostSync, SyncFail
};

struct SyncOperationResult {
  std::string revision;
  std::vector<ResourceResult> resources;
  Json source = Json::object();
};

struct OperationInitiator {
  std::string username;
  bool automated = false;
};

struct SyncOperationResource {
  std::string group;
  std::string kind;
  std::string name;
  std::string namespace_;
};

struct SyncOperation {
  std::string revision;
  bool prune = false;
  bool dry_run = false;
  std::vector<std::string> sync_options;
  std::vector<SyncOperationResource> resources;  // empty = all
};

// An Application's top-level `operation` (a request to sync) and operationState.operation.
struct Operation {
  std::optional<SyncOperation> sync;
  OperationInitiator initiated_by;
  std::vector<Info> info;
  std::optional<RetryStrategy> retry;
};

struct OperationState {
  Operation operation;
  std::string phase;
  std::string message;
  std::string started_at;
  std::string finished_at;
  int64_t retry_count = 0;
  std::optional<SyncOperationResult> sync_result;
};

struct RevisionHistory {
  int64_t id = 0;
  std::string revision;
  std::string deployed_at;
  std::string deploy_started_at;
  Json source = Json::object();
  OperationInitiator initiated_by;
};

struct ApplicationSummary {
  std::vector<std::string> images;
  std::vector<std::string> external_urls;
};

struct ApplicationStatus {
  SyncStatus sync;
  HealthStatus health;
  std::vector<ResourceStatus> resources;
  std::vector<ApplicationCondition> conditions;
  std::optional<OperationState> operation_state;
  std::vector<RevisionHistory> history;  // oldest first, at most revisionHistoryLimit
  std::string reconciled_at;
  std::string source_type;  // Directory, Kustomize, Helm
  ApplicationSummary summary;
};

// Empty fields are omitted (as Go's omitempty); sync and health are always written.
// Deterministic, so two equal statuses give equal JSON (the controller writes only on change).
Json to_json(const ApplicationStatus& status);
Json to_json(const Operation& operation);

// Reads `status` (null reads as the default status). Invalid, naming each field, on wrong types.
Result<ApplicationStatus> parse_application_status(const Json& status);
// Reads an Application's top-level `operation` or operationState.operation.
Result<Operation> parse_operation(const Json& operation);

// Sets the condition of `condition.type` to `condition`, keeping the old lastTransitionTime when
// the message did not change. Returns whether anything changed.
bool set_condition(std::vector<ApplicationCondition>& conditions, ApplicationCondition condition);
// Removes the condition of that type; returns whether there was one.
bool remove_condition(std::vector<ApplicationCondition>& conditions, std::string_view type);

// Appends an entry with the next id (last id + 1, or 0) and drops the oldest beyond `limit`
// (revisionHistoryLimit; negative is read as 0). Returns the id given.
int64_t push_history(std::vector<RevisionHistory>& history, RevisionHistory entry, int64_t limit);

// Kubernetes' metav1.Time format: "2024-05-01T10:00:00Z" (UTC, seconds).
std::string rfc3339(std::chrono::system_clock::time_point time);

}  // namespace ferry::apis
