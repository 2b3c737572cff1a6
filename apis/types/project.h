// The Project (`ferry.dev/v1alpha1` kind AppProject, Argo CD's field names): what the
// Applications that name it may deploy, from where and to where.
//
//   apiVersion: ferry.dev/v1alpha1
//   kind: AppProject
//   metadata: {name: team-a, namespace: ferry}
//   spec:
//     sourceRepos: ["https://git.example.com/team-a/*", "!https://git.example.com/team-a/secret"]
//     destinations: [{server: https://kubernetes.default.svc, namespace: "team-a-*"}]
//     clusterResourceWhitelist: [{group: "", kind: Namespace}]
//     namespaceResourceBlacklist: [{group: "", kind: ResourceQuota}]
//
// Patterns are globs (glob.h). In sourceRepos and destinations a leading '!' denies: an item
// is allowed when it matches at least one allow pattern and no deny pattern (denials win).
// Repository URLs are compared case-insensitively, without a trailing '/' or ".git"; '*' does
// not cross '/' in them ('**' does), so "https://github.com/org/*" is one level of repos.
// Group/kind lists take globs without negation (the white/black lists are the negation).
// The built-in `default` project allows everything. Plain values, pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apis/types/application.h"
#include "apis/types/status.h"

namespace ferry::apis {

inline constexpr std::string_view kProjectKind = "AppProject";

struct ProjectDestination {
  std::string server;
  std::string name;
  std::string namespace_;
};

struct GroupKind {
  std::string group;  // "" = the core group
  std::string kind;
};

struct ProjectSpec {
  std::string description;
  std::vector<std::string> source_repos;
  std::vector<ProjectDestination> destinations;
  // Cluster-scoped kinds: allowed when whitelisted and not blacklisted. Empty whitelist = none.
  std::vector<GroupKind> cluster_resource_whitelist;
  std::vector<GroupKind> cluster_resource_blacklist;
  // Namespaced kinds: allowed unless blacklisted; when the whitelist is non-empty, only those.
  std::vector<GroupKind> namespace_resource_whitelist;
  std::vector<GroupKind> namespace_resource_blacklist;
};

struct Project {
  std::string source_api_version = std::string(kApiVersion);
  ObjectMeta metadata;
  ProjectSpec spec;
  Json raw_spec = Json::object();  // roles, syncWindows, ... kept as written, not enforced
};

// Reads an AppProject of ferry.dev/v1alpha1 or argoproj.io/v1alpha1. Invalid, naming each field,
// when it is not one or a field has the wrong type.
Result<Project> parse_project(const Json& object);
// A ferry.dev/v1alpha1 AppProject; unknown spec fields of the original are kept.
Json to_json(const Project& project);

// The built-in `default` project: any repo, any destination, any resource.
Project default_project();

// OK, or Forbidden naming the project and what it does not allow:
//   application repo "https://x/y" is not permitted in project "team-a"
Status allows_source(const Project& project, std::string_view repo_url);
// `server` or `name` may be empty (an app names one of them); both are checked when given.
//   application destination {server "https://...", namespace "kube-system"} is not permitted in project "team-a"
Status allows_destination(const Project& project, std::string_view server, std::string_view name,
                          std::string_view namespace_);
// The destination of an app, by server or name.
Status allows_destination(const Project& project, const ApplicationDestination& destination);
//   cluster-scoped resource rbac.authorization.k8s.io/ClusterRole is not permitted in project "team-a"
Status allows_cluster_resource(const Project& project, std::string_view group, std::string_view kind);
//   namespaced resource /ResourceQuota is not permitted in project "team-a"
Status allows_namespaced_resource(const Project& project, std::string_view group, std::string_view kind);

// Structural problems of a project (name, empty patterns), as validate(Application) reports them.
std::vector<StatusCause> validate(const Project& project);

}  // namespace ferry::apis
