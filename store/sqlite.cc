#include "store/sqlite.h"

#include <sqlite3.h>

#include <utility>

namespace ferry::store::sql {

// ---- Statement ------------------------------------------------------------------------------

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : connection_(other.connection_), stmt_(other.stmt_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

Statement& Statement::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies the bytes, so temporaries are safe to bind.
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_ != 0) return connection_->error(bind_error_, "binding a parameter");
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return connection_->error(rc, sqlite3_sql(stmt_));
}

Status Statement::run() {
  auto r = step();
  if (!r.ok()) return r.status();
  return Status::Ok();
}

void Statement::reset() { sqlite3_reset(stmt_); }

int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string Statement::blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  if (!p) return {};
  return std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

// ---- Connection -----------------------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  // NOMUTEX: the store serialises use of the connection itself, so SQLite's own lock is waste.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status(Reason::kUnavailable, "store " + path + ": cannot open: " + message);
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db, path));
}

Connection::~Connection() { sqlite3_close_v2(db_); }

Status Connection::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // error() reads the same text from the connection
  if (rc != SQLITE_OK) return error(rc, sql);
  return Status::Ok();
}

Result<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return error(rc, sql);
  }
  return Statement(this, stmt);
}

Result<int64_t> Connection::query_int(std::string_view sql) {
  auto stmt = prepare(sql);
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("store " + path_ + ": no row from " + std::string(sql));
  return stmt->int64(0);
}

int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int64_t Connection::changes() const { return sqlite3_changes64(db_); }

Status Connection::error(int rc, std::string_view context) const {
  std::string detail = sqlite3_errmsg(db_);
  std::string where = "store " + path_ + ": ";
  std::string during = context.empty() ? "" : " (during: " + std::string(context.substr(0, 120)) + ")";
  last_error_busy_ = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(where + "database is locked by another connection past the busy timeout: " + detail +
                                 during);
    case SQLITE_NOTADB:
      return Status::Invalid(where + "not a SQLite database (" + detail + ")");
    case SQLITE_CORRUPT:
      return Status::Internal(where + "database is corrupt: " + detail + during);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status::AlreadyExists(where + detail);
      }
      return Status::Conflict(where + detail);
    case SQLITE_FULL:
      return Status::Unavailable(where + "disk full: " + detail);
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return Status::Unavailable(where + detail + during);
    default:
      return Status::Internal(where + detail + during);
  }
}

// ---- Transaction ----------------------------------------------------------------------------

Result<Transaction> Transaction::begin(Connection& connection, Mode mode) {
  Status s = connection.exec(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!s.ok()) return s;
  return Transaction(&connection);
}

Transaction::~Transaction() {
  if (connection_) (void)connection_->exec("ROLLBACK");
}

Status Transaction::commit() {
  if (!connection_) return Status::Internal("transaction already ended");
  Status s = connection_->exec("COMMIT");
  if (!s.ok()) return s;  // the destructor rolls back what is left
  connection_ = nullptr;
  return Status::Ok();
}

}  // namespace ferry::store::sql
