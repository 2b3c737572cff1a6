#include "webhook/dispatcher.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <unordered_set>
#include <utility>

#include "webhook/payload.h"

namespace ferry::webhook {
namespace {

// A repository's spellings accumulated over a burst; more than this is a confused sender.
constexpr size_t kMaxUrlsPerBurst = 16;

std::string burst_key(const PushEvent& event) {
  for (const std::string& url : event.repo_urls) {
    if (std::optional<std::string> identity = repo_identity(url)) return *identity + '\n' + event.ref;
  }
  return event.repo_urls.front() + '\n' + event.ref;
}

// Folds a later push to the same ref into `into`.
void merge(PushEvent& into, PushEvent&& later) {
  for (std::string& url : later.repo_urls) {
    if (into.repo_urls.size() >= kMaxUrlsPerBurst) break;
    if (std::find(into.repo_urls.begin(), into.repo_urls.end(), url) == into.repo_urls.end()) {
      into.repo_urls.push_back(std::move(url));
    }
  }
  into.provider = later.provider;
  into.after = std::move(later.after);  // `before` stays the burst's first
  into.deleted = later.deleted;
  if (!later.default_branch.empty()) into.default_branch = std::move(later.default_branch);
  if (into.files_known && later.files_known) {
    std::vector<std::string> files;
    files.reserve(into.changed_files.size() + later.changed_files.size());
    std::set_union(into.changed_files.begin(), into.changed_files.end(), later.changed_files.begin(),
                   later.changed_files.end(), std::back_inserter(files));
    into.changed_files = std::move(files);
  }
  if (!later.files_known || into.changed_files.size() > kMaxChangedFiles) {
    into.files_known = false;
    into.changed_files.clear();
  }
}

}  // namespace

Dispatcher::Dispatcher(DispatchTarget& target, DispatcherOptions options) : target_(target), options_(options) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
  if (worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  worker_ = std::thread([this] { run(); });
}

void Dispatcher::stop() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  worker_.join();
}

bool Dispatcher::submit(PushEvent event) {
  if (event.repo_urls.empty() || event.ref.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.events_dropped;
    return false;
  }
  std::string key = burst_key(event);  // parses URLs: outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(key);
    if (it != pending_.end()) {
      merge(it->second.event, std::move(event));
    } else {
      if (pending_.size() >= options_.max_pending) {
        ++counters_.events_dropped;
        return false;
      }
      order_.push_back(key);
      pending_.emplace(std::move(key), Burst{std::move(event)});
    }
    ++counters_.events_received;
  }
  work_cv_.notify_one();
  return true;
}

bool Dispatcher::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return order_.empty() && !busy_; });
}

Dispatcher::Counters Dispatcher::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void Dispatcher::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [this] { return stopping_ || !order_.empty(); });
    if (stopping_) break;
    // Taking the bursts out (rather than reading them in place) is what keeps a push that
    // arrives during the round: it starts a new burst for the next round.
    std::vector<Burst> round;
    round.reserve(order_.size());
    for (const std::string& key : order_) {
      auto it = pending_.find(key);
      round.push_back(std::move(it->second));
      pending_.erase(it);
    }
    order_.clear();
    busy_ = true;
    lock.unlock();
    Counters delta = process(std::move(round));
    lock.lock();
    counters_.bursts_processed += delta.bursts_processed;
    counters_.rounds += delta.rounds;
    counters_.apps_refreshed += delta.apps_refreshed;
    counters_.target_errors += delta.target_errors;
    busy_ = false;
    idle_cv_.notify_all();
  }
}

Dispatcher::Counters Dispatcher::process(std::vector<Burst> round) {
  Counters delta;
  // The target is the controller's code; an exception from it must not end the worker thread.
  auto guarded = [&delta](auto&& call) {
    try {
      call();
    } catch (...) {
      ++delta.target_errors;
    }
  };

  std::vector<AppSource> apps;
  guarded([&] { apps = target_.apps(); });
  ++delta.rounds;

  std::vector<std::unordered_set<std::string>> identities(round.size());
  for (size_t i = 0; i < round.size(); ++i) {
    const PushEvent& event = round[i].event;
    guarded([&] { target_.repo_pushed(event.repo_urls.front(), event.ref, event.deleted ? "" : event.after); });
    ++delta.bursts_processed;
    for (const std::string& url : event.repo_urls) {
      if (std::optional<std::string> identity = repo_identity(url)) identities[i].insert(std::move(*identity));
    }
  }

  std::unordered_set<std::string> refreshed;
  for (const AppSource& app : apps) {
    std::optional<std::string> identity = repo_identity(app.repo_url);
    if (!identity || refreshed.count(app.name) != 0) continue;
    for (size_t i = 0; i < round.size(); ++i) {
      // The identity check is a cheap pre-filter; push_matches stays the one definition.
      if (identities[i].count(*identity) == 0 || !push_matches(round[i].event, app)) continue;
      refreshed.insert(app.name);
      guarded([&] { target_.refresh_app(app.name); });
      ++delta.apps_refreshed;
      break;
    }
  }
  return delta;
}

}  // namespace ferry::webhook
