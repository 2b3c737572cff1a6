#include "reconciler/diff/secret.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <random>

#include "apis/types/base64.h"
#include "reconciler/diff/diff.h"

namespace ferry::reconciler {
namespace {

using nlohmann::json;

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// JSON text of a value that is never rejected: invalid UTF-8 is replaced, not thrown on.
std::string safe_dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// A key made once per process: masks are comparable within the process and useless for
// guessing values offline, since the key never leaves memory.
const std::string& process_salt() {
  static const std::string salt = [] {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      // No entropy from OpenSSL: fall back to the OS source through std::random_device.
      std::random_device device;
      for (auto& b : bytes) b = static_cast<unsigned char>(device());
    }
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }();
  return salt;
}

// The bytes a data value stands for; a value that is not base64 is masked as its own text.
std::string value_bytes(const json& value) {
  if (!value.is_string()) return safe_dump(value);
  const auto& text = value.get_ref<const std::string&>();
  std::string decoded;
  return base64_decode(text, decoded) ? decoded : text;
}

// Masks data (base64 values) and any stringData left (plain values): the same bytes get the
// same mask either way.
void mask_data(json& object, std::string_view salt) {
  if (auto data = object.find("data"); data != object.end() && data->is_object()) {
    for (auto& [key, value] : data->items()) {
      if (!value.is_null()) value = mask_value(value_bytes(value), salt);
    }
  }
  if (auto data = object.find("stringData"); data != object.end() && data->is_object()) {
    for (auto& [key, value] : data->items()) {
      if (!value.is_null()) value = mask_value(value.is_string() ? value.get<std::string>() : safe_dump(value), salt);
    }
  }
}

// Masks a Secret written into kubectl's last-applied annotation; an annotation that does not
// parse is masked whole, since it may hold anything.
void mask_last_applied(json& object, std::string_view salt) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return;
  auto annotations = metadata->find("annotations");
  if (annotations == metadata->end() || !annotations->is_object()) return;
  auto it = annotations->find(kLastApplied);
  if (it == annotations->end() || !it->is_string()) return;
  json applied = json::parse(it->get_ref<const std::string&>(), nullptr, false);
  if (applied.is_discarded() || !applied.is_object()) {
    *it = mask_value(it->get_ref<const std::string&>(), salt);
    return;
  }
  fold_string_data(applied);
  mask_data(applied, salt);
  *it = safe_dump(applied);
}

}  // namespace

bool is_secret(const json& object) {
  if (!object.is_object()) return false;
  auto kind = object.find("kind");
  auto api_version = object.find("apiVersion");
  return kind != object.end() && *kind == "Secret" && api_version != object.end() && *api_version == "v1";
}

void fold_string_data(json& object) {
  if (!is_secret(object)) return;
  auto string_data = object.find("stringData");
  if (string_data != object.end()) {
    if (string_data->is_object() && !string_data->empty()) {
      json& data = object["data"];
      if (!data.is_object()) data = json::object();
      for (const auto& [key, value] : string_data->items()) {
        data[key] = base64_encode(value.is_string() ? value.get<std::string>() : safe_dump(value));
      }
    }
    object.erase("stringData");
  }
  auto data = object.find("data");
  if (data == object.end() || !data->is_object()) return;
  for (auto& [key, value] : data->items()) {
    if (!value.is_string()) continue;
    std::string bytes;
    if (base64_decode(value.get_ref<const std::string&>(), bytes)) value = base64_encode(bytes);
  }
}

std::string mask_value(std::string_view bytes, std::string_view salt) {
  const std::string& key = salt.empty() ? process_salt() : std::string(salt);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(bytes.data()),
       bytes.size(), digest.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "++++++++";
  for (size_t i = 0; i < 6 && i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Json mask_secret(const Json& object) { return mask_secret(object, {}); }

Json mask_secret(const Json& object, std::string_view salt) {
  if (!is_secret(object)) return object;
  Json out = object;
  fold_string_data(out);
  mask_data(out, salt);
  mask_last_applied(out, salt);
  return out;
}

}  // namespace ferry::reconciler
