// The three non-apply patch types of the Kubernetes API, as pure functions on documents:
// JSON merge patch (RFC 7386, application/merge-patch+json), JSON patch (RFC 6902,
// application/json-patch+json) and strategic merge patch (application/strategic-merge-patch+json,
// lists merged by the merge keys in schema.h, with $patch: delete/replace, $retainKeys,
// $deleteFromPrimitiveList/<list> and $setElementOrder/<list> directives).
// Pure functions; thread-safe. Errors are BadRequest/Invalid Status values with a reason text.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "apis/types/status.h"

namespace ferry::kube {

Result<nlohmann::json> apply_merge_patch(const nlohmann::json& target, const nlohmann::json& patch);
Result<nlohmann::json> apply_json_patch(const nlohmann::json& target, const nlohmann::json& patch);
Result<nlohmann::json> apply_strategic_merge_patch(const nlohmann::json& target, const nlohmann::json& patch,
                                                   std::string_view group, std::string_view kind);

}  // namespace ferry::kube
