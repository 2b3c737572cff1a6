#include "store/schema.h"

#include <string>

namespace ferry::store {
namespace {

// Version 1. Notes on choices that are easy to get wrong later:
// - operations.id is AUTOINCREMENT so a history ID is never handed out twice, even after the
//   newest rows were pruned: a user's "rollback 42" must never mean two different things.
// - finished_at = 0 marks an unfinished operation; a partial index finds them at restart.
// - resource_results is unique per (operation, group, kind, namespace, name, sync phase), the key
//   Argo CD uses for results, so a hook's result is updated in place; seq keeps first-seen order.
// - blobs are keyed by digest; operation_manifests links operations to them in apply order.
// - tokens reference accounts with ON DELETE CASCADE; accounts are updated with an upsert, never
//   INSERT OR REPLACE, which would delete the row and its tokens with it.
// - meta holds store-wide values, such as the key for Secret digests (see manifests.cc).
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
);

CREATE TABLE operations (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  app          TEXT NOT NULL,
  project      TEXT NOT NULL,
  kind         TEXT NOT NULL,
  revision     TEXT NOT NULL,
  source       TEXT NOT NULL,
  initiated_by TEXT NOT NULL,
  dry_run      INTEGER NOT NULL,
  prune        INTEGER NOT NULL,
  rollback_of  INTEGER NOT NULL DEFAULT 0,
  phase        TEXT NOT NULL,
  message      TEXT NOT NULL DEFAULT '',
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX operations_by_app ON operations(app, id);
CREATE INDEX operations_unfinished ON operations(id) WHERE finished_at = 0;

CREATE TABLE resource_results (
  operation_id    INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
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
) WITHOUT ROWID;

CREATE TABLE blobs (
  digest    TEXT PRIMARY KEY,
  sensitive INTEGER NOT NULL,
  raw_size  INTEGER NOT NULL,
  data      BLOB NOT NULL
);

CREATE TABLE operation_manifests (
  operation_id INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  digest       TEXT NOT NULL REFERENCES blobs(digest),
  PRIMARY KEY (operation_id, seq)
) WITHOUT ROWID;
CREATE INDEX operation_manifests_by_digest ON operation_manifests(digest);

CREATE TABLE events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  time    INTEGER NOT NULL,
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
  enabled       INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  account     TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
  hash        TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  description TEXT NOT NULL
);
CREATE INDEX tokens_by_account ON tokens(account);
)sql";

constexpr Migration kMigrations[] = {
    {1, "ledger, manifests, events, accounts and tokens", kSchemaV1},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int current_schema_version() { return migrations().back().version; }

Status migrate(sql::Connection& connection) { return migrate(connection, migrations()); }

Result<int> check_schema(sql::Connection& connection, int latest) {
  const std::string& path = connection.path();
  // One snapshot: another process may be migrating the file between two separate reads, and
  // "no version yet" plus "tables already" would look like a foreign database.
  auto snapshot = sql::Transaction::begin(connection, sql::Transaction::Mode::kRead);
  if (!snapshot.ok()) return snapshot.status();
  // The first read also tells a database from any other file (SQLITE_NOTADB).
  auto version = connection.query_int("PRAGMA user_version");
  if (!version.ok()) return version.status();
  auto application_id = connection.query_int("PRAGMA application_id");
  if (!application_id.ok()) return application_id.status();
  if (*application_id != 0 && *application_id != kApplicationId) {
    return Status::Invalid("store " + path + ": a SQLite database of another program (application_id " +
                           std::to_string(*application_id) + "), not Ferry's");
  }
  if (*version == 0) {
    auto tables = connection.query_int("SELECT COUNT(*) FROM sqlite_schema");
    if (!tables.ok()) return tables.status();
    if (*tables > 0) {
      return Status::Invalid("store " + path +
                             ": a SQLite database that is not Ferry's (it has tables but no Ferry schema version)");
    }
  }
  if (*version > latest) {
    return Status::Invalid("store " + path + ": schema version " + std::to_string(*version) +
                           " was written by a newer Ferry; this build knows versions up to " + std::to_string(latest) +
                           ". Run the newer Ferry, or restore a backup made before the upgrade.");
  }
  return static_cast<int>(*version);
}

Status migrate(sql::Connection& connection, std::span<const Migration> list) {
  const std::string& path = connection.path();
  auto version = check_schema(connection, list.empty() ? 0 : list.back().version);
  if (!version.ok()) return version.status();

  for (const Migration& m : list) {
    if (m.version <= *version) continue;
    auto txn = sql::Transaction::begin(connection, sql::Transaction::Mode::kWrite);
    if (!txn.ok()) return txn.status();
    // Read again under the write lock: another process may have migrated meanwhile.
    auto now = connection.query_int("PRAGMA user_version");
    if (!now.ok()) return now.status();
    if (*now >= m.version) continue;  // done by someone else; the transaction rolls back
    if (*now != m.version - 1) {
      return Status::Internal("store " + path + ": cannot apply migration " + std::to_string(m.version) +
                              " to schema version " + std::to_string(*now));
    }
    Status s = connection.exec(m.sql);
    if (s.ok()) s = connection.exec("PRAGMA user_version = " + std::to_string(m.version));
    if (s.ok()) s = connection.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    if (s.ok()) s = txn->commit();
    if (!s.ok()) {
      return Status(s.reason(),
                    "migration " + std::to_string(m.version) + " (" + m.description + ") failed: " + s.message());
    }
  }
  return Status::Ok();
}

}  // namespace ferry::store
