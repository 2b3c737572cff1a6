// The simulator's storage, playing etcd's part: objects by (storage key, namespace, name), one
// global resourceVersion counter, a bounded history of change events for watches (a watch from
// a version older than the history gets 410 Gone), and an index of owner references for
// garbage collection. Objects are immutable once stored (shared_ptr<const Json>).
// Thread-safe: any thread may call any method; sinks are called with the store locked and must
// not call back into the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "apis/types/status.h"

namespace ferry::kube::sim {

using Json = nlohmann::json;
using ObjectPtr = std::shared_ptr<const Json>;

struct ObjectKey {
  std::string storage;  // "apps/deployments"
  std::string ns;       // "" for cluster-scoped
  std::string name;
  auto operator<=>(const ObjectKey&) const = default;
};

struct WatchEvent {
  uint64_t resource_version = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string storage;
  ObjectPtr object;
};

// Receives events for one storage key; returns false when it wants no more (it is removed).
using WatchSink = std::function<bool(const WatchEvent&)>;

class ObjectStore {
 public:
  explicit ObjectStore(size_t history_limit = 20000);

  ObjectPtr get(const ObjectKey& key) const;

  struct ListOptions {
    std::string ns;                 // empty: all namespaces
    std::string after_name_key;     // continue from after this "ns/name" key
    size_t limit = 0;               // 0: no limit
    std::function<bool(const Json&)> filter;
  };
  struct ListResult {
    std::vector<ObjectPtr> items;
    uint64_t resource_version = 0;  // the store's version at the time of the list
    std::string last_key;           // for continue tokens when more remain
    size_t remaining = 0;
  };
  ListResult list(const std::string& storage, const ListOptions& options) const;

  // Compare-and-swap write. `compute` gets the current object (or null) and the version the new
  // object will carry; it returns the new object (null deletes) or an error. It runs without the
  // lock and is retried if the object changed meanwhile, so it must be a pure function of its
  // inputs. Returns the stored object (or the deleted one for deletions).
  using Compute = std::function<Result<ObjectPtr>(const ObjectPtr& current, uint64_t next_version)>;
  Result<ObjectPtr> mutate(const ObjectKey& key, const Compute& compute);

  // Registers a watch on `storage`. resource_version 0 means "now": the current objects that
  // `initial_filter` accepts are sent as ADDED first. Otherwise events after that version are
  // replayed; Gone when the history no longer reaches back that far.
  Status watch(const std::string& storage, uint64_t resource_version,
               const std::function<bool(const Json&)>& initial_filter, WatchSink sink);

  uint64_t current_version() const;
  // Forgets the watch history (fault injection: every resumed watch gets 410).
  void expire_history();
  // Drops every watch sink (fault injection: streams cut); returns how many.
  size_t drop_watches();
  size_t watch_count() const;
  // Sends a BOOKMARK event carrying the current version to every watch (sinks that did not ask
  // for bookmarks ignore it); also lets sinks notice their deadline.
  void bookmark();

  // Keys of objects whose ownerReferences name this uid.
  std::vector<ObjectKey> dependents_of(const std::string& uid) const;
  bool uid_exists(const std::string& uid) const;
  // Object counts by storage key.
  std::map<std::string, size_t> counts() const;
  // Every key in a namespace (all storage keys).
  std::vector<ObjectKey> keys_in_namespace(const std::string& ns) const;

 private:
  static std::string name_key(const std::string& ns, const std::string& name) { return ns + "/" + name; }
  void index_owners(const ObjectKey& key, const ObjectPtr& before, const ObjectPtr& after);

  mutable std::shared_mutex mutex_;
  uint64_t version_ = 1;
  std::unordered_map<std::string, std::map<std::string, ObjectPtr>> objects_;
  std::vector<WatchEvent> history_;  // ring buffer
  size_t history_head_ = 0;          // index of the oldest event when full
  size_t history_limit_;
  uint64_t compacted_version_ = 0;   // newest version no longer in the history
  std::unordered_map<std::string, std::vector<WatchSink>> sinks_;
  std::unordered_map<std::string, std::set<ObjectKey>> dependents_;
  std::unordered_map<std::string, ObjectKey> uids_;
};

}  // namespace ferry::kube::sim
