// Thin RAII wrappers over libpq for the PostgreSQL store's own use (not part of its public API):
// a connection that can reconnect, query results, transactions that roll back unless committed,
// and a small pool of connections. Every value reaches the server as a query parameter
// (PQexecParams), never formatted into SQL. Every error becomes a Status whose message names the
// database by its URL with the password masked.
//
// Thread-safety: a Connection, and the Rows and Transactions made from it, must be used by one
// thread at a time; the Pool hands each connection to one caller at a time and may itself be
// used from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apis/types/status.h"

struct pg_conn;
struct pg_result;

namespace ferry::store::pg {

// `url` with any password replaced by "***": the user:password@ part of a URL and a password=
// key of a URL query or a "key=value" connection string.
std::string mask_password(const std::string& url);

// One query parameter: text, or raw bytes for a bytea (sent in binary format, so no escaping).
class Param {
 public:
  Param(std::string_view text) : value_(text) {}  // NOLINT: implicit by design
  Param(const std::string& text) : value_(text) {}  // NOLINT
  Param(const char* text) : value_(text) {}  // NOLINT
  Param(int64_t value) : value_(std::to_string(value)) {}  // NOLINT
  Param(int value) : value_(std::to_string(value)) {}  // NOLINT
  Param(bool value) : value_(value ? "true" : "false") {}  // NOLINT
  static Param bytes(std::string_view raw) {
    Param p(raw);
    p.binary_ = true;
    return p;
  }
  const std::string& value() const { return value_; }
  bool binary() const { return binary_; }

 private:
  std::string value_;
  bool binary_ = false;
};

// The text of an array parameter ('{"a","b"}' for $1::text[], '{1,2}' for $1::bigint[]), so that
// a list travels as one parameter.
std::string text_array(const std::vector<std::string>& items);
std::string int_array(const std::vector<int64_t>& items);

// A query's result (owns the PGresult). Values arrive in text format and are parsed here.
class Rows {
 public:
  explicit Rows(pg_result* result) : result_(result) {}
  ~Rows();
  Rows(Rows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  Rows& operator=(Rows&&) = delete;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;

  int size() const;
  bool empty() const { return size() == 0; }
  // Rows an INSERT, UPDATE or DELETE changed.
  int64_t affected() const;
  std::string text(int row, int column) const;
  int64_t int64(int row, int column) const;
  bool boolean(int row, int column) const;
  // A bytea column, decoded.
  std::string bytes(int row, int column) const;

  // One row, read like a SQLite statement (see records.h).
  class Row {
   public:
    Row(const Rows& rows, int row) : rows_(rows), row_(row) {}
    std::string text(int column) const { return rows_.text(row_, column); }
    int64_t int64(int column) const { return rows_.int64(row_, column); }
    bool boolean(int column) const { return rows_.boolean(row_, column); }

   private:
    const Rows& rows_;
    int row_;
  };
  Row row(int index) const { return Row(*this, index); }

 private:
  pg_result* result_;
};

// How to connect and what every session gets.
struct Settings {
  std::string name;  // the URL with the password masked, for messages
  int connect_timeout_seconds = 5;
  // Sent once the connection is up (again after each reset): statement_timeout, lock_timeout, ...
  std::vector<std::pair<std::string, std::string>> session;
  // libpq keywords given before the URL, so that the URL's own values win (tcp_user_timeout, ...).
  std::vector<std::pair<std::string, std::string>> defaults;
};

class Connection {
 public:
  // Connects to `conninfo` (a URL or "key=value" string). Unavailable, naming settings.name,
  // when the server cannot be reached or refuses the login.
  static Result<std::unique_ptr<Connection>> open(const std::string& conninfo, Settings settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with parameters $1, $2, ... . Server errors map by SQLSTATE: lost
  // connection, timeouts, lock waits, serialisation failures and shortages -> Unavailable;
  // unique violation -> AlreadyExists; bad data -> Invalid; the rest -> Internal.
  Result<Rows> exec(std::string_view sql, const std::vector<Param>& params = {});
  // exec() for a statement whose rows do not matter.
  Status run(std::string_view sql, const std::vector<Param>& params = {});
  // Several statements without parameters at once (PQexec): only for fixed SQL such as
  // migrations, never for anything holding a value.
  Status run_script(std::string_view sql);
  // True once the connection to the server is lost; reset() before using it again.
  bool broken() const;
  // Reconnects with the same parameters and sends the session settings again.
  Status reset();
  const std::string& name() const { return settings_.name; }

 private:
  Connection(pg_conn* conn, Settings settings) : conn_(conn), settings_(std::move(settings)) {}
  Status configure();
  // The Rows of a finished query, or its error as a Status.
  Result<Rows> check(pg_result* result, std::string_view sql);
  Status connection_error(std::string_view what) const;
  Status error(std::string_view sqlstate, const std::string& detail, std::string_view sql) const;
  pg_conn* conn_;
  Settings settings_;
};

// A transaction that rolls back when destroyed uncommitted.
class Transaction {
 public:
  enum class Mode {
    kWrite,     // READ COMMITTED; writers serialise on row locks they take
    kSnapshot,  // REPEATABLE READ READ ONLY: several reads see one snapshot
  };
  static Result<Transaction> begin(Connection& connection, Mode mode);
  ~Transaction();
  Transaction(Transaction&& other) noexcept : connection_(std::exchange(other.connection_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // When the connection is lost during COMMIT nobody can tell whether it took effect; the
  // Unavailable returned then says so.
  Status commit();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}
  Connection* connection_;  // null once committed or rolled back
};

// A fixed number of connections, each lent to one caller at a time. A connection is made when
// first needed and made again (reset) when it was lost, so calls work again once the server is
// back.
class Pool {
 public:
  Pool(std::string conninfo, Settings settings, size_t size);

  class Lease {
   public:
    Lease(Pool* pool, size_t slot) : pool_(pool), slot_(slot) {}
    ~Lease();
    Lease(Lease&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)), slot_(other.slot_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() const { return *pool_->connections_[slot_]; }
    Connection* operator->() const { return pool_->connections_[slot_].get(); }

   private:
    Pool* pool_;
    size_t slot_;
  };

  // Waits for a free connection; connects or reconnects it when needed (Unavailable when that
  // fails).
  Result<Lease> acquire();
  // Adds an already open connection (the one open() used to migrate), so it is not wasted.
  void adopt(std::unique_ptr<Connection> connection);

 private:
  void release(size_t slot);

  const std::string conninfo_;
  const Settings settings_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<size_t> free_;  // guarded by mu_
  // One per slot. A slot's connection is touched only by the lease holding the slot.
  std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace ferry::store::pg
