// ignoreDifferences as the diff applies it: which rules match an object, the JSON pointers they
// remove from both sides, and the set of fields owned live by the managers they name. The public
// half (IgnoreRule, ignore_rule_from_json, respect_ignore_differences) is in diff.h.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/machinery/fields_set.h"
#include "reconciler/diff/diff.h"

namespace ferry::reconciler {

// Group, kind, namespace and name of an object, read from the object itself.
struct ObjectIdentity {
  std::string group;
  std::string kind;
  std::string namespace_;
  std::string name;
};
ObjectIdentity identity_of(const Json& object);

// The rules of `options` that apply to the object.
std::vector<const IgnoreRule*> matching_rules(const DiffOptions& options, const ObjectIdentity& id);

// The parsed pointers of the rules; for a Secret a pointer into /stringData/<key> also names
// /data/<key>, since the diff compares stringData folded into data.
std::vector<std::vector<std::string>> ignored_pointers(const std::vector<const IgnoreRule*>& rules, bool secret);

// Removes every pointer from the object (those that do not resolve are skipped). Pointers are
// removed deepest-first and, within one list, highest index first, so that earlier removals do
// not shift the elements later pointers name.
void remove_pointers(Json& object, std::vector<std::vector<std::string>> pointers);

// The union of the fields the rules' managedFieldsManagers own in live's managedFields, or
// nullopt when no rule names a manager.
std::optional<kube::FieldSet> ignored_manager_fields(const Json& live, const std::vector<const IgnoreRule*>& rules);

// Orders pointer token lists so that removing them in this order never shifts a later one:
// descending, with numeric tokens compared as numbers.
bool pointer_removal_order(const std::vector<std::string>& a, const std::vector<std::string>& b);

}  // namespace ferry::reconciler
