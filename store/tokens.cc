#include "store/tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

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
  // Comparing digests hides the lengths too (a GitLab token or a password may be any length);
  // equal digests of unequal inputs would need a SHA-256 collision.
  unsigned char da[SHA256_DIGEST_LENGTH];
  unsigned char db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

}  // namespace ferry::store
