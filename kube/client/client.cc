#include "kube/machinery/group_version.h"
#include "kube/client/client.h"

#include <algorithm>
#include <cctype>
#include <random>
#include <thread>

#include "apis/types/yaml_codec.h"

namespace ferry::kube {
namespace {

std::string url_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// Appends "k=v" to a query string being built.
void add_query(std::string& query, const std::string& key, const std::string& value) {
  if (value.empty()) return;
  query += (query.empty() ? "?" : "&") + key + "=" + url_encode(value);
}

Reason reason_from_name(const std::string& name) {
  for (int i = static_cast<int>(Reason::kNotFound); i <= static_cast<int>(Reason::kInternal); ++i) {
    if (name == reason_name(static_cast<Reason>(i))) return static_cast<Reason>(i);
  }
  if (name == "Gone") return Reason::kGone;
  if (name == "ServerTimeout") return Reason::kTimeout;
  return Reason::kOk;  // unknown: decided by the HTTP code
}

Reason reason_from_code(int code) {
  switch (code) {
    case 400:
      return Reason::kBadRequest;
    case 401:
      return Reason::kUnauthorized;
    case 403:
      return Reason::kForbidden;
    case 404:
      return Reason::kNotFound;
    case 405:
      return Reason::kMethodNotAllowed;
    case 406:
      return Reason::kNotAcceptable;
    case 409:
      return Reason::kConflict;
    case 410:
      return Reason::kGone;
    case 413:
      return Reason::kRequestEntityTooLarge;
    case 415:
      return Reason::kUnsupportedMediaType;
    case 422:
      return Reason::kInvalid;
    case 429:
      return Reason::kTooManyRequests;
    case 502:
    case 503:
      return Reason::kUnavailable;
    case 504:
      return Reason::kTimeout;
    default:
      return Reason::kInternal;
  }
}

std::string describe(const ObjectRef& ref) {
  std::string s = ref.kind + " ";
  if (!ref.namespace_.empty()) s += ref.namespace_ + "/";
  return s + ref.name;
}

bool is_unsent(const Status& s) {
  for (const auto& c : s.causes()) {
    if (c.reason == "ConnectionRefused") return true;
  }
  return false;
}

}  // namespace

ObjectRef ObjectRef::of(const Json& object) {
  ObjectRef ref;
  if (!object.is_object()) return ref;
  ref.api_version = object.value("apiVersion", "");
  ref.kind = object.value("kind", "");
  if (object.contains("metadata") && object["metadata"].is_object()) {
    const Json& m = object["metadata"];
    if (m.contains("namespace") && m["namespace"].is_string()) ref.namespace_ = m["namespace"].get<std::string>();
    if (m.contains("name") && m["name"].is_string()) ref.name = m["name"].get<std::string>();
  }
  return ref;
}

Result<std::shared_ptr<Client>> Client::connect(const RestConfig& config, ClientOptions options,
                                                TransportOptions transport_options) {
  auto transport = make_http_transport(config, transport_options);
  if (!transport.ok()) return transport.status();
  options.default_namespace = config.namespace_.empty() ? "default" : config.namespace_;
  return std::make_shared<Client>(*transport, options);
}

Client::Client(std::shared_ptr<Transport> transport, ClientOptions options)
    : transport_(std::move(transport)), options_(std::move(options)) {
  tokens_ = options_.burst;
  last_refill_ = std::chrono::steady_clock::now();
}

Status Client::status_from_response(const Response& response, const std::string& what) {
  Json body = Json::parse(response.body, nullptr, false);
  if (body.is_object() && body.value("kind", "") == "Status") {
    Reason reason = reason_from_name(body.value("reason", ""));
    if (reason == Reason::kOk) reason = reason_from_code(body.value("code", response.status));
    std::string message = body.value("message", "");
    if (message.empty()) message = what + ": HTTP " + std::to_string(response.status);
    Status status(reason, message);
    if (body.contains("details") && body["details"].is_object() && body["details"].contains("causes") &&
        body["details"]["causes"].is_array()) {
      for (const Json& c : body["details"]["causes"]) {
        if (!c.is_object()) continue;
        status.add_cause({c.value("reason", ""), c.value("message", ""), c.value("field", "")});
      }
    }
    return status;
  }
  std::string text = response.body.substr(0, 200);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return Status(reason_from_code(response.status),
                what + ": HTTP " + std::to_string(response.status) + (text.empty() ? "" : ": " + text));
}

void Client::wait_for_token() {
  if (options_.qps <= 0) return;
  std::unique_lock<std::mutex> lock(limiter_mu_);
  while (true) {
    auto now = std::chrono::steady_clock::now();
    double elapsed = std::chrono::duration<double>(now - last_refill_).count();
    last_refill_ = now;
    tokens_ = std::min<double>(std::max(1, options_.burst), tokens_ + elapsed * options_.qps);
    if (tokens_ >= 1) {
      tokens_ -= 1;
      return;
    }
    auto wait = std::chrono::duration<double>((1 - tokens_) / options_.qps);
    lock.unlock();
    std::this_thread::sleep_for(wait);
    lock.lock();
  }
}

Result<Response> Client::send_with_retries(const Request& request, Retry retry) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 0;; ++attempt) {
    wait_for_token();
    auto result = transport_->send(request);
    count_request(request.method, result.ok() ? result->status : 0);
    bool retriable = false;
    std::chrono::milliseconds wait{0};
    if (!result.ok()) {
      bool network = result.status().is(Reason::kUnavailable) || result.status().is(Reason::kTimeout);
      bool tls = result.status().message().rfind("TLS handshake", 0) == 0;
      retriable = !tls && network && (retry == Retry::kIdempotent || is_unsent(result.status()));
    } else if (result->status == 429) {
      retriable = true;
      std::string after = result->header("retry-after");
      if (!after.empty() && std::all_of(after.begin(), after.end(), ::isdigit) && after.size() < 6) {
        wait = std::min(std::chrono::milliseconds(std::stol(after) * 1000), options_.retry_after_max);
      }
    } else if (result->status >= 500 && result->status != 501) {
      retriable = retry == Retry::kIdempotent;
    }
    if (!retriable || attempt >= options_.max_retries) return result;
    // Exponential backoff with full jitter; Retry-After is a floor.
    auto cap = std::min<long long>(options_.backoff_max.count(),
                                   options_.backoff_base.count() * (1LL << std::min(attempt, 20)));
    std::uniform_int_distribution<long long> jitter(cap / 2, std::max<long long>(cap / 2, cap));
    wait = std::max(wait, std::chrono::milliseconds(jitter(rng)));
    std::this_thread::sleep_for(wait);
  }
}

void Client::count_request(const std::string& verb, int code) {
  std::string lower = verb;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::lock_guard<std::mutex> lock(counts_mu_);
  ++counts_[{lower, code}];
}

std::map<std::pair<std::string, int>, uint64_t> Client::request_counts() const {
  std::lock_guard<std::mutex> lock(counts_mu_);
  return counts_;
}

Result<Json> Client::call(const Request& request, Retry retry, const std::string& what) {
  auto response = send_with_retries(request, retry);
  if (!response.ok()) return response.status();
  if (response->status < 200 || response->status >= 300) return status_from_response(*response, what);
  if (response->body.empty()) return Json::object();
  Json body = Json::parse(response->body, nullptr, false);
  if (body.is_discarded()) {
    return Status::Internal(what + ": the server's response is not valid JSON (" +
                            std::to_string(response->body.size()) + " bytes)");
  }
  return body;
}

void Client::invalidate_discovery() {
  std::lock_guard<std::mutex> lock(discovery_mu_);
  discovery_.clear();
}

Result<std::vector<ResourceInfo>> Client::fetch_group_version(const std::string& api_version) {
  std::string group = group_of(api_version);
  Request request{"GET", group.empty() ? "/api/" + api_version : "/apis/" + api_version, "", ""};
  auto response = send_with_retries(request, Retry::kIdempotent);
  if (!response.ok()) return response.status();
  if (response->status == 404) return std::vector<ResourceInfo>{};
  if (response->status != 200) return status_from_response(*response, "discovery of " + api_version);
  Json body = Json::parse(response->body, nullptr, false);
  if (!body.is_object() || !body.contains("resources") || !body["resources"].is_array()) {
    return Status::Internal("discovery of " + api_version + ": the response is not an APIResourceList");
  }
  std::vector<ResourceInfo> out;
  std::map<std::string, bool> status_subresource;
  for (const Json& r : body["resources"]) {
    std::string name = r.value("name", "");
    auto slash = name.find('/');
    if (slash != std::string::npos) {
      if (name.substr(slash + 1) == "status") status_subresource[name.substr(0, slash)] = true;
      continue;
    }
    ResourceInfo info;
    info.group = group;
    info.version = version_of(api_version);
    info.kind = r.value("kind", "");
    info.plural = name;
    info.namespaced = r.value("namespaced", false);
    if (r.contains("verbs") && r["verbs"].is_array()) {
      for (const Json& v : r["verbs"]) {
        if (v.is_string()) info.verbs.push_back(v.get<std::string>());
      }
    }
    out.push_back(std::move(info));
  }
  for (auto& info : out) info.has_status = status_subresource.count(info.plural) > 0;
  return out;
}

Result<ResourceInfo> Client::resource_for(const std::string& api_version, const std::string& kind) {
  if (api_version.empty() || kind.empty()) return Status::Invalid("object has no apiVersion or kind");
  auto lookup = [&](const GroupVersion& gv) -> const ResourceInfo* {
    for (const auto& r : gv.resources) {
      if (r.kind == kind) return &r;
    }
    return nullptr;
  };
  std::unique_lock<std::mutex> lock(discovery_mu_);
  auto it = discovery_.find(api_version);
  if (it != discovery_.end()) {
    if (const ResourceInfo* r = lookup(it->second)) return *r;
    // A miss: refresh, but no more often than discovery_refresh_interval.
    auto since = std::chrono::steady_clock::now() - it->second.fetched;
    if (since < options_.discovery_refresh_interval) {
      auto wait = options_.discovery_refresh_interval - since;
      lock.unlock();
      std::this_thread::sleep_for(wait);
      lock.lock();
    }
  }
  lock.unlock();  // no lock held across the network
  auto fetched = fetch_group_version(api_version);
  if (!fetched.ok()) return fetched.status();
  lock.lock();
  GroupVersion& gv = discovery_[api_version];
  gv.resources = std::move(*fetched);
  gv.fetched = std::chrono::steady_clock::now();
  if (const ResourceInfo* r = lookup(gv)) return *r;
  return Status::NotFound("the server has no resource for kind \"" + kind + "\" in version \"" + api_version + "\"");
}

Result<std::string> Client::path_for(const ObjectRef& ref, bool collection, const std::string& subresource) {
  auto info = resource_for(ref.api_version, ref.kind);
  if (!info.ok()) return info.status();
  std::string path = info->group.empty() ? "/api/" + ref.api_version : "/apis/" + ref.api_version;
  if (info->namespaced) {
    std::string ns = ref.namespace_;
    if (ns.empty() && !collection) ns = options_.default_namespace;
    if (!ns.empty()) path += "/namespaces/" + url_encode(ns);
  }
  path += "/" + info->plural;
  if (!collection) {
    if (ref.name.empty()) return Status::Invalid(ref.kind + ": metadata.name is required");
    path += "/" + url_encode(ref.name);
  }
  if (!subresource.empty()) path += "/" + subresource;
  return path;
}

Result<Json> Client::get(const ObjectRef& ref) {
  auto path = path_for(ref, false);
  if (!path.ok()) return path.status();
  return call({"GET", *path, "", ""}, Retry::kIdempotent, "get " + describe(ref));
}

Result<std::string> Client::list_pages(const ObjectRef& collection, const ListOptions& options,
                                       const std::function<void(Json& items)>& on_page) {
  auto path = path_for(collection, true);
  if (!path.ok()) return path.status();
  std::string cont;
  for (int page = 0; page < 100000; ++page) {
    std::string query;
    add_query(query, "labelSelector", options.label_selector);
    add_query(query, "fieldSelector", options.field_selector);
    if (options.limit > 0) add_query(query, "limit", std::to_string(options.limit));
    add_query(query, "continue", cont);
    auto body = call({"GET", *path + query, "", ""}, Retry::kIdempotent, "list " + collection.kind);
    if (!body.ok()) return body.status();
    if (!body->contains("items") || !(*body)["items"].is_array()) {
      return Status::Internal("list " + collection.kind + ": the response has no items");
    }
    Json& items = (*body)["items"];
    for (auto& item : items) {
      // List items may omit apiVersion/kind; fill them so they are whole objects.
      if (item.is_object()) {
        if (!item.contains("apiVersion")) item["apiVersion"] = collection.api_version;
        if (!item.contains("kind")) item["kind"] = collection.kind;
      }
    }
    on_page(items);
    const Json meta = body->value("metadata", Json::object());
    cont = meta.is_object() ? meta.value("continue", "") : "";
    if (cont.empty()) return meta.is_object() ? meta.value("resourceVersion", "") : "";
  }
  return Status::Internal("list " + collection.kind + ": too many pages");
}

Result<Json> Client::list(const ObjectRef& collection, const ListOptions& options) {
  Json all = {{"apiVersion", collection.api_version},
              {"kind", collection.kind + "List"},
              {"metadata", Json::object()},
              {"items", Json::array()}};
  auto version = list_pages(collection, options, [&](Json& items) {
    for (auto& item : items) all["items"].push_back(std::move(item));
  });
  if (!version.ok()) return version.status();
  if (!version->empty()) all["metadata"]["resourceVersion"] = *version;
  return all;
}

Result<Json> Client::create(const Json& object, const WriteOptions& options) {
  ObjectRef ref = ObjectRef::of(object);
  auto path = path_for(ref, true);
  if (!path.ok()) return path.status();
  if (ref.namespace_.empty()) {
    // path_for left the namespace out for a collection; creation needs it.
    auto info = resource_for(ref.api_version, ref.kind);
    if (info.ok() && info->namespaced) {
      ref.namespace_ = options_.default_namespace;
      path = path_for(ref, true);
    }
  }
  std::string query;
  add_query(query, "fieldManager", options.field_manager);
  if (options.dry_run) add_query(query, "dryRun", "All");
  return call({"POST", *path + query, object.dump(), "application/json"}, Retry::kOnlyUnsent,
              "create " + describe(ref));
}

Result<Json> Client::apply(const Json& object, const ApplyOptions& options) {
  ObjectRef ref = ObjectRef::of(object);
  auto path = path_for(ref, false);
  if (!path.ok()) return path.status();
  std::string query;
  add_query(query, "fieldManager", options.field_manager.empty() ? "ferry" : options.field_manager);
  if (options.force) add_query(query, "force", "true");
  if (options.dry_run) add_query(query, "dryRun", "All");
  // JSON is valid YAML; sending JSON keeps exact scalar types.
  return call({"PATCH", *path + query, object.dump(), "application/apply-patch+yaml"}, Retry::kIdempotent,
              "apply " + describe(ref));
}

Result<Json> Client::merge_patch(const ObjectRef& ref, const Json& patch, const WriteOptions& options) {
  auto path = path_for(ref, false);
  if (!path.ok()) return path.status();
  std::string query;
  add_query(query, "fieldManager", options.field_manager);
  if (options.dry_run) add_query(query, "dryRun", "All");
  return call({"PATCH", *path + query, patch.dump(), "application/merge-patch+json"}, Retry::kOnlyUnsent,
              "patch " + describe(ref));
}

Result<Json> Client::json_patch(const ObjectRef& ref, const Json& operations, const WriteOptions& options) {
  auto path = path_for(ref, false);
  if (!path.ok()) return path.status();
  std::string query;
  add_query(query, "fieldManager", options.field_manager);
  if (options.dry_run) add_query(query, "dryRun", "All");
  return call({"PATCH", *path + query, operations.dump(), "application/json-patch+json"}, Retry::kOnlyUnsent,
              "patch " + describe(ref));
}

Result<Json> Client::update(const Json& object, const WriteOptions& options) {
  ObjectRef ref = ObjectRef::of(object);
  auto path = path_for(ref, false);
  if (!path.ok()) return path.status();
  std::string query;
  add_query(query, "fieldManager", options.field_manager);
  if (options.dry_run) add_query(query, "dryRun", "All");
  bool has_rv = object.contains("metadata") && object["metadata"].is_object() &&
                !object["metadata"].value("resourceVersion", "").empty();
  return call({"PUT", *path + query, object.dump(), "application/json"},
              has_rv ? Retry::kIdempotent : Retry::kOnlyUnsent, "update " + describe(ref));
}

Result<Json> Client::update_status(const Json& object, const WriteOptions& options) {
  ObjectRef ref = ObjectRef::of(object);
  auto path = path_for(ref, false, "status");
  if (!path.ok()) return path.status();
  std::string query;
  add_query(query, "fieldManager", options.field_manager);
  if (options.dry_run) add_query(query, "dryRun", "All");
  bool has_rv = object.contains("metadata") && object["metadata"].is_object() &&
                !object["metadata"].value("resourceVersion", "").empty();
  return call({"PUT", *path + query, object.dump(), "application/json"},
              has_rv ? Retry::kIdempotent : Retry::kOnlyUnsent, "update status of " + describe(ref));
}

Status Client::remove(const ObjectRef& ref, const DeleteOptions& options) {
  auto path = path_for(ref, false);
  if (!path.ok()) return path.status();
  Json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (!options.precondition_uid.empty()) body["preconditions"]["uid"] = options.precondition_uid;
  if (!options.precondition_resource_version.empty()) {
    body["preconditions"]["resourceVersion"] = options.precondition_resource_version;
  }
  if (options.dry_run) body["dryRun"] = Json::array({"All"});
  auto result = call({"DELETE", *path, body.dump(), "application/json"}, Retry::kIdempotent, "delete " + describe(ref));
  return result.ok() ? Status::Ok() : result.status();
}

Result<std::string> Client::watch(const ObjectRef& ref, const WatchOptions& options,
                                  const std::function<bool(const WatchEvent&)>& on_event) {
  auto path = path_for(ref, true);
  if (!path.ok()) return path.status();
  std::string query = "?watch=true";
  add_query(query, "labelSelector", options.label_selector);
  std::string fields = options.field_selector;
  if (!ref.name.empty()) fields = "metadata.name=" + ref.name + (fields.empty() ? "" : "," + fields);
  add_query(query, "fieldSelector", fields);
  add_query(query, "resourceVersion", options.resource_version);
  if (options.bookmarks) add_query(query, "allowWatchBookmarks", "true");
  if (options.timeout_seconds > 0) add_query(query, "timeoutSeconds", std::to_string(options.timeout_seconds));
  std::string last_version = options.resource_version;
  Status failure;
  const std::string what = "watch " + ref.kind;
  wait_for_token();
  auto response = transport_->stream({"GET", *path + query, "", ""}, [&](const std::string& line) {
    if (line.empty() || line == "\r") return true;
    Json event = Json::parse(line, nullptr, false);
    if (!event.is_object() || !event.contains("type") || !event["type"].is_string() || !event.contains("object")) {
      failure = Status::Internal(what + ": the server sent an event that is not valid JSON");
      return false;
    }
    WatchEvent e{event["type"].get<std::string>(), std::move(event["object"])};
    if (e.type == "ERROR") {
      Response as_response{e.object.value("code", 500), e.object.dump(), {}};
      failure = status_from_response(as_response, what);
      return false;
    }
    if (e.object.is_object() && e.object.contains("metadata") && e.object["metadata"].is_object()) {
      std::string rv = e.object["metadata"].value("resourceVersion", "");
      if (!rv.empty()) last_version = rv;
    }
    return on_event(e);
  }, options.cancel);
  count_request("watch", response.ok() ? response->status : 0);
  if (!response.ok()) return response.status();
  if (response->status < 200 || response->status >= 300) return status_from_response(*response, what);
  if (!failure.ok()) return failure;
  return last_version;
}

}  // namespace ferry::kube
