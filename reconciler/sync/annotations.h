// What a manifest says about its own sync through annotations, read from Ferry's names and from
// Argo CD's and Helm's so existing config repos work unchanged:
//   ferry.dev/hook | argocd.argoproj.io/hook: PreSync, Sync, PostSync, SyncFail, Skip (comma list)
//   helm.sh/hook: pre-install/pre-upgrade → PreSync, post-install/post-upgrade → PostSync
//   ferry.dev/hook-delete-policy | argocd.argoproj.io/hook-delete-policy | helm.sh/hook-delete-policy
//   ferry.dev/sync-wave | argocd.argoproj.io/sync-wave | helm.sh/hook-weight (hooks only): an integer
//   ferry.dev/sync-options | argocd.argoproj.io/sync-options: Prune=false, Delete=false,
//     Replace=true, PruneLast=true, Validate=false (comma list)
// Pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "apis/types/status.h"

namespace ferry::reconciler {

using Json = nlohmann::json;

enum class Phase { kPreSync, kSync, kPostSync, kSyncFail };
const char* phase_name(Phase phase);

enum class HookDeletePolicy { kBeforeHookCreation, kHookSucceeded, kHookFailed };

struct SyncAnnotations {
  bool is_hook = false;
  bool skip = false;                 // hook "Skip": never applied
  std::set<Phase> hook_phases;       // when is_hook
  std::set<HookDeletePolicy> delete_policies;  // BeforeHookCreation when none is given
  int wave = 0;
  bool prune_disabled = false;       // Prune=false
  bool delete_disabled = false;      // Delete=false: kept on app deletion too
  bool replace = false;              // Replace=true
  bool prune_last = false;           // PruneLast=true
  bool validate_disabled = false;    // Validate=false
};

// The items of a comma-separated annotation value ("Prune=false, Replace=true"), trimmed; empty
// items dropped.
std::vector<std::string> split_list(const std::string& text);

// Invalid (naming the annotation and the object) when a wave is not an integer or a hook phase
// is unknown: a typo must not silently reorder a sync.
Result<SyncAnnotations> read_sync_annotations(const Json& object);

}  // namespace ferry::reconciler
