#include "apis/types/application_status.h"

#include <ctime>
#include <utility>

#include "apis/types/json_fields.h"

namespace ferry::apis {

using detail::FieldReader;
using detail::index_path;
using detail::join_path;
using detail::put_bool;
using detail::put_int;
using detail::put_json;
using detail::put_string;
using detail::put_strings;

bool is_error_condition(std::string_view type) {
  constexpr std::string_view kSuffix = "Error";
  return type.size() >= kSuffix.size() && type.substr(type.size() - kSuffix.size()) == kSuffix;
}

// =============================================================================================
// Writing

namespace {

Json health_to_json(const HealthStatus& health) {
  Json out = {{"status", health.status}};
  put_string(out, "message", health.message);
  return out;
}

Json initiator_to_json(const OperationInitiator& who) {
  Json out = Json::object();
  put_string(out, "username", who.username);
  put_bool(out, "automated", who.automated);
  return out;
}

Json retry_to_json(const RetryStrategy& retry) {
  Json out = Json::object();
  put_int(out, "limit", retry.limit, 0);
  Json backoff = Json::object();
  put_string(backoff, "duration", retry.backoff.duration, "5s");
  put_int(backoff, "factor", retry.backoff.factor, 2);
  put_string(backoff, "maxDuration", retry.backoff.max_duration, "3m");
  put_json(out, "backoff", std::move(backoff));
  return out;
}

Json resource_status_to_json(const ResourceStatus& r) {
  Json out = Json::object();
  put_string(out, "group", r.group);
  put_string(out, "version", r.version);
  put_string(out, "kind", r.kind);
  put_string(out, "namespace", r.namespace_);
  put_string(out, "name", r.name);
  put_string(out, "status", r.status);
  if (r.health) out["health"] = health_to_json(*r.health);
  put_bool(out, "hook", r.hook);
  put_bool(out, "requiresPruning", r.requires_pruning);
  put_int(out, "syncWave", r.sync_wave, 0);
  return out;
}

Json resource_result_to_json(const ResourceResult& r) {
  Json out = Json::object();
  put_string(out, "group", r.group);
  put_string(out, "version", r.version);
  put_string(out, "kind", r.kind);
  put_string(out, "namespace", r.namespace_);
  put_string(out, "name", r.name);
  put_string(out, "status", r.status);
  put_string(out, "message", r.message);
  put_string(out, "hookType", r.hook_type);
  put_string(out, "hookPhase", r.hook_phase);
  put_string(out, "syncPhase", r.sync_phase);
  return out;
}

Json operation_state_to_json(const OperationState& s) {
  Json out = {{"operation", to_json(s.operation)}};
  put_string(out, "phase", s.phase);
  put_string(out, "message", s.message);
  put_string(out, "startedAt", s.started_at);
  put_string(out, "finishedAt", s.finished_at);
  put_int(out, "retryCount", s.retry_count, 0);
  if (s.sync_result) {
    Json result = Json::object();
    put_string(result, "revision", s.sync_result->revision);
    Json resources = Json::array();
    for (const ResourceResult& r : s.sync_result->resources) resources.push_back(resource_result_to_json(r));
    put_json(result, "resources", std::move(resources));
    put_json(result, "source", s.sync_result->source.is_object() ? s.sync_result->source : Json::object());
    out["syncResult"] = std::move(result);
  }
  return out;
}

}  // namespace

Json to_json(const Operation& operation) {
  Json out = Json::object();
  if (operation.sync) {
    const SyncOperation& sync = *operation.sync;
    Json s = Json::object();
    put_string(s, "revision", sync.revision);
    put_bool(s, "prune", sync.prune);
    put_bool(s, "dryRun", sync.dry_run);
    put_strings(s, "syncOptions", sync.sync_options);
    Json resources = Json::array();
    for (const SyncOperationResource& r : sync.resources) {
      Json item = Json::object();
      put_string(item, "group", r.group);
      put_string(item, "kind", r.kind);
      put_string(item, "name", r.name);
      put_string(item, "namespace", r.namespace_);
      resources.push_back(std::move(item));
    }
    put_json(s, "resources", std::move(resources));
    out["sync"] = std::move(s);
  }
  put_json(out, "initiatedBy", initiator_to_json(operation.initiated_by));
  Json info = Json::array();
  for (const Info& i : operation.info) info.push_back({{"name", i.name}, {"value", i.value}});
  put_json(out, "info", std::move(info));
  if (operation.retry) out["retry"] = retry_to_json(*operation.retry);
  return out;
}

Json to_json(const ApplicationStatus& status) {
  Json out = Json::object();
  Json sync = {{"status", status.sync.status}};
  put_string(sync, "revision", status.sync.revision);
  put_json(sync, "comparedTo", status.sync.compared_to.is_object() ? status.sync.compared_to : Json::object());
  out["sync"] = std::move(sync);
  out["health"] = health_to_json(status.health);
  Json resources = Json::array();
  for (const ResourceStatus& r : status.resources) resources.push_back(resource_status_to_json(r));
  put_json(out, "resources", std::move(resources));
  Json conditions = Json::array();
  for (const ApplicationCondition& c : status.conditions) {
    Json item = {{"type", c.type}, {"message", c.message}};
    put_string(item, "lastTransitionTime", c.last_transition_time);
    conditions.push_back(std::move(item));
  }
  put_json(out, "conditions", std::move(conditions));
  if (status.operation_state) out["operationState"] = operation_state_to_json(*status.operation_state);
  Json history = Json::array();
  for (const RevisionHistory& h : status.history) {
    Json item = {{"id", h.id}};
    put_string(item, "revision", h.revision);
    put_string(item, "deployedAt", h.deployed_at);
    put_string(item, "deployStartedAt", h.deploy_started_at);
    put_json(item, "source", h.source.is_object() ? h.source : Json::object());
    put_json(item, "initiatedBy", initiator_to_json(h.initiated_by));
    history.push_back(std::move(item));
  }
  put_json(out, "history", std::move(history));
  put_string(out, "reconciledAt", status.reconciled_at);
  put_string(out, "sourceType", status.source_type);
  Json summary = Json::object();
  put_strings(summary, "images", status.summary.images);
  put_strings(summary, "externalURLs", status.summary.external_urls);
  put_json(out, "summary", std::move(summary));
  return out;
}

// =============================================================================================
// Reading

namespace {

// Calls `each(item, path)` for every object of the list at object[key], recording non-objects.
template <class Fn>
void for_each_object(FieldReader& r, const Json& object, const std::string& parent, const char* key, Fn each) {
  const Json* list = r.read_array(object, parent, key);
  if (list == nullptr) return;
  const std::string p = join_path(parent, key);
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string ip = index_path(p, i);
    if (!(*list)[i].is_object()) {
      r.wrong_type(ip, "an object", (*list)[i]);
      continue;
    }
    each((*list)[i], ip);
  }
}

HealthStatus read_health(FieldReader& r, const Json& h, const std::string& p) {
  HealthStatus out;
  r.read_string(h, p, "status", out.status);
  r.read_string(h, p, "message", out.message);
  return out;
}

OperationInitiator read_initiator(FieldReader& r, const Json& parent, const std::string& p) {
  OperationInitiator out;
  if (const Json* who = r.read_object(parent, p, "initiatedBy")) {
    const std::string wp = join_path(p, "initiatedBy");
    r.read_string(*who, wp, "username", out.username);
    r.read_bool(*who, wp, "automated", out.automated);
  }
  return out;
}

Operation read_operation(FieldReader& r, const Json& op, const std::string& p) {
  Operation out;
  if (const Json* s = r.read_object(op, p, "sync")) {
    const std::string sp = join_path(p, "sync");
    SyncOperation sync;
    r.read_string(*s, sp, "revision", sync.revision);
    r.read_bool(*s, sp, "prune", sync.prune);
    r.read_bool(*s, sp, "dryRun", sync.dry_run);
    r.read_strings(*s, sp, "syncOptions", sync.sync_options);
    for_each_object(r, *s, sp, "resources", [&](const Json& item, const std::string& ip) {
      SyncOperationResource res;
      r.read_string(item, ip, "group", res.group);
      r.read_string(item, ip, "kind", res.kind);
      r.read_string(item, ip, "name", res.name);
      r.read_string(item, ip, "namespace", res.namespace_);
      sync.resources.push_back(std::move(res));
    });
    out.sync = std::move(sync);
  }
  out.initiated_by = read_initiator(r, op, p);
  for_each_object(r, op, p, "info", [&](const Json& item, const std::string& ip) {
    Info info;
    r.read_string(item, ip, "name", info.name);
    r.read_string(item, ip, "value", info.value);
    out.info.push_back(std::move(info));
  });
  if (const Json* retry = r.read_object(op, p, "retry")) {
    const std::string rp = join_path(p, "retry");
    RetryStrategy strategy;
    r.read_int(*retry, rp, "limit", strategy.limit);
    if (const Json* b = r.read_object(*retry, rp, "backoff")) {
      const std::string bp = join_path(rp, "backoff");
      r.read_string(*b, bp, "duration", strategy.backoff.duration);
      r.read_int(*b, bp, "factor", strategy.backoff.factor);
      r.read_string(*b, bp, "maxDuration", strategy.backoff.max_duration);
    }
    out.retry = strategy;
  }
  return out;
}

OperationState read_operation_state(FieldReader& r, const Json& s, const std::string& p) {
  OperationState out;
  if (const Json* op = r.read_object(s, p, "operation")) out.operation = read_operation(r, *op, join_path(p, "operation"));
  r.read_string(s, p, "phase", out.phase);
  r.read_string(s, p, "message", out.message);
  r.read_string(s, p, "startedAt", out.started_at);
  r.read_string(s, p, "finishedAt", out.finished_at);
  r.read_int(s, p, "retryCount", out.retry_count);
  if (const Json* result = r.read_object(s, p, "syncResult")) {
    const std::string rp = join_path(p, "syncResult");
    SyncOperationResult sr;
    r.read_string(*result, rp, "revision", sr.revision);
    if (const Json* source = r.read_object(*result, rp, "source")) sr.source = *source;
    for_each_object(r, *result, rp, "resources", [&](const Json& item, const std::string& ip) {
      ResourceResult res;
      r.read_string(item, ip, "group", res.group);
      r.read_string(item, ip, "version", res.version);
      r.read_string(item, ip, "kind", res.kind);
      r.read_string(item, ip, "namespace", res.namespace_);
      r.read_string(item, ip, "name", res.name);
      r.read_string(item, ip, "status", res.status);
      r.read_string(item, ip, "message", res.message);
      r.read_string(item, ip, "hookType", res.hook_type);
      r.read_string(item, ip, "hookPhase", res.hook_phase);
      r.read_string(item, ip, "syncPhase", res.sync_phase);
      sr.resources.push_back(std::move(res));
    });
    out.sync_result = std::move(sr);
  }
  return out;
}

}  // namespace

Result<Operation> parse_operation(const Json& operation) {
  if (operation.is_null()) return Operation{};
  FieldReader r;
  if (!operation.is_object()) {
    r.wrong_type("operation", "an object", operation);
    return r.to_status("operation");
  }
  Operation out = read_operation(r, operation, "operation");
  if (!r.ok()) return r.to_status("operation");
  return out;
}

Result<ApplicationStatus> parse_application_status(const Json& status) {
  ApplicationStatus out;
  if (status.is_null()) return out;
  FieldReader r;
  if (!status.is_object()) {
    r.wrong_type("status", "an object", status);
    return r.to_status("status");
  }
  const std::string p = "status";
  if (const Json* sync = r.read_object(status, p, "sync")) {
    r.read_string(*sync, "status.sync", "status", out.sync.status);
    r.read_string(*sync, "status.sync", "revision", out.sync.revision);
    if (const Json* cmp = r.read_object(*sync, "status.sync", "comparedTo")) out.sync.compared_to = *cmp;
  }
  if (const Json* health = r.read_object(status, p, "health")) out.health = read_health(r, *health, "status.health");
  for_each_object(r, status, p, "resources", [&](const Json& item, const std::string& ip) {
    ResourceStatus res;
    r.read_string(item, ip, "group", res.group);
    r.read_string(item, ip, "version", res.version);
    r.read_string(item, ip, "kind", res.kind);
    r.read_string(item, ip, "namespace", res.namespace_);
    r.read_string(item, ip, "name", res.name);
    r.read_string(item, ip, "status", res.status);
    if (const Json* h = r.read_object(item, ip, "health")) res.health = read_health(r, *h, join_path(ip, "health"));
    r.read_bool(item, ip, "hook", res.hook);
    r.read_bool(item, ip, "requiresPruning", res.requires_pruning);
    r.read_int(item, ip, "syncWave", res.sync_wave);
    out.resources.push_back(std::move(res));
  });
  for_each_object(r, status, p, "conditions", [&](const Json& item, const std::string& ip) {
    ApplicationCondition c;
    r.read_string(item, ip, "type", c.type);
    r.read_string(item, ip, "message", c.message);
    r.read_string(item, ip, "lastTransitionTime", c.last_transition_time);
    out.conditions.push_back(std::move(c));
  });
  if (const Json* op = r.read_object(status, p, "operationState")) {
    out.operation_state = read_operation_state(r, *op, "status.operationState");
  }
  for_each_object(r, status, p, "history", [&](const Json& item, const std::string& ip) {
    RevisionHistory h;
    r.read_int(item, ip, "id", h.id);
    r.read_string(item, ip, "revision", h.revision);
    r.read_string(item, ip, "deployedAt", h.deployed_at);
    r.read_string(item, ip, "deployStartedAt", h.deploy_started_at);
    if (const Json* source = r.read_object(item, ip, "source")) h.source = *source;
    h.initiated_by = read_initiator(r, item, ip);
    out.history.push_back(std::move(h));
  });
  r.read_string(status, p, "reconciledAt", out.reconciled_at);
  r.read_string(status, p, "sourceType", out.source_type);
  if (const Json* summary = r.read_object(status, p, "summary")) {
    r.read_strings(*summary, "status.summary", "images", out.summary.images);
    r.read_strings(*summary, "status.summary", "externalURLs", out.summary.external_urls);
  }
  if (!r.ok()) return r.to_status("status");
  return out;
}

// =============================================================================================
// Helpers

bool set_condition(std::vector<ApplicationCondition>& conditions, ApplicationCondition condition) {
  for (ApplicationCondition& c : conditions) {
    if (c.type != condition.type) continue;
    if (c.message == condition.message) return false;  // unchanged: keep the transition time
    c = std::move(condition);
    return true;
  }
  conditions.push_back(std::move(condition));
  return true;
}

bool remove_condition(std::vector<ApplicationCondition>& conditions, std::string_view type) {
  auto before = conditions.size();
  std::erase_if(conditions, [&](const ApplicationCondition& c) { return c.type == type; });
  return conditions.size() != before;
}

int64_t push_history(std::vector<RevisionHistory>& history, RevisionHistory entry, int64_t limit) {
  entry.id = history.empty() ? 0 : history.back().id + 1;
  const int64_t id = entry.id;
  history.push_back(std::move(entry));
  const size_t keep = limit < 0 ? 0 : static_cast<size_t>(limit);
  if (history.size() > keep) history.erase(history.begin(), history.end() - static_cast<ptrdiff_t>(keep));
  return id;
}

std::string rfc3339(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace ferry::apis
