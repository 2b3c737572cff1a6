// Projects: parsing, the built-in default, and the allow-lists — globs, '!' denials that win,
// repository URL normalisation, destinations by server or name, cluster and namespaced kinds.
#include "apis/types/project.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apis/types/glob.h"
#include "apis/types/yaml_codec.h"

namespace ferry::apis {
namespace {

using ::testing::HasSubstr;

constexpr const char* kTeamProject = R"(
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: team-a
  namespace: argocd
spec:
  description: Team A's services
  sourceRepos:
    - https://github.com/team-a/*
    - '!https://github.com/team-a/secrets'
    - https://charts.example.com
  destinations:
    - server: https://kubernetes.default.svc
      namespace: team-a-*
    - name: staging
      namespace: '*'
    - server: '*'
      namespace: '!team-a-system'
  clusterResourceWhitelist:
    - group: ''
      kind: Namespace
    - group: rbac.authorization.k8s.io
      kind: Cluster*
  clusterResourceBlacklist:
    - group: rbac.authorization.k8s.io
      kind: ClusterRoleBinding
  namespaceResourceBlacklist:
    - group: ''
      kind: ResourceQuota
    - group: ''
      kind: LimitRange
  roles:
    - name: ci
      policies: [p, proj:team-a:ci, applications, sync, team-a/*, allow]
  syncWindows:
    - kind: deny
      schedule: '0 22 * * *'
      duration: 1h
)";

Project parse_ok(const char* text) {
  auto docs = yaml::parse_stream(text, "project.yaml");
  EXPECT_TRUE(docs.ok()) << docs.status().to_string();
  if (!docs.ok()) return Project{};
  Result<Project> p = parse_project((*docs)[0].value);
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  return p.ok() ? *p : Project{};
}

Project with_repos(std::vector<std::string> repos) {
  Project p;
  p.metadata.name = "p";
  p.spec.source_repos = std::move(repos);
  return p;
}

TEST(Glob, Basics) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*", "anything/at/all"));
  EXPECT_TRUE(glob_match("team-a-*", "team-a-web"));
  EXPECT_TRUE(glob_match("team-a-*", "team-a-"));
  EXPECT_FALSE(glob_match("team-a-*", "team-b-web"));
  EXPECT_TRUE(glob_match("web-?", "web-1"));
  EXPECT_FALSE(glob_match("web-?", "web-10"));
  EXPECT_FALSE(glob_match("web-?", "web-"));
  EXPECT_TRUE(glob_match("*-prod-*", "eu-prod-1"));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYbZc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXXbYYbZ"));
  EXPECT_TRUE(glob_match("", ""));
  EXPECT_FALSE(glob_match("", "a"));
  EXPECT_TRUE(glob_match("exact", "exact"));
  EXPECT_FALSE(glob_match("exact", "exactly"));
}

TEST(Glob, ClassesEscapesAndSeparators) {
  EXPECT_TRUE(glob_match("web-[0-9]", "web-7"));
  EXPECT_FALSE(glob_match("web-[0-9]", "web-x"));
  EXPECT_TRUE(glob_match("web-[!0-9]", "web-x"));
  EXPECT_TRUE(glob_match("web-[^0-9]", "web-x"));
  EXPECT_FALSE(glob_match("web-[!0-9]", "web-7"));
  EXPECT_TRUE(glob_match("[abc]", "b"));
  EXPECT_TRUE(glob_match("[]]", "]"));
  EXPECT_TRUE(glob_match("a[", "a["));  // unclosed class: a literal '['
  EXPECT_TRUE(glob_match("\\*", "*"));
  EXPECT_FALSE(glob_match("\\*", "x"));
  EXPECT_TRUE(glob_match("a\\?", "a?"));
  // With a separator, '*' and '?' stay within one segment and '**' crosses them.
  EXPECT_TRUE(glob_match("https://github.com/org/*", "https://github.com/org/repo", '/'));
  EXPECT_FALSE(glob_match("https://github.com/org/*", "https://github.com/org/group/repo", '/'));
  EXPECT_TRUE(glob_match("https://github.com/org/**", "https://github.com/org/group/repo", '/'));
  EXPECT_FALSE(glob_match("a?b", "a/b", '/'));
  EXPECT_TRUE(glob_match("a?b", "a/b"));
  // No exponential blow-up on pathological patterns.
  EXPECT_FALSE(glob_match(std::string(50, '*') + "b", std::string(5000, 'a')));
}

TEST(ParseProject, ArgoProject) {
  Project p = parse_ok(kTeamProject);
  EXPECT_EQ(p.source_api_version, "argoproj.io/v1alpha1");
  EXPECT_EQ(p.metadata.name, "team-a");
  EXPECT_EQ(p.spec.description, "Team A's services");
  EXPECT_EQ(p.spec.source_repos.size(), 3u);
  ASSERT_EQ(p.spec.destinations.size(), 3u);
  EXPECT_EQ(p.spec.destinations[1].name, "staging");
  EXPECT_EQ(p.spec.cluster_resource_whitelist.size(), 2u);
  EXPECT_EQ(p.spec.cluster_resource_whitelist[0].group, "");
  EXPECT_EQ(p.spec.cluster_resource_blacklist[0].kind, "ClusterRoleBinding");
  EXPECT_EQ(p.spec.namespace_resource_blacklist.size(), 2u);
  EXPECT_EQ(p.raw_spec["roles"][0]["name"], "ci");  // kept, not enforced
  EXPECT_TRUE(validate(p).empty());

  Json out = to_json(p);
  EXPECT_EQ(out["apiVersion"], "ferry.dev/v1alpha1");
  EXPECT_EQ(out["kind"], "AppProject");
  auto docs = yaml::parse_stream(kTeamProject, "p.yaml");
  EXPECT_EQ(out["spec"], (*docs)[0].value["spec"]);
  Result<Project> back = parse_project(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(to_json(*back), out);
}

TEST(ParseProject, RefusesWrongKindsAndTypes) {
  EXPECT_FALSE(parse_project(Json{{"apiVersion", "ferry.dev/v1alpha1"}, {"kind", "Application"}}).ok());
  EXPECT_FALSE(parse_project(Json::array()).ok());
  Result<Project> p = parse_project(Json::parse(R"({
    "apiVersion": "ferry.dev/v1alpha1", "kind": "AppProject", "metadata": {"name": "x"},
    "spec": {"sourceRepos": "*", "destinations": [{"server": 1}], "clusterResourceWhitelist": ["Namespace"]}
  })"));
  ASSERT_FALSE(p.ok());
  std::vector<std::string> fields;
  for (const StatusCause& c : p.status().causes()) fields.push_back(c.field);
  EXPECT_THAT(fields, ::testing::ElementsAre("spec.sourceRepos", "spec.destinations[0].server",
                                             "spec.clusterResourceWhitelist[0]"));
  EXPECT_THAT(p.status().message(), HasSubstr("AppProject \"x\" is invalid"));
}

TEST(ParseProject, Validate) {
  Project p;
  p.spec.source_repos = {"", "!"};
  p.spec.destinations = {{"", "", "*"}};
  p.spec.cluster_resource_whitelist = {{"apps", ""}};
  std::vector<std::string> messages;
  for (const StatusCause& c : validate(p)) messages.push_back(c.message);
  EXPECT_THAT(messages, ::testing::ElementsAre("metadata.name: required", "spec.sourceRepos[0]: empty pattern",
                                               "spec.sourceRepos[1]: empty pattern",
                                               "spec.destinations[0]: one of server or name is required",
                                               "spec.clusterResourceWhitelist[0].kind: required"));
}

TEST(DefaultProject, AllowsEverything) {
  Project p = default_project();
  EXPECT_EQ(p.metadata.name, "default");
  EXPECT_TRUE(allows_source(p, "https://github.com/any/repo.git").ok());
  EXPECT_TRUE(allows_source(p, "git@github.com:org/repo.git").ok());
  EXPECT_TRUE(allows_source(p, "file:///tmp/repo").ok());
  EXPECT_TRUE(allows_destination(p, "https://10.0.0.1:6443", "", "any").ok());
  EXPECT_TRUE(allows_destination(p, "", "prod", "").ok());
  EXPECT_TRUE(allows_destination(p, ApplicationDestination{"", "in-cluster", "web"}).ok());
  EXPECT_TRUE(allows_cluster_resource(p, "rbac.authorization.k8s.io", "ClusterRole").ok());
  EXPECT_TRUE(allows_cluster_resource(p, "", "Namespace").ok());
  EXPECT_TRUE(allows_namespaced_resource(p, "", "ResourceQuota").ok());
  EXPECT_TRUE(validate(p).empty());
  // It is an ordinary project too: it round-trips through JSON.
  Result<Project> back = parse_project(to_json(p));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(allows_source(*back, "https://x/y").ok());
}

TEST(AllowsSource, GlobsAndNormalisation) {
  Project p = parse_ok(kTeamProject);
  EXPECT_TRUE(allows_source(p, "https://github.com/team-a/web").ok());
  EXPECT_TRUE(allows_source(p, "https://github.com/team-a/web.git").ok());
  EXPECT_TRUE(allows_source(p, "https://GitHub.com/Team-A/Web/").ok());
  EXPECT_TRUE(allows_source(p, "https://charts.example.com/").ok());
  EXPECT_FALSE(allows_source(p, "https://github.com/team-a/group/nested").ok());  // '*' is one level
  EXPECT_FALSE(allows_source(p, "https://github.com/team-b/web").ok());
  Status denied = allows_source(p, "https://github.com/team-b/web");
  EXPECT_TRUE(denied.is(Reason::kForbidden));
  EXPECT_EQ(denied.message(),
            "application repo \"https://github.com/team-b/web\" is not permitted in project \"team-a\" (it matches "
            "none of spec.sourceRepos)");
}

TEST(AllowsSource, NegationWins) {
  Project p = parse_ok(kTeamProject);
  Status s = allows_source(p, "https://github.com/team-a/secrets.git");
  EXPECT_TRUE(s.is(Reason::kForbidden));
  EXPECT_EQ(s.message(),
            "application repo \"https://github.com/team-a/secrets.git\" is not permitted in project \"team-a\" "
            "(denied by \"!https://github.com/team-a/secrets\")");
  // Order does not matter: a denial after '*' still wins.
  Project q = with_repos({"*", "!https://github.com/evil/**"});
  EXPECT_TRUE(allows_source(q, "https://github.com/good/repo").ok());
  EXPECT_FALSE(allows_source(q, "https://github.com/evil/repo").ok());
  EXPECT_FALSE(allows_source(q, "https://github.com/evil/group/repo").ok());
  Project r = with_repos({"!https://github.com/evil/*", "*"});
  EXPECT_FALSE(allows_source(r, "https://github.com/evil/repo").ok());
  // Denials alone allow nothing: something must match an allow pattern.
  Project only_deny = with_repos({"!https://github.com/evil/*"});
  EXPECT_FALSE(allows_source(only_deny, "https://github.com/good/repo").ok());
  EXPECT_FALSE(allows_source(with_repos({}), "https://github.com/good/repo").ok());
  // '?' and '**' in repository patterns.
  Project s2 = with_repos({"https://git.example.com/team-?/**"});
  EXPECT_TRUE(allows_source(s2, "https://git.example.com/team-a/x/y/z").ok());
  EXPECT_FALSE(allows_source(s2, "https://git.example.com/team-ab/x").ok());
}

TEST(AllowsDestination, ServerNameAndNamespaceGlobs) {
  Project p = parse_ok(kTeamProject);
  EXPECT_TRUE(allows_destination(p, "https://kubernetes.default.svc", "", "team-a-web").ok());
  EXPECT_TRUE(allows_destination(p, "", "staging", "anything").ok());
  EXPECT_TRUE(allows_destination(p, ApplicationDestination{"", "in-cluster", "team-a-api"}).ok());  // by name
  Status other = allows_destination(p, "https://kubernetes.default.svc", "", "kube-system");
  EXPECT_TRUE(other.is(Reason::kForbidden));
  EXPECT_EQ(other.message(),
            "application destination {server \"https://kubernetes.default.svc\", namespace \"kube-system\"} is not "
            "permitted in project \"team-a\" (it matches none of spec.destinations)");
  EXPECT_FALSE(allows_destination(p, "https://10.0.0.9", "", "team-a-web").ok());
  EXPECT_FALSE(allows_destination(p, "", "prod", "team-a-web").ok());
  EXPECT_FALSE(allows_destination(p, "https://kubernetes.default.svc", "", "").ok());  // "" is no team-a-*
}

TEST(AllowsDestination, NegationWins) {
  Project p = parse_ok(kTeamProject);
  // team-a-system matches team-a-* on the local cluster, but the '!team-a-system' entry denies it.
  Status s = allows_destination(p, "https://kubernetes.default.svc", "", "team-a-system");
  EXPECT_TRUE(s.is(Reason::kForbidden));
  EXPECT_THAT(s.message(), HasSubstr("(denied by spec.destinations[2])"));
  EXPECT_THAT(s.message(), HasSubstr("project \"team-a\""));
  // The deny entry names servers only, so a destination given by name alone is not caught by it.
  EXPECT_TRUE(allows_destination(p, "", "staging", "team-a-system").ok());

  Project q;
  q.metadata.name = "q";
  q.spec.destinations = {{"*", "*", "*"}, {"!https://prod-*", "", "*"}, {"*", "!secure", "*"}};
  EXPECT_TRUE(allows_destination(q, "https://staging-1", "", "web").ok());
  EXPECT_FALSE(allows_destination(q, "https://prod-1", "", "web").ok());
  EXPECT_TRUE(allows_destination(q, "", "dev", "web").ok());
  EXPECT_FALSE(allows_destination(q, "", "secure", "web").ok());
  // {server: "*", name: "!secure"} denies only by name: other servers stay allowed.
  EXPECT_TRUE(allows_destination(q, "https://staging-2", "", "web").ok());

  Project only_deny;
  only_deny.metadata.name = "d";
  only_deny.spec.destinations = {{"*", "", "!kube-system"}};
  EXPECT_FALSE(allows_destination(only_deny, "https://x", "", "web").ok());
}

TEST(AllowsDestination, LocalClusterEitherSpelling) {
  Project by_server;
  by_server.metadata.name = "s";
  by_server.spec.destinations = {{"https://kubernetes.default.svc", "", "web"}};
  EXPECT_TRUE(allows_destination(by_server, ApplicationDestination{"", "in-cluster", "web"}).ok());
  Project by_name;
  by_name.metadata.name = "n";
  by_name.spec.destinations = {{"", "in-cluster", "web"}};
  EXPECT_TRUE(allows_destination(by_name, ApplicationDestination{"https://kubernetes.default.svc", "", "web"}).ok());
  EXPECT_FALSE(allows_destination(by_name, ApplicationDestination{"https://10.1.1.1", "", "web"}).ok());
}

TEST(AllowsResources, ClusterScoped) {
  Project p = parse_ok(kTeamProject);
  EXPECT_TRUE(allows_cluster_resource(p, "", "Namespace").ok());
  EXPECT_TRUE(allows_cluster_resource(p, "rbac.authorization.k8s.io", "ClusterRole").ok());
  Status blacklisted = allows_cluster_resource(p, "rbac.authorization.k8s.io", "ClusterRoleBinding");
  EXPECT_TRUE(blacklisted.is(Reason::kForbidden));
  EXPECT_EQ(blacklisted.message(),
            "cluster-scoped resource rbac.authorization.k8s.io/ClusterRoleBinding is not permitted in project "
            "\"team-a\"");
  EXPECT_FALSE(allows_cluster_resource(p, "apiextensions.k8s.io", "CustomResourceDefinition").ok());
  EXPECT_FALSE(allows_cluster_resource(p, "rbac.authorization.k8s.io", "Role").ok());
  // An empty whitelist allows no cluster-scoped kind at all, as in Argo CD.
  Project none;
  none.metadata.name = "none";
  EXPECT_FALSE(allows_cluster_resource(none, "", "Namespace").ok());
}

TEST(AllowsResources, Namespaced) {
  Project p = parse_ok(kTeamProject);
  EXPECT_TRUE(allows_namespaced_resource(p, "apps", "Deployment").ok());
  Status quota = allows_namespaced_resource(p, "", "ResourceQuota");
  EXPECT_TRUE(quota.is(Reason::kForbidden));
  EXPECT_EQ(quota.message(), "namespaced resource /ResourceQuota is not permitted in project \"team-a\"");
  EXPECT_FALSE(allows_namespaced_resource(p, "", "LimitRange").ok());
  p.spec.namespace_resource_whitelist = {{"apps", "*"}, {"", "ConfigMap"}};
  EXPECT_TRUE(allows_namespaced_resource(p, "apps", "StatefulSet").ok());
  EXPECT_TRUE(allows_namespaced_resource(p, "", "ConfigMap").ok());
  EXPECT_FALSE(allows_namespaced_resource(p, "", "Secret").ok());
}

}  // namespace
}  // namespace ferry::apis
