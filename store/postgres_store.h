// PostgresStore: the PostgreSQL implementation of Store (see store.h for the contract), shared by
// several controller replicas. Internal to store/: users get one through Store::open_postgres()
// or Store::open_url().
//
// Calls run on a pool of kPoolSize connections, each lent to one call at a time, so callers do
// not queue behind one another's network round trips. Writes run in READ COMMITTED transactions
// that lock the rows they depend on (the operation row for anything that adds to an operation),
// so concurrent writers from any replica serialise exactly where they must.
//
// When the server goes away a call fails with Unavailable and the connection is marked lost; the
// next call reconnects. A call is retried once on a fresh connection when the connection was
// lost before anything could have taken effect: any read, or a write whose COMMIT was never
// sent (the server rolls back an unfinished transaction). A connection lost during COMMIT is
// reported, never retried, so a write is never applied twice.
//
// The method bodies are split by concern: postgres_store.cc (open, schema, maintenance),
// postgres_ledger.cc (operations, manifests, retention), postgres_accounts.cc (events, accounts,
// tokens).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "store/codec.h"
#include "store/pg.h"
#include "store/records.h"
#include "store/store.h"

namespace ferry::store {

class PostgresStore final : public Store {
 public:
  static constexpr size_t kPoolSize = 4;

  PostgresStore(std::string conninfo, pg::Settings settings, Options options, std::string digest_key);

  Result<int64_t> begin_operation(const OperationStart& start) override;
  Status record_resource_result(int64_t id, const ResourceResult& result) override;
  Status record_resource_results(int64_t id, const std::vector<ResourceResult>& results) override;
  Status update_operation(int64_t id, OperationPhase phase, const std::string& message) override;
  Status finish_operation(int64_t id, OperationPhase phase, const std::string& message) override;
  Result<Operation> get_operation(int64_t id) override;
  Result<std::vector<Operation>> list_operations(const std::string& app, int limit, int64_t before_id) override;
  Result<std::vector<Operation>> running_operations() override;
  using Store::mark_interrupted_running;
  Result<std::vector<Operation>> mark_interrupted_running(
      const std::function<bool(const std::string& app)>& owned) override;

  Result<std::vector<std::string>> store_manifests(int64_t id, const std::vector<Json>& objects) override;
  Result<std::vector<Json>> manifests_of(int64_t id, bool include_sensitive) override;
  Result<Json> get_manifest(const std::string& digest, bool include_sensitive) override;
  Result<std::string> digest_of(const Json& object) override;

  Result<PruneResult> prune_history(const std::string& app, int keep) override;
  Result<PruneResult> prune_history(const std::string& app) override;
  Result<int64_t> prune_events(int64_t before) override;

  Result<int64_t> record_event(const Event& event) override;
  Result<std::vector<Event>> list_events(const EventFilter& filter) override;

  Status put_account(const Account& account) override;
  Result<Account> get_account(const std::string& name) override;
  Result<std::vector<Account>> list_accounts() override;
  Status delete_account(const std::string& name) override;
  Status store_token(const TokenRecord& token) override;
  Result<TokenRecord> find_token_by_hash(const std::string& hash) override;
  Status revoke_token(const std::string& id) override;
  Result<std::vector<TokenRecord>> list_tokens(const std::string& account) override;

  Status check_integrity() override;
  Result<StoreStats> stats() override;
  const std::string& path() const override { return name_; }
  std::string kind() const override { return "postgres"; }
  bool shared() const override { return true; }

  // Hands the connection open() migrated with to the pool.
  void adopt(std::unique_ptr<pg::Connection> connection) { pool_.adopt(std::move(connection)); }

 private:
  enum class Access {
    kRead,      // one statement, no transaction
    kSnapshot,  // several reads in one read-only snapshot
    kWrite,     // a transaction, committed when the body succeeds
  };

  // Runs `body(connection)` on a pooled connection as `access` says, retrying once as described
  // at the top. Body returns Status or Result<T>; a failure rolls the transaction back.
  template <class Body>
  auto run(Access access, Body&& body) -> decltype(body(std::declval<pg::Connection&>()));

  int64_t now() const { return records::now_ms(options_); }
  // NotFound / Conflict unless the operation exists unfinished; locks its row until the
  // transaction ends, so writes to one operation (and its finish) take turns.
  static Status lock_unfinished(pg::Connection& db, int64_t id);
  static Result<std::vector<ResourceResult>> results_of(pg::Connection& db, int64_t id);
  Result<Json> load_blob(pg::Connection& db, const std::string& digest, bool include_sensitive) const;

  const std::string name_;  // the URL, password masked
  const Options options_;
  // Key for the digests of sensitive manifests, created once per database (kept in meta).
  const std::string digest_key_;
  pg::Pool pool_;
  std::mutex compressor_mu_;
  Compressor compressor_;  // guarded by compressor_mu_
};

namespace pg_detail {
// Whether a body's Status or Result<T> succeeded.
inline bool succeeded(const Status& s) { return s.ok(); }
template <class T>
bool succeeded(const Result<T>& r) {
  return r.ok();
}
}  // namespace pg_detail

template <class Body>
auto PostgresStore::run(Access access, Body&& body) -> decltype(body(std::declval<pg::Connection&>())) {
  using R = decltype(body(std::declval<pg::Connection&>()));
  auto lease = pool_.acquire();
  if (!lease.ok()) return R(lease.status());
  pg::Connection& db = **lease;
  for (int attempt = 0;; ++attempt) {
    bool commit_sent = false;
    R result = [&]() -> R {
      if (access == Access::kRead) return body(db);
      auto txn = pg::Transaction::begin(
          db, access == Access::kWrite ? pg::Transaction::Mode::kWrite : pg::Transaction::Mode::kSnapshot);
      if (!txn.ok()) return R(txn.status());
      R r = body(db);
      if (!pg_detail::succeeded(r)) return r;  // the transaction rolls back
      commit_sent = true;
      Status s = txn->commit();
      if (!s.ok()) return R(s);
      return r;
    }();
    bool lost = !pg_detail::succeeded(result) && db.broken();
    if (!lost || attempt > 0 || (access == Access::kWrite && commit_sent)) return result;
    // Typically the server restarted since this connection was last used. Retry on the same
    // connection, made again: another idle one in the pool may be just as stale.
    if (Status s = db.reset(); !s.ok()) return R(s);
  }
}

}  // namespace ferry::store
