#include "store/tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "store/codec.h"

namespace ferry::store {

Result<std::string> generate_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    return Status::Internal("no random bytes for a token (OpenSSL RAND_bytes failed)");
  static const char kHex[] = "0123456789abcdef";
  std::string token = kTokenPrefix;
  token.reserve(token.size() + 64);
  for (unsigned char b : bytes) {
    token.push_back(kHex[b >> 4]);
    token.push_back(kHex[b & 15]);
  }
  OPENSSL_cleanse(bytes, sizeof(bytes));
  return token;
}

std::string hash_token(std::string_view token) { return sha256_hex(token); }

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Lengths are not secret (digests and signatures have fixed sizes); the contents are.
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ferry::store
