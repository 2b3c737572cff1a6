#include "kube/sim/validation.h"

#include <regex>

namespace ferry::kube::sim {
namespace {

using Json = nlohmann::json;

bool is_alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool valid_label(const std::string& s) {
  if (s.empty() || s.size() > 63 || !is_alnum_lower(s.front()) || !is_alnum_lower(s.back())) return false;
  for (char c : s) {
    if (!is_alnum_lower(c) && c != '-') return false;
  }
  return true;
}

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

// Label values: empty or up to 63 of [A-Za-z0-9-_.], alphanumeric at both ends.
bool valid_label_value(const std::string& v) {
  static const std::regex kValue(R"(^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$)");
  return v.size() <= 63 && std::regex_match(v, kValue);
}

bool valid_qualified_name(const std::string& key) {
  static const std::regex kName(R"(^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$)");
  std::string name = key;
  size_t slash = key.find('/');
  if (slash != std::string::npos) {
    if (!subdomain_error(key.substr(0, slash)).empty()) return false;
    name = key.substr(slash + 1);
  }
  return !name.empty() && name.size() <= 63 && std::regex_match(name, kName);
}

void invalid(Status& status, const std::string& field, const std::string& message) {
  if (status.ok()) status = Status::Invalid("");
  status.add_cause({"FieldValueInvalid", message, field});
}

void required(Status& status, const std::string& field) {
  if (status.ok()) status = Status::Invalid("");
  status.add_cause({"FieldValueRequired", "Required value", field});
}

void check_string_map(Status& status, const Json& map, const std::string& field, const std::string& kind) {
  if (map.is_null()) return;
  if (!map.is_object()) {
    status = Status::BadRequest("json: cannot unmarshal " + std::string(map.type_name()) + " into Go struct field " +
                                kind + " of type map[string]string");
    return;
  }
  for (const auto& [k, v] : map.items()) {
    if (!v.is_string()) {
      status = Status::BadRequest("json: cannot unmarshal " + std::string(v.type_name()) + " into Go struct field " +
                                  kind + "." + field + " of type string");
      return;
    }
  }
}

void check_pod_spec(Status& status, const Json& spec, const std::string& at) {
  if (!spec.is_object()) return required(status, at);
  const Json& containers = spec.value("containers", Json::array());
  if (!containers.is_array() || containers.empty()) return required(status, at + ".containers");
  for (size_t i = 0; i < containers.size(); ++i) {
    std::string c = at + ".containers[" + std::to_string(i) + "]";
    if (containers[i].value("name", "").empty()) required(status, c + ".name");
    else if (!valid_label(containers[i].value("name", "")))
      invalid(status, c + ".name", "Invalid value: " + in_quotes(containers[i].value("name", "")) + ": " +
                                        label_name_error(containers[i].value("name", "")));
    if (containers[i].value("image", "").empty()) required(status, c + ".image");
  }
}

const Json* find(const Json& object, std::initializer_list<const char*> path) {
  const Json* node = &object;
  for (const char* p : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(p);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

}  // namespace

std::string subdomain_error(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 253;
  if (ok) {
    size_t start = 0;
    while (start <= name.size()) {
      size_t dot = name.find('.', start);
      std::string part = name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!valid_label(part)) ok = false;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  }
  if (ok) return "";
  if (name.size() > 253) return "must be no more than 253 characters";
  return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
         "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
}

std::string label_name_error(const std::string& name) {
  if (valid_label(name)) return "";
  if (name.size() > 63) return "must be no more than 63 characters";
  return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
         "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
}

Status validate_object(const ResourceType& type, const Json& object, const Json* old) {
  Status status;
  const Json& meta = object.value("metadata", Json::object());
  std::string name = meta.value("name", "");
  bool dns_label = type.kind == "Namespace" || type.kind == "Service";
  std::string name_error = dns_label ? label_name_error(name) : subdomain_error(name);
  if (name.empty()) {
    required(status, "metadata.name");
  } else if (!name_error.empty() && !type.custom) {
    invalid(status, "metadata.name", "Invalid value: " + in_quotes(name) + ": " + name_error);
  }
  check_string_map(status, meta.value("labels", Json()), "labels", "ObjectMeta");
  check_string_map(status, meta.value("annotations", Json()), "annotations", "ObjectMeta");
  if (!status.ok() && status.is(Reason::kBadRequest)) return status;
  const Json labels = meta.value("labels", Json::object());
  for (const auto& [k, v] : labels.items()) {
    if (!valid_qualified_name(k)) invalid(status, "metadata.labels", "Invalid value: " + in_quotes(k) + ": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
    if (!valid_label_value(v.get<std::string>()))
      invalid(status, "metadata.labels", "Invalid value: " + in_quotes(v.get<std::string>()) + ": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  }
  if (type.kind == "ConfigMap" && type.group.empty()) {
    check_string_map(status, object.value("data", Json()), "data", "ConfigMap");
    const Json data = object.value("data", Json::object());
    for (const auto& [k, v] : data.items()) {
      static const std::regex kKey(R"(^[-._a-zA-Z0-9]+$)");
      if (!std::regex_match(k, kKey)) invalid(status, "data[" + k + "]", "Invalid value: " + in_quotes(k) + ": a valid config key must consist of alphanumeric characters, '-', '_' or '.'");
    }
  }
  if (type.kind == "Secret" && type.group.empty()) {
    check_string_map(status, object.value("data", Json()), "data", "Secret");
    check_string_map(status, object.value("stringData", Json()), "stringData", "Secret");
  }
  if (!status.ok() && status.is(Reason::kBadRequest)) return status;

  bool workload = type.group == "apps" || (type.group == "batch" && type.kind == "Job");
  if (workload) {
    if (type.kind != "Job" && !find(object, {"spec", "selector"})) required(status, "spec.selector");
    const Json* pod = find(object, {"spec", "template", "spec"});
    check_pod_spec(status, pod ? *pod : Json(), "spec.template.spec");
    const Json* selector = find(object, {"spec", "selector", "matchLabels"});
    const Json* labels = find(object, {"spec", "template", "metadata", "labels"});
    if (selector && selector->is_object() && type.kind != "Job") {
      for (const auto& [k, v] : selector->items()) {
        if (!labels || !labels->is_object() || labels->value(k, Json()) != v) {
          invalid(status, "spec.template.metadata.labels",
                  "Invalid value: " + (labels ? labels->dump() : "null") + ": `selector` does not match template `labels`");
          break;
        }
      }
    }
  }
  if (type.kind == "Pod" && type.group.empty()) check_pod_spec(status, object.value("spec", Json()), "spec");
  if (type.kind == "Service" && type.group.empty()) {
    const Json* ports = find(object, {"spec", "ports"});
    std::string service_type = object.value("spec", Json::object()).value("type", "ClusterIP");
    std::string cluster_ip = object.value("spec", Json::object()).value("clusterIP", "");
    if ((!ports || !ports->is_array() || ports->empty()) && cluster_ip != "None" && service_type != "ExternalName") {
      required(status, "spec.ports");
    }
  }
  if (old) {
    auto immutable = [&](std::initializer_list<const char*> path, const std::string& field) {
      const Json* before = find(*old, path);
      const Json* after = find(object, path);
      if (before && after && *before != *after) invalid(status, field, "Invalid value: " + after->dump() + ": field is immutable");
    };
    if (type.group == "apps") immutable({"spec", "selector"}, "spec.selector");
    if (type.kind == "Job") immutable({"spec", "template"}, "spec.template");
    if (type.kind == "Service" && type.group.empty()) immutable({"spec", "clusterIP"}, "spec.clusterIP");
  }
  if (!status.ok() && status.is(Reason::kInvalid)) {
    std::string message = type.kind + " " + in_quotes(name) + " is invalid: ";
    for (size_t i = 0; i < status.causes().size(); ++i) {
      const auto& c = status.causes()[i];
      message += (i ? ", " : "") + c.field + ": " + c.message;
    }
    if (status.causes().size() > 1) message = type.kind + " " + in_quotes(name) + " is invalid: [" + message.substr(type.kind.size() + name.size() + 15) + "]";
    Status full(Reason::kInvalid, message);
    for (const auto& c : status.causes()) full.add_cause(c);
    return full;
  }
  return status;
}

}  // namespace ferry::kube::sim
