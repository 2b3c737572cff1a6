// SqliteStore: the embedded SQLite implementation of Store (see store.h for the contract).
// Internal to store/: users get one through Store::open().
// One connection, guarded by mu_: every public method locks it for its whole duration, so calls
// from many threads run one at a time. That is plenty for one controller (a call is a few
// hundred microseconds) and keeps transactions simple; other processes (a second Store on the
// same file) coordinate through SQLite's file locks and the busy timeout.
// The method bodies are split by concern: sqlite_store.cc (open, maintenance), ledger.cc,
// manifests.cc, accounts.cc (events, accounts, tokens).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/codec.h"
#include "store/records.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace ferry::store {

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<sql::Connection> connection, Options options, std::string digest_key);

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
  const std::string& path() const override { return path_; }
  std::string kind() const override { return "sqlite"; }
  bool shared() const override { return false; }

 private:
  int64_t now() const;
  // The rest assume mu_ is held.
  // NotFound when the operation does not exist, Conflict when it has finished.
  Status require_unfinished(int64_t id);
  Status record_results_locked(int64_t id, const std::vector<ResourceResult>& results);
  Result<std::vector<ResourceResult>> results_of(int64_t id);
  Result<std::vector<Operation>> unfinished_locked();
  // Reads, verifies and decodes one blob.
  Result<Json> load_blob(const std::string& digest, bool include_sensitive);

  const std::string path_;
  const Options options_;
  // Key for the digests of sensitive manifests, created once per database (kept in meta).
  const std::string digest_key_;
  std::mutex mu_;
  std::unique_ptr<sql::Connection> db_;  // guarded by mu_
  Compressor compressor_;                // guarded by mu_
};

}  // namespace ferry::store
