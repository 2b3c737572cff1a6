// Concurrent use: many threads on one Store, several Stores (and processes) on one file. The
// promise under test: callers never see SQLITE_BUSY (Unavailable) within the busy timeout, and
// no write is lost.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/schema.h"
#include "store/store.h"
#include "tests/support/process.h"
#include "tests/unit/store/store_test_util.h"

namespace ferry::store {
namespace {

using ferry::testing::TempDir;

// One whole operation as the controller writes it; returns the first error.
Status run_operation(Store& store, const std::string& app, int n) {
  auto id = store.begin_operation(sync_start(app, "rev" + std::to_string(n)));
  if (!id.ok()) return id.status();
  std::vector<Json> objects = {config_map("shared"), config_map(app + "-" + std::to_string(n))};
  auto digests = store.store_manifests(*id, objects);
  if (!digests.ok()) return digests.status();
  for (int r = 0; r < 3; ++r) {
    ResourceResult result = config_map_result("cm-" + std::to_string(r));
    result.manifest_digest = (*digests)[r % 2];
    Status s = store.record_resource_result(*id, result);
    if (!s.ok()) return s;
  }
  Event e;
  e.actor = "controller";
  e.action = "sync";
  e.app = app;
  auto event = store.record_event(e);
  if (!event.ok()) return event.status();
  return store.finish_operation(*id, OperationPhase::kSucceeded, "");
}

// Collects failures from many threads.
class Failures {
 public:
  void add(const Status& s) {
    if (s.ok()) return;
    std::lock_guard lock(mu_);
    messages_.push_back(s.to_string());
  }
  std::vector<std::string> get() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> messages_;
};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

// Reads in a loop until told to stop, as the API and UI do while the controller writes.
void read_until(Store& store, const std::atomic<bool>& stop, Failures& failures, std::atomic<int>& reads) {
  while (!stop.load()) {
    auto ops = store.list_operations("", 20);
    if (!ops.ok()) failures.add(ops.status());
    if (ops.ok() && !ops->empty()) {
      auto op = store.get_operation(ops->front().id);
      if (!op.ok()) failures.add(op.status());
      auto manifests = store.manifests_of(ops->front().id);
      if (!manifests.ok()) failures.add(manifests.status());
    }
    failures.add(store.stats().ok() ? Status::Ok() : Status::Internal("stats failed"));
    ++reads;
  }
}

TEST(StoreConcurrency, ThreadsShareOneStore) {
  TempDir dir;
  auto store = open_or_fail(dir.file("ferry.db"));
  ASSERT_TRUE(store);
  constexpr int kWriters = 4, kOps = 25;
  Failures failures;
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::thread reader(read_until, std::ref(*store), std::cref(stop), std::ref(failures), std::ref(reads));
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kOps; ++i) failures.add(run_operation(*store, "default/app" + std::to_string(w), i));
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  reader.join();
  EXPECT_TRUE(failures.get().empty()) << joined(failures.get());
  auto st = store->stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->operations, kWriters * kOps);
  EXPECT_EQ(st->resource_results, kWriters * kOps * 3);
  EXPECT_EQ(st->blobs, 1 + kWriters * kOps);
  EXPECT_EQ(st->events, kWriters * kOps);
  EXPECT_GT(reads.load(), 0);
  EXPECT_TRUE(store->check_integrity().ok());
}

TEST(StoreConcurrency, TwoStoresOnOneFileTakeTurns) {
  TempDir dir;
  std::string path = dir.file("ferry.db");
  auto controller = open_or_fail(path);
  auto cli = open_or_fail(path);
  ASSERT_TRUE(controller);
  ASSERT_TRUE(cli);
  constexpr int kOps = 30;
  Failures failures;
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::thread reader(read_until, std::ref(*cli), std::cref(stop), std::ref(failures), std::ref(reads));
  std::thread a([&] {
    for (int i = 0; i < kOps; ++i) failures.add(run_operation(*controller, "default/a", i));
  });
  std::thread b([&] {
    for (int i = 0; i < kOps; ++i) failures.add(run_operation(*cli, "default/b", i));
  });
  a.join();
  b.join();
  stop = true;
  reader.join();
  EXPECT_TRUE(failures.get().empty()) << joined(failures.get());
  EXPECT_EQ(controller->list_operations("default/b", 0)->size(), static_cast<size_t>(kOps));
  EXPECT_EQ(cli->list_operations("default/a", 0)->size(), static_cast<size_t>(kOps));
  EXPECT_EQ(cli->stats()->blobs, 1 + 2 * kOps);
  EXPECT_TRUE(controller->check_integrity().ok());
}

TEST(StoreConcurrency, ASecondProcessWritesWhileThisOneReadsAndWrites) {
  TempDir dir;
  std::string path = dir.file("ferry.db");
  ASSERT_TRUE(open_or_fail(path));  // created before the fork; each process opens its own
  constexpr int kOps = 30;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto r = Store::open(path);
    if (!r.ok()) _exit(2);
    for (int i = 0; i < kOps; ++i) {
      if (!run_operation(**r, "default/child", i).ok()) _exit(3);
    }
    _exit(0);
  }
  auto store = open_or_fail(path);
  Failures failures;
  if (store) {
    for (int i = 0; i < kOps; ++i) {
      failures.add(run_operation(*store, "default/parent", i));
      auto ops = store->list_operations("", 10);
      if (!ops.ok()) failures.add(ops.status());
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(store);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  EXPECT_TRUE(failures.get().empty()) << joined(failures.get());
  EXPECT_EQ(store->list_operations("default/child", 0)->size(), static_cast<size_t>(kOps));
  EXPECT_EQ(store->list_operations("default/parent", 0)->size(), static_cast<size_t>(kOps));
  EXPECT_TRUE(store->check_integrity().ok());
}

TEST(StoreConcurrency, ConcurrentOpensOfANewFileMigrateOnce) {
  TempDir dir;
  std::string path = dir.file("ferry.db");
  Failures failures;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Store>> stores(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto r = Store::open(path);
      if (!r.ok()) {
        failures.add(r.status());
        return;
      }
      stores[i] = std::move(r).value();
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(failures.get().empty()) << joined(failures.get());
  for (auto& s : stores) {
    ASSERT_TRUE(s);
    EXPECT_EQ(s->stats()->schema_version, current_schema_version());
  }
  // They all agree on the per-database key for Secret digests.
  Json secret = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"data", {{"k", "dg=="}}}};
  for (auto& s : stores) EXPECT_EQ(*s->digest_of(secret), *stores[0]->digest_of(secret));
}

}  // namespace
}  // namespace ferry::store
