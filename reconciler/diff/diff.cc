// The comparison walk. Desired and live are walked together, desired driving: only what desired
// sets is looked at, so server defaults and other managers' fields never count. A second walk
// goes over Ferry's own Apply entry in live managedFields to find fields it applied before and
// desired no longer sets. Each difference is recorded as a JSON pointer; the owner of the path is
// looked up in managedFields afterwards, only for the paths that differ, so an unchanged object
// costs one walk and no allocations for attribution.
#include "reconciler/diff/diff.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <optional>

#include "apis/types/yaml_codec.h"
#include "kube/machinery/fields_set.h"
#include "kube/machinery/schema.h"
#include "reconciler/diff/ignore.h"
#include "reconciler/diff/json_pointer.h"
#include "reconciler/diff/normalize.h"
#include "reconciler/diff/secret.h"
#include "reconciler/diff/text_diff.h"

namespace ferry::reconciler {
namespace {

using kube::FieldSet;
using kube::ListType;
using nlohmann::json;

constexpr std::string_view kSelf = ".";

// One difference: a pointer into desired (a field desired sets) or into live (a field Ferry
// applied before that desired dropped); for the latter the fieldsV1 path is already known.
struct Change {
  std::vector<std::string> tokens;
  bool in_live = false;
  std::vector<std::string> elements;
};

// A manager's fieldsV1 node is a member when it is a leaf ({}) or says "." about itself.
bool fields_member(const json& node) { return node.is_object() && (node.empty() || node.contains(kSelf)); }
// A node with nothing below it: the manager owns the whole value there.
bool fields_leaf(const json& node) {
  return node.is_object() && (node.empty() || (node.size() == 1 && node.contains(kSelf)));
}

const json* managed_fields_of(const json& object) {
  if (!object.is_object()) return nullptr;
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return nullptr;
  auto it = metadata->find("managedFields");
  return it != metadata->end() && it->is_array() ? &*it : nullptr;
}

std::string string_at(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<size_t> index_token(std::string_view token) {
  size_t value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (token.empty() || ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return value;
}

// Whether an item of a live list matches a "k:" element's key fields (server key defaults
// applied, numbers compared by value).
bool item_has_key(const json& item, const json& key) {
  if (!item.is_object() || !key.is_object()) return false;
  for (const auto& [name, value] : key.items()) {
    auto it = item.find(name);
    if (it != item.end() && !it->is_null()) {
      if (!(*it == value)) return false;
      continue;
    }
    std::string_view fallback = kube::list_key_default(name);
    if (fallback.empty() || value != fallback) return false;
  }
  return true;
}

// The fieldsV1 path of a pointer into `doc`. It stops at an atomic list (owned whole) or at an
// item that cannot be keyed.
std::vector<std::string> field_elements(const json& doc, const std::vector<std::string>& tokens,
                                        const ObjectIdentity& id) {
  std::vector<std::string> elements;
  std::vector<std::string> schema;
  const json* node = &doc;
  for (const std::string& token : tokens) {
    if (node->is_object()) {
      elements.push_back(kube::field_element(token));
      schema.push_back(token);
      auto it = node->find(token);
      if (it == node->end()) break;
      node = &*it;
      continue;
    }
    auto index = index_token(token);
    if (!node->is_array() || !index || *index >= node->size()) break;
    const json& item = (*node)[*index];
    ListType type = kube::list_type(id.group, id.kind, schema);
    if (type.kind == ListType::kAtomic) break;
    if (type.kind == ListType::kSet) {
      elements.push_back(kube::value_element(item));
      break;
    }
    std::optional<json> key = list_item_key(item, type.keys);
    if (!key) break;
    elements.push_back(kube::key_element(*key));
    node = &item;
  }
  return elements;
}

// Who owns a path live: the manager whose fieldsV1 has the path itself as a member, or owns an
// ancestor whole (an atomic list or map). A map or list item a manager only created (".")
// does not make it the owner of what is inside. Ties go to a manager other than Ferry (the one
// that changed it), then to the most recent entry.
std::string owner_of(const json* managed_fields, const std::vector<std::string>& elements, std::string_view self) {
  if (managed_fields == nullptr || elements.empty()) return {};
  std::string best;
  std::string best_time;
  int best_depth = -1;
  for (const json& entry : *managed_fields) {
    if (!entry.is_object()) continue;
    auto fields = entry.find("fieldsV1");
    if (fields == entry.end()) continue;
    const json* node = &*fields;
    int depth = -1;
    for (size_t i = 0; i < elements.size(); ++i) {
      if (!node->is_object()) break;
      auto it = node->find(elements[i]);
      if (it == node->end()) break;
      node = &*it;
      const bool exact = i + 1 == elements.size();
      if ((exact && fields_member(*node)) || (!exact && node->is_object() && node->empty())) {
        depth = static_cast<int>(i);
      }
    }
    if (depth < 0) continue;
    std::string manager = string_at(entry, "manager");
    std::string time = string_at(entry, "time");
    bool better = depth > best_depth;
    if (depth == best_depth) {
      const bool self_best = best == self;
      const bool self_now = manager == self;
      better = (self_best && !self_now) || (self_best == self_now && time > best_time);
    }
    if (better) {
      best = std::move(manager);
      best_time = std::move(time);
      best_depth = depth;
    }
  }
  return best;
}

// The manager set a value is ignored under: owned by an ignored manager, whole.
bool ignored_by_manager(const FieldSet* node, const json& desired, bool keyed_list) {
  if (node == nullptr || !node->member()) return false;
  return node->children().empty() || !(desired.is_object() || keyed_list);
}

// Whether two map-list items have the same merge key (server key defaults applied), compared in
// place: the walk matches every desired item and must not allocate a key object for each.
bool same_list_key(const json& a, const json& b, const std::vector<std::string>& keys) {
  if (!a.is_object() || !b.is_object()) return false;
  for (const std::string& key : keys) {
    auto ai = a.find(key);
    auto bi = b.find(key);
    const bool a_set = ai != a.end() && !ai->is_null();
    const bool b_set = bi != b.end() && !bi->is_null();
    if (a_set && b_set) {
      if (!(*ai == *bi)) return false;
      continue;
    }
    std::string_view fallback = kube::list_key_default(key);
    if (fallback.empty()) return false;
    if ((a_set && *ai != fallback) || (b_set && *bi != fallback)) return false;
  }
  return true;
}

bool has_list_key(const json& item, const std::vector<std::string>& keys) {
  if (!item.is_object()) return false;
  for (const std::string& key : keys) {
    auto it = item.find(key);
    if ((it == item.end() || it->is_null()) && kube::list_key_default(key).empty()) return false;
  }
  return true;
}

// The decimal spelling of small indices without allocating.
std::string_view index_text(size_t i, std::deque<std::string>& spill) {
  static const std::array<std::string, 64> kSmall = [] {
    std::array<std::string, 64> out;
    for (size_t k = 0; k < out.size(); ++k) out[k] = std::to_string(k);
    return out;
  }();
  if (i < kSmall.size()) return kSmall[i];
  return spill.emplace_back(std::to_string(i));
}

class Comparer {
 public:
  Comparer(const ObjectIdentity& id, const FieldSet* ignored, bool secret)
      : id_(id), ignored_(ignored), secret_(secret) {}

  // Walks desired against live; `view` (a copy of live) receives desired's values where they
  // differ, making the predicted live object.
  void compare(const json& desired, const json& live, json* view) {
    if (!desired.is_object() || !live.is_object()) return;
    object(desired, live, view, ignored_, kPlainValue);
  }

  // Walks Ferry's Apply entry: what it applied before, live still has, and desired dropped.
  void removed(const json& fields_v1, const json& live, const json& desired) {
    std::vector<std::string_view> elements;
    applied(fields_v1, &live, &desired, ignored_, elements);
  }

  std::vector<Change> changes;

 private:
  // Pointer tokens view into the documents' keys (alive for the walk) or into index_text().
  struct Token {
    std::string_view text;
    bool index;
  };

  void push_key(std::string_view key) { pointer_.push_back({key, false}); }
  void push_index(size_t i) { pointer_.push_back({index_text(i, spill_), true}); }

  std::vector<std::string> tokens() const {
    std::vector<std::string> out;
    out.reserve(pointer_.size());
    for (const Token& t : pointer_) out.emplace_back(t.text);
    return out;
  }

  void record() { changes.push_back({tokens(), false, {}}); }

  // Field names from the root, for list_type(); built only when a list is met.
  ListType list_type_here() const {
    std::vector<std::string> schema;
    schema.reserve(pointer_.size());
    for (const Token& t : pointer_) {
      if (!t.index) schema.emplace_back(t.text);
    }
    return kube::list_type(id_.group, id_.kind, schema);
  }

  void value(const json& d, const json& l, json* view, const FieldSet* ign, unsigned ctx) {
    if (d.is_object()) {
      if (ignored_by_manager(ign, d, false)) return;
      if (!l.is_object()) {
        if (is_effectively_empty(d) && is_empty_value(l)) return;
        record();
        if (view != nullptr) *view = d;
        return;
      }
      object(d, l, view, ign, ctx);
      return;
    }
    if (d.is_array()) {
      ListType type = list_type_here();
      if (ignored_by_manager(ign, d, type.kind != ListType::kAtomic)) return;
      if (!l.is_array()) {
        if (d.empty() && is_empty_value(l)) return;
        record();
        if (view != nullptr) *view = d;
        return;
      }
      list(d, l, view, ign, ctx, type);
      return;
    }
    if (ignored_by_manager(ign, d, false)) return;
    if (!scalar_equal(d, l, ctx)) {
      record();
      if (view != nullptr) *view = d;
    }
  }

  void object(const json& d, const json& l, json* view, const FieldSet* ign, unsigned ctx) {
    const bool root = pointer_.empty();
    const bool metadata = pointer_.size() == 1 && pointer_[0].text == "metadata";
    for (auto it = d.begin(); it != d.end(); ++it) {
      const std::string& key = it.key();
      const json& dv = it.value();
      if (dv.is_null()) continue;
      // The version a live object is read at is the caller's choice, not drift.
      if (root && (is_server_set_root_field(key) || key == "apiVersion")) continue;
      if (metadata && is_server_set_metadata_field(key)) continue;
      const FieldSet* child_ign = ign != nullptr ? ign->find(kube::field_element(key)) : nullptr;
      auto lit = l.find(key);
      push_key(key);
      if (lit == l.end() || lit->is_null()) {
        if (!is_effectively_empty(dv) && !ignored_by_manager(child_ign, dv, false)) {
          record();
          if (view != nullptr && view->is_object()) (*view)[key] = dv;
        }
      } else {
        json* child_view = nullptr;
        if (view != nullptr && view->is_object()) {
          auto vit = view->find(key);
          if (vit != view->end()) child_view = &*vit;
        }
        value(dv, *lit, child_view, child_ign, child_context(ctx, key));
      }
      pointer_.pop_back();
    }
  }

  void list(const json& d, const json& l, json* view, const FieldSet* ign, unsigned ctx, const ListType& type) {
    auto view_item = [view](size_t i) -> json* {
      return view != nullptr && view->is_array() && i < view->size() ? &(*view)[i] : nullptr;
    };
    if (type.kind == ListType::kMap) {
      for (size_t i = 0; i < d.size(); ++i) {
        if (d[i].is_null()) continue;
        push_index(i);
        std::optional<size_t> match;
        const bool keyed = has_list_key(d[i], type.keys);
        if (keyed) {
          for (size_t j = 0; j < l.size() && !match; ++j) {
            if (same_list_key(d[i], l[j], type.keys)) match = j;
          }
        } else if (i < l.size()) {
          match = i;  // an item without its key cannot be matched: compare by position
        }
        const FieldSet* child_ign = nullptr;
        if (ign != nullptr && keyed) {
          if (std::optional<json> key = list_item_key(d[i], type.keys)) child_ign = ign->find(kube::key_element(*key));
        }
        if (match) {
          value(d[i], l[*match], view_item(*match), child_ign, ctx);
        } else if (!ignored_by_manager(child_ign, d[i], false)) {
          record();
          if (view != nullptr && view->is_array()) view->push_back(d[i]);
        }
        pointer_.pop_back();
      }
      return;
    }
    if (type.kind == ListType::kSet) {
      for (size_t i = 0; i < d.size(); ++i) {
        if (d[i].is_null()) continue;
        bool found = std::any_of(l.begin(), l.end(), [&](const json& v) { return scalar_equal(d[i], v, ctx); });
        if (found) continue;
        push_index(i);
        record();
        pointer_.pop_back();
        if (view != nullptr && view->is_array()) view->push_back(d[i]);
      }
      return;
    }
    // Atomic: the server stores the list as given, so its length must match; items that are maps
    // compare as subsets (the server defaults fields inside them too).
    if (d.size() != l.size()) {
      record();
      if (view != nullptr) *view = d;
      return;
    }
    for (size_t i = 0; i < d.size(); ++i) {
      push_index(i);
      if (d[i].is_null()) {
        if (!l[i].is_null()) record();
      } else {
        value(d[i], l[i], view_item(i), nullptr, ctx);
      }
      pointer_.pop_back();
    }
  }

  // The index in `list` of the item a "k:"/"v:"/"i:" element names (its body parsed once, in
  // `parsed`), or nullopt.
  static std::optional<size_t> find_item(const json* list, char type, const json& parsed, std::string_view body) {
    if (list == nullptr || !list->is_array()) return std::nullopt;
    if (type == 'i') {
      auto index = index_token(body);
      if (index && *index < list->size()) return index;
      return std::nullopt;
    }
    for (size_t i = 0; i < list->size(); ++i) {
      const json& item = (*list)[i];
      if (type == 'k' ? item_has_key(item, parsed) : item == parsed) return i;
    }
    return std::nullopt;
  }

  void applied(const json& fields, const json* l, const json* d, const FieldSet* ign,
               std::vector<std::string_view>& elements) {
    if (!fields.is_object()) return;
    const size_t depth = elements.size();
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      const std::string& element = it.key();
      if (element == kSelf || element.size() < 2 || element[1] != ':') continue;
      const json* lv = nullptr;
      const json* dv = nullptr;
      const std::string_view body = std::string_view(element).substr(2);
      if (element[0] == 'f') {
        std::string_view name = body;
        if (depth == 0 && (is_server_set_root_field(name) || name == "apiVersion" || name == "kind")) continue;
        if (depth == 1 && elements[0] == "f:metadata" && is_server_set_metadata_field(name)) continue;
        // Applied stringData is stored as data; both sides were folded the same way.
        if (depth == 0 && secret_ && name == "stringData") name = "data";
        if (l != nullptr && l->is_object()) {
          auto found = l->find(name);
          if (found != l->end()) lv = &*found;
        }
        if (lv == nullptr || is_effectively_empty(*lv)) continue;
        if (d != nullptr && d->is_object()) {
          auto found = d->find(name);
          if (found != d->end()) dv = &*found;
        }
        push_key(name);
      } else if (element[0] == 'k' || element[0] == 'v' || element[0] == 'i') {
        json parsed;
        if (element[0] != 'i') {
          parsed = json::parse(body, nullptr, false);
          if (parsed.is_discarded()) continue;
        }
        std::optional<size_t> li = find_item(l, element[0], parsed, body);
        if (!li || is_effectively_empty((*l)[*li])) continue;
        lv = &(*l)[*li];
        if (std::optional<size_t> di = find_item(d, element[0], parsed, body)) dv = &(*d)[*di];
        push_index(*li);
      } else {
        continue;
      }
      const FieldSet* child_ign = ign != nullptr ? ign->find(element) : nullptr;
      if (child_ign != nullptr && child_ign->member() && fields_leaf(it.value())) {
        pointer_.pop_back();
        continue;
      }
      elements.push_back(element);
      if (dv == nullptr || dv->is_null()) {
        changes.push_back({tokens(), true, std::vector<std::string>(elements.begin(), elements.end())});
      } else if (!fields_leaf(it.value())) {
        applied(it.value(), lv, dv, child_ign, elements);
      }
      elements.pop_back();
      pointer_.pop_back();
    }
  }

  const ObjectIdentity& id_;
  const FieldSet* ignored_;
  bool secret_;
  std::vector<Token> pointer_;    // JSON pointer tokens of the current node
  std::deque<std::string> spill_;  // index texts beyond index_text()'s table
};

// A copy of an object without the fields the server sets (managedFields is often the largest
// part of an object, so it is skipped rather than copied and erased).
json copy_without_server_fields(const json& object) {
  if (!object.is_object()) return object;
  json out = json::object();
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (is_server_set_root_field(it.key())) continue;
    if (it.key() != "metadata" || !it->is_object()) {
      out[it.key()] = *it;
      continue;
    }
    json& metadata = out["metadata"] = json::object();
    for (auto m = it->begin(); m != it->end(); ++m) {
      if (!is_server_set_metadata_field(m.key())) metadata[m.key()] = *m;
    }
  }
  return out;
}

// Ferry's own Apply entry for the main resource (not a subresource), or null.
const json* applied_fields(const json* managed_fields, std::string_view manager) {
  if (managed_fields == nullptr) return nullptr;
  for (const json& entry : *managed_fields) {
    if (!entry.is_object()) continue;
    if (string_at(entry, "manager") != manager || string_at(entry, "operation") != "Apply") continue;
    if (!string_at(entry, "subresource").empty()) continue;
    auto fields = entry.find("fieldsV1");
    if (fields != entry.end()) return &*fields;
  }
  return nullptr;
}

std::string diff_name(std::string_view side, const ObjectIdentity& id) {
  std::string out(side);
  out.append("/").append(id.group).append("/").append(id.kind).append("/").append(id.namespace_).append("/").append(
      id.name);
  return out;
}

// What may leave the process: no server-set fields, Secret values masked.
json view_of(const json& object, std::string_view salt) {
  json out = copy_without_server_fields(object);
  if (is_secret(out)) out = mask_secret(out, salt);
  return out;
}

std::string yaml_of(const json& view) { return view.is_null() ? std::string() : yaml::to_yaml(view); }

}  // namespace

const char* sync_state_name(SyncState state) {
  switch (state) {
    case SyncState::kSynced:
      return "Synced";
    case SyncState::kOutOfSync:
      return "OutOfSync";
    case SyncState::kMissing:
      return "Missing";
    case SyncState::kRequiresPruning:
      return "RequiresPruning";
  }
  return "Unknown";
}

namespace {

ResourceDiff diff_resource_or_throw(const Json* desired, const Json* live, const DiffOptions& options) {
  ResourceDiff out;
  if (desired == nullptr && live == nullptr) return out;
  const ObjectIdentity id = identity_of(desired != nullptr ? *desired : *live);
  const std::vector<const IgnoreRule*> rules = matching_rules(options, id);
  const bool secret = (desired != nullptr && is_secret(*desired)) || (live != nullptr && is_secret(*live));
  const std::vector<std::vector<std::string>> pointers = ignored_pointers(rules, secret);

  // Working copies only when something must be rewritten first: Secrets fold stringData into
  // data, ignore pointers are removed from both sides.
  std::optional<json> desired_copy;
  std::optional<json> live_copy;
  auto prepare = [&](const Json* object, std::optional<json>& copy) -> const json* {
    if (object == nullptr || (!secret && pointers.empty())) return object;
    copy = *object;
    fold_string_data(*copy);
    remove_pointers(*copy, pointers);
    return &*copy;
  };
  const json* d = prepare(desired, desired_copy);
  const json* l = prepare(live, live_copy);
  const std::string live_name = diff_name("live", id);
  const std::string desired_name = diff_name("desired", id);

  if (l == nullptr) {
    out.state = SyncState::kMissing;
    out.desired_view = view_of(*d, options.mask_salt);
    out.unified = unified_diff("", yaml_of(out.desired_view), live_name, desired_name);
    return out;
  }
  if (d == nullptr) {
    out.state = SyncState::kRequiresPruning;
    out.live_view = view_of(*l, options.mask_salt);
    out.unified = unified_diff(yaml_of(out.live_view), "", live_name, desired_name);
    return out;
  }

  const std::optional<FieldSet> ignored = ignored_manager_fields(*live, rules);
  const json* managed_fields = managed_fields_of(*live);
  const json* ferry_fields = applied_fields(managed_fields, options.field_manager);

  // `view` set: also build the predicted live object (live with desired's differing values).
  auto run = [&](json* view) {
    Comparer comparer(id, ignored ? &*ignored : nullptr, secret);
    comparer.compare(*d, *l, view);
    if (ferry_fields != nullptr) comparer.removed(*ferry_fields, *l, *d);
    return std::move(comparer.changes);
  };
  // The walk runs without views first: an unchanged object (the common case) costs one walk and
  // a copy of live at most. Only a difference pays for a second walk that builds the predicted
  // live object.
  std::vector<Change> changes = run(nullptr);
  json live_view;
  json predicted;
  if (!changes.empty()) {
    live_view = copy_without_server_fields(*l);
    predicted = live_view;
    run(&predicted);
  } else if (options.views_when_synced) {
    live_view = copy_without_server_fields(*l);
    predicted = live_view;
  }

  out.state = changes.empty() ? SyncState::kSynced : SyncState::kOutOfSync;
  std::vector<std::vector<std::string>> dropped;
  for (Change& change : changes) {
    if (!change.in_live) change.elements = field_elements(*d, change.tokens, id);
    ChangedPath path{json_pointer(change.tokens), owner_of(managed_fields, change.elements, options.field_manager)};
    if (secret && path.live_manager.empty() && !change.elements.empty() && change.elements[0] == "f:data") {
      // Whoever applied the value as stringData owns it under that name.
      change.elements[0] = "f:stringData";
      path.live_manager = owner_of(managed_fields, change.elements, options.field_manager);
    }
    if (std::find(out.changed.begin(), out.changed.end(), path) == out.changed.end()) {
      out.changed.push_back(std::move(path));
    }
    if (change.in_live) dropped.push_back(change.tokens);
  }
  if (live_view.is_null()) return out;  // Synced without views

  // Fields desired dropped are gone from the predicted object (SSA removes them).
  remove_pointers(predicted, std::move(dropped));
  if (secret) {
    live_view = mask_secret(live_view, options.mask_salt);
    predicted = mask_secret(predicted, options.mask_salt);
  }
  out.live_view = std::move(live_view);
  out.desired_view = std::move(predicted);
  if (out.state == SyncState::kOutOfSync) {
    out.unified = unified_diff(yaml_of(out.live_view), yaml_of(out.desired_view), live_name, desired_name);
  }
  return out;
}

}  // namespace

ResourceDiff diff_resource(const Json* desired, const Json* live, const DiffOptions& options) {
  try {
    return diff_resource_or_throw(desired, live, options);
  } catch (const std::exception& e) {
    // Only nlohmann's serialiser can throw here (a string that is not UTF-8 in a list key).
    // Report a difference, so a sync re-applies rather than trusting an unchecked object.
    ResourceDiff out;
    out.state = desired == nullptr ? SyncState::kRequiresPruning
                : live == nullptr  ? SyncState::kMissing
                                   : SyncState::kOutOfSync;
    out.changed.push_back({"", ""});
    out.unified = std::string("diff failed: ") + e.what() + "\n";
    return out;
  }
}

}  // namespace ferry::reconciler
