// What only the PostgreSQL store does: several replicas sharing one database, migrating a new
// database at once, surviving server restarts, keeping the URL's password out of everything it
// says, and refusing a schema from a newer Ferry.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "store/pg.h"
#include "store/store.h"
#include "store/tokens.h"
#include "tests/integration/store_postgres/postgres_backend.h"
#include "tests/unit/store/store_test_util.h"

namespace ferry::store {
namespace {

using ferry::testing::PostgresServer;

std::unique_ptr<Store> open_pg(const std::string& url, const Options& options = {}) {
  auto r = Store::open_postgres(url, options);
  if (!r.ok()) {
    ADD_FAILURE() << "open_postgres: " << r.status().to_string();
    return nullptr;
  }
  return std::move(r).value();
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server().ok());
    url_ = server().url(server().new_database());
  }
  virtual PostgresServer& server() { return shared_server(); }
  std::string url_;
};

TEST_F(PostgresStoreTest, ReplicasSeeEachOthersWrites) {
  auto a = open_pg(url_);
  auto b = open_pg(url_);
  ASSERT_TRUE(a && b);

  auto id = a->begin_operation(sync_start("default/guestbook"));
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  auto digests = b->store_manifests(*id, {config_map("cfg")});
  ASSERT_TRUE(digests.ok()) << digests.status().to_string();
  ASSERT_TRUE(b->record_resource_result(*id, config_map_result("cfg")).ok());
  ASSERT_TRUE(a->finish_operation(*id, OperationPhase::kSucceeded, "done").ok());
  EXPECT_TRUE(b->finish_operation(*id, OperationPhase::kFailed, "late").is(Reason::kConflict));
  auto seen = b->get_operation(*id);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->phase, OperationPhase::kSucceeded);
  ASSERT_EQ(seen->resources.size(), 1u);
  EXPECT_EQ(*a->manifests_of(*id), std::vector<Json>{config_map("cfg")});
  // History IDs come from one sequence, whichever replica begins.
  auto next = b->begin_operation(sync_start("default/guestbook"));
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, *id);
  EXPECT_EQ(a->list_operations("default/guestbook")->size(), 2u);

  // One key for Secret digests per database: both replicas deduplicate the same Secret.
  Json secret = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}, {"data", {{"k", "dg=="}}}};
  EXPECT_EQ(*a->digest_of(secret), *b->digest_of(secret));

  Account ci;
  ci.name = "ci";
  ci.capabilities = {"apiKey"};
  ASSERT_TRUE(a->put_account(ci).ok());
  TokenRecord token;
  token.id = "t1";
  token.account = "ci";
  token.hash = hash_token(*generate_token());
  ASSERT_TRUE(b->store_token(token).ok());
  EXPECT_EQ(a->find_token_by_hash(token.hash)->id, "t1");
  EXPECT_TRUE(a->store_token(token).is(Reason::kAlreadyExists));
  ASSERT_TRUE(a->delete_account("ci").ok());
  EXPECT_TRUE(b->find_token_by_hash(token.hash).status().is(Reason::kNotFound));

  Event event;
  event.action = "sync";
  event.app = "default/guestbook";
  ASSERT_TRUE(a->record_event(event).ok());
  EXPECT_EQ(b->list_events({})->size(), 1u);
  EXPECT_TRUE(a->check_integrity().ok());
}

TEST_F(PostgresStoreTest, ReplicasOpeningANewDatabaseAtOnceAllSucceed) {
  constexpr int kReplicas = 6;
  std::vector<Result<std::unique_ptr<Store>>> opened;
  for (int i = 0; i < kReplicas; ++i) opened.emplace_back(Status::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] { opened[i] = Store::open_postgres(url_); });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> keys;
  Json secret = {{"kind", "Secret"}, {"data", {{"k", "dg=="}}}};
  for (auto& r : opened) {
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ((*r)->stats()->schema_version, 1);
    keys.insert(*(*r)->digest_of(secret));
  }
  EXPECT_EQ(keys.size(), 1u) << "every replica must use the one digest key of the database";
  EXPECT_TRUE((*opened[0])->check_integrity().ok());
}

TEST_F(PostgresStoreTest, AReplicaTakingOverMarksOnlyItsAppsInterrupted) {
  auto a = open_pg(url_);
  ASSERT_TRUE(a);
  int64_t a_op = *a->begin_operation(sync_start("shard-a/web"));
  int64_t b_op = *a->begin_operation(sync_start("shard-b/web"));
  ASSERT_TRUE(a->record_resource_result(b_op, config_map_result("cfg")).ok());
  // Replica B restarts and takes over shard-b only, while A keeps running shard-a.
  auto b = open_pg(url_);
  ASSERT_TRUE(b);
  auto marked = b->mark_interrupted_running([](const std::string& app) { return app.rfind("shard-b/", 0) == 0; });
  ASSERT_TRUE(marked.ok()) << marked.status().to_string();
  ASSERT_EQ(marked->size(), 1u);
  EXPECT_EQ((*marked)[0].id, b_op);
  ASSERT_EQ((*marked)[0].resources.size(), 1u);
  EXPECT_TRUE(a->record_resource_result(a_op, config_map_result("x")).ok());
  EXPECT_TRUE(a->finish_operation(a_op, OperationPhase::kSucceeded, "").ok());
  EXPECT_TRUE(a->finish_operation(b_op, OperationPhase::kSucceeded, "").is(Reason::kConflict));
  EXPECT_EQ(a->get_operation(b_op)->phase, OperationPhase::kInterrupted);
}

TEST_F(PostgresStoreTest, ConcurrentWritersFromTwoReplicasLoseNothing) {
  auto a = open_pg(url_);
  auto b = open_pg(url_);
  ASSERT_TRUE(a && b);
  int64_t id = *a->begin_operation(sync_start("default/app"));
  constexpr int kThreads = 8, kEach = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 ? *a : *b;
      for (int i = 0; i < kEach; ++i) {
        std::string name = "cm-" + std::to_string(t) + "-" + std::to_string(i);
        if (!store.record_resource_result(id, config_map_result(name)).ok()) ++failures;
        if (!store.store_manifests(id, {config_map(name), config_map("shared")}).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto op = a->get_operation(id);
  ASSERT_TRUE(op.ok());
  std::set<std::string> names;
  for (const auto& r : op->resources) names.insert(r.name);
  EXPECT_EQ(names.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(b->manifests_of(id)->size(), static_cast<size_t>(2 * kThreads * kEach));
  EXPECT_EQ(a->stats()->blobs, kThreads * kEach + 1);
}

TEST_F(PostgresStoreTest, ThePasswordNeverShows) {
  const std::string password = PostgresServer::kPassword;
  auto store = open_pg(url_);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->path().find(password), std::string::npos) << store->path();
  EXPECT_NE(store->path().find("ferry:***@127.0.0.1"), std::string::npos) << store->path();

  // A wrong password is refused, and neither password is repeated.
  std::string wrong = url_;
  wrong.replace(wrong.find(password), password.size(), "wrong-pw-123");
  auto refused = Store::open_postgres(wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().is(Reason::kUnavailable)) << refused.status().to_string();
  EXPECT_EQ(refused.status().message().find("wrong-pw-123"), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("***"), std::string::npos) << refused.status().message();

  auto missing = Store::open_postgres(server().url("no_such_database"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message().find(password), std::string::npos) << missing.status().message();
  EXPECT_NE(missing.status().message().find("no_such_database"), std::string::npos) << missing.status().message();

  EXPECT_EQ(pg::mask_password("postgresql://u:p%40ss@db.example:5432/ferry?sslmode=require"),
            "postgresql://u:***@db.example:5432/ferry?sslmode=require");
  EXPECT_EQ(pg::mask_password("postgres://db.example/ferry?user=u&password=hunter2&sslmode=verify-full"),
            "postgres://db.example/ferry?user=u&password=***&sslmode=verify-full");
  EXPECT_EQ(pg::mask_password("host=db user=u password='a b\\'c' dbname=ferry"),
            "host=db user=u password=*** dbname=ferry");
  EXPECT_EQ(pg::mask_password("postgres://u@db/ferry"), "postgres://u@db/ferry");
}

TEST_F(PostgresStoreTest, ASchemaFromANewerFerryIsRefused) {
  ASSERT_TRUE(open_pg(url_));
  std::string db = url_.substr(url_.rfind('/') + 1);
  server().psql(db, "UPDATE ferry_schema SET version = 99");
  auto refused = Store::open_postgres(url_);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().is(Reason::kInvalid)) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("schema version 99"), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("127.0.0.1"), std::string::npos) << refused.status().message();
  EXPECT_EQ(refused.status().message().find(PostgresServer::kPassword), std::string::npos);
  EXPECT_EQ(server().psql(db, "SELECT version FROM ferry_schema"), "99");  // left as it was
}

TEST_F(PostgresStoreTest, TheIntegrityCheckFindsAManifestDeletedBehindItsBack) {
  auto store = open_pg(url_);
  ASSERT_TRUE(store);
  int64_t id = *store->begin_operation(sync_start("default/app"));
  ASSERT_TRUE(store->store_manifests(id, {config_map("a"), config_map("b")}).ok());
  ASSERT_TRUE(store->check_integrity().ok());
  std::string db = url_.substr(url_.rfind('/') + 1);
  std::string digest = *store->digest_of(config_map("b"));
  // Only a superuser switching off the foreign keys can do this.
  server().psql(db, "ALTER TABLE operation_manifests DISABLE TRIGGER ALL; ALTER TABLE blobs DISABLE TRIGGER ALL; "
                    "DELETE FROM blobs WHERE digest = '" + digest + "'");
  Status s = store->check_integrity();
  EXPECT_TRUE(s.is(Reason::kInternal)) << s.to_string();
  EXPECT_NE(s.message().find("references missing manifest " + digest), std::string::npos) << s.message();
}

TEST_F(PostgresStoreTest, OpenUrlPicksTheBackendByItsForm) {
  ferry::testing::TempDir dir;
  auto sqlite = Store::open_url(dir.file("ferry.db"));
  ASSERT_TRUE(sqlite.ok()) << sqlite.status().to_string();
  EXPECT_EQ((*sqlite)->kind(), "sqlite");
  EXPECT_FALSE((*sqlite)->shared());
  auto postgres = Store::open_url(url_);
  ASSERT_TRUE(postgres.ok()) << postgres.status().to_string();
  EXPECT_EQ((*postgres)->kind(), "postgres");
  EXPECT_TRUE((*postgres)->shared());
  std::string postgresql = "postgresql" + url_.substr(std::string("postgres").size());
  auto long_form = Store::open_url(postgresql);
  ASSERT_TRUE(long_form.ok()) << long_form.status().to_string();
  EXPECT_EQ((*long_form)->kind(), "postgres");
}

TEST(PostgresStoreUnreachable, ANoServerIsUnavailableNotAHang) {
  // A port nothing listens on: the server of another test that is already gone.
  int port;
  {
    PostgresServer gone;
    ASSERT_TRUE(gone.ok());
    port = gone.port();
  }
  auto r = Store::open_postgres("postgres://ferry:pw@127.0.0.1:" + std::to_string(port) + "/ferry");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is(Reason::kUnavailable)) << r.status().to_string();
  EXPECT_EQ(r.status().message().find(":pw@"), std::string::npos) << r.status().message();
}

// The server stops in the middle of a sync and comes back.
class PostgresRestartTest : public PostgresStoreTest {
 protected:
  PostgresServer& server() override { return own_; }
  PostgresServer own_;  // restarting it disturbs no other test
};

TEST_F(PostgresRestartTest, ASyncSurvivesAServerRestart) {
  Options options;
  options.busy_timeout = std::chrono::milliseconds(2000);
  auto store = open_pg(url_, options);
  ASSERT_TRUE(store);
  int64_t id = *store->begin_operation(sync_start("default/app"));
  ASSERT_TRUE(store->store_manifests(id, {config_map("a")}).ok());
  ASSERT_TRUE(store->record_resource_result(id, config_map_result("a")).ok());
  std::vector<std::string> acknowledged = {"a"};

  ASSERT_TRUE(own_.stop());
  Status down = store->record_resource_result(id, config_map_result("lost"));
  EXPECT_TRUE(down.is(Reason::kUnavailable)) << down.to_string();
  EXPECT_EQ(down.message().find(PostgresServer::kPassword), std::string::npos) << down.message();
  auto read = store->get_operation(id);
  EXPECT_TRUE(read.status().is(Reason::kUnavailable)) << read.status().to_string();
  EXPECT_TRUE(store->begin_operation(sync_start("default/other")).status().is(Reason::kUnavailable));

  ASSERT_TRUE(own_.start());
  ASSERT_TRUE(store->record_resource_result(id, config_map_result("b")).ok());
  acknowledged.push_back("b");
  // Restarted again while the store is idle: its connections are stale, and the next write
  // reconnects and goes through (nothing was sent before the connection turned out lost).
  ASSERT_TRUE(own_.restart());
  ASSERT_TRUE(store->record_resource_results(id, {config_map_result("c"), config_map_result("d")}).ok());
  acknowledged.insert(acknowledged.end(), {"c", "d"});
  ASSERT_TRUE(own_.restart());
  ASSERT_TRUE(store->finish_operation(id, OperationPhase::kSucceeded, "synced").ok());

  auto op = store->get_operation(id);
  ASSERT_TRUE(op.ok()) << op.status().to_string();
  EXPECT_EQ(op->phase, OperationPhase::kSucceeded);
  std::vector<std::string> names;
  for (const auto& r : op->resources) names.push_back(r.name);
  EXPECT_EQ(names, acknowledged);  // in order, and nothing that was refused
  EXPECT_EQ(*store->manifests_of(id), std::vector<Json>{config_map("a")});
  EXPECT_TRUE(store->check_integrity().ok());
}

}  // namespace
}  // namespace ferry::store
