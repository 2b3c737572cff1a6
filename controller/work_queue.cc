#include "controller/work_queue.h"

#include <algorithm>

namespace ferry::controller {

WorkQueue::WorkQueue(std::chrono::milliseconds backoff_base, std::chrono::milliseconds backoff_max)
    : backoff_base_(backoff_base), backoff_max_(backoff_max) {}

void WorkQueue::wake_for_work() {
  if (idle_ > 0) {
    cv_.notify_one();
  } else if (timer_taken_) {
    timer_cv_.notify_one();  // the only idle worker is the one watching the clock
  }
}

void WorkQueue::add(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  if (processing_.count(name)) {
    dirty_.insert(name);
    return;
  }
  if (!queued_.insert(name).second) return;
  ready_.push_back(name);
  wake_for_work();
}

void WorkQueue::add_after(const std::string& name, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return add(name);
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  auto at = Clock::now() + delay;
  auto known = delayed_at_.find(name);
  if (known != delayed_at_.end() && known->second <= at) return;  // an earlier wake-up exists
  delayed_at_[name] = at;
  const bool earliest = delayed_.empty() || at < delayed_.begin()->first;
  delayed_.emplace(at, name);
  if (!earliest) return;  // the clock-watching worker's deadline still holds
  if (timer_taken_) {
    timer_cv_.notify_one();  // wake earlier than planned
  } else if (idle_ > 0) {
    cv_.notify_one();  // someone must watch the clock
  }
}

void WorkQueue::add_rate_limited(const std::string& name) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int n = failures_[name]++;
    double factor = n >= 30 ? 1e9 : static_cast<double>(1LL << n);
    double ms = std::min(static_cast<double>(backoff_max_.count()), static_cast<double>(backoff_base_.count()) * factor);
    delay = std::chrono::milliseconds(static_cast<long>(ms));
  }
  add_after(name, delay);
}

void WorkQueue::forget(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(name);
}

void WorkQueue::promote_due() {
  auto now = Clock::now();
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    auto [at, name] = *delayed_.begin();
    delayed_.erase(delayed_.begin());
    auto known = delayed_at_.find(name);
    if (known == delayed_at_.end() || known->second != at) continue;  // superseded by an earlier one
    delayed_at_.erase(known);
    if (processing_.count(name)) {
      dirty_.insert(name);
    } else if (queued_.insert(name).second) {
      ready_.push_back(name);
    }
  }
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock<std::mutex> lock(mu_);
  bool left_the_clock = false;  // this worker watched the clock and now takes work instead
  while (true) {
    if (shutting_down_) return std::nullopt;
    promote_due();
    if (!ready_.empty()) break;
    if (!delayed_.empty() && !timer_taken_) {
      timer_taken_ = true;
      timer_cv_.wait_until(lock, delayed_.begin()->first);
      timer_taken_ = false;
      left_the_clock = true;
    } else {
      ++idle_;
      cv_.wait(lock);
      --idle_;
      left_the_clock = false;
    }
  }
  std::string name = ready_.front();
  ready_.pop_front();
  queued_.erase(name);
  processing_.insert(name);
  // More names are due, or nobody watches the clock now: hand that to an idle worker.
  if ((!ready_.empty() || (left_the_clock && !delayed_.empty())) && idle_ > 0) cv_.notify_one();
  return name;
}

void WorkQueue::done(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(name);
  if (!dirty_.erase(name) || shutting_down_) return;
  if (queued_.insert(name).second) ready_.push_back(name);
  wake_for_work();
}

void WorkQueue::shut_down() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
  timer_cv_.notify_all();
}

size_t WorkQueue::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.size();
}

size_t WorkQueue::processing() const {
  std::lock_guard<std::mutex> lock(mu_);
  return processing_.size();
}

size_t WorkQueue::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delayed_at_.size();
}

}  // namespace ferry::controller
