// The records Ferry's store keeps: sync operations and their per-resource results, audit events,
// accounts and API tokens. Plain values with no behaviour beyond naming; copy them freely. They
// are not synchronised (one thread per instance), like any value.
//
// Times are Unix milliseconds (int64, UTC). They sort and compare as numbers in SQL and cost no
// parsing; the surfaces (API, CLI, status) format them as RFC 3339. 0 means "not set".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::store {

using Json = nlohmann::json;

// Argo CD's operation phases. Running and Terminating are unfinished; the others are final.
enum class OperationPhase {
  kRunning,
  kTerminating,  // asked to stop, still winding down
  kSucceeded,
  kFailed,       // the sync ran and some resource failed
  kError,        // the sync could not run (render error, unreachable cluster, ...)
  kInterrupted,  // the process died while it ran; set by Store::mark_interrupted_running()
};

// "Running", "Succeeded", ... — the spelling stored in SQLite and shown to users.
const char* phase_name(OperationPhase phase);
// The inverse of phase_name(); nullopt for an unknown spelling.
std::optional<OperationPhase> parse_phase(std::string_view name);
// True for Succeeded, Failed, Error and Interrupted.
bool is_final(OperationPhase phase);

// Kinds of operation the controller records. The column is free text so that new kinds need no
// migration; these are the spellings in use.
inline constexpr const char* kKindSync = "sync";
inline constexpr const char* kKindRollback = "rollback";
inline constexpr const char* kKindPrune = "prune";
// initiated_by for operations the controller starts on its own (auto-sync, self-heal, retry).
inline constexpr const char* kInitiatedAutomated = "automated";

// What the controller knows when an operation begins; journalled before anything is applied.
struct OperationStart {
  std::string app;      // "namespace/name" of the Application
  std::string project;  // "default" when the app names none
  std::string kind = kKindSync;
  std::string revision;                            // the resolved commit SHA (for a rollback: the revision it restores)
  Json source = Json::object();                    // the app's spec.source as it was used
  std::string initiated_by = kInitiatedAutomated;  // a user name or "automated"
  bool dry_run = false;
  bool prune = false;
  int64_t rollback_of = 0;  // for a rollback: the history ID whose manifests it re-applies
  int64_t started_at = 0;   // Unix ms; 0: the store's clock
};

// The outcome of one resource in one operation, as in Argo CD's ResourceResult. Recording the
// same resource (group, kind, namespace, name, sync_phase) again in the same operation updates
// the row in place and keeps its position, so a hook can move from Running to Succeeded.
struct ResourceResult {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  std::string ns;  // "" for cluster-scoped objects
  std::string name;
  std::string status;  // Synced, SyncFailed, Pruned, PruneSkipped, ...
  std::string message;
  std::string sync_phase;       // PreSync, Sync, PostSync, SyncFail ("" is stored and read as Sync)
  std::string hook_type;        // "" for an ordinary resource
  std::string hook_phase;       // Running, Succeeded, Failed, ... ("" when not a hook)
  std::string manifest_digest;  // digest of the object applied (Store::store_manifests), "" if none

  bool operator==(const ResourceResult&) const = default;
};

// One row of the ledger. `id` is the history ID users pass to rollback: it only grows and is
// never reused, even after old rows are pruned.
struct Operation {
  int64_t id = 0;
  std::string app;
  std::string project;
  std::string kind;
  std::string revision;
  Json source = Json::object();
  std::string initiated_by;
  bool dry_run = false;
  bool prune = false;
  int64_t rollback_of = 0;
  OperationPhase phase = OperationPhase::kRunning;
  std::string message;
  int64_t started_at = 0;
  int64_t finished_at = 0;  // 0 while unfinished
  // Filled by get_operation() and mark_interrupted_running(); empty in list results.
  std::vector<ResourceResult> resources;
};

// An audit event: who did what to which app, and when.
struct Event {
  int64_t id = 0;      // assigned by record_event()
  int64_t time = 0;    // Unix ms; 0 when recording: the store's clock
  std::string actor;   // user, token account, "controller", "webhook:github", ...
  std::string action;  // "sync", "rollback", "login", "token.create", ...
  std::string app;     // "namespace/name", "" when the event concerns no app
  std::string message;
  Json details = Json::object();
};

struct EventFilter {
  std::string app;        // "": every app (and app-less events)
  int64_t since = 0;      // only events with time >= since
  int64_t before_id = 0;  // pagination: only events with id < before_id (0: no bound)
  int limit = 100;        // newest first; <= 0 means no limit
};

// A local account. Capabilities as in Argo CD's settings: "login" (password sessions) and
// "apiKey" (may own API tokens).
struct Account {
  std::string name;
  std::vector<std::string> capabilities;
  std::string password_hash;  // produced by the caller's slow KDF; "" when the account has none
  bool enabled = true;
  int64_t created_at = 0;  // set by the store
  int64_t updated_at = 0;  // set by the store

  bool has_capability(std::string_view capability) const;
};

// An API or session token. Only the hash of the token is stored (see tokens.h); the token itself
// is shown to its owner once and forgotten.
struct TokenRecord {
  std::string id;  // public identifier, e.g. a UUID; used to list and revoke
  std::string account;
  std::string hash;        // hash_token(token)
  int64_t created_at = 0;  // 0 when storing: the store's clock
  int64_t expires_at = 0;  // 0: never
  std::string description;

  bool expired(int64_t now_ms) const { return expires_at != 0 && now_ms >= expires_at; }
  bool operator==(const TokenRecord&) const = default;
};

// What prune_history() removed.
struct PruneResult {
  int64_t operations_deleted = 0;
  int64_t blobs_deleted = 0;
};

// Sizes, for tests, metrics and `ferry` diagnostics.
struct StoreStats {
  int64_t operations = 0;
  int64_t resource_results = 0;
  int64_t manifest_refs = 0;  // (operation, manifest) links
  int64_t blobs = 0;          // distinct manifests
  int64_t sensitive_blobs = 0;
  int64_t blob_bytes_raw = 0;     // canonical JSON size of all blobs
  int64_t blob_bytes_stored = 0;  // their compressed size
  int64_t events = 0;
  int64_t accounts = 0;
  int64_t tokens = 0;
  int schema_version = 0;
};

}  // namespace ferry::store
