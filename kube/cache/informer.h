// Informer: a live, lean copy of one kind's objects (optionally only those matching a label
// selector), kept by LIST then WATCH from the list's resourceVersion. A watch that ends is resumed
// from the last version seen (bookmarks keep it fresh); 410 Gone or repeated failures relist, and
// a relist reports what changed while the watch was down. Objects are stored as compact JSON text
// in one allocation each (kube/cache/object_store.h, about their raw size) and parsed on read,
// because a watch cache of parsed documents is where GitOps controllers spend their memory.
// Thread-safe: readers may call from any thread while the informer's own thread updates it.
// Callbacks run on that thread, outside the informer's lock, in event order.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kube/cache/object_store.h"
#include "kube/client/cancellation.h"
#include "kube/client/client.h"

namespace ferry::kube {

// Identity of one object: group ("" for core), kind, namespace ("" when cluster-scoped), name.
struct ObjectKey {
  std::string group, kind, namespace_, name;
  static ObjectKey of(const Json& object);
  std::string to_string() const;  // "apps/Deployment/default/web"
  auto operator<=>(const ObjectKey&) const = default;
};

enum class ChangeType { kAdded, kModified, kDeleted };

// One change seen by a cache. `object` is the new state, or the last known one for kDeleted.
struct Change {
  ChangeType type;
  ObjectKey key;
  const Json& object;
};
using ChangeCallback = std::function<void(const Change&)>;

struct InformerOptions {
  std::string label_selector;           // "" = every object of the kind
  std::string namespace_;               // "" = all namespaces
  std::string index_label = "ferry.dev/app";  // objects are indexed by this label's value
  int page_size = 500;
  int watch_timeout_seconds = 300;      // each watch asks for this, stretched by up to 2x at random
  std::chrono::milliseconds backoff_base = std::chrono::milliseconds(100);
  std::chrono::milliseconds backoff_max = std::chrono::seconds(10);
  int failures_before_relist = 3;       // failed watches in a row before a full relist
};

class Informer {
 public:
  // `resource` names the kind (from Client::resource_for). Nothing runs until start().
  Informer(std::shared_ptr<Client> client, ResourceInfo resource, InformerOptions options = {});
  ~Informer();  // stops
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Callbacks must be added before start().
  void add_callback(ChangeCallback callback);
  void start();
  // Ends the watch at once (the connection is dropped) and joins the thread. Idempotent.
  void stop();
  // True once the first LIST has been stored. wait_synced gives up after `timeout`.
  bool synced() const;
  bool wait_synced(std::chrono::milliseconds timeout) const;

  std::optional<Json> get(const std::string& namespace_, const std::string& name) const;
  std::vector<Json> list(const std::string& namespace_ = "") const;
  // (name, resourceVersion) of each object, by name; parses nothing, so a caller keeping its own
  // form of the objects can tell which changed.
  std::vector<std::pair<std::string, std::string>> versions(const std::string& namespace_) const;
  // Objects whose index label has this value.
  std::vector<Json> with_label(const std::string& value) const;
  std::vector<std::string> names_with_label(const std::string& value) const;  // "ns/name"

  const ResourceInfo& resource() const { return resource_; }
  size_t size() const;
  // Bytes held for the objects themselves (their JSON text, keys and record headers).
  size_t stored_bytes() const;
  std::string resource_version() const;
  uint64_t lists() const { return lists_; }  // full LISTs done so far (1 after the first sync)
  Status last_error() const;

 private:
  void run();
  bool relist();                       // false when it failed (error recorded)
  Status watch_once();                 // one watch from version_
  void upsert(const Json& object);     // an ADDED/MODIFIED event
  void erase(const Json& object);      // a DELETED event
  void notify(ChangeType type, std::string_view key, const Json& object);
  void notify_relisted(const ObjectStore& before);  // what a relist changed, against `before`
  bool sleep_for(std::chrono::milliseconds delay);  // false when stopped meanwhile
  void set_error(Status status);
  std::string key_of(const Json& object) const;
  ObjectKey object_key(std::string_view key) const;
  StoredObject::Ptr store_form(const Json& object) const;  // `object` as the cache keeps it

  std::shared_ptr<Client> client_;
  const ResourceInfo resource_;
  const InformerOptions options_;
  std::vector<ChangeCallback> callbacks_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  // By "ns/name" and by index label. Guarded by mu_ for readers; only the informer's own thread
  // writes it, so that thread may read it without the lock.
  ObjectStore objects_;
  std::string version_;                                          // last resourceVersion; guarded
  Status error_;                                                 // guarded by mu_
  bool synced_ = false;                                          // guarded by mu_
  bool stopping_ = false;                                        // guarded by mu_

  std::atomic<uint64_t> lists_{0};
  Cancellation cancel_;  // cancelled by stop(): ends the watch in flight and every later one
  std::thread thread_;
};

}  // namespace ferry::kube
