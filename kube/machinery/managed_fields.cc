#include "kube/machinery/managed_fields.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kube/machinery/fields_set.h"
#include "kube/machinery/schema.h"

namespace ferry::kube {
namespace {

using json = nlohmann::json;

constexpr std::string_view kApply = "Apply";
constexpr std::string_view kUpdate = "Update";
constexpr std::string_view kFieldsV1 = "FieldsV1";
constexpr std::string_view kStatus = "status";
constexpr size_t kNone = static_cast<size_t>(-1);

// Where a map sits: the root and the object's metadata carry fields nobody owns.
enum class Level { kRoot, kMetadata, kOther };

Level child_level(Level level, std::string_view key) {
  return level == Level::kRoot && key == "metadata" ? Level::kMetadata : Level::kOther;
}

// Fields the server sets itself; an applied configuration can neither own nor change them.
bool is_server_set_metadata(std::string_view key) {
  return key == "uid" || key == "resourceVersion" || key == "generation" || key == "creationTimestamp" ||
         key == "deletionTimestamp" || key == "selfLink" || key == "managedFields" || key == "clusterName";
}

// Kubernetes' strip set: identity and server-set fields are never recorded as owned.
bool is_unowned(Level level, std::string_view key) {
  if (level == Level::kRoot) return key == "apiVersion" || key == "kind";
  if (level == Level::kMetadata) return key == "name" || key == "namespace" || is_server_set_metadata(key);
  return false;
}

// The status subresource only ever touches `status`; the main resource touches everything
// (stripping `status` for kinds with a status subresource is the caller's job).
bool outside_subresource(Level level, std::string_view key, std::string_view subresource) {
  return level == Level::kRoot && subresource == kStatus && key != kStatus;
}

const json* find_key(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// The "k:" element of a map-list item; nullopt when a key field is missing and has no default.
std::optional<std::string> map_item_element(const json& item, const std::vector<std::string>& keys) {
  if (!item.is_object()) return std::nullopt;
  json fields = json::object();
  for (const std::string& key : keys) {
    auto it = item.find(key);
    if (it != item.end() && !it->is_null()) {
      fields[key] = *it;
      continue;
    }
    std::string_view fallback = list_key_default(key);
    if (fallback.empty()) return std::nullopt;
    fields[key] = fallback;
  }
  return key_element(fields);
}

// The element of every item of a map or set list; nullopt when some item has no usable key
// (then the list is treated as atomic, as a malformed stored object must still be handled).
std::optional<std::vector<std::string>> item_elements(const json& list, const ListType& type) {
  std::vector<std::string> elements;
  elements.reserve(list.size());
  for (const json& item : list) {
    if (type.kind == ListType::kSet) {
      elements.push_back(value_element(item));
      continue;
    }
    auto element = map_item_element(item, type.keys);
    if (!element) return std::nullopt;
    elements.push_back(std::move(*element));
  }
  return elements;
}

// ---------------------------------------------------------------------------------------------
// managedFields entries

struct Entry {
  std::string manager;
  std::string operation;
  std::string api_version;
  std::string time;
  std::string subresource;
  FieldSet fields;
};

std::string string_at(const json& object, std::string_view key) {
  const json* value = find_key(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

std::vector<Entry> read_entries(const json* managed_fields) {
  std::vector<Entry> entries;
  if (managed_fields == nullptr || !managed_fields->is_array()) return entries;
  entries.reserve(managed_fields->size() + 1);
  for (const json& raw : *managed_fields) {
    if (!raw.is_object()) continue;
    Entry entry{string_at(raw, "manager"), string_at(raw, "operation"), string_at(raw, "apiVersion"),
                string_at(raw, "time"),    string_at(raw, "subresource"), {}};
    if (const json* fields = find_key(raw, "fieldsV1")) entry.fields = FieldSet::from_fields_v1(*fields);
    // Two entries with one identity (hand-edited objects) are one owner.
    auto same = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
      return e.manager == entry.manager && e.operation == entry.operation && e.subresource == entry.subresource;
    });
    if (same != entries.end()) {
      same->fields.unite(entry.fields);
    } else {
      entries.push_back(std::move(entry));
    }
  }
  return entries;
}

const json* managed_fields_of(const json& object) {
  const json* metadata = find_key(object, "metadata");
  return metadata == nullptr ? nullptr : find_key(*metadata, "managedFields");
}

size_t find_entry(const std::vector<Entry>& entries, std::string_view manager, std::string_view operation,
                  std::string_view subresource) {
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (e.manager == manager && e.operation == operation && e.subresource == subresource) return i;
  }
  return kNone;
}

// Writes the non-empty entries in the API server's order: Apply before Update, then by time,
// manager, apiVersion and subresource.
void write_entries(std::vector<Entry>& entries, json& object) {
  std::erase_if(entries, [](const Entry& e) { return e.fields.empty(); });
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.operation, a.time, a.manager, a.api_version, a.subresource) <
           std::tie(b.operation, b.time, b.manager, b.api_version, b.subresource);
  });
  json& metadata = object["metadata"];
  if (entries.empty()) {
    if (metadata.is_object()) metadata.erase("managedFields");
    return;
  }
  json list = json::array();
  for (const Entry& e : entries) {
    json entry = {{"manager", e.manager},
                  {"operation", e.operation},
                  {"apiVersion", e.api_version},
                  {"fieldsType", kFieldsV1},
                  {"fieldsV1", e.fields.to_fields_v1()}};
    if (!e.time.empty()) entry["time"] = e.time;
    if (!e.subresource.empty()) entry["subresource"] = e.subresource;
    list.push_back(std::move(entry));
  }
  metadata["managedFields"] = std::move(list);
}

// How conflict messages name a manager: `"kubectl"`, `"kubectl" using apps/v1` for an Update
// manager, with ` with subresource "status"` when it wrote through a subresource.
std::string describe_manager(const Entry& e) {
  std::string text = json(e.manager).dump();
  if (!e.subresource.empty()) text += " with subresource " + json(e.subresource).dump();
  if (e.operation == kUpdate) text += " using " + e.api_version;
  return text;
}

// ---------------------------------------------------------------------------------------------
// Apply: merge the configuration into the live object, collecting the applier's field set and
// the conflicts with other managers on the way (one walk over the configuration).

struct Conflict {
  size_t entry;
  std::vector<std::string> path;
};

class Applier {
 public:
  Applier(const ApplyRequest& request, const std::vector<Entry>& entries, size_t self)
      : request_(request), entries_(entries), self_(self) {}

  // Merges `config` (the applied object) into `target` (a copy of live, or an empty object).
  Status apply_root(const json& config, json& target, FieldSet& owned) {
    return merge_map(config, target, owned, Level::kRoot);
  }

  bool changed() const { return changed_; }
  std::vector<Conflict>& conflicts() { return conflicts_; }

 private:
  Status merge_map(const json& config, json& target, FieldSet& owned, Level level) {
    for (const auto& [key, value] : config.items()) {
      if (outside_subresource(level, key, request_.subresource)) continue;
      if (is_unowned(level, key)) {
        // Identity fields are taken from the configuration only when creating.
        const bool server_set = level == Level::kMetadata && is_server_set_metadata(key);
        if (!server_set && !target.contains(key) && !value.is_null()) target[key] = value;
        continue;
      }
      if (Status s = merge_field(key, value, target, owned, child_level(level, key)); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status merge_field(const std::string& key, const json& value, json& parent, FieldSet& owned, Level level) {
    elements_.push_back(field_element(key));
    schema_path_.push_back(key);
    Status status;
    auto it = parent.find(key);
    if (value.is_null()) {
      // An explicit null asks for the field to be gone; it is not owned afterwards.
      if (it != parent.end()) {
        check_conflict();
        parent.erase(it);
        changed_ = true;
      }
    } else {
      const bool existed = it != parent.end();
      json& target = existed ? *it : parent[key];
      FieldSet node;
      status = merge_value(value, target, existed, node, level);
      owned.adopt(elements_.back(), std::move(node));
    }
    schema_path_.pop_back();
    elements_.pop_back();
    return status;
  }

  Status merge_value(const json& value, json& target, bool existed, FieldSet& node, Level level) {
    if (value.is_object()) {
      if (!target.is_object()) {
        check_conflict();  // added map, or a value of another type replaced
        target = json::object();
        changed_ = true;
      }
      if (value.empty()) {
        node.set_member(level != Level::kMetadata);  // an empty map is owned as a leaf
        return Status::Ok();
      }
      return merge_map(value, target, node, level);
    }
    if (value.is_array()) {
      ListType type = list_type(request_.group, request_.kind, schema_path_);
      if (type.kind != ListType::kAtomic) return merge_list(value, target, existed, node, type);
    }
    node.set_member(true);
    if (!existed || target != value) {
      check_conflict();
      target = value;
      changed_ = true;
    }
    return Status::Ok();
  }

  // Map and set lists: items are matched by key and merged one by one. Items only in live keep
  // their place; applied items keep the applied order among themselves.
  Status merge_list(const json& config, json& target, bool existed, FieldSet& node, const ListType& type) {
    std::vector<std::string> config_elements;
    config_elements.reserve(config.size());
    std::unordered_map<std::string_view, size_t> config_index;
    for (size_t i = 0; i < config.size(); ++i) {
      std::optional<std::string> element;
      if (type.kind == ListType::kSet) {
        element = value_element(config[i]);
      } else {
        element = map_item_element(config[i], type.keys);
        if (!element) return missing_key_error(config[i], i, type);
      }
      config_elements.push_back(std::move(*element));
    }
    for (size_t i = 0; i < config_elements.size(); ++i) {
      if (!config_index.emplace(config_elements[i], i).second) {
        return Status::Invalid(path_to_string(elements_) + ": duplicate entries for key " +
                               element_to_string(config_elements[i]));
      }
    }

    if (!target.is_array()) {
      if (existed) check_conflict();
      target = json::array();
      changed_ = true;
    }
    const size_t live_size = target.size();
    std::vector<size_t> live_to_config(live_size, kNone);
    std::vector<size_t> config_to_live(config.size(), kNone);
    if (live_size > 0) {
      auto live_elements = item_elements(target, type);
      for (size_t j = 0; live_elements && j < live_size; ++j) {
        auto found = config_index.find((*live_elements)[j]);
        if (found == config_index.end() || config_to_live[found->second] != kNone) continue;
        live_to_config[j] = found->second;
        config_to_live[found->second] = j;
      }
    }

    json out = json::array();
    out.get_ref<json::array_t&>().reserve(std::max(live_size, config.size()));
    std::vector<bool> emitted(config.size(), false);
    size_t last_live = 0;
    bool any_live = false;
    auto keep_live_order = [&](size_t j) {
      if (any_live && j < last_live) changed_ = true;  // shared items were reordered
      last_live = j;
      any_live = true;
    };
    Status status;
    auto emit = [&](size_t i) {
      emitted[i] = true;
      const size_t j = config_to_live[i];
      json item;
      if (j != kNone) {
        keep_live_order(j);
        item = std::move(target[j]);
      }
      elements_.push_back(config_elements[i]);
      FieldSet item_node;
      item_node.set_member(true);
      if (j == kNone) {
        check_conflict();
        changed_ = true;
      }
      if (type.kind == ListType::kSet) {
        if (j == kNone) item = config[i];
      } else if (status.ok()) {
        if (!item.is_object()) item = json::object();
        status = merge_map(config[i], item, item_node, Level::kOther);
      }
      node.adopt(config_elements[i], std::move(item_node));
      elements_.pop_back();
      out.push_back(std::move(item));
    };
    // Walk live: its own items are emitted in place; a shared item is reached from the applied
    // side, and only when it is the next shared one in applied order are the applied items up
    // to it emitted (structured-merge-diff orders merged lists the same way).
    size_t next_config = 0;  // applied items before this one are emitted
    size_t next_shared = 0;  // scan position for the next shared applied item
    for (size_t j = 0; j < live_size; ++j) {
      const size_t i = live_to_config[j];
      if (i == kNone) {
        keep_live_order(j);
        out.push_back(std::move(target[j]));
        continue;
      }
      if (emitted[i]) continue;
      next_shared = std::max(next_shared, next_config);
      while (next_shared < config.size() && (config_to_live[next_shared] == kNone || emitted[next_shared])) {
        ++next_shared;
      }
      if (next_shared != i) continue;  // emitted later, at its applied position
      for (; next_config <= i; ++next_config) {
        if (!emitted[next_config]) emit(next_config);
      }
    }
    for (; next_config < config.size(); ++next_config) {
      if (!emitted[next_config]) emit(next_config);
    }
    target = std::move(out);
    return status;
  }

  Status missing_key_error(const json& item, size_t index, const ListType& type) {
    std::string where = path_to_string(elements_) + ": element " + std::to_string(index);
    if (!item.is_object()) return Status::Invalid(where + ": expected map, got " + item.type_name());
    for (const std::string& key : type.keys) {
      if (!item.contains(key) && list_key_default(key).empty()) {
        return Status::Invalid(where + ": associative list with keys has an element that omits key field " +
                               json(key).dump() + " (and doesn't have default value)");
      }
    }
    return Status::Invalid(where + ": invalid key");
  }

  // The current path is being added or changed: every other manager owning it conflicts.
  void check_conflict() {
    for (size_t e = 0; e < entries_.size(); ++e) {
      if (e == self_) continue;
      const FieldSet* owned = entries_[e].fields.find_path(elements_);
      if (owned != nullptr && owned->member()) conflicts_.push_back({e, elements_});
    }
  }

  const ApplyRequest& request_;
  const std::vector<Entry>& entries_;
  size_t self_;
  std::vector<std::string> elements_;     // fieldsV1 path elements of the current node
  std::vector<std::string> schema_path_;  // field names of the current node, for list_type()
  std::vector<Conflict> conflicts_;
  bool changed_ = false;
};

Status conflict_status(const std::vector<Entry>& entries, const std::vector<Conflict>& conflicts) {
  // Group per manager, managers sorted, paths in field-set order — as the API server lists them.
  std::vector<size_t> managers;
  for (const Conflict& c : conflicts) {
    if (std::find(managers.begin(), managers.end(), c.entry) == managers.end()) managers.push_back(c.entry);
  }
  std::sort(managers.begin(), managers.end(), [&](size_t a, size_t b) {
    const Entry& x = entries[a];
    const Entry& y = entries[b];
    return std::tie(x.manager, x.operation, x.api_version, x.subresource) <
           std::tie(y.manager, y.operation, y.api_version, y.subresource);
  });
  std::vector<std::pair<size_t, std::string>> ordered;  // (entry, path)
  for (size_t m : managers) {
    FieldSet paths;
    for (const Conflict& c : conflicts) {
      if (c.entry == m) paths.insert_path(c.path);
    }
    paths.for_each_member([&](const std::vector<std::string_view>& path) {
      ordered.emplace_back(m, path_to_string(std::span<const std::string_view>(path)));
    });
  }

  std::string message;
  if (ordered.size() == 1) {
    message = "Apply failed with 1 conflict: conflict with " + describe_manager(entries[ordered[0].first]) + ": " +
              ordered[0].second;
  } else {
    message = "Apply failed with " + std::to_string(ordered.size()) + " conflicts: ";
    size_t current = kNone;
    bool first = true;
    for (const auto& [m, path] : ordered) {
      if (m != current) {
        if (!first) message += "\n";
        message += "conflicts with " + describe_manager(entries[m]) + ":";
        current = m;
      }
      message += "\n- " + path;
      first = false;
    }
  }
  Status status = Status::Conflict(message);
  for (const auto& [m, path] : ordered) {
    status.add_cause({"FieldManagerConflict", "conflict with " + describe_manager(entries[m]), path});
  }
  return status;
}

// ---------------------------------------------------------------------------------------------
// Pruning: what the applier owned before and no longer applies goes, unless someone owns it.

class Pruner {
 public:
  Pruner(std::string_view group, std::string_view kind) : group_(group), kind_(kind) {}

  // Removes members of `gone` from `value`. `owners` holds, per current owner, its node at
  // this path (null when it owns nothing here). A field stays while anyone owns something at or
  // below it; a list item stays only while someone owns the item itself, as an item stripped
  // to a few fields (perhaps without its key) would be no item at all. What is removed is
  // recorded in `removed`.
  void prune(const FieldSet& gone, json& value, const std::vector<const FieldSet*>& owners, FieldSet& removed) {
    std::vector<size_t> drop_items;
    std::optional<std::vector<std::string>> list_elements;
    for (const auto& [element, sub] : gone.children()) {
      json* child = nullptr;
      size_t index = kNone;
      const bool is_field = element.size() > 2 && element[0] == 'f' && element[1] == ':';
      std::string name;
      if (is_field) {
        if (!value.is_object()) continue;
        name = element.substr(2);
        auto it = value.find(name);
        if (it == value.end()) continue;
        child = &*it;
      } else {
        if (!value.is_array()) continue;
        index = find_item(value, element, list_elements);
        if (index == kNone) continue;
        child = &value[index];
      }

      std::vector<const FieldSet*> below;
      below.reserve(owners.size());
      bool anyone_below = false;
      bool anyone_member = false;
      for (const FieldSet* owner : owners) {
        const FieldSet* node = owner == nullptr ? nullptr : owner->find(element);
        below.push_back(node);
        anyone_below = anyone_below || node != nullptr;
        anyone_member = anyone_member || (node != nullptr && node->member());
      }

      bool remove = sub.member() && (is_field ? !anyone_below : !anyone_member);
      if (!remove && !sub.children().empty() && (child->is_object() || child->is_array())) {
        if (is_field) schema_path_.push_back(name);
        const bool was_empty = child->empty();
        FieldSet removed_below;
        prune(sub, *child, below, removed_below);
        removed.adopt(element, std::move(removed_below));
        if (is_field) schema_path_.pop_back();
        // A map or list emptied by pruning goes too, unless someone owns it as such.
        remove = !was_empty && child->empty() && !anyone_member;
      }
      if (!remove) continue;
      changed_ = true;
      removed.child(element).set_member(true);
      if (is_field) {
        value.erase(name);
      } else {
        drop_items.push_back(index);
      }
    }
    std::sort(drop_items.begin(), drop_items.end());
    for (auto it = drop_items.rbegin(); it != drop_items.rend(); ++it) value.erase(*it);
  }

  bool changed() const { return changed_; }

 private:
  size_t find_item(const json& list, const std::string& element, std::optional<std::vector<std::string>>& cache) {
    if (element.rfind("i:", 0) == 0) {
      size_t index = std::strtoull(element.c_str() + 2, nullptr, 10);
      return index < list.size() ? index : kNone;
    }
    if (!cache) {
      ListType type = list_type(group_, kind_, schema_path_);
      if (type.kind == ListType::kAtomic) type.kind = element[0] == 'v' ? ListType::kSet : ListType::kMap;
      if (type.kind == ListType::kMap && type.keys.empty()) return kNone;
      auto elements = item_elements(list, type);
      cache = elements ? std::move(*elements) : std::vector<std::string>();
    }
    auto found = std::find(cache->begin(), cache->end(), element);
    return found == cache->end() ? kNone : static_cast<size_t>(found - cache->begin());
  }

  std::string_view group_;
  std::string_view kind_;
  std::vector<std::string> schema_path_;
  bool changed_ = false;
};

// ---------------------------------------------------------------------------------------------
// Update: the fields a write changed (added or modified) and the ones it removed.

class Differ {
 public:
  Differ(std::string_view group, std::string_view kind, std::string_view subresource)
      : group_(group), kind_(kind), subresource_(subresource) {}

  void diff_root(const json& before, const json& after, FieldSet& changed, FieldSet& removed) {
    diff_maps(before, after, changed, removed, Level::kRoot);
  }

 private:
  void diff_maps(const json& before, const json& after, FieldSet& changed, FieldSet& removed, Level level) {
    for (const auto& [key, value] : after.items()) {
      if (outside_subresource(level, key, subresource_) || is_unowned(level, key)) continue;
      const std::string element = field_element(key);
      const json* old = find_key(before, key);
      const Level sub_level = child_level(level, key);
      schema_path_.push_back(key);
      FieldSet changed_node;
      if (sub_level == Level::kMetadata) {
        static const json kEmpty = json::object();
        if (value.is_object()) {
          FieldSet removed_node;
          diff_maps(old != nullptr && old->is_object() ? *old : kEmpty, value, changed_node, removed_node, sub_level);
          removed.adopt(element, std::move(removed_node));
        }
      } else if (old == nullptr) {
        add_subtree(value, changed_node, false);
      } else {
        FieldSet removed_node;
        diff_values(*old, value, changed_node, removed_node);
        removed.adopt(element, std::move(removed_node));
      }
      changed.adopt(element, std::move(changed_node));
      schema_path_.pop_back();
    }
    if (!before.is_object()) return;
    for (const auto& [key, value] : before.items()) {
      if (outside_subresource(level, key, subresource_) || is_unowned(level, key)) continue;
      if (after.contains(key)) continue;
      removed.child(field_element(key)).set_member(true);
    }
  }

  void diff_values(const json& before, const json& after, FieldSet& changed, FieldSet& removed) {
    if (before.is_object() && after.is_object()) {
      diff_maps(before, after, changed, removed, Level::kOther);
      return;
    }
    if (before.is_array() && after.is_array()) {
      ListType type = list_type(group_, kind_, schema_path_);
      if (type.kind != ListType::kAtomic && diff_lists(before, after, changed, removed, type)) return;
    }
    if (before == after) return;
    changed.set_member(true);
    if (before.is_object() && !after.is_object()) {
      for (const auto& [key, value] : before.items()) removed.child(field_element(key)).set_member(true);
    }
  }

  // False when an item has no usable key; the caller then compares the lists whole.
  bool diff_lists(const json& before, const json& after, FieldSet& changed, FieldSet& removed, const ListType& type) {
    auto old_elements = item_elements(before, type);
    auto new_elements = item_elements(after, type);
    if (!old_elements || !new_elements) return false;
    std::unordered_map<std::string_view, size_t> old_index;
    for (size_t i = 0; i < old_elements->size(); ++i) old_index.emplace((*old_elements)[i], i);
    std::unordered_map<std::string_view, size_t> new_index;
    for (size_t i = 0; i < new_elements->size(); ++i) {
      const std::string& element = (*new_elements)[i];
      new_index.emplace(element, i);
      FieldSet changed_node;
      auto old = old_index.find(element);
      if (old == old_index.end()) {
        add_subtree(after[i], changed_node, true);
      } else if (type.kind == ListType::kMap) {
        FieldSet removed_node;
        diff_values(before[old->second], after[i], changed_node, removed_node);
        removed.adopt(element, std::move(removed_node));
      }
      changed.adopt(element, std::move(changed_node));
    }
    for (const std::string& element : *old_elements) {
      if (!new_index.contains(element)) removed.child(element).set_member(true);
    }
    return true;
  }

  // Everything in `value` is new: its fields are members, and so are the maps and lists it
  // brings, as the API server records them — except that a created struct is only a path to
  // its fields, since its zero value already existed in the typed object Kubernetes compares
  // with. Inside a new list item nothing pre-existed (`whole`): every node is a member.
  void add_subtree(const json& value, FieldSet& node, bool whole) {
    if (value.is_object()) {
      node.set_member(whole || value.empty() || is_map_field());
      for (const auto& [key, sub] : value.items()) {
        schema_path_.push_back(key);
        FieldSet child;
        add_subtree(sub, child, whole);
        node.adopt(field_element(key), std::move(child));
        schema_path_.pop_back();
      }
      return;
    }
    if (!value.is_array()) {
      node.set_member(true);
      return;
    }
    ListType type = list_type(group_, kind_, schema_path_);
    auto elements = type.kind == ListType::kAtomic ? std::nullopt : item_elements(value, type);
    // PodSpec's containers is never omitted from a typed object, so it is not "added" either.
    node.set_member(whole || !elements || schema_path_.back() != "containers");
    if (!elements) return;
    for (size_t i = 0; i < value.size(); ++i) {
      FieldSet child;
      add_subtree(value[i], child, true);
      node.adopt((*elements)[i], std::move(child));
    }
  }

  // Map-typed fields of the built-in kinds (string maps, resource lists), told apart from
  // structs by name since there is no schema at hand.
  bool is_map_field() const {
    if (schema_path_.empty()) return false;
    const std::string& name = schema_path_.back();
    static constexpr std::string_view kMapFields[] = {
        "labels", "annotations", "matchLabels", "nodeSelector", "data",     "binaryData", "stringData",
        "limits", "requests",    "capacity",    "allocatable",  "hard",     "used",       "parameters"};
    for (std::string_view field : kMapFields) {
      if (name == field) return true;
    }
    return name == "selector" && schema_path_.size() == 2 && schema_path_[0] == "spec" && group_.empty() &&
           (kind_ == "Service" || kind_ == "ReplicationController");
  }

  std::string_view group_;
  std::string_view kind_;
  std::string_view subresource_;
  std::vector<std::string> schema_path_;
};

}  // namespace

Result<json> server_side_apply(const json& live, const json& applied, const ApplyRequest& request) {
  if (request.manager.empty()) {
    return Status::BadRequest("PATCH, PUT, POST with apply require fieldManager");
  }
  if (!applied.is_object()) return Status::BadRequest("the applied configuration must be an object");
  if (const json* fields = managed_fields_of(applied); fields != nullptr && !fields->is_null()) {
    return Status::BadRequest("metadata.managedFields must be nil");
  }

  std::vector<Entry> entries = read_entries(live.is_object() ? managed_fields_of(live) : nullptr);
  size_t self = find_entry(entries, request.manager, kApply, request.subresource);

  json merged = live.is_object() ? live : json::object();
  FieldSet owned;
  Applier applier(request, entries, self);
  if (Status s = applier.apply_root(applied, merged, owned); !s.ok()) return s;

  auto& conflicts = applier.conflicts();
  if (!conflicts.empty()) {
    if (!request.force) return conflict_status(entries, conflicts);
    for (const Conflict& c : conflicts) entries[c.entry].fields.remove_path(c.path);
  }

  bool changed = applier.changed();
  if (self != kNone) {
    // Fields applied last time and not this time, that nobody else holds, are removed.
    FieldSet gone = entries[self].fields;
    gone.subtract(owned);
    if (!gone.empty()) {
      std::vector<const FieldSet*> owners{&owned};
      for (size_t e = 0; e < entries.size(); ++e) {
        if (e != self) owners.push_back(&entries[e].fields);
      }
      Pruner pruner(request.group, request.kind);
      FieldSet removed;
      pruner.prune(gone, merged, owners, removed);
      changed = changed || pruner.changed();
      // What left the object leaves every owner, as after any other write.
      if (!removed.empty()) {
        for (Entry& e : entries) e.fields.subtract_subtrees(removed);
      }
    }
  } else {
    entries.push_back({std::string(request.manager), std::string(kApply), {}, {}, std::string(request.subresource), {}});
    self = entries.size() - 1;
  }

  Entry& entry = entries[self];
  entry.fields = std::move(owned);
  entry.api_version = std::string(request.api_version);
  if (changed || entry.time.empty()) entry.time = std::string(request.now);
  write_entries(entries, merged);
  return merged;
}

void record_update(const json& before, json& updated, const ApplyRequest& request) {
  if (!updated.is_object()) return;
  // Entries the writer set explicitly (they differ from the stored ones) replace the stored
  // ones, as the API server lets a client reset managedFields; otherwise the stored ones count.
  const json* stored = before.is_object() ? managed_fields_of(before) : nullptr;
  const json* sent = managed_fields_of(updated);
  const bool sent_own = sent != nullptr && !sent->is_null() && (stored == nullptr || *sent != *stored);
  std::vector<Entry> entries = read_entries(sent_own ? sent : stored);

  FieldSet changed;
  FieldSet removed;
  Differ differ(request.group, request.kind, request.subresource);
  differ.diff_root(before.is_object() ? before : json::object(), updated, changed, removed);

  for (Entry& e : entries) {
    e.fields.subtract_subtrees(removed);
    e.fields.subtract(changed);
  }
  if (!changed.empty()) {
    size_t self = find_entry(entries, request.manager, kUpdate, request.subresource);
    if (self == kNone) {
      entries.push_back({std::string(request.manager), std::string(kUpdate), {}, {}, std::string(request.subresource), {}});
      self = entries.size() - 1;
    }
    Entry& entry = entries[self];
    entry.fields.unite(changed);
    const json* api_version = find_key(updated, "apiVersion");
    entry.api_version = api_version != nullptr && api_version->is_string() ? api_version->get<std::string>()
                                                                            : std::string(request.api_version);
    entry.time = std::string(request.now);
  }
  write_entries(entries, updated);
}

}  // namespace ferry::kube
