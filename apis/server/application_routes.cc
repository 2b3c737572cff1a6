// /api/v1/applications: list, get, create, update, delete, and per app sync, terminate, refresh,
// diff, plan, history, rollback, resource tree, events and revision metadata (docs/api.md).
#include <algorithm>

#include "kube/machinery/group_version.h"
#include "kube/machinery/selector.h"
#include "apis/server/api_server.h"
#include "apis/server/responses.h"
#include "reconciler/diff/diff.h"
#include "reconciler/sync/plan.h"

namespace ferry::apis {
namespace {

// A string field of a JSON document that may be anything (a request body): "" when absent or
// not a string.
std::string text_at(const Json& doc, const Json::json_pointer& pointer) {
  if (!doc.is_object() || !doc.contains(pointer)) return "";
  const Json& value = doc.at(pointer);
  return value.is_string() ? value.get<std::string>() : "";
}


std::string rbac_object(const Json& app) { return project_of(app) + "/" + text_at(app, "/metadata/name"_json_pointer); }

std::string rfc3339_ms(int64_t unix_ms) {
  return unix_ms <= 0 ? "" : rfc3339(std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms)));
}

Json history_json(const store::Operation& op) {
  return {{"id", op.id},
          {"kind", op.kind},
          {"revision", op.revision},
          {"phase", store::phase_name(op.phase)},
          {"message", op.message},
          {"initiatedBy", op.initiated_by},
          {"automated", op.initiated_by == store::kInitiatedAutomated},
          {"startedAt", rfc3339_ms(op.started_at)},
          {"finishedAt", rfc3339_ms(op.finished_at)},
          {"rollbackOf", op.rollback_of},
          {"prune", op.prune},
          {"dryRun", op.dry_run}};
}

Json resource_result_json(const store::ResourceResult& r) {
  return {{"group", r.group},         {"version", r.version},     {"kind", r.kind},
          {"namespace", r.ns},        {"name", r.name},           {"status", r.status},
          {"message", r.message},     {"syncPhase", r.sync_phase}, {"hookType", r.hook_type},
          {"hookPhase", r.hook_phase}};
}

// What a finished operation returns to a caller who waited for it.
Json operation_result(const store::Operation& op) {
  Json resources = Json::array();
  for (const auto& r : op.resources) resources.push_back(resource_result_json(r));
  return {{"historyId", op.id},     {"phase", store::phase_name(op.phase)}, {"message", op.message},
          {"revision", op.revision}, {"resources", resources}};
}

const char* state_name(reconciler::SyncState state) {
  switch (state) {
    case reconciler::SyncState::kSynced:
      return "Synced";
    case reconciler::SyncState::kMissing:
      return "Missing";
    case reconciler::SyncState::kRequiresPruning:
      return "RequiresPruning";
    default:
      return "OutOfSync";
  }
}

const char* action_name(reconciler::Action action, const std::string& reason) {
  if (!reason.empty()) return "skip";
  switch (action) {
    case reconciler::Action::kCreate:
      return "create";
    case reconciler::Action::kPrune:
      return "prune";
    case reconciler::Action::kHook:
      return "hook";
    default:
      return "apply";
  }
}

Json key_json(const kube::ObjectKey& key) {
  return {{"group", key.group}, {"kind", key.kind}, {"namespace", key.namespace_}, {"name", key.name}};
}

std::chrono::milliseconds wait_timeout(const http::Request& request, std::chrono::seconds max_wait) {
  std::string text = request.query_param("timeout");
  int64_t seconds = 60;
  if (!text.empty()) {
    try {
      seconds = std::stoll(text);
    } catch (...) {
      seconds = 60;
    }
  }
  seconds = std::clamp<int64_t>(seconds, 1, max_wait.count());
  return std::chrono::seconds(seconds);
}

// "apps:Deployment:ns/name" style keys from a JSON resources list.
Result<std::vector<kube::ObjectKey>> resource_keys(const Json& list) {
  std::vector<kube::ObjectKey> keys;
  if (list.is_null()) return keys;
  if (!list.is_array()) return Status::BadRequest("resources must be a list of {group, kind, namespace, name}");
  for (const auto& r : list) {
    if (!r.is_object() || !r.value("kind", Json()).is_string() || !r.value("name", Json()).is_string()) {
      return Status::BadRequest("each resource needs a kind and a name");
    }
    for (const char* optional : {"group", "namespace"}) {
      if (r.contains(optional) && !r[optional].is_string()) {
        return Status::BadRequest(std::string("a resource's ") + optional + " must be a string");
      }
    }
    keys.push_back({r.value("group", ""), r.value("kind", ""), r.value("namespace", ""), r.value("name", "")});
  }
  return keys;
}

}  // namespace

http::Response ApiServer::list(http::Request& request, const Caller& caller) {
  auto selector = kube::LabelSelector::parse(request.query_param("selector"));
  if (!selector.ok()) return error_response(400, "BadRequest", "selector: " + selector.status().message());
  std::string search = request.query_param("search");
  std::string projects = request.query_param("projects");
  std::string after = request.query_param("continue");
  int64_t limit = 0;
  if (request.has_query_param("limit")) {
    try {
      limit = std::stoll(request.query_param("limit"));
    } catch (...) {
      return error_response(400, "BadRequest", "limit must be a number");
    }
  }
  std::vector<std::string> wanted_projects;
  for (size_t start = 0; !projects.empty() && start <= projects.size();) {
    size_t comma = projects.find(',', start);
    if (comma == std::string::npos) comma = projects.size();
    if (comma > start) wanted_projects.push_back(projects.substr(start, comma - start));
    start = comma + 1;
  }
  // The answer is assembled from each app's kept text (AppList): no parse, no dump per app.
  std::string items;
  std::string next;
  int64_t count = 0;
  std::string last_name;
  for (const auto& app : app_list_.get()) {
    if (!after.empty() && app->name <= after) continue;
    if (!search.empty() && app->name.find(search) == std::string::npos) continue;
    if (!wanted_projects.empty() &&
        std::find(wanted_projects.begin(), wanted_projects.end(), app->project) == wanted_projects.end()) {
      continue;
    }
    if (!selector->matches(app->labels)) continue;
    if (!allowed(caller, "applications", "get", app->project + "/" + app->name)) continue;
    if (limit > 0 && count == limit) {
      next = last_name;
      break;
    }
    if (count++ > 0) items += ',';
    items += app->text;
    last_name = app->name;
  }
  http::Response r = json_response(200, Json::object());
  r.body = "{\"metadata\":{\"continue\":" + Json(next).dump() + "},\"items\":[" + items + "]}";
  return r;
}

http::Response ApiServer::applications(http::Request& request, const std::vector<std::string>&, const Caller& caller) {
  if (request.method == "GET") return list(request, caller);
  if (request.method != "POST") return error_response(405, "MethodNotAllowed", "use GET to list or POST to create");
  auto body = json_body(request);
  if (!body.ok()) return error_response(body.status());
  std::string name = text_at(*body, "/metadata/name"_json_pointer);
  if (!valid_object_name(name)) {
    return error_response(400, "BadRequest", "metadata.name: \"" + name + "\" is not a valid application name");
  }
  if (!allowed(caller, "applications", "create", rbac_object(*body))) {
    return error_response(403, "Forbidden", "permission denied: applications, create, " + rbac_object(*body));
  }
  bool upsert = query_flag(request, "upsert", false);
  if (upsert) {
    auto existing = controller_.application(name);
    if (existing && !allowed(caller, "applications", "update", rbac_object(*existing))) {
      return error_response(403, "Forbidden", "permission denied: applications, update, " + rbac_object(*existing));
    }
  }
  auto created = controller_.create_application(*body, upsert);
  if (!created.ok()) return error_response(created.status());
  (void)store_.record_event({0, 0, caller.principal.account, "app.create", controller_.app_namespace() + "/" + name,
                             "created application " + name, Json::object()});
  return json_response(200, without_url_credentials(*created));
}

http::Response ApiServer::application(http::Request& request, const std::vector<std::string>& parts,
                                      const Caller& caller) {
  const std::string& name = parts[3];
  if (!valid_object_name(name)) return error_response(400, "BadRequest", "\"" + name + "\" is not a valid application name");
  auto app = controller_.application(name);
  if (!app) return error_response(404, "NotFound", "application \"" + name + "\" not found");
  const std::string object = rbac_object(*app);
  const std::string key = controller_.app_namespace() + "/" + name;
  auto require = [&](const char* action) -> std::optional<http::Response> {
    if (allowed(caller, "applications", action, object)) return std::nullopt;
    return error_response(403, "Forbidden", std::string("permission denied: applications, ") + action + ", " + object);
  };
  auto audit = [&](const std::string& action, const std::string& message, Json details = Json::object()) {
    (void)store_.record_event({0, 0, caller.principal.account, action, key, message, std::move(details)});
  };
  const std::string sub = parts.size() > 4 ? parts[4] : "";
  const std::string& method = request.method;

  if (sub.empty()) {
    if (method == "GET") {
      if (auto denied = require("get")) return *denied;
      std::string refresh = request.query_param("refresh");
      if (!refresh.empty()) (void)controller_.refresh(name, refresh == "hard");
      return json_response(200, without_url_credentials(*app));
    }
    if (method == "PUT") {
      if (auto denied = require("update")) return *denied;
      auto body = json_body(request);
      if (!body.ok()) return error_response(body.status());
      // Moving an app to another project needs the right to create it there too.
      std::string target = project_of(*body) + "/" + name;
      if (target != object && !allowed(caller, "applications", "create", target)) {
        return error_response(403, "Forbidden", "permission denied: applications, create, " + target);
      }
      auto updated = controller_.update_application(name, *body);
      if (!updated.ok()) return error_response(updated.status());
      audit("app.update", "updated application " + name);
      return json_response(200, without_url_credentials(*updated));
    }
    if (method == "DELETE") {
      if (auto denied = require("delete")) return *denied;
      bool cascade = query_flag(request, "cascade", true);
      Status deleted = controller_.delete_application(name, cascade);
      if (!deleted.ok()) return error_response(deleted);
      audit("app.delete", std::string("deleted application ") + name + (cascade ? " and its resources" : ""));
      return json_response(200, Json::object());
    }
    return error_response(405, "MethodNotAllowed", "use GET, PUT or DELETE");
  }

  if (sub == "sync") {
    if (method != "POST") return error_response(405, "MethodNotAllowed", "use POST");
    if (auto denied = require("sync")) return *denied;
    return sync(request, name, caller);
  }
  if (sub == "rollback") {
    if (method != "POST") return error_response(405, "MethodNotAllowed", "use POST");
    if (auto denied = require("rollback")) return *denied;
    return rollback(request, name, caller);
  }
  if (sub == "operation") {  // Argo CD's terminate-op
    if (method != "DELETE") return error_response(405, "MethodNotAllowed", "use DELETE");
    if (auto denied = require("sync")) return *denied;
    Status terminated = controller_.terminate_operation(name);
    if (!terminated.ok()) return error_response(terminated);
    audit("app.terminate", "terminated the running operation of " + name);
    return json_response(200, Json::object());
  }
  if (sub == "refresh") {
    if (method != "POST") return error_response(405, "MethodNotAllowed", "use POST");
    if (auto denied = require("get")) return *denied;
    std::string type = request.query_param("type", "normal");
    Status queued = controller_.refresh(name, type == "hard");
    if (!queued.ok()) return error_response(queued);
    return json_response(202, Json::object());
  }
  if (method != "GET") return error_response(405, "MethodNotAllowed", "use GET");
  if (auto denied = require("get")) return *denied;

  if (sub == "diff") {
    bool all = query_flag(request, "all", false);
    return later([this, name, all]() {
      auto compared = controller_.compare_now(name);
      if (!compared.ok()) return error_response(compared.status());
      Json items = Json::array();
      for (const auto& r : compared->comparison.resources) {
        if (!all && r.state == reconciler::SyncState::kSynced) continue;
        Json item = key_json(r.key);
        item["version"] = kube::version_of(r.api_version);
        item["status"] = state_name(r.state);
        item["hook"] = r.hook;
        item["diff"] = r.diff.unified;
        item["liveState"] = r.diff.live_view;
        item["targetState"] = r.diff.desired_view;
        items.push_back(std::move(item));
      }
      bool synced = compared->comparison.sync == reconciler::SyncState::kSynced;
      return json_response(200, {{"sync", synced ? "Synced" : "OutOfSync"},
                                 {"revision", compared->revision},
                                 {"items", items}});
    });
  }
  if (sub == "plan") {
    bool prune = query_flag(request, "prune", false);
    return later([this, name, prune]() {
      auto tasks = controller_.plan_now(name, prune);
      if (!tasks.ok()) return error_response(tasks.status());
      Json items = Json::array();
      for (const auto& t : *tasks) {
        Json item = key_json(t.key);
        item["version"] = kube::version_of(t.object.value("apiVersion", ""));
        item["phase"] = reconciler::phase_name(t.phase);
        item["wave"] = t.wave;
        item["action"] = action_name(t.action, t.reason);
        item["reason"] = t.reason;
        items.push_back(std::move(item));
      }
      return json_response(200, {{"items", items}});
    });
  }
  if (sub == "history") {
    if (parts.size() == 6) {
      int64_t id = 0;
      try {
        id = std::stoll(parts[5]);
      } catch (...) {
        return error_response(400, "BadRequest", "history id must be a number");
      }
      auto op = store_.get_operation(id);
      if (!op.ok() || op->app != key) {
        return error_response(404, "NotFound", "history " + parts[5] + " of application \"" + name + "\" not found");
      }
      Json out = history_json(*op);
      Json resources = Json::array();
      for (const auto& r : op->resources) resources.push_back(resource_result_json(r));
      out["resources"] = resources;
      auto manifests = store_.manifests_of(id);  // Secrets masked
      out["manifests"] = manifests.ok() ? Json(*manifests) : Json::array();
      return json_response(200, out);
    }
    int limit = 50;
    int64_t before = 0;
    try {
      if (request.has_query_param("limit")) limit = std::stoi(request.query_param("limit"));
      if (!request.query_param("continue").empty()) before = std::stoll(request.query_param("continue"));
    } catch (...) {
      return error_response(400, "BadRequest", "limit and continue must be numbers");
    }
    auto ops = store_.list_operations(key, limit, before);
    if (!ops.ok()) return error_response(ops.status());
    Json items = Json::array();
    for (const auto& op : *ops) items.push_back(history_json(op));
    std::string next = limit > 0 && static_cast<int>(ops->size()) == limit ? std::to_string(ops->back().id) : "";
    return json_response(200, {{"metadata", {{"continue", next}}}, {"items", items}});
  }
  if (sub == "resource-tree") {
    Json nodes = Json::array();
    Json parent = {{"group", "ferry.dev"}, {"kind", "Application"}, {"namespace", controller_.app_namespace()}, {"name", name}};
    for (const auto& r : app->value("/status/resources"_json_pointer, Json::array())) {
      Json node = {{"group", r.value("group", "")},
                   {"version", r.value("version", "")},
                   {"kind", r.value("kind", "")},
                   {"namespace", r.value("namespace", "")},
                   {"name", r.value("name", "")},
                   {"status", r.value("status", "")},
                   {"health", r.value("health", Json{{"status", "Unknown"}})},
                   {"parentRefs", Json::array({parent})}};
      if (r.value("requiresPruning", false)) node["requiresPruning"] = true;
      if (node["kind"] == "Application") node["app"] = node["name"];
      nodes.push_back(std::move(node));
    }
    return json_response(200, {{"nodes", nodes}});
  }
  if (sub == "events") {
    store::EventFilter filter;
    filter.app = key;
    filter.limit = 100;
    try {
      if (request.has_query_param("limit")) filter.limit = std::stoi(request.query_param("limit"));
    } catch (...) {
      return error_response(400, "BadRequest", "limit must be a number");
    }
    auto events = store_.list_events(filter);
    if (!events.ok()) return error_response(events.status());
    Json items = Json::array();
    for (const auto& e : *events) {
      items.push_back({{"id", e.id}, {"time", rfc3339_ms(e.time)}, {"actor", e.actor}, {"action", e.action},
                       {"message", e.message}});
    }
    return json_response(200, {{"items", items}});
  }
  if (sub == "revisions" && parts.size() == 7 && parts[6] == "metadata") {
    std::string revision = parts[5];
    return later([this, name, revision]() {
      auto info = controller_.commit_info(name, revision);
      if (!info.ok()) return error_response(info.status());
      return json_response(200, {{"revision", info->sha},
                                 {"author", info->author},
                                 {"date", info->date},
                                 {"message", info->message},
                                 {"tags", Json::array()}});
    });
  }
  return error_response(404, "NotFound", "no such API path: " + request.path);
}

http::Response ApiServer::sync(http::Request& request, const std::string& name, const Caller& caller) {
  auto body = json_body(request);
  if (!body.ok()) return error_response(body.status());
  controller::SyncRequest sync;
  const Json& b = *body;
  if (b.contains("revision") && !b["revision"].is_string()) return error_response(400, "BadRequest", "revision must be a string");
  if (b.contains("prune") && !b["prune"].is_boolean()) return error_response(400, "BadRequest", "prune must be true or false");
  if (b.contains("dryRun") && !b["dryRun"].is_boolean()) return error_response(400, "BadRequest", "dryRun must be true or false");
  sync.revision = b.value("revision", "");
  sync.prune = b.value("prune", false);
  sync.dry_run = b.value("dryRun", false);
  auto keys = resource_keys(b.value("resources", Json()));
  if (!keys.ok()) return error_response(keys.status());
  sync.resources = *keys;
  const Json& options = b.value("syncOptions", Json::object());
  if (options.is_object() && options.value("items", Json()).is_array()) {
    for (const auto& o : options["items"]) {
      if (o.is_string()) sync.sync_options.push_back(o.get<std::string>());
    }
  }
  sync.initiated_by = caller.principal.account;
  auto app = controller_.application(name);
  if (app && !sync.revision.empty() && app->contains("/spec/syncPolicy/automated"_json_pointer) &&
      !app->value("/spec/syncPolicy/automated"_json_pointer, Json()).is_null()) {
    std::string target = app->value("/spec/source/targetRevision"_json_pointer, std::string("HEAD"));
    if (sync.revision != target) {
      return error_response(400, "BadRequest",
                            "cannot sync to " + sync.revision + ": auto-sync is enabled and follows " + target +
                                "; disable auto-sync or change targetRevision");
    }
  }
  auto requested = controller_.request_sync(name, sync);
  if (!requested.ok()) return error_response(requested.status());
  (void)store_.record_event({0, 0, caller.principal.account, "sync", controller_.app_namespace() + "/" + name,
                             "sync requested" + (sync.revision.empty() ? "" : " to " + sync.revision),
                             {{"prune", sync.prune}, {"dryRun", sync.dry_run}}});
  std::string request_id = *requested;
  if (!query_flag(request, "wait", false)) return json_response(202, {{"requestId", request_id}});
  auto timeout = wait_timeout(request, options_.max_wait);
  return later([this, request_id, timeout]() {
    auto id = controller_.wait_request(request_id, timeout);
    if (!id.ok()) return error_response(id.status());
    if (*id == 0) return error_response(500, "InternalError", "the operation could not be started");
    auto op = store_.get_operation(*id);
    if (!op.ok()) return error_response(op.status());
    return json_response(200, operation_result(*op));
  });
}

http::Response ApiServer::rollback(http::Request& request, const std::string& name, const Caller& caller) {
  auto body = json_body(request);
  if (!body.ok()) return error_response(body.status());
  const Json& id_field = body->value("id", Json());
  if (!id_field.is_number_integer() || id_field.get<int64_t>() <= 0) {
    return error_response(400, "BadRequest", "id: the history ID to roll back to is required");
  }
  int64_t id = id_field.get<int64_t>();
  if (body->contains("prune") && !(*body)["prune"].is_boolean()) {
    return error_response(400, "BadRequest", "prune must be true or false");
  }
  bool prune = body->value("prune", false);
  bool wait = query_flag(request, "wait", false);
  auto timeout = wait_timeout(request, options_.max_wait);
  std::string actor = caller.principal.account;
  (void)store_.record_event({0, 0, actor, "rollback", controller_.app_namespace() + "/" + name,
                             "rollback to history " + std::to_string(id) + " requested", {{"prune", prune}}});
  // The rollback runs on the pool; the answer goes out when it is journalled, or when it ends.
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    int64_t started = 0;
    std::optional<Result<int64_t>> done;
  };
  auto shared = std::make_shared<Shared>();
  bool queued = pool_.submit([this, shared, name, id, prune, actor]() {
    auto ran = controller_.rollback(name, id, prune, actor, [shared](int64_t new_id) {
      std::lock_guard<std::mutex> lock(shared->mu);
      shared->started = new_id;
      shared->cv.notify_all();
    });
    std::lock_guard<std::mutex> lock(shared->mu);
    shared->done = ran;
    shared->cv.notify_all();
  });
  if (!queued) return error_response(503, "ServiceUnavailable", "the server is busy; try again shortly");
  return later([this, shared, wait, timeout]() {
    std::unique_lock<std::mutex> lock(shared->mu);
    bool finished = shared->cv.wait_for(lock, timeout, [&] { return shared->done.has_value() || (!wait && shared->started); });
    if (shared->done && !shared->done->ok()) return error_response(shared->done->status());
    if (!wait && shared->started) return json_response(202, {{"historyId", shared->started}});
    if (!finished || !shared->done) return error_response(504, "Timeout", "the rollback has not finished yet");
    auto op = store_.get_operation(**shared->done);
    if (!op.ok()) return error_response(op.status());
    return json_response(200, operation_result(*op));
  });
}

}  // namespace ferry::apis
