#include "kube/sim/object_store.h"

#include <mutex>

namespace ferry::kube::sim {
namespace {

std::vector<std::string> owner_uids(const ObjectPtr& object) {
  std::vector<std::string> uids;
  if (!object) return uids;
  auto meta = object->find("metadata");
  if (meta == object->end()) return uids;
  auto refs = meta->find("ownerReferences");
  if (refs == meta->end() || !refs->is_array()) return uids;
  for (const auto& ref : *refs) uids.push_back(ref.value("uid", ""));
  return uids;
}

std::string uid_of(const ObjectPtr& object) {
  if (!object) return "";
  auto meta = object->find("metadata");
  if (meta == object->end()) return "";
  return meta->value("uid", "");
}

}  // namespace

ObjectStore::ObjectStore(size_t history_limit) : history_limit_(std::max<size_t>(history_limit, 16)) {
  history_.reserve(history_limit_);
}

ObjectPtr ObjectStore::get(const ObjectKey& key) const {
  std::shared_lock lock(mutex_);
  auto bucket = objects_.find(key.storage);
  if (bucket == objects_.end()) return nullptr;
  auto it = bucket->second.find(name_key(key.ns, key.name));
  return it == bucket->second.end() ? nullptr : it->second;
}

ObjectStore::ListResult ObjectStore::list(const std::string& storage, const ListOptions& options) const {
  std::shared_lock lock(mutex_);
  ListResult result;
  result.resource_version = version_;
  auto bucket = objects_.find(storage);
  if (bucket == objects_.end()) return result;
  const auto& objects = bucket->second;
  std::string prefix = options.ns.empty() ? "" : options.ns + "/";
  auto it = options.after_name_key.empty() ? objects.lower_bound(prefix) : objects.upper_bound(options.after_name_key);
  for (; it != objects.end(); ++it) {
    if (!prefix.empty() && it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (options.filter && !options.filter(*it->second)) continue;
    if (options.limit > 0 && result.items.size() == options.limit) {
      // Count what remains so clients can show progress (remainingItemCount).
      for (auto rest = it; rest != objects.end(); ++rest) {
        if (!prefix.empty() && rest->first.compare(0, prefix.size(), prefix) != 0) break;
        if (!options.filter || options.filter(*rest->second)) ++result.remaining;
      }
      break;
    }
    result.items.push_back(it->second);
    result.last_key = it->first;
  }
  if (result.remaining == 0) result.last_key.clear();
  return result;
}

Result<ObjectPtr> ObjectStore::mutate(const ObjectKey& key, const Compute& compute) {
  for (int attempt = 0;; ++attempt) {
    ObjectPtr current;
    uint64_t next;
    {
      std::shared_lock lock(mutex_);
      auto bucket = objects_.find(key.storage);
      if (bucket != objects_.end()) {
        auto it = bucket->second.find(name_key(key.ns, key.name));
        if (it != bucket->second.end()) current = it->second;
      }
      next = version_ + 1;
    }
    auto computed = compute(current, next);
    if (!computed.ok()) return computed.status();
    ObjectPtr updated = *computed;
    if (updated && updated == current) return current;  // nothing to write

    std::unique_lock lock(mutex_);
    auto& bucket = objects_[key.storage];
    auto it = bucket.find(name_key(key.ns, key.name));
    ObjectPtr now = it == bucket.end() ? nullptr : it->second;
    if (now != current || version_ + 1 != next) {
      if (attempt < 64) continue;  // someone else wrote first: recompute on the new state
      return Status::Conflict("too many concurrent writes to " + key.name);
    }
    if (!updated && !current) return ObjectPtr();  // deleting nothing
    version_ = next;
    WatchEvent event;
    event.resource_version = next;
    event.storage = key.storage;
    if (!updated) {
      event.type = "DELETED";
      // The DELETED event carries the last state with the deletion's version.
      auto last = std::make_shared<Json>(*current);
      (*last)["metadata"]["resourceVersion"] = std::to_string(next);
      event.object = last;
      bucket.erase(it);
      uids_.erase(uid_of(current));
    } else {
      event.type = current ? "MODIFIED" : "ADDED";
      event.object = updated;
      bucket.insert_or_assign(name_key(key.ns, key.name), updated);
      uids_[uid_of(updated)] = key;
    }
    index_owners(key, current, updated);

    if (history_.size() < history_limit_) {
      history_.push_back(event);
    } else {
      compacted_version_ = history_[history_head_].resource_version;
      history_[history_head_] = event;
      history_head_ = (history_head_ + 1) % history_limit_;
    }
    auto sinks = sinks_.find(key.storage);
    if (sinks != sinks_.end()) {
      std::erase_if(sinks->second, [&](WatchSink& sink) { return !sink(event); });
    }
    return updated ? updated : event.object;
  }
}

Status ObjectStore::watch(const std::string& storage, uint64_t resource_version,
                          const std::function<bool(const Json&)>& initial_filter, WatchSink sink) {
  std::unique_lock lock(mutex_);
  if (resource_version == 0) {
    auto bucket = objects_.find(storage);
    if (bucket != objects_.end()) {
      for (const auto& [name, object] : bucket->second) {
        if (initial_filter && !initial_filter(*object)) continue;
        WatchEvent e{std::stoull(object->at("metadata").value("resourceVersion", "0")), "ADDED", storage, object};
        if (!sink(e)) return Status::Ok();
      }
    }
  } else {
    if (resource_version < compacted_version_) {
      return Status(Reason::kGone, "too old resource version: " + std::to_string(resource_version) + " (" +
                                       std::to_string(compacted_version_ + 1) + ")");
    }
    size_t n = history_.size();
    for (size_t i = 0; i < n; ++i) {
      const WatchEvent& e = history_[(history_head_ + i) % n];
      if (e.resource_version <= resource_version || e.storage != storage) continue;
      if (!sink(e)) return Status::Ok();
    }
  }
  sinks_[storage].push_back(std::move(sink));
  return Status::Ok();
}

uint64_t ObjectStore::current_version() const {
  std::shared_lock lock(mutex_);
  return version_;
}

void ObjectStore::expire_history() {
  std::unique_lock lock(mutex_);
  compacted_version_ = version_;
  history_.clear();
  history_head_ = 0;
}

size_t ObjectStore::drop_watches() {
  std::unique_lock lock(mutex_);
  size_t n = 0;
  for (auto& [storage, sinks] : sinks_) {
    n += sinks.size();
    WatchEvent close_event;
    close_event.type = "CLOSE";
    for (auto& sink : sinks) sink(close_event);
    sinks.clear();
  }
  return n;
}

void ObjectStore::bookmark() {
  std::unique_lock lock(mutex_);
  for (auto& [storage, sinks] : sinks_) {
    WatchEvent event;
    event.type = "BOOKMARK";
    event.storage = storage;
    event.resource_version = version_;
    std::erase_if(sinks, [&](WatchSink& sink) { return !sink(event); });
  }
}

size_t ObjectStore::watch_count() const {
  std::shared_lock lock(mutex_);
  size_t n = 0;
  for (const auto& [storage, sinks] : sinks_) n += sinks.size();
  return n;
}

void ObjectStore::index_owners(const ObjectKey& key, const ObjectPtr& before, const ObjectPtr& after) {
  for (const auto& uid : owner_uids(before)) {
    auto it = dependents_.find(uid);
    if (it == dependents_.end()) continue;
    it->second.erase(key);
    if (it->second.empty()) dependents_.erase(it);
  }
  for (const auto& uid : owner_uids(after)) dependents_[uid].insert(key);
}

std::vector<ObjectKey> ObjectStore::dependents_of(const std::string& uid) const {
  std::shared_lock lock(mutex_);
  auto it = dependents_.find(uid);
  if (it == dependents_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

bool ObjectStore::uid_exists(const std::string& uid) const {
  std::shared_lock lock(mutex_);
  return uids_.count(uid) > 0;
}

std::map<std::string, size_t> ObjectStore::counts() const {
  std::shared_lock lock(mutex_);
  std::map<std::string, size_t> counts;
  for (const auto& [storage, objects] : objects_) {
    if (!objects.empty()) counts[storage] = objects.size();
  }
  return counts;
}

std::vector<ObjectKey> ObjectStore::keys_in_namespace(const std::string& ns) const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectKey> keys;
  std::string prefix = ns + "/";
  for (const auto& [storage, objects] : objects_) {
    for (auto it = objects.lower_bound(prefix); it != objects.end() && it->first.starts_with(prefix); ++it) {
      keys.push_back({storage, ns, it->first.substr(prefix.size())});
    }
  }
  return keys;
}

}  // namespace ferry::kube::sim
