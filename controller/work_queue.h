// WorkQueue: the controller's queue of app names to reconcile. A name is queued at most once
// (adding it again while queued is a no-op), is handed to one worker at a time (adding it while a
// worker holds it queues it again for after that worker is done), and can be added after a
// delay (periodic refresh, retries). Per-name exponential backoff for failures, reset by
// forget(). Thread-safe; get() blocks until a name is ready or the queue shuts down. Idle
// workers sleep until there is work; only one of them sleeps until the next delayed name is due,
// so thousands of periodic refreshes do not wake every worker each time one is scheduled or due.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace ferry::controller {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WorkQueue(std::chrono::milliseconds backoff_base = std::chrono::seconds(5),
                     std::chrono::milliseconds backoff_max = std::chrono::minutes(5));

  void add(const std::string& name);
  void add_after(const std::string& name, std::chrono::milliseconds delay);
  // add_after with this name's next backoff delay (base, 2x, 4x, ... up to max).
  void add_rate_limited(const std::string& name);
  // Resets the name's backoff.
  void forget(const std::string& name);
  // The next ready name, or nullopt once shut down. The caller must call done(name).
  std::optional<std::string> get();
  void done(const std::string& name);
  void shut_down();

  size_t queued() const;      // ready to hand out
  size_t processing() const;  // held by workers
  size_t waiting() const;     // delayed

 private:
  void promote_due();  // moves due delayed names to the ready queue; mu_ held
  void wake_for_work();  // after a name became ready; mu_ held

  const std::chrono::milliseconds backoff_base_, backoff_max_;
  mutable std::mutex mu_;
  std::condition_variable cv_;        // idle workers wait here for ready names
  std::condition_variable timer_cv_;  // the one worker that waits for the next delayed name
  int idle_ = 0;                      // workers waiting on cv_
  bool timer_taken_ = false;          // a worker waits on timer_cv_
  std::deque<std::string> ready_;
  std::set<std::string> queued_;      // in ready_
  std::set<std::string> processing_;  // handed out
  std::set<std::string> dirty_;       // added while processing: requeue on done()
  std::multimap<Clock::time_point, std::string> delayed_;
  std::map<std::string, Clock::time_point> delayed_at_;  // earliest delayed time per name
  std::map<std::string, int> failures_;
  bool shutting_down_ = false;
};

}  // namespace ferry::controller
