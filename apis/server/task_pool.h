// A fixed set of threads for the API's slow answers (rendering for a diff, password hashing at
// login, waiting for a sync), so they never hold the HTTP server's few I/O threads. Bounded: when
// `max_queued` tasks already wait, submit() refuses and the caller answers 503.
// Thread-safe; the destructor runs no queued task, joins the threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry::apis {

class TaskPool {
 public:
  TaskPool(int threads, size_t max_queued);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // Queues `task`; false when the queue is full or the pool is stopping.
  bool submit(std::function<void()> task);
  // Drops queued tasks and joins the threads after their current task.
  void stop();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  size_t max_queued_;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::apis
