// The pure functions behind manifest storage: the canonical JSON text of an object (what is
// hashed and stored), SHA-256 and HMAC-SHA-256 in hex, zlib compression, and Secret masking.
// Stateless and thread-safe; nothing here throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "apis/types/status.h"

namespace ferry::store {

using Json = nlohmann::json;

// What masked Secret values read as (Argo CD's spelling).
inline constexpr const char* kMaskedValue = "++++++++";

// The canonical text of a JSON value: keys sorted (nlohmann::json keeps objects sorted), no
// whitespace, UTF-8 as is, numbers in their shortest round-trip form. Parsing it gives back a
// value equal to `value` whose canonical text is the same bytes. Invalid when the value cannot
// survive the trip: a NaN or infinite number (JSON has none) or a string that is not UTF-8.
Result<std::string> canonical_json(const Json& value);

// Lowercase hex of SHA-256(data) and of HMAC-SHA-256(key, data).
std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// zlib (deflate) compression. decompress() needs the original size, which the store keeps.
Result<std::string> compress(std::string_view raw);
Result<std::string> decompress(std::string_view compressed, int64_t raw_size);

// True for core-group Secrets: objects whose values must never leave Ferry unmasked.
bool is_sensitive(const Json& object);
// A copy of a Secret with every value under data and stringData replaced by kMaskedValue (keys
// stay, so users see which keys changed hands). A kubectl last-applied-configuration annotation
// is masked the same way, as it would otherwise repeat the values. Other objects come back as
// they are.
Json mask_secret(const Json& object);

}  // namespace ferry::store
