// Thin RAII wrappers over the SQLite C API for the store's own use (not part of its public API):
// a connection, prepared statements, and transactions that roll back unless committed. Every
// SQLite error becomes a Status whose message names the database file.
// Thread-safety: none. A Connection and everything made from it must be used by one thread at a
// time; SqliteStore guarantees that with its mutex. Statements and transactions borrow their
// Connection, which must outlive them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "apis/types/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ferry::store::sql {

class Connection;

// A prepared statement. Bind parameters are numbered from 1, columns from 0. A bind error is
// remembered and reported by the next step().
class Statement {
 public:
  Statement(Connection* connection, sqlite3_stmt* stmt) : connection_(connection), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, static_cast<int64_t>(value ? 1 : 0)); }
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);

  // Runs one step: true when a row is ready to read, false when the statement is done.
  Result<bool> step();
  // Runs a statement that returns no rows.
  Status run();
  // Back to the start with the same bindings, to run again.
  void reset();

  int64_t int64(int column) const;
  bool boolean(int column) const { return int64(column) != 0; }
  std::string text(int column) const;
  std::string blob(int column) const;
  bool is_null(int column) const;

 private:
  Connection* connection_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;
};

class Connection {
 public:
  // Opens (creating when `create`) the file. The handle exists even when the file turns out not
  // to be a database: SQLite only finds out at the first read.
  static Result<std::unique_ptr<Connection>> open(const std::string& path, bool create);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without results.
  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // Convenience for "SELECT one integer" queries (PRAGMA user_version, COUNT(*)).
  Result<int64_t> query_int(std::string_view sql);

  int64_t last_insert_rowid() const;
  int64_t changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }

  // The Status for a SQLite result code, with the connection's error message and `context`.
  Status error(int rc, std::string_view context) const;
  // Whether the last error() was SQLITE_BUSY or SQLITE_LOCKED (another connection held a lock).
  bool last_error_was_busy() const { return last_error_busy_; }
  void forget_last_error() { last_error_busy_ = false; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  mutable bool last_error_busy_ = false;
};

// A transaction that rolls back when destroyed uncommitted. Write transactions start with
// BEGIN IMMEDIATE: they take the write lock up front, so they wait in the busy handler for
// another writer instead of failing with SQLITE_BUSY halfway through (a deferred transaction
// that read a snapshot another connection has since changed cannot be upgraded to a writer).
class Transaction {
 public:
  enum class Mode { kRead, kWrite };
  static Result<Transaction> begin(Connection& connection, Mode mode);
  ~Transaction();
  Transaction(Transaction&& other) noexcept : connection_(other.connection_) { other.connection_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status commit();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}
  Connection* connection_;  // null once committed or rolled back
};

}  // namespace ferry::store::sql
