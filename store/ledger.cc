// The operations ledger: one row per sync operation, one per resource result.
#include <algorithm>
#include <string>

#include "store/codec.h"
#include "store/sqlite_store.h"

namespace ferry::store {
namespace {

using sql::Transaction;

constexpr const char* kOperationColumns =
    "id, app, project, kind, revision, source, initiated_by, dry_run, prune, rollback_of, phase, message, "
    "started_at, finished_at";

Operation read_operation(const sql::Statement& row) {
  Operation op;
  op.id = row.int64(0);
  op.app = row.text(1);
  op.project = row.text(2);
  op.kind = row.text(3);
  op.revision = row.text(4);
  op.source = Json::parse(row.text(5), nullptr, false);
  if (op.source.is_discarded()) op.source = Json::object();
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

Result<std::vector<Operation>> read_operations(sql::Statement& stmt) {
  std::vector<Operation> out;
  while (true) {
    auto row = stmt.step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(read_operation(stmt));
  }
}

std::string not_found(int64_t id) { return "operation " + std::to_string(id) + " not found"; }

}  // namespace

Status SqliteStore::require_unfinished(int64_t id) {
  auto stmt = db_->prepare("SELECT phase, finished_at FROM operations WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound(not_found(id));
  if (stmt->int64(1) != 0) {
    return Status::Conflict("operation " + std::to_string(id) + " has already finished (" + stmt->text(0) + ")");
  }
  return Status::Ok();
}

Result<int64_t> SqliteStore::begin_operation(const OperationStart& start) {
  if (start.app.empty()) return Status::Invalid("operation needs an app");
  if (start.kind.empty()) return Status::Invalid("operation needs a kind");
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
        .bind(7, r.sync_phase.empty() ? std::string("Sync") : r.sync_phase)
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
  if (is_final(phase)) {
    return Status::Invalid(std::string("update_operation takes Running or Terminating, not ") + phase_name(phase) +
                           "; use finish_operation");
  }
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
  if (!is_final(phase)) {
    return Status::Invalid(std::string("finish_operation needs a final phase, not ") + phase_name(phase));
  }
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  // Conflict when already finished: a late finish must not overwrite what a restart recorded.
  Status s = require_unfinished(id);
  if (!s.ok()) return s;
  auto stmt = db_->prepare("UPDATE operations SET phase = ?, message = ?, finished_at = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  // finished_at 0 means "unfinished", so a clock at the epoch must still leave a mark.
  stmt->bind(1, phase_name(phase)).bind(2, message).bind(3, std::max<int64_t>(now(), 1)).bind(4, id);
  s = stmt->run();
  if (s.ok()) s = txn->commit();
  return s;
}

Result<std::vector<ResourceResult>> SqliteStore::results_of(int64_t id) {
  auto stmt = db_->prepare(
      "SELECT api_group, version, kind, namespace, name, sync_phase, status, message, hook_type, hook_phase, "
      "manifest_digest FROM resource_results WHERE operation_id = ? ORDER BY seq");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, id);
  std::vector<ResourceResult> out;
  while (true) {
    auto row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    ResourceResult r;
    r.group = stmt->text(0);
    r.version = stmt->text(1);
    r.kind = stmt->text(2);
    r.ns = stmt->text(3);
    r.name = stmt->text(4);
    r.sync_phase = stmt->text(5);
    r.status = stmt->text(6);
    r.message = stmt->text(7);
    r.hook_type = stmt->text(8);
    r.hook_phase = stmt->text(9);
    r.manifest_digest = stmt->text(10);
    out.push_back(std::move(r));
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
  if (!*row) return Status::NotFound(not_found(id));
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

Result<std::vector<Operation>> SqliteStore::mark_interrupted_running() {
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  auto ops = unfinished_locked();
  if (!ops.ok()) return ops.status();
  auto update = db_->prepare("UPDATE operations SET phase = ?, message = ?, finished_at = ? WHERE id = ?");
  if (!update.ok()) return update.status();
  int64_t finished = std::max<int64_t>(now(), 1);
  for (auto& op : *ops) {
    std::string message = "interrupted: Ferry stopped while the operation was " + std::string(phase_name(op.phase));
    if (!op.message.empty()) message += " (last message: " + op.message + ")";
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
