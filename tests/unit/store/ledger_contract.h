// The operations ledger: journalling, results, finishing, listing, restart recovery.
// Part of the store contract: included and instantiated once per backend (store_backend.h).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <limits>

#include "store/store.h"
#include "tests/unit/store/store_test_util.h"
#include "tests/unit/store/store_backend.h"

namespace ferry::store {
// Unnamed: each test binary includes a contract once, next to its instantiation.
namespace {

class LedgerTest : public StoreContractTest {
 protected:
  void SetUp() override {
    Options options;
    options.clock = [this] { return clock_.load(); };
    store_ = open_store(options);
    ASSERT_TRUE(store_);
  }

  int64_t begin(const std::string& app, const std::string& revision = "0123abcd") {
    auto id = store_->begin_operation(sync_start(app, revision));
    EXPECT_TRUE(id.ok()) << id.status().to_string();
    return id.ok() ? *id : 0;
  }

  std::atomic<int64_t> clock_{1'700'000'000'000};
  std::unique_ptr<Store> store_;
};

TEST_P(LedgerTest, AnOperationIsJournalledRunningAndFinishes) {
  OperationStart start = sync_start("default/guestbook", "9f8e7d6c");
  start.prune = true;
  start.initiated_by = "bob";
  auto id = store_->begin_operation(start);
  ASSERT_TRUE(id.ok()) << id.status().to_string();

  auto running = store_->get_operation(*id);
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->phase, OperationPhase::kRunning);
  EXPECT_EQ(running->app, "default/guestbook");
  EXPECT_EQ(running->project, "default");
  EXPECT_EQ(running->kind, "sync");
  EXPECT_EQ(running->revision, "9f8e7d6c");
  EXPECT_EQ(running->source, start.source);
  EXPECT_EQ(running->initiated_by, "bob");
  EXPECT_TRUE(running->prune);
  EXPECT_FALSE(running->dry_run);
  EXPECT_EQ(running->started_at, 1'700'000'000'000);
  EXPECT_EQ(running->finished_at, 0);

  ASSERT_TRUE(store_->record_resource_result(*id, config_map_result("a")).ok());
  ResourceResult failed = config_map_result("b", "SyncFailed");
  failed.message = "admission webhook denied the request";
  ASSERT_TRUE(store_->record_resource_result(*id, failed).ok());
  clock_ += 1500;
  ASSERT_TRUE(store_->finish_operation(*id, OperationPhase::kFailed, "one resource failed").ok());

  auto done = store_->get_operation(*id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->phase, OperationPhase::kFailed);
  EXPECT_EQ(done->message, "one resource failed");
  EXPECT_EQ(done->finished_at, 1'700'000'001'500);
  ASSERT_EQ(done->resources.size(), 2u);
  EXPECT_EQ(done->resources[0], config_map_result("a"));
  EXPECT_EQ(done->resources[1], failed);
}

TEST_P(LedgerTest, AHookResultIsUpdatedInPlace) {
  int64_t id = begin("default/app");
  ResourceResult hook;
  hook.group = "batch";
  hook.version = "v1";
  hook.kind = "Job";
  hook.ns = "default";
  hook.name = "migrate-db";
  hook.sync_phase = "PreSync";
  hook.hook_type = "PreSync";
  hook.hook_phase = "Running";
  hook.status = "Synced";
  ASSERT_TRUE(store_->record_resource_result(id, hook).ok());
  ASSERT_TRUE(store_->record_resource_result(id, config_map_result("cfg")).ok());
  hook.hook_phase = "Succeeded";
  hook.message = "job completed";
  ASSERT_TRUE(store_->record_resource_result(id, hook).ok());
  // The same object in another phase is another result.
  ResourceResult post = hook;
  post.sync_phase = "PostSync";
  post.hook_type = "PostSync";
  ASSERT_TRUE(store_->record_resource_results(id, {post}).ok());

  auto op = store_->get_operation(id);
  ASSERT_TRUE(op.ok());
  ASSERT_EQ(op->resources.size(), 3u);
  EXPECT_EQ(op->resources[0], hook);  // first seen, first listed, latest values
  EXPECT_EQ(op->resources[1].name, "cfg");
  EXPECT_EQ(op->resources[2], post);
}

TEST_P(LedgerTest, AnEmptySyncPhaseIsRecordedAsSync) {
  int64_t id = begin("default/app");
  ResourceResult r = config_map_result("a");
  r.sync_phase = "";
  ASSERT_TRUE(store_->record_resource_result(id, r).ok());
  r.status = "SyncFailed";
  r.sync_phase = "Sync";
  ASSERT_TRUE(store_->record_resource_result(id, r).ok());
  auto op = store_->get_operation(id);
  ASSERT_EQ(op->resources.size(), 1u);
  EXPECT_EQ(op->resources[0].sync_phase, "Sync");
  EXPECT_EQ(op->resources[0].status, "SyncFailed");
}

TEST_P(LedgerTest, AFinishedOperationIsFrozen) {
  int64_t id = begin("default/app");
  ASSERT_TRUE(store_->finish_operation(id, OperationPhase::kSucceeded, "ok").ok());
  EXPECT_TRUE(store_->finish_operation(id, OperationPhase::kFailed, "late").is(Reason::kConflict));
  EXPECT_TRUE(store_->record_resource_result(id, config_map_result("a")).is(Reason::kConflict));
  EXPECT_TRUE(store_->update_operation(id, OperationPhase::kTerminating, "").is(Reason::kConflict));
  EXPECT_TRUE(store_->store_manifests(id, {config_map("a")}).status().is(Reason::kConflict));
  EXPECT_EQ(store_->get_operation(id)->message, "ok");
}

TEST_P(LedgerTest, RejectsBadArgumentsAndUnknownIds) {
  EXPECT_TRUE(store_->get_operation(424242).status().is(Reason::kNotFound));
  EXPECT_TRUE(store_->record_resource_result(424242, config_map_result("a")).is(Reason::kNotFound));
  EXPECT_TRUE(store_->finish_operation(424242, OperationPhase::kSucceeded, "").is(Reason::kNotFound));
  EXPECT_TRUE(store_->manifests_of(424242).status().is(Reason::kNotFound));
  EXPECT_TRUE(store_->begin_operation(OperationStart{}).status().is(Reason::kInvalid));
  int64_t id = begin("default/app");
  EXPECT_TRUE(store_->finish_operation(id, OperationPhase::kRunning, "").is(Reason::kInvalid));
  EXPECT_TRUE(store_->update_operation(id, OperationPhase::kSucceeded, "").is(Reason::kInvalid));
  // A result for a broken manifest (no kind, no name) is kept: it says why the operation failed.
  ResourceResult broken;
  broken.message = "object has no kind";
  ASSERT_TRUE(store_->record_resource_result(id, broken).ok());
  auto op = store_->get_operation(id);
  ASSERT_TRUE(op.ok());
  ASSERT_EQ(op->resources.size(), 1u);
  EXPECT_EQ(op->resources[0].message, "object has no kind");
  OperationStart nan_source = sync_start("default/app");
  nan_source.source = {{"x", std::numeric_limits<double>::quiet_NaN()}};
  EXPECT_TRUE(store_->begin_operation(nan_source).status().is(Reason::kInvalid));
}

TEST_P(LedgerTest, ListsNewestFirstPagePerPage) {
  std::vector<int64_t> guestbook;
  for (int i = 0; i < 7; ++i) {
    guestbook.push_back(begin("default/guestbook", "rev" + std::to_string(i)));
    begin("default/other");  // interleaved rows of another app
  }
  std::vector<int64_t> seen;
  int64_t before = 0;
  for (int page = 0; page < 10; ++page) {
    auto ops = store_->list_operations("default/guestbook", 3, before);
    ASSERT_TRUE(ops.ok()) << ops.status().to_string();
    if (ops->empty()) break;
    EXPECT_LE(ops->size(), 3u);
    for (const auto& op : *ops) {
      EXPECT_EQ(op.app, "default/guestbook");
      EXPECT_TRUE(op.resources.empty());
      seen.push_back(op.id);
    }
    before = ops->back().id;
  }
  std::vector<int64_t> expected(guestbook.rbegin(), guestbook.rend());
  EXPECT_EQ(seen, expected);
  // Ids only grow: newest first means descending ids.
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i - 1], seen[i]);

  auto all = store_->list_operations("", 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 14u);
  EXPECT_EQ(all->front().app, "default/other");
  EXPECT_TRUE(store_->list_operations("default/nothing")->empty());
}

TEST_P(LedgerTest, RunningOperationsAndTermination) {
  int64_t a = begin("default/a");
  int64_t b = begin("default/b");
  int64_t c = begin("default/c");
  ASSERT_TRUE(store_->finish_operation(b, OperationPhase::kSucceeded, "").ok());
  ASSERT_TRUE(store_->update_operation(c, OperationPhase::kTerminating, "terminate requested by alice").ok());
  auto running = store_->running_operations();
  ASSERT_TRUE(running.ok());
  ASSERT_EQ(running->size(), 2u);
  EXPECT_EQ((*running)[0].id, a);
  EXPECT_EQ((*running)[1].id, c);
  EXPECT_EQ((*running)[1].phase, OperationPhase::kTerminating);
  EXPECT_EQ((*running)[1].message, "terminate requested by alice");
}

TEST_P(LedgerTest, ARestartMarksUnfinishedOperationsInterrupted) {
  int64_t a = begin("default/a");
  ASSERT_TRUE(store_->record_resource_result(a, config_map_result("x")).ok());
  ASSERT_TRUE(store_->update_operation(a, OperationPhase::kRunning, "waiting for wave 2 to be healthy").ok());
  int64_t b = begin("default/b");
  ASSERT_TRUE(store_->finish_operation(b, OperationPhase::kSucceeded, "").ok());
  clock_ += 60'000;

  auto interrupted = store_->mark_interrupted_running();
  ASSERT_TRUE(interrupted.ok()) << interrupted.status().to_string();
  ASSERT_EQ(interrupted->size(), 1u);
  const Operation& op = (*interrupted)[0];
  EXPECT_EQ(op.id, a);
  EXPECT_EQ(op.phase, OperationPhase::kInterrupted);
  EXPECT_EQ(op.finished_at, 1'700'000'060'000);
  EXPECT_NE(op.message.find("waiting for wave 2"), std::string::npos) << op.message;
  ASSERT_EQ(op.resources.size(), 1u);
  EXPECT_EQ(op.resources[0].name, "x");

  auto stored = store_->get_operation(a);
  EXPECT_EQ(stored->phase, OperationPhase::kInterrupted);
  EXPECT_EQ(stored->message, op.message);
  EXPECT_TRUE(store_->running_operations()->empty());
  EXPECT_TRUE(store_->mark_interrupted_running()->empty());
  // The old process's late finish cannot overwrite what the restart recorded.
  EXPECT_TRUE(store_->finish_operation(a, OperationPhase::kSucceeded, "").is(Reason::kConflict));
}

TEST_P(LedgerTest, ARestartCanMarkOnlyTheAppsItOwns) {
  int64_t mine = begin("team-a/web");
  int64_t theirs = begin("team-b/api");
  int64_t mine_too = begin("team-a/db");
  ASSERT_TRUE(store_->record_resource_result(mine_too, config_map_result("x")).ok());
  auto owned = [](const std::string& app) { return app.rfind("team-a/", 0) == 0; };

  auto interrupted = store_->mark_interrupted_running(owned);
  ASSERT_TRUE(interrupted.ok()) << interrupted.status().to_string();
  ASSERT_EQ(interrupted->size(), 2u);
  EXPECT_EQ((*interrupted)[0].id, mine);
  EXPECT_EQ((*interrupted)[1].id, mine_too);
  EXPECT_EQ((*interrupted)[1].phase, OperationPhase::kInterrupted);
  ASSERT_EQ((*interrupted)[1].resources.size(), 1u);
  // Another replica's operation runs on untouched.
  auto running = store_->running_operations();
  ASSERT_TRUE(running.ok());
  ASSERT_EQ(running->size(), 1u);
  EXPECT_EQ((*running)[0].id, theirs);
  EXPECT_TRUE(store_->record_resource_result(theirs, config_map_result("y")).ok());
  EXPECT_TRUE(store_->mark_interrupted_running(owned)->empty());
  EXPECT_TRUE(store_->finish_operation(mine, OperationPhase::kSucceeded, "").is(Reason::kConflict));
  // The unfiltered call takes the rest.
  auto rest = store_->mark_interrupted_running();
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].id, theirs);
}

TEST_P(LedgerTest, SaysWhatItIsAndWhetherReplicasMayShareIt) {
  std::string kind = GetParam().name == "Sqlite" ? "sqlite" : "postgres";
  EXPECT_EQ(store_->kind(), kind);
  EXPECT_EQ(store_->shared(), kind == "postgres");
}

TEST_P(LedgerTest, AnOperationFinishedAtTheEpochStillCountsAsFinished) {
  clock_ = 0;
  int64_t id = begin("default/a");
  ASSERT_TRUE(store_->finish_operation(id, OperationPhase::kError, "render failed").ok());
  EXPECT_TRUE(store_->running_operations()->empty());
  EXPECT_GT(store_->get_operation(id)->finished_at, 0);
}

TEST_P(LedgerTest, RollbacksRecordWhatTheyRestore) {
  int64_t first = begin("default/a", "aaaa");
  ASSERT_TRUE(store_->finish_operation(first, OperationPhase::kSucceeded, "").ok());
  OperationStart rollback = sync_start("default/a", "aaaa");
  rollback.kind = kKindRollback;
  rollback.rollback_of = first;
  rollback.dry_run = true;
  auto id = store_->begin_operation(rollback);
  ASSERT_TRUE(id.ok());
  auto op = store_->get_operation(*id);
  EXPECT_EQ(op->kind, "rollback");
  EXPECT_EQ(op->rollback_of, first);
  EXPECT_TRUE(op->dry_run);
}

}  // namespace
}  // namespace ferry::store
