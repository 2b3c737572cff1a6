#include "reconciler/render/render_cache.h"

namespace ferry::reconciler {

std::string RenderCache::key(const std::string& repo_key, const std::string& commit, const std::string& path,
                             const RenderSpec& spec) {
  std::string k = repo_key;
  k += '\n';
  k += commit;
  k += '\n';
  k += path;
  k += '\n';
  k += spec.parameters_json().dump();
  return k;
}

std::shared_ptr<const RenderOutput> RenderCache::get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->output;
}

void RenderCache::put(const std::string& key, std::shared_ptr<const RenderOutput> output) {
  if (!output) return;
  size_t size = output->approx_bytes + key.size();
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->output->approx_bytes + key.size();
    lru_.erase(it->second);
    index_.erase(it);
  }
  if (size > max_bytes_) return;
  lru_.push_front({key, std::move(output)});
  index_[key] = lru_.begin();
  bytes_ += size;
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto& last = lru_.back();
    bytes_ -= last.output->approx_bytes + last.key.size();
    index_.erase(last.key);
    lru_.pop_back();
    ++stats_.evictions;
  }
}

RenderCache::Stats RenderCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.entries = index_.size();
  s.bytes = bytes_;
  return s;
}

}  // namespace ferry::reconciler
