// Manifests as applied, and retention.
//
// A manifest is stored once per distinct content: its canonical JSON (codec.h), zlib-compressed,
// under its digest (see records.h for why Secrets get a keyed digest). Operations link to
// digests in apply order.
#include <set>
#include <string>

#include "store/codec.h"
#include "store/records.h"
#include "store/sqlite_store.h"

namespace ferry::store {
namespace {

using sql::Transaction;
using namespace records;

}  // namespace

Result<std::string> SqliteStore::digest_of(const Json& object) {
  auto c = canonicalize(object, digest_key_);
  if (!c.ok()) return c.status();
  return std::move(c->digest);
}

Result<std::vector<std::string>> SqliteStore::store_manifests(int64_t id, const std::vector<Json>& objects) {
  // Serialise and hash before taking the lock; compress only what turns out to be new.
  auto canonical = canonicalize_all(objects, digest_key_);
  if (!canonical.ok()) return canonical.status();
  const std::vector<Canonical>& items = *canonical;

  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  Status s = require_unfinished(id);
  if (!s.ok()) return s;
  auto last = db_->prepare("SELECT COALESCE(MAX(seq), 0) FROM operation_manifests WHERE operation_id = ?");
  if (!last.ok()) return last.status();
  last->bind(1, id);
  auto row = last->step();
  if (!row.ok()) return row.status();
  int64_t seq = last->int64(0);
  last->reset();

  auto exists = db_->prepare("SELECT 1 FROM blobs WHERE digest = ?");
  auto insert_blob = db_->prepare("INSERT INTO blobs(digest, sensitive, raw_size, data) VALUES (?, ?, ?, ?)");
  auto link = db_->prepare("INSERT INTO operation_manifests(operation_id, seq, digest) VALUES (?, ?, ?)");
  if (!exists.ok()) return exists.status();
  if (!insert_blob.ok()) return insert_blob.status();
  if (!link.ok()) return link.status();

  std::vector<std::string> digests;
  digests.reserve(items.size());
  for (const Canonical& c : items) {
    exists->reset();
    exists->bind(1, c.digest);
    auto found = exists->step();
    if (!found.ok()) return found.status();
    if (!*found) {
      auto packed = compressor_.compress(c.text);
      if (!packed.ok()) return packed.status();
      insert_blob->reset();
      insert_blob->bind(1, c.digest)
          .bind(2, c.sensitive)
          .bind(3, static_cast<int64_t>(c.text.size()))
          .bind_blob(4, *packed);
      s = insert_blob->run();
      if (!s.ok()) return s;
    }
    link->reset();
    link->bind(1, id).bind(2, ++seq).bind(3, c.digest);
    s = link->run();
    if (!s.ok()) return s;
    digests.push_back(c.digest);
  }
  exists->reset();
  s = txn->commit();
  if (!s.ok()) return s;
  return digests;
}

Result<Json> SqliteStore::load_blob(const std::string& digest, bool include_sensitive) {
  auto stmt = db_->prepare("SELECT sensitive, raw_size, data FROM blobs WHERE digest = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, digest);
  auto row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("manifest " + digest + " not found");
  StoredBlob blob{.digest = digest, .sensitive = stmt->boolean(0), .raw_size = stmt->int64(1), .data = stmt->blob(2)};
  return decode_blob(path_, blob, digest_key_, include_sensitive);
}

Result<std::vector<Json>> SqliteStore::manifests_of(int64_t id, bool include_sensitive) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kRead);
  if (!txn.ok()) return txn.status();
  auto op = db_->query_int("SELECT COUNT(*) FROM operations WHERE id = " + std::to_string(id));
  if (!op.ok()) return op.status();
  if (*op == 0) return operation_not_found(id);
  auto stmt = db_->prepare("SELECT digest FROM operation_manifests WHERE operation_id = ? ORDER BY seq");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, id);
  std::vector<std::string> digests;
  while (true) {
    auto row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    digests.push_back(stmt->text(0));
  }
  std::vector<Json> out;
  out.reserve(digests.size());
  for (const auto& digest : digests) {
    auto object = load_blob(digest, include_sensitive);
    if (!object.ok()) return object.status();
    out.push_back(std::move(*object));
  }
  return out;
}

Result<Json> SqliteStore::get_manifest(const std::string& digest, bool include_sensitive) {
  std::lock_guard lock(mu_);
  return load_blob(digest, include_sensitive);
}

Result<PruneResult> SqliteStore::prune_history(const std::string& app) {
  return prune_history(app, options_.history_limit);
}

Result<PruneResult> SqliteStore::prune_history(const std::string& app, int keep) {
  if (Status s = check_prune(app, keep); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();

  // Victims: finished operations of the app older than its newest `keep`.
  auto victims = db_->prepare(
      "SELECT id FROM operations WHERE app = ?1 AND finished_at != 0 AND id NOT IN "
      "(SELECT id FROM operations WHERE app = ?1 ORDER BY id DESC LIMIT ?2)");
  if (!victims.ok()) return victims.status();
  victims->bind(1, app).bind(2, keep);
  std::vector<int64_t> ids;
  while (true) {
    auto row = victims->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ids.push_back(victims->int64(0));
  }

  // Only blobs the victims used can become orphans; checking just those keeps a prune cheap
  // however many blobs the store holds.
  std::set<std::string> candidates;
  auto used = db_->prepare("SELECT DISTINCT digest FROM operation_manifests WHERE operation_id = ?");
  auto remove = db_->prepare("DELETE FROM operations WHERE id = ?");  // results and links cascade
  if (!used.ok()) return used.status();
  if (!remove.ok()) return remove.status();
  PruneResult result;
  for (int64_t id : ids) {
    used->reset();
    used->bind(1, id);
    while (true) {
      auto row = used->step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      candidates.insert(used->text(0));
    }
    remove->reset();
    remove->bind(1, id);
    Status s = remove->run();
    if (!s.ok()) return s;
    result.operations_deleted += db_->changes();
  }

  auto collect = db_->prepare(
      "DELETE FROM blobs WHERE digest = ?1 AND NOT EXISTS (SELECT 1 FROM operation_manifests WHERE digest = ?1)");
  if (!collect.ok()) return collect.status();
  for (const auto& digest : candidates) {
    collect->reset();
    collect->bind(1, digest);
    Status s = collect->run();
    if (!s.ok()) return s;
    result.blobs_deleted += db_->changes();
  }
  Status s = txn->commit();
  if (!s.ok()) return s;
  return result;
}

Result<int64_t> SqliteStore::prune_events(int64_t before) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(*db_, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  auto stmt = db_->prepare("DELETE FROM events WHERE time < ?");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, before);
  Status s = stmt->run();
  if (!s.ok()) return s;
  int64_t deleted = db_->changes();
  s = txn->commit();
  if (!s.ok()) return s;
  return deleted;
}

}  // namespace ferry::store
