// The operations ledger: one row per sync operation, one per resource result.
#include <string>

#include "store/codec.h"
#include "store/records.h"
#include "store/sqlite_store.h"

namespace ferry::store {
namespace {

using sql::Transaction;
using namespace records;

Result<std::vector<Operation>> read_operations(sql::Statement& stmt) {
  std::vector<Operation> out;
  while (true) {
    auto row = stmt.step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(read_operation(stmt));
  }
}

}  // namespace

Status SqliteStore::require_unfinished(int64_t id) {
  auto stmt = db_->prepare("SELECT phase, finished_at FROM operations WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row) return operation_not_found(id);
  if (stmt->int64(1) != 0) return already_finished(id, stmt->text(0));
  return Status::Ok();
}

Result<int64_t> SqliteStore::begin_operation(const OperationStart& start) {
  if (Status s = check_start(start); !s.ok()) return s;
  auto source = canonical_json(start.source);
  if (!source.ok()) return source.status();
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  auto stmt = db_->prepare(
      "INSERT INTO operations(app, project, kind, revision, source, initiated_by, dry_run, prune, rollback_of, "
      "phase, message, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, start.app)
      .bind(2, start.project)
      .bind(3, start.kind)
      .bind(4, start.revision)
      .bind(5, *source)
      .bind(6, start.initiated_by)
      .bind(7, start.dry_run)
      .bind(8, start.prune)
      .bind(9, start.rollback_of)
      .bind(10, phase_name(OperationPhase::kRunning))
      .bind(11, start.started_at != 0 ? start.started_at : now());
  Status s = stmt->run();
  if (!s.ok()) return s;
  int64_t id = db_->last_insert_rowid();
  s = txn->commit();
  if (!s.ok()) return s;
  return id;
}

Status SqliteStore::record_resource_result(int64_t id, const ResourceResult& result) {
  return record_resource_results(id, {result});
}

Status SqliteStore::record_resource_results(int64_t id, const std::vector<ResourceResult>& results) {
  // Every result the engine reports is kept, even one for an object that has no kind or name
  // (a broken manifest): the ledger must show why an operation failed.
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  Status s = require_unfinished(id);
  if (s.ok()) s = record_results_locked(id, results);
  if (s.ok()) s = txn->commit();
  return s;
}

Status SqliteStore::record_results_locked(int64_t id, const std::vector<ResourceResult>& results) {
  // A new resource goes after the others; a known one (same key) is updated where it stands.
  auto stmt = db_->prepare(
      "INSERT INTO resource_results(operation_id, seq, api_group, version, kind, namespace, name, sync_phase, "
      "status, message, hook_type, hook_phase, manifest_digest) "
      "VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM resource_results WHERE operation_id = ?1), "
      "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
      "ON CONFLICT(operation_id, api_group, kind, namespace, name, sync_phase) DO UPDATE SET "
      "version = excluded.version, status = excluded.status, message = excluded.message, "
      "hook_type = excluded.hook_type, hook_phase = excluded.hook_phase, manifest_digest = excluded.manifest_digest");
  if (!stmt.ok()) return stmt.status();
  for (const auto& r : results) {
    stmt->reset();
    stmt->bind(1, id)
        .bind(2, r.group)
        .bind(3, r.version)
        .bind(4, r.kind)
        .bind(5, r.ns)
        .bind(6, r.name)
        .bind(7, stored_sync_phase(r.sync_phase))
        .bind(8, r.status)
        .bind(9, r.message)
        .bind(10, r.hook_type)
        .bind(11, r.hook_phase)
        .bind(12, r.manifest_digest);
    Status s = stmt->run();
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status SqliteStore::update_operation(int64_t id, OperationPhase phase, const std::string& message) {
  if (Status s = check_update_phase(phase); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  Status s = require_unfinished(id);
  if (!s.ok()) return s;
  auto stmt = db_->prepare("UPDATE operations SET phase = ?, message = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, phase_name(phase)).bind(2, message).bind(3, id);
  s = stmt->run();
  if (s.ok()) s = txn->commit();
  return s;
}

Status SqliteStore::finish_operation(int64_t id, OperationPhase phase, const std::string& message) {
  if (Status s = check_finish_phase(phase); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  // Conflict when already finished: a late finish must not overwrite what a restart recorded.
  Status s = require_unfinished(id);
  if (!s.ok()) return s;
  auto stmt = db_->prepare("UPDATE operations SET phase = ?, message = ?, finished_at = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, phase_name(phase)).bind(2, message).bind(3, finish_time(now())).bind(4, id);
  s = stmt->run();
  if (s.ok()) s = txn->commit();
  return s;
}

Result<std::vector<ResourceResult>> SqliteStore::results_of(int64_t id) {
  auto stmt = db_->prepare(std::string("SELECT ") + kResultColumns +
                           " FROM resource_results WHERE operation_id = ? ORDER BY seq");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, id);
  std::vector<ResourceResult> out;
  while (true) {
    auto row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(read_result(*stmt));
  }
}

Result<Operation> SqliteStore::get_operation(int64_t id) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kRead);  // the row and its results agree
  if (!txn.ok()) return txn.status();
  auto stmt = db_->prepare(std::string("SELECT ") + kOperationColumns + " FROM operations WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row) return operation_not_found(id);
  Operation op = read_operation(*stmt);
  auto results = results_of(id);
  if (!results.ok()) return results.status();
  op.resources = std::move(*results);
  return op;
}

Result<std::vector<Operation>> SqliteStore::list_operations(const std::string& app, int limit, int64_t before_id) {
  // Built per case rather than with "?1 = '' OR app = ?1", which would keep SQLite off the index.
  std::string query = std::string("SELECT ") + kOperationColumns + " FROM operations WHERE 1";
  if (!app.empty()) query += " AND app = ?1";
  if (before_id > 0) query += " AND id < ?2";
  query += " ORDER BY id DESC LIMIT ?3";
  std::lock_guard lock(mu_);
  auto stmt = db_->prepare(query);
  if (!stmt.ok()) return stmt.status();
  if (!app.empty()) stmt->bind(1, app);
  if (before_id > 0) stmt->bind(2, before_id);
  stmt->bind(3, limit > 0 ? int64_t{limit} : int64_t{-1});  // LIMIT -1: no limit
  return read_operations(*stmt);
}

Result<std::vector<Operation>> SqliteStore::unfinished_locked() {
  auto stmt =
      db_->prepare(std::string("SELECT ") + kOperationColumns + " FROM operations WHERE finished_at = 0 ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  return read_operations(*stmt);
}

Result<std::vector<Operation>> SqliteStore::running_operations() {
  std::lock_guard lock(mu_);
  return unfinished_locked();
}

Result<std::vector<Operation>> SqliteStore::mark_interrupted_running(
    const std::function<bool(const std::string& app)>& owned) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  auto unfinished = unfinished_locked();
  if (!unfinished.ok()) return unfinished.status();
  std::vector<Operation> ops;
  for (auto& op : *unfinished) {
    if (owned(op.app)) ops.push_back(std::move(op));
  }
  auto update = db_->prepare("UPDATE operations SET phase = ?, message = ?, finished_at = ? WHERE id = ?");
  if (!update.ok()) return update.status();
  int64_t finished = finish_time(now());
  for (auto& op : ops) {
    std::string message = interrupted_message(op);
    update->reset();
    update->bind(1, phase_name(OperationPhase::kInterrupted)).bind(2, message).bind(3, finished).bind(4, op.id);
    Status s = update->run();
    if (!s.ok()) return s;
    auto results = results_of(op.id);
    if (!results.ok()) return results.status();
    op.phase = OperationPhase::kInterrupted;
    op.message = std::move(message);
    op.finished_at = finished;
    op.resources = std::move(*results);
  }
  Status s = txn->commit();
  if (!s.ok()) return s;
  return ops;
}

}  // namespace ferry::store
