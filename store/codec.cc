#include "store/codec.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <cmath>
#include <limits>

namespace ferry::store {
namespace {

// A stored blob larger than this is treated as corrupt rather than allocated: no Kubernetes
// object comes near it (etcd refuses values over 1.5 MiB by default).
constexpr int64_t kMaxRawSize = int64_t{1} << 30;

bool all_numbers_finite(const Json& value) {
  switch (value.type()) {
    case Json::value_t::number_float:
      return std::isfinite(value.get<double>());
    case Json::value_t::object:
    case Json::value_t::array:
      for (const auto& item : value) {
        if (!all_numbers_finite(item)) return false;
      }
      return true;
    default:
      return true;
  }
}

std::string to_hex(const unsigned char* bytes, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

void mask_values(Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return;
  if (!it->is_object()) {  // malformed, but it may still hold a secret
    *it = kMaskedValue;
    return;
  }
  for (auto& [key, value] : it->items()) value = kMaskedValue;
}

}  // namespace

Result<std::string> canonical_json(const Json& value) {
  // dump() would write NaN and infinities as null, which reads back as a different value.
  if (!all_numbers_finite(value))
    return Status::Invalid("manifest holds a NaN or infinite number, which JSON cannot carry");
  try {
    return value.dump(-1, ' ', false, Json::error_handler_t::strict);
  } catch (const Json::exception& e) {
    return Status::Invalid(std::string("manifest cannot be written as JSON: ") + e.what());
  }
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(md, len);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), md, &len);
  return to_hex(md, len);
}

struct Compressor::State {
  z_stream stream{};
  bool ready = false;  // deflateInit succeeded; deflateEnd owed
};

Compressor::Compressor() : state_(std::make_unique<State>()) {}

Compressor::~Compressor() {
  if (state_->ready) deflateEnd(&state_->stream);
}

Result<std::string> Compressor::compress(std::string_view raw) {
  if (raw.size() > static_cast<size_t>(kMaxRawSize)) return Status::Invalid("manifest too large to store");
  z_stream& z = state_->stream;
  int rc = Z_OK;
  if (!state_->ready) {
    rc = deflateInit(&z, Z_DEFAULT_COMPRESSION);
    state_->ready = rc == Z_OK;
  } else {
    rc = deflateReset(&z);
  }
  if (rc != Z_OK) return Status::Internal("zlib deflate setup failed (code " + std::to_string(rc) + ")");
  std::string out(deflateBound(&z, static_cast<uLong>(raw.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  rc = deflate(&z, Z_FINISH);  // one call suffices: the output buffer has deflateBound bytes
  if (rc != Z_STREAM_END) return Status::Internal("zlib deflate failed (code " + std::to_string(rc) + ")");
  out.resize(z.total_out);
  return out;
}

Result<std::string> compress(std::string_view raw) {
  Compressor compressor;
  return compressor.compress(raw);
}

Result<std::string> decompress(std::string_view compressed, int64_t raw_size) {
  if (raw_size < 0 || raw_size > kMaxRawSize) {
    return Status::Internal("stored manifest claims an impossible size " + std::to_string(raw_size));
  }
  std::string out(static_cast<size_t>(raw_size), '\0');
  uLongf size = static_cast<uLongf>(raw_size);
  // uncompress() wants a non-null destination even for an empty result.
  Bytef empty = 0;
  Bytef* dest = raw_size == 0 ? &empty : reinterpret_cast<Bytef*>(out.data());
  int rc =
      uncompress(dest, &size, reinterpret_cast<const Bytef*>(compressed.data()), static_cast<uLong>(compressed.size()));
  if (rc != Z_OK || static_cast<int64_t>(size) != raw_size) {
    return Status::Internal("stored manifest does not decompress (zlib code " + std::to_string(rc) + ")");
  }
  return out;
}

bool is_sensitive(const Json& object) {
  // Any group's kind Secret counts: hiding a look-alike custom resource costs little, showing
  // a real secret costs a lot.
  if (!object.is_object()) return false;
  auto kind = object.find("kind");
  return kind != object.end() && kind->is_string() && kind->get_ref<const std::string&>() == "Secret";
}

Json mask_secret(const Json& object) {
  if (!is_sensitive(object)) return object;
  Json masked = object;
  mask_values(masked, "data");
  mask_values(masked, "stringData");
  auto metadata = masked.find("metadata");
  if (metadata != masked.end() && metadata->is_object()) {
    auto annotations = metadata->find("annotations");
    if (annotations != metadata->end() && annotations->is_object()) {
      auto last = annotations->find("kubectl.kubernetes.io/last-applied-configuration");
      if (last != annotations->end()) {
        Json inner = last->is_string() ? Json::parse(last->get_ref<const std::string&>(), nullptr, false) : Json();
        if (inner.is_object()) {
          mask_values(inner, "data");
          mask_values(inner, "stringData");
          *last = inner.dump();
        } else {
          *last = kMaskedValue;
        }
      }
    }
  }
  return masked;
}

}  // namespace ferry::store
