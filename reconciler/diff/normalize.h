// Normalisation rules of the diff: when two JSON values that look different mean the same thing
// to the API server (quantities "1000m" and "1", the int 8080 and the string "8080" of a port,
// 1 and 1.0, "" or {} and an absent field), and which fields the server sets itself.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::reconciler {

// How scalars under a field compare. Flags combine as a field may sit inside a quantity map.
enum ValueContext : unsigned {
  kPlainValue = 0,
  kQuantityValue = 1u << 0,     // resource quantities: compared by exact value
  kIntOrStringValue = 1u << 1,  // ports and rollout budgets: 80 == "80"
};

// The context of the value under `key`, given its parent's context. Maps named resources, limits,
// requests, hard, capacity, allocatable, allocatedResources and used hold quantities (so does a
// field named storage, sizeLimit or averageValue); port, targetPort, containerPort, nodePort,
// hostPort, maxSurge, maxUnavailable and minAvailable are int-or-string.
unsigned child_context(unsigned parent, std::string_view key);

// Go's zero values read back as "unset": null, "", 0, false, {} and [] (a server drops them on
// omitempty fields, so a desired zero never differs from an absent live field).
bool is_empty_value(const nlohmann::json& value);
// Empty, or an object whose values are all effectively empty ({"annotations": {}}).
bool is_effectively_empty(const nlohmann::json& value);

// Scalars equal after normalisation: numbers by value (1 == 1.0), quantities by exact value in
// a quantity context ("1Gi" == 1073741824), decimal strings equal to integers in an
// int-or-string context, anything else exactly.
bool scalar_equal(const nlohmann::json& desired, const nlohmann::json& live, unsigned context);

// The exact value of a quantity as "<sign><digits>e<exponent>" with no trailing zeros in the
// digits ("1Gi" -> "1073741824e0", "500m" -> "5e-1"), or nullopt when it is not one. JSON
// numbers are read as the quantity of their decimal text.
std::optional<std::string> quantity_value_key(const nlohmann::json& value);

// Fields the API server owns: `status` at the root; managedFields, resourceVersion, uid,
// generation, creationTimestamp, selfLink, deletionTimestamp and deletionGracePeriodSeconds in
// metadata.
bool is_server_set_root_field(std::string_view key);
bool is_server_set_metadata_field(std::string_view key);
// Removes the server-set fields from a whole object.
void strip_server_fields(nlohmann::json& object);

// The merge-key fields of a map-list item, with the defaults the server fills in before
// matching (protocol "TCP"); integral floats become integers. nullopt when a key is missing
// and has no default.
std::optional<nlohmann::json> list_item_key(const nlohmann::json& item, const std::vector<std::string>& keys);

}  // namespace ferry::reconciler
