#include "kube/cache/object_store.h"

#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

namespace ferry::kube {
namespace {

uint32_t checked_size(std::string_view text) {
  if (text.size() > std::numeric_limits<uint32_t>::max()) throw std::length_error("object too large to cache");
  return static_cast<uint32_t>(text.size());
}

}  // namespace

void StoredObject::Free::operator()(const StoredObject* object) const {
  ::operator delete(const_cast<StoredObject*>(object));  // the header is trivially destructible
}

StoredObject::Ptr StoredObject::make(std::string_view key, std::string_view label, std::string_view version,
                                     std::string_view json) {
  StoredObject header;
  header.key_size_ = checked_size(key);
  header.label_size_ = checked_size(label);
  header.version_size_ = checked_size(version);
  header.json_size_ = checked_size(json);
  auto* object = new (::operator new(header.bytes())) StoredObject(header);
  char* out = reinterpret_cast<char*>(object + 1);
  for (std::string_view part : {key, label, version, json}) {
    if (part.empty()) continue;  // an empty view may carry a null pointer, which memcpy must not get
    std::memcpy(out, part.data(), part.size());
    out += part.size();
  }
  return Ptr(object);
}

size_t StoredObject::bytes() const {
  return sizeof(StoredObject) + size_t{key_size_} + label_size_ + version_size_ + json_size_;
}

StoredObject::Ptr ObjectStore::put(StoredObject::Ptr object) {
  auto it = by_key_.lower_bound(object->key());
  if (it == by_key_.end() || (*it)->key() != object->key()) {
    const StoredObject* added = object.get();
    by_key_.insert(it, std::move(object));  // one descent of the tree, not two
    bytes_ += added->bytes();
    index(added);
    return nullptr;
  }
  // Reuse the tree node: swap the new object in, hand the old one back.
  auto node = by_key_.extract(it);
  unindex(node.value().get());
  bytes_ -= node.value()->bytes();
  std::swap(node.value(), object);
  const StoredObject* added = node.value().get();
  by_key_.insert(std::move(node));
  bytes_ += added->bytes();
  index(added);
  return object;
}

StoredObject::Ptr ObjectStore::erase(std::string_view key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  auto node = by_key_.extract(it);
  unindex(node.value().get());
  bytes_ -= node.value()->bytes();
  return std::move(node.value());
}

const StoredObject* ObjectStore::find(std::string_view key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->get();
}

void ObjectStore::swap(ObjectStore& other) noexcept {
  by_key_.swap(other.by_key_);
  by_label_.swap(other.by_label_);
  std::swap(bytes_, other.bytes_);
}

void ObjectStore::index(const StoredObject* object) {
  if (!object->label().empty()) by_label_.insert(object);
}

void ObjectStore::unindex(const StoredObject* object) {
  if (!object->label().empty()) by_label_.erase(object);
}

}  // namespace ferry::kube
