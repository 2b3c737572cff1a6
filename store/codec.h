// The pure functions behind manifest storage: the canonical JSON text of an object (what is
// hashed and stored), SHA-256 and HMAC-SHA-256 in hex, zlib compression, and Secret masking.
// Stateless and thread-safe; nothing here throws.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

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

// A zlib compressor that keeps its deflate state (about 256 KiB) between calls: setting it up
// and freeing it for every small manifest cost more than the compression itself. Output is the
// same as compress(). Not thread-safe: one per thread, or guarded by the owner's lock.
class Compressor {
 public:
  Compressor();
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  Result<std::string> compress(std::string_view raw);

 private:
  struct State;  // the z_stream, kept out of this header
  std::unique_ptr<State> state_;
};

// True for objects of kind Secret (in any API group, erring toward hiding): their values must
// never leave Ferry unmasked.
bool is_sensitive(const Json& object);
// A copy of a Secret with every value under data and stringData replaced by kMaskedValue (keys
// stay, so users see which keys changed hands). A kubectl last-applied-configuration annotation
// is masked the same way, as it would otherwise repeat the values. Other objects come back as
// they are.
Json mask_secret(const Json& object);

}  // namespace ferry::store
