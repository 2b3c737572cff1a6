// Kill -9 durability, in the spirit of LevelDB's fault_injection_test: a child process journals
// an operation and writes results (and manifests) in a loop, telling the parent through a pipe
// after each acknowledged (committed) write; it dies by SIGKILL at chosen or random points. The
// parent then reopens the file and checks the promise: the database is intact, the operation is
// found Running and becomes Interrupted, and nothing acknowledged is missing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "store/store.h"
#include "tests/support/process.h"
#include "tests/unit/store/store_test_util.h"

namespace ferry::store {
namespace {

using ferry::testing::TempDir;

enum class Death {
  kSelfAfterN,     // the child raises SIGKILL right after its Nth acknowledged write
  kParentMidLoop,  // the parent sends SIGKILL while the child writes as fast as it can
};

constexpr int kBatchSize = 64;
constexpr int kMaxIterations = 100000;

struct ChildPlan {
  Death death = Death::kSelfAfterN;
  int n = 0;             // kSelfAfterN: writes before dying
  bool batches = false;  // write kBatchSize results per transaction instead of one
  bool full_sync = false;
};

std::string result_name(int i, int j) { return "r" + std::to_string(i) + "-" + std::to_string(j); }
std::string manifest_name(int i) { return "m" + std::to_string(i); }

bool write_value(int fd, int64_t v) {
  const char* p = reinterpret_cast<const char*>(&v);
  size_t left = sizeof(v);
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

// False at end of file (the child is gone).
bool read_value(int fd, int64_t* v) {
  char* p = reinterpret_cast<char*>(v);
  size_t got = 0;
  while (got < sizeof(*v)) {
    ssize_t n = read(fd, p + got, sizeof(*v) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

// The child: never returns. Sends the operation id, then i after write i is acknowledged.
[[noreturn]] void child_main(const std::string& path, int fd, const ChildPlan& plan) {
  Options options;
  options.full_sync = plan.full_sync;
  auto store = Store::open(path, options);
  if (!store.ok()) _exit(2);
  auto id = (*store)->begin_operation(sync_start("default/victim"));
  if (!id.ok() || !write_value(fd, *id)) _exit(3);
  if (!(*store)->store_manifests(*id, {config_map("app-config")}).ok()) _exit(4);
  for (int i = 0; i < kMaxIterations; ++i) {
    if (plan.death == Death::kSelfAfterN && i == plan.n) raise(SIGKILL);
    if (i % 10 == 0) {
      Json big = config_map(manifest_name(i));
      for (int k = 0; k < 50; ++k)
        big["data"]["k" + std::to_string(k)] = std::string(200, static_cast<char>('a' + k % 26));
      if (!(*store)->store_manifests(*id, {big}).ok()) _exit(5);
    }
    std::vector<ResourceResult> results;
    for (int j = 0; j < (plan.batches ? kBatchSize : 1); ++j) results.push_back(config_map_result(result_name(i, j)));
    if (!(*store)->record_resource_results(*id, results).ok()) _exit(6);
    if (!write_value(fd, i)) _exit(7);
  }
  _exit(8);  // never killed: the test is broken
}

struct Outcome {
  int64_t id = 0;
  int acknowledged = 0;  // writes 0..acknowledged-1 were committed before the kill
};

// Runs a child per plan; kill_after_acks (for kParentMidLoop) is when the parent strikes.
Outcome run_child(const std::string& path, const ChildPlan& plan, int kill_after_acks, int extra_delay_us) {
  Outcome out;
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return out;
  }
  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return out;
  }
  if (pid == 0) {
    close(fds[0]);
    child_main(path, fds[1], plan);
  }
  close(fds[1]);
  int64_t v = 0;
  if (read_value(fds[0], &v)) out.id = v;
  bool killed = false;
  while (read_value(fds[0], &v)) {
    out.acknowledged = static_cast<int>(v) + 1;
    if (plan.death == Death::kParentMidLoop && !killed && out.acknowledged >= kill_after_acks) {
      // A little more rope, so the kill lands at varying points inside the next writes.
      std::this_thread::sleep_for(std::chrono::microseconds(extra_delay_us));
      kill(pid, SIGKILL);
      killed = true;  // keep reading: acks already in the pipe were committed too
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child did not die by SIGKILL; exit code " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return out;
}

// What the parent checks after the kill.
void verify_after_kill(const std::string& path, const Outcome& outcome, const ChildPlan& plan) {
  ASSERT_GT(outcome.id, 0) << "the child never journalled its operation";
  auto store = open_or_fail(path);
  ASSERT_TRUE(store);
  Status integrity = store->check_integrity();
  ASSERT_TRUE(integrity.ok()) << integrity.to_string();

  auto running = store->running_operations();
  ASSERT_TRUE(running.ok());
  ASSERT_EQ(running->size(), 1u);
  EXPECT_EQ((*running)[0].id, outcome.id);
  EXPECT_EQ((*running)[0].phase, OperationPhase::kRunning);

  auto op = store->get_operation(outcome.id);
  ASSERT_TRUE(op.ok()) << op.status().to_string();
  std::set<std::string> names;
  for (const auto& r : op->resources) names.insert(r.name);
  int per_write = plan.batches ? kBatchSize : 1;
  for (int i = 0; i < outcome.acknowledged; ++i) {
    for (int j = 0; j < per_write; ++j) {
      ASSERT_TRUE(names.count(result_name(i, j))) << "acknowledged result " << result_name(i, j) << " is missing";
    }
  }
  // At most the one write in flight may have committed without its acknowledgement, and a
  // batch is all or nothing.
  EXPECT_LE(op->resources.size(), static_cast<size_t>((outcome.acknowledged + 1) * per_write));
  EXPECT_EQ(op->resources.size() % per_write, 0u);
  if (plan.death == Death::kSelfAfterN) {
    EXPECT_EQ(op->resources.size(), static_cast<size_t>(plan.n * per_write));
  }

  auto manifests = store->manifests_of(outcome.id, true);
  ASSERT_TRUE(manifests.ok()) << manifests.status().to_string();
  ASSERT_FALSE(manifests->empty());
  EXPECT_EQ((*manifests)[0], config_map("app-config"));
  std::set<std::string> manifest_names;
  for (const auto& m : *manifests) manifest_names.insert(m["metadata"]["name"].get<std::string>());
  for (int i = 0; i < outcome.acknowledged; i += 10) EXPECT_TRUE(manifest_names.count(manifest_name(i))) << i;

  auto interrupted = store->mark_interrupted_running();
  ASSERT_TRUE(interrupted.ok()) << interrupted.status().to_string();
  ASSERT_EQ(interrupted->size(), 1u);
  EXPECT_EQ((*interrupted)[0].id, outcome.id);
  EXPECT_EQ((*interrupted)[0].phase, OperationPhase::kInterrupted);
  EXPECT_EQ((*interrupted)[0].resources.size(), op->resources.size());
  EXPECT_EQ(store->get_operation(outcome.id)->phase, OperationPhase::kInterrupted);
  EXPECT_TRUE(store->running_operations()->empty());

  // The store goes on working: the controller retries.
  auto retry = store->begin_operation(sync_start("default/victim"));
  ASSERT_TRUE(retry.ok());
  EXPECT_GT(*retry, outcome.id);
  EXPECT_TRUE(store->check_integrity().ok());
}

TEST(StoreDurability, KilledRightAfterNAcknowledgedWrites) {
  for (int n : {0, 1, 7, 40}) {
    for (bool full_sync : {false, true}) {
      SCOPED_TRACE("n=" + std::to_string(n) + (full_sync ? " full_sync" : ""));
      TempDir dir;
      ChildPlan plan;
      plan.death = Death::kSelfAfterN;
      plan.n = n;
      plan.full_sync = full_sync;
      Outcome outcome = run_child(dir.file("ferry.db"), plan, 0, 0);
      EXPECT_EQ(outcome.acknowledged, n);
      verify_after_kill(dir.file("ferry.db"), outcome, plan);
    }
  }
}

TEST(StoreDurability, KilledByTheParentInTheMiddleOfTheWriteLoop) {
  int round = 0;
  for (int kill_after : {1, 5, 23, 80, 200}) {
    for (int delay_us : {0, 150, 700}) {
      SCOPED_TRACE("kill after " + std::to_string(kill_after) + " acks + " + std::to_string(delay_us) + "us");
      TempDir dir;
      ChildPlan plan;
      plan.death = Death::kParentMidLoop;
      plan.full_sync = (++round % 3 == 0);
      Outcome outcome = run_child(dir.file("ferry.db"), plan, kill_after, delay_us);
      EXPECT_GE(outcome.acknowledged, kill_after);
      verify_after_kill(dir.file("ferry.db"), outcome, plan);
    }
  }
}

TEST(StoreDurability, AKilledBatchIsAllOrNothing) {
  for (int kill_after : {1, 4, 12}) {
    for (int delay_us : {0, 300}) {
      SCOPED_TRACE("kill after " + std::to_string(kill_after) + " batches + " + std::to_string(delay_us) + "us");
      TempDir dir;
      ChildPlan plan;
      plan.death = Death::kParentMidLoop;
      plan.batches = true;
      Outcome outcome = run_child(dir.file("ferry.db"), plan, kill_after, delay_us);
      verify_after_kill(dir.file("ferry.db"), outcome, plan);
    }
  }
}

}  // namespace
}  // namespace ferry::store
