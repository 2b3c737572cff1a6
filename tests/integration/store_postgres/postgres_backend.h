// The store contract's PostgreSQL backend: every store on a new database of one server that the
// test process starts on first use (tests/support/postgres.h) and stops at exit.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/pg.h"
#include "store/store.h"
#include "tests/support/postgres.h"
#include "tests/unit/store/store_backend.h"

namespace ferry::store {

inline ferry::testing::PostgresServer& shared_server() {
  static ferry::testing::PostgresServer server;
  return server;
}

// A libpq connection beside the store, for reaching under it.
inline std::unique_ptr<pg::Connection> raw_connection(const std::string& url) {
  pg::Settings settings;
  settings.name = pg::mask_password(url);
  auto c = pg::Connection::open(url, settings);
  if (!c.ok()) {
    ADD_FAILURE() << c.status().to_string();
    return nullptr;
  }
  return std::move(c).value();
}

class PostgresBackend final : public StoreBackend {
 public:
  std::unique_ptr<Store> open_new(const Options& options) override {
    auto& server = shared_server();
    if (!server.ok()) return nullptr;  // the server's failure is already reported
    url_ = server.url(server.new_database());
    auto r = Store::open_postgres(url_, options);
    if (!r.ok()) {
      ADD_FAILURE() << "Store::open_postgres: " << r.status().to_string();
      return nullptr;
    }
    return std::move(r).value();
  }

  void overwrite_blob(const std::string& digest, const std::string& data, int64_t raw_size) override {
    auto db = raw_connection(url_);
    ASSERT_TRUE(db);
    auto r = db->exec("UPDATE blobs SET data = $1, raw_size = $2 WHERE digest = $3",
                      {pg::Param::bytes(data), raw_size, digest});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->affected(), 1);
  }

 private:
  std::string url_;
};

inline BackendParam postgres_backend() {
  return {"Postgres", [] { return std::unique_ptr<StoreBackend>(new PostgresBackend()); }};
}

}  // namespace ferry::store
