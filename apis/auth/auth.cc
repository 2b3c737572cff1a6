#include "apis/auth/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <utility>

#include "store/tokens.h"

namespace ferry::auth {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSessionDescription = "session";
constexpr size_t kMaxNameInEvents = 128;   // what an attacker types as a username is bounded in the log
constexpr size_t kMaxTrackedKeys = 10000;  // rate-limiter memory bound
constexpr int64_t kMaxTokenLifetimeSeconds = int64_t{100} * 365 * 24 * 3600;
constexpr size_t kMinPasswordLength = 8;

const std::vector<std::string>& admin_capabilities() {
  static const std::vector<std::string> kCaps = {apis::kCapabilityLogin, apis::kCapabilityApiKey};
  return kCaps;
}

std::string bounded(std::string_view s) {
  if (s.size() <= kMaxNameInEvents) return std::string(s);
  return std::string(s.substr(0, kMaxNameInEvents)) + "...";
}

std::string drop_one_newline(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

Result<std::string> read_password_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::NotFound("admin password file " + path + " not found");
  if (!fs::is_regular_file(path, ec)) return Status::Invalid("admin password file " + path + " is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Internal("cannot read admin password file " + path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Internal("cannot read admin password file " + path);
  content = drop_one_newline(std::move(content));
  if (content.empty()) return Status::Invalid("admin password file " + path + " is empty");
  return content;
}

// Creates `path` with mode 0600 and `content`; never replaces an existing file.
Status write_new_secret_file(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot create " + path + ": " + std::strerror(errno));
  std::string data = content + "\n";
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return Status::Internal("cannot write " + path + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  if (::close(fd) != 0 || !synced) return Status::Internal("cannot write " + path);
  return Status::Ok();
}

// A random version-4 UUID, as Argo CD uses for token ids.
Result<std::string> random_uuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return Status::Internal("no random bytes for a token id");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return std::string(out);
}

bool valid_token_id(const std::string& id) {
  if (id.empty() || id.size() > 128 || id.starts_with(kSessionIdPrefix)) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

bool is_session(const store::TokenRecord& t) { return t.id.starts_with(kSessionIdPrefix); }

// Drops failure times outside the window; true when none are left.
bool prune(std::deque<int64_t>& times, int64_t since) {
  while (!times.empty() && times.front() <= since) times.pop_front();
  return times.empty();
}

void sweep(std::map<std::string, std::deque<int64_t>>& by_key, int64_t since) {
  if (by_key.size() <= kMaxTrackedKeys) return;
  for (auto it = by_key.begin(); it != by_key.end();) {
    it = prune(it->second, since) ? by_key.erase(it) : std::next(it);
  }
}

Status unauthorized(std::string message) { return Status(Reason::kUnauthorized, std::move(message)); }

}  // namespace

Authenticator::Authenticator(store::Store& store, apis::Settings settings, AuthenticatorOptions options)
    : store_(store), options_(std::move(options)), settings_(std::move(settings)) {}

int64_t Authenticator::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Authenticator::record(const std::string& actor, const std::string& action, const std::string& message,
                           store::Json details) {
  store::Event e;
  e.time = now();
  e.actor = bounded(actor);
  e.action = action;
  e.message = message;
  e.details = std::move(details);
  // Best effort: a full disk must not lock everyone out; the store reports its own failures.
  (void)store_.record_event(e);
}

const std::string& Authenticator::dummy_hash() {
  std::call_once(dummy_once_, [this] {
    auto h = hash_password("ferry-no-such-account", options_.password_iterations);
    dummy_hash_ = h.ok() ? *h : "";
  });
  return dummy_hash_;
}

// ---- Settings and accounts ------------------------------------------------------------------

Status Authenticator::set_settings(apis::Settings settings) {
  {
    std::lock_guard lock(mu_);
    settings_ = std::move(settings);
  }
  return sync_accounts();
}

apis::Settings Authenticator::settings() const {
  std::lock_guard lock(mu_);
  return settings_;
}

Status Authenticator::sync_accounts() {
  std::lock_guard lock(accounts_mu_);
  // Read under accounts_mu_: when two reloads race, the sync that runs last uses the newest settings.
  apis::Settings settings = this->settings();
  auto existing = store_.list_accounts();
  if (!existing.ok()) return existing.status();
  std::map<std::string, store::Account> by_name;
  for (auto& a : *existing) by_name[a.name] = std::move(a);

  if (auto admin = by_name.find(kAdminAccount); admin != by_name.end()) {
    store::Account a = admin->second;
    if (a.enabled != settings.admin_enabled || a.capabilities != admin_capabilities()) {
      a.enabled = settings.admin_enabled;
      a.capabilities = admin_capabilities();
      if (Status s = store_.put_account(a); !s.ok()) return s;
      record("settings", "account.update", std::string("admin ") + (a.enabled ? "enabled" : "disabled"),
             {{"account", a.name}, {"enabled", a.enabled}});
    }
  }
  std::set<std::string> listed;
  for (const auto& want : settings.accounts) {
    if (want.name == kAdminAccount) continue;
    listed.insert(want.name);
    auto it = by_name.find(want.name);
    if (it == by_name.end()) {
      store::Account a;
      a.name = want.name;
      a.capabilities = want.capabilities;
      a.enabled = want.enabled;
      if (Status s = store_.put_account(a); !s.ok()) return s;
      record("settings", "account.create", "account " + a.name + " created from settings",
             {{"account", a.name}, {"capabilities", a.capabilities}, {"enabled", a.enabled}});
    } else if (it->second.capabilities != want.capabilities || it->second.enabled != want.enabled) {
      store::Account a = it->second;  // keeps the password hash
      a.capabilities = want.capabilities;
      a.enabled = want.enabled;
      if (Status s = store_.put_account(a); !s.ok()) return s;
      record("settings", "account.update", "account " + a.name + " updated from settings",
             {{"account", a.name}, {"capabilities", a.capabilities}, {"enabled", a.enabled}});
    }
  }
  for (auto& [name, a] : by_name) {
    if (name == kAdminAccount || listed.count(name) || !a.enabled) continue;
    // Disabled rather than deleted: the audit trail and the tokens' history keep their owner.
    a.enabled = false;
    if (Status s = store_.put_account(a); !s.ok()) return s;
    record("settings", "account.disable", "account " + name + " is no longer in the settings", {{"account", name}});
  }
  return Status::Ok();
}

Result<AdminBootstrap> Authenticator::ensure_admin(const std::string& data_dir,
                                                   const std::string& admin_password_file) {
  AdminBootstrap out;
  {
    std::lock_guard lock(accounts_mu_);
    store::Account admin;
    bool exists = false;
    if (auto got = store_.get_account(kAdminAccount); got.ok()) {
      admin = std::move(*got);
      exists = true;
    } else if (!got.status().is(Reason::kNotFound)) {
      return got.status();
    }
    admin.name = kAdminAccount;
    admin.capabilities = admin_capabilities();
    admin.enabled = settings().admin_enabled;

    std::string password;  // "" keeps the stored hash
    if (!admin_password_file.empty()) {
      auto content = read_password_file(admin_password_file);
      if (!content.ok()) return content.status();
      out.password_file = admin_password_file;
      if (admin.password_hash.empty() || !verify_password(*content, admin.password_hash)) password = std::move(*content);
    } else if (std::string path = (fs::path(data_dir) / kAdminPasswordFileName).string();
               !admin.password_hash.empty()) {
      std::error_code ec;
      if (fs::exists(path, ec)) out.password_file = path;  // kept: the stored hash is the password
    } else {
      std::error_code ec;
      fs::create_directories(data_dir, ec);
      if (ec) return Status::Internal("cannot create data dir " + data_dir + ": " + ec.message());
      out.password_file = path;
      if (fs::exists(path, ec)) {
        auto content = read_password_file(path);
        if (!content.ok()) return content.status();
        password = std::move(*content);
      } else {
        auto generated = generate_password();
        if (!generated.ok()) return generated.status();
        if (Status s = write_new_secret_file(path, *generated); !s.ok()) return s;
        password = std::move(*generated);
        out.generated = true;
      }
    }
    bool changed = !exists || !password.empty();
    if (!password.empty()) {
      auto hash = hash_password(password, options_.password_iterations);
      if (!hash.ok()) return hash.status();
      admin.password_hash = std::move(*hash);
      out.password_changed = true;
    }
    if (changed) {
      if (Status s = store_.put_account(admin); !s.ok()) return s;
      if (out.password_changed) {
        record("bootstrap", "account.password",
               out.generated ? "admin password generated" : "admin password set from " + out.password_file,
               {{"account", kAdminAccount}});
      }
    }
  }
  if (Status s = sync_accounts(); !s.ok()) return s;
  return out;
}

Status Authenticator::set_password(const std::string& account, std::string_view new_password,
                                   const std::string& actor) {
  if (new_password.size() < kMinPasswordLength) {
    return Status::Invalid("password must have at least " + std::to_string(kMinPasswordLength) + " characters");
  }
  auto hash = hash_password(new_password, options_.password_iterations);  // slow: outside the lock
  if (!hash.ok()) return hash.status();
  std::lock_guard lock(accounts_mu_);
  auto a = store_.get_account(account);
  if (!a.ok()) return a.status();
  a->password_hash = std::move(*hash);
  if (Status s = store_.put_account(*a); !s.ok()) return s;
  record(actor.empty() ? account : actor, "account.password", "password of " + account + " changed",
         {{"account", account}});
  return Status::Ok();
}

// ---- Logins ---------------------------------------------------------------------------------

int64_t Authenticator::throttled(const std::string& username, const std::string& address, int64_t now_ms) {
  const int64_t window = options_.failure_window.count() * 1000;
  const int64_t since = now_ms - window;
  int64_t retry_ms = 0;
  auto check = [&](std::map<std::string, std::deque<int64_t>>& by_key, const std::string& key, int limit) {
    auto it = by_key.find(key);
    if (limit <= 0 || it == by_key.end()) return;
    if (prune(it->second, since)) {
      by_key.erase(it);
      return;
    }
    if (static_cast<int>(it->second.size()) >= limit) {
      // Open again when the oldest failure that counts leaves the window.
      retry_ms = std::max(retry_ms, it->second[it->second.size() - limit] + window - now_ms);
    }
  };
  std::lock_guard lock(mu_);
  check(failures_by_user_, username, options_.max_failures_per_user);
  if (!address.empty()) check(failures_by_address_, address, options_.max_failures_per_address);
  if (retry_ms <= 0) return 0;
  return (retry_ms + 999) / 1000;
}

bool Authenticator::count_failure(const std::string& username, const std::string& address, int64_t now_ms) {
  const int64_t since = now_ms - options_.failure_window.count() * 1000;
  bool exhausted = false;
  auto add = [&](std::map<std::string, std::deque<int64_t>>& by_key, const std::string& key, int limit) {
    if (limit <= 0) return;  // no limit configured
    sweep(by_key, since);
    auto& times = by_key[key];
    prune(times, since);
    times.push_back(now_ms);
    while (static_cast<int>(times.size()) > limit) times.pop_front();  // older ones cannot matter
    exhausted = exhausted || static_cast<int>(times.size()) == limit;
  };
  std::lock_guard lock(mu_);
  add(failures_by_user_, username, options_.max_failures_per_user);
  if (!address.empty()) add(failures_by_address_, address, options_.max_failures_per_address);
  return exhausted;
}

Result<Session> Authenticator::login(const std::string& username, std::string_view password,
                                     const std::string& remote_address) {
  const std::string user_key = bounded(username);
  const int64_t start = now();
  if (int64_t retry = throttled(user_key, remote_address, start); retry > 0) {
    return Status(Reason::kTooManyRequests,
                  "too many failed login attempts; try again in " + std::to_string(retry) + " seconds")
        .add_cause({"RetryAfterSeconds", std::to_string(retry), ""});
  }

  std::string failure;  // why, for the audit event only
  store::Account account;
  if (username.empty() || password.empty()) {
    failure = "empty username or password";
  } else if (auto got = store_.get_account(username); got.ok()) {
    account = std::move(*got);
    if (!account.enabled) {
      failure = "account disabled";
    } else if (!account.has_capability(apis::kCapabilityLogin)) {
      failure = "account lacks the login capability";
    } else if (account.password_hash.empty()) {
      failure = "account has no password";
    }
  } else if (got.status().is(Reason::kNotFound)) {
    failure = "unknown account";
  } else {
    return got.status();  // the store is down: not the user's failure
  }
  if (failure.empty()) {
    if (!verify_password(password, account.password_hash)) failure = "wrong password";
  } else {
    (void)verify_password(password, dummy_hash());  // same cost as a real check
  }

  store::Json details = {{"address", remote_address}};
  if (!failure.empty()) {
    bool exhausted = count_failure(user_key, remote_address, now());
    details["reason"] = failure;
    record(username, "login.failed", "failed login for " + bounded(username) + " from " + remote_address, details);
    if (exhausted) {
      record(username, "login.throttled",
             "login attempts for " + bounded(username) + " or from " + remote_address + " are paused", details);
    }
    return unauthorized(kLoginFailedMessage);
  }
  {
    std::lock_guard lock(mu_);
    failures_by_user_.erase(user_key);
  }

  const int64_t issued = now();
  // Old sessions of this account that have expired are dropped here, so they do not pile up.
  if (auto tokens = store_.list_tokens(username); tokens.ok()) {
    for (const auto& t : *tokens) {
      if (is_session(t) && t.expired(issued)) (void)store_.revoke_token(t.id);
    }
  }
  auto token = store::generate_token();
  if (!token.ok()) return token.status();
  auto uuid = random_uuid();
  if (!uuid.ok()) return uuid.status();
  store::TokenRecord rec;
  rec.id = kSessionIdPrefix + *uuid;
  rec.account = username;
  rec.hash = store::hash_token(*token);
  rec.created_at = issued;
  rec.expires_at = issued + settings().session_duration.count() * 1000;
  rec.description = kSessionDescription;
  if (Status s = store_.store_token(rec); !s.ok()) return s;
  details["token_id"] = rec.id;
  record(username, "login", "login of " + username + " from " + remote_address, details);
  return Session{std::move(*token), rec.id, username, rec.expires_at};
}

Result<Principal> Authenticator::authenticate(std::string_view bearer_token) {
  if (!bearer_token.starts_with(store::kTokenPrefix)) return unauthorized("invalid token");
  auto rec = store_.find_token_by_hash(store::hash_token(bearer_token));
  if (!rec.ok()) {
    if (rec.status().is(Reason::kNotFound)) return unauthorized("invalid token");
    return rec.status();
  }
  if (rec->expired(now())) return unauthorized("token expired");
  auto account = store_.get_account(rec->account);
  if (!account.ok()) {
    if (account.status().is(Reason::kNotFound)) return unauthorized("invalid token");
    return account.status();
  }
  if (!account->enabled) return unauthorized("account is disabled");
  // A capability taken away in the settings also stops the tokens it allowed.
  const bool session = is_session(*rec);
  if (!account->has_capability(session ? apis::kCapabilityLogin : apis::kCapabilityApiKey)) {
    return unauthorized("invalid token");
  }
  Principal p;
  p.account = rec->account;
  p.token_id = rec->id;
  p.session = session;
  return p;
}

Status Authenticator::logout(std::string_view token) {
  if (!token.starts_with(store::kTokenPrefix)) return Status::Ok();
  auto rec = store_.find_token_by_hash(store::hash_token(token));
  if (!rec.ok()) return rec.status().is(Reason::kNotFound) ? Status::Ok() : rec.status();
  if (!is_session(*rec)) return Status::Invalid("not a session token; API tokens are revoked by id");
  Status s = store_.revoke_token(rec->id);
  if (!s.ok() && !s.is(Reason::kNotFound)) return s;
  record(rec->account, "logout", "logout of " + rec->account, {{"token_id", rec->id}});
  return Status::Ok();
}

// ---- API tokens -----------------------------------------------------------------------------

Result<IssuedToken> Authenticator::generate_token(const std::string& account, int64_t expires_in_seconds,
                                                  const std::string& id, const std::string& description,
                                                  const std::string& actor) {
  if (expires_in_seconds < 0 || expires_in_seconds > kMaxTokenLifetimeSeconds) {
    return Status::Invalid("token lifetime must be between 0 (never expires) and 100 years");
  }
  if (!id.empty() && !valid_token_id(id)) {
    return Status::Invalid("token id may hold letters, digits, '.', '_' and '-' (at most 128) and may not start with \"" +
                           std::string(kSessionIdPrefix) + "\"");
  }
  if (description.size() > 1024) return Status::Invalid("token description is longer than 1024 characters");
  auto a = store_.get_account(account);
  if (!a.ok()) return a.status();
  if (!a->enabled) return Status::Invalid("account \"" + account + "\" is disabled");
  if (!a->has_capability(apis::kCapabilityApiKey)) {
    return Status::Invalid("account \"" + account + "\" does not have the apiKey capability");
  }
  auto token = store::generate_token();
  if (!token.ok()) return token.status();
  store::TokenRecord rec;
  if (id.empty()) {
    auto uuid = random_uuid();
    if (!uuid.ok()) return uuid.status();
    rec.id = std::move(*uuid);
  } else {
    rec.id = id;
  }
  rec.account = account;
  rec.hash = store::hash_token(*token);
  rec.created_at = now();
  rec.expires_at = expires_in_seconds == 0 ? 0 : rec.created_at + expires_in_seconds * 1000;
  rec.description = description;
  if (Status s = store_.store_token(rec); !s.ok()) {
    if (s.is(Reason::kAlreadyExists)) return Status::AlreadyExists("token id \"" + rec.id + "\" is taken");
    return s;
  }
  record(actor.empty() ? account : actor, "token.create", "token " + rec.id + " created for " + account,
         {{"account", account}, {"token_id", rec.id}, {"expires_at", rec.expires_at}});
  return IssuedToken{std::move(*token), std::move(rec)};
}

Status Authenticator::revoke_token(const std::string& account, const std::string& id, const std::string& actor) {
  auto tokens = store_.list_tokens(account);
  if (!tokens.ok()) return tokens.status();
  bool owned = std::any_of(tokens->begin(), tokens->end(), [&](const store::TokenRecord& t) { return t.id == id; });
  if (!owned) return Status::NotFound("account \"" + account + "\" has no token \"" + id + "\"");
  if (Status s = store_.revoke_token(id); !s.ok()) return s;
  record(actor.empty() ? account : actor, "token.revoke", "token " + id + " of " + account + " revoked",
         {{"account", account}, {"token_id", id}});
  return Status::Ok();
}

Result<std::vector<store::TokenRecord>> Authenticator::list_tokens(const std::string& account, bool include_sessions) {
  auto tokens = store_.list_tokens(account);
  if (!tokens.ok() || include_sessions) return tokens;
  std::vector<store::TokenRecord> out;
  for (auto& t : *tokens) {
    if (!is_session(t)) out.push_back(std::move(t));
  }
  return out;
}

std::optional<int64_t> retry_after_seconds(const Status& status) {
  if (!status.is(Reason::kTooManyRequests)) return std::nullopt;
  for (const auto& cause : status.causes()) {
    if (cause.reason != "RetryAfterSeconds") continue;
    int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(cause.message.data(), cause.message.data() + cause.message.size(), seconds);
    if (ec == std::errc() && ptr == cause.message.data() + cause.message.size()) return seconds;
  }
  return std::nullopt;
}

}  // namespace ferry::auth
