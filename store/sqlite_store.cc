// Store::open and maintenance for the SQLite store. The other methods live in ledger.cc,
// manifests.cc and accounts.cc.
#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>
#include <utility>

#include "store/schema.h"

namespace ferry::store {
namespace {

using records::kDigestKeyName;

// Connection settings. journal_mode is stored in the file; the others hold per connection.
Status configure(sql::Connection& db, const Options& options) {
  auto mode = db.prepare("PRAGMA journal_mode = WAL");
  if (!mode.ok()) return mode.status();
  auto row = mode->step();
  if (!row.ok()) return row.status();
  if (!*row || mode->text(0) != "wal") {
    return Status::Unavailable("store " + db.path() + ": cannot use WAL mode (journal mode is " +
                               (*row ? mode->text(0) : std::string("unknown")) + "); is it on a network file system?");
  }
  Status s = db.exec(options.full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  if (s.ok()) s = db.exec("PRAGMA foreign_keys = ON");
  return s;
}

// The key for digests of sensitive manifests: made once per database from OpenSSL's CSPRNG.
Result<std::string> digest_key(sql::Connection& db) {
  auto read = [&]() -> Result<std::string> {
    auto stmt = db.prepare("SELECT value FROM meta WHERE key = ?");
    if (!stmt.ok()) return stmt.status();
    stmt->bind(1, kDigestKeyName);
    auto row = stmt->step();
    if (!row.ok()) return row.status();
    return *row ? stmt->blob(0) : std::string();
  };
  auto key = read();
  if (!key.ok() || !key->empty()) return key;

  auto fresh = records::new_digest_key();
  if (!fresh.ok()) return fresh.status();
  auto txn = sql::Transaction::begin(db, sql::Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  auto insert = db.prepare("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)");  // another process may win
  if (!insert.ok()) return insert.status();
  insert->bind(1, kDigestKeyName).bind_blob(2, *fresh);
  Status s = insert->run();
  if (s.ok()) s = txn->commit();
  if (!s.ok()) return s;
  key = read();
  if (key.ok() && key->empty()) return Status::Internal("store " + db.path() + ": manifest digest key missing");
  return key;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const Options& options) {
  if (path.empty()) return Status::Invalid("store: empty database path");
  if (options.busy_timeout.count() < 0) return Status::Invalid("store: negative busy timeout");
  auto db = sql::Connection::open(path, /*create=*/true);
  if (!db.ok()) return db.status();
  // First, so that everything after waits for other processes instead of failing.
  auto busy_ms = std::min<int64_t>(options.busy_timeout.count(), std::numeric_limits<int>::max());
  sqlite3_busy_timeout((*db)->handle(), static_cast<int>(busy_ms));

  // While several processes open a new file at once, SQLite can answer SQLITE_BUSY without
  // waiting in the busy handler (switching to WAL, or a lock upgrade it would otherwise
  // deadlock on). Every step below is idempotent, so the whole sequence is retried until the
  // busy timeout has passed.
  auto deadline = std::chrono::steady_clock::now() + options.busy_timeout;
  std::string key;
  for (int attempt = 0;; ++attempt) {
    (*db)->forget_last_error();
    // Refuse foreign and newer files before changing anything in them (even the journal mode).
    auto version = check_schema(**db, current_schema_version());
    Status s = version.ok() ? Status::Ok() : version.status();
    if (s.ok()) s = configure(**db, options);
    if (s.ok()) s = migrate(**db);
    if (s.ok()) {
      auto k = digest_key(**db);
      if (k.ok()) {
        key = std::move(*k);
        break;
      }
      s = k.status();
    }
    bool busy = s.is(Reason::kUnavailable) && (*db)->last_error_was_busy();
    if (!busy || std::chrono::steady_clock::now() >= deadline) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 + 5 * attempt, 50)));
  }
  return std::unique_ptr<Store>(new SqliteStore(std::move(*db), options, std::move(key)));
}

SqliteStore::SqliteStore(std::unique_ptr<sql::Connection> connection, Options options, std::string digest_key)
    : path_(connection->path()),
      options_(std::move(options)),
      digest_key_(std::move(digest_key)),
      db_(std::move(connection)) {}

int64_t SqliteStore::now() const { return records::now_ms(options_); }

Status SqliteStore::check_integrity() {
  std::lock_guard lock(mu_);
  auto check = db_->prepare("PRAGMA integrity_check(20)");
  if (!check.ok()) return check.status();
  std::string problems;
  while (true) {
    auto row = check->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string line = check->text(0);
    if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
  }
  auto fk = db_->prepare("PRAGMA foreign_key_check");
  if (!fk.ok()) return fk.status();
  for (int n = 0; n < 20; ++n) {
    auto row = fk->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    problems += (problems.empty() ? "" : "; ") + ("row " + std::to_string(fk->int64(1)) + " of " + fk->text(0) +
                                                  " references a missing row of " + fk->text(2));
  }
  if (!problems.empty()) return Status::Internal("store " + path_ + ": integrity check failed: " + problems);
  return Status::Ok();
}

Result<StoreStats> SqliteStore::stats() {
  std::lock_guard lock(mu_);
  auto txn = sql::Transaction::begin(*db_, sql::Transaction::Mode::kRead);  // one snapshot
  if (!txn.ok()) return txn.status();
  StoreStats st;
  struct Query {
    int64_t* out;
    const char* sql;
  };
  const Query queries[] = {
      {&st.operations, "SELECT COUNT(*) FROM operations"},
      {&st.resource_results, "SELECT COUNT(*) FROM resource_results"},
      {&st.manifest_refs, "SELECT COUNT(*) FROM operation_manifests"},
      {&st.blobs, "SELECT COUNT(*) FROM blobs"},
      {&st.sensitive_blobs, "SELECT COUNT(*) FROM blobs WHERE sensitive = 1"},
      {&st.blob_bytes_raw, "SELECT COALESCE(SUM(raw_size), 0) FROM blobs"},
      {&st.blob_bytes_stored, "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM blobs"},
      {&st.events, "SELECT COUNT(*) FROM events"},
      {&st.accounts, "SELECT COUNT(*) FROM accounts"},
      {&st.tokens, "SELECT COUNT(*) FROM tokens"},
  };
  for (const auto& q : queries) {
    auto v = db_->query_int(q.sql);
    if (!v.ok()) return v.status();
    *q.out = *v;
  }
  auto version = db_->query_int("PRAGMA user_version");
  if (!version.ok()) return version.status();
  st.schema_version = static_cast<int>(*version);
  return st;
}

}  // namespace ferry::store
