#include "kube/machinery/defaults.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

// Expected objects are what kube-apiserver v1.33 returns for the same minimal input
// (SetDefaults_* of pkg/apis/*/v1 and the generated defaulters that call them).

namespace ferry::kube {
namespace {

using nlohmann::json;

json defaulted(std::string_view group, std::string_view kind, json object) {
  apply_defaults(group, kind, object);
  return object;
}

// A container as every pod spec stores it after defaulting.
json defaulted_container(const std::string& name, const std::string& image,
                         const std::string& pull_policy) {
  return {{"name", name},
          {"image", image},
          {"imagePullPolicy", pull_policy},
          {"resources", json::object()},
          {"terminationMessagePath", "/dev/termination-log"},
          {"terminationMessagePolicy", "File"}};
}

json minimal_template() {
  return json::parse(R"({
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}
  })");
}

// The template above after defaulting, for controllers other than Job and CronJob.
json defaulted_template() {
  json t = minimal_template();
  t["spec"] = {
      {"containers", json::array({defaulted_container("web", "nginx:1.27", "IfNotPresent")})},
      {"dnsPolicy", "ClusterFirst"},
      {"restartPolicy", "Always"},
      {"schedulerName", "default-scheduler"},
      {"securityContext", json::object()},
      {"terminationGracePeriodSeconds", 30}};
  return t;
}

TEST(DefaultsTest, Pod) {
  json pod = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {"containers": [{"name": "c", "image": "nginx"}]}
  })");
  json expected = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {
      "containers": [{
        "name": "c", "image": "nginx", "imagePullPolicy": "Always", "resources": {},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"
      }],
      "dnsPolicy": "ClusterFirst", "enableServiceLinks": true, "restartPolicy": "Always",
      "schedulerName": "default-scheduler", "securityContext": {},
      "terminationGracePeriodSeconds": 30
    }
  })");
  EXPECT_EQ(defaulted("", "Pod", pod), expected);
}

TEST(DefaultsTest, PodRequestsDefaultToLimits) {
  json pod = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {
      "initContainers": [{"name": "i", "image": "busybox:1.36",
                          "resources": {"limits": {"memory": "64Mi"}}}],
      "containers": [{"name": "c", "image": "nginx:1.27",
                      "resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"},
                                    "requests": {"cpu": "0.1"}}}]
    }
  })");
  json out = defaulted("", "Pod", pod);
  EXPECT_EQ(out["spec"]["containers"][0]["resources"], json::parse(R"({
    "limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "1Gi"}
  })"));
  EXPECT_EQ(out["spec"]["initContainers"][0]["resources"], json::parse(R"({
    "limits": {"memory": "64Mi"}, "requests": {"memory": "64Mi"}
  })"));
}

TEST(DefaultsTest, PodHostNetworkPublishesContainerPorts) {
  json pod = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "nginx:1.27",
             "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP", "hostPort": 5353}]}]}
  })");
  json out = defaulted("", "Pod", pod);
  EXPECT_EQ(out["spec"]["containers"][0]["ports"], json::parse(R"([
    {"containerPort": 80, "hostPort": 80, "protocol": "TCP"},
    {"containerPort": 53, "hostPort": 5353, "protocol": "UDP"}
  ])"));
}

TEST(DefaultsTest, ContainerProbesEnvAndLifecycle) {
  json pod = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {"containers": [{
      "name": "c", "image": "nginx:1.27",
      "ports": [{"containerPort": 8080, "name": "http"}],
      "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
              {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
              {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory",
                                                                 "divisor": "1024Ki"}}},
              {"name": "PLAIN", "value": "x"}],
      "livenessProbe": {"httpGet": {"port": 8080}},
      "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 5, "timeoutSeconds": 0},
      "startupProbe": {"grpc": {"port": 9090}},
      "lifecycle": {"preStop": {"httpGet": {"port": 8080, "path": "/quit"}},
                    "postStart": {"exec": {"command": ["true"]}}}
    }]}
  })");
  json c = defaulted("", "Pod", pod)["spec"]["containers"][0];
  EXPECT_EQ(c["ports"],
            json::parse(R"([{"containerPort": 8080, "name": "http", "protocol": "TCP"}])"));
  EXPECT_EQ(c["env"], json::parse(R"([
    {"name": "NODE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
    {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "0"}}},
    {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
    {"name": "PLAIN", "value": "x"}
  ])"));
  EXPECT_EQ(c["livenessProbe"], json::parse(R"({
    "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
    "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3
  })"));
  EXPECT_EQ(c["readinessProbe"], json::parse(R"({
    "tcpSocket": {"port": 8080},
    "timeoutSeconds": 1, "periodSeconds": 5, "successThreshold": 1, "failureThreshold": 3
  })"));
  EXPECT_EQ(c["startupProbe"]["grpc"], json::parse(R"({"port": 9090, "service": ""})"));
  EXPECT_EQ(c["lifecycle"], json::parse(R"({
    "preStop": {"httpGet": {"port": 8080, "path": "/quit", "scheme": "HTTP"}},
    "postStart": {"exec": {"command": ["true"]}}
  })"));
}

TEST(DefaultsTest, PodVolumes) {
  json pod = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}], "volumes": [
      {"name": "scratch"},
      {"name": "cache", "emptyDir": {"sizeLimit": "1024Mi"}},
      {"name": "cfg", "configMap": {"name": "cfg"}},
      {"name": "sec", "secret": {"secretName": "s", "defaultMode": 256}},
      {"name": "host", "hostPath": {"path": "/var/log"}},
      {"name": "info", "downwardAPI": {"items": [{"path": "labels",
                                                  "fieldRef": {"fieldPath": "metadata.labels"}}]}},
      {"name": "proj", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}},
                                                 {"configMap": {"name": "cfg"}}]}},
      {"name": "eph", "ephemeral": {"volumeClaimTemplate": {"spec": {
          "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1024Mi"}}}}}}
    ]}
  })");
  json volumes = defaulted("", "Pod", pod)["spec"]["volumes"];
  EXPECT_EQ(volumes, json::parse(R"([
    {"name": "scratch", "emptyDir": {}},
    {"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}},
    {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}},
    {"name": "sec", "secret": {"secretName": "s", "defaultMode": 256}},
    {"name": "host", "hostPath": {"path": "/var/log", "type": ""}},
    {"name": "info", "downwardAPI": {"defaultMode": 420, "items": [
        {"path": "labels", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"}}]}},
    {"name": "proj", "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
        {"configMap": {"name": "cfg"}}]}},
    {"name": "eph", "ephemeral": {"volumeClaimTemplate": {"spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
        "volumeMode": "Filesystem"}}}}
  ])"));
}

TEST(DefaultsTest, ImagePullPolicy) {
  auto policy_for = [](const std::string& image) {
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"spec", {{"containers", json::array({{{"name", "c"}, {"image", image}}})}}}};
    return defaulted("", "Pod", pod)["spec"]["containers"][0]["imagePullPolicy"].get<std::string>();
  };
  const std::string digest = "@sha256:" + std::string(64, 'a');
  EXPECT_EQ(policy_for("nginx"), "Always");
  EXPECT_EQ(policy_for("nginx:latest"), "Always");
  EXPECT_EQ(policy_for("nginx:1.27"), "IfNotPresent");
  EXPECT_EQ(policy_for("docker.io/library/nginx"), "Always");
  EXPECT_EQ(policy_for("registry.example.com:5000/team/app:v2"), "IfNotPresent");
  EXPECT_EQ(policy_for("localhost:5000/app"), "Always");
  EXPECT_EQ(policy_for("ghcr.io/org/app" + digest), "IfNotPresent");
  EXPECT_EQ(policy_for("ghcr.io/org/app:latest" + digest), "Always");
  EXPECT_EQ(policy_for("ghcr.io/org/app:1.0" + digest), "IfNotPresent");
  // References Kubernetes cannot parse get no tag, hence IfNotPresent.
  EXPECT_EQ(policy_for("Nginx"), "IfNotPresent");
  EXPECT_EQ(policy_for("nginx@sha256:abc"), "IfNotPresent");
  EXPECT_EQ(policy_for("app:latest@sha256:" + std::string(64, 'A')), "IfNotPresent");
  EXPECT_EQ(policy_for("app:latest@md5:" + std::string(32, 'a')), "IfNotPresent");
  EXPECT_EQ(policy_for(std::string(64, 'a')), "IfNotPresent");
  EXPECT_EQ(policy_for(""), "IfNotPresent");
}

TEST(DefaultsTest, Deployment) {
  json deployment = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "web"}}},
      {"spec",
       {{"selector", {{"matchLabels", {{"app", "web"}}}}}, {"template", minimal_template()}}}};
  json expected = deployment;
  expected["spec"]["replicas"] = 1;
  expected["spec"]["revisionHistoryLimit"] = 10;
  expected["spec"]["progressDeadlineSeconds"] = 600;
  expected["spec"]["strategy"] = {
      {"type", "RollingUpdate"},
      {"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}};
  expected["spec"]["template"] = defaulted_template();
  EXPECT_EQ(defaulted("apps", "Deployment", deployment), expected);
}

TEST(DefaultsTest, DeploymentKeepsPresentValues) {
  json deployment = json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {
      "replicas": 0, "revisionHistoryLimit": 2, "progressDeadlineSeconds": 60,
      "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
      "selector": {"matchLabels": {"app": "web"}},
      "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {
          "dnsPolicy": "Default", "restartPolicy": "Always", "schedulerName": "custom",
          "securityContext": {"runAsNonRoot": true}, "terminationGracePeriodSeconds": 5,
          "containers": [{"name": "web", "image": "nginx", "imagePullPolicy": "Never",
                          "terminationMessagePath": "/tmp/log",
                          "terminationMessagePolicy": "FallbackToLogsOnError",
                          "ports": [{"containerPort": 53, "protocol": "UDP"}],
                          "resources": {"limits": {"cpu": "2"}}}]
        }
      }
    }
  })");
  json expected = deployment;
  expected["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] = "25%";
  EXPECT_EQ(defaulted("apps", "Deployment", deployment), expected);
}

TEST(DefaultsTest, DeploymentRecreateGetsNoRollingUpdate) {
  json deployment = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "web"}}},
      {"spec", {{"strategy", {{"type", "Recreate"}}}, {"template", minimal_template()}}}};
  json out = defaulted("apps", "Deployment", deployment);
  EXPECT_EQ(out["spec"]["strategy"], json({{"type", "Recreate"}}));
}

TEST(DefaultsTest, DeploymentQuantitiesAreCanonical) {
  json deployment = json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"template": {"spec": {
      "containers": [{"name": "web", "image": "nginx:1.27", "resources": {
        "limits": {"cpu": "1000m", "memory": "1024Mi", "ephemeral-storage": "2000000"},
        "requests": {"cpu": 0.5, "memory": "1.5Gi", "nvidia.com/gpu": 1, "example.com/fine": "1500u",
                     "example.com/bad": "lots", "example.com/padded": " 100m "}}}],
      "initContainers": [{"name": "init", "image": "busybox:1.36", "resources": {
        "requests": {"cpu": "100n", "memory": "1e3"}}}],
      "overhead": {"cpu": "0.25"}
    }}}
  })");
  json spec = defaulted("apps", "Deployment", deployment)["spec"]["template"]["spec"];
  EXPECT_EQ(spec["containers"][0]["resources"], json::parse(R"({
    "limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "2M"},
    "requests": {"cpu": "500m", "memory": "1536Mi", "nvidia.com/gpu": "1", "example.com/fine": "2m",
                 "example.com/bad": "lots", "example.com/padded": "100m"}
  })"));
  // Templates do not copy limits into requests; sub-milli values round up to 1m.
  EXPECT_EQ(spec["initContainers"][0]["resources"],
            json::parse(R"({"requests": {"cpu": "1m", "memory": "1e3"}})"));
  EXPECT_EQ(spec["overhead"], json::parse(R"({"cpu": "250m"})"));
  EXPECT_FALSE(spec.contains("enableServiceLinks"));  // a Pod-only default
}

TEST(DefaultsTest, ResourceListsRoundUpToMilli) {
  auto request = [](json value) {
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"spec",
                 {{"containers", json::array({{{"name", "c"},
                                               {"image", "nginx:1.27"},
                                               {"resources", {{"requests", {{"x", value}}}}}}})}}}};
    return defaulted("", "Pod", pod)["spec"]["containers"][0]["resources"]["requests"]["x"];
  };
  EXPECT_EQ(request("1n"), "1m");
  EXPECT_EQ(request("1500u"), "2m");
  EXPECT_EQ(request("1000001u"), "1001m");
  EXPECT_EQ(request("-1500u"), "-2m");
  EXPECT_EQ(request("1e-9"), "1e-3");
  EXPECT_EQ(request("999999e-9"), "1e-3");
  EXPECT_EQ(request("999999999e-9"), "1");
  EXPECT_EQ(request("1.9999999Ki"), "2Ki");
  EXPECT_EQ(request("1.0000001Ki"), "1024001m");
  EXPECT_EQ(request("0.0000001Ki"), "1m");
  EXPECT_EQ(request(1e-7), "1e-3");
  EXPECT_EQ(request(2.5), "2500m");
  EXPECT_EQ(request(nullptr), "0");
  EXPECT_EQ(request(true), true);
}

TEST(DefaultsTest, StatefulSet) {
  json sts = {{"apiVersion", "apps/v1"},
              {"kind", "StatefulSet"},
              {"metadata", {{"name", "db"}}},
              {"spec",
               {{"serviceName", "db"},
                {"selector", {{"matchLabels", {{"app", "web"}}}}},
                {"template", minimal_template()},
                {"volumeClaimTemplates", json::parse(R"([{
                   "metadata": {"name": "data"},
                   "spec": {"accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1024Mi"}}}
                 }])")}}}};
  json expected = sts;
  expected["spec"]["replicas"] = 1;
  expected["spec"]["revisionHistoryLimit"] = 10;
  expected["spec"]["podManagementPolicy"] = "OrderedReady";
  expected["spec"]["updateStrategy"] = {{"type", "RollingUpdate"},
                                        {"rollingUpdate", {{"partition", 0}}}};
  expected["spec"]["persistentVolumeClaimRetentionPolicy"] = {{"whenDeleted", "Retain"},
                                                              {"whenScaled", "Retain"}};
  expected["spec"]["template"] = defaulted_template();
  expected["spec"]["volumeClaimTemplates"] = json::parse(R"([{
    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
             "volumeMode": "Filesystem"},
    "status": {"phase": "Pending"}
  }])");
  EXPECT_EQ(defaulted("apps", "StatefulSet", sts), expected);
}

TEST(DefaultsTest, StatefulSetExplicitStrategies) {
  json on_delete = {{"apiVersion", "apps/v1"},
                    {"kind", "StatefulSet"},
                    {"spec", {{"updateStrategy", {{"type", "OnDelete"}}}}}};
  EXPECT_EQ(defaulted("apps", "StatefulSet", on_delete)["spec"]["updateStrategy"],
            json({{"type", "OnDelete"}}));
  // An explicit RollingUpdate without rollingUpdate gets no partition (as in Kubernetes).
  json rolling = {{"apiVersion", "apps/v1"},
                  {"kind", "StatefulSet"},
                  {"spec", {{"updateStrategy", {{"type", "RollingUpdate"}}}}}};
  EXPECT_EQ(defaulted("apps", "StatefulSet", rolling)["spec"]["updateStrategy"],
            json({{"type", "RollingUpdate"}}));
  json partitioned = {{"apiVersion", "apps/v1"},
                      {"kind", "StatefulSet"},
                      {"spec", {{"updateStrategy", {{"rollingUpdate", {{"maxUnavailable", 2}}}}}}}};
  EXPECT_EQ(defaulted("apps", "StatefulSet", partitioned)["spec"]["updateStrategy"],
            json({{"type", "RollingUpdate"},
                  {"rollingUpdate", {{"maxUnavailable", 2}, {"partition", 0}}}}));
}

TEST(DefaultsTest, DaemonSet) {
  json ds = {
      {"apiVersion", "apps/v1"},
      {"kind", "DaemonSet"},
      {"metadata", {{"name", "agent"}}},
      {"spec",
       {{"selector", {{"matchLabels", {{"app", "web"}}}}}, {"template", minimal_template()}}}};
  json expected = ds;
  expected["spec"]["revisionHistoryLimit"] = 10;
  expected["spec"]["updateStrategy"] = {
      {"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", 0}, {"maxUnavailable", 1}}}};
  expected["spec"]["template"] = defaulted_template();
  EXPECT_EQ(defaulted("apps", "DaemonSet", ds), expected);
}

TEST(DefaultsTest, ReplicaSet) {
  json rs = {
      {"apiVersion", "apps/v1"},
      {"kind", "ReplicaSet"},
      {"metadata", {{"name", "web-1"}}},
      {"spec",
       {{"selector", {{"matchLabels", {{"app", "web"}}}}}, {"template", minimal_template()}}}};
  json expected = rs;
  expected["spec"]["replicas"] = 1;
  expected["spec"]["template"] = defaulted_template();
  EXPECT_EQ(defaulted("apps", "ReplicaSet", rs), expected);
}

TEST(DefaultsTest, Job) {
  json job = json::parse(R"({
    "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
    "spec": {"template": {
      "metadata": {"labels": {"app": "migrate"}},
      "spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "migrate:1"}]}
    }}
  })");
  json expected = json::parse(R"({
    "apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "migrate", "labels": {"app": "migrate"}},
    "spec": {
      "backoffLimit": 6, "completionMode": "NonIndexed", "completions": 1, "parallelism": 1,
      "podReplacementPolicy": "TerminatingOrFailed", "suspend": false,
      "template": {
        "metadata": {"labels": {"app": "migrate"}},
        "spec": {
          "containers": [{"name": "m", "image": "migrate:1", "imagePullPolicy": "IfNotPresent",
                          "resources": {}, "terminationMessagePath": "/dev/termination-log",
                          "terminationMessagePolicy": "File"}],
          "dnsPolicy": "ClusterFirst", "restartPolicy": "Never",
          "schedulerName": "default-scheduler", "securityContext": {},
          "terminationGracePeriodSeconds": 30
        }
      }
    }
  })");
  EXPECT_EQ(defaulted("batch", "Job", job), expected);
}

TEST(DefaultsTest, JobVariants) {
  // Parallelism alone leaves completions unset; a per-index limit lifts the global one; a
  // pod failure policy changes the replacement policy and fills condition statuses.
  json job = json::parse(R"({
    "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "labels": {"team": "a"}},
    "spec": {
      "parallelism": 3, "completionMode": "Indexed", "completions": 3, "backoffLimitPerIndex": 1,
      "podFailurePolicy": {"rules": [{"action": "Ignore",
                                      "onPodConditions": [{"type": "DisruptionTarget"}]}]},
      "template": {"metadata": {"labels": {"app": "j"}},
                   "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}
    }
  })");
  json spec = defaulted("batch", "Job", job)["spec"];
  EXPECT_EQ(spec["completions"], 3);
  EXPECT_EQ(spec["backoffLimit"], 2147483647);
  EXPECT_EQ(spec["completionMode"], "Indexed");
  EXPECT_EQ(spec["podReplacementPolicy"], "Failed");
  EXPECT_EQ(spec["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"], "True");
  EXPECT_FALSE(spec["template"]["spec"].contains("restartPolicy"));

  json only_parallelism = {{"apiVersion", "batch/v1"},
                           {"kind", "Job"},
                           {"metadata", {{"name", "j"}, {"labels", {{"team", "a"}}}}},
                           {"spec", {{"parallelism", 2}}}};
  json out = defaulted("batch", "Job", only_parallelism);
  EXPECT_FALSE(out["spec"].contains("completions"));
  EXPECT_EQ(out["spec"]["parallelism"], 2);
  EXPECT_EQ(out["metadata"]["labels"], json({{"team", "a"}}));
}

TEST(DefaultsTest, CronJob) {
  json cron = json::parse(R"({
    "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
    "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {
      "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "backup:2"}]}}}}}
  })");
  json expected = json::parse(R"({
    "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
    "spec": {
      "schedule": "0 3 * * *", "concurrencyPolicy": "Allow", "suspend": false,
      "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
      "jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "backup:2", "imagePullPolicy": "IfNotPresent",
                        "resources": {}, "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File"}],
        "dnsPolicy": "ClusterFirst", "restartPolicy": "OnFailure",
        "schedulerName": "default-scheduler", "securityContext": {},
        "terminationGracePeriodSeconds": 30
      }}}}
    }
  })");
  EXPECT_EQ(defaulted("batch", "CronJob", cron), expected);
}

TEST(DefaultsTest, Service) {
  json svc = json::parse(R"({
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"},
             "ports": [{"port": 80}, {"name": "dns", "port": 53, "protocol": "UDP",
                                      "targetPort": "dns"}]}
  })");
  json expected = json::parse(R"({
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
    "spec": {
      "selector": {"app": "web"},
      "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80},
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"}],
      "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
      "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]
    },
    "status": {"loadBalancer": {}}
  })");
  EXPECT_EQ(defaulted("", "Service", svc), expected);
}

TEST(DefaultsTest, ServiceTypes) {
  auto service = [](const char* spec) {
    json svc = {{"apiVersion", "v1"}, {"kind", "Service"}, {"spec", json::parse(spec)}};
    return defaulted("", "Service", svc)["spec"];
  };
  json node_port = service(R"({"type": "NodePort", "ports": [{"port": 80, "targetPort": 0}]})");
  EXPECT_EQ(node_port["externalTrafficPolicy"], "Cluster");
  EXPECT_EQ(node_port["internalTrafficPolicy"], "Cluster");
  EXPECT_EQ(node_port["ports"][0]["targetPort"], 80);
  EXPECT_FALSE(node_port.contains("allocateLoadBalancerNodePorts"));

  json lb = service(
      R"({"type": "LoadBalancer", "externalTrafficPolicy": "Local", "ports": [{"port": 443}]})");
  EXPECT_EQ(lb["externalTrafficPolicy"], "Local");
  EXPECT_EQ(lb["allocateLoadBalancerNodePorts"], true);

  json external_ips = service(R"({"externalIPs": ["203.0.113.7"], "ports": [{"port": 80}]})");
  EXPECT_EQ(external_ips["externalTrafficPolicy"], "Cluster");

  json headless = service(R"({"clusterIP": "None", "selector": {"app": "db"}})");
  EXPECT_EQ(headless["ipFamilyPolicy"], "SingleStack");
  EXPECT_EQ(headless["ipFamilies"], json({"IPv4"}));

  json headless_no_selector = service(R"({"clusterIP": "None"})");
  EXPECT_EQ(headless_no_selector["ipFamilyPolicy"], "RequireDualStack");
  EXPECT_EQ(headless_no_selector["ipFamilies"], json({"IPv4", "IPv6"}));

  json external_name = service(R"({"type": "ExternalName", "externalName": "db.example.com"})");
  EXPECT_EQ(external_name, json::parse(R"({"type": "ExternalName", "externalName": "db.example.com",
                                           "sessionAffinity": "None"})"));

  json client_ip = service(R"({"sessionAffinity": "ClientIP"})");
  EXPECT_EQ(client_ip["sessionAffinityConfig"],
            json::parse(R"({"clientIP": {"timeoutSeconds": 10800}})"));
  json none = service(R"({"sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}})");
  EXPECT_FALSE(none.contains("sessionAffinityConfig"));
}

TEST(DefaultsTest, ServiceLoadBalancerStatus) {
  json svc = json::parse(R"({
    "apiVersion": "v1", "kind": "Service", "spec": {"type": "LoadBalancer"},
    "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.1"}, {"hostname": "lb.example.com"}]}}
  })");
  EXPECT_EQ(defaulted("", "Service", svc)["status"], json::parse(R"({"loadBalancer": {"ingress": [
    {"ip": "198.51.100.1", "ipMode": "VIP"}, {"hostname": "lb.example.com"}]}})"));
}

TEST(DefaultsTest, PersistentVolumeClaim) {
  json pvc = json::parse(R"({
    "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "0.5Gi"},
                                                            "limits": {"storage": "2048Mi"}}}
  })");
  json expected = json::parse(R"({
    "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
    "spec": {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem",
             "resources": {"requests": {"storage": "512Mi"}, "limits": {"storage": "2Gi"}}},
    "status": {"phase": "Pending"}
  })");
  EXPECT_EQ(defaulted("", "PersistentVolumeClaim", pvc), expected);

  json block = json::parse(R"({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                               "spec": {"volumeMode": "Block"}, "status": {"phase": "Bound"}})");
  json out = defaulted("", "PersistentVolumeClaim", block);
  EXPECT_EQ(out["spec"]["volumeMode"], "Block");
  EXPECT_EQ(out["status"]["phase"], "Bound");
}

TEST(DefaultsTest, PersistentVolume) {
  json pv = json::parse(R"({
    "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv1"},
    "spec": {"capacity": {"storage": "10240Mi"}, "hostPath": {"path": "/data"}}
  })");
  json expected = json::parse(R"({
    "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv1"},
    "spec": {"capacity": {"storage": "10Gi"}, "hostPath": {"path": "/data", "type": ""},
             "persistentVolumeReclaimPolicy": "Retain", "volumeMode": "Filesystem"},
    "status": {"phase": "Pending"}
  })");
  EXPECT_EQ(defaulted("", "PersistentVolume", pv), expected);
}

TEST(DefaultsTest, Secret) {
  json secret = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}};
  json expected = secret;
  expected["type"] = "Opaque";
  EXPECT_EQ(defaulted("", "Secret", secret), expected);
  json tls = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"type", "kubernetes.io/tls"}};
  EXPECT_EQ(defaulted("", "Secret", tls), tls);
}

TEST(DefaultsTest, Namespace) {
  json ns = json::parse(R"({"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": "prod", "labels": {"team": "a",
                                         "kubernetes.io/metadata.name": "wrong"}}})");
  json expected = json::parse(R"({"apiVersion": "v1", "kind": "Namespace",
                                  "metadata": {"name": "prod", "labels": {"team": "a",
                                               "kubernetes.io/metadata.name": "prod"}},
                                  "status": {"phase": "Active"}})");
  EXPECT_EQ(defaulted("", "Namespace", ns), expected);
}

TEST(DefaultsTest, ServiceAccountAndUnknownKindsAreUntouched) {
  json sa = {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "bot"}}}};
  EXPECT_EQ(defaulted("", "ServiceAccount", sa), sa);
  json pdb = {{"apiVersion", "policy/v1"},
              {"kind", "PodDisruptionBudget"},
              {"spec", {{"minAvailable", 1}}}};
  EXPECT_EQ(defaulted("policy", "PodDisruptionBudget", pdb), pdb);
  json custom = {
      {"apiVersion", "ferry.dev/v1alpha1"}, {"kind", "Application"}, {"spec", json::object()}};
  EXPECT_EQ(defaulted("ferry.dev", "Application", custom), custom);
  // A Deployment in another group is not a Deployment.
  json other = {{"apiVersion", "example.com/v1"}, {"kind", "Deployment"}, {"spec", json::object()}};
  EXPECT_EQ(defaulted("example.com", "Deployment", other), other);
  json not_object = json::array({1, 2});
  EXPECT_EQ(defaulted("apps", "Deployment", not_object), not_object);
}

TEST(DefaultsTest, NetworkPolicy) {
  json ingress_only = json::parse(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"},
    "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}]}
  })");
  json expected = json::parse(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
             "ingress": [{"ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}]}
  })");
  EXPECT_EQ(defaulted("networking.k8s.io", "NetworkPolicy", ingress_only), expected);

  json with_egress = json::parse(R"({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
    "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 443}]}]}})");
  json spec = defaulted("networking.k8s.io", "NetworkPolicy", with_egress)["spec"];
  EXPECT_EQ(spec["policyTypes"], json({"Ingress", "Egress"}));
  EXPECT_EQ(spec["egress"][0]["ports"][0]["protocol"], "TCP");

  json explicit_types =
      json::parse(R"({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
    "spec": {"podSelector": {}, "policyTypes": ["Egress"]}})");
  EXPECT_EQ(defaulted("networking.k8s.io", "NetworkPolicy", explicit_types), explicit_types);
}

TEST(DefaultsTest, IngressHasNoDefaults) {
  json ingress = json::parse(R"({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix",
      "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})");
  EXPECT_EQ(defaulted("networking.k8s.io", "Ingress", ingress), ingress);
  json ingress_class = json::parse(R"({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
    "spec": {"controller": "example.com/ingress", "parameters": {"kind": "Params", "name": "p"}}})");
  EXPECT_EQ(
      defaulted("networking.k8s.io", "IngressClass", ingress_class)["spec"]["parameters"]["scope"],
      "Cluster");
}

TEST(DefaultsTest, ResourceQuota) {
  json quota = json::parse(R"({"apiVersion": "v1", "kind": "ResourceQuota",
    "spec": {"hard": {"requests.cpu": "4000m", "requests.memory": "8192Mi", "pods": 10}}})");
  EXPECT_EQ(defaulted("", "ResourceQuota", quota)["spec"]["hard"],
            json::parse(R"({"requests.cpu": "4", "requests.memory": "8Gi", "pods": "10"})"));
}

TEST(DefaultsTest, LimitRange) {
  json range = json::parse(R"({"apiVersion": "v1", "kind": "LimitRange", "spec": {"limits": [
    {"type": "Container", "max": {"cpu": "2000m", "memory": "1Gi"}, "min": {"cpu": "0.1"},
     "default": {"memory": "512Mi"}},
    {"type": "PersistentVolumeClaim", "max": {"storage": "10240Mi"}}
  ]}})");
  EXPECT_EQ(defaulted("", "LimitRange", range)["spec"]["limits"], json::parse(R"([
    {"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m"},
     "default": {"cpu": "2", "memory": "512Mi"},
     "defaultRequest": {"cpu": "2", "memory": "512Mi"}},
    {"type": "PersistentVolumeClaim", "max": {"storage": "10Gi"}}
  ])"));
}

TEST(DefaultsTest, HorizontalPodAutoscaler) {
  json hpa = json::parse(R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "spec": {"maxReplicas": 5, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                                 "name": "web"}}})");
  json spec = defaulted("autoscaling", "HorizontalPodAutoscaler", hpa)["spec"];
  EXPECT_EQ(spec["minReplicas"], 1);
  EXPECT_EQ(spec["metrics"], json::parse(R"([{"type": "Resource", "resource": {"name": "cpu",
    "target": {"type": "Utilization", "averageUtilization": 80}}}])"));
  EXPECT_FALSE(spec.contains("behavior"));

  json with_behavior =
      json::parse(R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "spec": {"maxReplicas": 5, "minReplicas": 2,
             "metrics": [{"type": "Pods", "pods": {"metric": {"name": "qps"},
                          "target": {"type": "AverageValue", "averageValue": "1000m"}}}],
             "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}})");
  spec = defaulted("autoscaling", "HorizontalPodAutoscaler", with_behavior)["spec"];
  EXPECT_EQ(spec["minReplicas"], 2);
  EXPECT_EQ(spec["metrics"][0]["pods"]["target"]["averageValue"], "1");
  EXPECT_EQ(spec["behavior"], json::parse(R"({
    "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
      {"type": "Pods", "value": 4, "periodSeconds": 15},
      {"type": "Percent", "value": 100, "periodSeconds": 15}]},
    "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max", "policies": [
      {"type": "Percent", "value": 100, "periodSeconds": 15}]}
  })"));

  json v1 = json::parse(R"({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
    "spec": {"maxReplicas": 3}})");
  EXPECT_EQ(
      defaulted("autoscaling", "HorizontalPodAutoscaler", v1)["spec"],
      json::parse(R"({"maxReplicas": 3, "minReplicas": 1, "targetCPUUtilizationPercentage": 80})"));
}

TEST(DefaultsTest, RoleBinding) {
  json binding =
      json::parse(R"({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
    "roleRef": {"kind": "Role", "name": "reader"},
    "subjects": [{"kind": "ServiceAccount", "name": "bot", "namespace": "ns"},
                 {"kind": "User", "name": "alice"}, {"kind": "Group", "name": "devs"}]})");
  json out = defaulted("rbac.authorization.k8s.io", "RoleBinding", binding);
  EXPECT_EQ(out["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
  EXPECT_FALSE(out["subjects"][0].contains("apiGroup"));
  EXPECT_EQ(out["subjects"][1]["apiGroup"], "rbac.authorization.k8s.io");
  EXPECT_EQ(out["subjects"][2]["apiGroup"], "rbac.authorization.k8s.io");
}

TEST(DefaultsTest, ReplicationControllerAndPodTemplate) {
  json rc = {{"apiVersion", "v1"},
             {"kind", "ReplicationController"},
             {"metadata", {{"name", "rc"}}},
             {"spec", {{"template", minimal_template()}}}};
  json expected = rc;
  expected["metadata"]["labels"] = {{"app", "web"}};
  expected["spec"]["replicas"] = 1;
  expected["spec"]["selector"] = {{"app", "web"}};
  expected["spec"]["template"] = defaulted_template();
  EXPECT_EQ(defaulted("", "ReplicationController", rc), expected);

  json pt = {{"apiVersion", "v1"}, {"kind", "PodTemplate"}, {"template", minimal_template()}};
  EXPECT_EQ(defaulted("", "PodTemplate", pt)["template"], defaulted_template());
}

TEST(DefaultsTest, EndpointsAndSlices) {
  json endpoints = json::parse(R"({"apiVersion": "v1", "kind": "Endpoints",
    "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]})");
  EXPECT_EQ(defaulted("", "Endpoints", endpoints)["subsets"][0]["ports"][0]["protocol"], "TCP");
  json slice = json::parse(R"({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
    "addressType": "IPv4", "ports": [{"port": 80}]})");
  EXPECT_EQ(defaulted("discovery.k8s.io", "EndpointSlice", slice)["ports"],
            json::parse(R"([{"port": 80, "name": "", "protocol": "TCP"}])"));
}

TEST(DefaultsTest, CustomResourceDefinition) {
  json crd =
      json::parse(R"({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "spec": {"group": "ferry.dev", "scope": "Namespaced",
             "names": {"kind": "Application", "plural": "applications"}}})");
  json spec = defaulted("apiextensions.k8s.io", "CustomResourceDefinition", crd)["spec"];
  EXPECT_EQ(spec["names"], json::parse(R"({"kind": "Application", "plural": "applications",
                                           "singular": "application", "listKind": "ApplicationList"})"));
  EXPECT_EQ(spec["conversion"], json::parse(R"({"strategy": "None"})"));
}

TEST(DefaultsTest, DefaultingIsIdempotent) {
  json deployment = {{"apiVersion", "apps/v1"},
                     {"kind", "Deployment"},
                     {"metadata", {{"name", "web"}}},
                     {"spec", {{"template", minimal_template()}}}};
  json once = defaulted("apps", "Deployment", deployment);
  EXPECT_EQ(defaulted("apps", "Deployment", once), once);
  json svc = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"spec", {{"ports", json::array({{{"port", 80}}})}}}};
  json svc_once = defaulted("", "Service", svc);
  EXPECT_EQ(defaulted("", "Service", svc_once), svc_once);
}

}  // namespace
}  // namespace ferry::kube
