// Pure parts of reconciler/render: globs, detection, manifest parsing, the render cache and the
// tool runner's limits.
#include <gtest/gtest.h>

#include <pthread.h>

#include <chrono>
#include <csignal>

#include "reconciler/render/render_cache.h"
#include "reconciler/render/renderers.h"
#include "reconciler/render/tool_runner.h"

namespace ferry::reconciler {
namespace {

TEST(Glob, ArgoStylePatterns) {
  EXPECT_TRUE(glob_match("*.yaml", "a.yaml"));
  EXPECT_TRUE(glob_match("*.yaml", "sub/a.yaml"));  // '*' crosses '/' as in Argo CD
  EXPECT_FALSE(glob_match("*.yaml", "a.json"));
  EXPECT_TRUE(glob_match("{config.json,env-usw2/*}", "env-usw2/x.yaml"));
  EXPECT_TRUE(glob_match("{config.json,env-usw2/*}", "config.json"));
  EXPECT_FALSE(glob_match("{config.json,env-usw2/*}", "env-use1/x.yaml"));
  EXPECT_TRUE(glob_match("file-?.y[a-z]ml", "file-1.yaml"));
  EXPECT_FALSE(glob_match("file-[!1].yaml", "file-1.yaml"));
  EXPECT_TRUE(glob_match("file-[!1].yaml", "file-2.yaml"));
  EXPECT_TRUE(glob_match("a*b*c", "axxbyyc"));
  EXPECT_FALSE(glob_match("a*b*c", "axxbyy"));
}

TEST(Detect, LikeArgoCd) {
  EXPECT_EQ(detect_renderer({"Chart.yaml", "values.yaml"}), RendererKind::kHelm);
  EXPECT_EQ(detect_renderer({"kustomization.yaml"}), RendererKind::kKustomize);
  EXPECT_EQ(detect_renderer({"kustomization.yml"}), RendererKind::kKustomize);
  EXPECT_EQ(detect_renderer({"Kustomization"}), RendererKind::kKustomize);
  EXPECT_EQ(detect_renderer({"deploy.yaml"}), RendererKind::kDirectory);
  EXPECT_EQ(*parse_renderer_kind("helm"), RendererKind::kHelm);
  EXPECT_FALSE(parse_renderer_kind("jsonnet").ok());
}

TEST(ManifestFile, FlattensListsAndSkipsNonObjects) {
  std::vector<Json> objects;
  std::vector<std::string> warnings;
  std::string text =
      "apiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"
      "- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n---\nkey: value\n---\n- just\n- a list\n";
  ASSERT_TRUE(parse_manifest_file(text, "f.yaml", objects, warnings).ok());
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[1]["metadata"]["name"], "b");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("f.yaml: document 2 (line 9)"), std::string::npos) << warnings[0];

  Status bad = parse_manifest_file("a: [\n", "bad.yaml", objects, warnings);
  EXPECT_TRUE(bad.is(Reason::kInvalid));
  EXPECT_NE(bad.message().find("bad.yaml"), std::string::npos);
}

TEST(HelmValueFiles, StayInsideTheRepository) {
  HelmOptions options;
  options.value_files = {"values.yaml", "../../envs/prod.yaml"};
  auto files = helm_value_file_paths("charts/app", options);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{"charts/app/values.yaml", "envs/prod.yaml"}));
  for (const char* bad : {"../../../x.yaml", "/etc/passwd", "https://example.com/v.yaml"}) {
    options.value_files = {bad};
    auto r = helm_value_file_paths("charts/app", options);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().causes().front().reason, "ValueFileOutsideRepo");
  }
}

std::shared_ptr<const RenderOutput> output_of(size_t bytes) {
  auto out = std::make_shared<RenderOutput>();
  out->approx_bytes = bytes;
  return out;
}

TEST(RenderCache, LruBoundedBySize) {
  RenderCache cache(1000);
  cache.put("a", output_of(400));
  cache.put("b", output_of(400));
  EXPECT_NE(cache.get("a"), nullptr);  // a is now most recent
  cache.put("c", output_of(400));      // evicts b
  EXPECT_EQ(cache.get("b"), nullptr);
  EXPECT_NE(cache.get("a"), nullptr);
  EXPECT_NE(cache.get("c"), nullptr);
  cache.put("huge", output_of(5000));  // larger than the bound: not kept
  EXPECT_EQ(cache.get("huge"), nullptr);
  auto stats = cache.stats();
  EXPECT_EQ(stats.entries, 2u);
  EXPECT_EQ(stats.evictions, 1u);
  EXPECT_LE(stats.bytes, 1000u);
}

TEST(RenderCache, KeyCoversCommitPathAndParameters) {
  RenderSpec a;
  a.path = "x";
  RenderSpec b = a;
  b.helm.parameters.push_back({"k", "v", false});
  EXPECT_NE(RenderCache::key("r", "c1", "x", a), RenderCache::key("r", "c2", "x", a));
  EXPECT_NE(RenderCache::key("r", "c1", "x", a), RenderCache::key("r", "c1", "y", a));
  EXPECT_NE(RenderCache::key("r", "c1", "x", a), RenderCache::key("r", "c1", "x", b));
  EXPECT_EQ(RenderCache::key("r", "c1", "x", a), RenderCache::key("r", "c1", "x", a));
}

TEST(ToolRunner, CapturesOutputAndExitCode) {
  ToolRun run;
  run.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"};
  run.env = minimal_environment("/tmp");
  auto r = run_tool(run);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(ToolRunner, MinimalEnvironmentAndWorkingDirectory) {
  setenv("FERRY_TEST_LEAK", "leaked", 1);
  ToolRun run;
  run.argv = {"/bin/sh", "-c", "pwd; echo \"[$FERRY_TEST_LEAK]\"; echo $HOME"};
  run.env = minimal_environment("/tmp/home-x");
  run.cwd = "/usr";
  auto r = run_tool(run);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "/usr\n[]\n/tmp/home-x\n");
}

TEST(ToolRunner, TimeoutKillsTheProcessGroup) {
  ToolRun run;
  run.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30"};
  run.env = minimal_environment("/tmp");
  run.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = run_tool(run);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is(Reason::kTimeout)) << r.status().to_string();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(ToolRunner, OutputCap) {
  ToolRun run;
  run.argv = {"/bin/sh", "-c", "yes ferry"};
  run.env = minimal_environment("/tmp");
  run.max_output_bytes = 100000;
  auto r = run_tool(run);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is(Reason::kRequestEntityTooLarge)) << r.status().to_string();
}

TEST(ToolRunner, MissingProgram) {
  ToolRun run;
  run.argv = {"/nonexistent/helm"};
  auto r = run_tool(run);
  EXPECT_TRUE(r.status().is(Reason::kNotFound));
}

TEST(ToolRunner, AMissingWorkDirIsNamed) {
  ToolRun run;
  run.argv = {"/bin/sh", "-c", "true"};
  run.cwd = "/nonexistent/work";
  auto r = run_tool(run);
  ASSERT_TRUE(r.status().is(Reason::kNotFound)) << r.status().to_string();
  EXPECT_NE(r.status().message().find("cannot enter directory /nonexistent/work"), std::string::npos);
}

TEST(ToolRunner, TheToolGetsSignalsAtTheirDefaults) {
  // Servers ignore SIGPIPE; a tool must not inherit that (a closed pipe should end it), nor a
  // blocked signal mask.
  auto previous = std::signal(SIGPIPE, SIG_IGN);
  sigset_t blocked, old_mask;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &blocked, &old_mask);
  ToolRun run;
  run.argv = {"/bin/sh", "-c", "kill -PIPE $$; echo survived"};
  auto piped = run_tool(run);
  run.argv = {"/bin/sh", "-c", "kill -TERM $$; echo survived"};
  auto termed = run_tool(run);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  std::signal(SIGPIPE, previous);
  ASSERT_TRUE(piped.ok()) << piped.status().to_string();
  EXPECT_EQ(piped->exit_code, 128 + SIGPIPE) << piped->out;
  ASSERT_TRUE(termed.ok()) << termed.status().to_string();
  EXPECT_EQ(termed->exit_code, 128 + SIGTERM) << termed->out;
}

}  // namespace
}  // namespace ferry::reconciler
