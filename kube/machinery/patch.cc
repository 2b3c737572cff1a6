#include "kube/machinery/patch.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "kube/machinery/schema.h"

namespace ferry::kube {
namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// RFC 7386

void merge_patch_into(json& target, const json& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      target.erase(key);
    } else {
      merge_patch_into(target[key], value);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// RFC 6902. Messages follow the JSON patch library the API server uses, so clients that match
// on them keep working; failures to apply are 422 Invalid, malformed patches 400 BadRequest.

// RFC 6901 pointer into reference tokens; false on a malformed pointer.
bool parse_pointer(const std::string& pointer, std::vector<std::string>& tokens) {
  tokens.clear();
  if (pointer.empty()) return true;
  if (pointer[0] != '/') return false;
  std::string token;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (pointer[i] != '~') {
      token += pointer[i];
      continue;
    }
    if (i + 1 >= pointer.size()) return false;
    char escaped = pointer[++i];
    if (escaped == '0') {
      token += '~';
    } else if (escaped == '1') {
      token += '/';
    } else {
      return false;
    }
  }
  return true;
}

// An array index token: digits only, no leading zero (RFC 6901).
bool parse_index(const std::string& token, size_t& index) {
  if (token.empty() || token.size() > 18) return false;
  if (token.size() > 1 && token[0] == '0') return false;
  index = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    index = index * 10 + static_cast<size_t>(c - '0');
  }
  return true;
}

// The value the tokens name, or null.
json* resolve(json& doc, const std::vector<std::string>& tokens, size_t count) {
  json* node = &doc;
  for (size_t i = 0; i < count; ++i) {
    const std::string& token = tokens[i];
    if (node->is_object()) {
      auto it = node->find(token);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array()) {
      size_t index = 0;
      if (!parse_index(token, index) || index >= node->size()) return nullptr;
      node = &(*node)[index];
    } else {
      return nullptr;
    }
  }
  return node;
}

class JsonPatcher {
 public:
  explicit JsonPatcher(json doc) : doc_(std::move(doc)) {}

  Status apply(const json& op) {
    if (!op.is_object()) return Status::BadRequest("json: cannot unmarshal " + std::string(op.type_name()) +
                                                   " into Go value of type jsonpatch.Operation");
    auto kind_it = op.find("op");
    std::string kind = kind_it != op.end() && kind_it->is_string() ? kind_it->get<std::string>() : "unknown";
    auto path_it = op.find("path");
    if (path_it == op.end() || !path_it->is_string()) {
      return Status::Invalid(kind + " operation failed to decode path");
    }
    path_ = path_it->get<std::string>();
    if (!parse_pointer(path_, tokens_)) return Status::Invalid("invalid JSON pointer: " + path_);

    if (kind == "add" || kind == "replace" || kind == "test") {
      auto value = op.find("value");
      if (value == op.end()) return Status::Invalid(kind + " operation does not apply: missing value");
      if (kind == "add") return add(*value);
      if (kind == "replace") return replace(*value);
      return test(*value);
    }
    if (kind == "remove") {
      Result<json> removed = remove();
      return removed.ok() ? Status::Ok() : removed.status();
    }
    if (kind == "move" || kind == "copy") {
      auto from_it = op.find("from");
      if (from_it == op.end() || !from_it->is_string()) {
        return Status::Invalid(kind + " operation failed to decode from");
      }
      std::string from = from_it->get<std::string>();
      return kind == "move" ? move(from) : copy(from);
    }
    return Status::Invalid("Unexpected kind: " + kind);
  }

  json take() && { return std::move(doc_); }

 private:
  static Status missing(const std::string& what) { return Status::Invalid(what + ": missing value"); }

  Status add(json value) {
    if (tokens_.empty()) {
      doc_ = std::move(value);
      return Status::Ok();
    }
    json* parent = resolve(doc_, tokens_, tokens_.size() - 1);
    if (parent == nullptr || !(parent->is_object() || parent->is_array())) {
      return missing("add operation does not apply: doc is missing path: \"" + path_ + "\"");
    }
    const std::string& key = tokens_.back();
    if (parent->is_object()) {
      (*parent)[key] = std::move(value);
      return Status::Ok();
    }
    auto& array = parent->get_ref<json::array_t&>();
    if (key == "-") {
      array.push_back(std::move(value));
      return Status::Ok();
    }
    size_t index = 0;
    if (!parse_index(key, index) || index > array.size()) {
      return Status::Invalid("add operation does not apply: error in add for path: '" + path_ +
                             "': Unable to access invalid index: " + key + ": invalid index referenced");
    }
    array.insert(array.begin() + static_cast<std::ptrdiff_t>(index), std::move(value));
    return Status::Ok();
  }

  Result<json> remove() {
    if (tokens_.empty()) return missing("remove operation does not apply: doc is missing path: \"\"");
    json* parent = resolve(doc_, tokens_, tokens_.size() - 1);
    if (parent == nullptr || !(parent->is_object() || parent->is_array())) {
      return missing("remove operation does not apply: doc is missing path: \"" + path_ + "\"");
    }
    const std::string& key = tokens_.back();
    if (parent->is_object()) {
      auto it = parent->find(key);
      if (it == parent->end()) {
        return missing("remove operation does not apply: doc is missing path: \"" + path_ + "\"");
      }
      json removed = std::move(*it);
      parent->erase(it);
      return removed;
    }
    auto& array = parent->get_ref<json::array_t&>();
    size_t index = 0;
    if (!parse_index(key, index) || index >= array.size()) {
      return Status::Invalid("remove operation does not apply: error in remove for path: '" + path_ +
                             "': Unable to access invalid index: " + key + ": invalid index referenced");
    }
    json removed = std::move(array[index]);
    array.erase(array.begin() + static_cast<std::ptrdiff_t>(index));
    return removed;
  }

  Status replace(json value) {
    if (tokens_.empty()) {
      doc_ = std::move(value);
      return Status::Ok();
    }
    json* parent = resolve(doc_, tokens_, tokens_.size() - 1);
    if (parent == nullptr || !(parent->is_object() || parent->is_array())) {
      return missing("replace operation does not apply: doc is missing path: " + path_);
    }
    json* target = resolve(*parent, {tokens_.back()}, 1);
    if (target == nullptr) return missing("replace operation does not apply: doc is missing key: " + path_);
    *target = std::move(value);
    return Status::Ok();
  }

  Status test(const json& value) {
    json* target = resolve(doc_, tokens_, tokens_.size());
    if (target == nullptr) {
      // A missing member equals null, as the library the API server uses decides.
      if (value.is_null() && tokens_.size() > 0) {
        json* parent = resolve(doc_, tokens_, tokens_.size() - 1);
        if (parent != nullptr && parent->is_object()) return Status::Ok();
      }
      return missing("test operation does not apply: is missing path: " + path_);
    }
    if (*target != value) return Status::Invalid("testing value " + path_ + " failed: test failed");
    return Status::Ok();
  }

  Status move(const std::string& from) {
    std::vector<std::string> from_tokens;
    if (!parse_pointer(from, from_tokens)) return Status::Invalid("invalid JSON pointer: " + from);
    if (from_tokens.size() < tokens_.size() && std::equal(from_tokens.begin(), from_tokens.end(), tokens_.begin())) {
      return Status::Invalid("move operation does not apply: from path " + from + " is a prefix of path " + path_);
    }
    if (resolve(doc_, from_tokens, from_tokens.size()) == nullptr) {
      return missing("move operation does not apply: doc is missing from path: " + from);
    }
    std::vector<std::string> to_tokens = std::move(tokens_);
    std::string to_path = std::move(path_);
    tokens_ = std::move(from_tokens);
    path_ = from;
    Result<json> value = remove();
    if (!value.ok()) return value.status();
    tokens_ = std::move(to_tokens);
    path_ = std::move(to_path);
    Status added = add(std::move(value).value());
    if (!added.ok()) return missing("move operation does not apply: doc is missing destination path: " + path_);
    return added;
  }

  Status copy(const std::string& from) {
    std::vector<std::string> from_tokens;
    if (!parse_pointer(from, from_tokens)) return Status::Invalid("invalid JSON pointer: " + from);
    json* source = resolve(doc_, from_tokens, from_tokens.size());
    if (source == nullptr) return missing("copy operation does not apply: doc is missing from path: " + from);
    json value = *source;
    Status added = add(std::move(value));
    if (!added.ok()) return missing("copy operation does not apply: doc is missing destination path: " + path_);
    return added;
  }

  json doc_;
  std::string path_;
  std::vector<std::string> tokens_;
};

// ---------------------------------------------------------------------------------------------
// Strategic merge patch

constexpr std::string_view kPatchDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList/";
constexpr std::string_view kSetElementOrder = "$setElementOrder/";

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool is_directive(std::string_view key) {
  return key == kPatchDirective || key == kRetainKeys || starts_with(key, kDeleteFromPrimitiveList) ||
         starts_with(key, kSetElementOrder);
}

// The $patch directive of a map ("" when none).
std::string patch_directive(const json& map) {
  auto it = map.find(kPatchDirective);
  if (it == map.end()) return "";
  return it->is_string() ? it->get<std::string>() : "<invalid>";
}

class StrategicMerger {
 public:
  StrategicMerger(std::string_view group, std::string_view kind) : group_(group), kind_(kind) {}

  // Merges `patch` (an object) into `original`, which becomes an object.
  Status merge_map(json& original, const json& patch) {
    if (!original.is_object()) original = json::object();
    std::string directive = patch_directive(patch);
    if (directive == "delete") {
      original = json::object();
      return Status::Ok();
    }
    if (directive == "replace") {
      original = json::object();  // then merged from nothing, which also drops nested directives
    } else if (!directive.empty() && directive != "merge") {
      return Status::BadRequest("unknown patch type: " + directive + " in map: " + patch.dump());
    }

    if (auto retain = patch.find(kRetainKeys); retain != patch.end()) {
      if (Status s = retain_keys(original, patch, *retain); !s.ok()) return s;
    }
    for (const auto& [key, value] : patch.items()) {
      if (starts_with(key, kDeleteFromPrimitiveList)) {
        if (Status s = delete_from_primitive_list(original, key.substr(kDeleteFromPrimitiveList.size()), value);
            !s.ok()) {
          return s;
        }
      } else if (starts_with(key, kSetElementOrder)) {
        // Only the order of the list; the merged order (live order, new items appended) stands.
        if (!value.is_array()) return Status::BadRequest("invalid patch format of setElementOrder list");
      }
    }
    for (const auto& [key, value] : patch.items()) {
      if (is_directive(key)) continue;
      if (value.is_null()) {
        original.erase(key);
        continue;
      }
      path_.push_back(key);
      Status s = merge_value(original[key], value);
      path_.pop_back();
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

 private:
  Status merge_value(json& original, const json& patch) {
    if (patch.is_object()) return merge_map(original, patch);
    if (patch.is_array()) {
      if (!original.is_array()) original = json::array();
      return merge_list(original, patch);
    }
    original = patch;
    return Status::Ok();
  }

  Status merge_list(json& original, const json& patch) {
    // A {"$patch": "replace"} element replaces the list with the patch's other elements.
    bool replace = std::any_of(patch.begin(), patch.end(), [](const json& item) {
      return item.is_object() && patch_directive(item) == "replace" && item.size() == 1;
    });
    if (replace) original = json::array();

    ListType type = list_type(group_, kind_, path_);
    if (type.kind == ListType::kMap && !type.keys.empty()) return merge_keyed_list(original, patch, type.keys[0]);
    if (type.kind == ListType::kSet && !replace) {
      for (const json& item : patch) {
        if (std::find(original.begin(), original.end(), item) == original.end()) original.push_back(item);
      }
      return Status::Ok();
    }
    original = json::array();
    for (const json& item : patch) {
      if (item.is_object() && patch_directive(item) == "replace" && item.size() == 1) continue;
      original.push_back(item);
    }
    return Status::Ok();
  }

  Status merge_keyed_list(json& original, const json& patch, const std::string& merge_key) {
    for (const json& item : patch) {
      if (!item.is_object()) {
        return Status::BadRequest("list item " + item.dump() + " is not a map, and " + merge_key +
                                  " is the merge key of the list");
      }
      std::string directive = patch_directive(item);
      if (directive == "replace" && item.size() == 1) continue;
      auto key = item.find(merge_key);
      if (key == item.end()) {
        return Status::BadRequest("map: " + item.dump() + " does not contain declared merge key: " + merge_key);
      }
      auto matches = [&](const json& candidate) {
        if (!candidate.is_object()) return false;
        auto it = candidate.find(merge_key);
        return it != candidate.end() && *it == *key;
      };
      if (directive == "delete") {
        auto& array = original.get_ref<json::array_t&>();
        std::erase_if(array, matches);
        continue;
      }
      auto found = std::find_if(original.begin(), original.end(), matches);
      if (found != original.end()) {
        if (Status s = merge_map(*found, item); !s.ok()) return s;
        continue;
      }
      json added = json::object();
      if (Status s = merge_map(added, item); !s.ok()) return s;
      original.push_back(std::move(added));
    }
    return Status::Ok();
  }

  // $retainKeys lists the keys the map keeps: the others are cleared before the merge.
  static Status retain_keys(json& original, const json& patch, const json& retain) {
    if (!retain.is_array() || !std::all_of(retain.begin(), retain.end(), [](const json& k) { return k.is_string(); })) {
      return Status::BadRequest("invalid patch format of retainKeys");
    }
    auto listed = [&](const std::string& key) {
      return std::any_of(retain.begin(), retain.end(), [&](const json& k) { return k.get_ref<const std::string&>() == key; });
    };
    for (const auto& [key, value] : patch.items()) {
      if (is_directive(key) || value.is_null()) continue;
      if (!listed(key)) return Status::Invalid("patch content doesn't match retainKeys list");
    }
    std::vector<std::string> drop;
    for (const auto& [key, value] : original.items()) {
      if (!listed(key)) drop.push_back(key);
    }
    for (const std::string& key : drop) original.erase(key);
    return Status::Ok();
  }

  static Status delete_from_primitive_list(json& original, const std::string& field, const json& values) {
    if (!values.is_array()) return Status::BadRequest("invalid patch format of primitive list");
    auto it = original.find(field);
    if (it == original.end() || !it->is_array()) return Status::Ok();
    auto& array = it->get_ref<json::array_t&>();
    std::erase_if(array, [&](const json& item) {
      return std::find(values.begin(), values.end(), item) != values.end();
    });
    return Status::Ok();
  }

  std::string_view group_;
  std::string_view kind_;
  std::vector<std::string> path_;  // field names from the root, for list_type()
};

}  // namespace

Result<json> apply_merge_patch(const json& target, const json& patch) {
  if (!patch.is_object()) return Status::BadRequest("Invalid JSON Patch: a merge patch must be a JSON object");
  json result = target;
  merge_patch_into(result, patch);
  return result;
}

Result<json> apply_json_patch(const json& target, const json& patch) {
  if (!patch.is_array()) {
    return Status::BadRequest("json: cannot unmarshal " + std::string(patch.type_name()) +
                              " into Go value of type jsonpatch.Patch");
  }
  JsonPatcher patcher(target);
  for (const json& op : patch) {
    if (Status s = patcher.apply(op); !s.ok()) return s;
  }
  return std::move(patcher).take();
}

Result<json> apply_strategic_merge_patch(const json& target, const json& patch, std::string_view group,
                                         std::string_view kind) {
  if (!patch.is_object()) return Status::BadRequest("invalid strategic merge patch: the patch must be a JSON object");
  json result = target.is_object() ? target : json::object();
  StrategicMerger merger(group, kind);
  if (Status s = merger.merge_map(result, patch); !s.ok()) return s;
  return result;
}

}  // namespace ferry::kube
