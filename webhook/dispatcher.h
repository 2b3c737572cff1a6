// Dispatcher: turns PushEvents into work for the controller on its own worker thread, so the
// webhook answers at once and a burst of pushes costs one fetch. Events are coalesced per
// (repository, ref): a thousand pushes that arrive before the worker gets to them become one
// call carrying the last `after` commit and the union of changed files. An event that arrives
// while the worker is busy with its repository is kept and processed in the next round, never
// lost.
//
// Each round the worker takes every pending burst, asks the target for its apps once, calls
// repo_pushed once per burst, then refresh_app once per app that any of the bursts matches.
//
// Ownership and threads: the DispatchTarget is borrowed and must outlive the Dispatcher; its
// methods are called only from the worker thread, one at a time. submit(), counters() and
// wait_idle() may be called from any thread; start() and stop() from any thread except the
// worker (not from inside a DispatchTarget method).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "webhook/match.h"
#include "webhook/push_event.h"

namespace ferry::webhook {

// What the Dispatcher drives; the controller implements it.
class DispatchTarget {
 public:
  virtual ~DispatchTarget() = default;
  // The apps to match this round's pushes against.
  virtual std::vector<AppSource> apps() = 0;
  // A burst of pushes to `ref` of the repository ended at `after` (empty when the ref was
  // deleted): fetch now. `repo_url` is spelled as the payload does; compare with
  // same_repository().
  virtual void repo_pushed(const std::string& repo_url, const std::string& ref, const std::string& after) = 0;
  // A push concerns this app: refresh it (once per round however many pushes matched).
  virtual void refresh_app(const std::string& app_name) = 0;
};

struct DispatcherOptions {
  // Distinct (repository, ref) bursts waiting at once; further events for new keys are dropped
  // and counted (events for keys already waiting still merge). Bounds memory under a flood.
  size_t max_pending = 10000;
};

class Dispatcher {
 public:
  struct Counters {
    uint64_t events_received = 0;   // submit() calls that were queued or merged
    uint64_t events_dropped = 0;    // refused because max_pending bursts were waiting
    uint64_t bursts_processed = 0;  // repo_pushed calls
    uint64_t rounds = 0;            // apps() calls
    uint64_t apps_refreshed = 0;    // refresh_app calls
    uint64_t target_errors = 0;     // exceptions thrown by the target (caught, round goes on)
  };

  explicit Dispatcher(DispatchTarget& target, DispatcherOptions options = {});
  // Stops the worker; bursts still pending are discarded.
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts the worker thread; events submitted earlier are processed now. No-op when running.
  void start();
  // Lets the round in progress finish and joins the worker. Pending bursts are kept, not
  // drained: a stopping controller re-reads every app when it starts again, and draining could
  // hold shutdown behind slow fetches. A later start() processes them.
  void stop();

  // Queues one event and returns at once, also before start() and after stop(). False when it
  // was dropped: it names no repository URL or ref, or max_pending bursts are already waiting.
  bool submit(PushEvent event);

  // Blocks until nothing is pending or in progress, or `timeout` passes (then false). For tests
  // and orderly shutdown; a stopped Dispatcher with pending work never becomes idle.
  bool wait_idle(std::chrono::milliseconds timeout);

  Counters counters() const;

 private:
  struct Burst {
    PushEvent event;  // merged: first `before`, last `after`, union of URLs and files
  };

  void run();
  // One round, outside the lock; returns what it adds to the counters.
  Counters process(std::vector<Burst> round);

  DispatchTarget& target_;
  const DispatcherOptions options_;

  std::mutex lifecycle_mu_;  // serialises start() and stop()
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // signalled on submit and stop
  std::condition_variable idle_cv_;  // signalled when a round ends
  std::unordered_map<std::string, Burst> pending_;  // by repository identity + '\n' + ref
  std::deque<std::string> order_;                   // pending keys, oldest first
  bool busy_ = false;                               // a round is being processed
  bool stopping_ = false;
  Counters counters_;
  std::thread worker_;
};

}  // namespace ferry::webhook
