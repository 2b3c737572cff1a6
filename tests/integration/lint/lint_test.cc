// `ferry lint` as CI runs it: the real binary against a real git daemon on loopback and against
// local directories, with the real helm and kubectl (FERRY_HELM / FERRY_KUBECTL). Exit codes
// 0 (clean), 1 (deny), 2 (error); text, JSON and SARIF output; --policy as preset, list and file;
// and Ferry's own examples/ passing under the strictest policy.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/git_server.h"
#include "tests/support/process.h"

namespace ferry::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string deployment(const std::string& name, const std::string& image, bool probes,
                       const std::string& annotations = "{}") {
  std::string probe_lines = probes ? "          readinessProbe: {tcpSocket: {port: 8080}}\n"
                                     "          livenessProbe: {tcpSocket: {port: 8080}}\n"
                                   : "";
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: team, annotations: " +
         annotations + "}\nspec:\n  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: {labels: {app: " +
         name + "}}\n    spec:\n      automountServiceAccountToken: false\n      securityContext: {runAsNonRoot: true}\n"
         "      containers:\n        - name: main\n          image: " + image + "\n" + probe_lines +
         "          resources: {requests: {cpu: 10m, memory: 16Mi}}\n";
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class LintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto [var, tool] : {std::pair{"FERRY_HELM", "helm"}, std::pair{"FERRY_KUBECTL", "kubectl"}}) {
      std::string path = find_tool(var, tool);
      if (!path.empty()) tools_[var] = path;
    }
  }

  CommandResult ferry(std::vector<std::string> args) {
    args.insert(args.begin(), ferry_bin());
    std::map<std::string, std::string> env = tools_;
    env["HOME"] = home_.path();
    return run_command(args, env, "", std::chrono::seconds(180));
  }

  // A config repository served by `git daemon`: clean/ passes strict, bad/ runs :latest without
  // probes, exempt/ is bad/ with a reasoned exemption, noreason/ with an unreasoned one.
  std::string serve_repo() {
    upstream_ = std::make_unique<UpstreamRepo>(root_.path(), "config");
    upstream_->commit({
        {"clean/app.yaml", deployment("clean", std::string("ghcr.io/example/clean:1.0.0@") + kDigest, true)},
        {"bad/app.yaml", deployment("bad", "nginx:latest", false)},
        {"exempt/app.yaml", deployment("exempt", "nginx:latest", false,
                                       "{ferry.dev/policy-exempt: \"image-tag-latest,image-digest,probes-missing: "
                                       "vendor image, probed by the mesh\"}")},
        {"noreason/app.yaml", deployment("noreason", "nginx:latest", true, "{ferry.dev/policy-exempt: image-tag-latest}")},
    });
    daemon_ = std::make_unique<GitDaemon>(root_.path() + "/srv");
    EXPECT_TRUE(daemon_->start());
    return daemon_->url("config");
  }

  std::vector<std::string> repo_args(const std::string& url, const std::string& path) {
    return {"lint", "--repo", url, "--path", path, "--data-dir", root_.path() + "/data"};
  }

  static std::string show(const CommandResult& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout:\n" + r.out + "\n--- stderr:\n" + r.err;
  }

  static Json parse_json(const CommandResult& r) {
    try {
      return Json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << e.what() << "\n" << show(r);
      return Json::object();
    }
  }

  static std::multiset<std::string> checks_of(const Json& findings) {
    std::multiset<std::string> out;
    for (const auto& f : findings) out.insert(f.value("check", ""));
    return out;
  }

  std::map<std::string, std::string> tools_;
  TempDir home_, root_;
  std::unique_ptr<UpstreamRepo> upstream_;
  std::unique_ptr<GitDaemon> daemon_;
};

TEST_F(LintTest, ExitCodesFollowTheLevels) {
  const std::string url = serve_repo();
  auto clean = ferry(repo_args(url, "clean") + std::vector<std::string>{"--policy", "strict"});
  EXPECT_EQ(clean.exit_code, 0) << show(clean);
  EXPECT_NE(clean.out.find("clean: 1 objects, 0 deny, 0 warn"), std::string::npos) << show(clean);

  auto denied = ferry(repo_args(url, "bad") + std::vector<std::string>{"--policy", "strict"});
  EXPECT_EQ(denied.exit_code, 1) << show(denied);
  EXPECT_NE(denied.out.find("deny  [image-tag-latest] Deployment team/bad: spec.template.spec.containers[0].image"),
            std::string::npos) << show(denied);
  EXPECT_NE(denied.out.find("fix: "), std::string::npos);

  auto warned = ferry(repo_args(url, "bad"));  // the built-in levels warn
  EXPECT_EQ(warned.exit_code, 0) << show(warned);
  EXPECT_NE(warned.out.find("warn  [probes-missing]"), std::string::npos) << show(warned);
  EXPECT_EQ(warned.out.find("deny  "), std::string::npos) << show(warned);

  auto only_probes = ferry(repo_args(url, "bad") + std::vector<std::string>{"--policy", "default=off,probes-missing=deny"});
  EXPECT_EQ(only_probes.exit_code, 1) << show(only_probes);
  EXPECT_EQ(only_probes.out.find("image-tag-latest"), std::string::npos) << show(only_probes);
}

TEST_F(LintTest, ErrorsExitTwo) {
  const std::string url = serve_repo();
  const std::vector<std::vector<std::string>> cases = {
      {"lint", "--path", "bad"},                                                  // neither --repo nor --dir
      {"lint", "--repo", url, "--dir", root_.path(), "--path", "bad"},             // both
      repo_args(url, "bad") + std::vector<std::string>{"--policy", "paranoid"},    // no such preset
      repo_args(url, "bad") + std::vector<std::string>{"--policy", "latest=deny"},  // no such check
      repo_args(url, "bad") + std::vector<std::string>{"-o", "xml"},
      repo_args(url, "missing"),                                                   // render failure
      repo_args(url, "../etc"),
  };
  for (const auto& args : cases) {
    auto r = ferry(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << show(r);
    EXPECT_FALSE(r.err.empty()) << joined;
  }
  auto unknown = ferry(repo_args(url, "bad") + std::vector<std::string>{"--policy", "latest=deny"});
  EXPECT_NE(unknown.err.find("unknown check \"latest\""), std::string::npos) << show(unknown);
}

TEST_F(LintTest, JsonReportsFindingsExemptionsAndErrors) {
  const std::string url = serve_repo();
  auto bad = ferry(repo_args(url, "bad") + std::vector<std::string>{"--policy", "strict", "-o", "json"});
  ASSERT_EQ(bad.exit_code, 1) << show(bad);
  Json report = parse_json(bad);
  EXPECT_EQ(report["path"], "bad");
  EXPECT_EQ(report["revision"].get<std::string>().size(), 40u);
  EXPECT_EQ(report["objects"], 1);
  EXPECT_EQ(report["denied"], true);
  EXPECT_EQ(checks_of(report["findings"]),
            (std::multiset<std::string>{"image-tag-latest", "image-digest", "probes-missing"}));
  const Json& first = report["findings"][0];
  for (const char* key : {"check", "level", "group", "kind", "namespace", "name", "field", "message", "hint"}) {
    EXPECT_TRUE(first.contains(key)) << key << " in " << first.dump();
  }
  EXPECT_EQ(first["level"], "deny");
  EXPECT_EQ(first["group"], "apps");
  EXPECT_EQ(first["namespace"], "team");
  EXPECT_EQ(report["summary"]["deny"], 3);

  auto exempt = ferry(repo_args(url, "exempt") + std::vector<std::string>{"--policy", "strict", "-o", "json"});
  EXPECT_EQ(exempt.exit_code, 0) << show(exempt);
  Json ex = parse_json(exempt);
  EXPECT_TRUE(ex["findings"].empty()) << ex.dump(2);
  EXPECT_EQ(checks_of(ex["exempted"]), (std::multiset<std::string>{"image-tag-latest", "image-digest", "probes-missing"}));

  // Without a reason the exemption is not honoured, and the report says why.
  auto noreason = ferry(repo_args(url, "noreason") + std::vector<std::string>{"--policy", "strict", "-o", "json"});
  EXPECT_EQ(noreason.exit_code, 1) << show(noreason);
  Json nr = parse_json(noreason);
  EXPECT_EQ(checks_of(nr["findings"]), (std::multiset<std::string>{"image-tag-latest", "image-digest"}));
  ASSERT_EQ(nr["errors"].size(), 1u) << nr.dump(2);
  EXPECT_NE(nr["errors"][0].get<std::string>().find("has no reason"), std::string::npos) << nr.dump(2);
}

TEST_F(LintTest, SarifHasRulesResultsAndLocations) {
  const std::string url = serve_repo();
  auto r = ferry(repo_args(url, "bad") + std::vector<std::string>{"--policy", "strict", "-o", "sarif"});
  ASSERT_EQ(r.exit_code, 1) << show(r);
  Json sarif = parse_json(r);
  EXPECT_EQ(sarif["version"], "2.1.0");
  const Json& run = sarif["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "ferry");
  const Json& rules = run["tool"]["driver"]["rules"];
  ASSERT_EQ(rules.size(), 15u);
  std::set<std::string> rule_ids;
  for (const auto& rule : rules) {
    rule_ids.insert(rule["id"].get<std::string>());
    EXPECT_FALSE(rule["shortDescription"]["text"].get<std::string>().empty());
    EXPECT_FALSE(rule["help"]["text"].get<std::string>().empty());
  }
  EXPECT_TRUE(rule_ids.count("image-tag-latest") && rule_ids.count("sa-token-automount"));
  const Json& results = run["results"];
  ASSERT_EQ(results.size(), 3u) << results.dump(2);
  for (const auto& result : results) {
    EXPECT_EQ(result["level"], "error");
    EXPECT_EQ(rules[result["ruleIndex"].get<size_t>()]["id"], result["ruleId"]);
    EXPECT_FALSE(result["message"]["text"].get<std::string>().empty());
    const Json& loc = result["locations"][0];
    EXPECT_EQ(loc["physicalLocation"]["artifactLocation"]["uri"], "bad");
    EXPECT_EQ(loc["logicalLocations"][0]["fullyQualifiedName"], "apps/Deployment/team/bad");
  }

  auto warn = ferry(repo_args(url, "bad") + std::vector<std::string>{"-o", "sarif"});
  ASSERT_EQ(warn.exit_code, 0) << show(warn);
  for (const auto& result : parse_json(warn)["runs"][0]["results"]) EXPECT_EQ(result["level"], "warning");
}

TEST_F(LintTest, PolicyFilesAreMapsOrApplications) {
  const std::string url = serve_repo();
  TempDir files;
  std::string map = files.write("policy.yaml", "default: \"off\"\nprobes-missing: deny\nimage-tag-latest: off\n");
  auto r = ferry(repo_args(url, "bad") + std::vector<std::string>{"--policy", map, "-o", "json"});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_EQ(checks_of(parse_json(r)["findings"]), (std::multiset<std::string>{"probes-missing"}));

  std::string app = files.write("app.yaml", R"(apiVersion: ferry.dev/v1alpha1
kind: Application
metadata:
  name: bad
  annotations: {ferry.dev/policy: "probes-missing=warn"}
spec:
  policy: {default: deny, image-tag-latest: "off"}
  source: {repoURL: https://example.com/config.git, path: bad}
  destination: {server: https://kubernetes.default.svc, namespace: team}
)");
  auto a = ferry(repo_args(url, "bad") + std::vector<std::string>{"--policy", app, "-o", "json"});
  EXPECT_EQ(a.exit_code, 0) << show(a);
  Json report = parse_json(a);
  EXPECT_EQ(checks_of(report["findings"]), (std::multiset<std::string>{"probes-missing"}));
  EXPECT_EQ(report["findings"][0]["level"], "warn");

  std::string bad = files.write("bad.yaml", "privileged: loud\n");
  auto b = ferry(repo_args(url, "bad") + std::vector<std::string>{"--policy", bad});
  EXPECT_EQ(b.exit_code, 2) << show(b);
  EXPECT_NE(b.err.find("unknown level \"loud\""), std::string::npos) << show(b);
}

TEST_F(LintTest, DirLintsUncommittedFilesAndRefusesEscapingSymlinks) {
  TempDir work;
  work.write("app/app.yaml", deployment("local", "nginx:latest", true));
  work.write(".git/HEAD", "not read\n");
  auto r = ferry({"lint", "--dir", work.path(), "--path", "app", "--policy", "strict", "-o", "json"});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  Json report = parse_json(r);
  EXPECT_EQ(report["revision"], "");
  EXPECT_EQ(checks_of(report["findings"]), (std::multiset<std::string>{"image-tag-latest", "image-digest"}));

  work.write("app/app.yaml", deployment("local", std::string("nginx:1.27.2@") + kDigest, true));
  auto fixed = ferry({"lint", "--dir", work.path(), "--path", "app", "--policy", "strict"});
  EXPECT_EQ(fixed.exit_code, 0) << show(fixed);

  TempDir outside;
  outside.write("secret.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  fs::create_symlink(outside.file("secret.yaml"), work.file("app/leak.yaml"));
  auto escaped = ferry({"lint", "--dir", work.path(), "--path", "app"});
  EXPECT_EQ(escaped.exit_code, 2) << show(escaped);
  EXPECT_NE(escaped.err.find("SymlinkEscape"), std::string::npos) << show(escaped);
}

// The examples/ folder is what `ferry demo` deploys and what users copy: it must pass the
// strictest policy, through every renderer, from a directory and from git.
TEST_F(LintTest, ExamplesPassStrict) {
  ASSERT_TRUE(tools_.count("FERRY_HELM") && tools_.count("FERRY_KUBECTL")) << "helm and kubectl are needed";
  struct App {
    std::string path;
    std::vector<std::string> flags;
    size_t min_objects;
  };
  const std::vector<App> apps = {
      {"examples/guestbook", {}, 3},
      {"examples/shop/overlays/dev", {}, 3},
      {"examples/shop/overlays/prod", {}, 3},
      {"examples/podinfo", {"--helm-values", "values-prod.yaml", "--release-name", "podinfo-prod"}, 2},
      {"examples/podinfo", {"--helm-values", "values-dev.yaml"}, 2},
      {"examples/waves-and-hooks", {}, 5},
      {"examples/apps", {"--release-name", "apps"}, 4},
      {"examples/deploy/crds", {}, 2},
      {"examples/deploy", {}, 10},  // Ferry's own install: reasoned exemptions for its RBAC and image
      {"examples/deploy/namespaced", {}, 8},
      {"examples/deploy/ha", {}, 9},  // three replicas sharing the apps over a PostgreSQL store
  };
  // The same tree committed to a repository on a git daemon, as the demo does.
  upstream_ = std::make_unique<UpstreamRepo>(root_.path(), "examples");
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(source_dir() + "/examples")) {
    if (e.is_regular_file()) files["examples/" + fs::relative(e.path(), source_dir() + "/examples").string()] = read_file(e.path());
  }
  upstream_->commit(files, "examples");
  daemon_ = std::make_unique<GitDaemon>(root_.path() + "/srv");
  ASSERT_TRUE(daemon_->start());

  for (const App& app : apps) {
    for (bool from_git : {false, true}) {
      std::vector<std::string> args = from_git ? repo_args(daemon_->url("examples"), app.path)
                                               : std::vector<std::string>{"lint", "--dir", source_dir(), "--path", app.path};
      args.insert(args.end(), {"--policy", "strict", "-o", "json"});
      args.insert(args.end(), app.flags.begin(), app.flags.end());
      auto r = ferry(args);
      EXPECT_EQ(r.exit_code, 0) << app.path << (from_git ? " (git)" : " (dir)") << "\n" << show(r);
      Json report = parse_json(r);
      EXPECT_TRUE(report["findings"].empty()) << app.path << "\n" << report["findings"].dump(2);
      EXPECT_TRUE(report["errors"].empty()) << app.path << "\n" << report["errors"].dump(2);
      EXPECT_GE(report["objects"].get<size_t>(), app.min_objects) << app.path;
    }
  }

  // podinfo states its tag-only pin with a reasoned exemption; a digest makes it unnecessary.
  auto podinfo = ferry({"lint", "--dir", source_dir(), "--path", "examples/podinfo", "--policy", "strict", "-o", "json"});
  EXPECT_EQ(checks_of(parse_json(podinfo)["exempted"]), (std::multiset<std::string>{"image-digest"})) << show(podinfo);
  auto pinned = ferry({"lint", "--dir", source_dir(), "--path", "examples/podinfo", "--policy", "strict", "-o", "json",
                       "--helm-set-string", std::string("image.digest=") + kDigest});
  EXPECT_EQ(pinned.exit_code, 0) << show(pinned);
  EXPECT_TRUE(parse_json(pinned)["exempted"].empty()) << show(pinned);
}

}  // namespace
}  // namespace ferry::testing
