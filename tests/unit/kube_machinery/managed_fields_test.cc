#include "kube/machinery/managed_fields.h"

#include <gtest/gtest.h>

#include "kube/machinery/fields_set.h"

#include <chrono>
#include <span>
#include <string>
#include <vector>

namespace ferry::kube {
namespace {

using json = nlohmann::json;

constexpr const char* kT0 = "2026-11-23T09:00:00Z";
constexpr const char* kT1 = "2026-11-23T09:01:00Z";
constexpr const char* kT2 = "2026-11-23T09:02:00Z";

ApplyRequest request(std::string_view manager, bool force = false, std::string_view now = kT0) {
  ApplyRequest r;
  r.group = "apps";
  r.kind = "Deployment";
  r.api_version = "apps/v1";
  r.manager = manager;
  r.force = force;
  r.now = now;
  return r;
}

json apply(const json& live, const json& config, const ApplyRequest& r) {
  auto result = server_side_apply(live, config, r);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? *result : json();
}

json apply(const json& live, const json& config, std::string_view manager, bool force = false) {
  return apply(live, config, request(manager, force));
}

Status apply_error(const json& live, const json& config, std::string_view manager) {
  auto result = server_side_apply(live, config, request(manager));
  EXPECT_FALSE(result.ok()) << result->dump();
  return result.status();
}

// The managedFields entry of (manager, operation), or null.
json entry(const json& object, std::string_view manager, std::string_view operation = "Apply") {
  for (const json& e : object["metadata"].value("managedFields", json::array())) {
    if (e["manager"] == manager && e["operation"] == operation) return e;
  }
  return nullptr;
}

json fields(const json& object, std::string_view manager, std::string_view operation = "Apply") {
  json e = entry(object, manager, operation);
  return e.is_null() ? json() : e["fieldsV1"];
}

json deployment(const json& spec) {
  json d = {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", "web"}, {"namespace", "default"}}}};
  if (!spec.is_null()) d["spec"] = spec;
  return d;
}

json containers(const json& object) { return object["spec"]["template"]["spec"]["containers"]; }

json without_managed_fields(json object) {
  object["metadata"].erase("managedFields");
  return object;
}

const json kConfig = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
  "spec": {"replicas": 2,
           "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "web", "image": "nginx:1"}]}}}
})"_json;

// ---------------------------------------------------------------------------------------------
// Server-side apply

TEST(ServerSideApplyTest, FirstApplyCreatesEntry) {
  json out = apply(nullptr, kConfig, "ferry");
  EXPECT_EQ(without_managed_fields(out), kConfig);
  json expected_entry = {{"manager", "ferry"},
                         {"operation", "Apply"},
                         {"apiVersion", "apps/v1"},
                         {"time", kT0},
                         {"fieldsType", "FieldsV1"},
                         {"fieldsV1", json::parse(R"({"f:metadata":{"f:labels":{"f:app":{}}},
          "f:spec":{"f:replicas":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},
          "f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}})")}};
  EXPECT_EQ(out["metadata"]["managedFields"], json::array({expected_entry}));
}

TEST(ServerSideApplyTest, FieldsV1SerialisationMatchesKubernetes) {
  json out = apply(nullptr, kConfig, "ferry");
  EXPECT_EQ(
      fields(out, "ferry").dump(),
      R"({"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:metadata":)"
      R"({"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},)"
      R"("f:name":{}}}}}}})");
}

TEST(ServerSideApplyTest, IdentityAndServerSetFieldsAreNotOwned) {
  json config = kConfig;
  config["metadata"]["uid"] = "u-1";
  config["metadata"]["resourceVersion"] = "7";
  config["metadata"]["generation"] = 3;
  config["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z";
  json out = apply(nullptr, config, "ferry");
  EXPECT_EQ(fields(out, "ferry")["f:metadata"], R"({"f:labels":{"f:app":{}}})"_json);
  EXPECT_FALSE(fields(out, "ferry").contains("f:apiVersion"));
  EXPECT_FALSE(fields(out, "ferry").contains("f:kind"));
  EXPECT_FALSE(out["metadata"].contains("uid"));
  EXPECT_FALSE(out["metadata"].contains("resourceVersion"));
  EXPECT_EQ(out["metadata"]["name"], "web");
  EXPECT_EQ(out["metadata"]["namespace"], "default");
  EXPECT_EQ(out["kind"], "Deployment");
}

TEST(ServerSideApplyTest, ReapplyIsANoOpAndKeepsTheTime) {
  json first = apply(nullptr, kConfig, "ferry");
  json second = apply(first, kConfig, request("ferry", false, kT1));
  EXPECT_EQ(second, first);
}

TEST(ServerSideApplyTest, ChangingApplyUpdatesTheTime) {
  json first = apply(nullptr, kConfig, "ferry");
  json config = kConfig;
  config["spec"]["replicas"] = 3;
  json second = apply(first, config, request("ferry", false, kT1));
  EXPECT_EQ(second["spec"]["replicas"], 3);
  EXPECT_EQ(entry(second, "ferry")["time"], kT1);
}

TEST(ServerSideApplyTest, ReapplyWithFieldRemovedDeletesIt) {
  json config = kConfig;
  config["metadata"]["labels"]["tier"] = "front";
  config["metadata"]["annotations"] = {{"note", "x"}};
  json live = apply(nullptr, config, "ferry");
  ASSERT_EQ(live["metadata"]["labels"]["tier"], "front");

  json next = kConfig;
  next["spec"].erase("replicas");
  json out = apply(live, next, "ferry");
  EXPECT_EQ(out["metadata"]["labels"], R"({"app":"web"})"_json);
  EXPECT_FALSE(out["spec"].contains("replicas"));
  // The annotations map emptied by pruning goes with its last key.
  EXPECT_FALSE(out["metadata"].contains("annotations"));
  EXPECT_FALSE(fields(out, "ferry")["f:spec"].contains("f:replicas"));
  EXPECT_FALSE(fields(out, "ferry")["f:metadata"]["f:labels"].contains("f:tier"));
}

TEST(ServerSideApplyTest, RemovedContainerIsDeleted) {
  json config = kConfig;
  config["spec"]["template"]["spec"]["containers"].push_back(
      {{"name", "sidecar"}, {"image", "envoy"}});
  json live = apply(nullptr, config, "ferry");
  ASSERT_EQ(containers(live).size(), 2u);
  json out = apply(live, kConfig, "ferry");
  EXPECT_EQ(containers(out), R"([{"name":"web","image":"nginx:1"}])"_json);
}

TEST(ServerSideApplyTest, UnappliedFieldsOfOthersAreKept) {
  json live = apply(nullptr, kConfig, "ferry");
  // Fields nobody applied (set by a controller through an update) are not the applier's to prune.
  json edited = live;
  edited["spec"]["paused"] = true;
  record_update(live, edited, request("controller"));
  json out = apply(edited, kConfig, "ferry");
  EXPECT_EQ(out["spec"]["paused"], true);
}

TEST(ServerSideApplyTest, SharedFieldWithSameValueIsNotAConflict) {
  json a = kConfig;
  json live = apply(nullptr, a, "alice");
  json b = deployment(R"({"replicas":2})"_json);
  b["metadata"]["labels"] = {{"team", "b"}};
  json out = apply(live, b, "bob");
  EXPECT_EQ(out["spec"]["replicas"], 2);
  EXPECT_TRUE(fields(out, "alice")["f:spec"].contains("f:replicas"));
  EXPECT_TRUE(fields(out, "bob")["f:spec"].contains("f:replicas"));

  // Bob stops applying replicas: Alice still owns it, so it stays, and Bob has let go of it.
  json b2 = deployment(nullptr);
  b2["metadata"]["labels"] = {{"team", "b"}};
  json after = apply(out, b2, "bob");
  EXPECT_EQ(after["spec"]["replicas"], 2);
  EXPECT_FALSE(fields(after, "bob").contains("f:spec"));
  EXPECT_TRUE(fields(after, "alice")["f:spec"].contains("f:replicas"));
  EXPECT_EQ(after["metadata"]["labels"]["team"], "b");
}

TEST(ServerSideApplyTest, ChangingASharedFieldConflicts) {
  json live = apply(nullptr, kConfig, "alice");
  live = apply(live, deployment(R"({"replicas":2})"_json), "bob");
  Status s = apply_error(live, deployment(R"({"replicas":5})"_json), "bob");
  EXPECT_TRUE(s.is(Reason::kConflict));
  EXPECT_EQ(s.message(), "Apply failed with 1 conflict: conflict with \"alice\": .spec.replicas");
}

TEST(ServerSideApplyTest, ConflictWithUpdateManager) {
  json live = apply(nullptr, kConfig, "ferry");
  json edited = live;
  edited["spec"]["replicas"] = 5;
  record_update(live, edited, request("kubectl-edit", false, kT1));
  ASSERT_TRUE(fields(edited, "kubectl-edit", "Update")["f:spec"].contains("f:replicas"));
  ASSERT_FALSE(fields(edited, "ferry")["f:spec"].contains("f:replicas"));

  auto result = server_side_apply(edited, kConfig, request("ferry"));
  ASSERT_FALSE(result.ok());
  const Status& s = result.status();
  EXPECT_TRUE(s.is(Reason::kConflict));
  EXPECT_EQ(reason_http_code(s.reason()), 409);
  EXPECT_EQ(
      s.message(),
      "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: .spec.replicas");
  ASSERT_EQ(s.causes().size(), 1u);
  EXPECT_EQ(s.causes()[0].reason, "FieldManagerConflict");
  EXPECT_EQ(s.causes()[0].message, "conflict with \"kubectl-edit\" using apps/v1");
  EXPECT_EQ(s.causes()[0].field, ".spec.replicas");

  // Applying the value the editor chose is agreement, not a conflict: both own it then.
  json agree = kConfig;
  agree["spec"]["replicas"] = 5;
  json shared = apply(edited, agree, "ferry");
  EXPECT_TRUE(fields(shared, "ferry")["f:spec"].contains("f:replicas"));
  EXPECT_TRUE(fields(shared, "kubectl-edit", "Update")["f:spec"].contains("f:replicas"));
}

TEST(ServerSideApplyTest, ForceTakesOwnership) {
  json live = apply(nullptr, kConfig, "ferry");
  json edited = live;
  edited["spec"]["replicas"] = 5;
  edited["metadata"]["labels"]["edited"] = "yes";
  record_update(live, edited, request("kubectl-edit", false, kT1));

  json out = apply(edited, kConfig, request("ferry", true, kT2));
  EXPECT_EQ(out["spec"]["replicas"], 2);
  EXPECT_TRUE(fields(out, "ferry")["f:spec"].contains("f:replicas"));
  // The editor keeps what was not contested.
  EXPECT_EQ(fields(out, "kubectl-edit", "Update"),
            R"({"f:metadata":{"f:labels":{"f:edited":{}}}})"_json);
  EXPECT_EQ(out["metadata"]["labels"]["edited"], "yes");
  EXPECT_EQ(entry(out, "ferry")["time"], kT2);
}

TEST(ServerSideApplyTest, ForceRemovesEmptiedEntries) {
  json live = apply(nullptr, kConfig, "ferry");
  json edited = live;
  edited["spec"]["replicas"] = 5;
  record_update(live, edited, request("kubectl-edit"));
  json out = apply(edited, kConfig, "ferry", /*force=*/true);
  EXPECT_TRUE(entry(out, "kubectl-edit", "Update").is_null());
  EXPECT_EQ(out["metadata"]["managedFields"].size(), 1u);
}

TEST(ServerSideApplyTest, ManyConflictsAreListedPerManager) {
  json live = apply(nullptr, kConfig, "alice");
  json edited = live;
  edited["spec"]["replicas"] = 5;
  edited["metadata"]["labels"]["app"] = "other";
  record_update(live, edited, request("kubectl-edit"));

  json config = kConfig;
  config["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2";
  Status s = apply_error(edited, config, "bob");
  EXPECT_TRUE(s.is(Reason::kConflict));
  EXPECT_EQ(s.message(),
            "Apply failed with 3 conflicts: conflicts with \"alice\":\n"
            "- .spec.template.spec.containers[name=\"web\"].image\n"
            "conflicts with \"kubectl-edit\" using apps/v1:\n"
            "- .metadata.labels.app\n"
            "- .spec.replicas");
  ASSERT_EQ(s.causes().size(), 3u);
  EXPECT_EQ(s.causes()[0].field, ".spec.template.spec.containers[name=\"web\"].image");
  EXPECT_EQ(s.causes()[0].message, "conflict with \"alice\"");
  EXPECT_EQ(s.causes()[2].field, ".spec.replicas");
  EXPECT_EQ(s.causes()[2].message, "conflict with \"kubectl-edit\" using apps/v1");
}

TEST(ServerSideApplyTest, ConflictsNameListItemsByKey) {
  json live = apply(nullptr, kConfig, "alice");
  json config =
      deployment(R"({"template":{"spec":{"containers":[{"name":"web","image":"nginx:9"}]}}})"_json);
  Status s = apply_error(live, config, "bob");
  ASSERT_EQ(s.causes().size(), 1u);
  EXPECT_EQ(s.causes()[0].field, ".spec.template.spec.containers[name=\"web\"].image");
}

TEST(ServerSideApplyTest, ContainersMergedByName) {
  json a = deployment(R"({"template":{"spec":{"containers":[{"name":"a","image":"a:1"}]}}})"_json);
  json b = deployment(R"({"template":{"spec":{"containers":[{"name":"b","image":"b:1"}]}}})"_json);
  json live = apply(nullptr, a, "applier-a");
  live = apply(live, b, "applier-b");
  EXPECT_EQ(containers(live), R"([{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}])"_json);
  EXPECT_EQ(fields(live, "applier-a")["f:spec"]["f:template"]["f:spec"]["f:containers"],
            R"({"k:{\"name\":\"a\"}":{".":{},"f:image":{},"f:name":{}}})"_json);
  EXPECT_EQ(fields(live, "applier-b")["f:spec"]["f:template"]["f:spec"]["f:containers"],
            R"({"k:{\"name\":\"b\"}":{".":{},"f:image":{},"f:name":{}}})"_json);

  // A updates its container without touching B's.
  json a2 = deployment(R"({"template":{"spec":{"containers":[{"name":"a","image":"a:2"}]}}})"_json);
  live = apply(live, a2, "applier-a");
  EXPECT_EQ(containers(live), R"([{"name":"a","image":"a:2"},{"name":"b","image":"b:1"}])"_json);

  // B drops its container: only B's goes.
  json b2 = deployment(R"({"replicas":1})"_json);
  live = apply(live, b2, "applier-b");
  EXPECT_EQ(containers(live), R"([{"name":"a","image":"a:2"}])"_json);
}

TEST(ServerSideApplyTest, DroppedItemGoesEvenWhenAnotherManagerOwnsPartOfIt) {
  json a = deployment(R"({"template":{"spec":{"containers":[{"name":"a","image":"a:1"}]}}})"_json);
  json live = apply(nullptr, a, "applier-a");
  json edited = live;
  edited["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Always";
  record_update(live, edited, request("kubectl-edit"));
  json out = apply(edited, deployment(R"({"replicas":1})"_json), "applier-a");
  // The editor owns a field of the item, not the item: the item goes, and the editor's
  // ownership with it.
  const json::json_pointer list("/spec/template/spec/containers");
  EXPECT_TRUE(!out.contains(list) || out[list].empty()) << out.dump();
  EXPECT_TRUE(entry(out, "kubectl-edit", "Update").is_null());
  EXPECT_EQ(out["spec"]["replicas"], 1);
}

TEST(ServerSideApplyTest, DroppedFieldStaysWhileAnotherManagerOwnsPartOfIt) {
  json a =
      deployment(R"({"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}})"_json);
  json live = apply(nullptr, a, "applier-a");
  json edited = live;
  edited["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] = 0;
  record_update(live, edited, request("kubectl-edit"));
  json out = apply(edited, deployment(R"({"replicas":1})"_json), "applier-a");
  EXPECT_EQ(out["spec"]["strategy"], R"({"rollingUpdate":{"maxUnavailable":0}})"_json);
}

TEST(ServerSideApplyTest, AppliedOrderWinsForSharedItems) {
  json live = deployment(
      R"({"template":{"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}}})"_json);
  json config = deployment(
      R"({"template":{"spec":{"containers":[{"name":"n"},{"name":"c"},{"name":"a"}]}}})"_json);
  json out = apply(live, config, "ferry");
  std::vector<std::string> names;
  for (const json& c : containers(out)) names.push_back(c["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"b", "n", "c", "a"}));
}

TEST(ServerSideApplyTest, AtomicListsAreReplacedAndOwnedWhole) {
  json config = deployment(R"({"template":{"spec":{"containers":[{"name":"a","args":["-x","-y"]}],
      "tolerations":[{"key":"k","operator":"Exists"}]}}})"_json);
  json live = apply(nullptr, config, "ferry");
  json f = fields(live, "ferry")["f:spec"]["f:template"]["f:spec"];
  EXPECT_EQ(f["f:containers"]["k:{\"name\":\"a\"}"]["f:args"], json::object());
  EXPECT_EQ(f["f:tolerations"], json::object());

  json next =
      deployment(R"({"template":{"spec":{"containers":[{"name":"a","args":["-z"]}]}}})"_json);
  json out = apply(live, next, "ferry");
  EXPECT_EQ(containers(out)[0]["args"], R"(["-z"])"_json);
  EXPECT_FALSE(out["spec"]["template"]["spec"].contains("tolerations"));
}

TEST(ServerSideApplyTest, FinalizersAreASetUnion) {
  json a = deployment(nullptr);
  a["metadata"]["finalizers"] = {"example.com/a"};
  json b = deployment(nullptr);
  b["metadata"]["finalizers"] = {"example.com/b"};
  json live = apply(nullptr, a, "applier-a");
  live = apply(live, b, "applier-b");
  EXPECT_EQ(live["metadata"]["finalizers"], R"(["example.com/a","example.com/b"])"_json);
  EXPECT_EQ(fields(live, "applier-a"),
            R"({"f:metadata":{"f:finalizers":{"v:\"example.com/a\"":{}}}})"_json);

  // A stops applying its finalizer: only A's goes.
  json a2 = deployment(nullptr);
  a2["metadata"]["labels"] = {{"x", "y"}};
  live = apply(live, a2, "applier-a");
  EXPECT_EQ(live["metadata"]["finalizers"], R"(["example.com/b"])"_json);

  // And B's last one: the emptied list goes too.
  json b2 = deployment(nullptr);
  b2["metadata"]["labels"] = {{"z", "y"}};
  live = apply(live, b2, "applier-b");
  EXPECT_FALSE(live["metadata"].contains("finalizers"));
}

TEST(ServerSideApplyTest, PortsKeyedWithDefaultedProtocol) {
  json config = deployment(
      R"({"template":{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80}]}]}}})"_json);
  json live = apply(nullptr, config, "ferry");
  json ports = fields(
      live,
      "ferry")["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"a\"}"]["f:ports"];
  EXPECT_TRUE(ports.contains("k:{\"containerPort\":80,\"protocol\":\"TCP\"}")) << ports.dump();

  // After defaulting, live carries protocol: the applied port still matches it.
  live["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] = "TCP";
  json again = apply(live, config, "ferry");
  EXPECT_EQ(again["spec"]["template"]["spec"]["containers"][0]["ports"],
            R"([{"containerPort":80,"protocol":"TCP"}])"_json);
}

TEST(ServerSideApplyTest, ServicePortsKeyedByPortAndProtocol) {
  ApplyRequest r = request("ferry");
  r.group = "";
  r.kind = "Service";
  r.api_version = "v1";
  json svc = R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},
                 "spec":{"ports":[{"port":53,"protocol":"UDP"},{"port":53,"protocol":"TCP"}]}})"_json;
  json out = apply(nullptr, svc, r);
  json f = fields(out, "ferry")["f:spec"]["f:ports"];
  EXPECT_TRUE(f.contains("k:{\"port\":53,\"protocol\":\"UDP\"}"));
  EXPECT_TRUE(f.contains("k:{\"port\":53,\"protocol\":\"TCP\"}"));
}

TEST(ServerSideApplyTest, MissingOrDuplicateKeysAreInvalid) {
  Status missing = apply_error(
      nullptr, deployment(R"({"template":{"spec":{"containers":[{"image":"x"}]}}})"_json), "ferry");
  EXPECT_TRUE(missing.is(Reason::kInvalid));
  EXPECT_NE(missing.message().find("omits key field \"name\""), std::string::npos)
      << missing.message();

  Status duplicate = apply_error(
      nullptr,
      deployment(R"({"template":{"spec":{"containers":[{"name":"a"},{"name":"a"}]}}})"_json),
      "ferry");
  EXPECT_TRUE(duplicate.is(Reason::kInvalid));
  EXPECT_NE(duplicate.message().find("duplicate entries for key [name=\"a\"]"), std::string::npos)
      << duplicate.message();
}

TEST(ServerSideApplyTest, ManagedFieldsInTheConfigurationAreRejected) {
  json config = kConfig;
  config["metadata"]["managedFields"] = json::array();
  EXPECT_TRUE(apply_error(nullptr, config, "ferry").is(Reason::kBadRequest));
}

TEST(ServerSideApplyTest, FieldManagerIsRequired) {
  auto result = server_side_apply(nullptr, kConfig, request(""));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kBadRequest));
}

TEST(ServerSideApplyTest, NullRemovesAField) {
  json live = apply(nullptr, kConfig, "ferry");
  json config = kConfig;
  config["spec"]["replicas"] = nullptr;
  json out = apply(live, config, "ferry");
  EXPECT_FALSE(out["spec"].contains("replicas"));
  EXPECT_FALSE(fields(out, "ferry")["f:spec"].contains("f:replicas"));
}

TEST(ServerSideApplyTest, StatusSubresourceOwnsOnlyStatus) {
  json live = apply(nullptr, kConfig, "ferry");
  ApplyRequest r = request("controller");
  r.subresource = "status";
  json config = kConfig;
  config["spec"]["replicas"] = 9;
  config["status"] =
      R"({"readyReplicas":2,"conditions":[{"type":"Available","status":"True"}]})"_json;
  json out = apply(live, config, r);
  EXPECT_EQ(out["spec"]["replicas"], 2);
  EXPECT_EQ(out["status"]["readyReplicas"], 2);
  json e = entry(out, "controller");
  EXPECT_EQ(e["subresource"], "status");
  EXPECT_EQ(e["fieldsV1"], R"({"f:status":{"f:conditions":{"k:{\"type\":\"Available\"}":{".":{},
      "f:status":{},"f:type":{}}},"f:readyReplicas":{}}})"_json);
  EXPECT_FALSE(entry(out, "ferry").contains("subresource"));
}

TEST(ServerSideApplyTest, SubresourceManagersAreNamedWithTheirSubresource) {
  json live = apply(nullptr, kConfig, "ferry");
  json with_status = live;
  with_status["status"] = R"({"replicas":2})"_json;
  ApplyRequest kcm = request("kube-controller-manager");
  kcm.subresource = "status";
  record_update(live, with_status, kcm);

  ApplyRequest other = request("other");
  other.subresource = "status";
  json config = deployment(nullptr);
  config["status"] = R"({"replicas":3})"_json;
  auto result = server_side_apply(with_status, config, other);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "Apply failed with 1 conflict: conflict with \"kube-controller-manager\" with subresource \"status\" "
            "using apps/v1: .status.replicas");
}

TEST(ServerSideApplyTest, ConflictOnSetItemsAndNewItems) {
  json live = deployment(nullptr);
  live["metadata"]["finalizers"] = {"a"};
  record_update(nullptr, live, request("creator"));
  // Applying the same finalizer is agreement.
  json same = deployment(nullptr);
  same["metadata"]["finalizers"] = {"a"};
  json out = apply(live, same, "ferry");
  EXPECT_EQ(fields(out, "ferry"), R"({"f:metadata":{"f:finalizers":{"v:\"a\"":{}}}})"_json);
  EXPECT_TRUE(fields(out, "creator", "Update")["f:metadata"]["f:finalizers"].contains("v:\"a\""));
}

TEST(ServerSideApplyTest, DoesNotModifyItsInputs) {
  json live = apply(nullptr, kConfig, "alice");
  const json live_copy = live;
  const json config = deployment(R"({"replicas":7})"_json);
  apply(live, config, "bob", true);
  EXPECT_EQ(live, live_copy);
  EXPECT_EQ(config, deployment(R"({"replicas":7})"_json));
}

TEST(ServerSideApplyTest, EntriesAreOrderedApplyFirst) {
  json live = deployment(R"({"replicas":1,"paused":false})"_json);
  record_update(nullptr, live, request("creator"));
  live = apply(live, kConfig, "ferry", true);
  ASSERT_EQ(live["metadata"]["managedFields"].size(), 2u);
  EXPECT_EQ(live["metadata"]["managedFields"][0]["operation"], "Apply");
  EXPECT_EQ(live["metadata"]["managedFields"][1]["operation"], "Update");
}

// Apply throughput is measured by bench/run (10-sim-capacity), not asserted here.


// ---------------------------------------------------------------------------------------------
// Updates

TEST(ManagedFieldsTest, CreateAttributesEveryField) {
  json obj = kConfig;
  record_update(nullptr, obj, request("kubectl-create"));
  json e = entry(obj, "kubectl-create", "Update");
  ASSERT_FALSE(e.is_null());
  EXPECT_EQ(e["apiVersion"], "apps/v1");
  EXPECT_EQ(e["time"], kT0);
  EXPECT_EQ(e["fieldsType"], "FieldsV1");
  // Maps and list items an update creates are owned themselves ("."); structs are not.
  EXPECT_EQ(e["fieldsV1"], json::parse(R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},
      "f:spec":{"f:replicas":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},
      "f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}})"));
  EXPECT_EQ(without_managed_fields(obj), kConfig);
}

TEST(ManagedFieldsTest, RecordUpdateAttributesChangedFields) {
  json live = kConfig;
  record_update(nullptr, live, request("kubectl-create"));
  json edited = live;
  edited["spec"]["replicas"] = 4;
  edited["metadata"]["labels"]["env"] = "prod";
  record_update(live, edited, request("kubectl-edit", false, kT1));

  EXPECT_EQ(fields(edited, "kubectl-edit", "Update"),
            R"({"f:metadata":{"f:labels":{"f:env":{}}},"f:spec":{"f:replicas":{}}})"_json);
  json creator = fields(edited, "kubectl-create", "Update");
  EXPECT_FALSE(creator["f:spec"].contains("f:replicas"));
  EXPECT_TRUE(creator["f:metadata"]["f:labels"].contains("f:app"));
  EXPECT_EQ(entry(edited, "kubectl-create", "Update")["time"], kT0);
  EXPECT_EQ(entry(edited, "kubectl-edit", "Update")["time"], kT1);
}

TEST(ManagedFieldsTest, UpdatesAccumulateForOneManager) {
  json live = kConfig;
  record_update(nullptr, live, request("creator"));
  json a = live;
  a["spec"]["replicas"] = 4;
  record_update(live, a, request("editor"));
  json b = a;
  b["metadata"]["labels"]["x"] = "y";
  record_update(a, b, request("editor"));
  EXPECT_EQ(fields(b, "editor", "Update"),
            R"({"f:metadata":{"f:labels":{"f:x":{}}},"f:spec":{"f:replicas":{}}})"_json);
}

TEST(ManagedFieldsTest, UnchangedUpdateRecordsNothing) {
  json live = kConfig;
  record_update(nullptr, live, request("creator"));
  json same = live;
  record_update(live, same, request("editor", false, kT1));
  EXPECT_EQ(same, live);
  EXPECT_TRUE(entry(same, "editor", "Update").is_null());
}

TEST(ManagedFieldsTest, RemovedFieldsLeaveEveryOwner) {
  json config = kConfig;
  config["metadata"]["labels"]["tier"] = "front";
  json live = apply(nullptr, config, "ferry");
  json edited = live;
  edited["metadata"]["labels"].erase("tier");
  edited["spec"]["template"]["spec"].erase("containers");
  record_update(live, edited, request("kubectl-edit"));
  json f = fields(edited, "ferry");
  EXPECT_FALSE(f["f:metadata"]["f:labels"].contains("f:tier"));
  EXPECT_FALSE(f["f:spec"]["f:template"].contains("f:spec"));
  // Removing is not owning anything.
  EXPECT_TRUE(entry(edited, "kubectl-edit", "Update").is_null());
}

TEST(ManagedFieldsTest, ChangedListItemFieldMovesOwnership) {
  json live = apply(nullptr, kConfig, "ferry");
  json edited = live;
  edited["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2";
  record_update(live, edited, request("kubectl-set-image"));
  EXPECT_EQ(
      fields(edited, "kubectl-set-image", "Update"),
      R"({"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:image":{}}}}}}})"_json);
  json c = fields(
      edited, "ferry")["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"];
  EXPECT_FALSE(c.contains("f:image"));
  EXPECT_TRUE(c.contains("f:name"));
}

TEST(ManagedFieldsTest, StatusUpdateOwnsOnlyStatus) {
  json live = kConfig;
  record_update(nullptr, live, request("creator"));
  json updated = live;
  updated["status"] = R"({"replicas":2})"_json;
  updated["spec"]["replicas"] = 7;  // the caller would reset this; it is not attributed here
  ApplyRequest r = request("kube-controller-manager", false, kT1);
  r.subresource = "status";
  record_update(live, updated, r);
  json e = entry(updated, "kube-controller-manager", "Update");
  EXPECT_EQ(e["subresource"], "status");
  EXPECT_EQ(e["fieldsV1"], R"({"f:status":{"f:replicas":{}}})"_json);
}

TEST(ManagedFieldsTest, ExplicitlyEmptiedManagedFieldsReset) {
  json live = kConfig;
  record_update(nullptr, live, request("creator"));
  json updated = live;
  updated["metadata"]["managedFields"] = json::array();
  updated["spec"]["replicas"] = 3;
  record_update(live, updated, request("editor"));
  ASSERT_EQ(updated["metadata"]["managedFields"].size(), 1u);
  EXPECT_EQ(updated["metadata"]["managedFields"][0]["manager"], "editor");
}

TEST(ManagedFieldsTest, AddedListItemsOwnEverythingInside) {
  json live = kConfig;
  record_update(nullptr, live, request("creator"));
  json edited = live;
  edited["spec"]["template"]["spec"]["containers"].push_back(
      R"({"name":"sidecar","image":"envoy","resources":{"limits":{"cpu":"1"}}})"_json);
  record_update(live, edited, request("editor"));
  EXPECT_EQ(fields(edited, "editor", "Update"),
            R"({"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"sidecar\"}":{".":{},
                "f:image":{},"f:name":{},"f:resources":{".":{},"f:limits":{".":{},"f:cpu":{}}}}}}}}})"_json);
}

TEST(ManagedFieldsTest, SetItemsAddedAndRemoved) {
  json live = deployment(nullptr);
  live["metadata"]["finalizers"] = {"a", "b"};
  record_update(nullptr, live, request("creator"));
  EXPECT_EQ(fields(live, "creator", "Update"),
            R"({"f:metadata":{"f:finalizers":{".":{},"v:\"a\"":{},"v:\"b\"":{}}}})"_json);
  json edited = live;
  edited["metadata"]["finalizers"] = {"b", "c"};
  record_update(live, edited, request("editor"));
  EXPECT_EQ(fields(edited, "creator", "Update"), R"({"f:metadata":{"f:finalizers":{".":{},"v:\"b\"":{}}}})"_json);
  EXPECT_EQ(fields(edited, "editor", "Update"), R"({"f:metadata":{"f:finalizers":{"v:\"c\"":{}}}})"_json);
}

TEST(ManagedFieldsTest, AtomicListChangeIsOneField) {
  json live = apply(nullptr, deployment(R"({"template":{"spec":{"containers":[{"name":"a","args":["x"]}]}}})"_json),
                    "ferry");
  json edited = live;
  edited["spec"]["template"]["spec"]["containers"][0]["args"] = {"y", "z"};
  record_update(live, edited, request("editor"));
  EXPECT_EQ(fields(edited, "editor", "Update"),
            R"({"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{"f:args":{}}}}}}})"_json);
}

TEST(ManagedFieldsTest, ConfigMapDataOnCreate) {
  ApplyRequest r = request("kubectl-create");
  r.group = "";
  r.kind = "ConfigMap";
  r.api_version = "v1";
  json cm =
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}})"_json;
  record_update(nullptr, cm, r);
  EXPECT_EQ(fields(cm, "kubectl-create", "Update"), R"({"f:data":{".":{},"f:k":{}}})"_json);
  EXPECT_EQ(entry(cm, "kubectl-create", "Update")["apiVersion"], "v1");
}

// ---------------------------------------------------------------------------------------------
// FieldSet, the fieldsV1 tree

TEST(ManagedFieldsSetTest, FieldsV1RoundTrip) {
  json v1 = R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},
                "f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:image":{}}},"f:replicas":{}}})"_json;
  EXPECT_EQ(FieldSet::from_fields_v1(v1).to_fields_v1(), v1);
  EXPECT_EQ(FieldSet::from_fields_v1(json::object()).to_fields_v1(), json::object());
  EXPECT_TRUE(FieldSet::from_fields_v1(R"("garbage")"_json).empty());
}

TEST(ManagedFieldsSetTest, SetAlgebra) {
  FieldSet a = FieldSet::from_fields_v1(R"({"f:spec":{"f:replicas":{},"f:paused":{}},"f:data":{"f:k":{}}})"_json);
  FieldSet b = FieldSet::from_fields_v1(R"({"f:spec":{"f:replicas":{}},"f:data":{".":{}}})"_json);
  FieldSet diff = a;
  diff.subtract(b);
  EXPECT_EQ(diff.to_fields_v1(), R"({"f:spec":{"f:paused":{}},"f:data":{"f:k":{}}})"_json);
  FieldSet pruned = a;
  pruned.subtract_subtrees(b);
  EXPECT_EQ(pruned.to_fields_v1(), R"({"f:spec":{"f:paused":{}}})"_json);
  FieldSet both = diff;
  both.unite(b);
  EXPECT_EQ(both.to_fields_v1(), R"({"f:spec":{"f:paused":{},"f:replicas":{}},"f:data":{".":{},"f:k":{}}})"_json);
  EXPECT_EQ(both.member_count(), 4u);

  std::vector<std::string> path{"f:spec", "f:paused"};
  both.remove_path(path);
  EXPECT_EQ(both.find_path(path), nullptr);
  both.insert_path(path);
  ASSERT_NE(both.find_path(path), nullptr);
  EXPECT_TRUE(both.find_path(path)->member());
}

TEST(ManagedFieldsSetTest, MembersInKubernetesOrder) {
  FieldSet set = FieldSet::from_fields_v1(R"({"f:spec":{"f:b":{},"f:a":{"f:x":{}}},"f:kind":{}})"_json);
  std::vector<std::string> seen;
  set.for_each_member([&](const std::vector<std::string_view>& path) {
    seen.push_back(path_to_string(std::span<const std::string_view>(path)));
  });
  EXPECT_EQ(seen, (std::vector<std::string>{".kind", ".spec.b", ".spec.a.x"}));
}

TEST(ManagedFieldsSetTest, ElementSpelling) {
  EXPECT_EQ(field_element("image"), "f:image");
  EXPECT_EQ(key_element(R"({"protocol":"TCP","containerPort":80})"_json), R"(k:{"containerPort":80,"protocol":"TCP"})");
  EXPECT_EQ(value_element("a/b"), R"(v:"a/b")");
  EXPECT_EQ(index_element(3), "i:3");
  EXPECT_EQ(element_to_string(R"(k:{"containerPort":80,"protocol":"TCP"})"), R"([containerPort=80,protocol="TCP"])");
  EXPECT_EQ(element_to_string(R"(v:"x")"), R"([="x"])");
  EXPECT_EQ(element_to_string("i:2"), "[2]");
  EXPECT_EQ(element_to_string("f:spec"), ".spec");
}

}  // namespace
}  // namespace ferry::kube
