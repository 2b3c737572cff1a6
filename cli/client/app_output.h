// The CLI's human-readable output for Applications, accounts and operations: Argo CD's tables
// and label blocks, built from the JSON the REST API answers (docs/api.md). Separate from the
// commands so that every format is tested without a server. Pure functions, and one small
// stateful helper (ProgressTracker, one thread); any thread.
#pragma once

#include <chrono>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::cli {

using Json = nlohmann::json;

// The string at `path` inside `value`, or "" when any step is missing or not of the right type.
std::string json_string(const Json& value, std::initializer_list<const char*> path);

// ---- Applications --------------------------------------------------------------------------

// `app list`: NAME CLUSTER NAMESPACE PROJECT STATUS HEALTH SYNCPOLICY CONDITIONS REPO PATH
// TARGET; `wide` adds REVISION (short) and OPERATION (the last operation's phase).
std::string apps_table(const Json& apps, bool wide);
// "Manual", "Auto" or "Auto-Prune", as Argo CD's SYNCPOLICY column.
std::string sync_policy_column(const Json& app);
// "<none>" or the condition types, sorted, with a count when repeated: "SyncError(2),X".
std::string conditions_column(const Json& app);
// `app get`: the label block, conditions and the resources table.
std::string app_details(const Json& app);

// `app history`: ID DATE REVISION KIND PHASE INITIATED BY MESSAGE (+ FINISHED, PRUNE, DRY RUN,
// ROLLBACK OF when wide), newest first as the server answers.
std::string history_table(const Json& items, bool wide);
// The id `app rollback NAME` without an ID goes back to: the second newest Succeeded entry that
// was not a dry run (the newest such entry is what runs now). -1 when there is none.
long long previous_successful_id(const Json& history_items);

// `app plan`: PHASE WAVE ACTION GROUP KIND NAMESPACE NAME REASON.
std::string plan_table(const Json& items);

// `app diff`: for each item "===== GROUP/KIND NAMESPACE/NAME ======" and its unified diff, as
// Argo CD prints them.
std::string diff_text(const Json& diff);

// ---- Resource tree -------------------------------------------------------------------------

// Arranges resource-tree nodes ({"nodes": [...]}'s array) into roots, each node gaining a
// "children" array from the parentRefs of the others. Nodes whose parents are missing (or that
// sit in a parent cycle) become roots. Siblings are sorted by kind, namespace and name.
Json build_tree(const Json& nodes);
// The tree as a table: NAME (indented "Kind/name" with ├─ └─ │ guides) GROUP NAMESPACE STATUS
// HEALTH MESSAGE. A node's "treeError" (a child app that could not be opened) shows as MESSAGE.
std::string tree_table(const Json& roots);

// ---- Operations (sync, rollback) and waits ---------------------------------------------------

// One resource's row in the progress and result tables.
struct ResourceLine {
  std::string group, kind, namespace_, name, status, health, hook, message;
  std::string key() const;  // identity: group/kind/namespace/name and hook
};

// The resource results of the Application's current operation
// (status.operationState.syncResult.resources), health joined from status.resources — except
// "Missing", which there can only be the comparison from before the operation created it.
std::vector<ResourceLine> operation_lines(const Json& app);
// The resources of an operation result (the sync/rollback answer), health joined from `app`
// (may be null).
std::vector<ResourceLine> result_lines(const Json& result, const Json& app);
// The app's resources as the controller last compared them (status.resources): sync status,
// health and health message — what `app wait` follows.
std::vector<ResourceLine> resource_lines(const Json& app);

// The streaming progress table: a header and lines with fixed column widths (cells longer
// than their column push the rest of their line right).
std::string progress_header();
std::string progress_line(const std::string& timestamp, const ResourceLine& line);
// GROUP KIND NAMESPACE NAME STATUS HEALTH HOOK MESSAGE, aligned.
std::string resources_table(const std::vector<ResourceLine>& lines);

// Remembers what was printed so that only new or changed resource lines are printed again.
class ProgressTracker {
 public:
  // The lines of `current` that are new or differ from what this tracker last returned.
  std::vector<ResourceLine> update(const std::vector<ResourceLine>& current);

 private:
  std::map<std::string, std::string> seen_;  // key() -> the cells last returned
};

// The result block after a sync or rollback: Operation, Sync Revision, Phase, Message, then the
// resources table.
std::string operation_summary(const std::string& app_name, const std::string& operation, const Json& result,
                              const Json& app);

// ---- Accounts ------------------------------------------------------------------------------

// `account list`: NAME ENABLED CAPABILITIES.
std::string accounts_table(const Json& accounts);
// `account get`: Name, Enabled, Capabilities and the tokens (ID ISSUED AT EXPIRING AT DESCRIPTION).
std::string account_details(const Json& account);

// Epoch seconds as RFC 3339 UTC ("2026-11-23T10:00:00Z").
std::string format_epoch(long long seconds);

}  // namespace ferry::cli
