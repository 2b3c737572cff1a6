// ClusterCache: the live objects Ferry manages, across kinds. One Informer per watched kind,
// all with the same label selector (by default: objects carrying the `ferry.dev/app` label), so
// memory grows with what apps manage, not with the cluster. Lookups by identity and by the value
// of the tracking label; change callbacks for every kind.
// Thread-safe. Callbacks run on informer threads (one per kind), outside any cache lock.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kube/cache/informer.h"
#include "kube/client/client.h"

namespace ferry::kube {

struct CacheOptions {
  std::string label_selector = "ferry.dev/app";  // "" watches every object of each kind
  std::string index_label = "ferry.dev/app";
  std::string namespace_;  // "" = all namespaces
  int page_size = 500;
  int watch_timeout_seconds = 300;
};

class ClusterCache {
 public:
  ClusterCache(std::shared_ptr<Client> client, CacheOptions options = {});
  ~ClusterCache();  // stops every informer
  ClusterCache(const ClusterCache&) = delete;
  ClusterCache& operator=(const ClusterCache&) = delete;

  // Callbacks added later see only later changes.
  void on_change(ChangeCallback callback);
  // Starts watching apiVersion+kind (discovery resolves it). Idempotent; NotFound when the
  // server serves no such kind. Does not wait for the first LIST: see wait_synced.
  Status watch_kind(const std::string& api_version, const std::string& kind);
  bool watching(const std::string& group, const std::string& kind) const;
  // True when every watched kind has listed once, within `timeout`.
  bool wait_synced(std::chrono::milliseconds timeout) const;
  void stop();

  std::optional<Json> get(const ObjectKey& key) const;
  // Every cached object whose index label equals `value`, across kinds.
  std::vector<Json> with_label(const std::string& value) const;
  std::vector<ObjectKey> keys_with_label(const std::string& value) const;
  std::vector<Json> list(const std::string& group, const std::string& kind, const std::string& namespace_ = "") const;

  size_t size() const;
  size_t stored_bytes() const;
  // Errors of informers currently failing, as "group/kind: message".
  std::vector<std::string> errors() const;

 private:
  std::shared_ptr<Informer> informer(const std::string& group, const std::string& kind) const;
  std::vector<std::shared_ptr<Informer>> informers() const;
  void dispatch(const Change& change);

  std::shared_ptr<Client> client_;
  const CacheOptions options_;

  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Informer>> informers_;  // by group, kind
  std::shared_ptr<std::vector<ChangeCallback>> callbacks_ =
      std::make_shared<std::vector<ChangeCallback>>();  // copy-on-write; guarded by mu_
};

}  // namespace ferry::kube
