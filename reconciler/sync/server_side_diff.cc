#include "reconciler/sync/server_side_diff.h"

#include <openssl/sha.h>

#include <algorithm>

namespace ferry::reconciler {
namespace {

// The desired object's digest and the live object's identity and version: a prediction holds
// until either changes.
std::string cache_key(const Json& desired, const Json& live) {
  const std::string text = desired.dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string key(reinterpret_cast<const char*>(digest), sizeof digest);
  const Json& meta = live.value("metadata", Json::object());
  return key + meta.value("uid", "") + "/" + meta.value("resourceVersion", "");
}

}  // namespace

ServerSidePredictor::ServerSidePredictor(std::shared_ptr<kube::Client> client, std::string field_manager,
                                         size_t capacity)
    : client_(std::move(client)), field_manager_(std::move(field_manager)), capacity_(std::max<size_t>(1, capacity)) {}

Result<Json> ServerSidePredictor::predict(const Json& desired, const Json& live) {
  const std::string key = cache_key(desired, live);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = by_key_.find(key); it != by_key_.end()) {
      recent_.splice(recent_.begin(), recent_, it->second);
      return *it->second->second;
    }
    ++requests_;
  }
  auto predicted = client_->apply(desired, {field_manager_, /*force=*/true, /*dry_run=*/true});
  if (!predicted.ok()) return predicted.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (by_key_.count(key)) return *predicted;  // another thread stored it meanwhile
  recent_.emplace_front(key, std::make_shared<const Json>(*predicted));
  by_key_[key] = recent_.begin();
  while (recent_.size() > capacity_) {
    by_key_.erase(recent_.back().first);
    recent_.pop_back();
  }
  return *predicted;
}

uint64_t ServerSidePredictor::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

}  // namespace ferry::reconciler
