// What `ferry app …` and `ferry account …` print, from the JSON the API answers.
#include "cli/client/app_output.h"

#include <gtest/gtest.h>

namespace ferry::cli {
namespace {

Json web_app() {
  return Json::parse(R"({
    "apiVersion": "ferry.dev/v1alpha1", "kind": "Application",
    "metadata": {"name": "web", "namespace": "ferry"},
    "spec": {"project": "default",
             "source": {"repoURL": "https://git.example.com/apps.git", "path": "apps/web", "targetRevision": "main"},
             "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
             "syncPolicy": {"automated": {"prune": true, "selfHeal": true}}},
    "status": {"sync": {"status": "Synced", "revision": "0123456789abcdef0123456789abcdef01234567"},
               "health": {"status": "Healthy"},
               "resources": [
                 {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "default", "name": "web",
                  "status": "Synced", "health": {"status": "Healthy"}},
                 {"version": "v1", "kind": "Secret", "namespace": "default", "name": "creds", "status": "OutOfSync"}],
               "operationState": {"phase": "Succeeded", "message": "successfully synced",
                                  "startedAt": "2026-01-01T10:00:00Z", "finishedAt": "2026-01-01T10:00:05Z",
                                  "syncResult": {"revision": "0123456789abcdef0123456789abcdef01234567",
                                                 "resources": [{"group": "apps", "version": "v1", "kind": "Deployment",
                                                                "namespace": "default", "name": "web",
                                                                "status": "Synced", "message": "created"}]}}}})");
}

TEST(AppsTable, ArgoColumns) {
  Json manual = web_app();
  manual["metadata"]["name"] = "api";
  manual["spec"].erase("syncPolicy");
  manual["spec"]["destination"] = {{"name", "in-cluster"}, {"namespace", "api"}};
  manual["status"]["sync"]["status"] = "OutOfSync";
  manual["status"]["conditions"] = Json::parse(R"([{"type": "SyncError", "message": "x"},
                                                    {"type": "SyncError", "message": "y"},
                                                    {"type": "ComparisonError", "message": "z"}])");
  std::string out = apps_table(Json::array({web_app(), manual}), false);
  EXPECT_EQ(out,
            "NAME  CLUSTER                         NAMESPACE  PROJECT  STATUS     HEALTH   SYNCPOLICY  CONDITIONS"
            "                    REPO                              PATH      TARGET\n"
            "web   https://kubernetes.default.svc  default    default  Synced     Healthy  Auto-Prune  <none>"
            "                        https://git.example.com/apps.git  apps/web  main\n"
            "api   in-cluster                      api        default  OutOfSync  Healthy  Manual      "
            "ComparisonError,SyncError(2)  https://git.example.com/apps.git  apps/web  main\n");
}

TEST(AppsTable, WideAddsRevisionAndOperation) {
  std::string out = apps_table(Json::array({web_app()}), true);
  EXPECT_NE(out.find("REVISION  OPERATION"), std::string::npos) << out;
  EXPECT_NE(out.find("main    0123456   Succeeded\n"), std::string::npos) << out;
}

TEST(AppsTable, EmptyListIsJustTheHeader) {
  EXPECT_EQ(apps_table(Json::array(), false).find('\n'), apps_table(Json::array(), false).size() - 1);
}

TEST(SyncPolicyColumn, ManualAutoAutoPrune) {
  Json app = web_app();
  EXPECT_EQ(sync_policy_column(app), "Auto-Prune");
  app["spec"]["syncPolicy"]["automated"]["prune"] = false;
  EXPECT_EQ(sync_policy_column(app), "Auto");
  app["spec"]["syncPolicy"].erase("automated");
  EXPECT_EQ(sync_policy_column(app), "Manual");
}

TEST(AppDetails, LabelsOperationAndResources) {
  std::string out = app_details(web_app());
  for (const char* want : {"Name:               web\n", "Project:            default\n",
                           "Server:             https://kubernetes.default.svc\n", "Repo:               https://git.example.com/apps.git\n",
                           "Target:             main\n", "Path:               apps/web\n",
                           "Sync Policy:        Automated (Prune, SelfHeal)\n",
                           "Sync Status:        Synced to main (0123456)\n", "Health Status:      Healthy\n",
                           "Phase:              Succeeded\n", "Message:            successfully synced\n",
                           "GROUP  KIND        NAMESPACE  NAME   STATUS     HEALTH   HOOK  MESSAGE\n",
                           "apps   Deployment  default    web    Synced     Healthy\n",
                           "       Secret      default    creds  OutOfSync\n"}) {
    EXPECT_NE(out.find(want), std::string::npos) << "missing: " << want << "\nin:\n" << out;
  }
  EXPECT_EQ(out.find("CONDITION"), std::string::npos);  // none to show
}

TEST(AppDetails, ConditionsTable) {
  Json app = web_app();
  app["status"]["conditions"] = Json::parse(R"([{"type": "SyncError", "message": "apply failed\nmore",
                                                 "lastTransitionTime": "2026-01-01T10:00:00Z"}])");
  std::string out = app_details(app);
  EXPECT_NE(out.find("CONDITION  MESSAGE       LAST TRANSITION\nSyncError  apply failed  2026-01-01T10:00:00Z\n"),
            std::string::npos)
      << out;
}

Json history() {
  return Json::parse(R"([
    {"id": 4, "kind": "sync", "revision": "ddd", "phase": "Succeeded", "initiatedBy": "alice", "startedAt": "T4", "dryRun": true},
    {"id": 3, "kind": "rollback", "revision": "aaa", "phase": "Succeeded", "initiatedBy": "alice", "startedAt": "T3", "rollbackOf": 1},
    {"id": 2, "kind": "sync", "revision": "ccc", "phase": "Failed", "message": "boom", "automated": true, "startedAt": "T2"},
    {"id": 1, "kind": "sync", "revision": "bbb", "phase": "Succeeded", "initiatedBy": "admin", "startedAt": "T1"},
    {"id": 0, "kind": "sync", "revision": "aaa", "phase": "Succeeded", "initiatedBy": "admin", "startedAt": "T0"}])");
}

TEST(History, TableNewestFirst) {
  std::string out = history_table(history(), false);
  EXPECT_EQ(out,
            "ID  DATE  REVISION  KIND      PHASE      INITIATED BY  MESSAGE\n"
            "4   T4    ddd       sync      Succeeded  alice\n"
            "3   T3    aaa       rollback  Succeeded  alice\n"
            "2   T2    ccc       sync      Failed     automated     boom\n"
            "1   T1    bbb       sync      Succeeded  admin\n"
            "0   T0    aaa       sync      Succeeded  admin\n");
  std::string wide = history_table(history(), true);
  EXPECT_NE(wide.find("ROLLBACK OF"), std::string::npos);
  // Entry 3 rolled back to 1; entry 4 was a dry run.
  EXPECT_NE(wide.find("false  false    1\n"), std::string::npos) << wide;
  EXPECT_NE(wide.find("false  true\n"), std::string::npos) << wide;
}

TEST(History, RollbackTargetIsThePreviousSuccessfulDeployment) {
  // 4 is a dry run, 3 runs now, 2 failed: the one before the current is 1.
  EXPECT_EQ(previous_successful_id(history()), 1);
  EXPECT_EQ(previous_successful_id(Json::array()), -1);
  EXPECT_EQ(previous_successful_id(Json::parse(R"([{"id": 5, "phase": "Succeeded"}])")), -1);
  EXPECT_EQ(previous_successful_id(Json::parse(R"([{"id": 6, "phase": "Running"}, {"id": 5, "phase": "Succeeded"},
                                                   {"id": 4, "phase": "Error"}, {"id": 3, "phase": "Succeeded"}])")),
            3);
}

TEST(Plan, Table) {
  Json items = Json::parse(R"([
    {"phase": "PreSync", "wave": 0, "action": "hook", "group": "batch", "kind": "Job", "namespace": "web", "name": "migrate"},
    {"phase": "Sync", "wave": 1, "action": "apply", "group": "apps", "kind": "Deployment", "namespace": "web", "name": "web", "reason": "differs"}])");
  EXPECT_EQ(plan_table(items),
            "PHASE    WAVE  ACTION  GROUP  KIND        NAMESPACE  NAME     REASON\n"
            "PreSync  0     hook    batch  Job         web        migrate\n"
            "Sync     1     apply   apps   Deployment  web        web      differs\n");
}

TEST(Diff, ArgoHeadersAndUnifiedDiffs) {
  Json diff = Json::parse(R"({"sync": "OutOfSync", "items": [
    {"group": "", "kind": "ConfigMap", "namespace": "default", "name": "settings", "status": "OutOfSync",
     "diff": "--- live\n+++ target\n-  k: v1\n+  k: v2"},
    {"group": "apps", "kind": "Deployment", "namespace": "default", "name": "web", "status": "Missing", "diff": ""}]})");
  EXPECT_EQ(diff_text(diff),
            "===== /ConfigMap default/settings ======\n--- live\n+++ target\n-  k: v1\n+  k: v2\n"
            "===== apps/Deployment default/web ======\nMissing\n");
  EXPECT_EQ(diff_text(Json::parse(R"({"sync": "Synced", "items": []})")), "");
}

Json node(const std::string& kind, const std::string& name, Json parents = Json::array(), std::string group = "") {
  return {{"group", group}, {"kind", kind}, {"namespace", "default"}, {"name", name}, {"status", "Synced"},
          {"health", {{"status", "Healthy"}}}, {"parentRefs", std::move(parents)}};
}

Json ref(const std::string& kind, const std::string& name, const std::string& group = "") {
  return {{"group", group}, {"kind", kind}, {"namespace", "default"}, {"name", name}};
}

TEST(Tree, NodesHangUnderTheirParents) {
  Json nodes = Json::array({node("Pod", "web-1-a", Json::array({ref("ReplicaSet", "web-1", "apps")})),
                            node("Service", "web"),
                            node("ReplicaSet", "web-1", Json::array({ref("Deployment", "web", "apps")}), "apps"),
                            node("Deployment", "web", Json::array(), "apps"),
                            node("Pod", "web-1-b", Json::array({ref("ReplicaSet", "web-1", "apps")}))});
  Json roots = build_tree(nodes);
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_EQ(tree_table(roots),
            "NAME                GROUP  NAMESPACE  STATUS  HEALTH   MESSAGE\n"
            "Deployment/web      apps   default    Synced  Healthy\n"
            "└─ReplicaSet/web-1  apps   default    Synced  Healthy\n"
            "  ├─Pod/web-1-a            default    Synced  Healthy\n"
            "  └─Pod/web-1-b            default    Synced  Healthy\n"
            "Service/web                default    Synced  Healthy\n");
}

TEST(Tree, ChildAppsAndErrorsNest) {
  Json child_app = node("Application", "child", Json::array(), "ferry.dev");
  child_app["app"] = "child";
  Json roots = build_tree(Json::array({child_app, node("ConfigMap", "root-cm")}));
  // What `app tree` does with the child's own tree.
  roots[0]["children"].push_back(build_tree(Json::array({node("ConfigMap", "from-child")}))[0]);
  roots[1]["treeError"] = "cannot open";
  std::string out = tree_table(roots);
  EXPECT_NE(out.find("Application/child  "), std::string::npos) << out;
  EXPECT_NE(out.find("└─ConfigMap/from-child"), std::string::npos) << out;
  EXPECT_NE(out.find("cannot open"), std::string::npos) << out;
}

TEST(Tree, ParentCyclesAndMissingParentsAreNotLost) {
  Json nodes = Json::array({node("A", "a", Json::array({ref("B", "b")})), node("B", "b", Json::array({ref("A", "a")})),
                            node("C", "orphan", Json::array({ref("Gone", "x")}))});
  Json roots = build_tree(nodes);
  std::string out = tree_table(roots);
  for (const char* name : {"A/a", "B/b", "C/orphan"}) EXPECT_NE(out.find(name), std::string::npos) << out;
}

TEST(Progress, OnlyNewOrChangedLinesArePrinted) {
  ProgressTracker tracker;
  ResourceLine web{"apps", "Deployment", "default", "web", "Synced", "Progressing", "", "created"};
  ResourceLine cm{"", "ConfigMap", "default", "cm", "Synced", "", "", "created"};
  EXPECT_EQ(tracker.update({web, cm}).size(), 2u);
  EXPECT_TRUE(tracker.update({web, cm}).empty());
  web.health = "Healthy";
  auto changed = tracker.update({web, cm});
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].health, "Healthy");
  // The same resource as a hook is a line of its own.
  ResourceLine hook = cm;
  hook.hook = "PreSync";
  EXPECT_EQ(tracker.update({hook}).size(), 1u);
}

TEST(Progress, LinesFromTheAppAndFromTheResult) {
  Json app = web_app();
  auto from_app = operation_lines(app);
  ASSERT_EQ(from_app.size(), 1u);
  EXPECT_EQ(from_app[0].kind, "Deployment");
  EXPECT_EQ(from_app[0].health, "Healthy");  // joined from status.resources
  EXPECT_EQ(from_app[0].message, "created");

  Json result = Json::parse(R"({"historyId": 3, "phase": "Succeeded", "revision": "abc", "resources": [
    {"group": "batch", "version": "v1", "kind": "Job", "namespace": "default", "name": "migrate", "status": "Synced",
     "message": "job completed", "hookPhase": "Succeeded", "syncPhase": "PreSync"},
    {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "default", "name": "web", "status": "Synced"}]})");
  auto lines = result_lines(result, app);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].hook, "PreSync");
  EXPECT_EQ(lines[0].health, "");
  EXPECT_EQ(lines[1].health, "Healthy");

  std::string summary = operation_summary("web", "Sync", result, app);
  EXPECT_NE(summary.find("Operation:          Sync\n"), std::string::npos) << summary;
  EXPECT_NE(summary.find("Phase:              Succeeded\n"), std::string::npos) << summary;
  EXPECT_NE(summary.find("batch  Job         default    migrate  Synced           PreSync  job completed\n"),
            std::string::npos)
      << summary;

  // Health "Missing" is the comparison from before the operation created the resource: left out.
  Json stale = app;
  stale["status"]["resources"][0]["health"]["status"] = "Missing";
  EXPECT_EQ(result_lines(result, stale)[1].health, "");
  EXPECT_EQ(operation_lines(stale)[0].health, "");

  auto waiting = resource_lines(app);
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_EQ(waiting[1].status, "OutOfSync");
}

TEST(Progress, StreamedLinesKeepTheirColumns) {
  std::string header = progress_header();
  std::string line = progress_line("2026-01-01T10:00:00Z", {"apps", "Deployment", "default", "web", "Synced", "Healthy", "", "created"});
  EXPECT_EQ(header.find("GROUP"), line.find("apps"));
  EXPECT_EQ(header.find("KIND"), line.find("Deployment"));
  EXPECT_EQ(header.find("MESSAGE"), line.find("created"));
  EXPECT_EQ(line.back(), '\n');
  EXPECT_NE(line[line.size() - 2], ' ');
}

TEST(Accounts, TableAndDetails) {
  Json accounts = Json::parse(R"([{"name": "admin", "enabled": true, "capabilities": ["login"]},
                                  {"name": "ci", "enabled": false, "capabilities": ["apiKey", "login"]}])");
  EXPECT_EQ(accounts_table(accounts),
            "NAME   ENABLED  CAPABILITIES\n"
            "admin  true     login\n"
            "ci     false    apiKey, login\n");
  Json ci = Json::parse(R"({"name": "ci", "enabled": true, "capabilities": ["apiKey"],
                            "tokens": [{"id": "deploy", "issuedAt": 1700000000, "expiresAt": 0},
                                       {"id": "short", "issuedAt": 1700000000, "expiresAt": 1700086400, "description": "tmp"}]})");
  std::string out = account_details(ci);
  EXPECT_NE(out.find("Capabilities:       apiKey\n"), std::string::npos) << out;
  EXPECT_NE(out.find("deploy  2023-11-14T22:13:20Z  never\n"), std::string::npos) << out;
  EXPECT_NE(out.find("short   2023-11-14T22:13:20Z  2023-11-15T22:13:20Z  tmp\n"), std::string::npos) << out;
  Json no_tokens = {{"name", "admin"}, {"enabled", true}};
  EXPECT_NE(account_details(no_tokens).find("Tokens:\nNONE\n"), std::string::npos);
}

TEST(JsonString, MissingOrWrongTypesReadAsEmpty) {
  Json app = web_app();
  EXPECT_EQ(json_string(app, {"spec", "source", "path"}), "apps/web");
  EXPECT_EQ(json_string(app, {"spec", "nothing", "here"}), "");
  EXPECT_EQ(json_string(app, {"spec", "syncPolicy"}), "");
  EXPECT_EQ(json_string(Json(), {"a"}), "");
}

}  // namespace
}  // namespace ferry::cli
