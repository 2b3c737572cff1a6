// `ferry controller` end to end: a real git repository, the simulator, real kubectl creating
// Applications and reading their status, and the SQLite ledger on disk.
#include <gtest/gtest.h>

#include <functional>
#include <regex>
#include <thread>

#include "store/store.h"
#include "tests/integration/controller/controller_process.h"

namespace ferry::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
)";

TEST_F(ControllerProcess, AnAutomatedAppReachesSyncedAndHealthyAndKubectlShowsIt) {
  upstream->commit({{"apps/web/deploy.yaml", kDeployment},
                    {"apps/web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  k: v1\n"}});
  start_controller();
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, application("web", upstream->file_url(), "apps/web", kAutomated)).exit_code, 0);
  ASSERT_TRUE(wait_for("web", "Synced", "Healthy")) << debug("web");
  // kubectl's printer columns come from the CRD Ferry registered.
  auto table = sim.kubectl({"get", "applications.ferry.dev", "-n", "ferry"});
  EXPECT_NE(table.out.find("SYNC"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("Synced"), std::string::npos) << table.out;
  EXPECT_EQ(app_field("web", "{.status.sync.revision}"), upstream->head());
  EXPECT_EQ(app_field("web", "{.status.history[0].revision}"), upstream->head());

  // A new commit is followed.
  upstream->commit({{"apps/web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  k: v2\n"}});
  std::string want = upstream->head();
  bool followed = false;
  for (int i = 0; i < 300 && !followed; ++i) {
    followed = sim.kubectl({"get", "configmap", "web-config", "-o", "jsonpath={.data.k}"}).out == "v2";
    if (!followed) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(followed) << debug("web");
  ASSERT_TRUE(wait_for("web", "Synced", "Healthy")) << debug("web");

  // Self-heal: a manual edit is reverted.
  ASSERT_EQ(sim.kubectl({"patch", "configmap", "web-config", "--type", "merge", "-p", R"({"data":{"k":"edited"}})"}).exit_code, 0);
  bool healed = false;
  for (int i = 0; i < 300 && !healed; ++i) {
    healed = sim.kubectl({"get", "configmap", "web-config", "-o", "jsonpath={.data.k}"}).out == "v2";
    if (!healed) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(healed) << debug("web");

  // Health endpoints.
  std::smatch m;
  std::string out = controller->output();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(http://127\.0\.0\.1:(\d+))")));
  auto metrics = run_command({"curl", "-s", "http://127.0.0.1:" + std::string(m[1]) + "/metrics"});
  EXPECT_NE(metrics.out.find("ferry_applications 1"), std::string::npos) << metrics.out;
  auto ready = run_command({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::string(m[1]) + "/readyz"});
  EXPECT_EQ(ready.out, "200");
}

TEST_F(ControllerProcess, AppOfAppsCreatesChildrenAndRemovingOneFromGitPrunesItThroughItsFinalizer) {
  std::string child_a = application("child-a", upstream->file_url(), "apps/a", kAutomated, "argoproj.io/v1alpha1");
  child_a.replace(child_a.find("  namespace: ferry\n"), 18,
                  "  namespace: argocd\n  finalizers:\n  - resources-finalizer.argocd.argoproj.io\n");
  std::string child_b = application("child-b", upstream->file_url(), "apps/b", kAutomated);
  child_b.replace(child_b.find("  namespace: ferry\n"), 18, "  namespace: ferry\n  finalizers:\n  - ferry.dev/resources-finalizer\n");
  upstream->commit({{"apps/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-a\ndata:\n  k: a\n"},
                    {"apps/b/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-b\ndata:\n  k: b\n"},
                    {"root/a.yaml", child_a},
                    {"root/b.yaml", child_b}});
  start_controller();
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, application("root", upstream->file_url(), "root", kAutomated)).exit_code, 0);
  ASSERT_TRUE(wait_for("root", "Synced", "Healthy")) << debug("root");
  ASSERT_TRUE(wait_for("child-a", "Synced", "Healthy")) << debug("child-a");
  ASSERT_TRUE(wait_for("child-b", "Synced", "Healthy")) << debug("child-b");
  EXPECT_TRUE(exists("configmap", "from-a"));
  EXPECT_TRUE(exists("configmap", "from-b"));
  // The argoproj.io child became a ferry.dev Application with Ferry's finalizer.
  EXPECT_EQ(app_field("child-a", "{.metadata.finalizers[0]}"), "ferry.dev/resources-finalizer");

  upstream->remove("root/b.yaml");
  bool pruned = false;
  for (int i = 0; i < 450 && !pruned; ++i) {
    pruned = !exists("applications.ferry.dev", "child-b", "ferry") && !exists("configmap", "from-b");
    if (!pruned) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(pruned) << debug("root") << debug("child-b");
  EXPECT_TRUE(exists("configmap", "from-a"));
}

TEST_F(ControllerProcess, KillMinus9MidSyncIsRecordedAndTheRestartFinishesTheJob) {
  // A wave that waits on a Deployment becoming ready: slow enough to kill the controller inside it.
  SimProcess slow{true, 4000};
  ASSERT_TRUE(slow.ok()) << slow.error();
  ASSERT_EQ(slow.kubectl({"apply", "-f", "-"}, kNamespace).exit_code, 0);
  upstream->commit({{"apps/slow/deploy.yaml", kDeployment},
                    {"apps/slow/late.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n  annotations:\n"
                                            "    ferry.dev/sync-wave: \"1\"\ndata:\n  k: v\n"}});
  auto start = [&] {
    controller = std::make_unique<ChildProcess>();
    ASSERT_TRUE(controller->start({ferry_bin(), "controller", "--kubeconfig", slow.kubeconfig(), "--namespace", "ferry",
                                   "--data-dir", dir.path() + "/data", "--listen", "127.0.0.1:0", "--resync-seconds",
                                   "2", "--resync-jitter-seconds", "0", "--health-poll-ms", "100", "--kube-qps", "0"},
                                  {{"HOME", dir.path()}}));
    ASSERT_TRUE(controller->wait_for_output("ferry controller ready", 60s)) << controller->output();
  };
  start();
  ASSERT_EQ(slow.kubectl({"apply", "-f", "-"}, application("slow", upstream->file_url(), "apps/slow", kAutomated)).exit_code, 0);
  // Wait until the Deployment exists (wave 0 applied, the health wait running), then kill -9.
  bool applied = false;
  for (int i = 0; i < 300 && !applied; ++i) {
    applied = slow.kubectl({"get", "deployment", "web", "-o", "name"}).exit_code == 0;
    if (!applied) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(applied) << controller->output();
  // While the wave waits, the app shows the running operation and what it has done so far.
  std::string progress;
  for (int i = 0; i < 100 && progress != "Running/web"; ++i) {
    progress = slow.kubectl({"get", "applications.ferry.dev", "slow", "-n", "ferry", "-o",
                             "jsonpath={.status.operationState.phase}/{.status.operationState.syncResult.resources[0].name}"})
                   .out;
    if (progress != "Running/web") std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(progress, "Running/web");
  controller->kill(9);
  controller->wait();
  EXPECT_NE(slow.kubectl({"get", "configmap", "late", "-o", "name"}).exit_code, 0);  // wave 1 never ran

  start();
  bool synced = false;
  for (int i = 0; i < 450 && !synced; ++i) {
    synced = slow.kubectl({"get", "applications.ferry.dev", "slow", "-n", "ferry", "-o",
                           "jsonpath={.status.sync.status}/{.status.health.status}"}).out == "Synced/Healthy";
    if (!synced) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(synced) << controller->output();
  EXPECT_EQ(slow.kubectl({"get", "configmap", "late", "-o", "name"}).exit_code, 0);
  controller->kill(15);
  controller->wait();

  // The ledger on disk: intact, the killed operation Interrupted, a later one Succeeded.
  auto db = store::Store::open(dir.path() + "/data/ferry.db");
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  EXPECT_TRUE((*db)->check_integrity().ok());
  auto ops = (*db)->list_operations("ferry/slow");
  ASSERT_TRUE(ops.ok());
  ASSERT_GE(ops->size(), 2u);
  EXPECT_EQ(ops->back().phase, store::OperationPhase::kInterrupted);
  EXPECT_EQ(ops->front().phase, store::OperationPhase::kSucceeded);
}

TEST_F(ControllerProcess, AutoSyncWithoutSelfHealLeavesDriftAloneAcrossARestart) {
  upstream->commit({{"apps/web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: drifty\ndata:\n  k: git\n"}});
  start_controller();
  const std::string no_self_heal = "  syncPolicy:\n    automated:\n      prune: true\n";
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, application("web", upstream->file_url(), "apps/web", no_self_heal)).exit_code, 0);
  ASSERT_TRUE(wait_for("web", "Synced", "Healthy")) << debug("web");
  ASSERT_EQ(sim.kubectl({"patch", "configmap", "drifty", "--type", "merge", "-p", R"({"data":{"k":"edited"}})"}).exit_code, 0);
  ASSERT_TRUE(wait_for("web", "OutOfSync", "Healthy")) << debug("web");

  // A restart forgets what the process knew; the status says the revision was synced already.
  controller->kill(15);
  controller->wait();
  start_controller();
  // A refresh annotation is removed at the start of a pass, and one app's passes run one after
  // another: once a second refresh has been taken up, the pass that took the first (and decided
  // on auto-sync) has ended.
  for (int refresh = 0; refresh < 2; ++refresh) {
    ASSERT_EQ(sim.kubectl({"annotate", "--overwrite", "applications.ferry.dev", "web", "-n", "ferry",
                           "ferry.dev/refresh=hard"}).exit_code, 0);
    bool handled = false;
    for (int i = 0; i < 300 && !handled; ++i) {
      handled = app_field("web", "{.metadata.annotations.ferry\\.dev/refresh}").empty();
      if (!handled) std::this_thread::sleep_for(200ms);
    }
    ASSERT_TRUE(handled) << debug("web");
  }
  EXPECT_EQ(sim.kubectl({"get", "configmap", "drifty", "-o", "jsonpath={.data.k}"}).out, "edited") << debug("web");
  EXPECT_EQ(app_field("web", "{.status.sync.status}"), "OutOfSync");

  // A new commit is still followed.
  upstream->commit({{"apps/web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: drifty\ndata:\n  k: git2\n"}});
  bool followed = false;
  for (int i = 0; i < 300 && !followed; ++i) {
    followed = sim.kubectl({"get", "configmap", "drifty", "-o", "jsonpath={.data.k}"}).out == "git2";
    if (!followed) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(followed) << debug("web");
}

// A Deployment on the mutable :latest tag, named `name`; `annotations` go on its metadata.
std::string latest_deployment(const std::string& name, const std::string& annotations = "") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n" + annotations +
         "spec:\n  selector:\n    matchLabels: {app: " + name + "}\n  template:\n    metadata:\n      labels: {app: " +
         name + "}\n    spec:\n      containers:\n      - name: app\n        image: nginx:latest\n";
}

TEST_F(ControllerProcess, PolicyGatesWarnAndSyncOrDenyWithTheReasonAndHonourAReasonedExemption) {
  upstream->commit({{"apps/warned/deploy.yaml", latest_deployment("warned")},
                    {"apps/denied/deploy.yaml", latest_deployment("denied")}});
  start_controller();
  // Default levels: the finding is a warning, the app syncs.
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, application("warned", upstream->file_url(), "apps/warned", kAutomated)).exit_code, 0);
  // The annotation makes :latest a deny for this app.
  std::string strict = application("denied", upstream->file_url(), "apps/denied", kAutomated);
  strict.replace(strict.find("  namespace: ferry\n"), 18,
                 "  namespace: ferry\n  annotations:\n    ferry.dev/policy: image-tag-latest=deny\n");
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, strict).exit_code, 0);

  ASSERT_TRUE(wait_for("warned", "Synced", "Healthy")) << debug("warned");
  std::string warning = app_field("warned", "{.status.conditions[?(@.type==\"PolicyGateWarning\")].message}");
  EXPECT_NE(warning.find("[image-tag-latest]"), std::string::npos) << debug("warned");
  EXPECT_NE(warning.find("Deployment"), std::string::npos) << warning;

  std::string denial;
  for (int i = 0; i < 300 && denial.empty(); ++i) {
    denial = app_field("denied", "{.status.conditions[?(@.type==\"PolicyGateError\")].message}");
    if (denial.empty()) std::this_thread::sleep_for(200ms);
  }
  EXPECT_NE(denial.find("policy gates deny the sync"), std::string::npos) << debug("denied");
  EXPECT_NE(denial.find("[image-tag-latest]"), std::string::npos) << denial;
  EXPECT_EQ(app_field("denied", "{.status.sync.status}"), "OutOfSync");
  EXPECT_FALSE(exists("deployment", "denied"));

  // A sync asked for by hand is refused too, and the operation says why.
  ASSERT_EQ(sim.kubectl({"patch", "applications.ferry.dev", "denied", "-n", "ferry", "--type", "merge", "-p",
                         R"({"operation":{"sync":{"prune":true},"initiatedBy":{"username":"alice"}}})"}).exit_code, 0);
  std::string phase;
  for (int i = 0; i < 300 && phase != "Error"; ++i) {
    phase = app_field("denied", "{.status.operationState.phase}");
    if (phase != "Error") std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(phase, "Error") << debug("denied");
  EXPECT_NE(app_field("denied", "{.status.operationState.message}").find("[image-tag-latest]"), std::string::npos);
  EXPECT_FALSE(exists("deployment", "denied"));

  // An exemption without a reason is not honoured; with one, the app syncs.
  upstream->commit({{"apps/denied/deploy.yaml",
                     latest_deployment("denied", "  annotations:\n    ferry.dev/policy-exempt: image-tag-latest\n")}});
  ASSERT_EQ(sim.kubectl({"annotate", "--overwrite", "applications.ferry.dev", "denied", "-n", "ferry",
                         "ferry.dev/refresh=hard"}).exit_code, 0);
  bool still_denied = false;
  for (int i = 0; i < 300 && !still_denied; ++i) {
    still_denied = app_field("denied", "{.status.sync.revision}") == upstream->head() &&
                   !app_field("denied", "{.status.conditions[?(@.type==\"PolicyGateError\")].message}").empty();
    if (!still_denied) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(still_denied) << debug("denied");
  EXPECT_FALSE(exists("deployment", "denied"));
  upstream->commit({{"apps/denied/deploy.yaml",
                     latest_deployment("denied", "  annotations:\n    ferry.dev/policy-exempt: image-tag-latest\n"
                                                 "    ferry.dev/policy-exempt-reason: the demo tracks upstream nginx\n")}});
  ASSERT_TRUE(wait_for("denied", "Synced", "Healthy")) << debug("denied");
  EXPECT_TRUE(app_field("denied", "{.status.conditions[?(@.type==\"PolicyGateError\")].message}").empty());
}

TEST_F(ControllerProcess, AnUnreachableRepoKeepsTheLastStateAndSaysWhy) {
  GitDaemon daemon(dir.path() + "/srv");
  ASSERT_TRUE(daemon.start());
  upstream->commit({{"apps/web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\ndata:\n  k: v\n"}});
  start_controller();
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, application("web", daemon.url("config"), "apps/web", kAutomated)).exit_code, 0);
  ASSERT_TRUE(wait_for("web", "Synced", "Healthy")) << debug("web");
  daemon.stop();
  ASSERT_EQ(sim.kubectl({"annotate", "applications.ferry.dev", "web", "-n", "ferry", "ferry.dev/refresh=hard"}).exit_code, 0);
  bool reported = false;
  for (int i = 0; i < 300 && !reported; ++i) {
    reported = app_field("web", "{.status.conditions[*].type}").find("ComparisonError") != std::string::npos;
    if (!reported) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(reported) << debug("web");
  EXPECT_TRUE(exists("configmap", "kept"));
}

TEST_F(ControllerProcess, AnInvalidSpecIsAConditionNotACrash) {
  start_controller();
  std::string bad = application("bad", "", "apps/x");
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, bad).exit_code, 0);
  bool reported = false;
  for (int i = 0; i < 150 && !reported; ++i) {
    reported = app_field("bad", "{.status.conditions[0].type}") == "InvalidSpecError";
    if (!reported) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(reported) << debug("bad");
  EXPECT_NE(app_field("bad", "{.status.conditions[0].message}").find("repoURL"), std::string::npos) << debug("bad");
}

}  // namespace
}  // namespace ferry::testing

namespace ferry::testing {
namespace {

// An Application with fields of the wrong type (the simulator, like an API server without the
// CRD's schema, stores it): it gets an InvalidSpecError, and /metrics still answers for it.
TEST_F(ControllerProcess, AnAppWithWrongTypesIsReportedAndMetricsStillAnswer) {
  start_controller();
  auto bad = sim.kubectl({"apply", "--validate=false", "-f", "-"},
                         "apiVersion: ferry.dev/v1alpha1\nkind: Application\nmetadata: {name: bad, namespace: ferry}\n"
                         "spec:\n  project: 7\n  source: {repoURL: 5, path: x}\n  destination: {namespace: default}\n");
  ASSERT_EQ(bad.exit_code, 0) << bad.err;
  bool reported = false;
  for (int i = 0; i < 300 && !reported; ++i) {
    reported = app_field("bad", "{.status.conditions[*].type}").find("InvalidSpecError") != std::string::npos;
    if (!reported) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(reported) << debug("bad");
  std::smatch m;
  std::string out = controller->output();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(http://127\.0\.0\.1:(\d+))")));
  auto metrics = run_command({"curl", "-s", "-w", "\n%{http_code}", "http://127.0.0.1:" + std::string(m[1]) + "/metrics"});
  EXPECT_NE(metrics.out.find("name=\"bad\",project=\"default\",repo=\"\""), std::string::npos) << metrics.out;
  EXPECT_EQ(metrics.out.substr(metrics.out.rfind('\n') + 1), "200");
}

}  // namespace
}  // namespace ferry::testing

namespace ferry::testing {
namespace {

// `ferry app terminate-op` → the API → the controller: a sync waiting on a wave ends at once,
// Failed "Operation terminated", and the next wave never runs.
TEST_F(ControllerProcess, TerminateOpEndsARunningSyncAndTheNextWaveNeverRuns) {
  SimProcess slow{true, 600000};  // Deployments become ready after 10 minutes: the wave waits
  ASSERT_TRUE(slow.ok()) << slow.error();
  ASSERT_EQ(slow.kubectl({"apply", "-f", "-"}, kNamespace).exit_code, 0);
  upstream->commit({{"apps/slow/deploy.yaml", kDeployment},
                    {"apps/slow/late.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n  annotations:\n"
                                            "    ferry.dev/sync-wave: \"1\"\ndata:\n  k: v\n"}});
  dir.write("admin.password", "terminate-me-not\n");
  controller = std::make_unique<ChildProcess>();
  ASSERT_TRUE(controller->start({ferry_bin(), "controller", "--kubeconfig", slow.kubeconfig(), "--namespace", "ferry",
                                 "--data-dir", dir.path() + "/data", "--listen", "127.0.0.1:0", "--admin-password-file",
                                 dir.file("admin.password"), "--health-poll-ms", "100", "--kube-qps", "0"},
                                {{"HOME", dir.path()}}));
  ASSERT_TRUE(controller->wait_for_output("ferry controller ready", 60s)) << controller->output();
  std::smatch m;
  std::string out = controller->output();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(http://(127\.0\.0\.1:\d+))")));
  const std::map<std::string, std::string> env = {{"XDG_CONFIG_HOME", dir.path() + "/cli"}};
  auto login = run_command({ferry_bin(), "login", m[1].str(), "--plaintext", "--username", "admin", "--password",
                            "terminate-me-not"}, env);
  ASSERT_EQ(login.exit_code, 0) << login.err;

  auto idle = run_command({ferry_bin(), "app", "terminate-op", "slow"}, env);
  EXPECT_NE(idle.exit_code, 0);  // no such app yet
  // Manual sync: no self-heal or retry may start another operation after the terminate.
  ASSERT_EQ(slow.kubectl({"apply", "-f", "-"}, application("slow", upstream->file_url(), "apps/slow")).exit_code, 0);
  CommandResult sync;
  for (int i = 0; i < 100 && sync.exit_code != 0; ++i) {  // until the controller's watch has the app
    sync = run_command({ferry_bin(), "app", "sync", "slow", "--async"}, env);
    if (sync.exit_code != 0) std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  // The Application's field at `jsonpath` once `done` holds for it (or after 30 s).
  auto poll = [&](const std::string& jsonpath, const std::function<bool(const std::string&)>& done) {
    std::string value;
    for (int i = 0; i < 300; ++i) {
      value = slow.kubectl({"get", "applications.ferry.dev", "slow", "-n", "ferry", "-o", "jsonpath=" + jsonpath}).out;
      if (done(value)) break;
      std::this_thread::sleep_for(100ms);
    }
    return value;
  };
  auto is = [](const std::string& want) { return [want](const std::string& v) { return v == want; }; };
  auto failed = [](const std::string& v) { return v.rfind("Failed", 0) == 0; };
  const std::string outcome = "{.status.operationState.phase}: {.status.operationState.message}";
  ASSERT_EQ(poll("{.status.operationState.phase}/{.status.operationState.syncResult.resources[0].name}", is("Running/web")),
            "Running/web")
      << controller->output();

  auto terminated = run_command({ferry_bin(), "app", "terminate-op", "slow"}, env);
  EXPECT_EQ(terminated.exit_code, 0) << terminated.err;
  EXPECT_NE(terminated.out.find("operation terminating"), std::string::npos) << terminated.out;
  EXPECT_EQ(poll(outcome, failed), "Failed: Operation terminated") << controller->output();
  EXPECT_NE(slow.kubectl({"get", "configmap", "late", "-o", "name"}).exit_code, 0);  // wave 1 never ran

  // Nothing runs now: terminating again is refused with the reason.
  auto again = run_command({ferry_bin(), "app", "terminate-op", "slow"}, env);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("no operation is in progress"), std::string::npos) << again.err;

  // What a replica that does not run the sync writes (as Argo CD's API server does): the phase
  // Terminating on the Application. The replica running it sees that in its watch and ends it.
  sync = run_command({ferry_bin(), "app", "sync", "slow", "--async"}, env);
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  ASSERT_EQ(poll("{.status.operationState.phase}", is("Running")), "Running") << controller->output();
  auto patched = slow.kubectl({"patch", "applications.ferry.dev", "slow", "-n", "ferry", "--subresource=status",
                               "--type=merge", "-p", R"({"status":{"operationState":{"phase":"Terminating"}}})"});
  ASSERT_EQ(patched.exit_code, 0) << patched.err;
  EXPECT_EQ(poll(outcome, failed), "Failed: Operation terminated") << controller->output();
  EXPECT_NE(slow.kubectl({"get", "configmap", "late", "-o", "name"}).exit_code, 0);
}

}  // namespace
}  // namespace ferry::testing

namespace ferry::testing {
namespace {

// A hard refresh renders again, bypassing the render cache (what Argo CD users reach for when a
// chart's output depends on more than the commit): a chart with a random value stays Synced
// across normal refreshes and turns OutOfSync after a hard one.
TEST_F(ControllerProcess, AHardRefreshRendersAgainANormalOneUsesTheCache) {
  upstream->commit({{"charts/rand/Chart.yaml", "apiVersion: v2\nname: rand\nversion: 0.1.0\n"},
                    {"charts/rand/templates/cm.yaml",
                     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rand\ndata:\n"
                     "  token: {{ randAlphaNum 12 | quote }}\n"}});
  start_controller();
  const char* once = "  syncPolicy:\n    automated:\n      prune: true\n";  // no self-heal
  ASSERT_EQ(sim.kubectl({"apply", "-f", "-"}, application("rand", upstream->file_url(), "charts/rand", once)).exit_code, 0);
  ASSERT_TRUE(wait_for("rand", "Synced", "Healthy")) << debug("rand");
  auto refresh = [&](const std::string& kind) {
    EXPECT_EQ(sim.kubectl({"annotate", "applications.ferry.dev", "rand", "-n", "ferry", "ferry.dev/refresh=" + kind}).exit_code, 0);
    for (int i = 0; i < 300; ++i) {  // handled once the controller removed the annotation
      if (app_field("rand", "{.metadata.annotations.ferry\\.dev/refresh}").empty()) return;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "refresh=" << kind << " never handled";
  };
  refresh("normal");
  refresh("normal");  // one worker per app: the first refresh's pass has written its status now
  EXPECT_EQ(app_field("rand", "{.status.sync.status}"), "Synced") << debug("rand");
  refresh("hard");
  bool rerendered = false;
  for (int i = 0; i < 100 && !rerendered; ++i) {
    rerendered = app_field("rand", "{.status.sync.status}") == "OutOfSync";
    if (!rerendered) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(rerendered) << debug("rand");
}

}  // namespace
}  // namespace ferry::testing
