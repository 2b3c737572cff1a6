#include "kube/sim/tables.h"

#include <ctime>

namespace ferry::kube::sim {
namespace {

struct Column {
  std::string name;
  std::string type = "string";
  std::string format;
  int priority = 0;
  std::function<Json(const Json&)> cell;
};

const Json& at(const Json& object, std::initializer_list<const char*> path) {
  static const Json kNull;
  const Json* node = &object;
  for (const char* p : path) {
    if (!node->is_object()) return kNull;
    auto it = node->find(p);
    if (it == node->end()) return kNull;
    node = &*it;
  }
  return *node;
}

int64_t number(const Json& v) { return v.is_number() ? v.get<int64_t>() : 0; }

// Kubernetes' short human durations: 45s, 3m12s, 5h, 2d.
std::string age(const Json& object) {
  const Json& created = at(object, {"metadata", "creationTimestamp"});
  if (!created.is_string()) return "<unknown>";
  std::tm tm{};
  if (!strptime(created.get<std::string>().c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return "<unknown>";
  long seconds = static_cast<long>(std::time(nullptr) - timegm(&tm));
  if (seconds < 0) seconds = 0;
  if (seconds < 120) return std::to_string(seconds) + "s";
  if (seconds < 600) return std::to_string(seconds / 60) + "m" + std::to_string(seconds % 60) + "s";
  if (seconds < 3 * 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 48 * 3600) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

// A JSONPath of the simple form ".status.sync.status" (what printer columns use).
Json simple_json_path(const Json& object, const std::string& path) {
  const Json* node = &object;
  size_t start = path.starts_with(".") ? 1 : 0;
  while (start < path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *node;
}

std::vector<Column> columns_for(const ResourceType& type) {
  std::vector<Column> c;
  c.push_back({"Name", "string", "name", 0, [](const Json& o) { return at(o, {"metadata", "name"}); }});
  const std::string& k = type.kind;
  if (type.custom) {
    for (const auto& pc : type.printer_columns) {
      std::string path = pc.value("jsonPath", "");
      c.push_back({pc.value("name", ""), pc.value("type", "string"), pc.value("format", ""), pc.value("priority", 0),
                   [path](const Json& o) { return simple_json_path(o, path); }});
    }
  } else if (k == "Deployment") {
    c.push_back({"Ready", "string", "", 0, [](const Json& o) {
                   return std::to_string(number(at(o, {"status", "readyReplicas"}))) + "/" +
                          std::to_string(number(at(o, {"spec", "replicas"})));
                 }});
    c.push_back({"Up-to-date", "integer", "", 0, [](const Json& o) { return number(at(o, {"status", "updatedReplicas"})); }});
    c.push_back({"Available", "integer", "", 0, [](const Json& o) { return number(at(o, {"status", "availableReplicas"})); }});
  } else if (k == "StatefulSet" || k == "ReplicaSet") {
    c.push_back({"Ready", "string", "", 0, [](const Json& o) {
                   return std::to_string(number(at(o, {"status", "readyReplicas"}))) + "/" +
                          std::to_string(number(at(o, {"spec", "replicas"})));
                 }});
  } else if (k == "Pod") {
    c.push_back({"Status", "string", "", 0, [](const Json& o) { return at(o, {"status", "phase"}); }});
  } else if (k == "Service") {
    c.push_back({"Type", "string", "", 0, [](const Json& o) { return at(o, {"spec", "type"}); }});
    c.push_back({"Cluster-IP", "string", "", 0, [](const Json& o) { return at(o, {"spec", "clusterIP"}); }});
  } else if (k == "Namespace" || k == "PersistentVolumeClaim") {
    c.push_back({"Status", "string", "", 0, [](const Json& o) { return at(o, {"status", "phase"}); }});
  } else if (k == "ConfigMap" || k == "Secret") {
    c.push_back({"Data", "integer", "", 0, [](const Json& o) {
                   const Json& d = at(o, {"data"});
                   return static_cast<int64_t>(d.is_object() ? d.size() : 0);
                 }});
  } else if (k == "Job") {
    c.push_back({"Status", "string", "", 0, [](const Json& o) {
                   for (const auto& cond : at(o, {"status", "conditions"})) {
                     if (cond.value("status", "") == "True") return Json(cond.value("type", ""));
                   }
                   return Json("Running");
                 }});
  }
  c.push_back({"Age", "string", "", 0, [](const Json& o) { return age(o); }});
  return c;
}

}  // namespace

Json to_table(const ResourceType& type, const std::vector<ObjectPtr>& objects, const std::string& include_object,
              const std::string& resource_version) {
  auto columns = columns_for(type);
  Json definitions = Json::array();
  for (const auto& col : columns) {
    definitions.push_back({{"name", col.name}, {"type", col.type}, {"format", col.format}, {"description", ""},
                           {"priority", col.priority}});
  }
  Json rows = Json::array();
  for (const auto& object : objects) {
    Json cells = Json::array();
    for (const auto& col : columns) cells.push_back(col.cell(*object));
    Json row = {{"cells", cells}};
    if (include_object == "Object") {
      row["object"] = *object;
    } else if (include_object != "None") {
      row["object"] = {{"kind", "PartialObjectMetadata"},
                       {"apiVersion", "meta.k8s.io/v1"},
                       {"metadata", object->value("metadata", Json::object())}};
    }
    rows.push_back(std::move(row));
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", {{"resourceVersion", resource_version}}},
          {"columnDefinitions", definitions},
          {"rows", rows}};
}

}  // namespace ferry::kube::sim
