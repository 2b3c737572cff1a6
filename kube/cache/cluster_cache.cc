#include "kube/cache/cluster_cache.h"

namespace ferry::kube {

ClusterCache::ClusterCache(std::shared_ptr<Client> client, CacheOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

ClusterCache::~ClusterCache() { stop(); }

void ClusterCache::on_change(ChangeCallback callback) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<std::vector<ChangeCallback>>(*callbacks_);
  next->push_back(std::move(callback));
  callbacks_ = std::move(next);
}

void ClusterCache::dispatch(const Change& change) {
  std::shared_ptr<std::vector<ChangeCallback>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    callbacks = callbacks_;
  }
  for (const auto& callback : *callbacks) callback(change);
}

Status ClusterCache::watch_kind(const std::string& api_version, const std::string& kind) {
  auto resource = client_->resource_for(api_version, kind);
  if (!resource.ok()) return resource.status();
  std::shared_ptr<Informer> started;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = informers_[{resource->group, resource->kind}];
    if (slot) return Status::Ok();
    InformerOptions informer_options;
    informer_options.label_selector = options_.label_selector;
    informer_options.index_label = options_.index_label;
    informer_options.namespace_ = resource->namespaced ? options_.namespace_ : "";
    informer_options.page_size = options_.page_size;
    informer_options.watch_timeout_seconds = options_.watch_timeout_seconds;
    slot = std::make_shared<Informer>(client_, *resource, informer_options);
    slot->add_callback([this](const Change& change) { dispatch(change); });
    started = slot;
  }
  started->start();
  return Status::Ok();
}

bool ClusterCache::watching(const std::string& group, const std::string& kind) const {
  return informer(group, kind) != nullptr;
}

bool ClusterCache::wait_synced(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& informer : informers()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!informer->wait_synced(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

void ClusterCache::stop() {
  for (const auto& informer : informers()) informer->stop();
}

std::shared_ptr<Informer> ClusterCache::informer(const std::string& group, const std::string& kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = informers_.find({group, kind});
  return it == informers_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Informer>> ClusterCache::informers() const {
  std::vector<std::shared_ptr<Informer>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, informer] : informers_) out.push_back(informer);
  return out;
}

std::optional<Json> ClusterCache::get(const ObjectKey& key) const {
  auto found = informer(key.group, key.kind);
  if (!found) return std::nullopt;
  return found->get(found->resource().namespaced ? key.namespace_ : "", key.name);
}

std::vector<Json> ClusterCache::with_label(const std::string& value) const {
  std::vector<Json> out;
  for (const auto& informer : informers()) {
    for (auto& object : informer->with_label(value)) out.push_back(std::move(object));
  }
  return out;
}

std::vector<ObjectKey> ClusterCache::keys_with_label(const std::string& value) const {
  std::vector<ObjectKey> out;
  for (const auto& informer : informers()) {
    for (const auto& name : informer->names_with_label(value)) {
      auto slash = name.find('/');
      out.push_back({informer->resource().group, informer->resource().kind, name.substr(0, slash),
                     name.substr(slash + 1)});
    }
  }
  return out;
}

std::vector<Json> ClusterCache::list(const std::string& group, const std::string& kind,
                                     const std::string& namespace_) const {
  auto found = informer(group, kind);
  return found ? found->list(namespace_) : std::vector<Json>{};
}

size_t ClusterCache::size() const {
  size_t n = 0;
  for (const auto& informer : informers()) n += informer->size();
  return n;
}

size_t ClusterCache::stored_bytes() const {
  size_t n = 0;
  for (const auto& informer : informers()) n += informer->stored_bytes();
  return n;
}

std::vector<std::string> ClusterCache::errors() const {
  std::vector<std::string> out;
  for (const auto& informer : informers()) {
    Status error = informer->last_error();
    if (!error.ok()) {
      out.push_back((informer->resource().group.empty() ? "core" : informer->resource().group) + "/" +
                    informer->resource().kind + ": " + error.to_string());
    }
  }
  return out;
}

}  // namespace ferry::kube
