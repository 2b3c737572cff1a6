// Password hashing for local accounts: PBKDF2-HMAC-SHA256 from OpenSSL with a random 16-byte
// salt, encoded so that the cost travels with the hash:
//
//   pbkdf2-sha256$600000$<base64 salt>$<base64 32-byte key>
//
// A stored hash keeps verifying after kDefaultPasswordIterations is raised; callers re-hash on
// the next successful login if they want the new cost. Stateless; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "apis/types/status.h"

namespace ferry::auth {

// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
inline constexpr int kDefaultPasswordIterations = 600000;
// verify_password() refuses encodings outside these bounds (a hash is trusted data, but a
// corrupt one should not cost minutes of CPU or verify with no work at all).
inline constexpr int kMinPasswordIterations = 1000;
inline constexpr int kMaxPasswordIterations = 10000000;

// Hashes `password` with a fresh salt. Invalid for an empty password or iterations out of bounds;
// Internal when OpenSSL fails.
Result<std::string> hash_password(std::string_view password, int iterations = kDefaultPasswordIterations);

// True when `encoded` (from hash_password) is the hash of `password`. The final comparison takes
// the same time wherever the bytes differ. False for a malformed encoding.
bool verify_password(std::string_view password, std::string_view encoded);

// The iteration count of an encoding, 0 when malformed (to decide on re-hashing).
int password_iterations(std::string_view encoded);

// A random password of `length` characters (8..256) from the URL-safe base64 alphabet
// (A-Z a-z 0-9 - _), 6 bits of entropy each: 24 characters hold 144 bits.
Result<std::string> generate_password(size_t length = 24);

}  // namespace ferry::auth
