#include "kube/machinery/patch.h"

#include <gtest/gtest.h>

namespace ferry::kube {
namespace {

using json = nlohmann::json;

json merge(const json& target, const json& patch) {
  auto result = apply_merge_patch(target, patch);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? *result : json();
}

json json_patch(const json& target, const json& patch) {
  auto result = apply_json_patch(target, patch);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? *result : json();
}

Status json_patch_error(const json& target, const json& patch) {
  auto result = apply_json_patch(target, patch);
  EXPECT_FALSE(result.ok()) << result->dump();
  return result.status();
}

json smp(const json& target, const json& patch, std::string_view group = "apps",
         std::string_view kind = "Deployment") {
  auto result = apply_strategic_merge_patch(target, patch, group, kind);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? *result : json();
}

// ---------------------------------------------------------------------------------------------
// RFC 7386

TEST(PatchMergeTest, Rfc7386Examples) {
  // The table of RFC 7386 appendix A, for the cases whose patch is an object.
  struct Case {
    const char* target;
    const char* patch;
    const char* result;
  } cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(merge(json::parse(c.target), json::parse(c.patch)), json::parse(c.result)) << c.patch;
  }
}

TEST(PatchMergeTest, ListsReplaceWhole) {
  json live =
      R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b"}]}}}})"_json;
  json out = merge(
      live, R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"y"}]}}}})"_json);
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"], R"([{"name":"a","image":"y"}])"_json);
}

TEST(PatchMergeTest, NonObjectPatchIsBadRequest) {
  auto result = apply_merge_patch(R"({"a":1})"_json, R"([1])"_json);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kBadRequest));
}

TEST(PatchMergeTest, TargetIsNotModified) {
  const json live = R"({"a":{"b":1}})"_json;
  merge(live, R"({"a":{"b":2}})"_json);
  EXPECT_EQ(live, R"({"a":{"b":1}})"_json);
}

// ---------------------------------------------------------------------------------------------
// RFC 6902

TEST(PatchJsonTest, AddReplaceRemove) {
  json doc = R"({"metadata":{"labels":{"a":"1"}},"spec":{"replicas":1}})"_json;
  json out = json_patch(doc, R"([
    {"op":"add","path":"/metadata/labels/b","value":"2"},
    {"op":"replace","path":"/spec/replicas","value":3},
    {"op":"remove","path":"/metadata/labels/a"}
  ])"_json);
  EXPECT_EQ(out, R"({"metadata":{"labels":{"b":"2"}},"spec":{"replicas":3}})"_json);
}

TEST(PatchJsonTest, AddReplacesExistingMember) {
  EXPECT_EQ(json_patch(R"({"a":1})"_json, R"([{"op":"add","path":"/a","value":2}])"_json),
            R"({"a":2})"_json);
}

TEST(PatchJsonTest, ArrayInsertAppendAndRemove) {
  json doc = R"({"l":["a","c"]})"_json;
  EXPECT_EQ(json_patch(doc, R"([{"op":"add","path":"/l/1","value":"b"}])"_json),
            R"({"l":["a","b","c"]})"_json);
  EXPECT_EQ(json_patch(doc, R"([{"op":"add","path":"/l/-","value":"d"}])"_json),
            R"({"l":["a","c","d"]})"_json);
  EXPECT_EQ(json_patch(doc, R"([{"op":"add","path":"/l/2","value":"d"}])"_json),
            R"({"l":["a","c","d"]})"_json);
  EXPECT_EQ(json_patch(doc, R"([{"op":"remove","path":"/l/0"}])"_json), R"({"l":["c"]})"_json);
  EXPECT_EQ(json_patch(doc, R"([{"op":"replace","path":"/l/1","value":"z"}])"_json),
            R"({"l":["a","z"]})"_json);
}

TEST(PatchJsonTest, PointerEscaping) {
  json doc = R"({"metadata":{"annotations":{"ferry.dev/refresh":"hard","a~b":"x"}}})"_json;
  json out = json_patch(doc, R"([
    {"op":"remove","path":"/metadata/annotations/ferry.dev~1refresh"},
    {"op":"replace","path":"/metadata/annotations/a~0b","value":"y"},
    {"op":"add","path":"/metadata/annotations/c~01","value":"z"}
  ])"_json);
  EXPECT_EQ(out, R"({"metadata":{"annotations":{"a~b":"y","c~1":"z"}}})"_json);
}

TEST(PatchJsonTest, MoveAndCopy) {
  json doc = R"({"a":{"x":1},"b":{}})"_json;
  EXPECT_EQ(json_patch(doc, R"([{"op":"move","from":"/a/x","path":"/b/y"}])"_json),
            R"({"a":{},"b":{"y":1}})"_json);
  EXPECT_EQ(json_patch(doc, R"([{"op":"copy","from":"/a","path":"/b/c"}])"_json),
            R"({"a":{"x":1},"b":{"c":{"x":1}}})"_json);
  EXPECT_EQ(
      json_patch(R"({"l":[1,2,3]})"_json, R"([{"op":"move","from":"/l/0","path":"/l/-"}])"_json),
      R"({"l":[2,3,1]})"_json);
}

TEST(PatchJsonTest, TestOperation) {
  json doc = R"({"spec":{"replicas":2,"x":null}})"_json;
  EXPECT_EQ(json_patch(doc, R"([{"op":"test","path":"/spec/replicas","value":2},
                                {"op":"replace","path":"/spec/replicas","value":3}])"_json)
                ["spec"]["replicas"],
            3);
  Status s = json_patch_error(doc, R"([{"op":"test","path":"/spec/replicas","value":5}])"_json);
  EXPECT_TRUE(s.is(Reason::kInvalid));
  EXPECT_EQ(s.message(), "testing value /spec/replicas failed: test failed");
}

TEST(PatchJsonTest, WholeDocument) {
  EXPECT_EQ(json_patch(R"({"a":1})"_json, R"([{"op":"replace","path":"","value":{"b":2}}])"_json),
            R"({"b":2})"_json);
}

TEST(PatchJsonTest, OperationsApplyInOrderAndAtomically) {
  json doc = R"({"a":1})"_json;
  Status s = json_patch_error(
      doc, R"([{"op":"add","path":"/b","value":2},{"op":"remove","path":"/zzz"}])"_json);
  EXPECT_TRUE(s.is(Reason::kInvalid));
  EXPECT_EQ(doc, R"({"a":1})"_json);
}

TEST(PatchJsonTest, ErrorMessages) {
  json doc = R"({"metadata":{"labels":{}},"l":[1]})"_json;
  EXPECT_EQ(
      json_patch_error(doc, R"([{"op":"remove","path":"/metadata/labels/x"}])"_json).message(),
      "remove operation does not apply: doc is missing path: \"/metadata/labels/x\": missing "
      "value");
  EXPECT_EQ(json_patch_error(doc, R"([{"op":"add","path":"/spec/x","value":1}])"_json).message(),
            "add operation does not apply: doc is missing path: \"/spec/x\": missing value");
  EXPECT_EQ(
      json_patch_error(doc, R"([{"op":"replace","path":"/metadata/x","value":1}])"_json).message(),
      "replace operation does not apply: doc is missing key: /metadata/x: missing value");
  EXPECT_EQ(json_patch_error(doc, R"([{"op":"replace","path":"/a/b","value":1}])"_json).message(),
            "replace operation does not apply: doc is missing path: /a/b: missing value");
  EXPECT_EQ(json_patch_error(doc, R"([{"op":"move","from":"/nope","path":"/x"}])"_json).message(),
            "move operation does not apply: doc is missing from path: /nope: missing value");
  EXPECT_EQ(json_patch_error(doc, R"([{"op":"copy","from":"/nope","path":"/x"}])"_json).message(),
            "copy operation does not apply: doc is missing from path: /nope: missing value");
  EXPECT_EQ(json_patch_error(doc, R"([{"op":"frob","path":"/x"}])"_json).message(),
            "Unexpected kind: frob");
  EXPECT_TRUE(
      json_patch_error(doc, R"([{"op":"add","path":"/l/5","value":1}])"_json).is(Reason::kInvalid));
  EXPECT_TRUE(json_patch_error(doc, R"([{"op":"add","path":"/l/01","value":1}])"_json)
                  .is(Reason::kInvalid));
  EXPECT_TRUE(
      json_patch_error(doc, R"([{"op":"remove","path":"/l/1"}])"_json).is(Reason::kInvalid));
  EXPECT_TRUE(
      json_patch_error(doc, R"([{"op":"add","path":"x","value":1}])"_json).is(Reason::kInvalid));
  EXPECT_TRUE(
      json_patch_error(doc, R"([{"op":"add","path":"/a~2","value":1}])"_json).is(Reason::kInvalid));
  EXPECT_TRUE(
      json_patch_error(doc, R"([{"op":"move","from":"/metadata","path":"/metadata/x"}])"_json)
          .is(Reason::kInvalid));
}

TEST(PatchJsonTest, MalformedPatchIsBadRequest) {
  EXPECT_TRUE(json_patch_error(R"({})"_json, R"({"op":"add"})"_json).is(Reason::kBadRequest));
  EXPECT_TRUE(json_patch_error(R"({})"_json, R"([1])"_json).is(Reason::kBadRequest));
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch

const json kDeployment = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}, "finalizers": ["a"]},
  "spec": {
    "replicas": 2,
    "template": {"spec": {
      "containers": [
        {"name": "web", "image": "nginx:1", "args": ["-a", "-b"],
         "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
         "ports": [{"containerPort": 80, "protocol": "TCP"}]},
        {"name": "sidecar", "image": "envoy:1"}
      ],
      "tolerations": [{"key": "a"}, {"key": "b"}],
      "volumes": [{"name": "data", "emptyDir": {}}]
    }}
  }
})"_json;

const json& containers(const json& deployment) {
  return deployment["spec"]["template"]["spec"]["containers"];
}

TEST(PatchStrategicTest, MapsMergeAndNullDeletes) {
  json out = smp(kDeployment,
                 R"({"metadata":{"labels":{"tier":null,"new":"x"}},"spec":{"replicas":3}})"_json);
  EXPECT_EQ(out["metadata"]["labels"], R"({"app":"web","new":"x"})"_json);
  EXPECT_EQ(out["spec"]["replicas"], 3);
  EXPECT_EQ(containers(out), containers(kDeployment));
}

TEST(PatchStrategicTest, ContainersMergeByName) {
  json out = smp(
      kDeployment,
      R"({"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}})"_json);
  ASSERT_EQ(containers(out).size(), 2u);
  EXPECT_EQ(containers(out)[0]["image"], "nginx:2");
  EXPECT_EQ(containers(out)[0]["args"], R"(["-a","-b"])"_json);
  EXPECT_EQ(containers(out)[1]["image"], "envoy:1");
}

TEST(PatchStrategicTest, NewItemsAreAppended) {
  json out = smp(
      kDeployment,
      R"({"spec":{"template":{"spec":{"containers":[{"name":"new","image":"busybox"}]}}}})"_json);
  ASSERT_EQ(containers(out).size(), 3u);
  EXPECT_EQ(containers(out)[2], R"({"name":"new","image":"busybox"})"_json);
}

TEST(PatchStrategicTest, NestedMapListsMerge) {
  json out = smp(kDeployment, R"({"spec":{"template":{"spec":{"containers":[
      {"name":"web","env":[{"name":"B","value":"two"},{"name":"C","value":"3"}],
       "ports":[{"containerPort":443}]}]}}}})"_json);
  EXPECT_EQ(
      containers(out)[0]["env"],
      R"([{"name":"A","value":"1"},{"name":"B","value":"two"},{"name":"C","value":"3"}])"_json);
  // Strategic merge keys container ports by containerPort alone.
  EXPECT_EQ(containers(out)[0]["ports"],
            R"([{"containerPort":80,"protocol":"TCP"},{"containerPort":443}])"_json);
}

TEST(PatchStrategicTest, AtomicListsReplace) {
  json out = smp(kDeployment, R"({"spec":{"template":{"spec":{"tolerations":[{"key":"c"}],
      "containers":[{"name":"web","args":["-c"]}]}}}})"_json);
  EXPECT_EQ(out["spec"]["template"]["spec"]["tolerations"], R"([{"key":"c"}])"_json);
  EXPECT_EQ(containers(out)[0]["args"], R"(["-c"])"_json);
}

TEST(PatchStrategicTest, SetListsUnion) {
  json out = smp(kDeployment, R"({"metadata":{"finalizers":["b","a"]}})"_json);
  EXPECT_EQ(out["metadata"]["finalizers"], R"(["a","b"])"_json);
}

TEST(PatchStrategicTest, DeleteListItemDirective) {
  json out = smp(
      kDeployment,
      R"({"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}})"_json);
  ASSERT_EQ(containers(out).size(), 1u);
  EXPECT_EQ(containers(out)[0]["name"], "web");
}

TEST(PatchStrategicTest, ReplaceListDirective) {
  json out = smp(kDeployment, R"({"spec":{"template":{"spec":{"containers":[
      {"$patch":"replace"},{"name":"only","image":"x"}]}}}})"_json);
  EXPECT_EQ(containers(out), R"([{"name":"only","image":"x"}])"_json);
}

TEST(PatchStrategicTest, ReplaceMapDirective) {
  json out = smp(kDeployment, R"({"metadata":{"labels":{"$patch":"replace","only":"x"}}})"_json);
  EXPECT_EQ(out["metadata"]["labels"], R"({"only":"x"})"_json);
}

TEST(PatchStrategicTest, ReplaceListItemDirective) {
  json out = smp(kDeployment, R"({"spec":{"template":{"spec":{"containers":[
      {"name":"web","image":"nginx:3","$patch":"replace"}]}}}})"_json);
  EXPECT_EQ(containers(out)[0], R"({"name":"web","image":"nginx:3"})"_json);
  EXPECT_EQ(containers(out)[1]["name"], "sidecar");
}

TEST(PatchStrategicTest, DeleteMapDirective) {
  json out = smp(kDeployment, R"({"metadata":{"labels":{"$patch":"delete"}}})"_json);
  EXPECT_EQ(out["metadata"]["labels"], json::object());
}

TEST(PatchStrategicTest, MergeDirectiveIsTheDefault) {
  json out = smp(kDeployment, R"({"metadata":{"labels":{"$patch":"merge","x":"y"}}})"_json);
  EXPECT_EQ(out["metadata"]["labels"], R"({"app":"web","tier":"front","x":"y"})"_json);
}

TEST(PatchStrategicTest, RetainKeys) {
  json live =
      R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})"_json;
  json out = smp(live, R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})"_json);
  EXPECT_EQ(out["spec"]["strategy"], R"({"type":"Recreate"})"_json);

  auto bad = apply_strategic_merge_patch(
      live, R"({"spec":{"strategy":{"$retainKeys":["type"],"other":1}}})"_json, "apps",
      "Deployment");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().is(Reason::kInvalid));
}

TEST(PatchStrategicTest, DeleteFromPrimitiveList) {
  json out = smp(kDeployment, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})"_json);
  EXPECT_EQ(out["metadata"]["finalizers"], json::array());
  EXPECT_FALSE(out["metadata"].contains("$deleteFromPrimitiveList/finalizers"));
}

TEST(PatchStrategicTest, SetElementOrderIsAcceptedAndDropped) {
  json out = smp(kDeployment, R"({"spec":{"template":{"spec":{
      "$setElementOrder/containers":[{"name":"web"},{"name":"sidecar"}],
      "containers":[{"name":"web","image":"nginx:9"}]}}}})"_json);
  EXPECT_EQ(containers(out)[0]["image"], "nginx:9");
  EXPECT_FALSE(out["spec"]["template"]["spec"].contains("$setElementOrder/containers"));
}

TEST(PatchStrategicTest, DirectivesInNewValuesAreStripped) {
  json out = smp(R"({"spec":{}})"_json,
                 R"({"spec":{"template":{"metadata":{"labels":{"$patch":"replace","a":"b"}},
                     "spec":{"containers":[{"name":"c","env":[{"name":"X","$patch":"delete"}]}]}}}})"_json);
  EXPECT_EQ(out["spec"]["template"]["metadata"]["labels"], R"({"a":"b"})"_json);
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"], R"([{"name":"c","env":[]}])"_json);
}

TEST(PatchStrategicTest, MissingMergeKeyIsAnError) {
  auto result = apply_strategic_merge_patch(
      kDeployment, R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})"_json, "apps",
      "Deployment");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kBadRequest));
  EXPECT_NE(result.status().message().find("does not contain declared merge key: name"),
            std::string::npos);
}

TEST(PatchStrategicTest, UnknownDirectiveIsAnError) {
  auto result = apply_strategic_merge_patch(
      kDeployment, R"({"metadata":{"labels":{"$patch":"frob"}}})"_json, "apps", "Deployment");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is(Reason::kBadRequest));
}

TEST(PatchStrategicTest, ServicePortsMergeByPort) {
  json svc = R"({"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}]}})"_json;
  json out = smp(svc, R"({"spec":{"ports":[{"port":80,"targetPort":9090}]}})"_json, "", "Service");
  EXPECT_EQ(out["spec"]["ports"], R"([{"port":80,"targetPort":9090},{"port":443}])"_json);
}

TEST(PatchStrategicTest, UnknownKindsReplaceLists) {
  json cr = R"({"spec":{"items":[{"name":"a"}],"nested":{"x":1,"y":2}}})"_json;
  json out = smp(cr, R"({"spec":{"items":[{"name":"b"}],"nested":{"x":null}}})"_json, "example.com",
                 "Widget");
  EXPECT_EQ(out, R"({"spec":{"items":[{"name":"b"}],"nested":{"y":2}}})"_json);
}

TEST(PatchStrategicTest, PodSpecOfPodAndCronJob) {
  json pod = R"({"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"1"}]}})"_json;
  json out = smp(pod, R"({"spec":{"containers":[{"name":"b","image":"2"}]}})"_json, "", "Pod");
  EXPECT_EQ(out["spec"]["containers"],
            R"([{"name":"a","image":"1"},{"name":"b","image":"2"}])"_json);

  json cron =
      R"({"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"1"}]}}}}}})"_json;
  json cron_out = smp(cron, R"({"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[
      {"name":"b","image":"2"}]}}}}}})"_json,
                      "batch", "CronJob");
  EXPECT_EQ(cron_out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"].size(), 2u);
}

}  // namespace
}  // namespace ferry::kube
