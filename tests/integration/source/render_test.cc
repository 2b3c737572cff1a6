// Renderers over real repositories and real tools: output equals what the tools print when run
// by hand, refusals are named, caches skip work they may skip.
#include "reconciler/render/app_renderer.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "reconciler/render/renderers.h"
#include "reconciler/source/repo_path.h"
#include "tests/support/git_server.h"
#include "tests/support/process.h"

namespace ferry::reconciler {
namespace {

using ferry::testing::find_tool;
using ferry::testing::run_command;
using ferry::testing::TempDir;
using ferry::testing::UpstreamRepo;

const char* kChartYaml = "apiVersion: v2\nname: demo\nversion: 0.1.0\nappVersion: \"1.0\"\n";
const char* kChartValues = "replicas: 1\nimage: nginx\ngreeting: hello\n";
const char* kChartTemplate = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: {{ .Values.image }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-greeting
data:
  greeting: {{ .Values.greeting | quote }}
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
)";
const char* kSubChart = "apiVersion: v2\nname: sub\nversion: 0.2.0\n";
const char* kSubTemplate =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-sub\nspec:\n  ports:\n  - port: 80\n";
const char* kCrd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object}
)";

class RenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    helm_ = find_tool("FERRY_HELM", "helm");
    kubectl_ = find_tool("FERRY_KUBECTL", "kubectl");
    if (!helm_.empty()) setenv("FERRY_HELM", helm_.c_str(), 1);
    if (!kubectl_.empty()) setenv("FERRY_KUBECTL", kubectl_.c_str(), 1);
    upstream_ = std::make_unique<UpstreamRepo>(dir_.path(), "apps");
    first_ = upstream_->commit({
        {"plain/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\nnot: k8s\n"},
        {"plain/b.json", R"({"apiVersion":"v1","kind":"List","items":[)"
                         R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b1"}},)"
                         R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b2"}}]})"},
        {"plain/notes.txt", "ignored"},
        {"plain/sub/c.yml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: c\n"},
        {"plain/sub/skip.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: skipped\n"},
        {"charts/demo/Chart.yaml", kChartYaml},
        {"charts/demo/values.yaml", kChartValues},
        {"charts/demo/values-prod.yaml", "replicas: 3\n"},
        {"charts/demo/templates/app.yaml", kChartTemplate},
        {"charts/demo/charts/sub/Chart.yaml", kSubChart},
        {"charts/demo/charts/sub/templates/svc.yaml", kSubTemplate},
        {"charts/demo/crds/widget.yaml", kCrd},
        {"envs/prod/demo-values.yaml", "greeting: from-env\n"},
        {"kust/base/kustomization.yaml", "resources:\n- cm.yaml\n"},
        {"kust/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\ndata:\n  k: v\n"},
        {"kust/overlay/kustomization.yaml",
         "resources:\n- ../base\nnamePrefix: prod-\ncommonLabels:\n  env: prod\n"},
        {"other/readme.md", "x"},
    });
    cache_ = std::make_unique<RepoCache>(dir_.path() + "/data");
    renderer_ = std::make_unique<AppRenderer>(*cache_, render_cache_, ToolSettings::from_environment());
    url_ = upstream_->file_url();
  }

  Result<AppRenderResult> render(const RenderSpec& spec, const std::string& revision = "main") {
    return renderer_->render({url_, {}}, revision, spec);
  }

  // Runs a tool by hand in the upstream's working copy and parses its output.
  std::vector<Json> by_hand(const std::vector<std::string>& argv) {
    TempDir home;
    auto r = run_command(argv, {{"HOME", home.path()}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto objects = yaml::parse_objects(r.out, "by hand");
    EXPECT_TRUE(objects.ok()) << objects.status().to_string();
    return objects.ok() ? *objects : std::vector<Json>{};
  }

  std::string helm_, kubectl_;
  TempDir dir_;
  std::unique_ptr<UpstreamRepo> upstream_;
  std::unique_ptr<RepoCache> cache_;
  RenderCache render_cache_;
  std::unique_ptr<AppRenderer> renderer_;
  std::string url_, first_;
};

std::vector<std::string> names(const std::vector<Json>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back(o["metadata"]["name"].get<std::string>());
  return out;
}

TEST_F(RenderTest, DirectoryFlatAndRecursiveWithGlobs) {
  RenderSpec spec;
  spec.path = "plain";
  auto flat = render(spec);
  ASSERT_TRUE(flat.ok()) << flat.status().to_string();
  EXPECT_EQ(flat->output->kind, RendererKind::kDirectory);
  EXPECT_EQ(names(flat->output->objects), (std::vector<std::string>{"a", "b1", "b2"}));
  ASSERT_EQ(flat->output->warnings.size(), 1u);
  EXPECT_NE(flat->output->warnings[0].find("plain/a.yaml: document 2"), std::string::npos)
      << flat->output->warnings[0];

  spec.directory.recurse = true;
  auto deep = render(spec);
  ASSERT_TRUE(deep.ok());
  EXPECT_EQ(names(deep->output->objects), (std::vector<std::string>{"a", "b1", "b2", "c", "skipped"}));

  spec.directory.exclude = "{sub/skip.yaml,*.json}";
  auto excluded = render(spec);
  ASSERT_TRUE(excluded.ok());
  EXPECT_EQ(names(excluded->output->objects), (std::vector<std::string>{"a", "c"}));

  spec.directory.exclude = "";
  spec.directory.include = "sub/*";
  auto included = render(spec);
  ASSERT_TRUE(included.ok());
  EXPECT_EQ(names(included->output->objects), (std::vector<std::string>{"c", "skipped"}));
}

TEST_F(RenderTest, DirectoryErrorsNameFileAndLine) {
  upstream_->commit({{"broken/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"},
                     {"broken/bad.yaml", "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: [unclosed\n"}});
  RenderSpec spec;
  spec.path = "broken";
  auto r = render(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is(Reason::kInvalid)) << r.status().to_string();
  EXPECT_NE(r.status().message().find("broken/bad.yaml"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("document 2, line "), std::string::npos) << r.status().message();
}

TEST_F(RenderTest, AutoDetectsEachRenderer) {
  if (helm_.empty() || kubectl_.empty()) GTEST_SKIP() << "helm/kubectl not installed";
  RenderSpec spec;
  spec.path = "charts/demo";
  EXPECT_EQ(render(spec)->output->kind, RendererKind::kHelm);
  spec.path = "kust/overlay";
  EXPECT_EQ(render(spec)->output->kind, RendererKind::kKustomize);
  spec.path = "plain";
  EXPECT_EQ(render(spec)->output->kind, RendererKind::kDirectory);
  // Overridable: the chart directory read as plain YAML files.
  spec.path = "charts/demo";
  spec.kind = RendererKind::kDirectory;
  auto plain = render(spec);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  EXPECT_EQ(plain->output->kind, RendererKind::kDirectory);
}

TEST_F(RenderTest, HelmOutputEqualsHelmTemplateByHand) {
  if (helm_.empty()) GTEST_SKIP() << "helm not installed";
  RenderSpec spec;
  spec.path = "charts/demo";
  spec.helm.release_name = "shop";
  spec.helm.namespace_ = "prod";
  spec.helm.value_files = {"values-prod.yaml", "../../envs/prod/demo-values.yaml"};
  spec.helm.parameters = {{"image", "nginx:1.27", false}};
  spec.helm.kube_version = "1.30.0";
  auto r = render(spec);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  std::string chart = upstream_->work_path() + "/charts/demo";
  auto expected = by_hand({helm_, "template", "shop", chart, "--namespace", "prod", "--values",
                           chart + "/values-prod.yaml", "--values", upstream_->work_path() + "/envs/prod/demo-values.yaml",
                           "--set", "image=nginx:1.27", "--include-crds", "--kube-version", "1.30.0"});
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(r->output->objects, expected);
  // Vendored subchart and CRDs are there; values and parameters applied.
  bool saw_sub = false, saw_crd = false;
  for (const auto& o : r->output->objects) {
    if (o["kind"] == "Service" && o["metadata"]["name"] == "shop-sub") saw_sub = true;
    if (o["kind"] == "CustomResourceDefinition") saw_crd = true;
    if (o["kind"] == "Deployment") {
      EXPECT_EQ(o["spec"]["replicas"], 3);
      EXPECT_EQ(o["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27");
    }
    if (o["kind"] == "ConfigMap") {
      EXPECT_EQ(o["data"]["greeting"], "from-env");
    }
  }
  EXPECT_TRUE(saw_sub);
  EXPECT_TRUE(saw_crd);

  spec.helm.skip_crds = true;
  auto no_crds = render(spec);
  ASSERT_TRUE(no_crds.ok());
  EXPECT_EQ(no_crds->output->objects.size(), r->output->objects.size() - 1);
}

TEST_F(RenderTest, HelmValueFileTraversalIsRefused) {
  RenderSpec spec;
  spec.path = "charts/demo";
  for (const char* file : {"../../../../etc/passwd", "/etc/passwd", "https://example.com/values.yaml"}) {
    spec.helm.value_files = {file};
    auto r = render(spec);
    ASSERT_FALSE(r.ok()) << file;
    EXPECT_EQ(refusal_name(r.status()), kValueFileOutsideRepo) << file << ": " << r.status().to_string();
  }
  // A symlinked value file that escapes is refused too.
  upstream_->symlink("charts/demo/evil-values.yaml", "../../../../../etc/passwd");
  spec.helm.value_files = {"evil-values.yaml"};
  auto r = render(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(refusal_name(r.status()), kSymlinkEscape) << r.status().to_string();
}

TEST_F(RenderTest, HelmFailureReturnsToolStderr) {
  if (helm_.empty()) GTEST_SKIP() << "helm not installed";
  upstream_->commit({{"charts/demo/templates/broken.yaml", "{{ .Values.nope.deeper }}\n"}});
  RenderSpec spec;
  spec.path = "charts/demo";
  auto r = render(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("helm template failed"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("nil pointer"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find(dir_.path()), std::string::npos) << "work dir leaked: " << r.status().message();
}

TEST_F(RenderTest, KustomizeOutputEqualsKubectlKustomizeByHand) {
  if (kubectl_.empty()) GTEST_SKIP() << "kubectl not installed";
  RenderSpec spec;
  spec.path = "kust/overlay";
  auto r = render(spec);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto expected = by_hand({kubectl_, "kustomize", upstream_->work_path() + "/kust/overlay"});
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(r->output->objects, expected);
  EXPECT_EQ(r->output->objects[0]["metadata"]["name"], "prod-base");
  EXPECT_NE(std::find(r->output->inputs.begin(), r->output->inputs.end(), "kust/base"), r->output->inputs.end());
}

TEST_F(RenderTest, KustomizeReferenceOutsideTheRepositoryIsRefused) {
  upstream_->commit({{"kust/evil/kustomization.yaml", "resources:\n- ../../../../../../etc\n"}});
  RenderSpec spec;
  spec.path = "kust/evil";
  auto r = render(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(refusal_name(r.status()), kPathTraversal) << r.status().to_string();
}

TEST_F(RenderTest, CacheHitsAndUnrelatedCommitsRenderNothing) {
  if (kubectl_.empty()) GTEST_SKIP() << "kubectl not installed";
  RenderSpec spec;
  spec.path = "kust/overlay";
  auto first = render(spec);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_FALSE(first->cache_hit);
  auto again = render(spec);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->cache_hit);
  EXPECT_EQ(again->output.get(), first->output.get());
  // A hard refresh renders again although the output is cached.
  auto hard = renderer_->render_commit(url_, first->commit, spec, /*rerender=*/true);
  ASSERT_TRUE(hard.ok()) << hard.status().to_string();
  EXPECT_FALSE(hard->cache_hit);
  EXPECT_NE(hard->output.get(), first->output.get());
  EXPECT_EQ(hard->output->objects, first->output->objects);

  // A commit elsewhere in the repository: reused without rendering.
  upstream_->commit({{"other/readme.md", "changed"}});
  auto unrelated = render(spec);
  ASSERT_TRUE(unrelated.ok());
  EXPECT_NE(unrelated->commit, first->commit);
  EXPECT_TRUE(unrelated->reused);
  EXPECT_EQ(unrelated->output.get(), hard->output.get());

  // A change in the base the overlay pulls in: rendered again.
  upstream_->commit({{"kust/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\ndata:\n  k: v2\n"}});
  auto related = render(spec);
  ASSERT_TRUE(related.ok());
  EXPECT_FALSE(related->reused);
  EXPECT_FALSE(related->cache_hit);
  EXPECT_EQ(related->output->objects[0]["data"]["k"], "v2");

  // Different parameters are a different cache entry.
  RenderSpec other = spec;
  other.kind = RendererKind::kKustomize;
  auto different = render(other);
  ASSERT_TRUE(different.ok());
  EXPECT_FALSE(different->cache_hit);
  EXPECT_GE(render_cache_.stats().hits, 1u);
}

TEST_F(RenderTest, FerryRenderCommand) {
  std::string ferry = ferry::testing::ferry_bin();
  if (access(ferry.c_str(), X_OK) != 0) GTEST_SKIP() << "ferry binary not built at " << ferry;
  TempDir data;
  auto ok = run_command({ferry, "render", "--repo", url_, "--path", "plain", "--recurse", "--data-dir", data.path()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto objects = yaml::parse_objects(ok.out, "stdout");
  ASSERT_TRUE(objects.ok()) << objects.status().to_string();
  EXPECT_EQ(names(*objects), (std::vector<std::string>{"a", "b1", "b2", "c", "skipped"}));
  EXPECT_NE(ok.err.find("warning:"), std::string::npos);

  if (!helm_.empty()) {
    auto helm = run_command({ferry, "render", "--repo", url_, "--revision", first_.substr(0, 10), "--path", "charts/demo",
                             "--helm-values", "values-prod.yaml", "--helm-set", "greeting=hi", "--release-name", "r",
                             "--namespace", "ns", "--data-dir", data.path()},
                            {{"FERRY_HELM", helm_}});
    EXPECT_EQ(helm.exit_code, 0) << helm.err;
    EXPECT_NE(helm.out.find("name: r-web"), std::string::npos) << helm.out;
    EXPECT_NE(helm.out.find("greeting: hi"), std::string::npos) << helm.out;
  }

  auto bad = run_command({ferry, "render", "--repo", url_, "--path", "../etc", "--data-dir", data.path()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("PathTraversal"), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty());
  auto missing = run_command({ferry, "render", "--repo", url_, "--revision", "nope", "--path", "plain", "--data-dir",
                              data.path()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace ferry::reconciler
