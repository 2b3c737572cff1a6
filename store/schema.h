// The store's schema as an ordered list of migrations, and the code that applies them. Version N
// of the schema is what migrations 1..N produce; PRAGMA user_version records N in the file.
// A migration is never edited once released: a change of schema is a new migration at the end.
// Internal to store/; not thread-safe (runs on the opening thread before the Store exists).
#pragma once

#include <span>

#include "apis/types/status.h"
#include "store/sqlite.h"

namespace ferry::store {

struct Migration {
  int version;              // 1, 2, 3, ... in order, no gaps
  const char* description;  // for error messages
  const char* sql;          // run inside the migration's transaction
};

// Written to PRAGMA application_id so that Ferry knows its own files ("FRRY").
inline constexpr int kApplicationId = 0x46525259;

// Every migration this build knows, in order.
std::span<const Migration> migrations();
// The version the last migration produces.
int current_schema_version();

// Reads the file's schema version and refuses, naming the file, what this build must not touch:
// a file that is not a SQLite database, a database of another program, a schema newer than
// `latest`. Writes nothing, so it is safe to run before anything else touches the file.
Result<int> check_schema(sql::Connection& connection, int latest);

// Brings the database up to current_schema_version(), one transaction per migration, safe
// against another process migrating the same file at the same time. Refuses a database newer
// than this build and a SQLite file that belongs to another program.
Status migrate(sql::Connection& connection);
// The same with a given list (tests use it to check ordering and atomicity).
Status migrate(sql::Connection& connection, std::span<const Migration> list);

}  // namespace ferry::store
