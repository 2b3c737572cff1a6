// The operations ledger, manifests as applied, and retention on PostgreSQL.
//
// Several replicas may write at once. Anything that adds to an operation (results, manifests,
// phase changes, its finish) first locks the operation's row (lock_unfinished), so writes to one
// operation take turns and a late write sees the finish that beat it. Manifest blobs are shared
// between operations: store_manifests holds a KEY SHARE lock on each blob it links to and prune
// deletes only blobs it can lock FOR UPDATE (SKIP LOCKED), so a prune never removes a blob that
// a concurrent store_manifests is about to reference.
#include <set>
#include <string>

#include "store/postgres_store.h"

namespace ferry::store {
namespace {

using namespace records;

std::string select_operations(const std::string& where) {
  return std::string("SELECT ") + kOperationColumns + " FROM operations " + where;
}

std::vector<Operation> read_operations(const pg::Rows& rows) {
  std::vector<Operation> out;
  out.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) out.push_back(read_operation(rows.row(i)));
  return out;
}

}  // namespace

Status PostgresStore::lock_unfinished(pg::Connection& db, int64_t id) {
  auto rows = db.exec("SELECT phase, finished_at FROM operations WHERE id = $1 FOR UPDATE", {id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return operation_not_found(id);
  if (rows->int64(0, 1) != 0) return already_finished(id, rows->text(0, 0));
  return Status::Ok();
}

Result<std::vector<ResourceResult>> PostgresStore::results_of(pg::Connection& db, int64_t id) {
  auto rows = db.exec(std::string("SELECT ") + kResultColumns +
                          " FROM resource_results WHERE operation_id = $1 ORDER BY seq",
                      {id});
  if (!rows.ok()) return rows.status();
  std::vector<ResourceResult> out;
  for (int i = 0; i < rows->size(); ++i) out.push_back(read_result(rows->row(i)));
  return out;
}

Result<int64_t> PostgresStore::begin_operation(const OperationStart& start) {
  if (Status s = check_start(start); !s.ok()) return s;
  auto source = canonical_json(start.source);
  if (!source.ok()) return source.status();
  int64_t started = start.started_at != 0 ? start.started_at : now();
  return run(Access::kWrite, [&](pg::Connection& db) -> Result<int64_t> {
    auto rows = db.exec(
        "INSERT INTO operations(app, project, kind, revision, source, initiated_by, dry_run, prune, rollback_of, "
        "phase, message, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', $11) RETURNING id",
        {start.app, start.project, start.kind, start.revision, *source, start.initiated_by, start.dry_run, start.prune,
         start.rollback_of, phase_name(OperationPhase::kRunning), started});
    if (!rows.ok()) return rows.status();
    return rows->int64(0, 0);
  });
}

Status PostgresStore::record_resource_result(int64_t id, const ResourceResult& result) {
  return record_resource_results(id, {result});
}

Status PostgresStore::record_resource_results(int64_t id, const std::vector<ResourceResult>& results) {
  return run(Access::kWrite, [&](pg::Connection& db) -> Status {
    Status s = lock_unfinished(db, id);
    // A new resource goes after the others; a known one (same key) is updated where it stands.
    // The operation's row lock makes MAX(seq) + 1 safe against other writers.
    for (size_t i = 0; s.ok() && i < results.size(); ++i) {
      const ResourceResult& r = results[i];
      s = db.run(
          "INSERT INTO resource_results(operation_id, seq, api_group, version, kind, namespace, name, sync_phase, "
          "status, message, hook_type, hook_phase, manifest_digest) "
          "VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM resource_results WHERE operation_id = $1), "
          "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
          "ON CONFLICT (operation_id, api_group, kind, namespace, name, sync_phase) DO UPDATE SET "
          "version = excluded.version, status = excluded.status, message = excluded.message, "
          "hook_type = excluded.hook_type, hook_phase = excluded.hook_phase, "
          "manifest_digest = excluded.manifest_digest",
          {id, r.group, r.version, r.kind, r.ns, r.name, stored_sync_phase(r.sync_phase), r.status, r.message,
           r.hook_type, r.hook_phase, r.manifest_digest});
    }
    return s;
  });
}

Status PostgresStore::update_operation(int64_t id, OperationPhase phase, const std::string& message) {
  if (Status s = check_update_phase(phase); !s.ok()) return s;
  return run(Access::kWrite, [&](pg::Connection& db) -> Status {
    Status s = lock_unfinished(db, id);
    if (s.ok()) s = db.run("UPDATE operations SET phase = $1, message = $2 WHERE id = $3", {phase_name(phase), message, id});
    return s;
  });
}

Status PostgresStore::finish_operation(int64_t id, OperationPhase phase, const std::string& message) {
  if (Status s = check_finish_phase(phase); !s.ok()) return s;
  return run(Access::kWrite, [&](pg::Connection& db) -> Status {
    // Conflict when already finished: a late finish must not overwrite what a restart recorded.
    Status s = lock_unfinished(db, id);
    if (s.ok()) {
      s = db.run("UPDATE operations SET phase = $1, message = $2, finished_at = $3 WHERE id = $4",
                 {phase_name(phase), message, finish_time(now()), id});
    }
    return s;
  });
}

Result<Operation> PostgresStore::get_operation(int64_t id) {
  return run(Access::kSnapshot, [&](pg::Connection& db) -> Result<Operation> {
    auto rows = db.exec(select_operations("WHERE id = $1"), {id});
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return operation_not_found(id);
    Operation op = read_operation(rows->row(0));
    auto results = results_of(db, id);
    if (!results.ok()) return results.status();
    op.resources = std::move(*results);
    return op;
  });
}

Result<std::vector<Operation>> PostgresStore::list_operations(const std::string& app, int limit, int64_t before_id) {
  // One statement for every case: an unnamed statement is planned with its parameter values, so
  // the conditions that are switched off fold away and operations_by_app is used for an app.
  // LIMIT NULL is no limit.
  return run(Access::kRead, [&](pg::Connection& db) -> Result<std::vector<Operation>> {
    auto rows = db.exec(select_operations("WHERE ($1::text = '' OR app = $1::text) AND ($2::bigint <= 0 OR id < $2::bigint) "
                                          "ORDER BY id DESC LIMIT CASE WHEN $3::bigint > 0 THEN $3::bigint END"),
                        {app, before_id, limit});
    if (!rows.ok()) return rows.status();
    return read_operations(*rows);
  });
}

Result<std::vector<Operation>> PostgresStore::running_operations() {
  return run(Access::kRead, [&](pg::Connection& db) -> Result<std::vector<Operation>> {
    auto rows = db.exec(select_operations("WHERE finished_at = 0 ORDER BY id"));
    if (!rows.ok()) return rows.status();
    return read_operations(*rows);
  });
}

Result<std::vector<Operation>> PostgresStore::mark_interrupted_running(
    const std::function<bool(const std::string& app)>& owned) {
  return run(Access::kWrite, [&](pg::Connection& db) -> Result<std::vector<Operation>> {
    // Choose without locking (another replica's operations stay untouched), then lock the
    // chosen rows and re-read them: one may have finished or changed its message meanwhile.
    auto unfinished = db.exec("SELECT id, app FROM operations WHERE finished_at = 0 ORDER BY id");
    if (!unfinished.ok()) return unfinished.status();
    std::vector<int64_t> ids;
    for (int i = 0; i < unfinished->size(); ++i) {
      if (owned(unfinished->text(i, 1))) ids.push_back(unfinished->int64(i, 0));
    }
    std::vector<Operation> ops;
    if (ids.empty()) return ops;
    auto locked = db.exec(select_operations("WHERE id = ANY($1::bigint[]) AND finished_at = 0 ORDER BY id FOR UPDATE"),
                          {pg::int_array(ids)});
    if (!locked.ok()) return locked.status();
    ops = read_operations(*locked);
    int64_t finished = finish_time(now());
    for (auto& op : ops) {
      std::string message = interrupted_message(op);
      Status s = db.run("UPDATE operations SET phase = $1, message = $2, finished_at = $3 WHERE id = $4",
                        {phase_name(OperationPhase::kInterrupted), message, finished, op.id});
      if (!s.ok()) return s;
      auto results = results_of(db, op.id);
      if (!results.ok()) return results.status();
      op.phase = OperationPhase::kInterrupted;
      op.message = std::move(message);
      op.finished_at = finished;
      op.resources = std::move(*results);
    }
    return ops;
  });
}

// ---- Manifests ------------------------------------------------------------------------------

Result<std::string> PostgresStore::digest_of(const Json& object) {
  auto c = canonicalize(object, digest_key_);
  if (!c.ok()) return c.status();
  return std::move(c->digest);
}

Result<std::vector<std::string>> PostgresStore::store_manifests(int64_t id, const std::vector<Json>& objects) {
  auto canonical = canonicalize_all(objects, digest_key_);
  if (!canonical.ok()) return canonical.status();
  std::vector<std::string> digests;
  for (const Canonical& c : *canonical) digests.push_back(c.digest);
  return run(Access::kWrite, [&](pg::Connection& db) -> Result<std::vector<std::string>> {
    Status s = lock_unfinished(db, id);
    if (!s.ok()) return s;
    // The blobs already stored, locked against a concurrent prune until this commits.
    auto present = db.exec("SELECT digest FROM blobs WHERE digest = ANY($1::text[]) FOR KEY SHARE",
                           {pg::text_array(digests)});
    if (!present.ok()) return present.status();
    std::set<std::string> stored;
    for (int i = 0; i < present->size(); ++i) stored.insert(present->text(i, 0));
    for (const Canonical& c : *canonical) {
      if (!stored.insert(c.digest).second) continue;  // stored, or the same object earlier in this call
      Result<std::string> packed = [&] {
        std::lock_guard lock(compressor_mu_);
        return compressor_.compress(c.text);
      }();
      if (!packed.ok()) return packed.status();
      // Another replica may store the same object at the same moment: both end up with one blob.
      s = db.run(
          "INSERT INTO blobs(digest, sensitive, raw_size, data) VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING",
          {c.digest, c.sensitive, static_cast<int64_t>(c.text.size()), pg::Param::bytes(*packed)});
      if (!s.ok()) return s;
    }
    // Appended after what earlier calls stored, in order, in one statement.
    s = db.run(
        "INSERT INTO operation_manifests(operation_id, seq, digest) "
        "SELECT $1, (SELECT COALESCE(MAX(seq), 0) FROM operation_manifests WHERE operation_id = $1) + n, d "
        "FROM unnest($2::text[]) WITH ORDINALITY AS t(d, n)",
        {id, pg::text_array(digests)});
    if (!s.ok()) return s;
    return digests;
  });
}

Result<Json> PostgresStore::load_blob(pg::Connection& db, const std::string& digest, bool include_sensitive) const {
  auto rows = db.exec("SELECT sensitive, raw_size, data FROM blobs WHERE digest = $1", {digest});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::NotFound("manifest " + digest + " not found");
  records::StoredBlob blob{
      .digest = digest, .sensitive = rows->boolean(0, 0), .raw_size = rows->int64(0, 1), .data = rows->bytes(0, 2)};
  return decode_blob(name_, blob, digest_key_, include_sensitive);
}

Result<std::vector<Json>> PostgresStore::manifests_of(int64_t id, bool include_sensitive) {
  return run(Access::kSnapshot, [&](pg::Connection& db) -> Result<std::vector<Json>> {
    auto op = db.exec("SELECT 1 FROM operations WHERE id = $1", {id});
    if (!op.ok()) return op.status();
    if (op->empty()) return operation_not_found(id);
    auto rows = db.exec("SELECT digest FROM operation_manifests WHERE operation_id = $1 ORDER BY seq", {id});
    if (!rows.ok()) return rows.status();
    std::vector<Json> out;
    out.reserve(static_cast<size_t>(rows->size()));
    for (int i = 0; i < rows->size(); ++i) {
      auto object = load_blob(db, rows->text(i, 0), include_sensitive);
      if (!object.ok()) return object.status();
      out.push_back(std::move(*object));
    }
    return out;
  });
}

Result<Json> PostgresStore::get_manifest(const std::string& digest, bool include_sensitive) {
  return run(Access::kRead, [&](pg::Connection& db) { return load_blob(db, digest, include_sensitive); });
}

// ---- Retention ------------------------------------------------------------------------------

Result<PruneResult> PostgresStore::prune_history(const std::string& app) {
  return prune_history(app, options_.history_limit);
}

Result<PruneResult> PostgresStore::prune_history(const std::string& app, int keep) {
  if (Status s = check_prune(app, keep); !s.ok()) return s;
  return run(Access::kWrite, [&](pg::Connection& db) -> Result<PruneResult> {
    // Victims: finished operations of the app older than its newest `keep`.
    auto victims = db.exec(
        "SELECT id FROM operations WHERE app = $1 AND finished_at <> 0 AND id NOT IN "
        "(SELECT id FROM operations WHERE app = $1 ORDER BY id DESC LIMIT $2) FOR UPDATE",
        {app, keep});
    if (!victims.ok()) return victims.status();
    std::vector<int64_t> ids;
    for (int i = 0; i < victims->size(); ++i) ids.push_back(victims->int64(i, 0));
    PruneResult result;
    if (ids.empty()) return result;
    // Only blobs the victims used can become orphans; checking just those keeps a prune cheap
    // however many blobs the store holds.
    auto used = db.exec("SELECT DISTINCT digest FROM operation_manifests WHERE operation_id = ANY($1::bigint[])",
                        {pg::int_array(ids)});
    if (!used.ok()) return used.status();
    std::vector<std::string> candidates;
    for (int i = 0; i < used->size(); ++i) candidates.push_back(used->text(i, 0));
    auto deleted = db.exec("DELETE FROM operations WHERE id = ANY($1::bigint[])",  // results and links cascade
                           {pg::int_array(ids)});
    if (!deleted.ok()) return deleted.status();
    result.operations_deleted = deleted->affected();
    auto collected = db.exec(
        "DELETE FROM blobs WHERE digest IN (SELECT digest FROM blobs b WHERE digest = ANY($1::text[]) AND NOT EXISTS "
        "(SELECT 1 FROM operation_manifests m WHERE m.digest = b.digest) FOR UPDATE SKIP LOCKED)",
        {pg::text_array(candidates)});
    if (!collected.ok()) return collected.status();
    result.blobs_deleted = collected->affected();
    return result;
  });
}

Result<int64_t> PostgresStore::prune_events(int64_t before) {
  return run(Access::kWrite, [&](pg::Connection& db) -> Result<int64_t> {
    auto rows = db.exec("DELETE FROM events WHERE time < $1", {before});
    if (!rows.ok()) return rows.status();
    return rows->affected();
  });
}

}  // namespace ferry::store
