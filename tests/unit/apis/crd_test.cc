// The CRDs: names, scope, version, subresources and printer columns; a structural schema (every
// node typed or explicitly free-form) that declares every field Ferry writes, so an API server's
// pruning never drops one; and the checked-in YAML files equal to the functions.
// FERRY_UPDATE_CRDS=1 rewrites examples/deploy/crds/*.yaml from the functions instead of failing.
#include "apis/types/crd.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apis/types/application.h"
#include "apis/types/application_status.h"
#include "apis/types/project.h"
#include "apis/types/yaml_codec.h"
#include "tests/unit/apis/source_tree.h"

namespace ferry::apis {
namespace {

const Json& version_of(const Json& crd) { return crd["spec"]["versions"][0]; }
const Json& schema_of(const Json& crd) { return version_of(crd)["schema"]["openAPIV3Schema"]; }

bool free_form(const Json& node) {
  return node.value("x-kubernetes-preserve-unknown-fields", false) && node.value("type", "") == "object";
}

// Structural schema rules (apiextensions.k8s.io/v1): every node has a type; objects declare their
// properties or additionalProperties, or preserve unknown fields; arrays declare their items.
void check_structural(const Json& node, const std::string& path, std::vector<std::string>& problems) {
  if (!node.is_object() || !node.contains("type") || !node["type"].is_string()) {
    problems.push_back(path + ": no type");
    return;
  }
  const std::string type = node["type"];
  if (type == "object") {
    bool has_props = node.contains("properties");
    bool has_additional = node.contains("additionalProperties");
    if (path != "metadata" && !has_props && !has_additional && !free_form(node)) {
      problems.push_back(path + ": object without properties");
    }
    if (has_props) {
      for (auto it = node["properties"].begin(); it != node["properties"].end(); ++it) {
        check_structural(it.value(), path.empty() ? it.key() : path + "." + it.key(), problems);
      }
    }
    if (has_additional) check_structural(node["additionalProperties"], path + ".*", problems);
  } else if (type == "array") {
    if (!node.contains("items")) {
      problems.push_back(path + ": array without items");
    } else {
      check_structural(node["items"], path + "[]", problems);
    }
  } else if (type != "string" && type != "boolean" && type != "integer" && type != "number") {
    problems.push_back(path + ": unknown type " + type);
  }
}

// Every member of `value` must be declared by `schema` (or sit under a free-form node): what an
// API server would prune otherwise.
void check_declared(const Json& value, const Json& schema, const std::string& path,
                    std::vector<std::string>& undeclared) {
  if (free_form(schema)) return;
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string p = path.empty() ? it.key() : path + "." + it.key();
      if (schema.contains("properties") && schema["properties"].contains(it.key())) {
        check_declared(it.value(), schema["properties"][it.key()], p, undeclared);
      } else if (schema.contains("additionalProperties")) {
        check_declared(it.value(), schema["additionalProperties"], p, undeclared);
      } else if (path != "metadata") {
        undeclared.push_back(p);
      }
    }
  } else if (value.is_array() && schema.contains("items")) {
    for (const Json& item : value) check_declared(item, schema["items"], path + "[]", undeclared);
  }
}

const Json& node_at(const Json& schema, const std::vector<std::string>& path) {
  const Json* node = &schema;
  for (const std::string& key : path) {
    if (key == "[]") {
      node = &(*node)["items"];
    } else {
      node = &(*node)["properties"][key];
    }
  }
  return *node;
}

TEST(ApplicationCrd, NamesScopeAndVersion) {
  Json crd = application_crd();
  EXPECT_EQ(crd["apiVersion"], "apiextensions.k8s.io/v1");
  EXPECT_EQ(crd["kind"], "CustomResourceDefinition");
  EXPECT_EQ(crd["metadata"]["name"], "applications.ferry.dev");
  EXPECT_EQ(crd["spec"]["group"], "ferry.dev");
  EXPECT_EQ(crd["spec"]["scope"], "Namespaced");
  EXPECT_EQ(crd["spec"]["names"]["kind"], "Application");
  EXPECT_EQ(crd["spec"]["names"]["listKind"], "ApplicationList");
  EXPECT_EQ(crd["spec"]["names"]["plural"], "applications");
  EXPECT_EQ(crd["spec"]["names"]["singular"], "application");
  EXPECT_EQ(crd["spec"]["names"]["shortNames"], (Json{"app", "apps"}));
  ASSERT_EQ(crd["spec"]["versions"].size(), 1u);
  const Json& v = version_of(crd);
  EXPECT_EQ(v["name"], "v1alpha1");
  EXPECT_EQ(v["served"], true);
  EXPECT_EQ(v["storage"], true);
  EXPECT_EQ(v["subresources"], (Json{{"status", Json::object()}}));
}

TEST(ApplicationCrd, PrinterColumns) {
  const Json crd = application_crd();
  const Json& columns = version_of(crd)["additionalPrinterColumns"];
  ASSERT_EQ(columns.size(), 4u);
  // kubectl upper-cases the names: SYNC, HEALTH, REVISION, AGE.
  EXPECT_EQ(columns[0], (Json{{"name", "Sync"}, {"type", "string"}, {"jsonPath", ".status.sync.status"}}));
  EXPECT_EQ(columns[1], (Json{{"name", "Health"}, {"type", "string"}, {"jsonPath", ".status.health.status"}}));
  EXPECT_EQ(columns[2], (Json{{"name", "Revision"}, {"type", "string"}, {"jsonPath", ".status.sync.revision"}}));
  EXPECT_EQ(columns[3], (Json{{"name", "Age"}, {"type", "date"}, {"jsonPath", ".metadata.creationTimestamp"}}));
}

TEST(ApplicationCrd, StructuralWithFreeFormWhereArgoIs) {
  const Json crd = application_crd();
  const Json& schema = schema_of(crd);
  std::vector<std::string> problems;
  check_structural(schema, "", problems);
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  for (const std::vector<std::string>& path : std::vector<std::vector<std::string>>{
           {"spec", "source", "helm", "valuesObject"},
           {"spec", "source", "kustomize"},
           {"spec", "source", "plugin"},
           {"spec", "source", "directory", "jsonnet"},
           {"spec", "sources", "[]", "helm", "valuesObject"},
           {"operation"},
           {"status"}}) {
    EXPECT_TRUE(free_form(node_at(schema, path))) << ::testing::PrintToString(path);
  }
  // The rest of the spec is typed, not free-form.
  EXPECT_FALSE(free_form(node_at(schema, {"spec"})));
  EXPECT_FALSE(free_form(node_at(schema, {"spec", "source"})));
  EXPECT_FALSE(free_form(node_at(schema, {"spec", "source", "helm"})));
  EXPECT_EQ(node_at(schema, {"spec", "revisionHistoryLimit"})["type"], "integer");
  EXPECT_EQ(node_at(schema, {"spec", "syncPolicy", "automated", "prune"})["type"], "boolean");
  EXPECT_EQ(node_at(schema, {"spec", "syncPolicy", "syncOptions", "[]"})["type"], "string");
  EXPECT_EQ(node_at(schema, {"spec", "syncPolicy", "retry", "backoff", "factor"})["type"], "integer");
  EXPECT_EQ(node_at(schema, {"spec", "syncPolicy", "managedNamespaceMetadata", "labels"})["additionalProperties"],
            (Json{{"type", "string"}}));
}

TEST(ApplicationCrd, DeclaresEverythingFerryWrites) {
  // An app with every typed field set, as to_json writes it.
  Application app;
  app.metadata.name = "all";
  app.spec.project = "p";
  ApplicationSource& s = app.spec.source;
  s.repo_url = "https://x";
  s.target_revision = "main";
  s.path = "p";
  s.chart = "c";
  s.ref = "r";
  s.name = "n";
  s.directory = DirectorySource{true, "*.yaml", "x", Json{{"libs", {"a"}}}};
  s.helm = HelmSource{"rel", {"v.yaml"}, "a: 1", Json{{"x", {{"y", 1}}}}, {{"a", "b", true}}, {{"f", "g"}},
                      true, true, true, true, true, "v3", "ns", "1.29", {"v1"}};
  s.kustomize = KustomizeSource{};
  s.kustomize->name_prefix = "p-";
  s.kustomize->images = {"nginx:1"};
  s.kustomize->common_labels = {{"a", "b"}};
  s.kustomize->raw = Json{{"patches", Json::array({{{"patch", "x"}}})}};
  s.plugin = Json{{"name", "p"}};
  app.spec.sources = {s};
  app.spec.destination = {"https://x", "n", "ns"};
  app.spec.sync_policy.automated = AutomatedSync{true, true, true, true};
  app.spec.sync_policy.sync_options = {"CreateNamespace=true"};
  app.spec.sync_policy.retry = RetryStrategy{1, Backoff{"1s", 3, "1m"}};
  app.spec.sync_policy.managed_namespace_metadata = ManagedNamespaceMetadata{{{"a", "b"}}, {{"c", "d"}}};
  app.spec.ignore_differences = {{"g", "k", "n", "ns", {"/a"}, {".b"}, {"m"}}};
  app.spec.revision_history_limit = 3;
  app.spec.info = {{"a", "b"}};
  app.raw_operation = Json{{"sync", {{"revision", "x"}}}};
  Json object = to_json(app);
  object["status"] = to_json(ApplicationStatus{});
  std::vector<std::string> undeclared;
  check_declared(object, schema_of(application_crd()), "", undeclared);
  EXPECT_TRUE(undeclared.empty()) << ::testing::PrintToString(undeclared);
  // The check itself notices a field the schema lacks.
  object["spec"]["sourceHydrator"] = Json::object();
  check_declared(object, schema_of(application_crd()), "", undeclared);
  EXPECT_THAT(undeclared, ::testing::ElementsAre("spec.sourceHydrator"));
}

TEST(ProjectCrd, NamesAndSchema) {
  Json crd = project_crd();
  EXPECT_EQ(crd["metadata"]["name"], "appprojects.ferry.dev");
  EXPECT_EQ(crd["spec"]["scope"], "Namespaced");
  EXPECT_EQ(crd["spec"]["names"]["kind"], "AppProject");
  EXPECT_EQ(crd["spec"]["names"]["plural"], "appprojects");
  EXPECT_EQ(crd["spec"]["names"]["singular"], "appproject");
  EXPECT_EQ(crd["spec"]["names"]["shortNames"], (Json{"appproj", "appprojs"}));
  EXPECT_EQ(version_of(crd)["name"], "v1alpha1");
  EXPECT_EQ(version_of(crd)["storage"], true);
  std::vector<std::string> problems;
  check_structural(schema_of(crd), "", problems);
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);

  Project p = default_project();
  p.spec.namespace_resource_whitelist = {{"apps", "*"}};
  p.spec.namespace_resource_blacklist = {{"", "ResourceQuota"}};
  p.spec.cluster_resource_blacklist = {{"", "Node"}};
  p.metadata.labels = {{"a", "b"}};
  std::vector<std::string> undeclared;
  check_declared(to_json(p), schema_of(crd), "", undeclared);
  EXPECT_TRUE(undeclared.empty()) << ::testing::PrintToString(undeclared);
  EXPECT_EQ(crds().size(), 2u);
  EXPECT_EQ(crds()[0], application_crd());
}

// --- The checked-in manifests ----------------------------------------------------------------

struct CrdFile {
  const char* path;
  Json (*make)();
};

TEST(CrdFiles, EqualTheFunctions) {
  const bool update = std::getenv("FERRY_UPDATE_CRDS") != nullptr;
  for (const CrdFile& file : {CrdFile{"examples/deploy/crds/applications.ferry.dev.yaml", application_crd},
                              CrdFile{"examples/deploy/crds/appprojects.ferry.dev.yaml", project_crd}}) {
    const Json want = file.make();
    if (update) {
      std::ofstream out(testing_apis::source_root() / file.path, std::ios::binary | std::ios::trunc);
      out << "# Generated from apis/types/crd.cc by tests/unit/apis/crd_test.cc (FERRY_UPDATE_CRDS=1).\n"
          << "# Ferry registers this CRD itself when it is missing; apply it by hand to manage it yourself.\n"
          << yaml::to_yaml(want);
      ASSERT_TRUE(out.good()) << file.path;
    }
    const std::string text = testing_apis::read_source_file(file.path);
    ASSERT_FALSE(text.empty()) << file.path << " not found under " << testing_apis::source_root();
    auto docs = yaml::parse_stream(text, file.path);
    ASSERT_TRUE(docs.ok()) << docs.status().to_string();
    ASSERT_EQ(docs->size(), 1u) << file.path;
    EXPECT_EQ((*docs)[0].value, want) << file.path
                                      << " differs from the C++ definition; run the test with FERRY_UPDATE_CRDS=1";
  }
}

}  // namespace
}  // namespace ferry::apis
