#include "apis/auth/passwords.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <vector>

#include "apis/types/base64.h"

namespace ferry::auth {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;

struct Encoded {
  int iterations = 0;
  std::string salt;
  std::string key;
};

bool derive(std::string_view password, std::string_view salt, int iterations, size_t length, std::string& out) {
  out.assign(length, '\0');
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                           reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                           iterations, EVP_sha256(), static_cast<int>(length),
                           reinterpret_cast<unsigned char*>(out.data())) == 1;
}

// Splits "scheme$iterations$salt$key"; false on any deviation.
bool decode(std::string_view encoded, Encoded& out) {
  std::vector<std::string_view> parts;
  while (parts.size() < 4) {
    size_t dollar = encoded.find('$');
    parts.push_back(encoded.substr(0, dollar));
    if (dollar == std::string_view::npos) {
      encoded = {};
      break;
    }
    encoded.remove_prefix(dollar + 1);
  }
  if (parts.size() != 4 || !encoded.empty() || parts[0] != kScheme) return false;
  auto [ptr, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), out.iterations);
  if (ec != std::errc() || ptr != parts[1].data() + parts[1].size()) return false;
  if (out.iterations < kMinPasswordIterations || out.iterations > kMaxPasswordIterations) return false;
  if (!base64_decode(parts[2], out.salt) || !base64_decode(parts[3], out.key)) return false;
  // The key length is fixed: PBKDF2's output for a shorter length is a prefix of the longer one,
  // so a truncated key would still verify.
  return out.salt.size() >= 8 && out.salt.size() <= 64 && out.key.size() == kKeyBytes;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, int iterations) {
  if (password.empty()) return Status::Invalid("password must not be empty");
  if (iterations < kMinPasswordIterations || iterations > kMaxPasswordIterations) {
    return Status::Invalid("password hash iterations must be between " + std::to_string(kMinPasswordIterations) +
                           " and " + std::to_string(kMaxPasswordIterations));
  }
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1) {
    return Status::Internal("no random bytes for a password salt");
  }
  std::string key;
  if (!derive(password, salt, iterations, kKeyBytes, key)) return Status::Internal("PBKDF2 failed");
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64_encode(salt) + "$" +
         base64_encode(key);
}

bool verify_password(std::string_view password, std::string_view encoded) {
  Encoded e;
  if (!decode(encoded, e)) return false;
  std::string key;
  if (!derive(password, e.salt, e.iterations, e.key.size(), key)) return false;
  return CRYPTO_memcmp(key.data(), e.key.data(), key.size()) == 0;
}

int password_iterations(std::string_view encoded) {
  Encoded e;
  return decode(encoded, e) ? e.iterations : 0;
}

Result<std::string> generate_password(size_t length) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (length < 8 || length > 256) return Status::Invalid("password length must be between 8 and 256");
  std::string bytes(length, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) != 1) {
    return Status::Internal("no random bytes for a password");
  }
  // 64 symbols divide 256 evenly, so masking the low 6 bits keeps every symbol equally likely.
  std::string out(length, '\0');
  for (size_t i = 0; i < length; ++i) out[i] = kAlphabet[static_cast<unsigned char>(bytes[i]) & 63];
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return out;
}

}  // namespace ferry::auth
