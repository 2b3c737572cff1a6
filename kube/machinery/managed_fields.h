// Field ownership as kube-apiserver tracks it: metadata.managedFields entries
// {manager, operation Apply|Update, apiVersion, time, fieldsType FieldsV1, fieldsV1, subresource}
// where fieldsV1 is the set of owned field paths ("f:spec": {"f:replicas": {}}, list items by
// "k:{\"name\":\"web\"}" for map lists, "v:<json>" for set lists, "i:<n>" for atomic-less
// positional items, "." for the item itself).
//
// server_side_apply() merges an applied configuration into the live object the way SSA does:
// fields the manager applied before but no longer applies are removed (unless another manager
// owns them); applied values that differ from live values owned by another manager are
// conflicts (409 with one cause per field) unless `force`, which takes ownership.
// record_update() attributes the fields an Update (PUT/PATCH) changed to its manager.
// Pure functions; thread-safe. Server-set metadata (uid, resourceVersion, generation,
// creationTimestamp, managedFields itself) and `status` (for the main resource) are not owned.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "apis/types/status.h"

namespace ferry::kube {

// Owns its strings: requests are built from temporaries (type.api_version(), now()).
struct ApplyRequest {
  std::string group;        // "" for core
  std::string kind;
  std::string api_version;  // written into the managedFields entry ("apps/v1")
  std::string manager;      // fieldManager (required, non-empty)
  std::string subresource;  // "" or "status" / "scale"
  bool force = false;
  std::string now;          // RFC 3339 time for the entry, e.g. "2026-11-23T09:00:00Z"
};

// `live` is null when the object does not exist yet. Returns the merged object with
// metadata.managedFields updated (defaulting is the caller's job, afterwards), or a Conflict
// Status whose causes name each conflicting field as ".spec.replicas" with the message
// `conflict with "<manager>"` (and " using <apiVersion>" when it differs).
Result<nlohmann::json> server_side_apply(const nlohmann::json& live, const nlohmann::json& applied,
                                         const ApplyRequest& request);

// After a create/update/patch: sets `updated.metadata.managedFields` so that `manager` (with
// operation Update) owns every field whose value differs from `before` (or every field on
// create, when `before` is null), and no other manager keeps those fields.
void record_update(const nlohmann::json& before, nlohmann::json& updated, const ApplyRequest& request);

}  // namespace ferry::kube
