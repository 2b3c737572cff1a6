// What the SQLite and PostgreSQL stores share besides the interface: argument checks with their
// messages, the mapping from result rows to records, and manifest canonicalisation and
// decoding. Keeping them in one place keeps the two backends' contracts identical.
// Internal to store/. Pure functions; thread-safe.
//
// Row readers are templates over any row type with text(col), int64(col) and boolean(col):
// sql::Statement (SQLite) and pg::Rows::Row (PostgreSQL) both provide them. Columns come in the
// order of the k*Columns lists below, which name the same columns in both schemas.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apis/types/status.h"
#include "store/store.h"
#include "store/types.h"

namespace ferry::store::records {

inline constexpr const char* kOperationColumns =
    "id, app, project, kind, revision, source, initiated_by, dry_run, prune, rollback_of, phase, message, "
    "started_at, finished_at";
inline constexpr const char* kResultColumns =
    "api_group, version, kind, namespace, name, sync_phase, status, message, hook_type, hook_phase, manifest_digest";
inline constexpr const char* kEventColumns = "id, time, actor, action, app, message, details";
inline constexpr const char* kAccountColumns = "name, capabilities, password_hash, enabled, created_at, updated_at";
inline constexpr const char* kTokenColumns = "id, account, hash, created_at, expires_at, description";

// The meta key under which the per-database key for Secret digests is kept.
inline constexpr const char* kDigestKeyName = "manifest_digest_key";

// "Now" in Unix ms: Options::clock when set, else the system clock.
int64_t now_ms(const Options& options);
// finished_at for an operation ending at `now`: 0 means "unfinished", so a clock at the epoch
// must still leave a mark.
inline int64_t finish_time(int64_t now) { return now > 0 ? now : 1; }
// 32 random bytes from OpenSSL's CSPRNG: the key for Secret digests of a new database.
Result<std::string> new_digest_key();

// ---- Argument checks (Invalid with the message both stores give) ----------------------------

Status check_start(const OperationStart& start);
Status check_update_phase(OperationPhase phase);
Status check_finish_phase(OperationPhase phase);
Status check_prune(const std::string& app, int keep);
Status check_event(const Event& event);
Status check_account(const Account& account);
// Also refuses a hash that is not 64 lowercase hex digits: a raw token passed by mistake.
Status check_token(const TokenRecord& token);

Status operation_not_found(int64_t id);
Status account_not_found(const std::string& name);
Status token_not_found(const std::string& id);
// Conflict for a write to an operation that has already ended with `phase`.
Status already_finished(int64_t id, const std::string& phase);
// The message an unfinished operation gets when marked Interrupted (keeps the last message).
std::string interrupted_message(const Operation& op);
// "" is stored (and read back) as "Sync".
inline std::string stored_sync_phase(const std::string& phase) { return phase.empty() ? "Sync" : phase; }

// JSON text of a column, or `fallback` when it does not parse (never throws).
Json parse_or(const std::string& text, Json fallback);
// The capabilities column: a JSON array of strings.
std::vector<std::string> parse_capabilities(const std::string& text);

// ---- Rows to records ------------------------------------------------------------------------

template <class Row>
Operation read_operation(const Row& row) {
  Operation op;
  op.id = row.int64(0);
  op.app = row.text(1);
  op.project = row.text(2);
  op.kind = row.text(3);
  op.revision = row.text(4);
  op.source = parse_or(row.text(5), Json::object());
  op.initiated_by = row.text(6);
  op.dry_run = row.boolean(7);
  op.prune = row.boolean(8);
  op.rollback_of = row.int64(9);
  // A phase this build does not know can only come from a newer Ferry; show it as an error
  // rather than failing the whole listing.
  op.phase = parse_phase(row.text(10)).value_or(OperationPhase::kError);
  op.message = row.text(11);
  op.started_at = row.int64(12);
  op.finished_at = row.int64(13);
  return op;
}

template <class Row>
ResourceResult read_result(const Row& row) {
  ResourceResult r;
  r.group = row.text(0);
  r.version = row.text(1);
  r.kind = row.text(2);
  r.ns = row.text(3);
  r.name = row.text(4);
  r.sync_phase = row.text(5);
  r.status = row.text(6);
  r.message = row.text(7);
  r.hook_type = row.text(8);
  r.hook_phase = row.text(9);
  r.manifest_digest = row.text(10);
  return r;
}

template <class Row>
Event read_event(const Row& row) {
  Event e;
  e.id = row.int64(0);
  e.time = row.int64(1);
  e.actor = row.text(2);
  e.action = row.text(3);
  e.app = row.text(4);
  e.message = row.text(5);
  e.details = parse_or(row.text(6), Json::object());
  return e;
}

template <class Row>
Account read_account(const Row& row) {
  Account a;
  a.name = row.text(0);
  a.capabilities = parse_capabilities(row.text(1));
  a.password_hash = row.text(2);
  a.enabled = row.boolean(3);
  a.created_at = row.int64(4);
  a.updated_at = row.int64(5);
  return a;
}

template <class Row>
TokenRecord read_token(const Row& row) {
  TokenRecord t;
  t.id = row.text(0);
  t.account = row.text(1);
  t.hash = row.text(2);
  t.created_at = row.int64(3);
  t.expires_at = row.int64(4);
  t.description = row.text(5);
  return t;
}

// ---- Manifests ------------------------------------------------------------------------------
//
// A manifest's digest is SHA-256 of its canonical JSON, except for Secrets: theirs is
// HMAC-SHA-256 under a random per-database key. A plain hash of a Secret would let anyone who can
// read the (masked) history test guesses of a weak secret value offline: every other byte of the
// object is visible. The keyed digest still deduplicates, and only the database holds the key —
// the same database that holds the Secret.

struct Canonical {
  std::string text;  // canonical JSON
  std::string digest;
  bool sensitive = false;
};
Result<Canonical> canonicalize(const Json& object, std::string_view digest_key);
// Every object, in order; Invalid naming the index of the first that JSON cannot carry.
Result<std::vector<Canonical>> canonicalize_all(const std::vector<Json>& objects, std::string_view digest_key);

// A stored blob back to its object: decompresses, checks the content against the digest (so a
// damaged blob is reported, never re-applied), parses, and masks a Secret unless
// include_sensitive. Internal naming `store` (the database) on damage.
struct StoredBlob {
  std::string digest;
  bool sensitive = false;
  int64_t raw_size = 0;
  std::string data;  // zlib-compressed canonical JSON
};
Result<Json> decode_blob(const std::string& store, const StoredBlob& blob, std::string_view digest_key,
                         bool include_sensitive);

}  // namespace ferry::store::records
