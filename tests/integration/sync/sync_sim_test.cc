// The sync engine end to end: a real git repository, the real renderers (directory, Helm,
// Kustomize), comparison and sync against `ferry sim`, and real kubectl as the oracle and as the
// source of drift.
#include <gtest/gtest.h>

#include "kube/client/kubeconfig.h"
#include "reconciler/render/app_renderer.h"
#include "reconciler/sync/compare.h"
#include "reconciler/sync/runner.h"
#include "tests/support/git_server.h"
#include "tests/support/sim_fixture.h"

namespace ferry::reconciler {
namespace {

using namespace std::chrono_literals;
using ferry::testing::TempDir;
using ferry::testing::UpstreamRepo;

constexpr const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
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
        ports:
        - containerPort: 80
        resources:
          requests: {cpu: 100m, memory: 64Mi}
          limits: {cpu: "1", memory: 1Gi}
)";

constexpr const char* kService = R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
)";

constexpr const char* kStatefulSet = R"(apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 1
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: postgres:16
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
)";

constexpr const char* kSecret = R"(apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: hunter2-very-secret
)";

constexpr const char* kQuota = R"(apiVersion: v1
kind: ResourceQuota
metadata:
  name: quota
spec:
  hard:
    requests.cpu: 1000m
    requests.memory: 2Gi
)";

class SyncSim : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim.ok()) << sim.error();
    auto config = kube::load_kubeconfig({sim.kubeconfig()});
    ASSERT_TRUE(config.ok()) << config.status().to_string();
    kube::ClientOptions options;
    options.qps = 0;
    auto client_or = kube::Client::connect(*config, options);
    ASSERT_TRUE(client_or.ok()) << client_or.status().to_string();
    client = *client_or;
    upstream = std::make_unique<UpstreamRepo>(dir.path(), "config");
    repos = std::make_unique<RepoCache>(dir.path() + "/data");
    renderer = std::make_unique<AppRenderer>(*repos, render_cache, ToolSettings::from_environment());
    live = client_live_view(client);
  }

  Result<Comparison> refresh(const std::string& app, const std::string& path, RendererKind kind = RendererKind::kAuto) {
    RenderSpec spec;
    spec.path = path;
    spec.kind = kind;
    spec.helm.release_name = app;
    auto rendered = renderer->render({upstream->file_url(), {}}, "main", spec);
    if (!rendered.ok()) return rendered.status();
    CompareRequest request;
    request.app = app;
    request.destination_namespace = "default";
    request.rendered = rendered->output->objects;
    request.previous_kinds = previous_kinds[app];
    request.server_side = server_side;
    auto compared = compare(request, *live);
    if (compared.ok()) previous_kinds[app] = compared->kinds;
    return compared;
  }

  SyncResult sync(const std::string& app, const std::string& path, bool prune = true, bool dry_run = false) {
    auto compared = refresh(app, path);
    EXPECT_TRUE(compared.ok()) << compared.status().to_string();
    if (!compared.ok()) return {OperationPhase::kError, compared.status().to_string(), {}};
    PlanRequest request;
    request.app = app;
    request.desired = compared->desired;
    request.live = compared->live;
    for (const auto& r : compared->resources) request.states[r.key] = r.state;
    request.prune = prune;
    auto plan = make_plan(request);
    if (!plan.ok()) return {OperationPhase::kError, plan.status().to_string(), {}};
    last_plan = format_plan(*plan);
    RunOptions options;
    options.dry_run = dry_run;
    options.poll_interval = 50ms;
    options.health_timeout = 60s;
    return SyncRunner(client).run(*plan, options);
  }

  static std::string results_text(const SyncResult& result) {
    std::string out = std::string(operation_phase_name(result.phase)) + ": " + result.message + "\n";
    for (const auto& r : result.resources) {
      out += std::string(phase_name(r.phase)) + " " + r.key.kind + "/" + r.key.name + " " + r.status + " " +
             r.hook_phase + " " + r.message + "\n";
    }
    return out;
  }

  const ResourceResult* result_for(const SyncResult& result, const std::string& kind, const std::string& name) {
    for (const auto& r : result.resources) {
      if (r.key.kind == kind && r.key.name == name) return &r;
    }
    return nullptr;
  }

  bool exists(const std::string& resource, const std::string& name) {
    return sim.kubectl({"get", resource, name, "-n", "default", "-o", "name"}).exit_code == 0;
  }

  ferry::testing::SimProcess sim{true, 100};
  TempDir dir;
  std::shared_ptr<kube::Client> client;
  std::unique_ptr<UpstreamRepo> upstream;
  std::unique_ptr<RepoCache> repos;
  RenderCache render_cache;
  std::unique_ptr<AppRenderer> renderer;
  std::unique_ptr<LiveView> live;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> previous_kinds;
  std::string last_plan;
  ServerSidePredictor* server_side = nullptr;  // set: refresh() compares server-side
};

TEST_F(SyncSim, PlainAppSyncsAndShowsNoDriftAfterServerDefaults) {
  upstream->commit({{"apps/plain/deploy.yaml", kDeployment},
                    {"apps/plain/svc.yaml", kService},
                    {"apps/plain/db.yaml", kStatefulSet},
                    {"apps/plain/quota.yaml", kQuota}});
  auto before = refresh("plain", "apps/plain");
  ASSERT_TRUE(before.ok()) << before.status().to_string();
  EXPECT_EQ(before->sync, SyncState::kOutOfSync);
  ASSERT_EQ(before->resources.size(), 4u);
  for (const auto& r : before->resources) EXPECT_EQ(r.state, SyncState::kMissing) << r.key.to_string();

  SyncResult result = sync("plain", "apps/plain");
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << results_text(result);
  EXPECT_EQ(result.resources.size(), 4u);

  // Real kubectl sees what was applied, with Ferry's tracking.
  auto got = sim.kubectl({"get", "deployment", "web", "-n", "default", "-o",
                          "jsonpath={.metadata.annotations.ferry\\.dev/tracking-id} {.status.availableReplicas}"});
  EXPECT_EQ(got.out, "plain:apps/Deployment:default/web 2");

  auto after = refresh("plain", "apps/plain");
  ASSERT_TRUE(after.ok());
  for (const auto& r : after->resources) {
    EXPECT_EQ(r.state, SyncState::kSynced) << r.key.to_string() << "\n" << r.diff.unified;
    EXPECT_EQ(r.health.status, HealthStatus::kHealthy) << r.key.to_string() << " " << r.health.message;
  }
  EXPECT_EQ(after->sync, SyncState::kSynced);
  EXPECT_EQ(after->health.status, HealthStatus::kHealthy);
}

// ServerSideDiff=true: the server's prediction of the applied object is what is compared, so
// what the API server itself changes on write (here it drops sessionAffinityConfig because
// sessionAffinity is None) is no false drift, while a live edit still is. An unchanged object
// costs no dry run.
TEST_F(SyncSim, ServerSideDiffComparesTheServersPredictionAndCachesIt) {
  upstream->commit({{"apps/ssd/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: ssd\nspec:\n"
                                          "  selector: {app: ssd}\n  ports: [{port: 80, targetPort: 8080}]\n"
                                          "  sessionAffinity: None\n"
                                          "  sessionAffinityConfig: {clientIP: {timeoutSeconds: 300}}\n"}});
  SyncResult result = sync("ssd", "apps/ssd");
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << results_text(result);
  auto client_side = refresh("ssd", "apps/ssd");
  ASSERT_TRUE(client_side.ok());
  EXPECT_EQ(client_side->sync, SyncState::kOutOfSync);  // what Argo CD users meet without it

  ServerSidePredictor predictor(client);
  server_side = &predictor;
  auto first = refresh("ssd", "apps/ssd");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->resources.size(), 1u);
  EXPECT_EQ(first->sync, SyncState::kSynced) << first->resources[0].diff.unified;
  EXPECT_EQ(predictor.requests(), 1u);
  auto again = refresh("ssd", "apps/ssd");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->sync, SyncState::kSynced);
  EXPECT_EQ(predictor.requests(), 1u);

  ASSERT_EQ(sim.kubectl({"patch", "service", "ssd", "--type", "merge", "-p", R"({"spec":{"selector":{"app":"edited"}}})"})
                .exit_code,
            0);
  auto drifted = refresh("ssd", "apps/ssd");
  ASSERT_TRUE(drifted.ok());
  EXPECT_EQ(drifted->sync, SyncState::kOutOfSync);
  EXPECT_EQ(predictor.requests(), 2u);
  ASSERT_EQ(drifted->resources.size(), 1u);
  EXPECT_NE(drifted->resources[0].diff.unified.find("edited"), std::string::npos) << drifted->resources[0].diff.unified;
  EXPECT_EQ(drifted->resources[0].diff.changed.at(0).live_manager, "kubectl-patch");
}

TEST_F(SyncSim, HelmAndKustomizeAppsSync) {
  upstream->commit({
      {"charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"},
      {"charts/web/values.yaml", "replicas: 1\n"},
      {"charts/web/templates/cm.yaml",
       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\n  labels:\n"
       "    app.kubernetes.io/instance: {{ .Release.Name }}\ndata:\n  replicas: \"{{ .Values.replicas }}\"\n"},
      {"kust/base/kustomization.yaml", "resources:\n- cm.yaml\n"},
      {"kust/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\ndata:\n  k: v\n"},
      {"kust/overlay/kustomization.yaml", "resources:\n- ../base\nnamePrefix: prod-\n"},
  });
  SyncResult helm = sync("helmapp", "charts/web");
  ASSERT_EQ(helm.phase, OperationPhase::kSucceeded) << results_text(helm);
  SyncResult kust = sync("kustapp", "kust/overlay");
  ASSERT_EQ(kust.phase, OperationPhase::kSucceeded) << results_text(kust);
  EXPECT_TRUE(exists("configmap", "helmapp-config"));
  EXPECT_TRUE(exists("configmap", "prod-base"));
  // The chart's own instance label is left alone; Ferry adds its own.
  auto labels = sim.kubectl({"get", "configmap", "helmapp-config", "-o", "jsonpath={.metadata.labels}"});
  EXPECT_NE(labels.out.find("\"app.kubernetes.io/instance\":\"helmapp\""), std::string::npos) << labels.out;
  EXPECT_NE(labels.out.find("\"ferry.dev/app\":\"helmapp\""), std::string::npos) << labels.out;
  for (const auto& app : {std::make_pair("helmapp", "charts/web"), std::make_pair("kustapp", "kust/overlay")}) {
    auto again = refresh(app.first, app.second);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->sync, SyncState::kSynced) << app.first;
  }
}

TEST_F(SyncSim, AFailingWaveStopsLaterWaves) {
  std::string failing = kDeployment;
  failing.replace(failing.find("nginx:1.27"), 10, "nginx:fail");
  failing.replace(failing.find("name: web\nspec"), 9, "name: web\n  annotations:\n    argocd.argoproj.io/sync-wave: \"0\"");
  upstream->commit({{"apps/waves/deploy.yaml", failing},
                    {"apps/waves/late.yaml",
                     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n  annotations:\n"
                     "    argocd.argoproj.io/sync-wave: \"1\"\ndata:\n  k: v\n"}});
  SyncResult result = sync("waves", "apps/waves");
  EXPECT_EQ(result.phase, OperationPhase::kFailed) << results_text(result);
  EXPECT_NE(result.message.find("Degraded"), std::string::npos) << result.message;
  EXPECT_EQ(result_for(result, "ConfigMap", "late"), nullptr);
  EXPECT_FALSE(exists("configmap", "late"));
}

TEST_F(SyncSim, AFailingPreSyncHookRunsSyncFailAndLeavesTheAppUntouched) {
  auto job = [](const std::string& name, const std::string& hook, const std::string& image) {
    return "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: " + name + "\n  annotations:\n    argocd.argoproj.io/hook: " +
           hook + "\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n"
           "      - name: run\n        image: " + image + "\n";
  };
  upstream->commit({{"apps/hooks/migrate.yaml", job("migrate", "PreSync", "busybox:fail")},
                    {"apps/hooks/alert.yaml", job("alert", "SyncFail", "busybox:1.36")},
                    {"apps/hooks/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: main\ndata:\n  k: v\n"}});
  SyncResult result = sync("hooks", "apps/hooks");
  EXPECT_EQ(result.phase, OperationPhase::kFailed) << results_text(result);
  const ResourceResult* migrate = result_for(result, "Job", "migrate");
  ASSERT_NE(migrate, nullptr) << results_text(result);
  EXPECT_EQ(migrate->hook_phase, "Failed");
  const ResourceResult* alert = result_for(result, "Job", "alert");
  ASSERT_NE(alert, nullptr) << results_text(result);
  EXPECT_EQ(alert->phase, Phase::kSyncFail);
  EXPECT_EQ(alert->hook_phase, "Succeeded");
  EXPECT_FALSE(exists("configmap", "main"));
  EXPECT_TRUE(exists("job", "alert"));
}

TEST_F(SyncSim, HooksRunAroundTheSyncAndFollowTheirDeletePolicy) {
  upstream->commit({{"apps/h/pre.yaml",
                     "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: pre-\n  annotations:\n"
                     "    ferry.dev/hook: PreSync\n    ferry.dev/hook-delete-policy: HookSucceeded\nspec:\n  template:\n"
                     "    spec:\n      restartPolicy: Never\n      containers:\n      - name: run\n        image: busybox:1.36\n"},
                    {"apps/h/post.yaml",
                     "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: post\n  annotations:\n"
                     "    helm.sh/hook: post-install\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n"
                     "      containers:\n      - name: run\n        image: busybox:1.36\n"},
                    {"apps/h/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: body\ndata:\n  k: v\n"}});
  SyncResult result = sync("h", "apps/h");
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << results_text(result);
  ASSERT_EQ(result.resources.size(), 3u) << results_text(result);
  EXPECT_EQ(result.resources[0].phase, Phase::kPreSync);
  EXPECT_EQ(result.resources[0].key.name.rfind("pre-", 0), 0u);  // generated name
  EXPECT_EQ(result.resources[1].key.name, "body");
  EXPECT_EQ(result.resources[2].key.name, "post");
  EXPECT_FALSE(exists("job", result.resources[0].key.name));  // HookSucceeded deleted it
  EXPECT_TRUE(exists("job", "post"));                          // BeforeHookCreation keeps it until next time
  // A second sync replaces the kept hook rather than failing on it.
  SyncResult again = sync("h", "apps/h");
  ASSERT_EQ(again.phase, OperationPhase::kSucceeded) << results_text(again);
  // Hooks are not app resources: the app is in sync.
  auto compared = refresh("h", "apps/h");
  ASSERT_TRUE(compared.ok());
  EXPECT_EQ(compared->sync, SyncState::kSynced);
  EXPECT_EQ(compared->resources.size(), 1u);
}

TEST_F(SyncSim, PruneRemovesWhatGitNoLongerHasWithForegroundPropagation) {
  upstream->commit({{"apps/p/deploy.yaml", kDeployment}, {"apps/p/cm.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stays\ndata:\n  k: v\n"}});
  ASSERT_EQ(sync("p", "apps/p").phase, OperationPhase::kSucceeded);
  ASSERT_EQ(sim.kubectl({"get", "replicasets", "-l", "app=web", "-o", "name"}).out.empty(), false);
  // An object another app owns, in the same namespace, with our label forged: never pruned.
  ASSERT_EQ(sim.kubectl({"apply", "--server-side", "-f", "-"},
                        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: foreign\n  namespace: default\n  labels:\n"
                        "    ferry.dev/app: p\n  annotations:\n    ferry.dev/tracking-id: other:/ConfigMap:default/foreign\n")
                .exit_code,
            0);
  upstream->remove("apps/p/deploy.yaml");
  auto compared = refresh("p", "apps/p");
  ASSERT_TRUE(compared.ok());
  bool requires_pruning = false;
  for (const auto& r : compared->resources) requires_pruning |= r.key.kind == "Deployment" && r.state == SyncState::kRequiresPruning;
  EXPECT_TRUE(requires_pruning);
  EXPECT_EQ(compared->sync, SyncState::kOutOfSync);

  // Without prune, nothing is deleted.
  SyncResult kept = sync("p", "apps/p", /*prune=*/false);
  ASSERT_EQ(kept.phase, OperationPhase::kSucceeded);
  EXPECT_TRUE(exists("deployment", "web"));
  SyncResult pruned = sync("p", "apps/p", /*prune=*/true);
  ASSERT_EQ(pruned.phase, OperationPhase::kSucceeded) << results_text(pruned);
  const ResourceResult* r = result_for(pruned, "Deployment", "web");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, "Pruned");
  // Foreground: the ReplicaSets went with it.
  for (int i = 0; i < 100 && exists("deployment", "web"); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(exists("deployment", "web"));
  EXPECT_TRUE(sim.kubectl({"get", "replicasets", "-l", "app=web", "-o", "name"}).out.empty());
  EXPECT_TRUE(exists("configmap", "stays"));
  EXPECT_TRUE(exists("configmap", "foreign"));
}

TEST_F(SyncSim, AnEmptyRenderNeverPrunes) {
  upstream->commit({{"apps/e/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: precious\ndata:\n  k: v\n"}});
  ASSERT_EQ(sync("e", "apps/e").phase, OperationPhase::kSucceeded);
  upstream->commit({{"apps/e/cm.yaml", "# emptied by mistake\n"}});
  SyncResult result = sync("e", "apps/e");
  EXPECT_EQ(result.phase, OperationPhase::kError);
  EXPECT_NE(result.message.find("empty"), std::string::npos) << result.message;
  EXPECT_TRUE(exists("configmap", "precious"));
}

TEST_F(SyncSim, LiveEditsAreDriftAttributedToKubectlAndASyncRestoresThem) {
  upstream->commit({{"apps/d/deploy.yaml", kDeployment}});
  ASSERT_EQ(sync("d", "apps/d").phase, OperationPhase::kSucceeded);
  ASSERT_EQ(sim.kubectl({"patch", "deployment", "web", "-n", "default", "--type", "merge", "-p",
                         R"({"spec":{"replicas":5}})"})
                .exit_code,
            0);
  auto drifted = refresh("d", "apps/d");
  ASSERT_TRUE(drifted.ok());
  ASSERT_EQ(drifted->resources.size(), 1u);
  const auto& r = drifted->resources[0];
  EXPECT_EQ(r.state, SyncState::kOutOfSync);
  bool attributed = false;
  for (const auto& change : r.diff.changed) {
    if (change.path == "/spec/replicas") attributed = change.live_manager == "kubectl-patch";
  }
  EXPECT_TRUE(attributed) << r.diff.unified;
  ASSERT_EQ(sync("d", "apps/d").phase, OperationPhase::kSucceeded);
  auto replicas = sim.kubectl({"get", "deployment", "web", "-n", "default", "-o", "jsonpath={.spec.replicas}"});
  EXPECT_EQ(replicas.out, "2");
  auto healed = refresh("d", "apps/d");
  ASSERT_TRUE(healed.ok());
  EXPECT_EQ(healed->sync, SyncState::kSynced);
}

TEST_F(SyncSim, SecretValuesNeverAppearInAnyOutput) {
  upstream->commit({{"apps/s/secret.yaml", kSecret}});
  auto before = refresh("s", "apps/s");
  ASSERT_TRUE(before.ok());
  SyncResult result = sync("s", "apps/s", true, /*dry_run=*/true);
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << results_text(result);
  EXPECT_FALSE(exists("secret", "creds"));  // a dry run writes nothing
  result = sync("s", "apps/s");
  ASSERT_EQ(result.phase, OperationPhase::kSucceeded) << results_text(result);
  upstream->commit({{"apps/s/secret.yaml", std::string(kSecret).replace(std::string(kSecret).find("hunter2"), 7, "changed")}});
  auto changed = refresh("s", "apps/s");
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->resources.size(), 1u);
  EXPECT_EQ(changed->resources[0].state, SyncState::kOutOfSync);  // still seen as changed
  std::string everything = before->resources[0].diff.unified + changed->resources[0].diff.unified +
                           changed->resources[0].diff.desired_view.dump() + changed->resources[0].diff.live_view.dump() +
                           results_text(result) + last_plan;
  for (const auto& c : changed->resources[0].diff.changed) everything += c.path;
  for (const char* value : {"hunter2-very-secret", "aHVudGVyMi12ZXJ5LXNlY3JldA==", "changed-very-secret",
                            "Y2hhbmdlZC12ZXJ5LXNlY3JldA=="}) {
    EXPECT_EQ(everything.find(value), std::string::npos) << value;
  }
}

}  // namespace
}  // namespace ferry::reconciler
