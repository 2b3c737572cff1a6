// The Application: Ferry's unit of deployment, `ferry.dev/v1alpha1` kind Application, a
// namespaced custom resource whose spec uses Argo CD's field names so that an Argo CD config repo
// works unchanged (`argoproj.io/v1alpha1` Applications are read as the same thing).
//
//   apiVersion: ferry.dev/v1alpha1
//   kind: Application
//   metadata: {name: guestbook, namespace: ferry}
//   spec:
//     source: {repoURL: https://git.example.com/apps.git, path: guestbook}
//     destination: {server: https://kubernetes.default.svc, namespace: guestbook}
//     syncPolicy: {automated: {prune: true}, syncOptions: [CreateNamespace=true]}
//
// parse_application reads an object (types checked, defaults applied, the raw spec kept so
// fields Ferry does not know survive); validate says what is wrong with it, field by field;
// to_json writes it back as a ferry.dev object. docs/application.md documents every field.
// Everything here is a plain value with pure functions: copy freely, any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apis/types/status.h"

namespace ferry::apis {

using Json = nlohmann::json;

inline constexpr std::string_view kGroup = "ferry.dev";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "ferry.dev/v1alpha1";
inline constexpr std::string_view kArgoApiVersion = "argoproj.io/v1alpha1";
inline constexpr std::string_view kApplicationKind = "Application";

// Deleting an Application with this finalizer deletes its resources first (foreground cascade).
inline constexpr std::string_view kResourcesFinalizer = "ferry.dev/resources-finalizer";
// The same with background cascade (Argo CD's `.../background` variant).
inline constexpr std::string_view kResourcesFinalizerBackground = "ferry.dev/resources-finalizer-background";
// Argo CD's spellings, mapped to the two above by to_json.
inline constexpr std::string_view kArgoResourcesFinalizer = "resources-finalizer.argocd.argoproj.io";

// The cluster Ferry itself talks to, by server URL or by name.
inline constexpr std::string_view kInClusterServer = "https://kubernetes.default.svc";
inline constexpr std::string_view kInClusterName = "in-cluster";

// Annotation asking for a refresh: "normal" or "hard" (removed once handled).
inline constexpr std::string_view kRefreshAnnotation = "ferry.dev/refresh";

inline constexpr std::string_view kDefaultProject = "default";
inline constexpr std::string_view kDefaultTargetRevision = "HEAD";
inline constexpr int64_t kDefaultRevisionHistoryLimit = 10;

// ---------------------------------------------------------------------------------------------
// metadata

struct ObjectMeta {
  std::string name;
  std::string namespace_;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> finalizers;
  // Set by the API server; empty/0 for objects read from git.
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::string creation_timestamp;
  std::string deletion_timestamp;  // "" = not being deleted
  Json owner_references = Json::array();

  bool being_deleted() const { return !deletion_timestamp.empty(); }
};

// ---------------------------------------------------------------------------------------------
// spec.source

struct DirectorySource {
  bool recurse = false;
  std::string include;  // glob of file paths to read, "" = all
  std::string exclude;  // glob of file paths to skip, "" = none
  Json jsonnet = Json::object();  // kept as written; Ferry does not evaluate Jsonnet
};

struct KustomizeSource {
  std::string name_prefix;
  std::string name_suffix;
  std::string namespace_;
  std::string version;
  std::vector<std::string> images;  // "nginx=nginx:1.25", "nginx:1.25"
  std::map<std::string, std::string> common_labels;
  std::map<std::string, std::string> common_annotations;
  bool force_common_labels = false;
  bool force_common_annotations = false;
  std::vector<std::string> components;
  Json raw = Json::object();  // the whole `kustomize` object as written (replicas, patches, ...)
};

struct HelmParameter {
  std::string name;
  std::string value;
  bool force_string = false;  // --set-string rather than --set
};

struct HelmFileParameter {
  std::string name;
  std::string path;
};

struct HelmSource {
  std::string release_name;  // "" = the Application's name
  std::vector<std::string> value_files;
  std::string values;       // inline values as a YAML string
  Json values_object;       // inline values as an object; null = not set; wins over `values`
  std::vector<HelmParameter> parameters;
  std::vector<HelmFileParameter> file_parameters;
  bool skip_crds = false;
  bool skip_tests = false;
  bool skip_schema_validation = false;
  bool pass_credentials = false;
  bool ignore_missing_value_files = false;
  std::string version;  // "v3"; "" = v3
  std::string namespace_;
  std::string kube_version;
  std::vector<std::string> api_versions;
};

struct ApplicationSource {
  std::string repo_url;
  std::string target_revision = std::string(kDefaultTargetRevision);
  std::string path;   // repo-relative directory; "" = the root
  std::string chart;  // a chart of a Helm repository (repoURL is then the Helm repository)
  std::string ref;    // multi-source only: the name other sources use as $ref
  std::string name;   // multi-source only
  std::optional<DirectorySource> directory;
  std::optional<KustomizeSource> kustomize;
  std::optional<HelmSource> helm;
  Json plugin;        // null = not set; kept as written, not supported
  Json raw = Json::object();  // the source object as written
};

// ---------------------------------------------------------------------------------------------
// spec.destination, spec.syncPolicy, spec.ignoreDifferences, spec.info

struct ApplicationDestination {
  std::string server;  // API server URL, or
  std::string name;    // cluster name ("in-cluster")
  std::string namespace_;  // for namespaced resources that name none
};

struct AutomatedSync {
  bool prune = false;
  bool self_heal = false;
  bool allow_empty = false;
  std::optional<bool> enabled;  // Argo CD 2.14+: false turns auto-sync off without removing the block
};

struct Backoff {
  std::string duration = "5s";
  int64_t factor = 2;
  std::string max_duration = "3m";
};

struct RetryStrategy {
  int64_t limit = 0;  // attempts after the first; negative = unlimited
  Backoff backoff;
};

struct ManagedNamespaceMetadata {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

struct SyncPolicy {
  std::optional<AutomatedSync> automated;
  std::vector<std::string> sync_options;  // "CreateNamespace=true", ...
  std::optional<RetryStrategy> retry;
  std::optional<ManagedNamespaceMetadata> managed_namespace_metadata;
};

struct IgnoreDifference {
  std::string group;
  std::string kind;
  std::string name;
  std::string namespace_;
  std::vector<std::string> json_pointers;
  std::vector<std::string> jq_path_expressions;  // not supported: validate() refuses them
  std::vector<std::string> managed_fields_managers;
};

struct Info {
  std::string name;
  std::string value;
};

struct ApplicationSpec {
  std::string project = std::string(kDefaultProject);
  // spec.policy: policy gates (docs/policy.md) — "default" or a check id -> "off", "warn" or
  // "deny"; empty = not set. reconciler/policy turns it into levels.
  std::map<std::string, std::string> policy;
  ApplicationSource source;  // empty (no repoURL) when the app only has `sources`
  std::vector<ApplicationSource> sources;  // multi-source: parsed, not supported
  ApplicationDestination destination;
  SyncPolicy sync_policy;
  std::vector<IgnoreDifference> ignore_differences;
  int64_t revision_history_limit = kDefaultRevisionHistoryLimit;
  std::vector<Info> info;
};

struct Application {
  std::string source_api_version = std::string(kApiVersion);  // what the object was read as
  ObjectMeta metadata;
  ApplicationSpec spec;
  Json raw_spec = Json::object();  // the spec as written; to_json overlays the typed fields on it
  Json raw_operation;              // top-level `operation` (Argo CD's sync request); null = none
  Json raw_status;                 // `status` as read; null = none. See application_status.h

  // "namespace/name", or "name" when there is no namespace.
  std::string key() const;
};

// Reads an Application. Accepts apiVersion ferry.dev/v1alpha1 and argoproj.io/v1alpha1 and kind
// Application; applies the defaults (project "default", targetRevision "HEAD",
// revisionHistoryLimit 10). Invalid when the object is not an Application or a field has the
// wrong type; every such field is a cause ("spec.source.repoURL: must be a string, not a
// number"). Does not check values: that is validate()'s job, so a parsed app can still be shown.
Result<Application> parse_application(const Json& object);
// The project of an Application object without parsing it all (lists, streams, metrics):
// spec.project, or "default" when it is absent, empty or not a string.
std::string project_of(const Json& object);

// A ferry.dev/v1alpha1 object: apiVersion, kind, metadata and spec (and `operation` when set;
// status is written through the status subresource, see application_status.h). Unknown spec
// fields of the original are kept. Argo CD's resources finalizer becomes Ferry's; labels and
// annotations are kept as they are. This is the app-of-apps conversion: an argoproj.io app found
// in git becomes a ferry.dev CR with the same spec.
Json to_json(const Application& app);

// The spec alone, as to_json writes it.
Json spec_to_json(const Application& app);
Json source_to_json(const ApplicationSource& source);

// Ferry's spelling of a finalizer: Argo CD's resources finalizers map to Ferry's, others unchanged.
std::string ferry_finalizer(std::string_view finalizer);
// Whether deleting the app should delete its resources (Ferry's or Argo CD's finalizer present).
bool has_resources_finalizer(const Application& app);

// ---------------------------------------------------------------------------------------------
// Policy gates (docs/policy.md): the check ids and levels are part of the contract; the checks
// themselves live in reconciler/policy.

// On an Application: a preset ("strict", "default", "off") or "id=level,id=level".
inline constexpr std::string_view kPolicyAnnotation = "ferry.dev/policy";
// The key of a policy map that sets the level of every check not named.
inline constexpr std::string_view kPolicyDefaultKey = "default";
// Every check id, in the order docs/policy.md lists them (reconciler/policy indexes this array).
inline constexpr std::string_view kPolicyCheckIds[] = {
    "image-tag-missing", "image-tag-latest", "image-digest",      "secret-in-git",   "credential-literal",
    "probes-missing",    "resources-missing", "limit-below-request", "privileged",   "host-path",
    "host-network",      "run-as-root",       "clusterrole-wildcard", "public-exposure", "sa-token-automount",
};
inline constexpr std::string_view kPolicyLevels[] = {"off", "warn", "deny"};

bool is_policy_check_id(std::string_view id);
bool is_policy_level(std::string_view level);
// A cause for every key of a policy map that is neither "default" nor a check id and for every
// level that is not off|warn|deny; fields are `field`.<key> ("spec.policy.image-tag-latest").
void validate_policy_map(const std::map<std::string, std::string>& policy, std::string_view field,
                         std::vector<StatusCause>& causes);

// ---------------------------------------------------------------------------------------------
// Validation

// StatusCause::reason values. Causes with kCauseWarning do not make the app invalid: they say
// that something is ignored or not supported but the app can still be deployed.
inline constexpr const char* kCauseRequired = "FieldValueRequired";
inline constexpr const char* kCauseInvalid = "FieldValueInvalid";
inline constexpr const char* kCauseNotSupported = "FieldValueNotSupported";
inline constexpr const char* kCauseWarning = "FieldValueWarning";

bool is_warning(const StatusCause& cause);

// Every problem with the app, errors and warnings, in field order. Each message starts with the
// field path: "spec.source.repoURL: required",
// "spec.syncPolicy.syncOptions[2]: unknown option \"Foo=bar\"".
std::vector<StatusCause> validate(const Application& app);

// Invalid when `causes` holds an error: "Application \"ns/name\" is invalid: <error>; <error>"
// with the error causes attached; OK when there are only warnings or nothing.
Status validation_status(const Application& app, const std::vector<StatusCause>& causes);
// validation_status(app, validate(app)).
Status validate_application(const Application& app);

// Kubernetes name rules: RFC 1123 subdomain (≤253, [a-z0-9.-], alphanumeric at both ends of each
// dot-separated part) and label (≤63, [a-z0-9-], alphanumeric at both ends).
bool is_dns1123_subdomain(std::string_view name);
bool is_dns1123_label(std::string_view name);

// Whether the app deploys to the cluster Ferry runs against: destination.server
// https://kubernetes.default.svc (a trailing '/' allowed) or destination.name in-cluster.
bool targets_local_cluster(const Application& app);

// ---------------------------------------------------------------------------------------------
// Sync policy, read for the controller and the sync engine

// Whether spec.syncPolicy.syncOptions holds exactly this option ("CreateNamespace=true").
bool has_sync_option(const Application& app, std::string_view option);

struct SyncPolicyOptions {
  bool automated = false;  // auto-sync on (an `automated` block not disabled by enabled: false)
  bool prune = false;
  bool self_heal = false;
  bool allow_empty = false;

  bool validate = true;  // Validate=false turns kubectl-style schema validation off
  bool create_namespace = false;
  bool prune_last = false;
  bool replace = false;
  bool server_side_apply = false;
  bool apply_out_of_sync_only = false;
  bool respect_ignore_differences = false;
  bool server_side_diff = false;
  bool fail_on_shared_resource = false;
  bool skip_dry_run_on_missing_resource = false;
  std::string prune_propagation_policy = "foreground";  // foreground, background or orphan

  bool retry = false;      // a retry block is present
  int64_t retry_limit = 0;  // negative = unlimited
  std::chrono::milliseconds backoff_duration{5'000};
  int64_t backoff_factor = 2;
  std::chrono::milliseconds backoff_max_duration{180'000};

  ManagedNamespaceMetadata managed_namespace_metadata;
};

// The options in effect. A later sync option overrides an earlier one with the same key; values
// validate() would refuse (a bad duration, an unknown option) fall back to the defaults above.
SyncPolicyOptions sync_policy_options(const Application& app);

// The delay before retry number `attempt` (0 = the first retry): duration × factor^attempt,
// capped at max duration.
std::chrono::milliseconds retry_delay(const SyncPolicyOptions& options, int attempt);

// The Helm values in effect as an object: valuesObject when set, else `values` parsed as YAML
// (empty → {}). Invalid when `values` is not YAML or not a mapping.
Result<Json> helm_values(const HelmSource& helm);

// What the status' sync.comparedTo records: {source, destination} as to_json writes them (and
// ignoreDifferences when there are any).
Json compared_to(const Application& app);

}  // namespace ferry::apis
