#include "kube/machinery/schema.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ferry::kube {
namespace {

using Path = std::vector<std::string>;

ListType deployment(const Path& path) { return list_type("apps", "Deployment", path); }

::testing::AssertionResult is_map(const ListType& type, const std::vector<std::string>& keys) {
  if (type.kind != ListType::kMap)
    return ::testing::AssertionFailure() << "not a map list (kind " << type.kind << ")";
  if (type.keys != keys) return ::testing::AssertionFailure() << "keys differ";
  return ::testing::AssertionSuccess();
}

TEST(SchemaTest, PodSpecListsKeyedByName) {
  for (const char* field :
       {"containers", "initContainers", "ephemeralContainers", "volumes", "imagePullSecrets"}) {
    EXPECT_TRUE(is_map(list_type("", "Pod", {"spec", field}), {"name"})) << field;
    EXPECT_TRUE(is_map(deployment({"spec", "template", "spec", field}), {"name"})) << field;
  }
}

TEST(SchemaTest, ContainerLists) {
  for (const char* containers : {"containers", "initContainers", "ephemeralContainers"}) {
    const Path base{"spec", "template", "spec", containers};
    auto at = [&](const char* field) {
      Path path = base;
      path.push_back(field);
      return deployment(path);
    };
    EXPECT_TRUE(is_map(at("env"), {"name"}));
    EXPECT_TRUE(is_map(at("volumeMounts"), {"mountPath"}));
    EXPECT_TRUE(is_map(at("volumeDevices"), {"devicePath"}));
    EXPECT_TRUE(is_map(at("ports"), {"containerPort", "protocol"}));
    EXPECT_EQ(at("envFrom").kind, ListType::kAtomic);
    EXPECT_EQ(at("args").kind, ListType::kAtomic);
    EXPECT_EQ(at("command").kind, ListType::kAtomic);
  }
}

TEST(SchemaTest, PodLevelListsOtherThanName) {
  EXPECT_TRUE(is_map(list_type("", "Pod", {"spec", "hostAliases"}), {"ip"}));
  EXPECT_TRUE(is_map(list_type("", "Pod", {"spec", "topologySpreadConstraints"}),
                     {"topologyKey", "whenUnsatisfiable"}));
  EXPECT_EQ(list_type("", "Pod", {"spec", "tolerations"}).kind, ListType::kAtomic);
  EXPECT_EQ(list_type("", "Pod", {"spec", "hostAliases", "hostnames"}).kind, ListType::kAtomic);
}

TEST(SchemaTest, PodTemplatesOfEveryWorkloadResolveLikePodSpec) {
  const Path containers{"spec", "template", "spec", "containers"};
  for (const char* kind : {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"}) {
    EXPECT_TRUE(is_map(list_type("apps", kind, containers), {"name"})) << kind;
  }
  EXPECT_TRUE(is_map(list_type("batch", "Job", containers), {"name"}));
  EXPECT_TRUE(is_map(list_type("", "ReplicationController", containers), {"name"}));
  EXPECT_TRUE(is_map(list_type("", "PodTemplate", {"template", "spec", "containers"}), {"name"}));
  EXPECT_TRUE(
      is_map(list_type("batch", "CronJob",
                       {"spec", "jobTemplate", "spec", "template", "spec", "containers", "env"}),
             {"name"}));
  EXPECT_EQ(list_type("batch", "CronJob",
                      {"spec", "jobTemplate", "spec", "template", "metadata", "finalizers"})
                .kind,
            ListType::kSet);
  EXPECT_EQ(deployment({"spec", "template", "metadata", "finalizers"}).kind, ListType::kSet);
}

TEST(SchemaTest, ServicePortsKeyedByPortAndProtocol) {
  EXPECT_TRUE(is_map(list_type("", "Service", {"spec", "ports"}), {"port", "protocol"}));
  EXPECT_EQ(list_type("", "Service", {"spec", "externalIPs"}).kind, ListType::kAtomic);
}

TEST(SchemaTest, ObjectMetaListsForAllKinds) {
  for (auto [group, kind] : std::vector<std::pair<const char*, const char*>>{
           {"", "ConfigMap"}, {"apps", "Deployment"}, {"example.com", "Widget"}}) {
    EXPECT_EQ(list_type(group, kind, {"metadata", "finalizers"}).kind, ListType::kSet) << kind;
    EXPECT_TRUE(is_map(list_type(group, kind, {"metadata", "ownerReferences"}), {"uid"})) << kind;
    EXPECT_EQ(list_type(group, kind, {"metadata", "managedFields"}).kind, ListType::kAtomic)
        << kind;
  }
}

TEST(SchemaTest, WorkloadConditionsKeyedByType) {
  EXPECT_TRUE(is_map(deployment({"status", "conditions"}), {"type"}));
  EXPECT_TRUE(is_map(list_type("", "Pod", {"status", "conditions"}), {"type"}));
  EXPECT_TRUE(is_map(list_type("batch", "Job", {"status", "conditions"}), {"type"}));
  EXPECT_EQ(list_type("example.com", "Widget", {"status", "conditions"}).kind, ListType::kAtomic);
}

TEST(SchemaTest, AtomicLists) {
  EXPECT_EQ(list_type("apps", "StatefulSet", {"spec", "volumeClaimTemplates"}).kind,
            ListType::kAtomic);
  EXPECT_EQ(list_type("rbac.authorization.k8s.io", "Role", {"rules"}).kind, ListType::kAtomic);
  EXPECT_EQ(list_type("rbac.authorization.k8s.io", "ClusterRole", {"rules"}).kind,
            ListType::kAtomic);
  EXPECT_EQ(list_type("networking.k8s.io", "Ingress", {"spec", "rules"}).kind, ListType::kAtomic);
  EXPECT_EQ(deployment({"spec", "template", "spec", "tolerations"}).kind, ListType::kAtomic);
}

TEST(SchemaTest, UnknownListsAreAtomic) {
  EXPECT_EQ(list_type("example.com", "Widget", {"spec", "containers"}).kind, ListType::kAtomic);
  EXPECT_EQ(list_type("example.com", "Widget", {"spec", "template", "spec", "containers"}).kind,
            ListType::kAtomic);
  EXPECT_EQ(list_type("", "ConfigMap", {"data"}).kind, ListType::kAtomic);
  EXPECT_EQ(list_type("", "Pod", {}).kind, ListType::kAtomic);
  EXPECT_EQ(deployment({"spec", "template"}).kind, ListType::kAtomic);
  // Deeper lists that merely share a name with a map list.
  EXPECT_EQ(list_type("", "Pod", {"spec", "volumes", "projected", "sources"}).kind,
            ListType::kAtomic);
  EXPECT_EQ(
      list_type("", "Pod", {"spec", "containers", "securityContext", "capabilities", "add"}).kind,
      ListType::kAtomic);
}

TEST(SchemaTest, KeyDefaults) {
  EXPECT_EQ(list_key_default("protocol"), "TCP");
  EXPECT_EQ(list_key_default("name"), "");
  EXPECT_EQ(list_key_default("containerPort"), "");
}

}  // namespace
}  // namespace ferry::kube
