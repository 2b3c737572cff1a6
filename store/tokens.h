// Helpers for API and session tokens, which the store keeps only as hashes: a token is a random
// secret shown to its owner once; the store records hash_token(token) and looks tokens up by it.
// A plain SHA-256 suffices here (unlike passwords, which need a slow KDF): the token has 256
// bits of entropy, so its hash cannot be reversed by guessing, and looking a hash up in an
// index leaks nothing an attacker can use. Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "apis/types/status.h"

namespace ferry::store {

// Every token generate_token() makes starts with this, so secret scanners and humans can tell a
// Ferry token in a log or a repository, and the store can refuse one passed where a hash belongs.
inline constexpr const char* kTokenPrefix = "ferry_";

// A new random token: kTokenPrefix and 32 bytes from OpenSSL's CSPRNG in lowercase hex.
Result<std::string> generate_token();
// Lowercase hex SHA-256 of the token, the value stored in TokenRecord::hash.
std::string hash_token(std::string_view token);
// Compares two strings in constant time (neither how many bytes matched nor the lengths leak),
// for secrets such as webhook signatures and tokens.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace ferry::store
