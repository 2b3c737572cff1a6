// Secret handling shared by the diff and its callers: folding stringData into data, and the
// salted mask that stands in for a value (base64 itself is apis/types/base64.h).
// mask_secret() itself is declared in diff.h. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ferry::reconciler {

// True for a core/v1 Secret.
bool is_secret(const nlohmann::json& object);

// For a Secret: stringData values become base64 data entries (stringData wins over data, as
// the API server merges them), stringData is removed, and every data value is re-encoded in
// canonical base64 so equal bytes compare equal. Other objects are left alone.
void fold_string_data(nlohmann::json& object);

// The mask of one value: "++++++++" and 12 hex digits of HMAC-SHA256(salt, bytes). An empty
// salt means the per-process random salt.
std::string mask_value(std::string_view bytes, std::string_view salt);

}  // namespace ferry::reconciler
