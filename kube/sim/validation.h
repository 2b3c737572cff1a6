// Validation the simulator performs the way kube-apiserver does: object names (RFC 1123
// subdomain, or DNS label for namespaces and services), label keys/values, value types of
// ConfigMap/Secret data, required fields of workloads, immutable fields on update.
// Pure functions; thread-safe. Errors are Invalid (with causes) or BadRequest Status values.
#pragma once

#include <nlohmann/json.hpp>

#include "apis/types/status.h"
#include "kube/sim/registry.h"

namespace ferry::kube::sim {

// "" when `name` is a valid RFC 1123 subdomain, otherwise the Kubernetes message.
std::string subdomain_error(const std::string& name);
// "" when `name` is a valid RFC 1123 label, otherwise the Kubernetes message.
std::string label_name_error(const std::string& name);

// Checks a complete object before it is stored. `old` is null on create.
Status validate_object(const ResourceType& type, const nlohmann::json& object, const nlohmann::json* old);

}  // namespace ferry::kube::sim
