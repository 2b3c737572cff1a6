// The install artifacts against the simulator with real kubectl and helm: `kubectl apply -k
// examples/deploy` (and its namespaced variant) and the rendered chart charts/ferry are accepted
// by a server-side dry run, and what lands in the cluster is what `ferry controller` needs to run
// hardened: a pinned image of this version, flags the binary knows, probes on its endpoints, a
// non-root read-only container, its data on a PVC and only its port open. The high-availability
// variants (examples/deploy/ha, the chart's ha.* values) run several replicas on a PostgreSQL
// store with Leases, and the chart refuses several replicas without them.
#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "tests/integration/deploy/deploy_fixture.h"

namespace ferry::testing {
namespace {

CommandResult helm(const TempDir& home, std::vector<std::string> args) {
  args.insert(args.begin(), helm_bin());
  return run_command(args, {{"HOME", home.path()}, {"XDG_CACHE_HOME", home.path() + "/cache"},
                            {"XDG_CONFIG_HOME", home.path() + "/config"}, {"XDG_DATA_HOME", home.path() + "/data"}});
}

// "0.1.0" from `ferry version --client` ("ferry 0.1.0").
std::string ferry_version() {
  CommandResult r = run_command({ferry_bin(), "version", "--client"});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  std::string out = r.out.substr(0, r.out.find('\n'));
  return out.substr(out.rfind(' ') + 1);
}

std::set<std::string> kinds_of(const std::string& yaml_stream) {
  std::set<std::string> kinds;
  size_t at = 0;
  while ((at = yaml_stream.find("\nkind: ", at)) != std::string::npos) {
    at += 7;
    kinds.insert(yaml_stream.substr(at, yaml_stream.find('\n', at) - at));
  }
  return kinds;
}

// The Deployment's args as `ferry controller` flags (name -> value, "" for a bare flag); each must
// be a flag the binary knows.
std::map<std::string, std::string> controller_flags(const Json& deployment) {
  std::map<std::string, std::string> flags;
  CommandResult help = run_command({ferry_bin(), "controller", "--help"});
  EXPECT_EQ(help.exit_code, 0) << show(help);
  const Json args = only_container(deployment).at("args");
  EXPECT_FALSE(args.empty());
  if (args.empty()) return flags;
  EXPECT_EQ(args[0], "controller");
  for (size_t i = 1; i < args.size(); ++i) {
    std::string arg = args[i];
    EXPECT_EQ(arg.rfind("--", 0), 0u) << arg;
    std::string name = arg.substr(0, arg.find('='));
    EXPECT_NE(help.out.find("  " + name + " "), std::string::npos) << name << " is not a flag of ferry controller";
    flags[name] = arg.find('=') == std::string::npos ? "" : arg.substr(arg.find('=') + 1);
  }
  return flags;
}

// What the pod of either artifact must say, whatever renders it and however many replicas run it.
// Returns the controller's flags.
std::map<std::string, std::string> expect_hardened_pod(const Json& deployment) {
  const Json& pod = deployment.at(Json::json_pointer("/spec/template/spec"));
  EXPECT_EQ(pod.value("automountServiceAccountToken", false), true);  // in-cluster config needs the token
  EXPECT_EQ(pod.at("securityContext").value("runAsNonRoot", false), true);
  EXPECT_EQ(pod.at("securityContext").value("runAsUser", 0), 65532);
  EXPECT_EQ(pod.at(Json::json_pointer("/securityContext/seccompProfile/type")), "RuntimeDefault");

  Json c = only_container(deployment);
  EXPECT_EQ(c.value("image", ""), "ghcr.io/ferry-dev/ferry:" + ferry_version());
  const Json& sc = c.at("securityContext");
  EXPECT_EQ(sc.value("readOnlyRootFilesystem", false), true);
  EXPECT_EQ(sc.value("allowPrivilegeEscalation", true), false);
  EXPECT_EQ(sc.value("privileged", true), false);
  EXPECT_EQ(sc.at(Json::json_pointer("/capabilities/drop")), Json::array({"ALL"}));
  EXPECT_EQ(c.at(Json::json_pointer("/livenessProbe/httpGet/path")), "/healthz");
  EXPECT_EQ(c.at(Json::json_pointer("/readinessProbe/httpGet/path")), "/readyz");
  EXPECT_EQ(c.at(Json::json_pointer("/readinessProbe/httpGet/port")), "http");
  EXPECT_EQ(c.at(Json::json_pointer("/ports/0/name")), "http");
  for (const char* field : {"/resources/requests/cpu", "/resources/requests/memory", "/resources/limits/cpu",
                            "/resources/limits/memory"}) {
    EXPECT_TRUE(c.contains(Json::json_pointer(field))) << field << " missing in " << c.dump(2);
  }

  // The args are `ferry controller` flags the binary knows, in-cluster (no --kubeconfig), listening
  // on the container port, with the data dir and the settings where the volumes are mounted.
  std::map<std::string, std::string> flags = controller_flags(deployment);
  EXPECT_EQ(flags.count("--kubeconfig"), 0u);
  EXPECT_EQ(flags["--namespace"], "$(POD_NAMESPACE)");
  EXPECT_EQ(c.at(Json::json_pointer("/env/0/valueFrom/fieldRef/fieldPath")), "metadata.namespace");
  EXPECT_EQ(flags["--listen"], "0.0.0.0:" + std::to_string(c.at(Json::json_pointer("/ports/0/containerPort")).get<int>()));
  EXPECT_EQ(flags["--data-dir"], mount_path(deployment, "data"));
  EXPECT_EQ(flags["--settings"], mount_path(deployment, "settings"));
  EXPECT_FALSE(mount_path(deployment, "tmp").empty());  // the root filesystem is read-only
  return flags;
}

// One replica: its SQLite ledger on the claim `data_claim`, one writer at a time.
void expect_hardened_controller(const Json& deployment, const std::string& data_claim) {
  EXPECT_EQ(deployment.at(Json::json_pointer("/spec/replicas")), 1);
  EXPECT_EQ(deployment.at(Json::json_pointer("/spec/strategy/type")), "Recreate");  // one SQLite writer
  expect_hardened_pod(deployment);
  EXPECT_EQ(pod_volume(deployment, "data").at(Json::json_pointer("/persistentVolumeClaim/claimName")), data_claim);
}

// The env variable `name` of the one container; null when none.
Json env_var(const Json& deployment, const std::string& name) {
  for (const Json& e : only_container(deployment).value("env", Json::array())) {
    if (e.value("name", "") == name) return e;
  }
  return nullptr;
}

// Several replicas, whatever renders them: `mode_flag` (--leader-elect or --shards=N) with the
// lease timings, the replica identity from the pod name, the PostgreSQL URL from the Secret
// `store_secret` and never in the args, a data dir of its own per pod (no shared claim), rolling
// updates, and replicas spread over nodes.
void expect_ha_controller(const Json& deployment, int replicas, const std::string& mode_flag,
                          const std::string& store_secret) {
  EXPECT_EQ(deployment.at(Json::json_pointer("/spec/replicas")), replicas);
  EXPECT_EQ(deployment.at(Json::json_pointer("/spec/strategy/type")), "RollingUpdate");
  std::map<std::string, std::string> flags = expect_hardened_pod(deployment);
  std::string mode = mode_flag.substr(0, mode_flag.find('='));
  ASSERT_EQ(flags.count(mode), 1u) << mode_flag << " missing";
  EXPECT_EQ(flags[mode], mode_flag.find('=') == std::string::npos ? "" : mode_flag.substr(mode_flag.find('=') + 1));
  EXPECT_EQ(flags.count("--leader-elect") + flags.count("--shards"), 1u);  // they exclude each other
  EXPECT_EQ(flags["--leader-elect-lease-duration"], "15s");
  EXPECT_EQ(flags["--leader-elect-renew-deadline"], "10s");
  EXPECT_EQ(flags["--leader-elect-retry-period"], "2s");
  EXPECT_EQ(flags.count("--store"), 0u);  // the URL holds a password: from the Secret only
  EXPECT_EQ(flags.count("--replica-id"), 0u);  // POD_NAME, unique per pod

  Json store = env_var(deployment, "FERRY_STORE");
  ASSERT_TRUE(store.is_object()) << only_container(deployment).dump(2);
  EXPECT_FALSE(store.contains("value")) << store.dump();
  EXPECT_EQ(store.at(Json::json_pointer("/valueFrom/secretKeyRef/name")), store_secret);
  EXPECT_EQ(store.at(Json::json_pointer("/valueFrom/secretKeyRef/key")), "url");
  Json pod_name = env_var(deployment, "POD_NAME");
  ASSERT_TRUE(pod_name.is_object()) << only_container(deployment).dump(2);
  EXPECT_EQ(pod_name.at(Json::json_pointer("/valueFrom/fieldRef/fieldPath")), "metadata.name");

  Json data = pod_volume(deployment, "data");
  EXPECT_TRUE(data.contains("emptyDir")) << data.dump();
  EXPECT_FALSE(data.contains("persistentVolumeClaim")) << data.dump();

  const Json& pod = deployment.at(Json::json_pointer("/spec/template/spec"));
  const Json& term = pod.at(Json::json_pointer("/affinity/podAntiAffinity"))
                         .at("preferredDuringSchedulingIgnoredDuringExecution")
                         .at(0)
                         .at("podAffinityTerm");
  EXPECT_EQ(term.at("topologyKey"), "kubernetes.io/hostname");
  EXPECT_EQ(term.at(Json::json_pointer("/labelSelector/matchLabels")),
            deployment.at(Json::json_pointer("/spec/selector/matchLabels")));
}

// The RoleBinding `binding` in namespace ferry gives Ferry's ServiceAccount a Role with every verb
// the Lease code uses on coordination.k8s.io leases, in that namespace.
void expect_lease_rights(const SimProcess& sim, const std::string& binding) {
  Json rb = get_json(sim, {"rolebinding", binding, "-n", "ferry"});
  EXPECT_EQ(rb.at(Json::json_pointer("/roleRef/kind")), "Role");
  EXPECT_EQ(rb.at(Json::json_pointer("/subjects/0/kind")), "ServiceAccount");
  EXPECT_EQ(rb.at(Json::json_pointer("/subjects/0/name")), "ferry");
  EXPECT_EQ(rb.at(Json::json_pointer("/subjects/0/namespace")), "ferry");
  Json role = get_json(sim, {"role", rb.at(Json::json_pointer("/roleRef/name")).get<std::string>(), "-n", "ferry"});
  std::set<std::string> verbs;
  for (const Json& rule : role.at("rules")) {
    const Json groups = rule.value("apiGroups", Json::array());
    const Json resources = rule.value("resources", Json::array());
    if (std::find(groups.begin(), groups.end(), Json("coordination.k8s.io")) == groups.end()) continue;
    if (std::find(resources.begin(), resources.end(), Json("leases")) == resources.end()) continue;
    for (const Json& v : rule.at("verbs")) verbs.insert(v.get<std::string>());
  }
  EXPECT_EQ(verbs, (std::set<std::string>{"create", "delete", "get", "list", "patch", "update", "watch"}))
      << role.dump(2);
}

class KustomizeInstall : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(sim.ok()) << sim.error(); }
  SimProcess sim{true, 100};
};

TEST_F(KustomizeInstall, ServerDryRunAcceptsEveryObjectAndStoresNone) {
  apply_namespace(sim);
  CommandResult dry = sim.kubectl({"apply", "--dry-run=server", "-k", deploy_dir()});
  ASSERT_EQ(dry.exit_code, 0) << show(dry);
  for (const char* object :
       {"customresourcedefinition.apiextensions.k8s.io/applications.ferry.dev",
        "customresourcedefinition.apiextensions.k8s.io/appprojects.ferry.dev", "serviceaccount/ferry",
        "clusterrole.rbac.authorization.k8s.io/ferry-controller",
        "clusterrolebinding.rbac.authorization.k8s.io/ferry-controller", "configmap/ferry-cm", "secret/ferry-secret",
        "service/ferry", "persistentvolumeclaim/ferry-data", "deployment.apps/ferry",
        "networkpolicy.networking.k8s.io/ferry"}) {
    EXPECT_NE(dry.out.find(std::string(object) + " created (server dry run)"), std::string::npos)
        << object << "\n" << dry.out;
  }
  EXPECT_NE(sim.kubectl({"get", "deployment", "ferry", "-n", "ferry"}).exit_code, 0);
  EXPECT_NE(sim.kubectl({"get", "crd", "applications.ferry.dev"}).exit_code, 0);
}

TEST_F(KustomizeInstall, AppliedObjectsAreWhatTheControllerNeeds) {
  CommandResult applied = sim.kubectl({"apply", "-k", deploy_dir()});
  ASSERT_EQ(applied.exit_code, 0) << show(applied);

  Json deployment = get_json(sim, {"deployment", "ferry", "-n", "ferry"});
  expect_hardened_controller(deployment, "ferry-data");
  EXPECT_EQ(deployment.at(Json::json_pointer("/spec/template/spec/serviceAccountName")), "ferry");
  Json sources = pod_volume(deployment, "settings").at(Json::json_pointer("/projected/sources"));
  EXPECT_EQ(sources.at(Json::json_pointer("/0/configMap/name")), "ferry-cm");
  EXPECT_EQ(sources.at(Json::json_pointer("/1/secret/name")), "ferry-secret");

  Json binding = get_json(sim, {"clusterrolebinding", "ferry-controller"});
  EXPECT_EQ(binding.at(Json::json_pointer("/subjects/0/name")), "ferry");
  EXPECT_EQ(binding.at(Json::json_pointer("/subjects/0/namespace")), "ferry");
  std::string role = binding.at(Json::json_pointer("/roleRef/name"));
  Json cluster_role = get_json(sim, {"clusterrole", role});
  EXPECT_EQ(cluster_role.at(Json::json_pointer("/rules/0/verbs")), Json::array({"*"}));
  EXPECT_FALSE(cluster_role.at(Json::json_pointer("/metadata/annotations"))
                   .value("ferry.dev/policy-exempt-reason", "")
                   .empty());

  // The token is mounted only where the Deployment asks for it.
  EXPECT_EQ(get_json(sim, {"serviceaccount", "ferry", "-n", "ferry"}).value("automountServiceAccountToken", true), false);
  EXPECT_EQ(get_json(sim, {"pvc", "ferry-data", "-n", "ferry"}).at(Json::json_pointer("/spec/accessModes/0")),
            "ReadWriteOnce");
  Json service = get_json(sim, {"service", "ferry", "-n", "ferry"});
  EXPECT_EQ(service.at(Json::json_pointer("/spec/type")), "ClusterIP");
  EXPECT_EQ(service.at(Json::json_pointer("/spec/ports/0/targetPort")), "http");
  Json policy = get_json(sim, {"networkpolicy", "ferry", "-n", "ferry"});
  EXPECT_EQ(policy.at(Json::json_pointer("/spec/policyTypes")), Json::array({"Ingress"}));
  const Json& ingress = policy.at(Json::json_pointer("/spec/ingress"));
  ASSERT_EQ(ingress.size(), 1u) << ingress.dump();
  EXPECT_EQ(ingress.at(Json::json_pointer("/0/ports")).size(), 1u);
  EXPECT_EQ(ingress.at(Json::json_pointer("/0/ports/0/port")),
            only_container(deployment).at(Json::json_pointer("/ports/0/containerPort")));
  EXPECT_FALSE(ingress[0].contains("from"));  // webhooks arrive from anywhere the Service is reachable
  EXPECT_EQ(policy.at(Json::json_pointer("/spec/podSelector/matchLabels")),
            deployment.at(Json::json_pointer("/spec/selector/matchLabels")));

  // The simulator makes the Deployment ready; the Applications CRD is served.
  CommandResult rollout = sim.kubectl({"rollout", "status", "deployment/ferry", "-n", "ferry", "--timeout=60s"});
  EXPECT_EQ(rollout.exit_code, 0) << show(rollout);
  EXPECT_EQ(sim.kubectl({"get", "applications.ferry.dev", "-n", "ferry"}).exit_code, 0);
}

TEST_F(KustomizeInstall, NamespacedVariantNeedsNoClusterWideRights) {
  CommandResult rendered = sim.kubectl({"kustomize", deploy_dir() + "/namespaced"});
  ASSERT_EQ(rendered.exit_code, 0) << show(rendered);
  std::set<std::string> kinds = kinds_of(rendered.out);
  EXPECT_TRUE(kinds.count("Role") && kinds.count("RoleBinding")) << rendered.out;
  for (const char* cluster_wide : {"ClusterRole", "ClusterRoleBinding", "Namespace", "CustomResourceDefinition"}) {
    EXPECT_EQ(kinds.count(cluster_wide), 0u) << cluster_wide;
  }

  apply_namespace(sim);
  CommandResult dry = sim.kubectl({"apply", "--dry-run=server", "-k", deploy_dir() + "/namespaced"});
  ASSERT_EQ(dry.exit_code, 0) << show(dry);
  EXPECT_NE(dry.out.find("role.rbac.authorization.k8s.io/ferry-controller created (server dry run)"),
            std::string::npos)
      << dry.out;

  // A team installs into its own namespace by changing `namespace:`: the RoleBinding follows.
  TempDir overlay;
  std::string relative = std::filesystem::relative(deploy_dir() + "/namespaced", overlay.path());  // kustomize wants it
  overlay.write("kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                      "namespace: team-a\nresources:\n  - " + relative + "\n");
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n").exit_code, 0);
  CommandResult team = sim.kubectl({"apply", "-k", overlay.path()});
  ASSERT_EQ(team.exit_code, 0) << show(team);
  Json binding = get_json(sim, {"rolebinding", "ferry-controller", "-n", "team-a"});
  EXPECT_EQ(binding.at(Json::json_pointer("/subjects/0/namespace")), "team-a");
  EXPECT_EQ(binding.at(Json::json_pointer("/roleRef/kind")), "Role");
  Json deployment = get_json(sim, {"deployment", "ferry", "-n", "team-a"});
  expect_hardened_controller(deployment, "ferry-data");
  // With only a Role the controller must neither register CRDs nor watch other namespaces.
  Json args = deployment.at(Json::json_pointer("/spec/template/spec/containers/0/args"));
  EXPECT_NE(std::find(args.begin(), args.end(), Json("--namespaced")), args.end()) << args.dump();
}

// examples/deploy/ha: base with three replicas sharding the apps over Leases, the ledger in
// PostgreSQL (its URL from a Secret the user creates), a data dir per pod instead of the PVC, the
// Lease rights and a disruption budget. Installed as the overlay's comment says: the cluster-wide
// objects of examples/deploy first, then the overlay.
TEST_F(KustomizeInstall, HaOverlayShardsThreeReplicasOverAPostgresStore) {
  CommandResult rendered = sim.kubectl({"kustomize", deploy_dir() + "/ha"});
  ASSERT_EQ(rendered.exit_code, 0) << show(rendered);
  std::set<std::string> kinds = kinds_of(rendered.out);
  for (const char* kind : {"Deployment", "PodDisruptionBudget", "Role", "RoleBinding", "ServiceAccount", "Service",
                           "NetworkPolicy", "ConfigMap"}) {
    EXPECT_EQ(kinds.count(kind), 1u) << kind << "\n" << rendered.out;
  }
  EXPECT_EQ(kinds.count("PersistentVolumeClaim"), 0u) << rendered.out;  // one ReadWriteOnce claim cannot serve 3 pods

  apply_namespace(sim);
  CommandResult dry = sim.kubectl({"apply", "--dry-run=server", "-k", deploy_dir() + "/ha"});
  ASSERT_EQ(dry.exit_code, 0) << show(dry);
  for (const char* object :
       {"deployment.apps/ferry", "poddisruptionbudget.policy/ferry", "role.rbac.authorization.k8s.io/ferry-leases",
        "rolebinding.rbac.authorization.k8s.io/ferry-leases", "serviceaccount/ferry", "configmap/ferry-cm",
        "service/ferry", "networkpolicy.networking.k8s.io/ferry"}) {
    EXPECT_NE(dry.out.find(std::string(object) + " created (server dry run)"), std::string::npos)
        << object << "\n" << dry.out;
  }
  EXPECT_EQ(dry.out.find("persistentvolumeclaim/"), std::string::npos) << dry.out;
  EXPECT_NE(sim.kubectl({"get", "deployment", "ferry", "-n", "ferry"}).exit_code, 0);

  CommandResult cluster = sim.kubectl({"apply", "-f", deploy_dir() + "/namespace.yaml", "-f", deploy_dir() + "/crds/",
                                       "-f", deploy_dir() + "/rbac-cluster.yaml"});
  ASSERT_EQ(cluster.exit_code, 0) << show(cluster);
  CommandResult applied = sim.kubectl({"apply", "-k", deploy_dir() + "/ha"});
  ASSERT_EQ(applied.exit_code, 0) << show(applied);

  Json deployment = get_json(sim, {"deployment", "ferry", "-n", "ferry"});
  expect_ha_controller(deployment, 3, "--shards=3", "ferry-store");
  EXPECT_EQ(deployment.at(Json::json_pointer("/spec/template/spec/serviceAccountName")), "ferry");
  expect_lease_rights(sim, "ferry-leases");
  Json pdb = get_json(sim, {"poddisruptionbudget", "ferry", "-n", "ferry"});
  EXPECT_EQ(pdb.at(Json::json_pointer("/spec/maxUnavailable")), 1);
  EXPECT_EQ(pdb.at(Json::json_pointer("/spec/selector/matchLabels")),
            deployment.at(Json::json_pointer("/spec/selector/matchLabels")));
  // The Secret with the password is the user's to create; the overlay ships none.
  EXPECT_NE(sim.kubectl({"get", "secret", "ferry-store", "-n", "ferry"}).exit_code, 0);
  EXPECT_NE(sim.kubectl({"get", "pvc", "ferry-data", "-n", "ferry"}).exit_code, 0);
  // The cluster-wide rights come from examples/deploy, bound to the overlay's ServiceAccount.
  Json binding = get_json(sim, {"clusterrolebinding", "ferry-controller"});
  EXPECT_EQ(binding.at(Json::json_pointer("/subjects/0/name")),
            deployment.at(Json::json_pointer("/spec/template/spec/serviceAccountName")));
}

class HelmChart : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(sim.ok()) << sim.error(); }

  // `helm template ferry charts/ferry -n ferry EXTRA...`; fails the test when helm does.
  std::string render(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"template", "ferry", chart_dir(), "--namespace", "ferry"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = helm(home, args);
    EXPECT_EQ(r.exit_code, 0) << show(r);
    return r.out;
  }

  // The rendered stream through `kubectl apply --dry-run=server -f -`, then for real.
  void apply(const std::string& manifests) {
    CommandResult dry = sim.kubectl({"apply", "--dry-run=server", "-f", "-"}, manifests);
    ASSERT_EQ(dry.exit_code, 0) << show(dry);
    EXPECT_NE(dry.out.find("deployment.apps/ferry created (server dry run)"), std::string::npos) << dry.out;
    CommandResult real = sim.kubectl({"apply", "-f", "-"}, manifests);
    ASSERT_EQ(real.exit_code, 0) << show(real);
  }

  SimProcess sim{true, 100};
  TempDir home;
};

TEST_F(HelmChart, LintPasses) {
  for (const std::vector<std::string>& values :
       {std::vector<std::string>{},
        {"--set", "rbac.scope=namespace", "--set", "ingress.enabled=true"},
        {"--set", "replicas=3,ha.mode=shards,store.existingSecret=ferry-store"},
        {"--set", "replicas=2,ha.mode=leader-elect,store.existingSecret=ferry-store,rbac.scope=namespace"}}) {
    std::vector<std::string> args = {"lint", "--strict", chart_dir()};
    args.insert(args.end(), values.begin(), values.end());
    CommandResult lint = helm(home, args);
    EXPECT_EQ(lint.exit_code, 0) << show(lint);
    EXPECT_NE(lint.out.find("1 chart(s) linted, 0 chart(s) failed"), std::string::npos) << show(lint);
  }
}

TEST_F(HelmChart, DefaultValuesAreAcceptedAndMatchTheKustomizeInstall) {
  apply_namespace(sim);
  std::string manifests = render({"--include-crds"});
  std::set<std::string> kinds = kinds_of(manifests);
  for (const char* kind : {"CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                           "ConfigMap", "Secret", "PersistentVolumeClaim", "Deployment", "Service", "NetworkPolicy"}) {
    EXPECT_EQ(kinds.count(kind), 1u) << kind << " missing from the chart";
  }
  EXPECT_EQ(kinds.count("Ingress"), 0u);
  EXPECT_EQ(kinds.count("Role"), 0u);
  apply(manifests);

  expect_hardened_controller(get_json(sim, {"deployment", "ferry", "-n", "ferry"}), "ferry-data");
  EXPECT_EQ(sim.kubectl({"get", "crd", "applications.ferry.dev"}).exit_code, 0);
  // The chart's settings are the example's: the same keys and values.
  CommandResult example = sim.kubectl({"kustomize", deploy_dir()});
  ASSERT_EQ(example.exit_code, 0) << show(example);
  Json chart_cm = get_json(sim, {"configmap", "ferry-cm", "-n", "ferry"});
  for (const auto& [key, value] : chart_cm.at("data").items()) {
    std::string line = "  " + key + ": ";
    EXPECT_NE(example.out.find(line), std::string::npos) << key << " is in the chart's settings only";
  }
  // No secret values by default, so no exemption is needed.
  Json secret = get_json(sim, {"secret", "ferry-secret", "-n", "ferry"});
  EXPECT_FALSE(secret.contains("data")) << secret.dump(2);
}

TEST_F(HelmChart, NamespaceScopeWithIngressAndWebhookSecretsIsAccepted) {
  apply_namespace(sim);
  std::string manifests =
      render({"--set", "rbac.scope=namespace", "--set", "ingress.enabled=true", "--set", "ingress.host=ferry.test",
              "--set", "ingress.tls[0].secretName=ferry-tls", "--set", "ingress.tls[0].hosts[0]=ferry.test",
              "--set-string", "webhookSecrets.webhook\\.github\\.secret=hook-secret", "--set",
              "persistence.storageClass=fast", "--set", "nodeSelector.disk=ssd"});
  std::set<std::string> kinds = kinds_of(manifests);
  EXPECT_EQ(kinds.count("ClusterRole") + kinds.count("ClusterRoleBinding"), 0u) << manifests;
  apply(manifests);

  Json binding = get_json(sim, {"rolebinding", "ferry-controller", "-n", "ferry"});
  EXPECT_EQ(binding.at(Json::json_pointer("/roleRef/kind")), "Role");
  EXPECT_EQ(binding.at(Json::json_pointer("/subjects/0/namespace")), "ferry");
  Json ingress = get_json(sim, {"ingress", "ferry", "-n", "ferry"});
  EXPECT_EQ(ingress.at(Json::json_pointer("/spec/rules/0/host")), "ferry.test");
  EXPECT_EQ(ingress.at(Json::json_pointer("/spec/tls/0/secretName")), "ferry-tls");
  EXPECT_FALSE(ingress.at(Json::json_pointer("/metadata/annotations")).value("ferry.dev/exposure-note", "").empty());
  Json secret = get_json(sim, {"secret", "ferry-secret", "-n", "ferry"});
  EXPECT_EQ(secret.at(Json::json_pointer("/data/webhook.github.secret")), "aG9vay1zZWNyZXQ=");  // "hook-secret"
  const Json& notes = secret.at(Json::json_pointer("/metadata/annotations"));
  EXPECT_EQ(notes.value("ferry.dev/policy-exempt", ""), "secret-in-git");
  EXPECT_FALSE(notes.value("ferry.dev/policy-exempt-reason", "").empty());
  EXPECT_EQ(get_json(sim, {"pvc", "ferry-data", "-n", "ferry"}).at(Json::json_pointer("/spec/storageClassName")),
            "fast");
  Json deployment = get_json(sim, {"deployment", "ferry", "-n", "ferry"});
  EXPECT_EQ(deployment.at(Json::json_pointer("/spec/template/spec/nodeSelector/disk")), "ssd");
  expect_hardened_controller(deployment, "ferry-data");
}

// ha.mode=shards with three replicas: the rendered YAML has the flags, the store URL from the
// Secret, the Lease rights and no claim; the server accepts it; the objects say the same.
TEST_F(HelmChart, ShardedReplicasOnAPostgresStoreAreAccepted) {
  apply_namespace(sim);
  std::string manifests = render({"--set", "replicas=3,ha.mode=shards,store.existingSecret=ferry-store"});
  std::set<std::string> kinds = kinds_of(manifests);
  EXPECT_EQ(kinds.count("PersistentVolumeClaim"), 0u) << manifests;
  EXPECT_EQ(manifests.find("persistentVolumeClaim"), std::string::npos) << manifests;
  for (const char* kind : {"PodDisruptionBudget", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}) {
    EXPECT_EQ(kinds.count(kind), 1u) << kind << "\n" << manifests;
  }
  for (const char* line :
       {"- --shards=3\n", "- --leader-elect-lease-duration=15s\n", "- --leader-elect-renew-deadline=10s\n",
        "- --leader-elect-retry-period=2s\n", "fieldPath: metadata.name\n", "maxUnavailable: 1\n",
        "topologyKey: kubernetes.io/hostname\n"}) {
    EXPECT_NE(manifests.find(line), std::string::npos) << line << " missing\n" << manifests;
  }
  EXPECT_EQ(manifests.find("--leader-elect\n"), std::string::npos) << manifests;
  EXPECT_EQ(manifests.find("- --store"), std::string::npos) << manifests;  // the URL only from the Secret
  EXPECT_TRUE(std::regex_search(
      manifests, std::regex(R"(- name: FERRY_STORE\s+valueFrom:\s+secretKeyRef:\s+name: ferry-store\s+key: url\n)")))
      << manifests;
  EXPECT_NE(manifests.find(R"(rules:
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
)"),
            std::string::npos)
      << manifests;
  apply(manifests);

  Json deployment = get_json(sim, {"deployment", "ferry", "-n", "ferry"});
  expect_ha_controller(deployment, 3, "--shards=3", "ferry-store");
  expect_lease_rights(sim, "ferry-leases");
  Json pdb = get_json(sim, {"poddisruptionbudget", "ferry", "-n", "ferry"});
  EXPECT_EQ(pdb.at(Json::json_pointer("/spec/maxUnavailable")), 1);
  EXPECT_EQ(pdb.at(Json::json_pointer("/spec/selector/matchLabels")),
            deployment.at(Json::json_pointer("/spec/selector/matchLabels")));
  // The cluster-wide rights stay as they are; the Lease Role comes on top of them.
  EXPECT_EQ(get_json(sim, {"clusterrolebinding", "ferry-controller"}).at(Json::json_pointer("/roleRef/kind")),
            "ClusterRole");
}

// leader-elect in a namespace-scoped install, with its own lease timings and Secret key: no
// --shards, and the Lease Role comes next to the namespace's wildcard Role.
TEST_F(HelmChart, LeaderElectionInANamespaceScopedInstallIsAccepted) {
  apply_namespace(sim);
  std::string manifests =
      render({"--set", "replicas=2,ha.mode=leader-elect,store.existingSecret=pg-url,store.key=dsn,rbac.scope=namespace",
              "--set", "ha.leaseDuration=30s", "--set", "ha.renewDeadline=20s", "--set", "ha.retryPeriod=4s"});
  std::set<std::string> kinds = kinds_of(manifests);
  EXPECT_EQ(kinds.count("ClusterRole") + kinds.count("ClusterRoleBinding") + kinds.count("PersistentVolumeClaim"), 0u)
      << manifests;
  EXPECT_NE(manifests.find("- --leader-elect\n"), std::string::npos) << manifests;
  EXPECT_NE(manifests.find("- --leader-elect-lease-duration=30s\n"), std::string::npos) << manifests;
  EXPECT_EQ(manifests.find("--shards"), std::string::npos) << manifests;
  apply(manifests);

  Json deployment = get_json(sim, {"deployment", "ferry", "-n", "ferry"});
  std::map<std::string, std::string> flags = expect_hardened_pod(deployment);
  EXPECT_EQ(deployment.at(Json::json_pointer("/spec/replicas")), 2);
  EXPECT_EQ(flags.count("--leader-elect"), 1u);
  EXPECT_EQ(flags.count("--namespaced"), 1u);
  EXPECT_EQ(flags["--leader-elect-lease-duration"], "30s");
  EXPECT_EQ(flags["--leader-elect-renew-deadline"], "20s");
  EXPECT_EQ(flags["--leader-elect-retry-period"], "4s");
  EXPECT_EQ(env_var(deployment, "FERRY_STORE").at(Json::json_pointer("/valueFrom/secretKeyRef")),
            (Json{{"name", "pg-url"}, {"key", "dsn"}}));
  EXPECT_TRUE(pod_volume(deployment, "data").contains("emptyDir"));
  expect_lease_rights(sim, "ferry-leases");
  EXPECT_EQ(get_json(sim, {"rolebinding", "ferry-controller", "-n", "ferry"}).at(Json::json_pointer("/roleRef/kind")),
            "Role");
}

TEST_F(HelmChart, RefusesValuesThatCannotWork) {
  struct Case {
    std::vector<std::string> set;
    std::string message;
  };
  for (const Case& c :
       {Case{{"replicas=3"},
             "replicas: 3 replicas need ha.mode (leader-elect or shards) and a PostgreSQL store they share "
             "(store.existingSecret); the default SQLite ledger has a single writer"},
        Case{{"replicas=2", "store.existingSecret=ferry-store"}, "replicas: 2 replicas need ha.mode"},
        Case{{"replicas=3", "ha.mode=shards"}, "store.existingSecret: ha.mode shards needs a PostgreSQL store"},
        Case{{"ha.mode=leader-elect"}, "SQLite is one replica's file"},
        Case{{"ha.mode=active-active", "store.existingSecret=ferry-store"}, "ha.mode must be"},
        Case{{"ha.mode=leader-elect", "store.existingSecret=ferry-store", "ha.shards=2"},
             "ha.shards is for ha.mode shards"},
        Case{{"rbac.scope=everywhere"}, "rbac.scope"}, Case{{"service.type=LoadBalancer"}, "service.exposureNote"},
        Case{{"ingress.enabled=true", "ingress.exposureNote="}, "ingress.exposureNote"}}) {
    std::vector<std::string> args = {"template", "ferry", chart_dir()};
    for (const std::string& s : c.set) args.insert(args.end(), {"--set", s});
    CommandResult r = helm(home, args);
    EXPECT_NE(r.exit_code, 0) << c.set[0] << "\n" << show(r);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << show(r);
  }
  // One replica may use the PostgreSQL store and leader election (a standby-less start).
  CommandResult one = helm(home, {"template", "ferry", chart_dir(), "--set",
                                  "ha.mode=leader-elect,store.existingSecret=ferry-store"});
  ASSERT_EQ(one.exit_code, 0) << show(one);
  EXPECT_EQ(kinds_of(one.out).count("PodDisruptionBudget"), 0u) << one.out;  // a budget of one would block drains
  // With a note, a LoadBalancer is fine and the note is on the Service.
  CommandResult noted = helm(home, {"template", "ferry", chart_dir(), "--set", "service.type=LoadBalancer", "--set",
                                    "service.exposureNote=internal load balancer"});
  ASSERT_EQ(noted.exit_code, 0) << show(noted);
  EXPECT_NE(noted.out.find("ferry.dev/exposure-note: \"internal load balancer\""), std::string::npos) << noted.out;
}

// Ferry's own policy gates (`ferry lint`, docs/policy.md) find nothing to warn about or deny in
// what it installs itself; the wildcard RBAC and a Secret rendered from values carry exemptions
// with reasons. The artifacts are copied out (the chart's crds/ link included) so the lint sees a
// config repository and not the build trees.
TEST(PolicyChecks, TheInstallArtifactsAreCleanUnderTheDefaultPolicy) {
  TempDir repo;
  namespace fs = std::filesystem;
  const auto how = fs::copy_options::recursive | fs::copy_options::copy_symlinks;
  fs::create_directories(repo.file("examples"));
  fs::copy(deploy_dir(), repo.file("examples/deploy"), how);
  fs::create_directories(repo.file("charts"));
  fs::copy(chart_dir(), repo.file("charts/ferry"), how);
  struct Case {
    std::string path;
    std::vector<std::string> extra;
    bool wildcard_rbac;  // holds the exempted wildcard Role/ClusterRole (the ha overlay adds to base only)
  };
  for (const Case& c : {Case{"examples/deploy", {}, true}, Case{"examples/deploy/namespaced", {}, true},
                        Case{"examples/deploy/ha", {}, false}, Case{"charts/ferry", {}, true},
                        Case{"charts/ferry",
                             {"--helm-set", "rbac.scope=namespace", "--helm-set", "ingress.enabled=true",
                              "--helm-set-string", "webhookSecrets.webhook\\.github\\.secret=hook-secret"},
                             true},
                        Case{"charts/ferry",
                             {"--helm-set", "replicas=3", "--helm-set", "ha.mode=shards", "--helm-set",
                              "store.existingSecret=ferry-store"},
                             true}}) {
    std::vector<std::string> argv = {ferry_bin(), "lint", "--dir", repo.path(), "--path", c.path,
                                     "--data-dir", repo.file(".cache")};
    argv.insert(argv.end(), c.extra.begin(), c.extra.end());
    CommandResult r = run_command(argv, {{"HOME", repo.path()}});
    EXPECT_EQ(r.exit_code, 0) << c.path << "\n" << show(r);
    EXPECT_NE(r.out.find(" 0 deny, 0 warn, "), std::string::npos) << c.path << "\n" << show(r);
    EXPECT_NE(r.out.find(" 0 exemption errors"), std::string::npos) << c.path << "\n" << show(r);
    EXPECT_EQ(r.out.find("exempt [clusterrole-wildcard]") != std::string::npos, c.wildcard_rbac) << c.path << "\n"
                                                                                                 << show(r);
  }
}

}  // namespace
}  // namespace ferry::testing
