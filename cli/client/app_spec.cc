#include "cli/client/app_spec.h"

#include <utility>

namespace ferry::cli {
namespace {

// `object[key]`, made an object when absent or of another type.
Json& child(Json& object, const char* key) {
  Json& c = object[key];
  if (!c.is_object()) c = Json::object();
  return c;
}

Result<std::pair<std::string, std::string>> split_pair(const std::string& text, const char* flag) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::Invalid(std::string(flag) + " wants KEY=VALUE, got \"" + text + "\"");
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

// Drops `key` from `object` when it is an empty object, so an edit leaves no `syncPolicy: {}`.
void drop_if_empty(Json& object, const char* key) {
  auto it = object.find(key);
  if (it != object.end() && it->is_object() && it->empty()) object.erase(it);
}

}  // namespace

bool AppFlags::any() const {
  return repo || path || revision || helm_chart || dest_server || dest_name || dest_namespace || project ||
         sync_policy || auto_prune || self_heal || allow_empty || !sync_options.empty() || values ||
         !helm_sets.empty() || !helm_set_strings.empty() || !labels.empty() || release_name || directory_recurse;
}

Result<Json> new_application(const std::string& name, const AppFlags& flags) {
  Json app = {{"apiVersion", "ferry.dev/v1alpha1"},
              {"kind", "Application"},
              {"metadata", {{"name", name}}},
              {"spec", {{"project", "default"}, {"source", Json::object()}, {"destination", Json::object()}}}};
  Status applied = apply_app_flags(app, flags);
  if (!applied.ok()) return applied;
  return app;
}

Status apply_app_flags(Json& app, const AppFlags& flags) {
  if (!app.is_object()) return Status::Invalid("the application is not an object");
  Json& spec = child(app, "spec");
  auto set_source = [&](const std::optional<std::string>& value, const char* key) {
    if (value) child(spec, "source")[key] = *value;
  };
  set_source(flags.repo, "repoURL");
  set_source(flags.path, "path");
  set_source(flags.revision, "targetRevision");
  set_source(flags.helm_chart, "chart");
  auto set_destination = [&](const std::optional<std::string>& value, const char* key) {
    if (value) child(spec, "destination")[key] = *value;
  };
  set_destination(flags.dest_server, "server");
  set_destination(flags.dest_name, "name");
  set_destination(flags.dest_namespace, "namespace");
  if (flags.project) spec["project"] = *flags.project;

  if (flags.sync_policy) {
    const std::string& p = *flags.sync_policy;
    if (p == "automated" || p == "auto" || p == "automatic") {
      Json& policy = child(spec, "syncPolicy");
      if (!policy.contains("automated") || !policy["automated"].is_object()) policy["automated"] = Json::object();
    } else if (p == "none" || p == "manual") {
      if (spec.contains("syncPolicy") && spec["syncPolicy"].is_object()) spec["syncPolicy"].erase("automated");
    } else {
      return Status::Invalid("--sync-policy must be automated or none, got \"" + p + "\"");
    }
  }
  auto set_automated = [&](const std::optional<bool>& value, const char* key, const char* flag) -> Status {
    if (!value) return Status::Ok();
    bool automated = spec.contains("syncPolicy") && spec["syncPolicy"].is_object() &&
                     spec["syncPolicy"].contains("automated") && spec["syncPolicy"]["automated"].is_object();
    if (!automated) {
      return Status::Invalid(std::string("cannot set ") + flag +
                             ": the application's sync is not automated (add --sync-policy automated)");
    }
    spec["syncPolicy"]["automated"][key] = *value;
    return Status::Ok();
  };
  for (Status s : {set_automated(flags.auto_prune, "prune", "--auto-prune"),
                   set_automated(flags.self_heal, "selfHeal", "--self-heal"),
                   set_automated(flags.allow_empty, "allowEmpty", "--allow-empty")}) {
    if (!s.ok()) return s;
  }

  for (const std::string& option : flags.sync_options) {
    auto pair = split_pair(option, "--sync-option");
    if (!pair.ok()) return pair.status();
    Json& list = child(spec, "syncPolicy")["syncOptions"];
    if (!list.is_array()) list = Json::array();
    bool replaced = false;
    for (Json& existing : list) {
      if (existing.is_string() && existing.get<std::string>().rfind(pair->first + "=", 0) == 0) {
        existing = option;
        replaced = true;
      }
    }
    if (!replaced) list.push_back(option);
  }
  if (spec.contains("syncPolicy")) drop_if_empty(spec, "syncPolicy");

  auto helm = [&]() -> Json& { return child(child(spec, "source"), "helm"); };
  if (flags.values) helm()["valueFiles"] = *flags.values;
  if (flags.release_name) helm()["releaseName"] = *flags.release_name;
  auto set_parameters = [&](const std::vector<std::string>& sets, const char* flag, bool force_string) -> Status {
    for (const std::string& text : sets) {
      auto pair = split_pair(text, flag);
      if (!pair.ok()) return pair.status();
      Json& params = helm()["parameters"];
      if (!params.is_array()) params = Json::array();
      Json entry = {{"name", pair->first}, {"value", pair->second}};
      if (force_string) entry["forceString"] = true;
      bool replaced = false;
      for (Json& existing : params) {
        if (existing.is_object() && existing.value("name", "") == pair->first) {
          existing = entry;
          replaced = true;
        }
      }
      if (!replaced) params.push_back(std::move(entry));
    }
    return Status::Ok();
  };
  for (Status s : {set_parameters(flags.helm_sets, "--helm-set", false),
                   set_parameters(flags.helm_set_strings, "--helm-set-string", true)}) {
    if (!s.ok()) return s;
  }
  if (flags.directory_recurse) child(child(spec, "source"), "directory")["recurse"] = *flags.directory_recurse;

  for (const std::string& text : flags.labels) {
    auto pair = split_pair(text, "--label");
    if (!pair.ok()) return pair.status();
    child(child(app, "metadata"), "labels")[pair->first] = pair->second;
  }
  return Status::Ok();
}

}  // namespace ferry::cli
