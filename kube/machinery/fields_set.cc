#include "kube/machinery/fields_set.h"

#include <utility>

namespace ferry::kube {
namespace {

constexpr std::string_view kSelf = ".";

// Go's value.ToString as conflict messages print values: strings quoted, the rest as JSON.
std::string value_to_string(const nlohmann::json& value) { return value.dump(); }

}  // namespace

FieldSet FieldSet::from_fields_v1(const nlohmann::json& fields_v1) {
  FieldSet set;
  if (!fields_v1.is_object()) return set;
  for (const auto& [element, sub] : fields_v1.items()) {
    if (element == kSelf) {
      set.member_ = true;
      continue;
    }
    FieldSet child = from_fields_v1(sub);
    // "f:image": {} is a leaf member; a non-empty object is a member only with ".".
    if (sub.is_object() && sub.empty()) child.member_ = true;
    set.adopt(element, std::move(child));
  }
  return set;
}

nlohmann::json FieldSet::to_fields_v1() const {
  nlohmann::json out = nlohmann::json::object();
  if (member_ && !children_.empty()) out[std::string(kSelf)] = nlohmann::json::object();
  for (const auto& [element, child] : children_) out[element] = child.to_fields_v1();
  return out;
}

const FieldSet* FieldSet::find(std::string_view element) const {
  auto it = children_.find(element);
  return it == children_.end() ? nullptr : &it->second;
}

FieldSet* FieldSet::find(std::string_view element) {
  auto it = children_.find(element);
  return it == children_.end() ? nullptr : &it->second;
}

FieldSet& FieldSet::child(std::string_view element) {
  auto it = children_.find(element);
  if (it != children_.end()) return it->second;
  return children_.emplace(std::string(element), FieldSet()).first->second;
}

void FieldSet::adopt(std::string_view element, FieldSet&& child) {
  if (child.empty()) return;
  auto it = children_.find(element);
  if (it == children_.end()) {
    children_.emplace(std::string(element), std::move(child));
  } else {
    it->second.unite(child);
  }
}

void FieldSet::erase(std::string_view element) {
  auto it = children_.find(element);
  if (it != children_.end()) children_.erase(it);
}

const FieldSet* FieldSet::find_path(std::span<const std::string> elements) const {
  const FieldSet* node = this;
  for (const std::string& element : elements) {
    node = node->find(element);
    if (node == nullptr) return nullptr;
  }
  return node;
}

void FieldSet::insert_path(std::span<const std::string> elements) {
  FieldSet* node = this;
  for (const std::string& element : elements) node = &node->child(element);
  node->member_ = true;
}

void FieldSet::remove_path(std::span<const std::string> elements) {
  // Walk down remembering the way, then clear and prune empty nodes on the way back up.
  std::vector<FieldSet*> nodes{this};
  for (const std::string& element : elements) {
    FieldSet* next = nodes.back()->find(element);
    if (next == nullptr) return;
    nodes.push_back(next);
  }
  nodes.back()->member_ = false;
  for (size_t i = elements.size(); i > 0; --i) {
    if (!nodes[i]->empty()) break;
    nodes[i - 1]->erase(elements[i - 1]);
  }
}

void FieldSet::unite(const FieldSet& other) {
  member_ = member_ || other.member_;
  for (const auto& [element, sub] : other.children_) {
    auto it = children_.find(element);
    if (it == children_.end()) {
      children_.emplace(element, sub);
    } else {
      it->second.unite(sub);
    }
  }
}

void FieldSet::subtract(const FieldSet& other) {
  if (other.member_) member_ = false;
  for (const auto& [element, sub] : other.children_) {
    auto it = children_.find(element);
    if (it == children_.end()) continue;
    it->second.subtract(sub);
    if (it->second.empty()) children_.erase(it);
  }
}

void FieldSet::subtract_subtrees(const FieldSet& other) {
  for (const auto& [element, sub] : other.children_) {
    auto it = children_.find(element);
    if (it == children_.end()) continue;
    if (sub.member_) {
      children_.erase(it);
      continue;
    }
    it->second.subtract_subtrees(sub);
    if (it->second.empty()) children_.erase(it);
  }
}

void FieldSet::for_each_member(const std::function<void(const std::vector<std::string_view>&)>& visit) const {
  std::vector<std::string_view> prefix;
  for_each_member_below(prefix, visit);
}

void FieldSet::for_each_member_below(
    std::vector<std::string_view>& prefix,
    const std::function<void(const std::vector<std::string_view>&)>& visit) const {
  for (const auto& [element, sub] : children_) {
    if (!sub.member_) continue;
    prefix.push_back(element);
    visit(prefix);
    prefix.pop_back();
  }
  for (const auto& [element, sub] : children_) {
    if (sub.children_.empty()) continue;
    prefix.push_back(element);
    sub.for_each_member_below(prefix, visit);
    prefix.pop_back();
  }
}

size_t FieldSet::member_count() const {
  size_t count = member_ ? 1 : 0;
  for (const auto& [element, sub] : children_) count += sub.member_count();
  return count;
}

std::string field_element(std::string_view name) {
  std::string element;
  element.reserve(name.size() + 2);
  element.append("f:").append(name);
  return element;
}

std::string key_element(const nlohmann::json& key_fields) { return "k:" + key_fields.dump(); }

std::string value_element(const nlohmann::json& value) { return "v:" + value.dump(); }

std::string index_element(size_t index) { return "i:" + std::to_string(index); }

std::string element_to_string(std::string_view element) {
  if (element.size() < 2 || element[1] != ':') return std::string(element);
  std::string_view body = element.substr(2);
  switch (element[0]) {
    case 'f':
      return "." + std::string(body);
    case 'i':
      return "[" + std::string(body) + "]";
    case 'v': {
      auto value = nlohmann::json::parse(body, nullptr, false);
      return "[=" + (value.is_discarded() ? std::string(body) : value_to_string(value)) + "]";
    }
    case 'k': {
      auto keys = nlohmann::json::parse(body, nullptr, false);
      if (!keys.is_object()) return "[" + std::string(body) + "]";
      std::string out = "[";
      bool first = true;
      for (const auto& [name, value] : keys.items()) {
        if (!first) out += ",";
        first = false;
        out += name + "=" + value_to_string(value);
      }
      return out + "]";
    }
    default:
      return std::string(element);
  }
}

std::string path_to_string(std::span<const std::string> elements) {
  std::string out;
  for (const std::string& element : elements) out += element_to_string(element);
  return out;
}

std::string path_to_string(std::span<const std::string_view> elements) {
  std::string out;
  for (std::string_view element : elements) out += element_to_string(element);
  return out;
}

}  // namespace ferry::kube
