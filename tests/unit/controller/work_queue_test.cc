// The controller's work queue: de-duplication, one worker per name, delays and backoff.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "controller/work_queue.h"

namespace ferry::controller {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, AddingAQueuedNameIsANoOp) {
  WorkQueue queue;
  queue.add("a");
  queue.add("b");
  queue.add("a");
  EXPECT_EQ(queue.queued(), 2u);
  EXPECT_EQ(queue.get(), "a");
  EXPECT_EQ(queue.get(), "b");
  EXPECT_EQ(queue.queued(), 0u);
  EXPECT_EQ(queue.processing(), 2u);
}

TEST(WorkQueue, ANameHeldByAWorkerIsRequeuedOnlyAfterDone) {
  WorkQueue queue;
  queue.add("a");
  ASSERT_EQ(queue.get(), "a");
  queue.add("a");  // changed while being worked on
  queue.add("a");
  EXPECT_EQ(queue.queued(), 0u);  // not handed to a second worker meanwhile
  queue.done("a");
  EXPECT_EQ(queue.queued(), 1u);
  EXPECT_EQ(queue.get(), "a");
  queue.done("a");
  EXPECT_EQ(queue.queued(), 0u);
}

TEST(WorkQueue, DelayedNamesArriveAndTheEarliestDelayWins) {
  WorkQueue queue;
  queue.add_after("late", 1h);
  queue.add_after("soon", 20ms);
  queue.add_after("late", 30ms);  // an earlier wake-up replaces the later one
  EXPECT_EQ(queue.waiting(), 2u);
  std::set<std::string> got;
  got.insert(*queue.get());
  got.insert(*queue.get());
  EXPECT_EQ(got, (std::set<std::string>{"soon", "late"}));
  EXPECT_EQ(queue.waiting(), 0u);
}

TEST(WorkQueue, BackoffGrowsUntilForgotten) {
  WorkQueue queue(10ms, 40ms);
  queue.add_rate_limited("x");  // 10ms
  ASSERT_EQ(queue.get(), "x");
  queue.done("x");
  queue.add_rate_limited("x");  // 20ms
  queue.add_rate_limited("x");  // 40ms, but the earlier 20ms wake-up stays
  ASSERT_EQ(queue.get(), "x");
  queue.done("x");
  queue.forget("x");
  queue.add_rate_limited("x");
  ASSERT_EQ(queue.get(), "x");
}

TEST(WorkQueue, ShutDownReleasesBlockedWorkers) {
  WorkQueue queue;
  std::optional<std::string> got = "unset";
  std::thread worker([&] { got = queue.get(); });
  queue.shut_down();
  worker.join();
  EXPECT_FALSE(got.has_value());
  queue.add("after");
  EXPECT_EQ(queue.queued(), 0u);
}

TEST(WorkQueue, ManyWorkersNeverShareAName) {
  WorkQueue queue;
  std::mutex mu;
  std::set<std::string> held;
  std::atomic<int> overlaps{0}, handled{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto name = queue.get()) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (!held.insert(*name).second) ++overlaps;
        }
        std::this_thread::yield();
        {
          std::lock_guard<std::mutex> lock(mu);
          held.erase(*name);
        }
        ++handled;
        queue.done(*name);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) queue.add("app-" + std::to_string(i % 10));
  while (queue.queued() > 0 || queue.processing() > 0) std::this_thread::sleep_for(1ms);
  queue.shut_down();
  for (auto& w : workers) w.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GE(handled.load(), 10);
}

// While one worker holds a name for long (a sync), delayed names still reach the idle workers:
// the worker that watched the clock hands that job over when it takes work.
TEST(WorkQueue, DelayedNamesReachIdleWorkersWhileOneWorkerIsBusy) {
  WorkQueue queue;
  std::atomic<bool> release{false};
  std::atomic<int> handled{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&] {
      while (auto name = queue.get()) {
        if (*name == "long-sync") {
          while (!release) std::this_thread::sleep_for(1ms);
        } else {
          ++handled;
        }
        queue.done(*name);
      }
    });
  }
  queue.add_after("long-sync", 5ms);  // the clock watcher takes this one and stays busy
  for (int i = 0; i < 40; ++i) queue.add_after("app-" + std::to_string(i), std::chrono::milliseconds(10 + i));
  // Bounded only against a hang: every delayed name arrives while long-sync is still held.
  for (int i = 0; i < 5000 && handled < 40; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(handled.load(), 40);
  EXPECT_EQ(queue.processing(), 1u);
  release = true;
  queue.shut_down();
  for (auto& w : workers) w.join();
}

// Names that fall due together are shared out: each idle worker wakes for one.
TEST(WorkQueue, NamesDueTogetherAreSharedByIdleWorkers) {
  WorkQueue queue;
  std::mutex mu;
  std::set<std::thread::id> who;
  std::atomic<int> handled{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto name = queue.get()) {
        {
          std::lock_guard<std::mutex> lock(mu);
          who.insert(std::this_thread::get_id());
        }
        std::this_thread::sleep_for(20ms);  // long enough that one worker cannot take them all
        ++handled;
        queue.done(*name);
      }
    });
  }
  std::this_thread::sleep_for(20ms);  // every worker is idle
  for (int i = 0; i < 8; ++i) queue.add_after("app-" + std::to_string(i), 30ms);
  for (int i = 0; i < 5000 && handled < 8; ++i) std::this_thread::sleep_for(1ms);
  queue.shut_down();
  for (auto& w : workers) w.join();
  EXPECT_EQ(handled.load(), 8);
  EXPECT_GE(who.size(), 2u);
}

}  // namespace
}  // namespace ferry::controller
