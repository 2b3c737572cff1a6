// Opening a store: schema creation and migrations, and the files it must refuse.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <string>

#include "store/schema.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "tests/support/process.h"
#include "tests/unit/store/store_test_util.h"

namespace ferry::store {
namespace {

using ferry::testing::TempDir;

// A second, plain SQLite connection to look at (or tamper with) the file behind the store's back.
class RawDb {
 public:
  explicit RawDb(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out = "<error>";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* p = sqlite3_column_text(stmt, 0);
      out = p ? reinterpret_cast<const char*>(p) : "";
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(StoreOpen, CreatesTheSchemaInANewFile) {
  TempDir dir;
  std::string path = dir.file("ferry.db");
  {
    auto store = open_or_fail(path);
    ASSERT_TRUE(store);
    auto st = store->stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->schema_version, current_schema_version());
    EXPECT_EQ(st->operations, 0);
    EXPECT_EQ(store->path(), path);
    EXPECT_TRUE(store->check_integrity().ok());
  }
  RawDb raw(path);
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.text("PRAGMA user_version"), std::to_string(current_schema_version()));
  EXPECT_EQ(raw.text("PRAGMA application_id"), std::to_string(kApplicationId));
}

TEST(StoreOpen, MigratesAnEmptyFile) {
  TempDir dir;
  std::string path = dir.write("empty.db", "");
  auto store = open_or_fail(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->stats()->schema_version, current_schema_version());
}

TEST(StoreOpen, ReopeningKeepsDataAndChangesNothing) {
  TempDir dir;
  std::string path = dir.file("ferry.db");
  Json secret = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}, {"data", {{"k", "dg=="}}}};
  int64_t id = 0;
  std::string secret_digest;
  {
    auto store = open_or_fail(path);
    ASSERT_TRUE(store);
    auto begun = store->begin_operation(sync_start("default/guestbook"));
    ASSERT_TRUE(begun.ok());
    id = *begun;
    ASSERT_TRUE(store->finish_operation(id, OperationPhase::kSucceeded, "done").ok());
    secret_digest = *store->digest_of(secret);
  }
  for (int i = 0; i < 2; ++i) {
    auto store = open_or_fail(path);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->stats()->schema_version, current_schema_version());
    auto op = store->get_operation(id);
    ASSERT_TRUE(op.ok());
    EXPECT_EQ(op->phase, OperationPhase::kSucceeded);
    // The key behind Secret digests is made once per database and survives reopening.
    EXPECT_EQ(*store->digest_of(secret), secret_digest);
  }
}

TEST(StoreOpen, RefusesADatabaseFromANewerFerry) {
  TempDir dir;
  std::string path = dir.file("ferry.db");
  ASSERT_TRUE(open_or_fail(path));
  {
    RawDb raw(path);
    ASSERT_EQ(raw.exec("PRAGMA user_version = 99"), SQLITE_OK);
  }
  auto store = Store::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().is(Reason::kInvalid));
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("newer Ferry"), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("99"), std::string::npos) << store.status().message();
  RawDb raw(path);
  EXPECT_EQ(raw.text("PRAGMA user_version"), "99");  // left as it was
}

TEST(StoreOpen, RefusesAFileThatIsNotADatabaseNamingIt) {
  TempDir dir;
  std::string garbage(8192, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>('a' + i % 26);
  std::string path = dir.write("notes.txt", garbage);
  auto store = Store::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().is(Reason::kInvalid)) << store.status().to_string();
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("not a SQLite database"), std::string::npos) << store.status().message();
  EXPECT_EQ(ferry::testing::read_file(path), garbage);  // not touched
}

TEST(StoreOpen, RefusesAnotherProgramsDatabase) {
  TempDir dir;
  std::string tables = dir.file("tables.db");
  {
    RawDb raw(tables);
    ASSERT_EQ(raw.exec("CREATE TABLE photos(id INTEGER PRIMARY KEY, title TEXT)"), SQLITE_OK);
  }
  auto a = Store::open(tables);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("not Ferry's"), std::string::npos) << a.status().message();

  std::string tagged = dir.file("tagged.db");
  {
    RawDb raw(tagged);
    ASSERT_EQ(raw.exec("PRAGMA application_id = 1234"), SQLITE_OK);
  }
  auto b = Store::open(tagged);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("another program"), std::string::npos) << b.status().message();
}

TEST(StoreOpen, ReportsAMissingDirectory) {
  TempDir dir;
  std::string path = dir.file("no/such/dir/ferry.db");
  auto store = Store::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  EXPECT_FALSE(Store::open("").ok());
}

TEST(StoreOpen, EachMigrationIsAppliedInOrderInItsOwnTransaction) {
  TempDir dir;
  std::string path = dir.file("m.db");
  const Migration broken[] = {
      {1, "first", "CREATE TABLE a(x)"},
      {2, "second", "CREATE TABLE b(x); INSERT INTO b VALUES (1)"},
      {3, "third, which fails halfway", "CREATE TABLE c(x); INSERT INTO nowhere VALUES (1)"},
  };
  {
    auto db = sql::Connection::open(path, true);
    ASSERT_TRUE(db.ok());
    Status s = migrate(**db, broken);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("migration 3"), std::string::npos) << s.message();
  }
  {
    RawDb raw(path);
    EXPECT_EQ(raw.text("PRAGMA user_version"), "2");  // 1 and 2 committed, 3 rolled back entirely
    EXPECT_EQ(raw.text("SELECT COUNT(*) FROM b"), "1");
    EXPECT_EQ(raw.text("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'c'"), "0");
  }
  const Migration fixed[] = {
      broken[0],
      broken[1],
      {3, "third", "CREATE TABLE c(x)"},
  };
  auto db = sql::Connection::open(path, true);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(migrate(**db, fixed).ok());
  ASSERT_TRUE(migrate(**db, fixed).ok());  // idempotent
  EXPECT_EQ(*(*db)->query_int("PRAGMA user_version"), 3);
  EXPECT_EQ(*(*db)->query_int("SELECT COUNT(*) FROM b"), 1);  // migration 2 did not run twice
}

TEST(StoreOpen, ALockHeldPastTheBusyTimeoutIsUnavailable) {
  TempDir dir;
  std::string path = dir.file("ferry.db");
  Options options;
  options.busy_timeout = std::chrono::milliseconds(50);
  auto store = open_or_fail(path, options);
  ASSERT_TRUE(store);
  RawDb other(path);
  ASSERT_EQ(other.exec("BEGIN IMMEDIATE"), SQLITE_OK);
  auto blocked = store->begin_operation(sync_start("default/a"));
  ASSERT_FALSE(blocked.ok());
  EXPECT_TRUE(blocked.status().is(Reason::kUnavailable)) << blocked.status().to_string();
  // Readers are not blocked by a writer in WAL mode.
  EXPECT_TRUE(store->list_operations("").ok());
  ASSERT_EQ(other.exec("COMMIT"), SQLITE_OK);
  EXPECT_TRUE(store->begin_operation(sync_start("default/a")).ok());
}

}  // namespace
}  // namespace ferry::store
