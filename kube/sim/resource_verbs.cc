// The resource verbs of the simulator: get, list, watch, create, update, patch (merge, JSON,
// strategic, apply), delete, deletecollection and the /status and /scale subresources.
#include <random>

#include "apis/types/yaml_codec.h"
#include "kube/machinery/defaults.h"
#include "kube/machinery/managed_fields.h"
#include "kube/machinery/patch.h"
#include "kube/machinery/selector.h"
#include "kube/sim/sim_internal.h"
#include "kube/sim/tables.h"
#include "kube/sim/validation.h"

namespace ferry::kube::sim {
namespace {

// The resource's name in messages: "configmaps", "deployments.apps".
std::string qualified(const ResourceType& type) {
  return type.group.empty() ? type.plural : type.plural + "." + type.group;
}

Status not_found(const ResourceType& type, const std::string& name) {
  return Status::NotFound(qualified(type) + " \"" + name + "\" not found");
}

std::string random_suffix() {
  static thread_local std::mt19937 random{std::random_device{}()};
  static const char* kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string s;
  for (int i = 0; i < 5; ++i) s.push_back(kAlphabet[random() % 27]);
  return s;
}

Result<Json> decode_body(const http::Request& request) {
  const auto* ct = request.header("content-type");
  std::string type = ct ? ct->substr(0, ct->find(';')) : "application/json";
  if (request.body.empty()) return Status::BadRequest("the request body is empty");
  if (type.find("protobuf") != std::string::npos || type.find("cbor") != std::string::npos) {
    return Status(Reason::kUnsupportedMediaType, "the body of the request was in an unknown format - accepted media "
                                                 "types include: application/json, application/yaml");
  }
  bool yaml = type.find("yaml") != std::string::npos;
  if (!yaml) {
    Json body = Json::parse(request.body, nullptr, false);
    if (body.is_discarded()) {
      // Accept YAML sent as JSON only if it parses as YAML; otherwise say why.
      return Status::BadRequest("the object provided is unrecognized (must be of type Object): couldn't get "
                                "version/kind; json parse error: invalid JSON in request body");
    }
    if (!body.is_object()) return Status::BadRequest("the object provided is unrecognized (must be a JSON object)");
    return body;
  }
  auto docs = yaml::parse_stream(request.body, "request body");
  if (!docs.ok()) return Status::BadRequest(docs.status().message());
  if (docs->size() != 1 || !(*docs)[0].value.is_object()) {
    return Status::BadRequest("the request body must hold exactly one YAML object");
  }
  try {
    (void)(*docs)[0].value.dump();  // YAML does not check UTF-8; JSON output must be valid
  } catch (const nlohmann::json::exception&) {
    return Status::BadRequest("the request body is not valid UTF-8");
  }
  return std::move((*docs)[0].value);
}

const Json& meta_of(const Json& object) {
  static const Json kEmpty = Json::object();
  auto it = object.find("metadata");
  return it == object.end() || !it->is_object() ? kEmpty : *it;
}

std::string rv_of(const Json& object) { return meta_of(object).value("resourceVersion", ""); }

// Everything except metadata and status: a change here bumps metadata.generation.
bool spec_changed(const Json& a, const Json& b) {
  for (const auto* side : {&a, &b}) {
    const Json& other = side == &a ? b : a;
    for (const auto& [k, v] : side->items()) {
      if (k == "metadata" || k == "status" || k == "apiVersion" || k == "kind") continue;
      auto it = other.find(k);
      if (it == other.end() || *it != v) return true;
    }
  }
  return false;
}

// Secrets store stringData folded into base64 data, as the API server does.
void fold_string_data(const ResourceType& type, Json& object) {
  if (type.kind != "Secret" || !type.group.empty() || !object.contains("stringData")) return;
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (const auto& [k, v] : object["stringData"].items()) {
    if (!v.is_string()) continue;
    const std::string& text = v.get_ref<const std::string&>();
    std::string out;
    size_t i = 0;
    for (; i + 2 < text.size(); i += 3) {
      uint32_t n = (uint8_t(text[i]) << 16) | (uint8_t(text[i + 1]) << 8) | uint8_t(text[i + 2]);
      for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(n >> s) & 63]);
    }
    if (i < text.size()) {
      uint32_t n = uint8_t(text[i]) << 16;
      if (i + 1 < text.size()) n |= uint8_t(text[i + 1]) << 8;
      out.push_back(kAlphabet[(n >> 18) & 63]);
      out.push_back(kAlphabet[(n >> 12) & 63]);
      out.push_back(i + 1 < text.size() ? kAlphabet[(n >> 6) & 63] : '=');
      out.push_back('=');
    }
    object["data"][k] = out;
  }
  object.erase("stringData");
}

// Equal apart from the fields a write always touches; such a write changes nothing.
bool same_content(const Json& a, const Json& b) {
  Json x = a, y = b;
  for (Json* o : {&x, &y}) {
    if (!o->contains("metadata")) continue;
    (*o)["metadata"].erase("resourceVersion");
    (*o)["metadata"].erase("managedFields");
  }
  if (x != y) return false;
  // Ownership changes (a new manager taking fields) are real changes even with equal content.
  auto fields = [](const Json& o) {
    Json m = meta_of(o).value("managedFields", Json::array());
    for (auto& e : m) e.erase("time");
    return m;
  };
  return fields(a) == fields(b);
}

Json scale_of(const ResourceType& type, const Json& object) {
  const Json& meta = meta_of(object);
  auto read = [&](const std::string& path) -> Json {
    const Json* node = &object;
    size_t start = 1;
    while (start < path.size()) {
      size_t dot = path.find('.', start);
      std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!node->is_object() || !node->contains(part)) return nullptr;
      node = &(*node)[part];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return *node;
  };
  Json spec_replicas = read(type.scale_spec_path);
  Json status_replicas = read(type.scale_status_path);
  std::string selector;
  if (!type.custom) {
    auto parsed = LabelSelector::from_json(object.value("spec", Json::object()).value("selector", Json::object()));
    if (parsed.ok()) selector = parsed->to_string();
  } else if (!type.scale_selector_path.empty()) {
    Json s = read(type.scale_selector_path);
    if (s.is_string()) selector = s.get<std::string>();
  }
  Json status = {{"replicas", status_replicas.is_number() ? status_replicas : Json(0)}};
  if (!selector.empty()) status["selector"] = selector;
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata",
           {{"name", meta.value("name", "")}, {"namespace", meta.value("namespace", "")},
            {"uid", meta.value("uid", "")}, {"resourceVersion", meta.value("resourceVersion", "")},
            {"creationTimestamp", meta.value("creationTimestamp", "")}}},
          {"spec", {{"replicas", spec_replicas.is_number() ? spec_replicas : Json(0)}}},
          {"status", status}};
}

void write_path(Json& object, const std::string& path, const Json& value) {
  Json* node = &object;
  size_t start = 1;
  while (start < path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *node = value;
}

std::string continue_token(const std::string& key) {
  std::string out;
  char buf[3];
  for (unsigned char c : key) {
    snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

bool decode_continue(const std::string& token, std::string& key) {
  if (token.size() % 2) return false;
  key.clear();
  for (size_t i = 0; i < token.size(); i += 2) {
    if (!std::isxdigit(static_cast<unsigned char>(token[i])) || !std::isxdigit(static_cast<unsigned char>(token[i + 1]))) return false;
    key.push_back(static_cast<char>(std::stoi(token.substr(i, 2), nullptr, 16)));
  }
  return true;
}

}  // namespace

Json ApiServer::Impl::present(const ResourceType& type, const Json& object) const {
  if (object.value("apiVersion", "") == type.api_version()) return object;
  Json copy = object;
  copy["apiVersion"] = type.api_version();
  return copy;
}

http::Response ApiServer::Impl::dispatch(RequestContext& ctx) {
  const ResourceType& type = *ctx.type;
  if (type.namespaced && ctx.path.ns.empty() && ctx.verb != "list" && ctx.verb != "watch") {
    return error_response(Status::NotFound("the server could not find the requested resource"));
  }
  if (ctx.path.subresource == "scale") return scale(ctx);
  if (ctx.verb == "get") return get(ctx);
  if (ctx.verb == "list") return list(ctx);
  if (ctx.verb == "watch") return watch(ctx);
  if (ctx.verb == "create") {
    if (!ctx.path.name.empty() || !ctx.path.subresource.empty()) {
      return error_response(Status(Reason::kMethodNotAllowed, "the server does not allow this method on the requested resource"));
    }
    return create(ctx);
  }
  if (ctx.verb == "update") return update(ctx);
  if (ctx.verb == "patch") return patch(ctx);
  if (ctx.verb == "delete") return remove(ctx);
  if (ctx.verb == "deletecollection") return remove_collection(ctx);
  return error_response(Status(Reason::kMethodNotAllowed, "unsupported verb"));
}

http::Response ApiServer::Impl::get(RequestContext& ctx) {
  const ResourceType& type = *ctx.type;
  ObjectPtr object = store.get({type.storage_key(), ctx.path.ns, ctx.path.name});
  if (!object) return error_response(not_found(type, ctx.path.name), ctx.path.name, type.group, type.plural);
  if (ctx.wants_table) {
    return json_response(200, to_table(type, {object}, ctx.http->query_param("includeObject", "Metadata"), rv_of(*object)));
  }
  http::Response r;
  r.body = present(type, *object).dump();
  return r;
}

http::Response ApiServer::Impl::list(RequestContext& ctx) {
  const ResourceType& type = *ctx.type;
  auto labels = LabelSelector::parse(ctx.http->query_param("labelSelector"));
  if (!labels.ok()) return error_response(labels.status());
  auto fields = FieldSelector::parse(ctx.http->query_param("fieldSelector"));
  if (!fields.ok()) return error_response(fields.status());
  ObjectStore::ListOptions options;
  options.ns = ctx.path.ns;
  std::string limit = ctx.http->query_param("limit");
  if (!limit.empty()) {
    try {
      options.limit = static_cast<size_t>(std::stoll(limit));
    } catch (...) {
      return error_response(Status::BadRequest("invalid limit \"" + limit + "\""));
    }
  }
  std::string token = ctx.http->query_param("continue");
  if (!token.empty() && !decode_continue(token, options.after_name_key)) {
    return error_response(Status::BadRequest("continue key is not valid: " + token));
  }
  if (!labels->empty() || !fields->empty()) {
    const LabelSelector& l = *labels;
    const FieldSelector& f = *fields;
    options.filter = [&l, &f](const Json& o) {
      return l.matches(meta_of(o).value("labels", Json())) && f.matches(o);
    };
  }
  auto result = store.list(type.storage_key(), options);
  std::string rv = std::to_string(result.resource_version);
  if (ctx.wants_table) {
    Json table = to_table(type, result.items, ctx.http->query_param("includeObject", "Metadata"), rv);
    if (!result.last_key.empty()) table["metadata"]["continue"] = continue_token(result.last_key);
    return json_response(200, table);
  }
  // Serialise by hand: the items are already JSON, and lists can be large.
  std::string body = "{\"kind\":\"" + type.kind + "List\",\"apiVersion\":\"" + type.api_version() +
                     "\",\"metadata\":{\"resourceVersion\":\"" + rv + "\"";
  if (!result.last_key.empty()) {
    body += ",\"continue\":\"" + continue_token(result.last_key) + "\",\"remainingItemCount\":" +
            std::to_string(result.remaining);
  }
  body += "},\"items\":[";
  for (size_t i = 0; i < result.items.size(); ++i) {
    if (i) body += ",";
    body += present(type, *result.items[i]).dump();
  }
  body += "]}";
  http::Response r;
  r.body = std::move(body);
  return r;
}

http::Response ApiServer::Impl::watch(RequestContext& ctx) {
  auto type = ctx.type;
  auto labels = LabelSelector::parse(ctx.http->query_param("labelSelector"));
  if (!labels.ok()) return error_response(labels.status());
  auto fields = FieldSelector::parse(ctx.http->query_param("fieldSelector"));
  if (!fields.ok()) return error_response(fields.status());
  std::string rv_text = ctx.http->query_param("resourceVersion");
  uint64_t rv = 0;
  if (!rv_text.empty()) {
    try {
      rv = std::stoull(rv_text);
    } catch (...) {
      return error_response(Status::BadRequest("invalid resource version \"" + rv_text + "\""));
    }
  }
  int timeout = 1800;
  if (ctx.http->has_query_param("timeoutSeconds")) {
    try {
      timeout = std::stoi(ctx.http->query_param("timeoutSeconds"));
    } catch (...) {
      return error_response(Status::BadRequest("invalid timeoutSeconds"));
    }
  }
  struct WatchState {
    std::shared_ptr<const ResourceType> type;
    std::string ns, name;
    LabelSelector labels;
    FieldSelector fields;
    bool bookmarks, table;
    std::chrono::steady_clock::time_point deadline;
  };
  auto state = std::make_shared<WatchState>(WatchState{
      type, ctx.path.ns, ctx.path.name, *labels, *fields, ctx.http->query_param("allowWatchBookmarks") == "true",
      ctx.wants_table, std::chrono::steady_clock::now() + std::chrono::seconds(std::max(timeout, 1))});
  http::Response response;
  response.start_stream = [this, state, rv](std::shared_ptr<http::ChunkWriter> writer) {
    auto matches = [state](const Json& o) {
      const Json& meta = meta_of(o);
      if (!state->ns.empty() && meta.value("namespace", "") != state->ns) return false;
      if (!state->name.empty() && meta.value("name", "") != state->name) return false;
      return state->labels.matches(meta.value("labels", Json())) && state->fields.matches(o);
    };
    auto sink = [this, state, writer, matches](const WatchEvent& e) {
      if (writer->closed()) return false;
      if (e.type == "CLOSE" || std::chrono::steady_clock::now() > state->deadline) {
        writer->close();
        return false;
      }
      if (e.type == "BOOKMARK") {
        if (!state->bookmarks) return true;
        Json object = {{"kind", state->type->kind}, {"apiVersion", state->type->api_version()},
                       {"metadata", {{"resourceVersion", std::to_string(e.resource_version)}}}};
        return writer->write(Json{{"type", "BOOKMARK"}, {"object", object}}.dump() + "\n");
      }
      if (!matches(*e.object)) return true;
      Json object = state->table ? to_table(*state->type, {e.object}, "Metadata", rv_of(*e.object))
                                 : present(*state->type, *e.object);
      std::string line = "{\"type\":\"" + e.type + "\",\"object\":" + object.dump() + "}\n";
      bytes_out += line.size();
      return writer->write(std::move(line));
    };
    Status s = store.watch(state->type->storage_key(), rv, matches, sink);
    if (!s.ok()) {
      writer->write(Json{{"type", "ERROR"}, {"object", status_json(s)}}.dump() + "\n");
      writer->close();
    }
  };
  return response;
}

Status ApiServer::Impl::check_namespace_open(const ResourceType& type, const std::string& ns) {
  if (!type.namespaced) return Status::Ok();
  ObjectPtr namespace_object = store.get({"/namespaces", "", ns});
  if (!namespace_object) return Status::NotFound("namespaces \"" + ns + "\" not found");
  if (meta_of(*namespace_object).contains("deletionTimestamp")) {
    return Status(Reason::kForbidden, "unable to create new content in namespace " + ns +
                                          " because it is being terminated");
  }
  return Status::Ok();
}

Result<Json> ApiServer::Impl::prepare_create(const ResourceType& type, Json object, uint64_t version) {
  Json& meta = object["metadata"];
  if (!meta.is_object()) meta = Json::object();
  if (meta.value("name", "").empty() && !meta.value("generateName", "").empty()) {
    meta["name"] = meta.value("generateName", "") + random_suffix();
  }
  for (const char* server_set : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                                 "generation", "selfLink"}) {
    meta.erase(server_set);
  }
  meta["uid"] = new_uid();
  meta["creationTimestamp"] = now_rfc3339();
  meta["resourceVersion"] = std::to_string(version);
  if (type.sets_generation) meta["generation"] = 1;
  if (type.status_subresource && type.kind != "Namespace") object["status"] = Json::object();
  fold_string_data(type, object);
  apply_defaults(type.group, type.kind, object);
  if (type.group.empty() && type.kind == "Secret" && !object.contains("type")) object["type"] = "Opaque";
  if (type.group.empty() && type.kind == "Namespace") {
    object["spec"]["finalizers"] = Json::array({"kubernetes"});
    object["status"] = {{"phase", "Active"}};
    meta["labels"]["kubernetes.io/metadata.name"] = meta.value("name", "");
  }
  if (type.group.empty() && type.kind == "Service") {
    Json& spec = object["spec"];
    if (spec.value("clusterIP", "").empty() && spec.value("type", "ClusterIP") != "ExternalName") {
      uint32_t n = service_ip_counter++;
      std::string ip = "10.96." + std::to_string((n >> 8) & 255) + "." + std::to_string(n & 255);
      spec["clusterIP"] = ip;
      spec["clusterIPs"] = Json::array({ip});
    }
    if (spec.value("type", "") == "NodePort" || spec.value("type", "") == "LoadBalancer") {
      for (auto& port : spec["ports"]) {
        if (!port.contains("nodePort")) port["nodePort"] = 30000 + static_cast<int>(service_ip_counter++ % 2767);
      }
    }
    object["status"] = {{"loadBalancer", Json::object()}};
  }
  if (type.group == "apiextensions.k8s.io" && type.kind == "CustomResourceDefinition") {
    object["status"] = {{"conditions",
                         {{{"type", "NamesAccepted"}, {"status", "True"}, {"reason", "NoConflicts"},
                           {"message", "no conflicts found"}, {"lastTransitionTime", now_rfc3339()}},
                          {{"type", "Established"}, {"status", "True"}, {"reason", "InitialNamesAccepted"},
                           {"message", "the initial names have been accepted"}, {"lastTransitionTime", now_rfc3339()}}}},
                        {"acceptedNames", object["spec"].value("names", Json::object())},
                        {"storedVersions", Json::array()}};
    for (const auto& v : object["spec"].value("versions", Json::array())) {
      if (v.value("storage", false)) object["status"]["storedVersions"].push_back(v.value("name", ""));
    }
  }
  return object;
}

http::Response ApiServer::Impl::create(RequestContext& ctx) {
  const ResourceType& type = *ctx.type;
  auto body = decode_body(*ctx.http);
  if (!body.ok()) return error_response(body.status());
  Json object = std::move(*body);
  if (object.value("kind", "") != type.kind || object.value("apiVersion", "") != type.api_version()) {
    if (object.value("kind", "").empty() || object.value("apiVersion", "").empty()) {
      return error_response(Status::BadRequest("Object 'Kind' is missing in '" + object.dump().substr(0, 200) + "'"));
    }
    return error_response(Status::BadRequest("the API version in the data (" + object.value("apiVersion", "") +
                                             ") does not match the expected API version (" + type.api_version() +
                                             ") or kind " + object.value("kind", "") + " is not " + type.kind));
  }
  Json& meta = object["metadata"];
  if (!meta.is_object()) meta = Json::object();
  if (type.namespaced) {
    std::string body_ns = meta.value("namespace", "");
    if (!body_ns.empty() && body_ns != ctx.path.ns) {
      return error_response(Status::BadRequest("the namespace of the provided object does not match the namespace "
                                               "sent on the request"));
    }
    meta["namespace"] = ctx.path.ns;
    Status open = check_namespace_open(type, ctx.path.ns);
    if (!open.ok()) return error_response(open, ctx.path.ns, "", "namespaces");
  } else {
    meta.erase("namespace");
  }
  if (meta.value("name", "").empty() && meta.value("generateName", "").empty()) {
    Status s(Reason::kInvalid, type.kind + " \"\" is invalid: metadata.name: Required value: name or generateName is required");
    s.add_cause({"FieldValueRequired", "Required value: name or generateName is required", "metadata.name"});
    return error_response(s, "", type.group, type.kind);
  }
  if (meta.value("name", "").empty()) meta["name"] = meta.value("generateName", "") + random_suffix();
  std::string name = meta.value("name", "");
  ObjectKey key{type.storage_key(), type.namespaced ? ctx.path.ns : "", name};
  std::string manager = ctx.field_manager;
  auto build = [&](uint64_t version) -> Result<Json> {
    auto prepared = prepare_create(type, object, version);
    if (!prepared.ok()) return prepared.status();
    Status valid = validate_object(type, *prepared, nullptr);
    if (!valid.ok()) return valid;
    ApplyRequest request{type.group, type.kind, type.api_version(), manager, "", false,
                         meta_of(*prepared).value("creationTimestamp", "")};
    record_update(Json(), *prepared, request);
    return prepared;
  };
  auto fail = [&](const Status& s) {
    return error_response(s, name, type.group, s.is(Reason::kInvalid) ? type.kind : type.plural);
  };
  if (ctx.dry_run) {
    if (store.get(key)) return fail(Status::AlreadyExists(qualified(type) + " \"" + name + "\" already exists"));
    auto prepared = build(store.current_version());
    if (!prepared.ok()) return fail(prepared.status());
    return json_response(201, present(type, *prepared));
  }
  auto result = store.mutate(key, [&](const ObjectPtr& current, uint64_t version) -> Result<ObjectPtr> {
    if (current) return Status::AlreadyExists(qualified(type) + " \"" + name + "\" already exists");
    auto prepared = build(version);
    if (!prepared.ok()) return prepared.status();
    return std::make_shared<const Json>(std::move(*prepared));
  });
  if (!result.ok()) return fail(result.status());
  after_write(type, key, nullptr, *result);
  return json_response(201, present(type, **result));
}

namespace {

// The common tail of update and non-apply patches: carry over what clients may not change,
// default, validate, bump generation, attribute fields.
Result<Json> finish_update(const ResourceType& type, const Json& current, Json updated, const std::string& subresource,
                           const std::string& manager, uint64_t version) {
  const Json& old_meta = meta_of(current);
  Json& meta = updated["metadata"];
  if (!meta.is_object()) meta = Json::object();
  if (!meta.value("name", "").empty() && meta.value("name", "") != old_meta.value("name", "")) {
    return Status::BadRequest("the name of the object (" + meta.value("name", "") +
                              ") does not match the name on the URL (" + old_meta.value("name", "") + ")");
  }
  std::string given_rv = meta.value("resourceVersion", "");
  if (!given_rv.empty() && given_rv != old_meta.value("resourceVersion", "")) {
    return Status::Conflict("Operation cannot be fulfilled on " + qualified(type) + " \"" +
                            old_meta.value("name", "") +
                            "\": the object has been modified; please apply your changes to the latest version and "
                            "try again");
  }
  for (const char* kept : {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                           "deletionGracePeriodSeconds", "generation"}) {
    if (old_meta.contains(kept)) meta[kept] = old_meta[kept];
    else meta.erase(kept);
  }
  if (!meta.contains("managedFields") && old_meta.contains("managedFields")) meta["managedFields"] = old_meta["managedFields"];
  if (subresource == "status") {
    // Only status changes through /status.
    Json status = updated.value("status", Json::object());
    updated = current;
    updated["status"] = status;
  } else if (type.status_subresource && current.contains("status")) {
    updated["status"] = current["status"];
  }
  fold_string_data(type, updated);
  apply_defaults(type.group, type.kind, updated);
  if (type.kind == "Service" && type.group.empty()) {
    // clusterIP is allocated once and kept when an update leaves it out.
    const Json& old_spec = current.value("spec", Json::object());
    Json& spec = updated["spec"];
    if (!spec.contains("clusterIP") && old_spec.contains("clusterIP")) spec["clusterIP"] = old_spec["clusterIP"];
    if (!spec.contains("clusterIPs") && old_spec.contains("clusterIPs")) spec["clusterIPs"] = old_spec["clusterIPs"];
  }
  if (type.kind == "Namespace" && type.group.empty()) {
    if (!updated.contains("spec")) updated["spec"] = current.value("spec", Json::object());
    updated["metadata"]["labels"]["kubernetes.io/metadata.name"] = old_meta.value("name", "");
  }
  Status valid = validate_object(type, updated, &current);
  if (!valid.ok()) return valid;
  if (type.sets_generation && subresource.empty() && spec_changed(current, updated)) {
    updated["metadata"]["generation"] = old_meta.value("generation", 1) + 1;
  }
  ApplyRequest request{type.group, type.kind, type.api_version(), manager, subresource, false, now_rfc3339()};
  record_update(current, updated, request);
  updated["metadata"]["resourceVersion"] = std::to_string(version);
  return updated;
}

}  // namespace

http::Response ApiServer::Impl::update(RequestContext& ctx) {
  const ResourceType& type = *ctx.type;
  auto body = decode_body(*ctx.http);
  if (!body.ok()) return error_response(body.status());
  ObjectKey key{type.storage_key(), ctx.path.ns, ctx.path.name};
  std::string manager = ctx.field_manager;
  ObjectPtr before;
  bool dry = ctx.dry_run;
  ObjectPtr dry_result;
  auto result = store.mutate(key, [&](const ObjectPtr& current, uint64_t version) -> Result<ObjectPtr> {
    if (!current) return not_found(type, ctx.path.name);
    before = current;
    auto updated = finish_update(type, *current, *body, ctx.path.subresource, manager, version);
    if (!updated.ok()) return updated.status();
    if (same_content(*current, *updated)) return current;
    auto ptr = std::make_shared<const Json>(std::move(*updated));
    if (dry) {
      dry_result = ptr;
      return current;
    }
    return ObjectPtr(ptr);
  });
  if (!result.ok()) return error_response(result.status(), ctx.path.name, type.group,
                                          result.status().is(Reason::kInvalid) ? type.kind : type.plural);
  if (dry) return json_response(200, present(type, dry_result ? *dry_result : **result));
  if (*result != before) after_write(type, key, before, *result);
  return json_response(200, present(type, **result));
}

http::Response ApiServer::Impl::patch(RequestContext& ctx) {
  const ResourceType& type = *ctx.type;
  const auto* ct_header = ctx.http->header("content-type");
  std::string ct = ct_header ? ct_header->substr(0, ct_header->find(';')) : "";
  bool apply = ct == "application/apply-patch+yaml" || ct == "application/apply-patch+json";
  bool merge = ct == "application/merge-patch+json";
  bool json_patch = ct == "application/json-patch+json";
  bool strategic = ct == "application/strategic-merge-patch+json";
  if (!apply && !merge && !json_patch && !strategic) {
    return error_response(Status(Reason::kUnsupportedMediaType,
                                 "the body of the request was in an unknown format - accepted media types include: "
                                 "application/json-patch+json, application/merge-patch+json, "
                                 "application/apply-patch+yaml" +
                                     std::string(type.custom ? "" : ", application/strategic-merge-patch+json")));
  }
  if (strategic && type.custom) {
    return error_response(Status(Reason::kUnsupportedMediaType,
                                 "the body of the request was in an unknown format - accepted media types include: "
                                 "application/json-patch+json, application/merge-patch+json, "
                                 "application/apply-patch+yaml"));
  }
  Json patch_body;
  if (json_patch) {
    patch_body = Json::parse(ctx.http->body, nullptr, false);
    if (patch_body.is_discarded() || !patch_body.is_array()) {
      return error_response(Status::BadRequest("the JSON patch must be a JSON array of operations"));
    }
  } else {
    http::Request as_body = *ctx.http;
    as_body.headers = {{"content-type", apply ? "application/yaml" : "application/json"}};
    auto decoded = decode_body(as_body);
    if (!decoded.ok()) return error_response(decoded.status());
    patch_body = std::move(*decoded);
  }
  std::string manager = ctx.http->query_param("fieldManager");
  if (apply) {
    if (manager.empty()) {
      return error_response(Status::BadRequest("PATCH, application/apply-patch+yaml requires fieldManager to be set"));
    }
    if (patch_body.value("apiVersion", "") != type.api_version() || patch_body.value("kind", "") != type.kind) {
      if (ctx.path.subresource.empty()) {
        return error_response(Status::BadRequest("the API version in the data (" + patch_body.value("apiVersion", "") +
                                                 ") does not match the expected API version (" + type.api_version() +
                                                 ") or kind (" + patch_body.value("kind", "") + ")"));
      }
    }
    if (!patch_body.contains("metadata") || !patch_body["metadata"].is_object()) patch_body["metadata"] = Json::object();
    std::string body_name = patch_body["metadata"].value("name", "");
    if (!body_name.empty() && body_name != ctx.path.name) {
      return error_response(Status::BadRequest("the name of the object (" + body_name +
                                               ") does not match the name on the URL (" + ctx.path.name + ")"));
    }
  } else if (manager.empty()) {
    manager = ctx.field_manager;
  }
  bool force = ctx.http->query_param("force") == "true";
  ObjectKey key{type.storage_key(), ctx.path.ns, ctx.path.name};
  ObjectPtr before;
  ObjectPtr dry_result;
  bool dry = ctx.dry_run;
  const std::string& subresource = ctx.path.subresource;
  auto result = store.mutate(key, [&](const ObjectPtr& current, uint64_t version) -> Result<ObjectPtr> {
    before = current;
    Result<Json> updated = Status::Internal("unset");
    if (apply) {
      ApplyRequest request{type.group, type.kind, type.api_version(), manager, subresource, force, now_rfc3339()};
      Json applied = patch_body;
      applied["metadata"]["name"] = ctx.path.name;
      if (type.namespaced) applied["metadata"]["namespace"] = ctx.path.ns;
      if (!current) {
        if (!subresource.empty()) return not_found(type, ctx.path.name);
        Status open = check_namespace_open(type, ctx.path.ns);
        if (!open.ok()) return open;
        auto merged = server_side_apply(Json(), applied, request);
        if (!merged.ok()) return merged.status();
        Json managed = (*merged)["metadata"].value("managedFields", Json::array());
        auto prepared = prepare_create(type, std::move(*merged), version);
        if (!prepared.ok()) return prepared.status();
        (*prepared)["metadata"]["managedFields"] = managed;
        Status valid = validate_object(type, *prepared, nullptr);
        if (!valid.ok()) return valid;
        auto ptr = std::make_shared<const Json>(std::move(*prepared));
        if (dry) {
          dry_result = ptr;
          return current;
        }
        return ObjectPtr(ptr);
      }
      Json live = *current;
      if (subresource.empty() && type.status_subresource) applied.erase("status");
      auto merged = server_side_apply(live, applied, request);
      if (!merged.ok()) return merged.status();
      updated = std::move(*merged);
      if (updated.ok()) {
        // Apply owns managedFields itself; finish_update must not re-attribute as an Update.
        Json managed = (*updated)["metadata"].value("managedFields", Json::array());
        (*updated)["metadata"].erase("resourceVersion");
        auto finished = finish_update(type, *current, std::move(*updated), subresource, "", version);
        if (!finished.ok()) return finished.status();
        (*finished)["metadata"]["managedFields"] = managed;
        updated = std::move(*finished);
      }
    } else {
      if (!current) return not_found(type, ctx.path.name);
      Result<Json> patched = merge        ? apply_merge_patch(*current, patch_body)
                             : json_patch ? apply_json_patch(*current, patch_body)
                                          : apply_strategic_merge_patch(*current, patch_body, type.group, type.kind);
      if (!patched.ok()) return patched.status();
      if (!patched->is_object()) return Status::BadRequest("the patch did not produce an object");
      // A patch that leaves resourceVersion as it was is unconditional.
      if (rv_of(*patched) == rv_of(*current)) (*patched)["metadata"].erase("resourceVersion");
      updated = finish_update(type, *current, std::move(*patched), subresource, manager, version);
    }
    if (!updated.ok()) return updated.status();
    if (same_content(*current, *updated)) return current;
    auto ptr = std::make_shared<const Json>(std::move(*updated));
    if (dry) {
      dry_result = ptr;
      return current;
    }
    return ObjectPtr(ptr);
  });
  if (!result.ok()) {
    return error_response(result.status(), ctx.path.name, type.group,
                          result.status().is(Reason::kInvalid) ? type.kind : type.plural);
  }
  if (dry) return json_response(before ? 200 : 201, present(type, dry_result ? *dry_result : **result));
  if (*result != before) after_write(type, key, before, *result);
  return json_response(before ? 200 : 201, present(type, **result));
}

http::Response ApiServer::Impl::scale(RequestContext& ctx) {
  const ResourceType& type = *ctx.type;
  ObjectKey key{type.storage_key(), ctx.path.ns, ctx.path.name};
  if (ctx.verb == "get") {
    ObjectPtr object = store.get(key);
    if (!object) return error_response(not_found(type, ctx.path.name), ctx.path.name, type.group, type.plural);
    return json_response(200, scale_of(type, *object));
  }
  if (ctx.verb != "update" && ctx.verb != "patch") {
    return error_response(Status(Reason::kMethodNotAllowed, "the server does not allow this method on the requested resource"));
  }
  Json body = Json::parse(ctx.http->body, nullptr, false);
  if (body.is_discarded()) return error_response(Status::BadRequest("invalid JSON in request body"));
  const auto* ct_header = ctx.http->header("content-type");
  std::string ct = ct_header ? ct_header->substr(0, ct_header->find(';')) : "";
  std::string manager = ctx.http->query_param("fieldManager", ctx.field_manager);
  ObjectPtr before;
  auto result = store.mutate(key, [&](const ObjectPtr& current, uint64_t version) -> Result<ObjectPtr> {
    if (!current) return not_found(type, ctx.path.name);
    before = current;
    Json scale = scale_of(type, *current);
    Result<Json> wanted = body;
    if (ctx.verb == "patch") {
      wanted = ct == "application/json-patch+json" ? apply_json_patch(scale, body) : apply_merge_patch(scale, body);
    }
    if (!wanted.ok()) return wanted.status();
    Json replicas = wanted->value("spec", Json::object()).value("replicas", Json());
    if (!replicas.is_number_integer() || replicas.get<int64_t>() < 0) {
      Status s(Reason::kInvalid, "Scale \"" + ctx.path.name + "\" is invalid: spec.replicas: Invalid value: " +
                                     replicas.dump() + ": must be greater than or equal to 0");
      s.add_cause({"FieldValueInvalid", "Invalid value: " + replicas.dump() + ": must be greater than or equal to 0", "spec.replicas"});
      return s;
    }
    Json updated = *current;
    write_path(updated, type.scale_spec_path, replicas);
    if (updated == *current) return current;
    if (type.sets_generation) updated["metadata"]["generation"] = meta_of(*current).value("generation", 1) + 1;
    ApplyRequest request{type.group, type.kind, type.api_version(), manager, "scale", false, now_rfc3339()};
    record_update(*current, updated, request);
    updated["metadata"]["resourceVersion"] = std::to_string(version);
    if (ctx.dry_run) return current;
    return std::make_shared<const Json>(std::move(updated));
  });
  if (!result.ok()) return error_response(result.status(), ctx.path.name, type.group, type.plural);
  if (*result != before) after_write(type, key, before, *result);
  return json_response(200, scale_of(type, **result));
}

Result<ObjectPtr> ApiServer::Impl::delete_object(const ObjectKey& key, const std::string& propagation,
                                                 const Json& preconditions, bool dry_run) {
  bool is_namespace = key.storage == "/namespaces";
  return store.mutate(key, [&](const ObjectPtr& current, uint64_t version) -> Result<ObjectPtr> {
    if (!current) return Status::NotFound("\"" + key.name + "\" not found");
    const Json& meta = meta_of(*current);
    if (preconditions.is_object()) {
      std::string uid = preconditions.value("uid", "");
      if (!uid.empty() && uid != meta.value("uid", "")) {
        return Status::Conflict("Precondition failed: UID in precondition: " + uid + ", UID in object meta: " +
                                meta.value("uid", ""));
      }
      std::string rv = preconditions.value("resourceVersion", "");
      if (!rv.empty() && rv != meta.value("resourceVersion", "")) {
        return Status::Conflict("Precondition failed: ResourceVersion in precondition: " + rv +
                                ", ResourceVersion in object meta: " + meta.value("resourceVersion", ""));
      }
    }
    Json finalizers = meta.value("finalizers", Json::array());
    bool has_dependents = !store.dependents_of(meta.value("uid", "")).empty();
    std::string gc_finalizer = propagation == "Foreground" && has_dependents ? "foregroundDeletion"
                               : propagation == "Orphan" && has_dependents   ? "orphan"
                                                                             : "";
    if (finalizers.empty() && gc_finalizer.empty() && !is_namespace) {
      return dry_run ? current : ObjectPtr();  // gone now
    }
    if (meta.contains("deletionTimestamp") && gc_finalizer.empty()) return current;  // already terminating
    Json updated = *current;
    Json& m = updated["metadata"];
    if (!m.contains("deletionTimestamp")) {
      m["deletionTimestamp"] = now_rfc3339();
      m["deletionGracePeriodSeconds"] = 0;
    }
    if (!gc_finalizer.empty() && std::find(finalizers.begin(), finalizers.end(), gc_finalizer) == finalizers.end()) {
      m["finalizers"].push_back(gc_finalizer);
    }
    if (is_namespace) updated["status"]["phase"] = "Terminating";
    m["resourceVersion"] = std::to_string(version);
    if (dry_run) return current;
    return std::make_shared<const Json>(std::move(updated));
  });
}

http::Response ApiServer::Impl::remove(RequestContext& ctx) {
  const ResourceType& type = *ctx.type;
  Json options = ctx.http->body.empty() ? Json::object() : Json::parse(ctx.http->body, nullptr, false);
  if (options.is_discarded() || !options.is_object()) {
    return error_response(Status::BadRequest("the DeleteOptions body is not valid JSON"));
  }
  std::string propagation = options.value("propagationPolicy", ctx.http->query_param("propagationPolicy", "Background"));
  if (options.contains("orphanDependents") && options["orphanDependents"].is_boolean()) {
    propagation = options["orphanDependents"].get<bool>() ? "Orphan" : propagation;
  }
  if (propagation != "Background" && propagation != "Foreground" && propagation != "Orphan") {
    return error_response(Status::BadRequest("propagationPolicy must be one of Background, Foreground, Orphan"));
  }
  bool dry = ctx.dry_run;
  for (const auto& d : options.value("dryRun", Json::array())) dry = dry || d == "All";
  ObjectKey key{type.storage_key(), ctx.path.ns, ctx.path.name};
  ObjectPtr before = store.get(key);
  auto result = delete_object(key, propagation, options.value("preconditions", Json()), dry);
  if (!result.ok()) {
    if (result.status().is(Reason::kNotFound)) {
      return error_response(not_found(type, ctx.path.name), ctx.path.name, type.group, type.plural);
    }
    return error_response(result.status(), ctx.path.name, type.group, type.plural);
  }
  const ObjectPtr& after = *result;
  bool gone = !after || meta_of(*after).value("resourceVersion", "") != meta_of(*before).value("resourceVersion", "");
  if (!dry && gone) after_write(type, key, before, store.get(key));
  if (!dry && store.get(key) == nullptr) {
    return json_response(200, {{"kind", "Status"},
                               {"apiVersion", "v1"},
                               {"metadata", Json::object()},
                               {"status", "Success"},
                               {"details",
                                {{"name", ctx.path.name}, {"group", type.group}, {"kind", type.plural},
                                 {"uid", meta_of(*before).value("uid", "")}}}});
  }
  ObjectPtr now = dry ? before : store.get(key);
  return json_response(200, present(type, now ? *now : *before));
}

http::Response ApiServer::Impl::remove_collection(RequestContext& ctx) {
  const ResourceType& type = *ctx.type;
  auto labels = LabelSelector::parse(ctx.http->query_param("labelSelector"));
  if (!labels.ok()) return error_response(labels.status());
  auto fields = FieldSelector::parse(ctx.http->query_param("fieldSelector"));
  if (!fields.ok()) return error_response(fields.status());
  ObjectStore::ListOptions options;
  options.ns = ctx.path.ns;
  const LabelSelector& l = *labels;
  const FieldSelector& f = *fields;
  options.filter = [&l, &f](const Json& o) { return l.matches(meta_of(o).value("labels", Json())) && f.matches(o); };
  auto listed = store.list(type.storage_key(), options);
  Json body = ctx.http->body.empty() ? Json::object() : Json::parse(ctx.http->body, nullptr, false);
  std::string propagation = body.is_object() ? body.value("propagationPolicy", "Background") : "Background";
  Json items = Json::array();
  for (const auto& object : listed.items) {
    const Json& meta = meta_of(*object);
    ObjectKey key{type.storage_key(), meta.value("namespace", ""), meta.value("name", "")};
    auto result = delete_object(key, propagation, Json(), ctx.dry_run);
    if (result.ok() && !ctx.dry_run) after_write(type, key, object, store.get(key));
    items.push_back(present(type, *object));
  }
  return json_response(200, {{"kind", type.kind + "List"}, {"apiVersion", type.api_version()},
                             {"metadata", {{"resourceVersion", std::to_string(store.current_version())}}},
                             {"items", items}});
}

}  // namespace ferry::kube::sim
