#include "kube/machinery/group_version.h"
#include "reconciler/diff/ignore.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "kube/machinery/schema.h"
#include "reconciler/diff/json_pointer.h"
#include "reconciler/diff/normalize.h"
#include "reconciler/diff/secret.h"

namespace ferry::reconciler {
namespace {

using kube::FieldSet;
using nlohmann::json;

std::string string_at(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<size_t> numeric_token(const std::string& token) {
  if (token.empty()) return std::nullopt;
  size_t value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return value;
}

bool is_keyed_list(const json& value, const kube::ListType& type) {
  return value.is_array() && type.kind != kube::ListType::kAtomic;
}

// Replaces the values `desired` sets on fields `owned` covers with live's values.
void adopt_owned(json& desired, const json& live, const FieldSet& owned, const ObjectIdentity& id,
                 std::vector<std::string>& schema) {
  if (desired.is_object() && live.is_object()) {
    for (auto& [key, value] : desired.items()) {
      const FieldSet* node = owned.find(kube::field_element(key));
      auto lit = live.find(key);
      if (node == nullptr || lit == live.end()) continue;
      schema.push_back(key);
      const bool keyed = value.is_array() && is_keyed_list(value, kube::list_type(id.group, id.kind, schema));
      if (node->member() && (node->children().empty() || !(value.is_object() || keyed))) {
        value = *lit;
      } else {
        adopt_owned(value, *lit, *node, id, schema);
      }
      schema.pop_back();
    }
    return;
  }
  if (!desired.is_array() || !live.is_array()) return;
  kube::ListType type = kube::list_type(id.group, id.kind, schema);
  if (type.kind != kube::ListType::kMap) return;
  for (json& item : desired) {
    std::optional<json> key = list_item_key(item, type.keys);
    if (!key) continue;
    const FieldSet* node = owned.find(kube::key_element(*key));
    if (node == nullptr) continue;
    for (const json& live_item : live) {
      std::optional<json> live_key = list_item_key(live_item, type.keys);
      if (live_key && *live_key == *key) {
        adopt_owned(item, live_item, *node, id, schema);
        break;
      }
    }
  }
}

}  // namespace

std::string group_of(const Json& object) {
  return kube::group_of(string_at(object, "apiVersion"));
}

ObjectIdentity identity_of(const Json& object) {
  ObjectIdentity id;
  id.group = group_of(object);
  id.kind = string_at(object, "kind");
  if (object.is_object()) {
    auto metadata = object.find("metadata");
    if (metadata != object.end()) {
      id.namespace_ = string_at(*metadata, "namespace");
      id.name = string_at(*metadata, "name");
    }
  }
  return id;
}

bool ignore_rule_matches(const IgnoreRule& rule, std::string_view group, std::string_view kind,
                         std::string_view namespace_, std::string_view name) {
  if (rule.group != "*" && rule.group != group) return false;
  if (rule.kind != "*" && rule.kind != kind) return false;
  if (!rule.name.empty() && rule.name != name) return false;
  if (!rule.namespace_.empty() && rule.namespace_ != namespace_) return false;
  return true;
}

std::vector<const IgnoreRule*> matching_rules(const DiffOptions& options, const ObjectIdentity& id) {
  std::vector<const IgnoreRule*> rules;
  for (const IgnoreRule& rule : options.ignore) {
    if (ignore_rule_matches(rule, id.group, id.kind, id.namespace_, id.name)) rules.push_back(&rule);
  }
  return rules;
}

std::vector<std::vector<std::string>> ignored_pointers(const std::vector<const IgnoreRule*>& rules, bool secret) {
  std::vector<std::vector<std::string>> pointers;
  for (const IgnoreRule* rule : rules) {
    for (const std::string& text : rule->json_pointers) {
      auto tokens = parse_json_pointer(text);
      if (!tokens || tokens->empty()) continue;  // the whole object is never ignored
      if (secret && tokens->size() >= 2 && (*tokens)[0] == "stringData") {
        std::vector<std::string> data = *tokens;
        data[0] = "data";
        pointers.push_back(std::move(data));
      }
      pointers.push_back(std::move(*tokens));
    }
  }
  return pointers;
}

bool pointer_removal_order(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) continue;
    auto na = numeric_token(a[i]);
    auto nb = numeric_token(b[i]);
    if (na && nb) return *na > *nb;
    return a[i] > b[i];
  }
  return a.size() > b.size();  // deeper first
}

void remove_pointers(Json& object, std::vector<std::vector<std::string>> pointers) {
  std::sort(pointers.begin(), pointers.end(), pointer_removal_order);
  for (const auto& tokens : pointers) remove_pointer(object, tokens);
}

std::optional<FieldSet> ignored_manager_fields(const Json& live, const std::vector<const IgnoreRule*>& rules) {
  std::set<std::string, std::less<>> managers;
  for (const IgnoreRule* rule : rules) managers.insert(rule->managed_fields_managers.begin(), rule->managed_fields_managers.end());
  if (managers.empty()) return std::nullopt;
  FieldSet owned;
  const json* entries = nullptr;
  if (live.is_object()) {
    auto metadata = live.find("metadata");
    if (metadata != live.end() && metadata->is_object()) {
      auto it = metadata->find("managedFields");
      if (it != metadata->end() && it->is_array()) entries = &*it;
    }
  }
  if (entries == nullptr) return owned;
  for (const json& entry : *entries) {
    if (!entry.is_object() || !managers.contains(string_at(entry, "manager"))) continue;
    auto fields = entry.find("fieldsV1");
    if (fields != entry.end()) owned.unite(FieldSet::from_fields_v1(*fields));
  }
  return owned;
}

Result<IgnoreRule> ignore_rule_from_json(const Json& entry) {
  if (!entry.is_object()) return Status::Invalid("ignoreDifferences entry must be an object");
  IgnoreRule rule;
  auto read_string = [&entry](const char* key, std::string& out) -> Status {
    auto it = entry.find(key);
    if (it == entry.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) return Status::Invalid(std::string("ignoreDifferences.") + key + " must be a string");
    out = it->get<std::string>();
    return Status::Ok();
  };
  auto read_list = [&entry](const char* key, std::vector<std::string>& out) -> Status {
    auto it = entry.find(key);
    if (it == entry.end() || it->is_null()) return Status::Ok();
    if (!it->is_array()) return Status::Invalid(std::string("ignoreDifferences.") + key + " must be a list of strings");
    for (const json& item : *it) {
      if (!item.is_string()) {
        return Status::Invalid(std::string("ignoreDifferences.") + key + " must be a list of strings");
      }
      out.push_back(item.get<std::string>());
    }
    return Status::Ok();
  };
  for (const auto& [key, value] : entry.items()) {
    if (key == "jqPathExpressions") {
      if (value.is_null() || (value.is_array() && value.empty())) continue;
      return Status::Invalid(
          "ignoreDifferences.jqPathExpressions is not supported by Ferry; use jsonPointers or "
          "managedFieldsManagers");
    }
    if (key != "group" && key != "kind" && key != "name" && key != "namespace" && key != "jsonPointers" &&
        key != "managedFieldsManagers") {
      return Status::Invalid("ignoreDifferences: unknown field \"" + key + "\"");
    }
  }
  for (Status s : {read_string("group", rule.group), read_string("kind", rule.kind), read_string("name", rule.name),
                   read_string("namespace", rule.namespace_), read_list("jsonPointers", rule.json_pointers),
                   read_list("managedFieldsManagers", rule.managed_fields_managers)}) {
    if (!s.ok()) return s;
  }
  if (rule.kind.empty()) return Status::Invalid("ignoreDifferences.kind is required");
  for (const std::string& pointer : rule.json_pointers) {
    auto tokens = parse_json_pointer(pointer);
    if (!tokens || tokens->empty()) {
      return Status::Invalid("ignoreDifferences.jsonPointers: \"" + pointer +
                             "\" is not a JSON pointer to a field (RFC 6901, e.g. /spec/replicas)");
    }
  }
  return rule;
}

namespace {

Json respect_or_throw(const Json& desired, const Json& live, const DiffOptions& options) {
  Json out = desired;
  if (!desired.is_object() || !live.is_object()) return out;
  const ObjectIdentity id = identity_of(desired);
  const std::vector<const IgnoreRule*> rules = matching_rules(options, id);
  if (rules.empty()) return out;
  const bool secret = is_secret(desired);
  for (const auto& tokens : ignored_pointers(rules, false)) {
    if (const json* value = find_pointer(live, tokens)) {
      set_pointer(out, tokens, *value);
    } else {
      remove_pointer(out, tokens);
    }
    // stringData would overwrite the data value taken from live when the Secret is applied.
    if (secret && tokens.size() == 2 && tokens[0] == "data") remove_pointer(out, {"stringData", tokens[1]});
    if (secret && tokens.size() == 2 && tokens[0] == "stringData") {
      remove_pointer(out, tokens);
      std::vector<std::string> data = {"data", tokens[1]};
      if (const json* value = find_pointer(live, data)) {
        set_pointer(out, data, *value);
      } else {
        remove_pointer(out, data);
      }
    }
  }
  if (std::optional<FieldSet> owned = ignored_manager_fields(live, rules)) {
    std::vector<std::string> schema;
    adopt_owned(out, live, *owned, id, schema);
  }
  return out;
}

}  // namespace

Json respect_ignore_differences(const Json& desired, const Json& live, const DiffOptions& options) {
  try {
    return respect_or_throw(desired, live, options);
  } catch (const std::exception&) {
    return desired;  // only a list key that is not UTF-8 gets here; apply what git says
  }
}

}  // namespace ferry::reconciler
