#include "apis/types/project.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "apis/types/glob.h"
#include "apis/types/json_fields.h"

namespace ferry::apis {

using detail::FieldReader;
using detail::index_path;
using detail::join_path;

namespace {

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::vector<GroupKind> read_group_kinds(FieldReader& r, const Json& spec, const char* key) {
  std::vector<GroupKind> out;
  const Json* list = r.read_array(spec, "spec", key);
  if (list == nullptr) return out;
  const std::string p = join_path("spec", key);
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string ip = index_path(p, i);
    if (!(*list)[i].is_object()) {
      r.wrong_type(ip, "an object", (*list)[i]);
      continue;
    }
    GroupKind gk;
    r.read_string((*list)[i], ip, "group", gk.group);
    r.read_string((*list)[i], ip, "kind", gk.kind);
    out.push_back(std::move(gk));
  }
  return out;
}

Json group_kinds_to_json(const std::vector<GroupKind>& list) {
  Json out = Json::array();
  for (const GroupKind& gk : list) out.push_back({{"group", gk.group}, {"kind", gk.kind}});
  return out;
}

std::string string_member(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// Argo CD compares repository URLs normalised: case-insensitive, no trailing '/' or ".git".
std::string normalize_repo(std::string_view url) {
  std::string out(url);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (out.size() > 4 && out.compare(out.size() - 4, 4, ".git") == 0) out.resize(out.size() - 4);
  return out;
}

// A pattern split into its negation flag and glob.
struct Pattern {
  bool deny = false;
  std::string_view glob;
};

Pattern split(std::string_view pattern) {
  if (!pattern.empty() && pattern[0] == '!') return {true, pattern.substr(1)};
  return {false, pattern};
}

bool repo_glob(std::string_view glob, std::string_view normalized_url) {
  if (glob == "*") return true;  // '*' alone means any repository, '/' or not
  return glob_match(normalize_repo(glob), normalized_url, '/');
}

Status forbidden(std::string message) { return Status(Reason::kForbidden, std::move(message)); }

bool group_kind_in(const std::vector<GroupKind>& list, std::string_view group, std::string_view kind) {
  return std::any_of(list.begin(), list.end(), [&](const GroupKind& gk) {
    return glob_match(gk.kind, kind) && glob_match(gk.group, group);
  });
}

std::string group_kind_name(std::string_view group, std::string_view kind) {
  return std::string(group) + "/" + std::string(kind);
}

}  // namespace

Result<Project> parse_project(const Json& object) {
  if (!object.is_object()) {
    return Status::Invalid(std::string("an AppProject must be an object, not ") + detail::json_type_phrase(object));
  }
  const std::string api_version = string_member(object, "apiVersion");
  const std::string kind = string_member(object, "kind");
  if ((api_version != kApiVersion && api_version != kArgoApiVersion) || kind != kProjectKind) {
    return Status::Invalid("not an AppProject: apiVersion \"" + api_version + "\", kind \"" + kind +
                           "\" (want kind AppProject of ferry.dev/v1alpha1 or argoproj.io/v1alpha1)");
  }
  FieldReader r;
  Project project;
  project.source_api_version = api_version;
  if (const Json* m = r.read_object(object, "", "metadata")) {
    r.read_string(*m, "metadata", "name", project.metadata.name);
    r.read_string(*m, "metadata", "namespace", project.metadata.namespace_);
    r.read_string_map(*m, "metadata", "labels", project.metadata.labels);
    r.read_string_map(*m, "metadata", "annotations", project.metadata.annotations);
    r.read_strings(*m, "metadata", "finalizers", project.metadata.finalizers);
    r.read_string(*m, "metadata", "uid", project.metadata.uid);
    r.read_string(*m, "metadata", "resourceVersion", project.metadata.resource_version);
    r.read_int(*m, "metadata", "generation", project.metadata.generation);
  }
  if (const Json* spec = r.read_object(object, "", "spec")) {
    project.raw_spec = *spec;
    ProjectSpec& s = project.spec;
    r.read_string(*spec, "spec", "description", s.description);
    r.read_strings(*spec, "spec", "sourceRepos", s.source_repos);
    if (const Json* list = r.read_array(*spec, "spec", "destinations")) {
      for (size_t i = 0; i < list->size(); ++i) {
        const std::string ip = index_path("spec.destinations", i);
        if (!(*list)[i].is_object()) {
          r.wrong_type(ip, "an object", (*list)[i]);
          continue;
        }
        ProjectDestination d;
        r.read_string((*list)[i], ip, "server", d.server);
        r.read_string((*list)[i], ip, "name", d.name);
        r.read_string((*list)[i], ip, "namespace", d.namespace_);
        s.destinations.push_back(std::move(d));
      }
    }
    s.cluster_resource_whitelist = read_group_kinds(r, *spec, "clusterResourceWhitelist");
    s.cluster_resource_blacklist = read_group_kinds(r, *spec, "clusterResourceBlacklist");
    s.namespace_resource_whitelist = read_group_kinds(r, *spec, "namespaceResourceWhitelist");
    s.namespace_resource_blacklist = read_group_kinds(r, *spec, "namespaceResourceBlacklist");
  }
  if (!r.ok()) {
    return r.to_status("AppProject" + (project.metadata.name.empty() ? "" : " " + in_quotes(project.metadata.name)));
  }
  return project;
}

Json to_json(const Project& project) {
  using detail::put_json;
  using detail::put_string;
  using detail::put_string_map;
  using detail::put_strings;
  Json meta = {{"name", project.metadata.name}};
  put_string(meta, "namespace", project.metadata.namespace_);
  put_string_map(meta, "labels", project.metadata.labels);
  put_string_map(meta, "annotations", project.metadata.annotations);
  put_strings(meta, "finalizers", project.metadata.finalizers);
  put_string(meta, "uid", project.metadata.uid);
  put_string(meta, "resourceVersion", project.metadata.resource_version);
  detail::put_int(meta, "generation", project.metadata.generation, 0);

  const ProjectSpec& s = project.spec;
  Json spec = project.raw_spec.is_object() ? project.raw_spec : Json::object();
  put_string(spec, "description", s.description);
  put_strings(spec, "sourceRepos", s.source_repos);
  Json destinations = Json::array();
  for (const ProjectDestination& d : s.destinations) {
    Json item = Json::object();
    put_string(item, "server", d.server);
    put_string(item, "name", d.name);
    put_string(item, "namespace", d.namespace_);
    destinations.push_back(std::move(item));
  }
  put_json(spec, "destinations", std::move(destinations));
  put_json(spec, "clusterResourceWhitelist", group_kinds_to_json(s.cluster_resource_whitelist));
  put_json(spec, "clusterResourceBlacklist", group_kinds_to_json(s.cluster_resource_blacklist));
  put_json(spec, "namespaceResourceWhitelist", group_kinds_to_json(s.namespace_resource_whitelist));
  put_json(spec, "namespaceResourceBlacklist", group_kinds_to_json(s.namespace_resource_blacklist));
  return {{"apiVersion", std::string(kApiVersion)},
          {"kind", std::string(kProjectKind)},
          {"metadata", std::move(meta)},
          {"spec", std::move(spec)}};
}

Project default_project() {
  Project p;
  p.metadata.name = std::string(kDefaultProject);
  p.spec.description = "Built-in project: any repository, destination and resource.";
  p.spec.source_repos = {"*"};
  p.spec.destinations = {{"*", "*", "*"}};
  p.spec.cluster_resource_whitelist = {{"*", "*"}};
  return p;
}

Status allows_source(const Project& project, std::string_view repo_url) {
  const std::string url = normalize_repo(repo_url);
  bool allowed = false;
  for (const std::string& item : project.spec.source_repos) {
    Pattern p = split(item);
    if (!repo_glob(p.glob, url)) continue;
    if (p.deny) {
      return forbidden("application repo " + in_quotes(repo_url) + " is not permitted in project " +
                       in_quotes(project.metadata.name) + " (denied by " + in_quotes(item) + ")");
    }
    allowed = true;
  }
  if (allowed) return Status::Ok();
  return forbidden("application repo " + in_quotes(repo_url) + " is not permitted in project " +
                   in_quotes(project.metadata.name) + " (it matches none of spec.sourceRepos)");
}

Status allows_destination(const Project& project, std::string_view server, std::string_view name,
                          std::string_view namespace_) {
  auto describe = [&] {
    std::string d = "application destination {";
    if (!server.empty()) d += "server " + in_quotes(server);
    if (!name.empty()) d += std::string(server.empty() ? "" : ", ") + "name " + in_quotes(name);
    return d + ", namespace " + in_quotes(namespace_) + "}";
  };
  bool allowed = false;
  for (size_t i = 0; i < project.spec.destinations.size(); ++i) {
    const ProjectDestination& item = project.spec.destinations[i];
    Pattern s = split(item.server), n = split(item.name), ns = split(item.namespace_);
    const bool server_match = !server.empty() && glob_match(s.glob, server);
    const bool name_match = !name.empty() && glob_match(n.glob, name);
    const bool namespace_match = glob_match(ns.glob, namespace_);
    if (!s.deny && !n.deny && !ns.deny) {
      if ((server_match || name_match) && namespace_match) allowed = true;
      continue;
    }
    // A deny entry: the cluster is decided by its negated server/name patterns when it has
    // any (so {server: "*", name: "!prod"} denies only prod), else by either one.
    bool cluster = s.deny || n.deny ? (s.deny && server_match) || (n.deny && name_match) : server_match || name_match;
    if (cluster && namespace_match) {
      return forbidden(describe() + " is not permitted in project " + in_quotes(project.metadata.name) +
                       " (denied by spec.destinations[" + std::to_string(i) + "])");
    }
  }
  if (allowed) return Status::Ok();
  return forbidden(describe() + " is not permitted in project " + in_quotes(project.metadata.name) +
                   " (it matches none of spec.destinations)");
}

Status allows_destination(const Project& project, const ApplicationDestination& destination) {
  std::string server = destination.server;
  std::string name = destination.name;
  // The local cluster has both spellings; a project may list it by either.
  if (server.empty() && name == kInClusterName) server = std::string(kInClusterServer);
  if (name.empty() && (server == kInClusterServer || server == std::string(kInClusterServer) + "/")) {
    name = std::string(kInClusterName);
  }
  return allows_destination(project, server, name, destination.namespace_);
}

Status allows_cluster_resource(const Project& project, std::string_view group, std::string_view kind) {
  if (group_kind_in(project.spec.cluster_resource_whitelist, group, kind) &&
      !group_kind_in(project.spec.cluster_resource_blacklist, group, kind)) {
    return Status::Ok();
  }
  return forbidden("cluster-scoped resource " + group_kind_name(group, kind) + " is not permitted in project " +
                   in_quotes(project.metadata.name));
}

Status allows_namespaced_resource(const Project& project, std::string_view group, std::string_view kind) {
  const ProjectSpec& s = project.spec;
  bool whitelisted = s.namespace_resource_whitelist.empty() || group_kind_in(s.namespace_resource_whitelist, group, kind);
  if (whitelisted && !group_kind_in(s.namespace_resource_blacklist, group, kind)) return Status::Ok();
  return forbidden("namespaced resource " + group_kind_name(group, kind) + " is not permitted in project " +
                   in_quotes(project.metadata.name));
}

std::vector<StatusCause> validate(const Project& project) {
  std::vector<StatusCause> causes;
  auto add = [&](const char* reason, const std::string& field, const std::string& message) {
    causes.push_back({reason, field + ": " + message, field});
  };
  if (project.metadata.name.empty()) {
    add(kCauseRequired, "metadata.name", "required");
  } else if (!is_dns1123_subdomain(project.metadata.name)) {
    add(kCauseInvalid, "metadata.name", in_quotes(project.metadata.name) + " must be a lowercase RFC 1123 subdomain");
  }
  const ProjectSpec& s = project.spec;
  for (size_t i = 0; i < s.source_repos.size(); ++i) {
    if (split(s.source_repos[i]).glob.empty()) add(kCauseRequired, index_path("spec.sourceRepos", i), "empty pattern");
  }
  for (size_t i = 0; i < s.destinations.size(); ++i) {
    if (s.destinations[i].server.empty() && s.destinations[i].name.empty()) {
      add(kCauseRequired, index_path("spec.destinations", i), "one of server or name is required");
    }
  }
  auto check_kinds = [&](const std::vector<GroupKind>& list, const char* key) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].kind.empty()) add(kCauseRequired, index_path(join_path("spec", key), i) + ".kind", "required");
    }
  };
  check_kinds(s.cluster_resource_whitelist, "clusterResourceWhitelist");
  check_kinds(s.cluster_resource_blacklist, "clusterResourceBlacklist");
  check_kinds(s.namespace_resource_whitelist, "namespaceResourceWhitelist");
  check_kinds(s.namespace_resource_blacklist, "namespaceResourceBlacklist");
  return causes;
}

}  // namespace ferry::apis
