// The Application contract: real Argo CD Application YAMLs read through the YAML codec, defaults,
// every validation message, the argoproj.io -> ferry.dev conversion, round trips, sync options,
// durations, the status shape, and the examples of docs/application.md.
#include "apis/types/application.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apis/types/application_status.h"
#include "apis/types/duration.h"
#include "apis/types/yaml_codec.h"
#include "tests/unit/apis/source_tree.h"

namespace ferry::apis {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// --- Realistic manifests, as found in Argo CD config repos ----------------------------------

constexpr const char* kHelmApp = R"(
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: podinfo-prod
  namespace: argocd
  labels:
    team: web
  annotations:
    notifications.argoproj.io/subscribe.on-sync-failed.slack: alerts
  finalizers:
    - resources-finalizer.argocd.argoproj.io
spec:
  project: web
  source:
    repoURL: https://github.com/example/deploy.git
    targetRevision: main
    path: charts/podinfo
    helm:
      releaseName: podinfo
      valueFiles:
        - values.yaml
        - ../../envs/prod/podinfo.yaml
      parameters:
        - name: replicaCount
          value: "3"
        - name: image.tag
          value: 6.5.0
          forceString: true
      fileParameters:
        - name: config
          path: files/config.json
      values: |
        ingress:
          enabled: true
      skipCrds: true
      ignoreMissingValueFiles: true
      passCredentials: false
      version: v3
  destination:
    server: https://kubernetes.default.svc
    namespace: podinfo
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    syncOptions:
      - CreateNamespace=true
      - PrunePropagationPolicy=background
      - ServerSideApply=true
    retry:
      limit: 5
      backoff:
        duration: 10s
        factor: 3
        maxDuration: 5m
    managedNamespaceMetadata:
      labels:
        istio-injection: enabled
  ignoreDifferences:
    - group: apps
      kind: Deployment
      jsonPointers:
        - /spec/replicas
    - kind: Secret
      name: podinfo-tls
      managedFieldsManagers:
        - cert-manager
  revisionHistoryLimit: 3
  info:
    - name: runbook
      value: https://wiki.example.com/podinfo
)";

constexpr const char* kKustomizeApp = R"(
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook-staging
  namespace: argocd
spec:
  project: default
  source:
    repoURL: git@github.com:example/gitops.git
    targetRevision: v1.4.2
    path: overlays/staging
    kustomize:
      namePrefix: staging-
      nameSuffix: -v1
      namespace: guestbook-staging
      images:
        - gcr.io/heptio-images/ks-guestbook-demo:0.2
        - nginx=nginx:1.25-alpine
      commonLabels:
        env: staging
      commonAnnotations:
        owner: web-team
      replicas:
        - name: guestbook-ui
          count: 2
  destination:
    name: in-cluster
    namespace: guestbook-staging
)";

constexpr const char* kDirectoryApp = R"(
apiVersion: ferry.dev/v1alpha1
kind: Application
metadata:
  name: platform-rbac
  namespace: ferry
spec:
  source:
    repoURL: https://git.example.com/platform/config
    path: rbac
    directory:
      recurse: true
      include: '*.yaml'
      exclude: '{drafts/*,*.tmpl.yaml}'
      jsonnet: {}
  destination:
    server: https://kubernetes.default.svc
  syncPolicy:
    automated: {}
    syncOptions:
      - Validate=false
      - ApplyOutOfSyncOnly=true
)";

// A child of an app-of-apps: rendered from the parent's chart, carrying the wave annotation
// and Argo CD's finalizer.
constexpr const char* kChildApp = R"(
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: cert-manager
  namespace: argocd
  annotations:
    argocd.argoproj.io/sync-wave: "-1"
  labels:
    app.kubernetes.io/part-of: platform
  finalizers:
    - resources-finalizer.argocd.argoproj.io/background
    - post-delete-finalizer.argocd.argoproj.io
spec:
  project: platform
  source:
    chart: cert-manager
    repoURL: https://charts.jetstack.io
    targetRevision: v1.14.4
    helm:
      valuesObject:
        installCRDs: true
        prometheus:
          enabled: false
  destination:
    server: https://kubernetes.default.svc
    namespace: cert-manager
  syncPolicy:
    automated:
      prune: true
      allowEmpty: true
    syncOptions: [CreateNamespace=true, RespectIgnoreDifferences=true]
)";

constexpr const char* kMultiSourceApp = R"(
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: prometheus
  namespace: argocd
spec:
  project: default
  sources:
    - repoURL: https://prometheus-community.github.io/helm-charts
      chart: prometheus
      targetRevision: 15.7.1
      helm:
        valueFiles:
          - $values/charts/prometheus/values.yaml
    - repoURL: https://git.example.com/org/value-files.git
      targetRevision: dev
      ref: values
  destination:
    server: https://kubernetes.default.svc
    namespace: monitoring
)";

Json yaml_object(const char* text) {
  auto docs = yaml::parse_stream(text, "test.yaml");
  EXPECT_TRUE(docs.ok()) << docs.status().to_string();
  if (!docs.ok() || docs->size() != 1) return Json();
  return (*docs)[0].value;
}

Application parse_ok(const char* text) {
  Result<Application> app = parse_application(yaml_object(text));
  EXPECT_TRUE(app.ok()) << app.status().to_string();
  return app.ok() ? *app : Application{};
}

std::vector<std::string> messages(const std::vector<StatusCause>& causes, bool warnings) {
  std::vector<std::string> out;
  for (const StatusCause& c : causes) {
    if (is_warning(c) == warnings) out.push_back(c.message);
  }
  return out;
}

std::vector<std::string> errors_of(const Application& app) { return messages(validate(app), false); }
std::vector<std::string> warnings_of(const Application& app) { return messages(validate(app), true); }

// A valid app to break one field at a time.
Application valid_app() {
  Application app;
  app.metadata.name = "web";
  app.metadata.namespace_ = "ferry";
  app.spec.source.repo_url = "https://git.example.com/apps.git";
  app.spec.source.path = "web";
  app.spec.destination.server = std::string(kInClusterServer);
  app.spec.destination.namespace_ = "web";
  return app;
}

// --- Parsing ---------------------------------------------------------------------------------

TEST(ParseApplication, HelmAppWithValueFilesAndParameters) {
  Application app = parse_ok(kHelmApp);
  EXPECT_EQ(app.source_api_version, "argoproj.io/v1alpha1");
  EXPECT_EQ(app.metadata.name, "podinfo-prod");
  EXPECT_EQ(app.metadata.namespace_, "argocd");
  EXPECT_EQ(app.metadata.labels.at("team"), "web");
  EXPECT_EQ(app.metadata.annotations.at("notifications.argoproj.io/subscribe.on-sync-failed.slack"), "alerts");
  EXPECT_EQ(app.metadata.finalizers, std::vector<std::string>{"resources-finalizer.argocd.argoproj.io"});
  EXPECT_FALSE(app.metadata.being_deleted());
  EXPECT_EQ(app.key(), "argocd/podinfo-prod");

  const ApplicationSpec& spec = app.spec;
  EXPECT_EQ(spec.project, "web");
  EXPECT_EQ(spec.source.repo_url, "https://github.com/example/deploy.git");
  EXPECT_EQ(spec.source.target_revision, "main");
  EXPECT_EQ(spec.source.path, "charts/podinfo");
  ASSERT_TRUE(spec.source.helm.has_value());
  EXPECT_FALSE(spec.source.kustomize.has_value());
  EXPECT_FALSE(spec.source.directory.has_value());
  const HelmSource& helm = *spec.source.helm;
  EXPECT_EQ(helm.release_name, "podinfo");
  EXPECT_EQ(helm.value_files, (std::vector<std::string>{"values.yaml", "../../envs/prod/podinfo.yaml"}));
  ASSERT_EQ(helm.parameters.size(), 2u);
  EXPECT_EQ(helm.parameters[0].name, "replicaCount");
  EXPECT_EQ(helm.parameters[0].value, "3");
  EXPECT_FALSE(helm.parameters[0].force_string);
  EXPECT_EQ(helm.parameters[1].value, "6.5.0");  // a plain scalar that YAML 1.1 keeps a string
  EXPECT_TRUE(helm.parameters[1].force_string);
  ASSERT_EQ(helm.file_parameters.size(), 1u);
  EXPECT_EQ(helm.file_parameters[0].path, "files/config.json");
  EXPECT_EQ(helm.values, "ingress:\n  enabled: true\n");
  EXPECT_TRUE(helm.values_object.is_null());
  EXPECT_TRUE(helm.skip_crds);
  EXPECT_TRUE(helm.ignore_missing_value_files);
  EXPECT_FALSE(helm.pass_credentials);
  EXPECT_EQ(helm.version, "v3");
  Result<Json> values = helm_values(helm);
  ASSERT_TRUE(values.ok()) << values.status().to_string();
  EXPECT_EQ(*values, (Json{{"ingress", {{"enabled", true}}}}));

  EXPECT_EQ(spec.destination.server, "https://kubernetes.default.svc");
  EXPECT_EQ(spec.destination.namespace_, "podinfo");
  ASSERT_TRUE(spec.sync_policy.automated.has_value());
  EXPECT_TRUE(spec.sync_policy.automated->prune);
  EXPECT_TRUE(spec.sync_policy.automated->self_heal);
  EXPECT_FALSE(spec.sync_policy.automated->allow_empty);
  EXPECT_EQ(spec.sync_policy.sync_options.size(), 3u);
  ASSERT_TRUE(spec.sync_policy.retry.has_value());
  EXPECT_EQ(spec.sync_policy.retry->limit, 5);
  EXPECT_EQ(spec.sync_policy.retry->backoff.duration, "10s");
  EXPECT_EQ(spec.sync_policy.retry->backoff.factor, 3);
  EXPECT_EQ(spec.sync_policy.retry->backoff.max_duration, "5m");
  ASSERT_TRUE(spec.sync_policy.managed_namespace_metadata.has_value());
  EXPECT_EQ(spec.sync_policy.managed_namespace_metadata->labels.at("istio-injection"), "enabled");
  ASSERT_EQ(spec.ignore_differences.size(), 2u);
  EXPECT_EQ(spec.ignore_differences[0].group, "apps");
  EXPECT_EQ(spec.ignore_differences[0].json_pointers, std::vector<std::string>{"/spec/replicas"});
  EXPECT_EQ(spec.ignore_differences[1].name, "podinfo-tls");
  EXPECT_EQ(spec.ignore_differences[1].managed_fields_managers, std::vector<std::string>{"cert-manager"});
  EXPECT_EQ(spec.revision_history_limit, 3);
  ASSERT_EQ(spec.info.size(), 1u);
  EXPECT_EQ(spec.info[0].name, "runbook");

  EXPECT_TRUE(validate(app).empty()) << ::testing::PrintToString(errors_of(app));
  EXPECT_TRUE(targets_local_cluster(app));
  EXPECT_TRUE(has_resources_finalizer(app));
  EXPECT_TRUE(has_sync_option(app, "CreateNamespace=true"));
  EXPECT_FALSE(has_sync_option(app, "CreateNamespace=false"));
  EXPECT_FALSE(has_sync_option(app, "CreateNamespace"));
}

TEST(ParseApplication, KustomizeAppKeepsRawFields) {
  Application app = parse_ok(kKustomizeApp);
  ASSERT_TRUE(app.spec.source.kustomize.has_value());
  const KustomizeSource& k = *app.spec.source.kustomize;
  EXPECT_EQ(k.name_prefix, "staging-");
  EXPECT_EQ(k.name_suffix, "-v1");
  EXPECT_EQ(k.namespace_, "guestbook-staging");
  EXPECT_EQ(k.images, (std::vector<std::string>{"gcr.io/heptio-images/ks-guestbook-demo:0.2", "nginx=nginx:1.25-alpine"}));
  EXPECT_EQ(k.common_labels.at("env"), "staging");
  EXPECT_EQ(k.common_annotations.at("owner"), "web-team");
  // Fields without a typed member stay in the raw object, for the renderer and for to_json.
  EXPECT_EQ(k.raw["replicas"][0]["count"], 2);
  EXPECT_EQ(app.spec.source.target_revision, "v1.4.2");
  EXPECT_EQ(app.spec.destination.name, "in-cluster");
  EXPECT_TRUE(targets_local_cluster(app));
  EXPECT_TRUE(validate(app).empty()) << ::testing::PrintToString(errors_of(app));
  EXPECT_FALSE(sync_policy_options(app).automated);  // no automated block: manual sync
}

TEST(ParseApplication, DirectoryRecurse) {
  Application app = parse_ok(kDirectoryApp);
  EXPECT_EQ(app.source_api_version, "ferry.dev/v1alpha1");
  ASSERT_TRUE(app.spec.source.directory.has_value());
  EXPECT_TRUE(app.spec.source.directory->recurse);
  EXPECT_EQ(app.spec.source.directory->include, "*.yaml");
  EXPECT_EQ(app.spec.source.directory->exclude, "{drafts/*,*.tmpl.yaml}");
  EXPECT_TRUE(app.spec.source.directory->jsonnet.empty());
  EXPECT_TRUE(validate(app).empty()) << ::testing::PrintToString(errors_of(app));
  SyncPolicyOptions options = sync_policy_options(app);
  EXPECT_TRUE(options.automated);  // `automated: {}` turns auto-sync on, without prune or self-heal
  EXPECT_FALSE(options.prune);
  EXPECT_FALSE(options.self_heal);
  EXPECT_FALSE(options.validate);
  EXPECT_TRUE(options.apply_out_of_sync_only);
}

TEST(ParseApplication, HelmRepositoryChartWithValuesObject) {
  Application app = parse_ok(kChildApp);
  EXPECT_EQ(app.spec.source.chart, "cert-manager");
  EXPECT_EQ(app.spec.source.path, "");
  ASSERT_TRUE(app.spec.source.helm.has_value());
  EXPECT_EQ(app.spec.source.helm->values_object["installCRDs"], true);
  Result<Json> values = helm_values(*app.spec.source.helm);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ((*values)["prometheus"]["enabled"], false);
  EXPECT_TRUE(validate(app).empty()) << ::testing::PrintToString(errors_of(app));
}

TEST(ParseApplication, MultiSourceIsParsedButNotSupported) {
  Application app = parse_ok(kMultiSourceApp);
  ASSERT_EQ(app.spec.sources.size(), 2u);
  EXPECT_EQ(app.spec.sources[0].chart, "prometheus");
  EXPECT_EQ(app.spec.sources[0].helm->value_files[0], "$values/charts/prometheus/values.yaml");
  EXPECT_EQ(app.spec.sources[1].ref, "values");
  EXPECT_EQ(app.spec.sources[1].target_revision, "dev");
  EXPECT_TRUE(app.spec.source.repo_url.empty());
  EXPECT_THAT(errors_of(app), ::testing::ElementsAre(StartsWith("spec.source: required (spec.sources")));
  EXPECT_THAT(warnings_of(app), ::testing::ElementsAre(StartsWith("spec.sources: multi-source Applications are "
                                                                  "not supported")));
  // With spec.source present as well, the app deploys spec.source and only warns.
  app.spec.source.repo_url = "https://git.example.com/org/charts.git";
  EXPECT_TRUE(errors_of(app).empty());
  EXPECT_EQ(warnings_of(app).size(), 1u);
}

TEST(ParseApplication, Defaults) {
  Application app = parse_ok(R"(
apiVersion: ferry.dev/v1alpha1
kind: Application
metadata: {name: tiny}
spec:
  source: {repoURL: https://git.example.com/r.git}
  destination: {server: https://kubernetes.default.svc}
)");
  EXPECT_EQ(app.spec.project, "default");
  EXPECT_EQ(app.spec.source.target_revision, "HEAD");
  EXPECT_EQ(app.spec.source.path, "");
  EXPECT_EQ(app.spec.revision_history_limit, 10);
  EXPECT_FALSE(app.spec.sync_policy.automated.has_value());
  EXPECT_FALSE(app.spec.sync_policy.retry.has_value());
  EXPECT_EQ(app.key(), "tiny");
  EXPECT_TRUE(validate(app).empty());

  SyncPolicyOptions o = sync_policy_options(app);
  EXPECT_FALSE(o.automated);
  EXPECT_TRUE(o.validate);
  EXPECT_FALSE(o.create_namespace);
  EXPECT_EQ(o.prune_propagation_policy, "foreground");
  EXPECT_FALSE(o.retry);
  EXPECT_EQ(o.backoff_duration, milliseconds(5'000));
  EXPECT_EQ(o.backoff_factor, 2);
  EXPECT_EQ(o.backoff_max_duration, milliseconds(180'000));

  // An empty project or revision is the default too, as in Argo CD.
  Application blank = parse_ok(R"(
apiVersion: ferry.dev/v1alpha1
kind: Application
metadata: {name: blank}
spec:
  project: ""
  source: {repoURL: https://git.example.com/r.git, targetRevision: ""}
  destination: {server: https://kubernetes.default.svc}
)");
  EXPECT_EQ(blank.spec.project, "default");
  EXPECT_EQ(blank.spec.source.target_revision, "HEAD");

  // A retry block without backoff gets Argo CD's backoff defaults.
  Application retry = valid_app();
  retry.spec.sync_policy.retry = RetryStrategy{};
  retry.spec.sync_policy.retry->limit = 2;
  SyncPolicyOptions r = sync_policy_options(retry);
  EXPECT_TRUE(r.retry);
  EXPECT_EQ(r.retry_limit, 2);
  EXPECT_EQ(r.backoff_duration, milliseconds(5'000));
  EXPECT_EQ(r.backoff_max_duration, milliseconds(180'000));
}

TEST(ParseApplication, MetadataFromTheServer) {
  Application app = parse_ok(R"(
apiVersion: ferry.dev/v1alpha1
kind: Application
metadata:
  name: web
  namespace: ferry
  uid: 5b0e6f3a-1111-2222-3333-444455556666
  resourceVersion: "1234"
  generation: 7
  creationTimestamp: "2024-05-01T10:00:00Z"
  deletionTimestamp: "2024-05-02T10:00:00Z"
  finalizers: [ferry.dev/resources-finalizer]
  ownerReferences:
    - {apiVersion: ferry.dev/v1alpha1, kind: Application, name: root, uid: abc}
spec:
  source: {repoURL: https://git.example.com/r.git}
  destination: {server: https://kubernetes.default.svc}
operation:
  sync: {revision: abc123, prune: true}
  initiatedBy: {username: admin}
status:
  sync: {status: Synced}
)");
  EXPECT_EQ(app.metadata.uid, "5b0e6f3a-1111-2222-3333-444455556666");
  EXPECT_EQ(app.metadata.resource_version, "1234");
  EXPECT_EQ(app.metadata.generation, 7);
  EXPECT_TRUE(app.metadata.being_deleted());
  EXPECT_TRUE(has_resources_finalizer(app));
  EXPECT_EQ(app.metadata.owner_references[0]["name"], "root");
  Result<Operation> op = parse_operation(app.raw_operation);
  ASSERT_TRUE(op.ok());
  ASSERT_TRUE(op->sync.has_value());
  EXPECT_EQ(op->sync->revision, "abc123");
  EXPECT_TRUE(op->sync->prune);
  EXPECT_EQ(op->initiated_by.username, "admin");
  Result<ApplicationStatus> status = parse_application_status(app.raw_status);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->sync.status, "Synced");

  Json out = to_json(app);
  EXPECT_EQ(out["metadata"]["uid"], "5b0e6f3a-1111-2222-3333-444455556666");
  EXPECT_EQ(out["metadata"]["resourceVersion"], "1234");
  EXPECT_EQ(out["metadata"]["generation"], 7);
  EXPECT_EQ(out["operation"]["sync"]["revision"], "abc123");
  EXPECT_FALSE(out.contains("status"));  // status goes through the status subresource
}

TEST(ParseApplication, WrongTypesNameEveryField) {
  Json object = yaml_object(R"(
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: broken
  labels: {team: 7}
spec:
  source:
    repoURL: 5
    helm:
      parameters:
        - {name: a, value: "1"}
        - {name: b, value: 2}
        - just-a-string
  destination: [server]
  syncPolicy:
    automated: {prune: "yes"}
    syncOptions: CreateNamespace=true
    retry: {limit: "5", backoff: {factor: 1.5}}
  revisionHistoryLimit: 18446744073709551615
)");
  Result<Application> app = parse_application(object);
  ASSERT_FALSE(app.ok());
  EXPECT_TRUE(app.status().is(Reason::kInvalid));
  std::vector<std::string> fields;
  for (const StatusCause& c : app.status().causes()) fields.push_back(c.field);
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre(
                          "metadata.labels[\"team\"]", "spec.source.repoURL", "spec.source.helm.parameters[1].value",
                          "spec.source.helm.parameters[2]", "spec.destination", "spec.syncPolicy.automated.prune",
                          "spec.syncPolicy.syncOptions", "spec.syncPolicy.retry.limit",
                          "spec.syncPolicy.retry.backoff.factor", "spec.revisionHistoryLimit"));
  EXPECT_THAT(app.status().message(), StartsWith("Application \"broken\" is invalid: "));
  EXPECT_THAT(app.status().message(), HasSubstr("spec.source.repoURL: must be a string, not a number"));
  EXPECT_THAT(app.status().message(), HasSubstr("spec.destination: must be an object, not a list"));
  EXPECT_THAT(app.status().message(), HasSubstr("spec.syncPolicy.automated.prune: must be true or false, not a string"));
  // YAML reads an integer beyond int64 as a float (as go-yaml does); JSON keeps it unsigned.
  EXPECT_THAT(app.status().message(), HasSubstr("spec.revisionHistoryLimit: must be an integer, not a number"));
  Json huge = yaml_object("{apiVersion: ferry.dev/v1alpha1, kind: Application, metadata: {name: h}}");
  huge["spec"]["revisionHistoryLimit"] = Json::parse("18446744073709551615");
  Result<Application> overflow = parse_application(huge);
  ASSERT_FALSE(overflow.ok());
  EXPECT_THAT(overflow.status().message(), HasSubstr("spec.revisionHistoryLimit: integer out of range"));
}

TEST(ParseApplication, RefusesOtherKinds) {
  for (const char* text : {"{apiVersion: apps/v1, kind: Deployment, metadata: {name: x}}",
                           "{apiVersion: argoproj.io/v1alpha1, kind: ApplicationSet, metadata: {name: x}}",
                           "{apiVersion: ferry.dev/v2, kind: Application, metadata: {name: x}}",
                           "{kind: Application, metadata: {name: x}}", "[1, 2]", "just text"}) {
    Result<Application> app = parse_application(yaml_object(text));
    ASSERT_FALSE(app.ok()) << text;
    EXPECT_TRUE(app.status().is(Reason::kInvalid)) << text;
  }
  Result<Application> deploy =
      parse_application(yaml_object("{apiVersion: apps/v1, kind: Deployment, metadata: {name: x}}"));
  EXPECT_THAT(deploy.status().message(), HasSubstr("not an Application: apiVersion \"apps/v1\", kind \"Deployment\""));
}

TEST(ParseApplication, NullsReadAsAbsent) {
  Application app = parse_ok(R"(
apiVersion: ferry.dev/v1alpha1
kind: Application
metadata: {name: nulls, labels: null}
spec:
  project: null
  source: {repoURL: https://git.example.com/r.git, path: null, helm: null}
  destination: {server: https://kubernetes.default.svc, namespace: null}
  syncPolicy: null
)");
  EXPECT_EQ(app.spec.project, "default");
  EXPECT_FALSE(app.spec.source.helm.has_value());
  EXPECT_FALSE(app.spec.sync_policy.automated.has_value());
  EXPECT_TRUE(validate(app).empty());
}

// --- Conversion and round trips --------------------------------------------------------------

TEST(ToJson, ArgoAppBecomesFerryAppWithSameSpec) {
  Json original = yaml_object(kChildApp);
  Application app = parse_ok(kChildApp);
  Json out = to_json(app);
  EXPECT_EQ(out["apiVersion"], "ferry.dev/v1alpha1");
  EXPECT_EQ(out["kind"], "Application");
  EXPECT_EQ(out["metadata"]["name"], "cert-manager");
  EXPECT_EQ(out["metadata"]["namespace"], "argocd");
  EXPECT_EQ(out["metadata"]["annotations"], original["metadata"]["annotations"]);
  EXPECT_EQ(out["metadata"]["labels"], original["metadata"]["labels"]);
  // Argo CD's background resources finalizer maps to Ferry's; others are kept unchanged.
  EXPECT_EQ(out["metadata"]["finalizers"],
            (Json{"ferry.dev/resources-finalizer-background", "post-delete-finalizer.argocd.argoproj.io"}));
  EXPECT_EQ(out["spec"], original["spec"]);  // exactly the same spec, no defaults added
  EXPECT_FALSE(out["metadata"].contains("uid"));
  EXPECT_FALSE(out["metadata"].contains("generation"));

  Result<Application> back = parse_application(out);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->source_api_version, "ferry.dev/v1alpha1");
  EXPECT_TRUE(has_resources_finalizer(*back));
}

TEST(ToJson, FinalizerSpellings) {
  EXPECT_EQ(ferry_finalizer("resources-finalizer.argocd.argoproj.io"), "ferry.dev/resources-finalizer");
  EXPECT_EQ(ferry_finalizer("resources-finalizer.argocd.argoproj.io/foreground"), "ferry.dev/resources-finalizer");
  EXPECT_EQ(ferry_finalizer("resources-finalizer.argocd.argoproj.io/background"),
            "ferry.dev/resources-finalizer-background");
  EXPECT_EQ(ferry_finalizer("resources-finalizer.argocd.argoproj.io/other"),
            "resources-finalizer.argocd.argoproj.io/other");
  EXPECT_EQ(ferry_finalizer("ferry.dev/resources-finalizer"), "ferry.dev/resources-finalizer");
  EXPECT_EQ(ferry_finalizer("example.com/keep"), "example.com/keep");

  // Both spellings on one object collapse to one finalizer.
  Application app = valid_app();
  app.metadata.finalizers = {"resources-finalizer.argocd.argoproj.io", "ferry.dev/resources-finalizer"};
  EXPECT_EQ(to_json(app)["metadata"]["finalizers"], (Json{"ferry.dev/resources-finalizer"}));
  app.metadata.finalizers = {"example.com/keep"};
  EXPECT_FALSE(has_resources_finalizer(app));
}

TEST(ToJson, RoundTripsEveryExample) {
  for (const char* text : {kHelmApp, kKustomizeApp, kDirectoryApp, kChildApp, kMultiSourceApp}) {
    Json original = yaml_object(text);
    Application app = parse_ok(text);
    Json once = to_json(app);
    EXPECT_EQ(once["spec"], original["spec"]) << text;
    Result<Application> again = parse_application(once);
    ASSERT_TRUE(again.ok()) << again.status().to_string();
    EXPECT_EQ(to_json(*again), once) << text;
    // And through YAML text, as the controller would write it into a repo or a CR.
    auto reparsed = yaml::parse_stream(yaml::to_yaml(once), "out.yaml");
    ASSERT_TRUE(reparsed.ok());
    EXPECT_EQ((*reparsed)[0].value, once);
  }
}

TEST(ToJson, KeepsUnknownSpecFields) {
  Json object = yaml_object(R"(
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: future}
spec:
  source:
    repoURL: https://git.example.com/r.git
    helm: {releaseName: r, someNewHelmField: {x: 1}}
    newSourceField: keep-me
  destination: {server: https://kubernetes.default.svc, newDestField: 1}
  syncPolicy:
    retry: {limit: 1, refresh: true}
  sourceHydrator: {drySource: {repoURL: https://x}}
)");
  Result<Application> app = parse_application(object);
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->raw_spec["sourceHydrator"]["drySource"]["repoURL"], "https://x");
  EXPECT_EQ(to_json(*app)["spec"], object["spec"]);
}

TEST(ToJson, ReflectsChangesToTypedFields) {
  Application app = parse_ok(kHelmApp);
  app.spec.source.target_revision = "v2.0.0";
  app.spec.source.helm->parameters.push_back({"extra", "1", false});
  app.spec.sync_policy.automated.reset();
  app.spec.sync_policy.sync_options.push_back("PruneLast=true");
  app.spec.destination.namespace_ = "podinfo-2";
  Json spec = to_json(app)["spec"];
  EXPECT_EQ(spec["source"]["targetRevision"], "v2.0.0");
  EXPECT_EQ(spec["source"]["helm"]["parameters"].size(), 3u);
  EXPECT_EQ(spec["source"]["helm"]["parameters"][2], (Json{{"name", "extra"}, {"value", "1"}}));
  EXPECT_FALSE(spec["syncPolicy"].contains("automated"));
  EXPECT_EQ(spec["syncPolicy"]["syncOptions"].back(), "PruneLast=true");
  EXPECT_EQ(spec["destination"]["namespace"], "podinfo-2");
  EXPECT_EQ(spec["syncPolicy"]["retry"]["limit"], 5);  // untouched parts stay
}

TEST(ToJson, AppBuiltInCode) {
  Application app = valid_app();
  app.spec.source.helm = HelmSource{};
  app.spec.source.helm->value_files = {"values-prod.yaml"};
  app.spec.source.helm->values_object = Json{{"replicas", 2}};
  app.spec.sync_policy.automated = AutomatedSync{true, true, false, std::nullopt};
  app.spec.sync_policy.sync_options = {"CreateNamespace=true"};
  app.spec.sync_policy.retry = RetryStrategy{3, Backoff{"1s", 2, "1m"}};
  app.spec.ignore_differences.push_back({"apps", "Deployment", "", "", {"/spec/replicas"}, {}, {}});
  app.spec.info.push_back({"owner", "web"});
  Json out = to_json(app);
  EXPECT_EQ(out["spec"], Json::parse(R"({
    "source": {"repoURL": "https://git.example.com/apps.git", "path": "web",
               "helm": {"valueFiles": ["values-prod.yaml"], "valuesObject": {"replicas": 2}}},
    "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
    "syncPolicy": {"automated": {"prune": true, "selfHeal": true}, "syncOptions": ["CreateNamespace=true"],
                   "retry": {"limit": 3, "backoff": {"duration": "1s", "maxDuration": "1m"}}},
    "ignoreDifferences": [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}],
    "info": [{"name": "owner", "value": "web"}]
  })"));
  EXPECT_EQ(out["metadata"], (Json{{"name", "web"}, {"namespace", "ferry"}}));

  Result<Application> back = parse_application(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->spec.source.helm->values_object, (Json{{"replicas", 2}}));
  EXPECT_EQ(back->spec.sync_policy.retry->backoff.duration, "1s");
  EXPECT_EQ(back->spec.sync_policy.retry->backoff.factor, 2);
  EXPECT_EQ(back->spec.ignore_differences[0].json_pointers[0], "/spec/replicas");
  EXPECT_EQ(to_json(*back), out);
}

TEST(ToJson, ComparedTo) {
  Application app = parse_ok(kHelmApp);
  Json c = compared_to(app);
  EXPECT_EQ(c["source"]["repoURL"], "https://github.com/example/deploy.git");
  EXPECT_EQ(c["destination"]["namespace"], "podinfo");
  EXPECT_EQ(c["ignoreDifferences"].size(), 2u);
  EXPECT_FALSE(c.contains("sources"));
}

// --- Validation ------------------------------------------------------------------------------

struct InvalidCase {
  const char* what;
  void (*mutate)(Application&);
  const char* message;  // the whole error message, or its start when it ends in "..."
};

TEST(Validate, EachErrorNamesItsField) {
  const std::vector<InvalidCase> cases = {
      {"no name", [](Application& a) { a.metadata.name.clear(); }, "metadata.name: required"},
      {"bad name", [](Application& a) { a.metadata.name = "My_App"; },
       "metadata.name: \"My_App\" must be a lowercase RFC 1123 subdomain..."},
      {"name ends in dash", [](Application& a) { a.metadata.name = "web-"; }, "metadata.name: \"web-\" must be..."},
      {"bad namespace", [](Application& a) { a.metadata.namespace_ = "a.b"; },
       "metadata.namespace: \"a.b\" must be a lowercase RFC 1123 label..."},
      {"bad project", [](Application& a) { a.spec.project = "Team A"; }, "spec.project: \"Team A\" must be..."},
      {"no repoURL", [](Application& a) { a.spec.source.repo_url.clear(); }, "spec.source.repoURL: required"},
      {"absolute path", [](Application& a) { a.spec.source.path = "/etc"; },
       "spec.source.path: \"/etc\" must be a path relative to the repository root, without \"..\""},
      {"dotdot path", [](Application& a) { a.spec.source.path = "apps/../../secrets"; },
       "spec.source.path: \"apps/../../secrets\" must be..."},
      {"dotdot path inside", [](Application& a) { a.spec.source.path = "apps/.."; }, "spec.source.path: \"apps/..\"..."},
      {"chart and path", [](Application& a) { a.spec.source.chart = "nginx"; },
       "spec.source: chart and path are mutually exclusive..."},
      {"two source types",
       [](Application& a) {
         a.spec.source.helm = HelmSource{};
         a.spec.source.kustomize = KustomizeSource{};
       },
       "spec.source: only one of directory, helm, kustomize and plugin may be set (found helm, kustomize)"},
      {"plugin", [](Application& a) { a.spec.source.plugin = Json{{"name", "argocd-vault-plugin"}}; },
       "spec.source.plugin: config management plugins are not supported by Ferry..."},
      {"value file outside",
       [](Application& a) {
         a.spec.source.helm = HelmSource{};
         a.spec.source.helm->value_files = {"values.yaml", "../../values.yaml"};
       },
       "spec.source.helm.valueFiles[1]: \"../../values.yaml\" points outside the repository..."},
      {"empty value file",
       [](Application& a) {
         a.spec.source.helm = HelmSource{};
         a.spec.source.helm->value_files = {""};
       },
       "spec.source.helm.valueFiles[0]: must not be empty"},
      {"parameter without name",
       [](Application& a) {
         a.spec.source.helm = HelmSource{};
         a.spec.source.helm->parameters = {{"a", "1", false}, {"", "2", false}};
       },
       "spec.source.helm.parameters[1].name: required"},
      {"file parameter without path",
       [](Application& a) {
         a.spec.source.helm = HelmSource{};
         a.spec.source.helm->file_parameters = {{"cfg", ""}};
       },
       "spec.source.helm.fileParameters[0].path: required"},
      {"values not YAML",
       [](Application& a) {
         a.spec.source.helm = HelmSource{};
         a.spec.source.helm->values = "a: [1, 2";
       },
       "spec.source.helm.values: not valid YAML: ..."},
      {"values not a mapping",
       [](Application& a) {
         a.spec.source.helm = HelmSource{};
         a.spec.source.helm->values = "- a\n- b\n";
       },
       "spec.source.helm.values: must be a YAML mapping, not a list"},
      {"no destination",
       [](Application& a) {
         a.spec.destination.server.clear();
         a.spec.destination.namespace_.clear();
       },
       "spec.destination: one of server or name is required"},
      {"server and name", [](Application& a) { a.spec.destination.name = "in-cluster"; },
       "spec.destination.server and spec.destination.name are mutually exclusive"},
      {"server not a URL", [](Application& a) { a.spec.destination.server = "kubernetes.default.svc"; },
       "spec.destination.server: \"kubernetes.default.svc\" is not a URL (e.g. https://kubernetes.default.svc)"},
      {"bad destination namespace", [](Application& a) { a.spec.destination.namespace_ = "Web"; },
       "spec.destination.namespace: \"Web\" must be a lowercase RFC 1123 label..."},
      {"unknown sync option",
       [](Application& a) { a.spec.sync_policy.sync_options = {"CreateNamespace=true", "PruneLast=true", "Foo=bar"}; },
       "spec.syncPolicy.syncOptions[2]: unknown option \"Foo=bar\" (known: ApplyOutOfSyncOnly, CreateNamespace, ..."},
      {"option without value", [](Application& a) { a.spec.sync_policy.sync_options = {"CreateNamespace"}; },
       "spec.syncPolicy.syncOptions[0]: unknown option \"CreateNamespace\" (did you mean \"CreateNamespace=true\"?)"},
      {"option in the wrong case", [](Application& a) { a.spec.sync_policy.sync_options = {"createNamespace=true"}; },
       "spec.syncPolicy.syncOptions[0]: unknown option \"createNamespace=true\" (did you mean "
       "\"CreateNamespace=true\"?)"},
      {"bad boolean option", [](Application& a) { a.spec.sync_policy.sync_options = {"CreateNamespace=yes"}; },
       "spec.syncPolicy.syncOptions[0]: \"CreateNamespace=yes\": the value must be true or false"},
      {"bad propagation policy",
       [](Application& a) { a.spec.sync_policy.sync_options = {"PrunePropagationPolicy=sideways"}; },
       "spec.syncPolicy.syncOptions[0]: \"PrunePropagationPolicy=sideways\": the value must be one of foreground, "
       "background, orphan"},
      {"bad backoff duration",
       [](Application& a) { a.spec.sync_policy.retry = RetryStrategy{5, Backoff{"5x", 2, "3m"}}; },
       "spec.syncPolicy.retry.backoff.duration: \"5x\" is not a duration (use e.g. 5s, 2m)"},
      {"unitless duration",
       [](Application& a) { a.spec.sync_policy.retry = RetryStrategy{5, Backoff{"5", 2, "3m"}}; },
       "spec.syncPolicy.retry.backoff.duration: \"5\" is not a duration (use e.g. 5s, 2m)"},
      {"negative max duration",
       [](Application& a) { a.spec.sync_policy.retry = RetryStrategy{5, Backoff{"5s", 2, "-1m"}}; },
       "spec.syncPolicy.retry.backoff.maxDuration: \"-1m\" must not be negative"},
      {"factor zero", [](Application& a) { a.spec.sync_policy.retry = RetryStrategy{5, Backoff{"5s", 0, "3m"}}; },
       "spec.syncPolicy.retry.backoff.factor: 0 must be at least 1"},
      {"ignore without kind",
       [](Application& a) { a.spec.ignore_differences.push_back({"apps", "", "", "", {"/spec/replicas"}, {}, {}}); },
       "spec.ignoreDifferences[0].kind: required (use \"*\" for every kind)"},
      {"bad JSON pointer",
       [](Application& a) {
         a.spec.ignore_differences.push_back({"apps", "Deployment", "", "", {"/ok", "spec/replicas"}, {}, {}});
       },
       "spec.ignoreDifferences[0].jsonPointers[1]: \"spec/replicas\" is not a JSON pointer (e.g. /spec/replicas)"},
      {"bad pointer escape",
       [](Application& a) { a.spec.ignore_differences.push_back({"", "ConfigMap", "", "", {"/data/a~2b"}, {}, {}}); },
       "spec.ignoreDifferences[0].jsonPointers[0]: \"/data/a~2b\" is not a JSON pointer..."},
      {"jq expressions",
       [](Application& a) {
         a.spec.ignore_differences.push_back({"", "ConfigMap", "", "", {}, {".data.foo"}, {}});
       },
       "spec.ignoreDifferences[0].jqPathExpressions: not supported by Ferry; use jsonPointers or "
       "managedFieldsManagers"},
      {"negative history", [](Application& a) { a.spec.revision_history_limit = -1; },
       "spec.revisionHistoryLimit: -1 must not be negative"},
      {"info without name", [](Application& a) { a.spec.info.push_back({"", "x"}); }, "spec.info[0].name: required"},
  };
  for (const InvalidCase& c : cases) {
    Application app = valid_app();
    c.mutate(app);
    std::vector<std::string> errors = errors_of(app);
    ASSERT_EQ(errors.size(), 1u) << c.what << ": " << ::testing::PrintToString(errors);
    std::string want = c.message;
    if (want.size() > 3 && want.compare(want.size() - 3, 3, "...") == 0) {
      EXPECT_THAT(errors[0], StartsWith(want.substr(0, want.size() - 3))) << c.what;
    } else {
      EXPECT_EQ(errors[0], want) << c.what;
    }
    // Each cause also carries the field path on its own.
    for (const StatusCause& cause : validate(app)) {
      if (!is_warning(cause)) {
        EXPECT_THAT(errors[0], StartsWith(cause.field)) << c.what;
      }
    }
    EXPECT_FALSE(validate_application(app).ok()) << c.what;
  }
}

TEST(Validate, AcceptsWhatArgoAccepts) {
  Application app = valid_app();
  app.spec.source.path = "a..b/./c";  // ".." inside a name is not a parent reference
  app.spec.source.helm = HelmSource{};
  app.spec.source.path = "apps/web";
  app.spec.source.helm->value_files = {"../common/values.yaml", "https://example.com/values.yaml",
                                       "$values/not-a-path.yaml"};
  app.spec.destination.namespace_.clear();  // cluster-scoped only, or namespaces in the manifests
  app.spec.sync_policy.sync_options = {"Validate=false",
                                       "CreateNamespace=true",
                                       "PrunePropagationPolicy=orphan",
                                       "PruneLast=true",
                                       "Replace=true",
                                       "ServerSideApply=true",
                                       "ApplyOutOfSyncOnly=true",
                                       "RespectIgnoreDifferences=true",
                                       "ServerSideDiff=true",
                                       "FailOnSharedResource=true",
                                       "SkipDryRunOnMissingResource=true"};
  app.spec.sync_policy.retry = RetryStrategy{-1, Backoff{"1m30s", 1, "1h"}};  // -1: retry forever
  app.spec.ignore_differences.push_back({"*", "*", "", "", {"/metadata/annotations/a~1b"}, {}, {"kube-controller"}});
  app.metadata.name = "a.b-c.d";
  app.spec.revision_history_limit = 0;
  EXPECT_TRUE(validate(app).empty()) << ::testing::PrintToString(errors_of(app));
  app.spec.source.path = "a..b/./c";
  app.spec.source.helm.reset();
  EXPECT_TRUE(validate(app).empty()) << ::testing::PrintToString(errors_of(app));
}

TEST(Validate, WarningsDoNotMakeTheAppInvalid) {
  Application app = valid_app();
  app.spec.sync_policy.sync_options = {"Prune=false"};
  app.spec.sync_policy.managed_namespace_metadata = ManagedNamespaceMetadata{{{"a", "b"}}, {}};
  app.spec.source.directory = DirectorySource{};
  app.spec.source.directory->jsonnet = Json{{"tlas", Json::array({{{"name", "x"}, {"value", "y"}}})}};
  std::vector<std::string> warnings = warnings_of(app);
  EXPECT_THAT(warnings, ::testing::ElementsAre(
                            StartsWith("spec.source.directory.jsonnet: Jsonnet is not supported"),
                            StartsWith("spec.syncPolicy.syncOptions[0]: \"Prune=false\" is a per-resource option"),
                            "spec.syncPolicy.managedNamespaceMetadata: applies only with the sync option "
                            "CreateNamespace=true; ignored"));
  EXPECT_TRUE(errors_of(app).empty());
  EXPECT_TRUE(validate_application(app).ok());

  Application both = valid_app();
  both.spec.source.helm = HelmSource{};
  both.spec.source.helm->values = "a: 1";
  both.spec.source.helm->values_object = Json{{"a", 2}};
  EXPECT_THAT(warnings_of(both),
              ::testing::ElementsAre("spec.source.helm: values and valuesObject are both set; valuesObject is used"));
  EXPECT_EQ((*helm_values(*both.spec.source.helm))["a"], 2);
}

TEST(Validate, StatusSummarisesErrorsOnly) {
  Application app = valid_app();
  app.spec.source.repo_url.clear();
  app.spec.destination.server.clear();
  app.spec.sync_policy.sync_options = {"Prune=false"};  // a warning: not in the summary
  Status status = validate_application(app);
  ASSERT_TRUE(status.is(Reason::kInvalid));
  EXPECT_EQ(status.message(),
            "Application \"ferry/web\" is invalid: spec.source.repoURL: required; spec.destination: one of server or "
            "name is required");
  ASSERT_EQ(status.causes().size(), 2u);
  EXPECT_EQ(status.causes()[0].field, "spec.source.repoURL");
  EXPECT_EQ(status.causes()[0].reason, kCauseRequired);
  EXPECT_EQ(status.causes()[1].field, "spec.destination");
}

TEST(Validate, Dns1123) {
  EXPECT_TRUE(is_dns1123_subdomain("a"));
  EXPECT_TRUE(is_dns1123_subdomain("web-1.prod"));
  EXPECT_TRUE(is_dns1123_subdomain(std::string(253, 'a')));
  EXPECT_FALSE(is_dns1123_subdomain(std::string(254, 'a')));
  EXPECT_FALSE(is_dns1123_subdomain(""));
  EXPECT_FALSE(is_dns1123_subdomain("-a"));
  EXPECT_FALSE(is_dns1123_subdomain("a..b"));
  EXPECT_FALSE(is_dns1123_subdomain("a.-b"));
  EXPECT_FALSE(is_dns1123_subdomain("A"));
  EXPECT_FALSE(is_dns1123_subdomain("a_b"));
  EXPECT_TRUE(is_dns1123_label("kube-system"));
  EXPECT_TRUE(is_dns1123_label(std::string(63, 'a')));
  EXPECT_FALSE(is_dns1123_label(std::string(64, 'a')));
  EXPECT_FALSE(is_dns1123_label("a.b"));
  EXPECT_FALSE(is_dns1123_label("a-"));
}

TEST(Validate, LocalCluster) {
  Application app = valid_app();
  EXPECT_TRUE(targets_local_cluster(app));
  app.spec.destination.server = "https://kubernetes.default.svc/";
  EXPECT_TRUE(targets_local_cluster(app));
  app.spec.destination.server = "https://10.0.0.1:6443";
  EXPECT_FALSE(targets_local_cluster(app));
  app.spec.destination.server.clear();
  app.spec.destination.name = "in-cluster";
  EXPECT_TRUE(targets_local_cluster(app));
  app.spec.destination.name = "prod-eu";
  EXPECT_FALSE(targets_local_cluster(app));
}

// --- Sync policy -----------------------------------------------------------------------------

TEST(SyncPolicyOptions, ReadsEveryOption) {
  Application app = parse_ok(kHelmApp);
  SyncPolicyOptions o = sync_policy_options(app);
  EXPECT_TRUE(o.automated);
  EXPECT_TRUE(o.prune);
  EXPECT_TRUE(o.self_heal);
  EXPECT_FALSE(o.allow_empty);
  EXPECT_TRUE(o.create_namespace);
  EXPECT_TRUE(o.server_side_apply);
  EXPECT_EQ(o.prune_propagation_policy, "background");
  EXPECT_TRUE(o.retry);
  EXPECT_EQ(o.retry_limit, 5);
  EXPECT_EQ(o.backoff_duration, milliseconds(10'000));
  EXPECT_EQ(o.backoff_factor, 3);
  EXPECT_EQ(o.backoff_max_duration, milliseconds(300'000));
  EXPECT_EQ(o.managed_namespace_metadata.labels.at("istio-injection"), "enabled");

  Application all = valid_app();
  all.spec.sync_policy.sync_options = {"Validate=false",         "CreateNamespace=true",
                                       "PruneLast=true",         "Replace=true",
                                       "ServerSideApply=true",   "ApplyOutOfSyncOnly=true",
                                       "RespectIgnoreDifferences=true", "ServerSideDiff=true",
                                       "FailOnSharedResource=true", "SkipDryRunOnMissingResource=true",
                                       "PrunePropagationPolicy=orphan"};
  SyncPolicyOptions a = sync_policy_options(all);
  EXPECT_FALSE(a.validate);
  EXPECT_TRUE(a.create_namespace && a.prune_last && a.replace && a.server_side_apply && a.apply_out_of_sync_only &&
              a.respect_ignore_differences && a.server_side_diff && a.fail_on_shared_resource &&
              a.skip_dry_run_on_missing_resource);
  EXPECT_EQ(a.prune_propagation_policy, "orphan");
  EXPECT_FALSE(a.automated);
}

TEST(SyncPolicyOptions, LaterOptionWinsAndBadValuesFallBack) {
  Application app = valid_app();
  app.spec.sync_policy.sync_options = {"CreateNamespace=true", "CreateNamespace=false", "Replace=yes",
                                       "PrunePropagationPolicy=sideways", "Foo=bar"};
  app.spec.sync_policy.retry = RetryStrategy{3, Backoff{"5x", 0, "-1s"}};
  app.spec.sync_policy.automated = AutomatedSync{true, true, true, false};  // enabled: false
  SyncPolicyOptions o = sync_policy_options(app);
  EXPECT_FALSE(o.create_namespace);
  EXPECT_FALSE(o.replace);
  EXPECT_EQ(o.prune_propagation_policy, "foreground");
  EXPECT_EQ(o.backoff_duration, milliseconds(5'000));
  EXPECT_EQ(o.backoff_factor, 2);
  EXPECT_EQ(o.backoff_max_duration, milliseconds(180'000));
  EXPECT_FALSE(o.automated);  // switched off by enabled: false, the block kept
  EXPECT_TRUE(o.prune);
}

TEST(SyncPolicyOptions, RetryDelayGrowsToTheCap) {
  SyncPolicyOptions o;  // 5s, factor 2, 3m
  EXPECT_EQ(retry_delay(o, 0), milliseconds(5'000));
  EXPECT_EQ(retry_delay(o, 1), milliseconds(10'000));
  EXPECT_EQ(retry_delay(o, 2), milliseconds(20'000));
  EXPECT_EQ(retry_delay(o, 5), milliseconds(160'000));
  EXPECT_EQ(retry_delay(o, 6), milliseconds(180'000));
  EXPECT_EQ(retry_delay(o, 1'000'000), milliseconds(180'000));
  EXPECT_EQ(retry_delay(o, -3), milliseconds(5'000));
  o.backoff_factor = 1;
  EXPECT_EQ(retry_delay(o, 50), milliseconds(5'000));
  o.backoff_duration = milliseconds(600'000);  // a duration above the cap is capped
  EXPECT_EQ(retry_delay(o, 0), milliseconds(180'000));
}

TEST(HelmValues, EffectiveValues) {
  HelmSource helm;
  EXPECT_EQ(*helm_values(helm), Json::object());
  helm.values = "# only a comment\n";
  EXPECT_EQ(*helm_values(helm), Json::object());
  helm.values = "replicas: 3\nimage: {tag: \"1.0\"}\n";
  EXPECT_EQ(*helm_values(helm), (Json{{"replicas", 3}, {"image", {{"tag", "1.0"}}}}));
  helm.values = "a: 1\n---\nb: 2\n";
  EXPECT_FALSE(helm_values(helm).ok());
  helm.values_object = Json{{"b", 2}};
  EXPECT_EQ(*helm_values(helm), (Json{{"b", 2}}));
}

// --- Durations -------------------------------------------------------------------------------

TEST(Duration, ParsesGoSyntax) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  for (const Case& c : std::vector<Case>{{"0", 0},
                                         {"0s", 0},
                                         {"5s", 5'000},
                                         {"3m", 180'000},
                                         {"1h", 3'600'000},
                                         {"1m30s", 90'000},
                                         {"1h2m3s", 3'723'000},
                                         {"1.5h", 5'400'000},
                                         {".5s", 500},
                                         {"1.s", 1'000},
                                         {"300ms", 300},
                                         {"1500us", 1},
                                         {"1500\xC2\xB5s", 1},
                                         {"1500\xCE\xBCs", 1},
                                         {"999999ns", 0},
                                         {"2000000ns", 2},
                                         {"+5s", 5'000},
                                         {"-5s", -5'000},
                                         {"1s500ms", 1'500},
                                         {"2h45m", 9'900'000},
                                         {"0.000001s", 0},
                                         {"2562047h", 9'223'369'200'000}}) {
    Result<milliseconds> d = parse_duration(c.text);
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.status().to_string();
    EXPECT_EQ(d->count(), c.ms) << c.text;
  }
  for (const char* bad : {"", "5", "s", "5x", "5 s", " 5s", "5s ", "1.5.5s", ".s", "-", "+", "1hh", "5S", "1d",
                          "--5s", "2562048h", "99999999999999999999s", "9223372036854775808ns"}) {
    Result<milliseconds> d = parse_duration(bad);
    EXPECT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().message(), "\"" + std::string(bad) + "\" is not a duration (use e.g. 5s, 2m)");
  }
  EXPECT_TRUE(parse_duration("-9223372036854775808ns").ok());  // exactly Go's minimum
}

TEST(Duration, FormatsLikeGo) {
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(300)), "300ms");
  EXPECT_EQ(format_duration(milliseconds(5'000)), "5s");
  EXPECT_EQ(format_duration(milliseconds(1'500)), "1.5s");
  EXPECT_EQ(format_duration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(format_duration(milliseconds(180'000)), "3m0s");
  EXPECT_EQ(format_duration(milliseconds(7'200'000)), "2h0m0s");
  EXPECT_EQ(format_duration(milliseconds(3'723'250)), "1h2m3.25s");
  EXPECT_EQ(format_duration(milliseconds(-5'000)), "-5s");
  for (int64_t ms : {0LL, 1LL, 999LL, 1'000LL, 61'001LL, 86'400'000LL}) {
    EXPECT_EQ(parse_duration(format_duration(milliseconds(ms)))->count(), ms) << ms;
  }
}

// --- Status ----------------------------------------------------------------------------------

ApplicationStatus full_status() {
  ApplicationStatus s;
  s.sync = {"OutOfSync", "3f2a9c", Json{{"source", {{"repoURL", "https://x"}}}, {"destination", {{"namespace", "w"}}}}};
  s.health = {"Degraded", "Deployment web: 1/3 ready"};
  ResourceStatus r;
  r.group = "apps";
  r.version = "v1";
  r.kind = "Deployment";
  r.namespace_ = "web";
  r.name = "web";
  r.status = "OutOfSync";
  r.health = HealthStatus{"Degraded", "1/3 ready"};
  r.sync_wave = -1;
  s.resources.push_back(r);
  ResourceStatus hook;
  hook.group = "batch";
  hook.version = "v1";
  hook.kind = "Job";
  hook.name = "migrate";
  hook.hook = true;
  hook.requires_pruning = true;
  s.resources.push_back(hook);
  s.conditions.push_back({std::string(kConditionSyncError), "apply failed", "2024-05-01T10:00:00Z"});
  OperationState op;
  op.operation.sync = SyncOperation{"3f2a9c", true, false, {"CreateNamespace=true"}, {{"apps", "Deployment", "web", "web"}}};
  op.operation.initiated_by = {"", true};
  op.operation.retry = RetryStrategy{2, Backoff{}};
  op.phase = std::string(kPhaseFailed);
  op.message = "one or more objects failed to apply";
  op.started_at = "2024-05-01T09:59:00Z";
  op.finished_at = "2024-05-01T10:00:00Z";
  op.retry_count = 1;
  op.sync_result = SyncOperationResult{
      "3f2a9c",
      {{"apps", "v1", "Deployment", "web", "web", "SyncFailed", "admission webhook denied", "", "", "Sync"},
       {"batch", "v1", "Job", "web", "migrate", "Synced", "", "PreSync", "Succeeded", "PreSync"}},
      Json{{"repoURL", "https://x"}}};
  s.operation_state = op;
  s.history.push_back({0, "1111", "2024-04-30T10:00:00Z", "2024-04-30T09:59:00Z", Json{{"repoURL", "https://x"}},
                       {"admin", false}});
  s.reconciled_at = "2024-05-01T10:00:05Z";
  s.source_type = "Helm";
  s.summary.images = {"nginx:1.25"};
  s.summary.external_urls = {"https://web.example.com"};
  return s;
}

TEST(ApplicationStatus, RoundTripsWithArgoNames) {
  ApplicationStatus s = full_status();
  Json j = to_json(s);
  EXPECT_EQ(j["sync"]["status"], "OutOfSync");
  EXPECT_EQ(j["sync"]["revision"], "3f2a9c");
  EXPECT_EQ(j["sync"]["comparedTo"]["destination"]["namespace"], "w");
  EXPECT_EQ(j["health"], (Json{{"status", "Degraded"}, {"message", "Deployment web: 1/3 ready"}}));
  EXPECT_EQ(j["resources"][0]["health"]["status"], "Degraded");
  EXPECT_EQ(j["resources"][0]["syncWave"], -1);
  EXPECT_EQ(j["resources"][1]["hook"], true);
  EXPECT_EQ(j["resources"][1]["requiresPruning"], true);
  EXPECT_FALSE(j["resources"][1].contains("health"));
  EXPECT_FALSE(j["resources"][1].contains("namespace"));
  EXPECT_EQ(j["conditions"][0]["type"], "SyncError");
  EXPECT_EQ(j["conditions"][0]["lastTransitionTime"], "2024-05-01T10:00:00Z");
  EXPECT_EQ(j["operationState"]["phase"], "Failed");
  EXPECT_EQ(j["operationState"]["operation"]["sync"]["revision"], "3f2a9c");
  EXPECT_EQ(j["operationState"]["operation"]["initiatedBy"]["automated"], true);
  EXPECT_EQ(j["operationState"]["syncResult"]["resources"][1]["hookType"], "PreSync");
  EXPECT_EQ(j["history"][0]["id"], 0);
  EXPECT_EQ(j["history"][0]["deployedAt"], "2024-04-30T10:00:00Z");
  EXPECT_EQ(j["history"][0]["initiatedBy"]["username"], "admin");
  EXPECT_EQ(j["reconciledAt"], "2024-05-01T10:00:05Z");
  EXPECT_EQ(j["sourceType"], "Helm");
  EXPECT_EQ(j["summary"]["images"][0], "nginx:1.25");
  EXPECT_EQ(j["summary"]["externalURLs"][0], "https://web.example.com");

  Result<ApplicationStatus> back = parse_application_status(j);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(to_json(*back), j);
}

TEST(ApplicationStatus, EmptyStatusIsSmall) {
  EXPECT_EQ(to_json(ApplicationStatus{}),
            (Json{{"sync", {{"status", "Unknown"}}}, {"health", {{"status", "Unknown"}}}}));
  Result<ApplicationStatus> none = parse_application_status(nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->sync.status, "Unknown");
  EXPECT_FALSE(none->operation_state.has_value());
}

TEST(ApplicationStatus, WrongTypesAreInvalid) {
  Result<ApplicationStatus> s = parse_application_status(
      Json::parse(R"({"sync": {"status": 1}, "resources": [{"hook": "yes"}, 3], "history": [{"id": "x"}]})"));
  ASSERT_FALSE(s.ok());
  std::vector<std::string> fields;
  for (const StatusCause& c : s.status().causes()) fields.push_back(c.field);
  EXPECT_THAT(fields, ::testing::ElementsAre("status.sync.status", "status.resources[0].hook", "status.resources[1]",
                                             "status.history[0].id"));
  EXPECT_FALSE(parse_application_status(Json::array()).ok());
  EXPECT_FALSE(parse_operation(Json("sync")).ok());
}

TEST(ApplicationStatus, Conditions) {
  std::vector<ApplicationCondition> conditions;
  EXPECT_TRUE(set_condition(conditions, {"ComparisonError", "git unreachable", "t1"}));
  EXPECT_FALSE(set_condition(conditions, {"ComparisonError", "git unreachable", "t2"}));
  EXPECT_EQ(conditions[0].last_transition_time, "t1");  // unchanged message keeps its time
  EXPECT_TRUE(set_condition(conditions, {"ComparisonError", "render failed", "t3"}));
  EXPECT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].last_transition_time, "t3");
  EXPECT_TRUE(set_condition(conditions, {"RollbackPinned", "pinned to history 4", "t4"}));
  EXPECT_EQ(conditions.size(), 2u);
  EXPECT_TRUE(remove_condition(conditions, "ComparisonError"));
  EXPECT_FALSE(remove_condition(conditions, "ComparisonError"));
  EXPECT_EQ(conditions.size(), 1u);

  for (std::string_view type : {kConditionComparisonError, kConditionSyncError, kConditionInvalidSpecError,
                                kConditionCyclicDependencyError}) {
    EXPECT_TRUE(is_error_condition(type)) << type;
  }
  for (std::string_view type : {kConditionSharedResourceWarning, kConditionOrphanedResourceWarning,
                                kConditionRepeatedResourceWarning, kConditionRollbackPinned, kConditionPolicyWarning}) {
    EXPECT_FALSE(is_error_condition(type)) << type;
  }
}

TEST(ApplicationStatus, HistoryKeepsTheLastN) {
  std::vector<RevisionHistory> history;
  for (int i = 0; i < 12; ++i) {
    RevisionHistory h;
    h.revision = "rev" + std::to_string(i);
    EXPECT_EQ(push_history(history, h, 10), i);
  }
  ASSERT_EQ(history.size(), 10u);
  EXPECT_EQ(history.front().id, 2);
  EXPECT_EQ(history.front().revision, "rev2");
  EXPECT_EQ(history.back().id, 11);
  push_history(history, {}, 3);
  EXPECT_EQ(history.size(), 3u);
  EXPECT_EQ(history.back().id, 12);
  push_history(history, {}, 0);
  EXPECT_TRUE(history.empty());
}

TEST(ApplicationStatus, Rfc3339) {
  EXPECT_EQ(rfc3339(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339(std::chrono::system_clock::time_point{std::chrono::seconds(1714557600)} +
                    std::chrono::milliseconds(999)),
            "2024-05-01T10:00:00Z");
}

// --- docs/application.md stays true -----------------------------------------------------------

TEST(Docs, EveryApplicationExampleParsesAndValidates) {
  const std::string doc = testing_apis::read_source_file("docs/application.md");
  ASSERT_FALSE(doc.empty()) << "docs/application.md not found under " << testing_apis::source_root();
  int applications = 0;
  int blocks = 0;
  size_t pos = 0;
  while ((pos = doc.find("```yaml\n", pos)) != std::string::npos) {
    size_t start = pos + 8;
    size_t end = doc.find("```", start);
    ASSERT_NE(end, std::string::npos);
    std::string block = doc.substr(start, end - start);
    pos = end + 3;
    ++blocks;
    auto docs = yaml::parse_stream(block, "docs/application.md");
    ASSERT_TRUE(docs.ok()) << docs.status().to_string() << "\n" << block;
    for (const yaml::Document& d : *docs) {
      if (!d.value.is_object() || d.value.value("kind", "") != "Application") continue;
      ++applications;
      Result<Application> app = parse_application(d.value);
      ASSERT_TRUE(app.ok()) << app.status().to_string() << "\n" << block;
      EXPECT_TRUE(errors_of(*app).empty()) << ::testing::PrintToString(errors_of(*app)) << "\n" << block;
    }
  }
  EXPECT_GE(blocks, 10);
  EXPECT_GE(applications, 5);
}

}  // namespace
}  // namespace ferry::apis

namespace ferry::apis {
namespace {

TEST(ProjectOf, IsTheSpecsProjectOrDefaultWhenAbsentEmptyOrNotAString) {
  EXPECT_EQ(project_of(Json::parse(R"({"spec":{"project":"team-a"}})")), "team-a");
  EXPECT_EQ(project_of(Json::parse(R"({"spec":{"project":""}})")), "default");
  EXPECT_EQ(project_of(Json::parse(R"({"spec":{}})")), "default");
  EXPECT_EQ(project_of(Json::parse(R"({"metadata":{"name":"x"}})")), "default");
  EXPECT_EQ(project_of(Json::parse(R"({"spec":{"project":5}})")), "default");  // no exception
  EXPECT_EQ(project_of(Json::parse(R"({"spec":"not an object"})")), "default");
  EXPECT_EQ(project_of(Json::parse(R"([1,2])")), "default");
}

}  // namespace
}  // namespace ferry::apis
