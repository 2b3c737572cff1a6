// ObjectStore: the objects an Informer holds, each kept as ONE allocation (StoredObject: its key,
// index-label value, resourceVersion and compact JSON text packed behind a 16-byte header), in a
// set ordered by key and a set ordered by (label, key). Both sets hold pointers into the records,
// so an object costs its text plus two tree nodes, not a map of strings per field (issue #3: the
// cache must stay within 2.5x the objects' raw JSON bytes).
// Not thread-safe: the Informer guards it.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string_view>
#include <utility>

namespace ferry::kube {

class StoredObject {
 public:
  struct Free {
    void operator()(const StoredObject* object) const;
  };
  using Ptr = std::unique_ptr<const StoredObject, Free>;

  // `key` is "namespace/name" ("/name" when cluster-scoped); `label` the index label's value or "".
  static Ptr make(std::string_view key, std::string_view label, std::string_view version, std::string_view json);

  std::string_view key() const { return {text(), key_size_}; }
  std::string_view label() const { return {text() + key_size_, label_size_}; }
  std::string_view version() const { return {text() + key_size_ + label_size_, version_size_}; }
  std::string_view json() const { return {text() + key_size_ + label_size_ + version_size_, json_size_}; }
  size_t bytes() const;  // the whole allocation: header and text

 private:
  StoredObject() = default;
  const char* text() const { return reinterpret_cast<const char*>(this + 1); }

  // 32-bit sizes keep the header at 16 bytes; Kubernetes objects are at most a few MiB.
  uint32_t key_size_ = 0, label_size_ = 0, version_size_ = 0, json_size_ = 0;
};

class ObjectStore {
 public:
  ObjectStore() = default;
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // Stores `object`, replacing any under the same key; returns the replaced one (null when new).
  StoredObject::Ptr put(StoredObject::Ptr object);
  // Removes the object under `key`; returns it (null when absent).
  StoredObject::Ptr erase(std::string_view key);
  const StoredObject* find(std::string_view key) const;
  void swap(ObjectStore& other) noexcept;

  size_t size() const { return by_key_.size(); }
  size_t bytes() const { return bytes_; }  // sum of StoredObject::bytes()

  // Calls visit(const StoredObject&) for each object whose key starts with `prefix`, in key order.
  template <typename Visit>
  void for_each_with_prefix(std::string_view prefix, Visit visit) const {
    for (auto it = by_key_.lower_bound(prefix); it != by_key_.end() && (*it)->key().starts_with(prefix); ++it) {
      visit(**it);
    }
  }
  // Calls visit(const StoredObject&) for each object whose label is `label` (not ""), in key order.
  template <typename Visit>
  void for_each_with_label(std::string_view label, Visit visit) const {
    if (label.empty()) return;
    for (auto it = by_label_.lower_bound(LabelKey{label, {}}); it != by_label_.end() && (*it)->label() == label; ++it) {
      visit(**it);
    }
  }

 private:
  using LabelKey = std::pair<std::string_view, std::string_view>;
  // Transparent orders, so lookups take views and build no record or string.
  struct ByKey {
    using is_transparent = void;
    static std::string_view key(const StoredObject::Ptr& object) { return object->key(); }
    static std::string_view key(std::string_view key) { return key; }
    bool operator()(const auto& a, const auto& b) const { return key(a) < key(b); }
  };
  struct ByLabel {
    using is_transparent = void;
    static LabelKey key(const StoredObject* object) { return {object->label(), object->key()}; }
    static LabelKey key(const LabelKey& key) { return key; }
    bool operator()(const auto& a, const auto& b) const { return key(a) < key(b); }
  };

  void index(const StoredObject* object);
  void unindex(const StoredObject* object);

  std::set<StoredObject::Ptr, ByKey> by_key_;          // owns the objects
  std::set<const StoredObject*, ByLabel> by_label_;    // the objects with a label
  size_t bytes_ = 0;
};

}  // namespace ferry::kube
