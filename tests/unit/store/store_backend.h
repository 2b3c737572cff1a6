// The store contract tests (ledger_contract.h, manifests_contract.h, accounts_contract.h) run
// against every Store implementation: unit_store instantiates them with SQLite files,
// integration_store_postgres with databases on a real PostgreSQL server. A backend makes a store
// on a new, empty database for each test and can reach under the store to damage its data.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "store/store.h"
#include "tests/support/process.h"

namespace ferry::store {

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  // A store on a new, empty database (another one at each call). Null, with a test failure,
  // when it cannot be opened.
  virtual std::unique_ptr<Store> open_new(const Options& options) = 0;
  // Replaces a blob's stored bytes in the database open_new() made last, behind the store's back.
  virtual void overwrite_blob(const std::string& digest, const std::string& data, int64_t raw_size) = 0;
};

struct BackendParam {
  std::string name;  // "Sqlite", "Postgres": the instantiation's name
  std::function<std::unique_ptr<StoreBackend>()> make;
};
inline void PrintTo(const BackendParam& param, std::ostream* os) { *os << param.name; }
inline std::string backend_name(const ::testing::TestParamInfo<BackendParam>& info) { return info.param.name; }

// The fixture every contract suite derives from.
class StoreContractTest : public ::testing::TestWithParam<BackendParam> {
 protected:
  std::unique_ptr<Store> open_store(const Options& options = {}) {
    if (!backend_) backend_ = GetParam().make();
    return backend_->open_new(options);
  }
  StoreBackend& backend() { return *backend_; }

 private:
  std::unique_ptr<StoreBackend> backend_;
};

// SQLite: a file per store in a temporary directory.
class SqliteBackend final : public StoreBackend {
 public:
  std::unique_ptr<Store> open_new(const Options& options) override {
    last_ = dir_.file("ferry-" + std::to_string(++files_) + ".db");
    auto r = Store::open(last_, options);
    if (!r.ok()) {
      ADD_FAILURE() << "Store::open(" << last_ << "): " << r.status().to_string();
      return nullptr;
    }
    return std::move(r).value();
  }

  void overwrite_blob(const std::string& digest, const std::string& data, int64_t raw_size) override {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(last_.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw, "UPDATE blobs SET data = ?, raw_size = ? WHERE digest = ?", -1, &stmt, nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(stmt, 1, data.data(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 2, raw_size);
    sqlite3_bind_text(stmt, 3, digest.c_str(), -1, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    EXPECT_EQ(sqlite3_changes(raw), 1);
    sqlite3_finalize(stmt);
    sqlite3_close(raw);
  }

 private:
  ferry::testing::TempDir dir_;
  int files_ = 0;
  std::string last_;
};

inline BackendParam sqlite_backend() {
  return {"Sqlite", [] { return std::unique_ptr<StoreBackend>(new SqliteBackend()); }};
}

}  // namespace ferry::store
