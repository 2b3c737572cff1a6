// Audit events, accounts and tokens.
#include <string>

#include "store/codec.h"
#include "store/records.h"
#include "store/sqlite_store.h"

namespace ferry::store {
namespace {

using sql::Transaction;
using namespace records;

}  // namespace

// ---- Audit events ---------------------------------------------------------------------------

Result<int64_t> SqliteStore::record_event(const Event& event) {
  if (Status s = check_event(event); !s.ok()) return s;
  auto details = canonical_json(event.details);
  if (!details.ok()) return details.status();
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  auto stmt = db_->prepare("INSERT INTO events(time, actor, action, app, message, details) VALUES (?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, event.time != 0 ? event.time : now())
      .bind(2, event.actor)
      .bind(3, event.action)
      .bind(4, event.app)
      .bind(5, event.message)
      .bind(6, *details);
  Status s = stmt->run();
  if (!s.ok()) return s;
  int64_t id = db_->last_insert_rowid();
  s = txn->commit();
  if (!s.ok()) return s;
  return id;
}

Result<std::vector<Event>> SqliteStore::list_events(const EventFilter& filter) {
  std::string query = std::string("SELECT ") + kEventColumns + " FROM events WHERE 1";
  if (!filter.app.empty()) query += " AND app = ?1";
  if (filter.since != 0) query += " AND time >= ?2";
  if (filter.before_id > 0) query += " AND id < ?3";
  query += " ORDER BY id DESC LIMIT ?4";
  std::lock_guard lock(mu_);
  auto stmt = db_->prepare(query);
  if (!stmt.ok()) return stmt.status();
  if (!filter.app.empty()) stmt->bind(1, filter.app);
  if (filter.since != 0) stmt->bind(2, filter.since);
  if (filter.before_id > 0) stmt->bind(3, filter.before_id);
  stmt->bind(4, filter.limit > 0 ? int64_t{filter.limit} : int64_t{-1});
  std::vector<Event> out;
  while (true) {
    auto row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(read_event(*stmt));
  }
}

// ---- Accounts -------------------------------------------------------------------------------

Status SqliteStore::put_account(const Account& account) {
  if (Status s = check_account(account); !s.ok()) return s;
  auto caps = canonical_json(Json(account.capabilities));
  if (!caps.ok()) return caps.status();
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  // An upsert, not INSERT OR REPLACE: replacing would delete the row and cascade to its tokens.
  auto stmt = db_->prepare(
      "INSERT INTO accounts(name, capabilities, password_hash, enabled, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(name) DO UPDATE SET capabilities = excluded.capabilities, "
      "password_hash = excluded.password_hash, enabled = excluded.enabled, updated_at = excluded.updated_at");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, account.name).bind(2, *caps).bind(3, account.password_hash).bind(4, account.enabled).bind(5, now());
  Status s = stmt->run();
  if (s.ok()) s = txn->commit();
  return s;
}

Result<Account> SqliteStore::get_account(const std::string& name) {
  std::lock_guard lock(mu_);
  auto stmt = db_->prepare(std::string("SELECT ") + kAccountColumns + " FROM accounts WHERE name = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, name);
  auto row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row) return account_not_found(name);
  return read_account(*stmt);
}

Result<std::vector<Account>> SqliteStore::list_accounts() {
  std::lock_guard lock(mu_);
  auto stmt = db_->prepare(std::string("SELECT ") + kAccountColumns + " FROM accounts ORDER BY name");
  if (!stmt.ok()) return stmt.status();
  std::vector<Account> out;
  while (true) {
    auto row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(read_account(*stmt));
  }
}

Status SqliteStore::delete_account(const std::string& name) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  auto stmt = db_->prepare("DELETE FROM accounts WHERE name = ?");  // tokens cascade
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, name);
  Status s = stmt->run();
  if (!s.ok()) return s;
  if (db_->changes() == 0) return account_not_found(name);
  return txn->commit();
}

// ---- Tokens ---------------------------------------------------------------------------------

Status SqliteStore::store_token(const TokenRecord& token) {
  if (Status s = check_token(token); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  auto account = db_->prepare("SELECT 1 FROM accounts WHERE name = ?");
  if (!account.ok()) return account.status();
  account->bind(1, token.account);
  auto found = account->step();
  if (!found.ok()) return found.status();
  if (!*found) return account_not_found(token.account);
  account->reset();
  auto stmt = db_->prepare(std::string("INSERT INTO tokens(") + kTokenColumns + ") VALUES (?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, token.id)
      .bind(2, token.account)
      .bind(3, token.hash)
      .bind(4, token.created_at != 0 ? token.created_at : now())
      .bind(5, token.expires_at)
      .bind(6, token.description);
  Status s = stmt->run();
  if (s.is(Reason::kAlreadyExists)) return Status::AlreadyExists("token id or hash already stored: " + s.message());
  if (s.ok()) s = txn->commit();
  return s;
}

Result<TokenRecord> SqliteStore::find_token_by_hash(const std::string& hash) {
  std::lock_guard lock(mu_);
  auto stmt = db_->prepare(std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE hash = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, hash);
  auto row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("token not found");
  return read_token(*stmt);
}

Status SqliteStore::revoke_token(const std::string& id) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  auto stmt = db_->prepare("DELETE FROM tokens WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, id);
  Status s = stmt->run();
  if (!s.ok()) return s;
  if (db_->changes() == 0) return token_not_found(id);
  return txn->commit();
}

Result<std::vector<TokenRecord>> SqliteStore::list_tokens(const std::string& account) {
  std::lock_guard lock(mu_);
  auto stmt =
      db_->prepare(std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE account = ? ORDER BY created_at, id");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, account);
  std::vector<TokenRecord> out;
  while (true) {
    auto row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(read_token(*stmt));
  }
}

}  // namespace ferry::store
