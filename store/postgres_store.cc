// Store::open_postgres, the PostgreSQL schema and its migrations, and maintenance. The other
// methods live in postgres_ledger.cc and postgres_accounts.cc.
#include "store/postgres_store.h"

#include <algorithm>
#include <span>

#include "store/schema.h"

namespace ferry::store {
namespace {

// Version 1: the SQLite schema (schema.cc) in PostgreSQL types, same table and column names so
// both stores share their column lists (records.h). Notes:
// - ids are identity columns: a history ID is never handed out twice, even after pruning, and
//   replicas get distinct ids without coordination.
// - booleans are BOOLEAN, times BIGINT Unix ms, manifests BYTEA.
// - blobs.data is zlib-compressed already: STORAGE EXTERNAL spares PostgreSQL a futile attempt
//   to compress it again.
// - the schema version is the single row of ferry_schema (created by migrate() itself).
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BYTEA NOT NULL
);

CREATE TABLE operations (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app          TEXT NOT NULL,
  project      TEXT NOT NULL,
  kind         TEXT NOT NULL,
  revision     TEXT NOT NULL,
  source       TEXT NOT NULL,
  initiated_by TEXT NOT NULL,
  dry_run      BOOLEAN NOT NULL,
  prune        BOOLEAN NOT NULL,
  rollback_of  BIGINT NOT NULL DEFAULT 0,
  phase        TEXT NOT NULL,
  message      TEXT NOT NULL DEFAULT '',
  started_at   BIGINT NOT NULL,
  finished_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX operations_by_app ON operations(app, id);
CREATE INDEX operations_unfinished ON operations(id) WHERE finished_at = 0;

CREATE TABLE resource_results (
  operation_id    BIGINT NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
  seq             INTEGER NOT NULL,
  api_group       TEXT NOT NULL,
  version         TEXT NOT NULL,
  kind            TEXT NOT NULL,
  namespace       TEXT NOT NULL,
  name            TEXT NOT NULL,
  sync_phase      TEXT NOT NULL,
  status          TEXT NOT NULL,
  message         TEXT NOT NULL,
  hook_type       TEXT NOT NULL,
  hook_phase      TEXT NOT NULL,
  manifest_digest TEXT NOT NULL,
  PRIMARY KEY (operation_id, seq),
  UNIQUE (operation_id, api_group, kind, namespace, name, sync_phase)
);

CREATE TABLE blobs (
  digest    TEXT PRIMARY KEY,
  sensitive BOOLEAN NOT NULL,
  raw_size  BIGINT NOT NULL,
  data      BYTEA NOT NULL
);
ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE operation_manifests (
  operation_id BIGINT NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  digest       TEXT NOT NULL REFERENCES blobs(digest),
  PRIMARY KEY (operation_id, seq)
);
CREATE INDEX operation_manifests_by_digest ON operation_manifests(digest);

CREATE TABLE events (
  id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time    BIGINT NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  app     TEXT NOT NULL,
  message TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX events_by_app ON events(app, id);
CREATE INDEX events_by_time ON events(time);

CREATE TABLE accounts (
  name          TEXT PRIMARY KEY,
  capabilities  TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  enabled       BOOLEAN NOT NULL,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL
);

CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  account     TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
  hash        TEXT NOT NULL UNIQUE,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  description TEXT NOT NULL
);
CREATE INDEX tokens_by_account ON tokens(account);
)sql";

constexpr Migration kMigrations[] = {
    {1, "ledger, manifests, events, accounts and tokens", kSchemaV1},
};

// Every replica migrating a database takes this transaction-scoped advisory lock first, so two
// opening a new database at once apply each migration exactly once. ("FRRY" and 1.)
constexpr int64_t kMigrationLock = 0x4652525900000001;

// Brings the schema up to date in one transaction under the advisory lock and returns the key
// for Secret digests (made on first open). Refuses a schema newer than this build.
Result<std::string> migrate(pg::Connection& db, std::span<const Migration> list) {
  const std::string& name = db.name();
  int latest = list.empty() ? 0 : list.back().version;
  auto txn = pg::Transaction::begin(db, pg::Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  Status s = db.run("SELECT pg_advisory_xact_lock($1)", {kMigrationLock});
  if (s.ok()) s = db.run("CREATE TABLE IF NOT EXISTS ferry_schema (version INTEGER NOT NULL)");
  if (!s.ok()) return s;
  auto rows = db.exec("SELECT version FROM ferry_schema");
  if (!rows.ok()) return rows.status();
  int version = rows->empty() ? 0 : static_cast<int>(rows->int64(0, 0));
  if (rows->empty()) s = db.run("INSERT INTO ferry_schema(version) VALUES (0)");
  if (!s.ok()) return s;
  if (version > latest) {
    return Status::Invalid("store " + name + ": schema version " + std::to_string(version) +
                           " was written by a newer Ferry; this build knows versions up to " + std::to_string(latest) +
                           ". Run the newer Ferry, or restore a backup made before the upgrade.");
  }
  for (const Migration& m : list) {
    if (m.version <= version) continue;
    s = db.run_script(m.sql);
    if (s.ok()) s = db.run("UPDATE ferry_schema SET version = $1", {m.version});
    if (!s.ok()) {
      return Status(s.reason(),
                    "migration " + std::to_string(m.version) + " (" + m.description + ") failed: " + s.message());
    }
  }
  auto fresh = records::new_digest_key();
  if (!fresh.ok()) return fresh.status();
  s = db.run("INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
             {records::kDigestKeyName, pg::Param::bytes(*fresh)});
  if (!s.ok()) return s;
  auto key = db.exec("SELECT value FROM meta WHERE key = $1", {records::kDigestKeyName});
  if (!key.ok()) return key.status();
  if (key->empty()) return Status::Internal("store " + name + ": manifest digest key missing");
  std::string digest_key = key->bytes(0, 0);
  s = txn->commit();
  if (!s.ok()) return s;
  return digest_key;
}

// Timeouts derived from Options::busy_timeout, which bounds waiting for other writers:
// lock_timeout is exactly that wait; statement_timeout bounds any one statement (so a call
// cannot hang on the server) and idle_in_transaction_session_timeout frees locks held by a
// client that vanished mid-transaction. On the client side, TCP keepalives and
// tcp_user_timeout notice a server that vanished from the network.
pg::Settings settings_for(const std::string& url, const Options& options) {
  int64_t busy = std::max<int64_t>(options.busy_timeout.count(), 1);
  int64_t statement = std::max<int64_t>(4 * busy, 1000);
  pg::Settings s;
  s.name = pg::mask_password(url);
  s.connect_timeout_seconds = static_cast<int>(std::clamp<int64_t>((busy + 999) / 1000, 2, 60));
  s.session = {{"lock_timeout", std::to_string(busy)},
               {"statement_timeout", std::to_string(statement)},
               {"idle_in_transaction_session_timeout", std::to_string(statement)}};
  s.defaults = {{"application_name", "ferry"},
                {"keepalives_idle", "10"},
                {"keepalives_interval", "5"},
                {"keepalives_count", "3"},
                {"tcp_user_timeout", std::to_string(statement)}};
  return s;
}

bool is_postgres_url(const std::string& location) {
  return location.rfind("postgres://", 0) == 0 || location.rfind("postgresql://", 0) == 0;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open_postgres(const std::string& url, const Options& options) {
  if (url.empty()) return Status::Invalid("store: empty PostgreSQL URL");
  if (options.busy_timeout.count() < 0) return Status::Invalid("store: negative busy timeout");
  pg::Settings settings = settings_for(url, options);
  auto db = pg::Connection::open(url, settings);
  if (!db.ok()) return db.status();
  auto key = migrate(**db, kMigrations);
  if (!key.ok()) return key.status();
  auto store = std::make_unique<PostgresStore>(url, std::move(settings), options, std::move(*key));
  store->adopt(std::move(*db));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> Store::open_url(const std::string& location, const Options& options) {
  return is_postgres_url(location) ? open_postgres(location, options) : open(location, options);
}

PostgresStore::PostgresStore(std::string conninfo, pg::Settings settings, Options options, std::string digest_key)
    : name_(settings.name),
      options_(std::move(options)),
      digest_key_(std::move(digest_key)),
      pool_(std::move(conninfo), std::move(settings), kPoolSize) {}

Status PostgresStore::check_integrity() {
  return run(Access::kSnapshot, [&](pg::Connection& db) -> Status {
    std::string problems;
    auto add = [&](const std::string& p) { problems += (problems.empty() ? "" : "; ") + p; };
    auto version = db.exec("SELECT version FROM ferry_schema");
    if (!version.ok()) return version.status();
    int expected = kMigrations[std::size(kMigrations) - 1].version;
    if (version->size() != 1 || version->int64(0, 0) != expected) {
      add("schema version is " + (version->size() == 1 ? std::to_string(version->int64(0, 0)) : "missing") +
          ", expected " + std::to_string(expected));
    }
    // The foreign keys make these impossible unless someone edited the tables by hand (or
    // disabled triggers); a rollback must not discover a missing manifest.
    auto orphans = db.exec(
        "(SELECT 'operation ' || operation_id || ' references missing manifest ' || digest FROM operation_manifests m "
        " WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = m.digest) LIMIT 10) "
        "UNION ALL (SELECT 'resource result of missing operation ' || operation_id FROM resource_results r "
        " WHERE NOT EXISTS (SELECT 1 FROM operations o WHERE o.id = r.operation_id) LIMIT 10) "
        "UNION ALL (SELECT 'token ' || id || ' of missing account ' || account FROM tokens t "
        " WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.name = t.account) LIMIT 10) "
        "UNION ALL (SELECT 'manifest digest key missing' WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = $1))",
        {records::kDigestKeyName});
    if (!orphans.ok()) return orphans.status();
    for (int i = 0; i < orphans->size(); ++i) add(orphans->text(i, 0));
    if (!problems.empty()) return Status::Internal("store " + name_ + ": integrity check failed: " + problems);
    return Status::Ok();
  });
}

Result<StoreStats> PostgresStore::stats() {
  return run(Access::kRead, [&](pg::Connection& db) -> Result<StoreStats> {
    // One statement: one snapshot.
    auto rows = db.exec(
        "SELECT (SELECT COUNT(*) FROM operations), (SELECT COUNT(*) FROM resource_results), "
        "(SELECT COUNT(*) FROM operation_manifests), (SELECT COUNT(*) FROM blobs), "
        "(SELECT COUNT(*) FROM blobs WHERE sensitive), (SELECT COALESCE(SUM(raw_size), 0) FROM blobs), "
        "(SELECT COALESCE(SUM(octet_length(data)), 0) FROM blobs), (SELECT COUNT(*) FROM events), "
        "(SELECT COUNT(*) FROM accounts), (SELECT COUNT(*) FROM tokens), (SELECT MAX(version) FROM ferry_schema)");
    if (!rows.ok()) return rows.status();
    StoreStats st;
    int64_t* fields[] = {&st.operations, &st.resource_results, &st.manifest_refs, &st.blobs, &st.sensitive_blobs,
                         &st.blob_bytes_raw, &st.blob_bytes_stored, &st.events, &st.accounts, &st.tokens};
    for (int i = 0; i < static_cast<int>(std::size(fields)); ++i) *fields[i] = rows->int64(0, i);
    st.schema_version = static_cast<int>(rows->int64(0, static_cast<int>(std::size(fields))));
    return st;
  });
}

}  // namespace ferry::store
