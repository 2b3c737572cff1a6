// Diff: is a live Kubernetes object what the desired (rendered) object asks for? The answer is a
// SyncState, the list of changed paths (JSON pointers) with the field manager that owns each one
// live, and a masked, normalised view of both sides with a unified text diff for people.
//
// The comparison follows DESIGN.md §4: every field the desired object sets must equal live after
// normalisation (quantities, int-or-string ports, empty vs absent, 1 vs 1.0, list items matched by
// merge key); fields Ferry applied before (its managedFields Apply entry) but no longer sets are
// drift too; server-set fields never count. ignoreDifferences rules (JSON pointers and field
// managers) are honoured, and Secret values never leave in clear text.
//
// All functions are pure and thread-safe; inputs are only read and outputs are new values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apis/types/status.h"

namespace ferry::reconciler {

using Json = nlohmann::json;

enum class SyncState { kSynced, kOutOfSync, kMissing, kRequiresPruning };

// Argo CD's spellings: "Synced", "OutOfSync", "Missing", "RequiresPruning".
const char* sync_state_name(SyncState state);

// One spec.ignoreDifferences entry, with Argo CD's field names.
struct IgnoreRule {
  std::string group;       // "" = core; "*" = any group
  std::string kind;        // "*" = any kind
  std::string name;        // "" = any
  std::string namespace_;  // "" = any
  std::vector<std::string> json_pointers;            // RFC 6901, e.g. "/spec/replicas"
  std::vector<std::string> managed_fields_managers;  // fields these managers own live are ignored
};

// Reads one entry in the Argo CD YAML shape ({group, kind, name, namespace, jsonPointers,
// managedFieldsManagers}). Invalid for a missing kind, wrong types, malformed pointers, unknown
// fields, and for jqPathExpressions (not supported: use jsonPointers).
Result<IgnoreRule> ignore_rule_from_json(const Json& entry);

// Whether a rule applies to the object with this identity.
bool ignore_rule_matches(const IgnoreRule& rule, std::string_view group, std::string_view kind,
                         std::string_view namespace_, std::string_view name);

struct DiffOptions {
  std::vector<IgnoreRule> ignore;
  // The manager whose Apply entry in live managedFields says what Ferry applied before.
  std::string field_manager = "ferry";
  // Key of the salted hash that masks Secret values; "" = a random key made once per process,
  // so masks compare equal within a process and cannot be reversed by hashing guesses.
  std::string mask_salt;
  // Fill desired_view/live_view/unified. The controller may switch this off when it only needs
  // the state and paths (they are still filled for OutOfSync, Missing and RequiresPruning).
  bool views_when_synced = true;
};

struct ChangedPath {
  std::string path;          // JSON pointer, e.g. "/spec/replicas"; list items by index
  std::string live_manager;  // manager owning the path live per managedFields, "" if unknown
  bool operator==(const ChangedPath&) const = default;
};

struct ResourceDiff {
  SyncState state = SyncState::kSynced;
  std::vector<ChangedPath> changed;
  // Unified diff of the YAML of live_view vs desired_view, headed by
  // "--- live/<group>/<kind>/<namespace>/<name>" and "+++ desired/..." (empty segments for the
  // core group and cluster-scoped objects). Empty when Synced.
  std::string unified;
  // What a UI may show side by side: both without server-set fields, Secrets masked.
  // desired_view is the live object with what desired sets applied (the "predicted live" object
  // Argo CD shows), so the two differ only where the comparison found a difference. Null on the
  // side that does not exist (Missing: live_view; RequiresPruning: desired_view).
  Json desired_view;
  Json live_view;
};

// desired == nullptr: the object is live but no longer desired (RequiresPruning).
// live == nullptr: desired but not live (Missing). Both null: Synced and empty.
ResourceDiff diff_resource(const Json* desired, const Json* live, const DiffOptions& options);

// For RespectIgnoreDifferences=true: the desired object with every field an ignore rule covers
// taken from live (or removed when live lacks it), so a sync does not undo what is ignored.
// Pointer rules copy the live value even where desired does not set the field; manager rules
// replace the values desired sets on fields those managers own live.
Json respect_ignore_differences(const Json& desired, const Json& live, const DiffOptions& options);

// Secret masking: for a core/v1 Secret, stringData is folded into data (base64) first, then each
// data value becomes a mask "++++++++" followed by 12 hex digits of a salted hash of the decoded
// value: equal values get equal masks, different values different ones, and the value, its
// base64 and any unsalted hash of it never appear. A Secret carried in the
// kubectl.kubernetes.io/last-applied-configuration annotation is masked the same way.
// Non-Secrets are returned unchanged.
Json mask_secret(const Json& object);
Json mask_secret(const Json& object, std::string_view salt);

// The object's API group from its apiVersion ("apps/v1" -> "apps", "v1" -> "").
std::string group_of(const Json& object);

}  // namespace ferry::reconciler
