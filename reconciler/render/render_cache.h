// RenderCache: rendered output by (commit, path, renderer, parameters), bounded by an
// approximate byte size with least-recently-used eviction. Entries are immutable and shared:
// get() hands out a shared_ptr, so an evicted entry stays valid for whoever holds it.
// Thread-safe: all methods may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "reconciler/render/render_spec.h"

namespace ferry::reconciler {

class RenderCache {
 public:
  explicit RenderCache(size_t max_bytes = 256u << 20) : max_bytes_(max_bytes) {}
  RenderCache(const RenderCache&) = delete;
  RenderCache& operator=(const RenderCache&) = delete;

  // The key of one render: repository, commit, app path and every parameter that shapes output.
  static std::string key(const std::string& repo_key, const std::string& commit, const std::string& path,
                         const RenderSpec& spec);

  std::shared_ptr<const RenderOutput> get(const std::string& key);
  // Inserts (or replaces) and evicts the least recently used entries beyond the bound. An entry
  // larger than the whole bound is not kept.
  void put(const std::string& key, std::shared_ptr<const RenderOutput> output);

  struct Stats {
    uint64_t hits = 0, misses = 0, evictions = 0;
    size_t entries = 0, bytes = 0;
  };
  Stats stats() const;

 private:
  struct Node {
    std::string key;
    std::shared_ptr<const RenderOutput> output;
  };
  size_t max_bytes_;
  mutable std::mutex mu_;
  std::list<Node> lru_;  // front = most recently used
  std::unordered_map<std::string, std::list<Node>::iterator> index_;
  size_t bytes_ = 0;
  Stats stats_;
};

}  // namespace ferry::reconciler
