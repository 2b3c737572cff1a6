// Each check with an object it flags and one it leaves alone. The clean Deployment below passes
// every check at `strict`; each test changes one thing and expects exactly that check's finding.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apis/types/yaml_codec.h"
#include "reconciler/policy/policy.h"

namespace ferry::reconciler::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kCleanDeployment = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 10001}
      containers:
        - name: web
          image: ghcr.io/example/web:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits: {cpu: "1", memory: 128Mi}
          env:
            - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
            - {name: PASSWORD_FILE, value: /run/secrets/db}
            - {name: ENABLE_TOKEN_AUTH, value: "true"}
)";

Json parse(const std::string& yaml) {
  auto objects = yaml::parse_objects(yaml, "test.yaml");
  EXPECT_TRUE(objects.ok()) << objects.status().to_string();
  return objects.ok() && !objects->empty() ? objects->front() : Json();
}

Json clean() { return parse(kCleanDeployment); }
Json& container(Json& deployment) { return deployment["spec"]["template"]["spec"]["containers"][0]; }
Json& pod(Json& deployment) { return deployment["spec"]["template"]["spec"]; }

PolicyConfig strict() { return *preset("strict"); }

std::vector<std::string> check_ids(const Evaluation& e) {
  std::vector<std::string> out;
  for (const auto& f : e.findings) out.push_back(f.check);
  return out;
}

std::vector<std::string> ids_of(const Json& object, const PolicyConfig& config = strict()) {
  return check_ids(evaluate({object}, config));
}

TEST(PolicyChecks, TheCleanDeploymentPassesStrict) {
  Evaluation e = evaluate({clean()}, strict());
  EXPECT_THAT(check_ids(e), IsEmpty());
  EXPECT_THAT(e.errors, IsEmpty());
  EXPECT_FALSE(e.denied());
}

TEST(PolicyChecks, ImageWithoutTag) {
  Json d = clean();
  container(d)["image"] = "registry.local:5000/web";  // the port is no tag
  Evaluation e = evaluate({d}, strict());
  EXPECT_THAT(check_ids(e), ElementsAre("image-tag-missing", "image-digest"));
  const Finding& f = e.findings[0];
  EXPECT_EQ(f.field, "spec.template.spec.containers[0].image");
  EXPECT_EQ(f.group, "apps");
  EXPECT_EQ(f.kind, "Deployment");
  EXPECT_EQ(f.namespace_, "shop");
  EXPECT_EQ(f.name, "web");
  EXPECT_EQ(f.level, Level::deny);
  EXPECT_THAT(f.message, HasSubstr("Deployment shop/web: spec.template.spec.containers[0].image"));
  EXPECT_THAT(f.message, HasSubstr("\"registry.local:5000/web\""));
  EXPECT_FALSE(f.hint.empty());
}

TEST(PolicyChecks, LatestWithIfNotPresentIsFlaggedAndAPinnedTagWithAlwaysIsFine) {
  Json d = clean();
  container(d)["image"] = "nginx:latest";
  container(d)["imagePullPolicy"] = "IfNotPresent";
  Evaluation e = evaluate({d}, strict());
  EXPECT_THAT(check_ids(e), ElementsAre("image-tag-latest", "image-digest"));
  EXPECT_THAT(e.findings[0].message, HasSubstr("IfNotPresent"));

  Json pinned = clean();
  container(pinned)["image"] = "nginx:1.27.2";
  container(pinned)["imagePullPolicy"] = "Always";
  EXPECT_THAT(ids_of(pinned), ElementsAre("image-digest"));
  EXPECT_THAT(ids_of(pinned, *preset("default")), IsEmpty()) << "image-digest is opt-in";

  Json latest_digest = clean();
  container(latest_digest)["image"] = "nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  EXPECT_THAT(ids_of(latest_digest), IsEmpty()) << "a digest pins even :latest";
}

TEST(PolicyChecks, SecretWithDataInGit) {
  Json secret = parse("apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2}\n");
  Evaluation e = evaluate({secret}, strict());
  ASSERT_THAT(check_ids(e), ElementsAre("secret-in-git"));
  EXPECT_EQ(e.findings[0].field, "stringData");
  EXPECT_THAT(e.findings[0].message, HasSubstr("Secret db"));
  EXPECT_THAT(e.findings[0].hint, HasSubstr("SealedSecret"));

  Json empty = parse("apiVersion: v1\nkind: Secret\nmetadata: {name: token}\ntype: kubernetes.io/service-account-token\n");
  EXPECT_THAT(ids_of(empty), IsEmpty());
}

TEST(PolicyChecks, CredentialLiteralsInConfigMapsAndEnv) {
  Json cm = parse(R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {API_TOKEN: abc123, apiKey: xyz, TOKEN_TTL: "3600", SECRET_NAME: db-secret, GREETING: hello}
)");
  Evaluation e = evaluate({cm}, strict());
  ASSERT_THAT(check_ids(e), ElementsAre("credential-literal", "credential-literal"));
  EXPECT_EQ(e.findings[0].field, "data.API_TOKEN");
  EXPECT_EQ(e.findings[1].field, "data.apiKey");

  Json d = clean();
  container(d)["env"].push_back({{"name", "DB_PASSWORD_PLAIN"}, {"value", "hunter2"}});
  Evaluation env = evaluate({d}, strict());
  ASSERT_THAT(check_ids(env), ElementsAre("credential-literal"));
  EXPECT_EQ(env.findings[0].field, "spec.template.spec.containers[0].env[3].value");
}

TEST(PolicyChecks, ProbesOnLongRunningWorkloadsOnly) {
  Json d = clean();
  container(d).erase("livenessProbe");
  Evaluation e = evaluate({d}, strict());
  ASSERT_THAT(check_ids(e), ElementsAre("probes-missing"));
  EXPECT_EQ(e.findings[0].field, "spec.template.spec.containers[0].livenessProbe");

  Json job = parse(R"(
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          automountServiceAccountToken: false
          restartPolicy: Never
          securityContext: {runAsNonRoot: true}
          initContainers: [{name: wait, image: "busybox:1.36@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", resources: {requests: {cpu: 10m, memory: 8Mi}}}]
          containers: [{name: run, image: "busybox:1.36@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", resources: {requests: {cpu: 10m, memory: 8Mi}}}]
)");
  EXPECT_THAT(ids_of(job), IsEmpty()) << "Jobs and initContainers need no probes";

  Json one_shot_pod = parse(R"(
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true}
  containers: [{name: run, image: "busybox:1.36@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", resources: {requests: {cpu: 10m, memory: 8Mi}}}]
)");
  EXPECT_THAT(ids_of(one_shot_pod), IsEmpty());
  one_shot_pod["spec"].erase("restartPolicy");
  Evaluation pod_e = evaluate({one_shot_pod}, strict());
  ASSERT_THAT(check_ids(pod_e), ElementsAre("probes-missing"));
  EXPECT_EQ(pod_e.findings[0].field, "spec.containers[0].readinessProbe");
  EXPECT_THAT(pod_e.findings[0].message, HasSubstr("readinessProbe and livenessProbe"));
}

TEST(PolicyChecks, RequestsMissingButALimitCountsAsTheRequest) {
  Json d = clean();
  container(d)["resources"] = {{"limits", {{"cpu", "1"}}}};
  Evaluation e = evaluate({d}, strict());
  ASSERT_THAT(check_ids(e), ElementsAre("resources-missing"));
  EXPECT_THAT(e.findings[0].message, HasSubstr("requests no memory"));
  EXPECT_EQ(e.findings[0].field, "spec.template.spec.containers[0].resources.requests");

  Json init = clean();
  pod(init)["initContainers"] = Json::array({container(init)});
  pod(init)["initContainers"][0]["name"] = "setup";
  pod(init)["initContainers"][0].erase("resources");
  Evaluation ie = evaluate({init}, strict());
  ASSERT_THAT(check_ids(ie), ElementsAre("resources-missing"));
  EXPECT_EQ(ie.findings[0].field, "spec.template.spec.initContainers[0].resources.requests");
}

TEST(PolicyChecks, LimitBelowRequestComparesQuantities) {
  Json d = clean();
  container(d)["resources"] = {{"requests", {{"cpu", "1500m"}, {"memory", "1Gi"}}},
                               {"limits", {{"cpu", "1"}, {"memory", "1024Mi"}}}};
  Evaluation e = evaluate({d}, strict());
  ASSERT_THAT(check_ids(e), ElementsAre("limit-below-request"));
  EXPECT_EQ(e.findings[0].field, "spec.template.spec.containers[0].resources.limits.cpu");

  container(d)["resources"]["limits"]["cpu"] = 2;  // a number is a quantity too
  container(d)["resources"]["limits"]["memory"] = "1G";  // 10^9 < 2^30
  Evaluation e2 = evaluate({d}, strict());
  ASSERT_THAT(check_ids(e2), ElementsAre("limit-below-request"));
  EXPECT_EQ(e2.findings[0].field, "spec.template.spec.containers[0].resources.limits.memory");
}

TEST(PolicyChecks, PrivilegedContainer) {
  Json d = clean();
  container(d)["securityContext"] = {{"privileged", true}};
  Evaluation e = evaluate({d}, strict());
  ASSERT_THAT(check_ids(e), ElementsAre("privileged"));
  EXPECT_EQ(e.findings[0].field, "spec.template.spec.containers[0].securityContext.privileged");
  container(d)["securityContext"]["privileged"] = false;
  EXPECT_THAT(ids_of(d), IsEmpty());
}

TEST(PolicyChecks, HostPathAndHostNamespaces) {
  Json d = clean();
  pod(d)["volumes"] = Json::parse(R"([{"name": "cfg", "configMap": {"name": "x"}}, {"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}])");
  pod(d)["hostNetwork"] = true;
  pod(d)["hostPID"] = true;
  pod(d)["hostIPC"] = false;
  Evaluation e = evaluate({d}, strict());
  ASSERT_THAT(check_ids(e), ElementsAre("host-network", "host-network", "host-path"));
  EXPECT_EQ(e.findings[0].field, "spec.template.spec.hostNetwork");
  EXPECT_EQ(e.findings[1].field, "spec.template.spec.hostPID");
  EXPECT_EQ(e.findings[2].field, "spec.template.spec.volumes[1].hostPath");
  EXPECT_THAT(e.findings[2].message, HasSubstr("/var/run/docker.sock"));
}

TEST(PolicyChecks, RunAsRootAtPodOrContainerLevel) {
  Json d = clean();
  pod(d).erase("securityContext");
  Evaluation e = evaluate({d}, strict());
  ASSERT_THAT(check_ids(e), ElementsAre("run-as-root"));
  EXPECT_EQ(e.findings[0].field, "spec.template.spec.containers[0].securityContext.runAsNonRoot");

  container(d)["securityContext"] = {{"runAsUser", 1000}};  // a non-zero user is not root
  EXPECT_THAT(ids_of(d), IsEmpty());

  Json root = clean();
  container(root)["securityContext"] = {{"runAsUser", 0}};  // the container's wins over the pod's
  Evaluation r = evaluate({root}, strict());
  ASSERT_THAT(check_ids(r), ElementsAre("run-as-root"));
  EXPECT_EQ(r.findings[0].field, "spec.template.spec.containers[0].securityContext.runAsUser");

  Json not_non_root = clean();
  pod(not_non_root)["securityContext"] = {{"runAsNonRoot", false}};
  EXPECT_THAT(ids_of(not_non_root), ElementsAre("run-as-root"));
}

TEST(PolicyChecks, WildcardRbac) {
  Json role = parse(R"(
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: god}
rules:
  - {apiGroups: [""], resources: [pods], verbs: [get, list]}
  - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
)");
  Evaluation e = evaluate({role}, strict());
  ASSERT_THAT(check_ids(e), ElementsAre("clusterrole-wildcard", "clusterrole-wildcard"));
  EXPECT_EQ(e.findings[0].field, "rules[1].verbs");
  EXPECT_EQ(e.findings[1].field, "rules[1].resources");
  role["rules"].erase(1);
  EXPECT_THAT(ids_of(role), IsEmpty());
  role["kind"] = "Role";
  role["rules"][0]["verbs"] = Json::array({"*"});
  EXPECT_THAT(ids_of(role), ElementsAre("clusterrole-wildcard"));
}

TEST(PolicyChecks, PublicExposureUnlessNoted) {
  Json lb = parse("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {type: LoadBalancer, ports: [{port: 80}]}\n");
  Evaluation e = evaluate({lb}, strict());
  ASSERT_THAT(check_ids(e), ElementsAre("public-exposure"));
  EXPECT_EQ(e.findings[0].field, "spec.type");
  Json node_port = lb;
  node_port["spec"]["type"] = "NodePort";
  EXPECT_THAT(ids_of(node_port), ElementsAre("public-exposure"));
  Json cluster_ip = lb;
  cluster_ip["spec"]["type"] = "ClusterIP";
  EXPECT_THAT(ids_of(cluster_ip), IsEmpty());
  lb["metadata"]["annotations"] = {{"ferry.dev/exposure-note", "the public storefront"}};
  EXPECT_THAT(ids_of(lb), IsEmpty());

  Json ingress = parse("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec: {rules: []}\n");
  EXPECT_THAT(ids_of(ingress), ElementsAre("public-exposure"));
  ingress["metadata"]["annotations"] = {{"ferry.dev/exposure-note", "  "}};  // blank is no note
  EXPECT_THAT(ids_of(ingress), ElementsAre("public-exposure"));
}

TEST(PolicyChecks, TokenAutomountOnTheDefaultServiceAccount) {
  Json d = clean();
  pod(d).erase("automountServiceAccountToken");
  Evaluation e = evaluate({d}, strict());
  ASSERT_THAT(check_ids(e), ElementsAre("sa-token-automount"));
  EXPECT_EQ(e.findings[0].field, "spec.template.spec.automountServiceAccountToken");
  pod(d)["serviceAccountName"] = "default";
  EXPECT_THAT(ids_of(d), ElementsAre("sa-token-automount"));
  pod(d)["serviceAccountName"] = "web-reader";  // its own identity: it needs the token
  EXPECT_THAT(ids_of(d), IsEmpty());
}

TEST(PolicyChecks, OtherKindsAndMalformedObjectsAreSkipped) {
  std::vector<Json> objects = {
      Json(), Json::array(), Json("text"), Json::parse(R"({"kind": "Deployment"})"),
      Json::parse(R"({"apiVersion": "example.com/v1", "kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}})"),
      Json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"containers": [5, "x", null]}}}})"),
      Json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": []}})"),
  };
  Evaluation e = evaluate(objects, strict());
  EXPECT_THAT(check_ids(e), ElementsAre("sa-token-automount")) << "the last but one has a pod spec, no containers";
}

}  // namespace
}  // namespace ferry::reconciler::policy
