// The Authenticator over a real SQLite store in a temporary folder: admin bootstrap, accounts
// synced from settings, logins and their rate limit, sessions and API tokens with a pinned clock
// (no sleeps), revocation, disabled accounts, and audit events that never hold a secret.
#include "apis/auth/auth.h"

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/support/process.h"

namespace ferry::auth {
namespace {

using ferry::testing::TempDir;

constexpr int64_t kStart = 1'700'000'000'000;  // Unix ms

apis::Settings team_settings() {
  apis::Settings s;
  s.accounts = {{"alice", {"login"}, true}, {"bob", {"login", "apiKey"}, false}, {"ci", {"apiKey"}, true}};
  s.session_duration = std::chrono::hours(1);
  return s;
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::Options so;
    so.clock = [this] { return clock_.load(); };
    auto opened = store::Store::open(dir_.file("ferry.db"), so);
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    store_ = std::move(opened).value();
    auth_ = make(team_settings());
  }

  std::unique_ptr<Authenticator> make(apis::Settings settings) {
    AuthenticatorOptions o;
    o.clock = [this] { return clock_.load(); };
    o.password_iterations = kMinPasswordIterations;  // the KDF's cost is tested in passwords_test
    return std::make_unique<Authenticator>(*store_, std::move(settings), o);
  }

  std::string data_dir() const { return dir_.file("data"); }

  // Bootstraps admin from a file holding `password` and gives alice a password.
  void bootstrap(const std::string& admin_password = "admin-pass-1") {
    std::string file = dir_.write("admin-pw", admin_password + "\n");
    auto b = auth_->ensure_admin(data_dir(), file);
    ASSERT_TRUE(b.ok()) << b.status().to_string();
    ASSERT_TRUE(auth_->set_password("alice", "alice-pass").ok());
  }

  void advance(std::chrono::seconds s) { clock_ += s.count() * 1000; }

  std::vector<store::Event> all_events() {
    store::EventFilter all;
    all.limit = 0;
    auto listed = store_->list_events(all);
    EXPECT_TRUE(listed.ok()) << listed.status().to_string();
    return listed.ok() ? std::move(listed).value() : std::vector<store::Event>{};
  }

  std::vector<store::Event> events(const std::string& action) {
    std::vector<store::Event> out;
    for (auto& e : all_events()) {
      if (e.action == action) out.push_back(std::move(e));
    }
    return out;
  }

  TempDir dir_;
  std::atomic<int64_t> clock_{kStart};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Authenticator> auth_;
};

// ---- Admin bootstrap ------------------------------------------------------------------------

TEST_F(AuthTest, AdminPasswordFromFile) {
  std::string file = dir_.write("admin-pw", "from-the-file\n");
  auto b = auth_->ensure_admin(data_dir(), file);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->password_file, file);
  EXPECT_FALSE(b->generated);
  EXPECT_TRUE(b->password_changed);
  EXPECT_FALSE(std::filesystem::exists(data_dir() + "/admin.password"));

  auto admin = store_->get_account("admin");
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->capabilities, (std::vector<std::string>{"login", "apiKey"}));
  EXPECT_TRUE(admin->enabled);
  EXPECT_EQ(admin->password_hash.find("from-the-file"), std::string::npos);
  EXPECT_TRUE(auth_->login("admin", "from-the-file", "10.0.0.1").ok());

  // Unchanged file: nothing rewritten. Changed file: re-hashed; the old password stops working.
  auto again = make(team_settings())->ensure_admin(data_dir(), file);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->password_changed);
  dir_.write("admin-pw", "rotated\n");
  auto rotated = make(team_settings())->ensure_admin(data_dir(), file);
  ASSERT_TRUE(rotated.ok());
  EXPECT_TRUE(rotated->password_changed);
  EXPECT_TRUE(auth_->login("admin", "rotated", "10.0.0.1").ok());
  EXPECT_FALSE(auth_->login("admin", "from-the-file", "10.0.0.1").ok());

  auto missing = auth_->ensure_admin(data_dir(), dir_.file("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().is(Reason::kNotFound));
  EXPECT_NE(missing.status().message().find(dir_.file("nope")), std::string::npos);
  dir_.write("empty", "\n");
  EXPECT_TRUE(auth_->ensure_admin(data_dir(), dir_.file("empty")).status().is(Reason::kInvalid));
}

TEST_F(AuthTest, AdminPasswordGeneratedOnceWithMode0600) {
  auto b = auth_->ensure_admin(data_dir(), "");
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  const std::string path = data_dir() + "/admin.password";
  EXPECT_EQ(b->password_file, path);
  EXPECT_TRUE(b->generated);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string content = ferry::testing::read_file(path);
  ASSERT_EQ(content.size(), 25u);  // 24 characters and a newline
  std::string password = content.substr(0, 24);
  EXPECT_TRUE(auth_->login("admin", password, "10.0.0.1").ok());

  // Second start: the file and the password are kept.
  auto second = make(team_settings())->ensure_admin(data_dir(), "");
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->generated);
  EXPECT_FALSE(second->password_changed);
  EXPECT_EQ(second->password_file, path);
  EXPECT_EQ(ferry::testing::read_file(path), content);
  EXPECT_TRUE(auth_->login("admin", password, "10.0.0.1").ok());
}

TEST_F(AuthTest, ExistingAdminPasswordFileSeedsAFreshDatabase) {
  std::filesystem::create_directories(data_dir());
  dir_.write("data/admin.password", "kept-from-before\n");
  auto b = auth_->ensure_admin(data_dir(), "");
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_FALSE(b->generated);
  EXPECT_TRUE(b->password_changed);
  EXPECT_EQ(ferry::testing::read_file(data_dir() + "/admin.password"), "kept-from-before\n");
  EXPECT_TRUE(auth_->login("admin", "kept-from-before", "10.0.0.1").ok());
}

// ---- Accounts from settings -----------------------------------------------------------------

TEST_F(AuthTest, SyncsSettingsAccountsAndDisablesRemovedOnes) {
  bootstrap();
  auto alice = store_->get_account("alice");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->capabilities, (std::vector<std::string>{"login"}));
  EXPECT_FALSE(store_->get_account("bob")->enabled);
  EXPECT_TRUE(store_->get_account("ci")->enabled);
  EXPECT_TRUE(store_->get_account("ci")->password_hash.empty());

  // ci leaves the settings: disabled, not deleted; admin stays whatever the settings say.
  apis::Settings s = team_settings();
  s.accounts.pop_back();
  s.accounts.push_back({"admin", {}, false});  // ignored: admin is built in
  ASSERT_TRUE(auth_->set_settings(s).ok());
  auto ci = store_->get_account("ci");
  ASSERT_TRUE(ci.ok());
  EXPECT_FALSE(ci->enabled);
  EXPECT_TRUE(store_->get_account("admin")->enabled);
  EXPECT_EQ(store_->get_account("admin")->capabilities, (std::vector<std::string>{"login", "apiKey"}));
  EXPECT_EQ(events("account.disable").size(), 1u);

  // Back again, with a password set meanwhile kept.
  ASSERT_TRUE(auth_->set_settings(team_settings()).ok());
  EXPECT_TRUE(store_->get_account("ci")->enabled);
  EXPECT_TRUE(auth_->login("alice", "alice-pass", "10.0.0.2").ok());

  // admin.enabled: false locks admin out, and its tokens stop working.
  auto admin_session = auth_->login("admin", "admin-pass-1", "10.0.0.2");
  ASSERT_TRUE(admin_session.ok());
  s = team_settings();
  s.admin_enabled = false;
  ASSERT_TRUE(auth_->set_settings(s).ok());
  EXPECT_TRUE(auth_->login("admin", "admin-pass-1", "10.0.0.2").status().is(Reason::kUnauthorized));
  EXPECT_EQ(auth_->authenticate(admin_session->token).status().message(), "account is disabled");
}

// ---- Logins ---------------------------------------------------------------------------------

TEST_F(AuthTest, EveryLoginFailureLooksTheSame) {
  bootstrap();
  struct Attempt {
    const char* user;
    const char* password;
    const char* reason;
  };
  const Attempt attempts[] = {
      {"alice", "wrong-pass", "wrong password"},
      {"nobody", "alice-pass", "unknown account"},
      {"bob", "whatever", "account disabled"},
      {"ci", "whatever", "account lacks the login capability"},
      {"", "x", "empty username or password"},
      {"alice", "", "empty username or password"},
  };
  for (const auto& a : attempts) {
    auto r = auth_->login(a.user, a.password, "192.0.2.7");
    ASSERT_FALSE(r.ok()) << a.user;
    EXPECT_TRUE(r.status().is(Reason::kUnauthorized));
    EXPECT_EQ(r.status().message(), "invalid username or password");
  }
  // An account with login but no password yet.
  apis::Settings s = team_settings();
  s.accounts.push_back({"dora", {"login"}, true});
  ASSERT_TRUE(auth_->set_settings(s).ok());
  EXPECT_EQ(auth_->login("dora", "anything", "192.0.2.8").status().message(), "invalid username or password");

  auto failed = events("login.failed");
  ASSERT_EQ(failed.size(), 7u);
  std::set<std::string> reasons;
  for (const auto& e : failed) {
    reasons.insert(e.details.value("reason", ""));
    EXPECT_EQ(e.details.value("address", "").substr(0, 8), "192.0.2.");
  }
  EXPECT_TRUE(reasons.count("account has no password"));
  EXPECT_TRUE(reasons.count("unknown account"));
  // No password, right or wrong, reaches an event.
  for (const auto& e : all_events()) {
    std::string text = e.message + e.details.dump() + e.actor;
    for (const char* secret : {"wrong-pass", "alice-pass", "admin-pass-1", "whatever"}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << e.action << ": " << text;
    }
  }
}

TEST_F(AuthTest, SessionsAuthenticateExpireAndLogOut) {
  bootstrap();
  auto s = auth_->login("alice", "alice-pass", "10.1.1.1");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_TRUE(s->token.starts_with("ferry_"));
  EXPECT_EQ(s->account, "alice");
  EXPECT_EQ(s->expires_at, kStart + 3600 * 1000);
  auto p = auth_->authenticate(s->token);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->account, "alice");
  EXPECT_TRUE(p->session);
  EXPECT_EQ(p->token_id, s->token_id);
  EXPECT_TRUE(p->groups.empty());
  auto logins = events("login");
  ASSERT_EQ(logins.size(), 1u);
  EXPECT_EQ(logins[0].actor, "alice");
  EXPECT_EQ(logins[0].details.value("address", ""), "10.1.1.1");

  // The session shows only when asked for, is stored hashed, and expires with the settings' duration.
  EXPECT_TRUE(auth_->list_tokens("alice")->empty());
  auto sessions = auth_->list_tokens("alice", true);
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_NE((*sessions)[0].hash, s->token);
  EXPECT_EQ((*sessions)[0].description, "session");
  advance(std::chrono::seconds(3599));
  EXPECT_TRUE(auth_->authenticate(s->token).ok());
  advance(std::chrono::seconds(1));
  auto expired = auth_->authenticate(s->token);
  EXPECT_TRUE(expired.status().is(Reason::kUnauthorized));
  EXPECT_EQ(expired.status().message(), "token expired");

  // A new login clears the expired session away; logout ends the new one.
  auto s2 = auth_->login("alice", "alice-pass", "10.1.1.1");
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(auth_->list_tokens("alice", true)->size(), 1u);
  ASSERT_TRUE(auth_->logout(s2->token).ok());
  EXPECT_EQ(auth_->authenticate(s2->token).status().message(), "invalid token");
  EXPECT_TRUE(auth_->logout(s2->token).ok());  // twice is fine
  EXPECT_EQ(events("logout").size(), 1u);

  EXPECT_EQ(auth_->authenticate("").status().message(), "invalid token");
  EXPECT_EQ(auth_->authenticate("ferry_00").status().message(), "invalid token");
  EXPECT_EQ(auth_->authenticate("Bearer x").status().message(), "invalid token");
}

TEST_F(AuthTest, LoginRateLimitPerUsername) {
  bootstrap();
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(auth_->login("alice", "nope", "10.2.0." + std::to_string(i)).status().is(Reason::kUnauthorized));
    advance(std::chrono::seconds(10));
  }
  // Locked: even the right password is not checked; the answer says when to come back.
  auto locked = auth_->login("alice", "alice-pass", "10.2.1.1");
  ASSERT_TRUE(locked.status().is(Reason::kTooManyRequests)) << locked.status().to_string();
  EXPECT_EQ(retry_after_seconds(locked.status()), 300 - 50);
  EXPECT_NE(locked.status().message().find("250 seconds"), std::string::npos);
  EXPECT_EQ(reason_http_code(locked.status().reason()), 429);
  EXPECT_EQ(events("login.throttled").size(), 1u);
  // Other users are not affected.
  EXPECT_TRUE(auth_->login("admin", "admin-pass-1", "10.2.1.1").ok());
  // The oldest failure leaves the window after 250 s: one attempt opens up.
  advance(std::chrono::seconds(249));
  EXPECT_TRUE(auth_->login("alice", "alice-pass", "10.2.1.1").status().is(Reason::kTooManyRequests));
  advance(std::chrono::seconds(1));
  EXPECT_TRUE(auth_->login("alice", "alice-pass", "10.2.1.1").ok());
  // Success clears the username's count.
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(auth_->login("alice", "nope", "10.2.2.1").ok());
  EXPECT_TRUE(auth_->login("alice", "alice-pass", "10.2.2.1").ok());
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(auth_->login("alice", "nope", "10.2.2.2").ok());
  EXPECT_TRUE(auth_->login("alice", "alice-pass", "10.2.2.2").ok());
  EXPECT_EQ(retry_after_seconds(Status::Invalid("x")), std::nullopt);
}

TEST_F(AuthTest, LoginRateLimitPerAddress) {
  bootstrap();
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(auth_->login("user" + std::to_string(i), "x", "203.0.113.9").status().is(Reason::kUnauthorized));
  }
  auto locked = auth_->login("alice", "alice-pass", "203.0.113.9");
  EXPECT_TRUE(locked.status().is(Reason::kTooManyRequests));
  EXPECT_EQ(retry_after_seconds(locked.status()), 300);
  EXPECT_TRUE(auth_->login("alice", "alice-pass", "203.0.113.10").ok());
  advance(std::chrono::seconds(300));
  EXPECT_TRUE(auth_->login("alice", "alice-pass", "203.0.113.9").ok());
}

// ---- API tokens -----------------------------------------------------------------------------

TEST_F(AuthTest, ApiTokensExpireAndRevoke) {
  bootstrap();
  auto t = auth_->generate_token("ci", 60, "", "deploy pipeline", "admin");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_TRUE(t->token.starts_with("ferry_"));
  EXPECT_EQ(t->record.id.size(), 36u);  // a UUID
  EXPECT_EQ(t->record.expires_at, kStart + 60 * 1000);
  auto p = auth_->authenticate(t->token);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->account, "ci");
  EXPECT_FALSE(p->session);
  EXPECT_EQ(p->token_id, t->record.id);

  advance(std::chrono::seconds(1));  // listed oldest first
  auto forever = auth_->generate_token("ci", 0, "forever-1", "");
  ASSERT_TRUE(forever.ok());
  EXPECT_EQ(forever->record.expires_at, 0);
  advance(std::chrono::seconds(59));
  EXPECT_EQ(auth_->authenticate(t->token).status().message(), "token expired");
  advance(std::chrono::hours(24 * 365 * 10));
  EXPECT_TRUE(auth_->authenticate(forever->token).ok());

  auto listed = auth_->list_tokens("ci");
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].id, "forever-1");
  EXPECT_EQ((*listed)[0].description, "deploy pipeline");

  // Only the owner's token ids revoke; revoked tokens stop at once.
  EXPECT_TRUE(auth_->revoke_token("admin", "forever-1").is(Reason::kNotFound));
  ASSERT_TRUE(auth_->revoke_token("ci", "forever-1", "admin").ok());
  EXPECT_EQ(auth_->authenticate(forever->token).status().message(), "invalid token");
  EXPECT_TRUE(auth_->revoke_token("ci", "forever-1").is(Reason::kNotFound));
  // An API token is not a session to log out of.
  auto third = auth_->generate_token("ci", 0, "", "");
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(auth_->logout(third->token).is(Reason::kInvalid));
  EXPECT_TRUE(auth_->authenticate(third->token).ok());

  auto created = events("token.create");
  ASSERT_EQ(created.size(), 3u);
  auto revoked = events("token.revoke");
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0].actor, "admin");
  EXPECT_EQ(revoked[0].details.value("token_id", ""), "forever-1");
  for (const auto& e : all_events()) {
    for (const auto* tok : {&t->token, &forever->token, &third->token}) {
      EXPECT_EQ((e.message + e.details.dump()).find(*tok), std::string::npos);
    }
  }
}

TEST_F(AuthTest, TokenRulesForAccountsAndIds) {
  bootstrap();
  EXPECT_TRUE(auth_->generate_token("nobody", 0, "", "").status().is(Reason::kNotFound));
  auto no_cap = auth_->generate_token("alice", 0, "", "");
  EXPECT_TRUE(no_cap.status().is(Reason::kInvalid));
  EXPECT_NE(no_cap.status().message().find("apiKey"), std::string::npos);
  EXPECT_TRUE(auth_->generate_token("bob", 0, "", "").status().is(Reason::kInvalid));  // disabled
  EXPECT_TRUE(auth_->generate_token("ci", -1, "", "").status().is(Reason::kInvalid));
  for (const char* bad : {"has space", "session-x", "a/b", "ü"}) {
    EXPECT_TRUE(auth_->generate_token("ci", 0, bad, "").status().is(Reason::kInvalid)) << bad;
  }
  ASSERT_TRUE(auth_->generate_token("ci", 0, "dup", "").ok());
  EXPECT_TRUE(auth_->generate_token("ci", 0, "dup", "").status().is(Reason::kAlreadyExists));
  EXPECT_TRUE(auth_->generate_token("admin", 0, "admin-cli", "").ok());
}

TEST_F(AuthTest, DisabledAccountsCannotAuthenticate) {
  bootstrap();
  auto t = auth_->generate_token("ci", 0, "", "");
  ASSERT_TRUE(t.ok());
  auto session = auth_->login("alice", "alice-pass", "10.3.0.1");
  ASSERT_TRUE(session.ok());
  apis::Settings s = team_settings();
  s.accounts[0].enabled = false;  // alice
  s.accounts[2].enabled = false;  // ci
  ASSERT_TRUE(auth_->set_settings(s).ok());
  EXPECT_EQ(auth_->authenticate(t->token).status().message(), "account is disabled");
  EXPECT_EQ(auth_->authenticate(session->token).status().message(), "account is disabled");
  EXPECT_TRUE(auth_->login("alice", "alice-pass", "10.3.0.1").status().is(Reason::kUnauthorized));
  // Re-enabled: the same token works again (disabling is not revoking).
  ASSERT_TRUE(auth_->set_settings(team_settings()).ok());
  EXPECT_TRUE(auth_->authenticate(t->token).ok());
  // A capability taken away stops the tokens it allowed.
  s = team_settings();
  s.accounts[2].capabilities = {"login"};
  ASSERT_TRUE(auth_->set_settings(s).ok());
  EXPECT_EQ(auth_->authenticate(t->token).status().message(), "invalid token");
}

TEST_F(AuthTest, ConcurrentLoginsAndChecks) {
  bootstrap();
  auto t = auth_->generate_token("ci", 0, "", "");
  ASSERT_TRUE(t.ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 10; ++j) {
        if (!auth_->authenticate(t->token).ok()) ++failures;
        auto s = auth_->login("alice", "alice-pass", "10.4.0." + std::to_string(i));
        if (!s.ok() || !auth_->authenticate(s->token).ok() || !auth_->logout(s->token).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(events("login").size(), 40u);
}

}  // namespace
}  // namespace ferry::auth
