// Audit events, accounts and tokens on PostgreSQL.
#include <string>

#include "store/postgres_store.h"

namespace ferry::store {
namespace {

using namespace records;

template <class T, T (*read)(const pg::Rows::Row&)>
std::vector<T> read_all(const pg::Rows& rows) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) out.push_back(read(rows.row(i)));
  return out;
}

}  // namespace

// ---- Audit events ---------------------------------------------------------------------------

Result<int64_t> PostgresStore::record_event(const Event& event) {
  if (Status s = check_event(event); !s.ok()) return s;
  auto details = canonical_json(event.details);
  if (!details.ok()) return details.status();
  int64_t time = event.time != 0 ? event.time : now();
  return run(Access::kWrite, [&](pg::Connection& db) -> Result<int64_t> {
    auto rows = db.exec(
        "INSERT INTO events(time, actor, action, app, message, details) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        {time, event.actor, event.action, event.app, event.message, *details});
    if (!rows.ok()) return rows.status();
    return rows->int64(0, 0);
  });
}

Result<std::vector<Event>> PostgresStore::list_events(const EventFilter& filter) {
  // See list_operations for why one statement serves every filter.
  return run(Access::kRead, [&](pg::Connection& db) -> Result<std::vector<Event>> {
    auto rows = db.exec(std::string("SELECT ") + kEventColumns +
                            " FROM events WHERE ($1::text = '' OR app = $1::text) AND ($2::bigint = 0 OR time >= $2::bigint) "
                            "AND ($3::bigint <= 0 OR id < $3::bigint) "
                            "ORDER BY id DESC LIMIT CASE WHEN $4::bigint > 0 THEN $4::bigint END",
                        {filter.app, filter.since, filter.before_id, filter.limit});
    if (!rows.ok()) return rows.status();
    return read_all<Event, read_event<pg::Rows::Row>>(*rows);
  });
}

// ---- Accounts -------------------------------------------------------------------------------

Status PostgresStore::put_account(const Account& account) {
  if (Status s = check_account(account); !s.ok()) return s;
  auto caps = canonical_json(Json(account.capabilities));
  if (!caps.ok()) return caps.status();
  int64_t time = now();
  return run(Access::kWrite, [&](pg::Connection& db) -> Status {
    // An upsert keeps created_at and the account's tokens.
    return db.run(
        "INSERT INTO accounts(name, capabilities, password_hash, enabled, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (name) DO UPDATE SET capabilities = excluded.capabilities, "
        "password_hash = excluded.password_hash, enabled = excluded.enabled, updated_at = excluded.updated_at",
        {account.name, *caps, account.password_hash, account.enabled, time});
  });
}

Result<Account> PostgresStore::get_account(const std::string& name) {
  return run(Access::kRead, [&](pg::Connection& db) -> Result<Account> {
    auto rows = db.exec(std::string("SELECT ") + kAccountColumns + " FROM accounts WHERE name = $1", {name});
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return account_not_found(name);
    return read_account(rows->row(0));
  });
}

Result<std::vector<Account>> PostgresStore::list_accounts() {
  return run(Access::kRead, [&](pg::Connection& db) -> Result<std::vector<Account>> {
    // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
    auto rows = db.exec(std::string("SELECT ") + kAccountColumns + " FROM accounts ORDER BY name COLLATE \"C\"");
    if (!rows.ok()) return rows.status();
    return read_all<Account, read_account<pg::Rows::Row>>(*rows);
  });
}

Status PostgresStore::delete_account(const std::string& name) {
  return run(Access::kWrite, [&](pg::Connection& db) -> Status {
    auto rows = db.exec("DELETE FROM accounts WHERE name = $1", {name});  // tokens cascade
    if (!rows.ok()) return rows.status();
    return rows->affected() == 0 ? account_not_found(name) : Status::Ok();
  });
}

// ---- Tokens ---------------------------------------------------------------------------------

Status PostgresStore::store_token(const TokenRecord& token) {
  if (Status s = check_token(token); !s.ok()) return s;
  int64_t created = token.created_at != 0 ? token.created_at : now();
  return run(Access::kWrite, [&](pg::Connection& db) -> Status {
    // KEY SHARE: the account cannot be deleted before this token is committed.
    auto account = db.exec("SELECT 1 FROM accounts WHERE name = $1 FOR KEY SHARE", {token.account});
    if (!account.ok()) return account.status();
    if (account->empty()) return account_not_found(token.account);
    auto rows = db.exec(std::string("INSERT INTO tokens(") + kTokenColumns +
                            ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        {token.id, token.account, token.hash, created, token.expires_at, token.description});
    if (!rows.ok()) return rows.status();
    if (rows->affected() == 0) return Status::AlreadyExists("token id or hash already stored");
    return Status::Ok();
  });
}

Result<TokenRecord> PostgresStore::find_token_by_hash(const std::string& hash) {
  return run(Access::kRead, [&](pg::Connection& db) -> Result<TokenRecord> {
    auto rows = db.exec(std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE hash = $1", {hash});
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::NotFound("token not found");
    return read_token(rows->row(0));
  });
}

Status PostgresStore::revoke_token(const std::string& id) {
  return run(Access::kWrite, [&](pg::Connection& db) -> Status {
    auto rows = db.exec("DELETE FROM tokens WHERE id = $1", {id});
    if (!rows.ok()) return rows.status();
    return rows->affected() == 0 ? token_not_found(id) : Status::Ok();
  });
}

Result<std::vector<TokenRecord>> PostgresStore::list_tokens(const std::string& account) {
  return run(Access::kRead, [&](pg::Connection& db) -> Result<std::vector<TokenRecord>> {
    auto rows = db.exec(std::string("SELECT ") + kTokenColumns +
                            " FROM tokens WHERE account = $1 ORDER BY created_at, id COLLATE \"C\"",
                        {account});
    if (!rows.ok()) return rows.status();
    return read_all<TokenRecord, read_token<pg::Rows::Row>>(*rows);
  });
}

}  // namespace ferry::store
