// Real kubectl against `ferry sim --tls`: if the simulator lies to kubectl, every test built on
// it lies. Each test drives kubectl the way a user would and checks what kubectl reports.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "tests/support/sim_fixture.h"

namespace ferry::testing {
namespace {

using Json = nlohmann::json;

const char* kWeb = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          requests: {cpu: 1000m, memory: 1024Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector: {app: web}
  ports:
  - port: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: default
data:
  greeting: hello
)";

class KubectlAcceptance : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(sim.ok()) << sim.error(); }

  Json get_json(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"get"};
    full.insert(full.end(), args.begin(), args.end());
    full.insert(full.end(), {"-o", "json"});
    auto r = sim.kubectl(full);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }

  CommandResult apply(const std::string& yaml, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"apply", "--server-side", "-f", "-"};
    args.insert(args.end(), extra.begin(), extra.end());
    return sim.kubectl(args, yaml);
  }

  SimProcess sim{true, 200};
};

TEST_F(KubectlAcceptance, ServerSideApplyShowsDefaultsAndManagedFields) {
  auto r = apply(kWeb);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("deployment.apps/web serverside-applied"), std::string::npos) << r.out;

  Json deploy = get_json({"deployment", "web", "--show-managed-fields"});
  EXPECT_EQ(deploy["spec"]["strategy"]["type"], "RollingUpdate");
  EXPECT_EQ(deploy["spec"]["revisionHistoryLimit"], 10);
  auto container = deploy["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(container["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(container["resources"]["requests"]["cpu"], "1");
  EXPECT_EQ(container["resources"]["requests"]["memory"], "1Gi");
  bool kubectl_manages = false;
  for (const auto& entry : deploy["metadata"]["managedFields"]) {
    if (entry["manager"] == "kubectl" && entry["operation"] == "Apply") kubectl_manages = true;
  }
  EXPECT_TRUE(kubectl_manages) << deploy["metadata"].dump();

  Json service = get_json({"service", "web"});
  EXPECT_EQ(service["spec"]["type"], "ClusterIP");
  EXPECT_EQ(service["spec"]["sessionAffinity"], "None");
  EXPECT_EQ(service["spec"]["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(service["spec"]["ports"][0]["targetPort"], 80);
  EXPECT_FALSE(service["spec"].value("clusterIP", "").empty());
  EXPECT_EQ(get_json({"configmap", "web-config"})["data"]["greeting"], "hello");
}

TEST_F(KubectlAcceptance, AnotherManagerConflictsUntilForced) {
  ASSERT_EQ(apply(kWeb).exit_code, 0);
  std::string scaled = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec: {replicas: 5}
)";
  auto conflict = apply(scaled, {"--field-manager=other"});
  EXPECT_NE(conflict.exit_code, 0);
  EXPECT_NE(conflict.err.find("conflict"), std::string::npos) << conflict.err;
  EXPECT_NE(conflict.err.find(".spec.replicas"), std::string::npos) << conflict.err;

  auto forced = apply(scaled, {"--field-manager=other", "--force-conflicts"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(get_json({"deployment", "web"})["spec"]["replicas"], 5);
}

TEST_F(KubectlAcceptance, ServerSideDiffExitCodes) {
  ASSERT_EQ(apply(kWeb).exit_code, 0);
  auto same = sim.kubectl({"diff", "--server-side", "-f", "-"}, kWeb);
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  std::string changed = kWeb;
  changed.replace(changed.find("greeting: hello"), 15, "greeting: howdy");
  auto differs = sim.kubectl({"diff", "--server-side", "-f", "-"}, changed);
  EXPECT_EQ(differs.exit_code, 1) << differs.err;
  EXPECT_NE(differs.out.find("howdy"), std::string::npos);
}

TEST_F(KubectlAcceptance, WatchSeesAnUpdate) {
  ASSERT_EQ(apply(kWeb).exit_code, 0);
  ChildProcess watcher;
  ASSERT_TRUE(watcher.start({kubectl_bin(), "--kubeconfig", sim.kubeconfig(), "get", "configmap", "web-config",
                             "-w", "--output-watch-events", "-o", "jsonpath={.type} {.object.data.greeting}{\"\\n\"}"},
                            {{"HOME", sim.dir().path()}}));
  ASSERT_TRUE(watcher.wait_for_output("hello", std::chrono::seconds(20))) << watcher.output();
  auto patch = sim.kubectl({"patch", "configmap", "web-config", "-p", R"({"data":{"greeting":"updated"}})"});
  ASSERT_EQ(patch.exit_code, 0) << patch.err;
  EXPECT_TRUE(watcher.wait_for_output("MODIFIED updated", std::chrono::seconds(20))) << watcher.output();
}

TEST_F(KubectlAcceptance, ScaleRolloutStatusAndWait) {
  ASSERT_EQ(apply(kWeb).exit_code, 0);
  auto scale = sim.kubectl({"scale", "deployment/web", "--replicas=3"});
  ASSERT_EQ(scale.exit_code, 0) << scale.err;
  EXPECT_EQ(get_json({"deployment", "web"})["spec"]["replicas"], 3);
  auto rollout = sim.kubectl({"rollout", "status", "deployment/web", "--timeout=60s"});
  EXPECT_EQ(rollout.exit_code, 0) << rollout.out << rollout.err;
  EXPECT_NE(rollout.out.find("successfully rolled out"), std::string::npos) << rollout.out;
  auto wait = sim.kubectl({"wait", "--for=condition=Available", "deployment/web", "--timeout=60s"});
  EXPECT_EQ(wait.exit_code, 0) << wait.out << wait.err;
  EXPECT_EQ(get_json({"deployment", "web"})["status"]["readyReplicas"], 3);
}

TEST_F(KubectlAcceptance, FailingImageNeverBecomesAvailable) {
  std::string failing = kWeb;
  failing.replace(failing.find("nginx:1.27"), 10, "nginx:fail");
  ASSERT_EQ(apply(failing).exit_code, 0);
  auto rollout = sim.kubectl({"rollout", "status", "deployment/web", "--timeout=20s"});
  EXPECT_NE(rollout.exit_code, 0);
  EXPECT_NE(rollout.err.find("exceeded its progress deadline"), std::string::npos) << rollout.out << rollout.err;
}

TEST_F(KubectlAcceptance, CascadingDeletes) {
  ASSERT_EQ(apply(kWeb).exit_code, 0);
  ASSERT_EQ(sim.kubectl({"rollout", "status", "deployment/web", "--timeout=60s"}).exit_code, 0);
  // The Deployment owns a ReplicaSet: orphan keeps it, foreground removes it first.
  Json sets = get_json({"replicasets", "-l", "app=web"});
  ASSERT_EQ(sets["items"].size(), 1u) << sets.dump();
  auto orphan = sim.kubectl({"delete", "deployment", "web", "--cascade=orphan", "--timeout=30s"});
  ASSERT_EQ(orphan.exit_code, 0) << orphan.err;
  Json left = get_json({"replicasets", "-l", "app=web"});
  ASSERT_EQ(left["items"].size(), 1u);
  EXPECT_FALSE(left["items"][0]["metadata"].contains("ownerReferences"));

  ASSERT_EQ(sim.kubectl({"delete", "replicaset", "-l", "app=web"}).exit_code, 0);
  ASSERT_EQ(apply(kWeb).exit_code, 0);
  ASSERT_EQ(sim.kubectl({"rollout", "status", "deployment/web", "--timeout=60s"}).exit_code, 0);
  auto foreground = sim.kubectl({"delete", "deployment", "web", "--cascade=foreground", "--timeout=30s"});
  ASSERT_EQ(foreground.exit_code, 0) << foreground.err;
  EXPECT_EQ(get_json({"replicasets", "-l", "app=web"})["items"].size(), 0u);
  EXPECT_NE(sim.kubectl({"get", "deployment", "web"}).exit_code, 0);
}

TEST_F(KubectlAcceptance, CustomResourceDefinitionServesItsResource) {
  std::string crd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
)";
  ASSERT_EQ(apply(crd).exit_code, 0);
  auto resources = sim.kubectl({"api-resources", "--api-group=example.com"});
  ASSERT_EQ(resources.exit_code, 0) << resources.err;
  EXPECT_NE(resources.out.find("widgets"), std::string::npos) << resources.out;
  auto created = apply("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\nspec: {size: large}\n");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto table = sim.kubectl({"get", "wd"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("SIZE"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("large"), std::string::npos) << table.out;
}

TEST_F(KubectlAcceptance, DeletingANamespaceRemovesItsContents) {
  auto created = apply(R"(apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: team}
data: {k: v}
---
apiVersion: v1
kind: Secret
metadata: {name: b, namespace: team}
stringData: {k: v}
)");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto deleted = sim.kubectl({"delete", "namespace", "team", "--timeout=30s"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_NE(sim.kubectl({"get", "namespace", "team"}).exit_code, 0);
  EXPECT_EQ(get_json({"configmaps", "-n", "team"})["items"].size(), 0u);
  auto refused = apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: team}\n");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("not found"), std::string::npos) << refused.err;
}

TEST_F(KubectlAcceptance, ChunkedListPages) {
  std::string pages;
  for (int i = 0; i < 7; ++i) {
    pages += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: page-" + std::to_string(i) + ", namespace: default}\n";
  }
  ASSERT_EQ(apply(pages).exit_code, 0);
  Json before = Json::parse(sim.sim_get("/sim/stats"));
  auto r = sim.kubectl({"get", "configmaps", "--chunk-size=2", "-o", "name"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int i = 0; i < 7; ++i) EXPECT_NE(r.out.find("configmap/page-" + std::to_string(i)), std::string::npos);
  Json after = Json::parse(sim.sim_get("/sim/stats"));
  auto list_calls = [](const Json& stats) {
    return stats["requests"].value("list", Json::object()).value("configmaps", 0);
  };
  int lists = list_calls(after) - list_calls(before);
  EXPECT_GE(lists, 4) << "7 objects in pages of 2 need 4 list calls";
}

TEST_F(KubectlAcceptance, BadInputGetsStatusErrors) {
  auto invalid = sim.kubectl({"create", "-f", "-"}, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name, namespace: default}\n");
  EXPECT_NE(invalid.exit_code, 0);
  EXPECT_NE(invalid.err.find("RFC 1123"), std::string::npos) << invalid.err;
  auto missing = sim.kubectl({"get", "configmap", "nope"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("configmaps \"nope\" not found"), std::string::npos) << missing.err;
  auto unknown = sim.kubectl({"get", "frobnicators"});
  EXPECT_NE(unknown.exit_code, 0);
  auto wrong_type = sim.kubectl({"create", "-f", "-"},
                                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typed, namespace: default}\ndata: {n: 1}\n");
  EXPECT_NE(wrong_type.exit_code, 0);
  EXPECT_NE(wrong_type.err.find("cannot unmarshal"), std::string::npos) << wrong_type.err;
  auto protobuf = sim.kubectl({"create", "configmap", "imperative"});
  EXPECT_NE(protobuf.exit_code, 0) << "protobuf bodies are not decoded; the refusal must say why";
  EXPECT_NE(protobuf.err.find("unknown format"), std::string::npos) << protobuf.err;
}

TEST_F(KubectlAcceptance, RequestsWithoutTheTokenAreRejected) {
  std::string config = read_file(sim.kubeconfig());
  std::string token = sim.token();
  ASSERT_FALSE(token.empty());
  config.replace(config.find(token), token.size(), "wrong");
  std::string bad = sim.dir().write("bad-kubeconfig", config);
  auto r = run_command({kubectl_bin(), "--kubeconfig", bad, "get", "configmaps"}, {{"HOME", sim.dir().path()}});
  EXPECT_NE(r.exit_code, 0);
  // kubectl words a 401 this way.
  EXPECT_NE(r.err.find("You must be logged in to the server"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ferry::testing
