// Store: Ferry's durable ledger (DESIGN.md §8). It keeps one row per sync operation with its
// per-resource results, the manifests each operation applied (content-addressed, compressed,
// deduplicated) so a rollback re-applies exactly what ran, audit events, local accounts and
// hashed API tokens.
//
// Store is an interface with two implementations: Store::open() gives the embedded SQLite one
// that a single replica uses; Store::open_postgres() gives a PostgreSQL one that several
// replicas (leader election, sharding) share; Store::open_url() picks by the location's form.
// Tests of the controller may fake it.
//
// Ownership: open*() returns the only owner of the store; it closes the database when destroyed.
// Thread-safety: every method may be called from any thread at the same time (the SQLite store
// serialises calls on one connection with a mutex; the PostgreSQL store runs them on a small
// pool of connections). Several Store objects, in one process or in several, may open the same
// database: writers take turns (waiting up to Options::busy_timeout) and readers never block
// writers.
//
// Errors are values: every method returns Status or Result<T>; nothing throws. NotFound for a
// missing id, Conflict for an operation that is already finished, Invalid for bad arguments,
// Unavailable when the database stayed locked past the busy timeout or (PostgreSQL) the server
// cannot be reached, Internal for I/O errors and corruption.
//
// Durability: a method that returns OK has committed its write. With the default
// synchronous=NORMAL a commit survives a crash or kill -9 of the process; a power loss may undo
// the last few commits but never corrupts the file (see Options::full_sync).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "apis/types/status.h"
#include "store/types.h"

namespace ferry::store {

struct Options {
  // How long a call waits for another connection's write transaction before giving up with
  // Unavailable.
  std::chrono::milliseconds busy_timeout{5000};
  // How many operations per app prune_history(app) keeps. The Application status shows fewer
  // (revisionHistoryLimit, default 10); the ledger is the long memory.
  int history_limit = 100;
  // false: synchronous=NORMAL — commits are not fsynced one by one; the WAL is synced at each
  // checkpoint. A crashed or killed process loses nothing committed; a power cut may lose the
  // last commits. The ledger is history, not the source of truth (git and the cluster are, and
  // the next reconcile repairs the cluster), so Ferry trades that window for not paying an
  // fsync per resource result across thousands of apps.
  // true: synchronous=FULL — every commit is fsynced before the call returns.
  bool full_sync = false;
  // Where "now" comes from (Unix ms); tests pin it. Default: the system clock.
  std::function<int64_t()> clock;
};

class Store {
 public:
  // Opens the SQLite database at `path`, creating it when absent, and brings its schema up to
  // date (each migration in its own transaction). Refuses, naming the file: a file that is not a
  // SQLite database, a SQLite database that is not Ferry's, and one whose schema is newer than
  // this build knows (written by a newer Ferry; downgrading would lose data).
  static Result<std::unique_ptr<Store>> open(const std::string& path, const Options& options = {});
  // Connects to the PostgreSQL database at `url` (postgres://user:pass@host:port/db?sslmode=...,
  // postgresql://..., or a libpq "key=value" string; passed to libpq as is) and brings its schema
  // up to date under an advisory lock, so replicas may open a new database at once. Refuses a
  // schema newer than this build knows. Messages and path() show the URL with its password
  // replaced by "***".
  static Result<std::unique_ptr<Store>> open_postgres(const std::string& url, const Options& options = {});
  // open_postgres() for a location starting with postgres:// or postgresql://, else open() (a
  // file path).
  static Result<std::unique_ptr<Store>> open_url(const std::string& location, const Options& options = {});

  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // ---- Operations ledger -------------------------------------------------------------------

  // Journals a new operation as Running and returns its history ID. Call it before the first
  // write to the cluster: after a crash the restart finds it (mark_interrupted_running).
  virtual Result<int64_t> begin_operation(const OperationStart& start) = 0;
  // Records (or updates, see ResourceResult) one resource's outcome; committed on return.
  // Conflict when the operation is already finished.
  virtual Status record_resource_result(int64_t id, const ResourceResult& result) = 0;
  // The same for several results in one transaction (one commit for a whole sync wave).
  virtual Status record_resource_results(int64_t id, const std::vector<ResourceResult>& results) = 0;
  // Changes an unfinished operation's phase (Running or Terminating only) and message.
  virtual Status update_operation(int64_t id, OperationPhase phase, const std::string& message) = 0;
  // Ends an operation with a final phase and stamps finished_at. Conflict when it has already
  // ended (for example it was marked Interrupted by a restart); Invalid for a non-final phase.
  virtual Status finish_operation(int64_t id, OperationPhase phase, const std::string& message) = 0;

  // One operation with its resource results, in the order they were first recorded.
  virtual Result<Operation> get_operation(int64_t id) = 0;
  // An app's operations, newest first, without resource results. `app` "" lists every app.
  // Pagination: pass the smallest id of a page as `before_id` to get the next (0: from the
  // newest). limit <= 0 means no limit.
  virtual Result<std::vector<Operation>> list_operations(const std::string& app, int limit = 50,
                                                         int64_t before_id = 0) = 0;
  // Unfinished (Running or Terminating) operations, oldest first, without resource results.
  virtual Result<std::vector<Operation>> running_operations() = 0;
  // For the controller at start, before it begins any operation: every unfinished operation
  // was cut short by the death of the previous process. Marks each Interrupted (finished now)
  // and returns them, with their resource results, oldest first, so the controller can retry
  // them per the app's retry policy. Do not call it while operations may legitimately run
  // (for example from a second process reading the same file).
  Result<std::vector<Operation>> mark_interrupted_running() {
    return mark_interrupted_running([](const std::string&) { return true; });
  }
  // The same for the operations whose app `owned` accepts: with several replicas sharing a
  // database, one that takes over some apps marks only their operations cut short, never those
  // another live replica is running. Called under the store's lock/transaction: keep it quick.
  virtual Result<std::vector<Operation>> mark_interrupted_running(
      const std::function<bool(const std::string& app)>& owned) = 0;

  // ---- Manifests as applied ---------------------------------------------------------------

  // Appends the objects an operation applied, in order, to the operation (calling it once per
  // wave is fine). Each object is stored once per distinct content, compressed, as its canonical
  // JSON; Secrets are marked sensitive. Returns each object's digest, in order, for
  // ResourceResult::manifest_digest. Invalid for an object JSON cannot carry exactly (a NaN or
  // infinite number, a string that is not UTF-8).
  virtual Result<std::vector<std::string>> store_manifests(int64_t id, const std::vector<Json>& objects) = 0;
  // Exactly the objects stored for the operation, in the order stored. With include_sensitive
  // false (the default, for anything shown to users) every value under a Secret's data and
  // stringData reads "++++++++". Only rollback passes true. NotFound for an unknown operation.
  virtual Result<std::vector<Json>> manifests_of(int64_t id, bool include_sensitive = false) = 0;
  // One stored object by digest, masked like manifests_of().
  virtual Result<Json> get_manifest(const std::string& digest, bool include_sensitive = false) = 0;
  // The digest store_manifests() gives `object`, without storing it.
  virtual Result<std::string> digest_of(const Json& object) = 0;

  // ---- Retention ---------------------------------------------------------------------------

  // Keeps the newest `keep` operations of `app` (unfinished ones are never deleted), deletes the
  // older ones with their results and manifest links, then deletes manifest blobs no operation
  // references any more. One transaction.
  virtual Result<PruneResult> prune_history(const std::string& app, int keep) = 0;
  // The same with Options::history_limit.
  virtual Result<PruneResult> prune_history(const std::string& app) = 0;
  // Deletes audit events older than `before` (Unix ms); returns how many.
  virtual Result<int64_t> prune_events(int64_t before) = 0;

  // ---- Audit events ------------------------------------------------------------------------

  // Appends an event and returns its id.
  virtual Result<int64_t> record_event(const Event& event) = 0;
  // Events matching the filter, newest first.
  virtual Result<std::vector<Event>> list_events(const EventFilter& filter) = 0;

  // ---- Accounts and tokens -----------------------------------------------------------------

  // Creates or replaces an account (created_at is kept on replace).
  virtual Status put_account(const Account& account) = 0;
  virtual Result<Account> get_account(const std::string& name) = 0;
  virtual Result<std::vector<Account>> list_accounts() = 0;
  // Deletes an account and its tokens. NotFound when absent.
  virtual Status delete_account(const std::string& name) = 0;
  // Stores a token's record. The account must exist (NotFound otherwise); AlreadyExists when the
  // id or the hash is taken.
  virtual Status store_token(const TokenRecord& token) = 0;
  // The token whose hash_token() is `hash`. NotFound when unknown or revoked. Expired tokens are
  // returned; check TokenRecord::expired() (the caller can then say "expired" rather than
  // "unknown").
  virtual Result<TokenRecord> find_token_by_hash(const std::string& hash) = 0;
  // Deletes the token, so it no longer authenticates. NotFound when absent.
  virtual Status revoke_token(const std::string& id) = 0;
  // An account's tokens, oldest first.
  virtual Result<std::vector<TokenRecord>> list_tokens(const std::string& account) = 0;

  // ---- Maintenance -------------------------------------------------------------------------

  // SQLite: its integrity and foreign-key checks. PostgreSQL: the schema version and references
  // between tables. Internal with the first problems otherwise.
  virtual Status check_integrity() = 0;
  virtual Result<StoreStats> stats() = 0;
  // The database file's path as given to open(), or the URL with its password masked.
  virtual const std::string& path() const = 0;
  // "sqlite" or "postgres".
  virtual std::string kind() const = 0;
  // Whether several controller replicas may share this store (PostgreSQL). The controller
  // refuses leader election and sharding on a store that is not shared (SQLite).
  virtual bool shared() const = 0;

 protected:
  Store() = default;
};

}  // namespace ferry::store
