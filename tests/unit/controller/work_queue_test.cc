// The controller's work queue: de-duplication, one worker per name, delays and backoff.
#include <gtest/gtest.h>

#include <thread>

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

}  // namespace
}  // namespace ferry::controller
