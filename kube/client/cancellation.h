// Cancellation: a one-shot signal that ends a blocking call (a watch) from another thread.
// Callers create one, hand a pointer to the call, and `cancel()` it when they want out; the
// transport registers a callback that drops the connection. Thread-safe; the object must outlive
// every call it was handed to.
#pragma once

#include <functional>
#include <map>
#include <mutex>

namespace ferry::kube {

class Cancellation {
 public:
  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  // Idempotent. Runs the registered callbacks once, on the calling thread.
  void cancel() {
    std::map<int, std::function<void()>> to_run;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_) return;
      cancelled_ = true;
      to_run.swap(callbacks_);
    }
    for (auto& [id, fn] : to_run) fn();
  }

  bool cancelled() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled_;
  }

  // Runs `fn` on cancel (at once when already cancelled). Returns an id for `forget`.
  int on_cancel(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!cancelled_) {
        callbacks_[++next_id_] = std::move(fn);
        return next_id_;
      }
    }
    fn();
    return 0;
  }

  // Drops a callback; after it returns the callback will not start (one already running may finish).
  void forget(int id) {
    std::lock_guard<std::mutex> lock(mu_);
    callbacks_.erase(id);
  }

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;                         // guarded by mu_
  int next_id_ = 0;                                // guarded by mu_
  std::map<int, std::function<void()>> callbacks_;  // guarded by mu_
};

}  // namespace ferry::kube
