// Authenticator: local accounts, password logins, session and API tokens (DESIGN.md §8, §9).
//
// Accounts live in the store; the settings say which exist (Argo CD's `accounts.<name>`), and the
// built-in `admin` always does. Passwords are kept as slow KDF hashes (passwords.h); tokens as
// SHA-256 hashes (store/tokens.h) and shown to their owner once. A session is a token made by
// login() that expires after Settings::session_duration; an API token is made by generate_token()
// for an account with the apiKey capability and may never expire.
//
// Every failed login answers the same "invalid username or password", whatever was wrong. After
// 5 failures for a username, or 20 from one address, within 5 minutes, further attempts are
// refused with TooManyRequests (see retry_after_seconds()) before any password is checked.
// Logins, logouts, token and account changes are recorded as audit events; no password or token
// ever reaches an event, a log or an error.
//
// Ownership: the Authenticator borrows `store`, which must outlive it. Thread-safety: every method
// may be called from any thread at the same time.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apis/auth/passwords.h"
#include "apis/types/settings.h"
#include "apis/types/status.h"
#include "store/store.h"

namespace ferry::auth {

inline constexpr const char* kAdminAccount = "admin";
// The file ensure_admin() writes a generated admin password to, inside the data dir.
inline constexpr const char* kAdminPasswordFileName = "admin.password";
// Session token ids start with this; API token ids may not.
inline constexpr const char* kSessionIdPrefix = "session-";
// The single answer to every failed login.
inline constexpr const char* kLoginFailedMessage = "invalid username or password";

// Who a request comes from, once its bearer token checked out.
struct Principal {
  std::string account;
  std::vector<std::string> groups;  // for SSO subjects; local accounts have none
  std::string token_id;
  bool session = false;  // true: from login(); false: an API token
};

// What login() hands back. `token` is the only copy: send it to the client and forget it.
struct Session {
  std::string token;
  std::string token_id;
  std::string account;
  int64_t expires_at = 0;  // Unix ms
};

// What generate_token() hands back. `token` is the only copy; `record` is what the store keeps.
struct IssuedToken {
  std::string token;
  store::TokenRecord record;
};

// What ensure_admin() did, for the controller's start-up log line.
struct AdminBootstrap {
  std::string password_file;      // where the admin password can be read, "" when no file holds it
  bool generated = false;         // a new random password was written to password_file
  bool password_changed = false;  // the stored hash was (re)written
};

struct AuthenticatorOptions {
  // "Now" in Unix ms; tests pin it. Default: the system clock.
  std::function<int64_t()> clock;
  // PBKDF2 cost of new hashes (tests lower it; verification reads the cost from each hash).
  int password_iterations = kDefaultPasswordIterations;
  int max_failures_per_user = 5;
  int max_failures_per_address = 20;
  std::chrono::seconds failure_window{std::chrono::minutes(5)};
};

class Authenticator {
 public:
  Authenticator(store::Store& store, apis::Settings settings, AuthenticatorOptions options = {});
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Replaces the settings (after a reload) and syncs accounts into the store: new ones are
  // created without a password, capabilities and `enabled` follow the settings, and accounts no
  // longer listed are disabled — not deleted, so their history and tokens stay. `admin` is
  // never removed; admin.enabled decides whether it may sign in.
  Status set_settings(apis::Settings settings);
  apis::Settings settings() const;

  // Makes sure the `admin` account exists with capabilities login and apiKey, then syncs the
  // settings' accounts. Its password:
  //  - with `admin_password_file` (--admin-password-file): that file's content (one trailing
  //    newline dropped), re-hashed whenever the content no longer matches the stored hash;
  //  - otherwise the stored one when there is one; else the content of <data_dir>/admin.password
  //    when that file exists; else a generated password written there with mode 0600.
  Result<AdminBootstrap> ensure_admin(const std::string& data_dir, const std::string& admin_password_file);

  // Checks a password and opens a session. Unauthorized (kLoginFailedMessage) on any failure;
  // TooManyRequests with retry_after_seconds() while rate limited.
  Result<Session> login(const std::string& username, std::string_view password, const std::string& remote_address);

  // Resolves a bearer token. Unauthorized "invalid token", "token expired" or "account is
  // disabled"; Unavailable/Internal when the store fails.
  Result<Principal> authenticate(std::string_view bearer_token);

  // Ends the session `token` belongs to. OK when it is unknown or already gone (logging out twice
  // is not an error); Invalid for an API token (revoke those with revoke_token()).
  Status logout(std::string_view token);

  // Issues an API token for `account`, which must exist, be enabled and have the apiKey
  // capability (NotFound / Invalid otherwise). `expires_in_seconds` 0 means never; `id` "" picks
  // a random UUID; ids may hold letters, digits and . _ - (at most 128), not start "session-".
  // `actor` (default: the account) is who asked, for the audit event.
  Result<IssuedToken> generate_token(const std::string& account, int64_t expires_in_seconds, const std::string& id,
                                     const std::string& description, const std::string& actor = "");
  // Revokes one of `account`'s tokens. NotFound when the account has no token with that id.
  Status revoke_token(const std::string& account, const std::string& id, const std::string& actor = "");
  // `account`'s tokens, oldest first; sessions only when asked for.
  Result<std::vector<store::TokenRecord>> list_tokens(const std::string& account, bool include_sessions = false);

  // Sets an account's password (at least 8 characters). For admin with --admin-password-file,
  // the file wins again at the next start.
  Status set_password(const std::string& account, std::string_view new_password, const std::string& actor = "");

 private:
  int64_t now() const;
  Status sync_accounts();
  // Retry-after seconds when `username` or `address` is over its failure budget, else 0.
  int64_t throttled(const std::string& username, const std::string& address, int64_t now_ms);
  // Counts a failure; true when it used up the last attempt of a budget.
  bool count_failure(const std::string& username, const std::string& address, int64_t now_ms);
  void record(const std::string& actor, const std::string& action, const std::string& message,
              store::Json details = store::Json::object());
  const std::string& dummy_hash();

  store::Store& store_;
  const AuthenticatorOptions options_;

  mutable std::mutex mu_;  // guards settings_, failures_by_user_, failures_by_address_
  apis::Settings settings_;
  std::map<std::string, std::deque<int64_t>> failures_by_user_;     // failure times, oldest first
  std::map<std::string, std::deque<int64_t>> failures_by_address_;

  std::mutex accounts_mu_;  // serialises read-modify-write of account rows

  std::once_flag dummy_once_;
  std::string dummy_hash_;  // verified against for unknown users, so timing does not tell them apart
};

// The retry-after delay a TooManyRequests status from login() carries; nullopt for others.
std::optional<int64_t> retry_after_seconds(const Status& status);

}  // namespace ferry::auth
