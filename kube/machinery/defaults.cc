#include "kube/machinery/defaults.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <regex>
#include <string>

#include "kube/machinery/quantity.h"

// What kube-apiserver v1.33 fills in, kind by kind. The sources of truth are the SetDefaults_*
// functions and `+default` markers of k8s.io/kubernetes/pkg/apis/{core,apps,batch,...}/v1, plus
// the few things the registry does on create that look like defaults to a client (Service IP
// families, the StatefulSet claim templates' type metadata).
//
// Go decodes JSON into typed structs before defaulting, so "unset" means what the Go field would
// hold: a pointer field is unset when absent or null, a string field also when "", an int field
// (probe timings) also when 0. Values a user set are never replaced; the exceptions are the ones
// Kubernetes itself enforces (the namespace name label, the claim templates' apiVersion/kind,
// sessionAffinityConfig cleared for sessionAffinity None).
//
// Quantities come back from the server in canonical form because they pass through
// resource.Quantity; ResourceLists (container resources, PVC resources, quota, limit ranges)
// are also rounded up to milli precision by SetDefaults_ResourceList.

namespace ferry::kube {
namespace {

using nlohmann::json;

// ---- JSON access -------------------------------------------------------------------------

bool is_unset(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null();
}

bool is_unset_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ||
         (it->is_string() && it->get_ref<const std::string&>().empty());
}

bool is_unset_number(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() || (it->is_number() && it->get<double>() == 0);
}

// Default for a pointer field: applies when absent or null.
void default_value(json& obj, const char* key, json value) {
  if (is_unset(obj, key)) obj[key] = std::move(value);
}

// Default for a string field: Go cannot tell "" from absent.
void default_string(json& obj, const char* key, const char* value) {
  if (is_unset_string(obj, key)) obj[key] = value;
}

// Default for a plain int field: Go cannot tell 0 from absent.
void default_number(json& obj, const char* key, int64_t value) {
  if (is_unset_number(obj, key)) obj[key] = value;
}

// The string at `key`, or "" when absent or not a string.
std::string string_at(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The object at `key`, or nullptr when absent or not an object.
json* object_at(json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? &*it : nullptr;
}

// The object at `key`, created empty when unset (Go allocates the struct while defaulting);
// nullptr when something else is there.
json* ensure_object(json& obj, const char* key) {
  if (is_unset(obj, key)) obj[key] = json::object();
  return object_at(obj, key);
}

// Calls `fn` on each object element of the array at `key`.
void for_each_object(json& obj, const char* key, const std::function<void(json&)>& fn) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return;
  for (json& item : *it) {
    if (item.is_object()) fn(item);
  }
}

// The object reached by following `path`, or nullptr when any step is missing.
json* object_path(json& obj, std::initializer_list<const char*> path) {
  json* cur = &obj;
  for (const char* key : path) {
    cur = object_at(*cur, key);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

bool has_entries(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && (it->is_object() || it->is_array()) && !it->empty();
}

// ---- quantities ----------------------------------------------------------------------------

// Go's encoding of a float64 in JSON (what a Go client sends for `cpu: 0.5`): shortest
// round-trip digits, plain notation between 1e-6 and 1e21, exponent notation outside.
std::string go_float_text(double value) {
  std::array<char, 64> buf{};
  double magnitude = std::fabs(value);
  bool scientific = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21);
  auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), value,
                    scientific ? std::chars_format::scientific : std::chars_format::fixed);
  std::string text(buf.data(), ec == std::errc() ? end : buf.data());
  // Go writes "1e-07" as "1e-7".
  if (size_t e = text.find("e-0"); e != std::string::npos && e + 4 == text.size()) {
    text.erase(e + 2, 1);
  }
  return text;
}

// The text resource.Quantity would parse from this JSON value (it trims spaces and accepts bare
// numbers), or nullopt when it is neither a string nor a number.
std::optional<std::string> quantity_text(const json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    size_t first = s.find_first_not_of(" \t\n\v\f\r");
    if (first == std::string::npos) return std::string();
    size_t last = s.find_last_not_of(" \t\n\v\f\r");
    return s.substr(first, last - first + 1);
  }
  if (value.is_number_integer()) return value.dump();
  if (value.is_number_float()) return go_float_text(value.get<double>());
  return std::nullopt;
}

// Adds one to a magnitude written in decimal digits.
std::string increment(std::string digits) {
  for (size_t i = digits.size(); i-- > 0;) {
    if (digits[i] != '9') {
      ++digits[i];
      return digits;
    }
    digits[i] = '0';
  }
  return "1" + digits;
}

// SetDefaults_ResourceList: RoundUp(milli) on a canonical quantity. Only canonical values with a
// micro or nano unit are finer than milli; they round away from zero, keeping the format family
// (`original` tells whether the user wrote a binary suffix).
std::string round_up_to_milli(const std::string& canonical, const std::string& original) {
  size_t unit = canonical.find_first_not_of("-0123456789");
  if (unit == std::string::npos) return canonical;
  std::string_view suffix = std::string_view(canonical).substr(unit);
  size_t finer_digits;  // how many mantissa digits lie below milli
  if (suffix == "u" || suffix == "e-6") {
    finer_digits = 3;
  } else if (suffix == "n" || suffix == "e-9") {
    finer_digits = 6;
  } else {
    return canonical;
  }
  bool negative = canonical[0] == '-';
  std::string digits = canonical.substr(negative ? 1 : 0, unit - (negative ? 1 : 0));
  // Canonical mantissas never end in 000, so something is always cut and the result rounds up.
  std::string millis = digits.size() <= finer_digits
                           ? "1"
                           : increment(digits.substr(0, digits.size() - finer_digits));
  std::string sign = negative ? "-" : "";

  bool binary = !original.empty() && original.back() == 'i';
  if (binary && millis.size() > 3 && millis.ends_with("000")) {
    // A whole value again: a binary quantity prints in Ki/Mi/... once it reaches 1024.
    uint64_t whole = std::stoull(millis.substr(0, millis.size() - 3));
    if (whole >= 1024) {
      static constexpr std::array<const char*, 7> kBinary = {"",   "Ki", "Mi", "Gi",
                                                             "Ti", "Pi", "Ei"};
      size_t steps = 0;
      while (whole % 1024 == 0 && steps + 1 < kBinary.size()) {
        whole /= 1024;
        ++steps;
      }
      return sign + std::to_string(whole) + kBinary[steps];
    }
  }
  bool exponent_form = suffix[0] == 'e';
  return canonical_quantity(sign + millis + (exponent_form ? "e-3" : "m")).value_or(canonical);
}

// A single Quantity field (emptyDir.sizeLimit, divisor, HPA targets): canonical spelling.
// Values that do not parse are left for validation to reject.
void canonicalize_quantity(json& value) {
  std::optional<std::string> text = quantity_text(value);
  if (!text) return;
  if (std::optional<std::string> canonical = canonical_quantity(*text)) value = *canonical;
}

// A ResourceList (map of resource name to quantity): canonical and rounded up to milli.
void canonicalize_resource_list(json& obj, const char* key) {
  json* list = object_at(obj, key);
  if (list == nullptr) return;
  for (auto& [name, value] : list->items()) {
    if (value.is_null()) {  // Quantity decodes null as zero
      value = "0";
      continue;
    }
    std::optional<std::string> text = quantity_text(value);
    if (!text) continue;
    if (std::optional<std::string> canonical = canonical_quantity(*text)) {
      value = round_up_to_milli(*canonical, *text);
    }
  }
}

void canonicalize_requirements(json& obj, const char* key) {
  json* requirements = object_at(obj, key);
  if (requirements == nullptr) return;
  canonicalize_resource_list(*requirements, "limits");
  canonicalize_resource_list(*requirements, "requests");
}

// ---- images --------------------------------------------------------------------------------

// The tag Kubernetes reads from an image reference (parsers.ParseImageName): the Docker
// reference grammar, with "latest" assumed when neither tag nor digest is given. nullopt when
// the reference does not parse.
std::optional<std::string> image_tag(const std::string& image) {
  static const std::regex kReference(
      // domain (optional; it may hold upper case, a port, or an IPv6 literal)
      R"(^(?:((?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|)"
      R"([a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?)/)?)"
      // path: lower-case components separated by '/'
      R"(([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*))"
      // tag and digest
      R"((?::([\w][\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*))"
      R"(:([0-9a-fA-F]{32,}))?$)");
  static const std::regex kHexName("^[a-f0-9]{64}$");
  std::smatch m;
  if (!std::regex_match(image, m, kReference)) return std::nullopt;
  std::string name = m[1].matched ? m[1].str() + "/" + m[2].str() : m[2].str();
  if (name.size() > 255) return std::nullopt;
  if (!m[1].matched && std::regex_match(m[2].str(), kHexName)) return std::nullopt;
  if (m[4].matched) {
    // Only registered digest algorithms with their exact lower-case hex length parse.
    std::string algorithm = m[4].str();
    std::string hex = m[5].str();
    size_t want = algorithm == "sha256"   ? 64
                  : algorithm == "sha384" ? 96
                  : algorithm == "sha512" ? 128
                                          : 0;
    if (hex.size() != want || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return std::nullopt;
    }
  }
  if (m[3].matched) return m[3].str();
  return m[4].matched ? std::string() : std::string("latest");
}

// SetDefaults_Container: Always for ":latest" (explicit or implied), IfNotPresent otherwise,
// including references that do not parse (validation reports those).
const char* pull_policy(const std::string& image) {
  return image_tag(image) == "latest" ? "Always" : "IfNotPresent";
}

// ---- pods ----------------------------------------------------------------------------------

enum class PodSpecOwner {
  kPod,          // a Pod: gets the Pod-only defaults as well
  kTemplate,     // a pod template of a workload controller
  kJobTemplate,  // a Job's template: restartPolicy must come from the user (Never/OnFailure)
};

void default_resource_field_ref(json& ref) {
  // Divisor is a non-pointer Quantity: the server always writes it, "0" when unset.
  default_value(ref, "divisor", "0");
  canonicalize_quantity(ref["divisor"]);
}

void default_downward_items(json& source) {
  for_each_object(source, "items", [](json& item) {
    if (json* field = object_at(item, "fieldRef")) default_string(*field, "apiVersion", "v1");
    if (json* ref = object_at(item, "resourceFieldRef")) default_resource_field_ref(*ref);
  });
}

void default_http_get(json& handler) {
  if (json* http = object_at(handler, "httpGet")) {
    default_string(*http, "path", "/");
    default_string(*http, "scheme", "HTTP");
  }
}

void default_probe(json& container, const char* key) {
  json* probe = object_at(container, key);
  if (probe == nullptr) return;
  default_number(*probe, "timeoutSeconds", 1);
  default_number(*probe, "periodSeconds", 10);
  default_number(*probe, "successThreshold", 1);
  default_number(*probe, "failureThreshold", 3);
  default_http_get(*probe);
  if (json* grpc = object_at(*probe, "grpc")) default_value(*grpc, "service", "");
}

void default_container(json& c) {
  if (is_unset_string(c, "imagePullPolicy"))
    c["imagePullPolicy"] = pull_policy(string_at(c, "image"));
  default_string(c, "terminationMessagePath", "/dev/termination-log");
  default_string(c, "terminationMessagePolicy", "File");
  for_each_object(c, "ports", [](json& port) { default_string(port, "protocol", "TCP"); });
  for_each_object(c, "env", [](json& env) {
    json* from = object_at(env, "valueFrom");
    if (from == nullptr) return;
    if (json* field = object_at(*from, "fieldRef")) default_string(*field, "apiVersion", "v1");
    if (json* ref = object_at(*from, "resourceFieldRef")) default_resource_field_ref(*ref);
  });
  // Resources is a non-pointer struct: the server always writes it, {} when empty.
  if (json* resources = ensure_object(c, "resources")) {
    canonicalize_resource_list(*resources, "limits");
    canonicalize_resource_list(*resources, "requests");
  }
  default_probe(c, "livenessProbe");
  default_probe(c, "readinessProbe");
  default_probe(c, "startupProbe");
  if (json* lifecycle = object_at(c, "lifecycle")) {
    if (json* hook = object_at(*lifecycle, "postStart")) default_http_get(*hook);
    if (json* hook = object_at(*lifecycle, "preStop")) default_http_get(*hook);
  }
}

void default_claim_spec(json& spec) {
  default_value(spec, "volumeMode", "Filesystem");
  canonicalize_requirements(spec, "resources");
}

// Defaults of the volume sources shared by pod volumes and PersistentVolumes.
void default_volume_sources(json& v) {
  if (json* host = object_at(v, "hostPath")) default_value(*host, "type", "");
  if (json* iscsi = object_at(v, "iscsi")) default_string(*iscsi, "iscsiInterface", "default");
  if (json* rbd = object_at(v, "rbd")) {
    default_string(*rbd, "pool", "rbd");
    default_string(*rbd, "user", "admin");
    default_string(*rbd, "keyring", "/etc/ceph/keyring");
  }
  if (json* disk = object_at(v, "azureDisk")) {
    default_value(*disk, "cachingMode", "ReadWrite");
    default_value(*disk, "fsType", "ext4");
    default_value(*disk, "readOnly", false);
    default_value(*disk, "kind", "Shared");
  }
  if (json* scaleio = object_at(v, "scaleIO")) {
    default_string(*scaleio, "storageMode", "ThinProvisioned");
    default_string(*scaleio, "fsType", "xfs");
  }
}

void default_volume(json& v) {
  // SetDefaults_Volume: a volume that names no source is an emptyDir.
  bool has_source = false;
  for (const auto& [key, value] : v.items()) has_source |= key != "name" && !value.is_null();
  if (!has_source) v["emptyDir"] = json::object();

  default_volume_sources(v);
  if (json* empty_dir = object_at(v, "emptyDir"); empty_dir && !is_unset(*empty_dir, "sizeLimit")) {
    canonicalize_quantity((*empty_dir)["sizeLimit"]);
  }
  if (json* secret = object_at(v, "secret")) default_value(*secret, "defaultMode", 420);
  if (json* config_map = object_at(v, "configMap")) default_value(*config_map, "defaultMode", 420);
  if (json* downward = object_at(v, "downwardAPI")) {
    default_value(*downward, "defaultMode", 420);
    default_downward_items(*downward);
  }
  if (json* projected = object_at(v, "projected")) {
    default_value(*projected, "defaultMode", 420);
    for_each_object(*projected, "sources", [](json& source) {
      if (json* downward = object_at(source, "downwardAPI")) default_downward_items(*downward);
      if (json* token = object_at(source, "serviceAccountToken")) {
        default_value(*token, "expirationSeconds", 3600);
      }
    });
  }
  if (json* spec = object_path(v, {"ephemeral", "volumeClaimTemplate", "spec"})) {
    default_claim_spec(*spec);
  }
  if (json* image = object_at(v, "image"); image && is_unset_string(*image, "pullPolicy")) {
    (*image)["pullPolicy"] =
        image_tag(string_at(*image, "reference")) == "latest" ? "Always" : "IfNotPresent";
  }
}

// SetDefaults_Pod: limits stand in for missing requests (Pods only, not templates).
void default_requests_from_limits(json& container) {
  json* resources = object_at(container, "resources");
  json* limits = resources ? object_at(*resources, "limits") : nullptr;
  if (limits == nullptr || limits->empty()) return;
  json* requests = ensure_object(*resources, "requests");
  if (requests == nullptr) return;
  for (const auto& [name, value] : limits->items()) {
    if (!requests->contains(name)) (*requests)[name] = value;
  }
}

void default_pod_only(json& spec) {
  for_each_object(spec, "containers", default_requests_from_limits);
  for_each_object(spec, "initContainers", default_requests_from_limits);
  default_value(spec, "enableServiceLinks", true);
  if (auto host = spec.find("hostNetwork"); host != spec.end() && *host == true) {
    auto host_ports = [](json& c) {
      for_each_object(c, "ports", [](json& port) {
        if (is_unset_number(port, "hostPort") && port.contains("containerPort")) {
          port["hostPort"] = port["containerPort"];
        }
      });
    };
    for_each_object(spec, "containers", host_ports);
    for_each_object(spec, "initContainers", host_ports);
  }
}

void default_pod_spec(json& spec, PodSpecOwner owner) {
  if (owner == PodSpecOwner::kPod) default_pod_only(spec);
  default_string(spec, "dnsPolicy", "ClusterFirst");
  if (owner != PodSpecOwner::kJobTemplate) default_string(spec, "restartPolicy", "Always");
  default_value(spec, "securityContext", json::object());
  default_value(spec, "terminationGracePeriodSeconds", 30);
  default_string(spec, "schedulerName", "default-scheduler");
  for_each_object(spec, "volumes", default_volume);
  for_each_object(spec, "initContainers", default_container);
  for_each_object(spec, "containers", default_container);
  for_each_object(spec, "ephemeralContainers", default_container);
  canonicalize_resource_list(spec, "overhead");
  canonicalize_requirements(spec, "resources");
}

// The pod spec of the template at `path` (e.g. spec.template), when there is one.
void default_template(json& object, std::initializer_list<const char*> path, PodSpecOwner owner) {
  json* tmpl = object_path(object, path);
  if (json* spec = tmpl ? object_at(*tmpl, "spec") : nullptr) default_pod_spec(*spec, owner);
}

// ---- kinds ---------------------------------------------------------------------------------

void default_pod(json& object) {
  if (json* spec = ensure_object(object, "spec")) default_pod_spec(*spec, PodSpecOwner::kPod);
}

void default_pod_template(json& object) {
  default_template(object, {"template"}, PodSpecOwner::kTemplate);
}

void default_replication_controller(json& object) {
  json* spec = ensure_object(object, "spec");
  if (spec == nullptr) return;
  default_value(*spec, "replicas", 1);
  if (json* labels = object_path(*spec, {"template", "metadata", "labels"});
      labels && !labels->empty()) {
    if (!has_entries(*spec, "selector")) (*spec)["selector"] = *labels;
    if (json* metadata = object_at(object, "metadata");
        metadata && !has_entries(*metadata, "labels")) {
      (*metadata)["labels"] = *labels;
    }
  }
  default_template(*spec, {"template"}, PodSpecOwner::kTemplate);
}

void default_deployment(json& object) {
  json* spec = ensure_object(object, "spec");
  if (spec == nullptr) return;
  default_value(*spec, "replicas", 1);
  if (json* strategy = ensure_object(*spec, "strategy")) {
    default_string(*strategy, "type", "RollingUpdate");
    if (string_at(*strategy, "type") == "RollingUpdate") {
      if (json* rolling = ensure_object(*strategy, "rollingUpdate")) {
        default_value(*rolling, "maxUnavailable", "25%");
        default_value(*rolling, "maxSurge", "25%");
      }
    }
  }
  default_value(*spec, "revisionHistoryLimit", 10);
  default_value(*spec, "progressDeadlineSeconds", 600);
  default_template(*spec, {"template"}, PodSpecOwner::kTemplate);
}

void default_daemon_set(json& object) {
  json* spec = ensure_object(object, "spec");
  if (spec == nullptr) return;
  if (json* strategy = ensure_object(*spec, "updateStrategy")) {
    default_string(*strategy, "type", "RollingUpdate");
    if (string_at(*strategy, "type") == "RollingUpdate") {
      if (json* rolling = ensure_object(*strategy, "rollingUpdate")) {
        default_value(*rolling, "maxUnavailable", 1);
        default_value(*rolling, "maxSurge", 0);
      }
    }
  }
  default_value(*spec, "revisionHistoryLimit", 10);
  default_template(*spec, {"template"}, PodSpecOwner::kTemplate);
}

void default_claim_template(json& claim) {
  // The apps/v1 conversion always writes the type of the embedded claims (issue 87583).
  claim["apiVersion"] = "v1";
  claim["kind"] = "PersistentVolumeClaim";
  if (json* spec = ensure_object(claim, "spec")) default_claim_spec(*spec);
  if (json* status = ensure_object(claim, "status")) default_string(*status, "phase", "Pending");
}

void default_stateful_set(json& object) {
  json* spec = ensure_object(object, "spec");
  if (spec == nullptr) return;
  default_string(*spec, "podManagementPolicy", "OrderedReady");
  if (json* strategy = ensure_object(*spec, "updateStrategy")) {
    // Only a strategy whose type was defaulted gets an empty rollingUpdate to hold the partition.
    if (is_unset_string(*strategy, "type")) {
      (*strategy)["type"] = "RollingUpdate";
      default_value(*strategy, "rollingUpdate", json::object());
    }
    json* rolling = object_at(*strategy, "rollingUpdate");
    if (string_at(*strategy, "type") == "RollingUpdate" && rolling != nullptr) {
      default_value(*rolling, "partition", 0);
    }
  }
  if (json* retention = ensure_object(*spec, "persistentVolumeClaimRetentionPolicy")) {
    default_string(*retention, "whenDeleted", "Retain");
    default_string(*retention, "whenScaled", "Retain");
  }
  default_value(*spec, "replicas", 1);
  default_value(*spec, "revisionHistoryLimit", 10);
  for_each_object(*spec, "volumeClaimTemplates", default_claim_template);
  default_template(*spec, {"template"}, PodSpecOwner::kTemplate);
}

void default_replica_set(json& object) {
  json* spec = ensure_object(object, "spec");
  if (spec == nullptr) return;
  default_value(*spec, "replicas", 1);
  default_template(*spec, {"template"}, PodSpecOwner::kTemplate);
}

void default_job(json& object) {
  json* spec = ensure_object(object, "spec");
  if (spec == nullptr) return;
  if (is_unset(*spec, "completions") && is_unset(*spec, "parallelism")) {
    (*spec)["completions"] = 1;
    (*spec)["parallelism"] = 1;
  }
  default_value(*spec, "parallelism", 1);
  // With a per-index limit the global one must not stop the Job early.
  default_value(*spec, "backoffLimit",
                is_unset(*spec, "backoffLimitPerIndex") ? 6 : std::numeric_limits<int32_t>::max());
  if (json* labels = object_path(*spec, {"template", "metadata", "labels"});
      labels && !labels->empty()) {
    if (json* metadata = object_at(object, "metadata");
        metadata && !has_entries(*metadata, "labels")) {
      (*metadata)["labels"] = *labels;
    }
  }
  default_value(*spec, "completionMode", "NonIndexed");
  default_value(*spec, "suspend", false);
  if (json* policy = object_at(*spec, "podFailurePolicy")) {
    for_each_object(*policy, "rules", [](json& rule) {
      for_each_object(rule, "onPodConditions",
                      [](json& pattern) { default_string(pattern, "status", "True"); });
    });
  }
  default_value(*spec, "podReplacementPolicy",
                is_unset(*spec, "podFailurePolicy") ? "TerminatingOrFailed" : "Failed");
  default_template(*spec, {"template"}, PodSpecOwner::kJobTemplate);
}

void default_cron_job(json& object) {
  json* spec = ensure_object(object, "spec");
  if (spec == nullptr) return;
  default_string(*spec, "concurrencyPolicy", "Allow");
  default_value(*spec, "suspend", false);
  default_value(*spec, "successfulJobsHistoryLimit", 3);
  default_value(*spec, "failedJobsHistoryLimit", 1);
  // The Job defaults (completions, backoffLimit, ...) apply when the Job is created, not here.
  default_template(*spec, {"jobTemplate", "spec", "template"}, PodSpecOwner::kJobTemplate);
}

// Service IP families are set by the service registry on create. The simulated cluster is
// single-stack IPv4, where a headless Service without a selector still asks for both families.
void default_ip_families(json& spec) {
  std::string cluster_ip = string_at(spec, "clusterIP");
  if (cluster_ip.empty()) {
    auto ips = spec.find("clusterIPs");
    if (ips != spec.end() && ips->is_array() && !ips->empty() && (*ips)[0].is_string()) {
      cluster_ip = (*ips)[0].get<std::string>();
    }
  }
  bool headless_without_selector = cluster_ip == "None" && !has_entries(spec, "selector");
  default_value(spec, "ipFamilyPolicy",
                headless_without_selector ? "RequireDualStack" : "SingleStack");
  if (!has_entries(spec, "ipFamilies")) {
    bool ipv6_first = cluster_ip.find(':') != std::string::npos;
    json families = json::array({ipv6_first ? "IPv6" : "IPv4"});
    if (string_at(spec, "ipFamilyPolicy") == "RequireDualStack")
      families.push_back(ipv6_first ? "IPv4" : "IPv6");
    spec["ipFamilies"] = std::move(families);
  }
}

void default_service(json& object) {
  json* spec = ensure_object(object, "spec");
  if (spec == nullptr) return;
  default_string(*spec, "sessionAffinity", "None");
  std::string affinity = string_at(*spec, "sessionAffinity");
  if (affinity == "None") spec->erase("sessionAffinityConfig");
  if (affinity == "ClientIP") {
    json* config = ensure_object(*spec, "sessionAffinityConfig");
    json* client_ip = config ? ensure_object(*config, "clientIP") : nullptr;
    if (client_ip) default_value(*client_ip, "timeoutSeconds", 10800);
  }
  default_string(*spec, "type", "ClusterIP");
  std::string type = string_at(*spec, "type");
  for_each_object(*spec, "ports", [](json& port) {
    default_string(port, "protocol", "TCP");
    auto target = port.find("targetPort");
    bool unset = target == port.end() || target->is_null() || *target == 0 || *target == "";
    if (unset && port.contains("port")) port["targetPort"] = port["port"];
  });
  bool external = type == "LoadBalancer" || type == "NodePort" ||
                  (type == "ClusterIP" && has_entries(*spec, "externalIPs"));
  if (external) default_string(*spec, "externalTrafficPolicy", "Cluster");
  if (type == "ClusterIP" || type == "NodePort" || type == "LoadBalancer") {
    default_value(*spec, "internalTrafficPolicy", "Cluster");
  }
  if (type == "LoadBalancer") {
    default_value(*spec, "allocateLoadBalancerNodePorts", true);
    if (json* balancer = object_path(object, {"status", "loadBalancer"})) {
      for_each_object(*balancer, "ingress", [](json& ingress) {
        if (!string_at(ingress, "ip").empty()) default_value(ingress, "ipMode", "VIP");
      });
    }
  }
  if (type != "ExternalName") default_ip_families(*spec);
  // Status is a non-pointer struct holding another one: the server always writes both.
  if (json* status = ensure_object(object, "status"))
    default_value(*status, "loadBalancer", json::object());
}

void default_persistent_volume_claim(json& object) {
  if (json* spec = ensure_object(object, "spec")) default_claim_spec(*spec);
  if (json* status = ensure_object(object, "status")) {
    default_string(*status, "phase", "Pending");
    canonicalize_resource_list(*status, "capacity");
    canonicalize_resource_list(*status, "allocatedResources");
  }
}

void default_persistent_volume(json& object) {
  if (json* spec = ensure_object(object, "spec")) {
    default_string(*spec, "persistentVolumeReclaimPolicy", "Retain");
    default_value(*spec, "volumeMode", "Filesystem");
    canonicalize_resource_list(*spec, "capacity");
    default_volume_sources(*spec);
  }
  if (json* status = ensure_object(object, "status")) default_string(*status, "phase", "Pending");
}

void default_secret(json& object) { default_string(object, "type", "Opaque"); }

void default_namespace(json& object) {
  // The name label is enforced, not just defaulted: it always mirrors the name.
  if (json* metadata = object_at(object, "metadata")) {
    std::string name = string_at(*metadata, "name");
    if (json* labels = name.empty() ? nullptr : ensure_object(*metadata, "labels")) {
      (*labels)["kubernetes.io/metadata.name"] = name;
    }
  }
  if (json* status = ensure_object(object, "status")) default_string(*status, "phase", "Active");
}

void default_resource_quota(json& object) {
  if (json* spec = object_at(object, "spec")) canonicalize_resource_list(*spec, "hard");
  if (json* status = object_at(object, "status")) {
    canonicalize_resource_list(*status, "hard");
    canonicalize_resource_list(*status, "used");
  }
}

void default_limit_range_item(json& item) {
  // SetDefaults_LimitRangeItem: a container's default limit falls back to max, its default
  // request to the default limit, then to min.
  if (string_at(item, "type") == "Container") {
    auto fill = [&item](const char* target, const char* source) {
      json* from = object_at(item, source);
      if (from == nullptr || from->empty()) return;
      json* to = ensure_object(item, target);
      if (to == nullptr) return;
      for (const auto& [name, value] : from->items()) {
        if (!to->contains(name)) (*to)[name] = value;
      }
    };
    fill("default", "max");
    fill("defaultRequest", "default");
    fill("defaultRequest", "min");
  }
  for (const char* key : {"max", "min", "default", "defaultRequest", "maxLimitRequestRatio"}) {
    canonicalize_resource_list(item, key);
  }
}

void default_limit_range(json& object) {
  if (json* spec = object_at(object, "spec"))
    for_each_object(*spec, "limits", default_limit_range_item);
}

void default_endpoints(json& object) {
  for_each_object(object, "subsets", [](json& subset) {
    for_each_object(subset, "ports", [](json& port) { default_string(port, "protocol", "TCP"); });
  });
}

void default_endpoint_slice(json& object) {
  for_each_object(object, "ports", [](json& port) {
    default_value(port, "name", "");
    default_value(port, "protocol", "TCP");
  });
}

void default_network_policy(json& object) {
  json* spec = ensure_object(object, "spec");
  if (spec == nullptr) return;
  auto ports = [](json& rule) {
    for_each_object(rule, "ports", [](json& port) { default_value(port, "protocol", "TCP"); });
  };
  for_each_object(*spec, "ingress", ports);
  for_each_object(*spec, "egress", ports);
  // A policy that names no types isolates ingress, and egress too when it has egress rules.
  if (!has_entries(*spec, "policyTypes")) {
    json types = json::array({"Ingress"});
    if (has_entries(*spec, "egress")) types.push_back("Egress");
    (*spec)["policyTypes"] = std::move(types);
  }
}

void default_ingress_class(json& object) {
  if (json* parameters = object_path(object, {"spec", "parameters"})) {
    default_value(*parameters, "scope", "Cluster");
  }
}

void canonicalize_metric_target(json& metric, const char* source) {
  json* target = object_path(metric, {source, "target"});
  if (target == nullptr) return;
  for (const char* key : {"value", "averageValue"}) {
    if (!is_unset(*target, key)) canonicalize_quantity((*target)[key]);
  }
}

// Fills a scaling-rules block the way GenerateHPAScale{Up,Down}Rules do: missing parts are
// taken from the default rules.
void default_scaling_rules(json& behavior, const char* key, const json& defaults) {
  if (is_unset(behavior, key)) {
    behavior[key] = defaults;
    return;
  }
  json* rules = object_at(behavior, key);
  if (rules == nullptr) return;
  for (const auto& [field, value] : defaults.items()) default_value(*rules, field.c_str(), value);
}

void default_horizontal_pod_autoscaler(json& object) {
  json* spec = ensure_object(object, "spec");
  if (spec == nullptr) return;
  default_value(*spec, "minReplicas", 1);
  if (string_at(object, "apiVersion") == "autoscaling/v1") {
    // v1 objects are stored as v2, whose default metric reads back as 80% CPU.
    default_value(*spec, "targetCPUUtilizationPercentage", 80);
    return;
  }
  if (!has_entries(*spec, "metrics")) {
    json target = {{"type", "Utilization"}, {"averageUtilization", 80}};
    json metric = {{"type", "Resource"}, {"resource", {{"name", "cpu"}, {"target", target}}}};
    (*spec)["metrics"] = json::array({metric});
  }
  for_each_object(*spec, "metrics", [](json& metric) {
    for (const char* source : {"resource", "containerResource", "pods", "object", "external"}) {
      canonicalize_metric_target(metric, source);
    }
  });
  if (json* behavior = object_at(*spec, "behavior")) {
    static const json kScaleUp = {
        {"stabilizationWindowSeconds", 0},
        {"selectPolicy", "Max"},
        {"policies",
         json::array({json{{"type", "Pods"}, {"value", 4}, {"periodSeconds", 15}},
                      json{{"type", "Percent"}, {"value", 100}, {"periodSeconds", 15}}})},
    };
    // The scale-down window stays unset: the controller's --horizontal-pod-autoscaler-
    // downscale-stabilization flag supplies it.
    static const json kScaleDown = {
        {"selectPolicy", "Max"},
        {"policies",
         json::array({json{{"type", "Percent"}, {"value", 100}, {"periodSeconds", 15}}})},
    };
    default_scaling_rules(*behavior, "scaleUp", kScaleUp);
    default_scaling_rules(*behavior, "scaleDown", kScaleDown);
  }
}

constexpr const char* kRbacGroup = "rbac.authorization.k8s.io";

void default_role_binding(json& object) {
  if (json* role_ref = object_at(object, "roleRef"))
    default_string(*role_ref, "apiGroup", kRbacGroup);
  for_each_object(object, "subjects", [](json& subject) {
    std::string kind = string_at(subject, "kind");
    if (kind == "User" || kind == "Group") default_string(subject, "apiGroup", kRbacGroup);
  });
}

void default_custom_resource_definition(json& object) {
  json* spec = ensure_object(object, "spec");
  if (spec == nullptr) return;
  if (json* names = object_at(*spec, "names")) {
    std::string kind = string_at(*names, "kind");
    if (is_unset_string(*names, "singular")) {
      std::string singular = kind;
      for (char& c : singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      (*names)["singular"] = singular;
    }
    if (!kind.empty()) default_string(*names, "listKind", (kind + "List").c_str());
  }
  default_value(*spec, "conversion", {{"strategy", "None"}});
  if (json* service = object_path(*spec, {"conversion", "webhook", "clientConfig", "service"})) {
    default_value(*service, "port", 443);
  }
}

using Defaulter = void (*)(json&);

struct KindDefaults {
  std::string_view group;
  std::string_view kind;
  Defaulter apply;
};

constexpr KindDefaults kDefaulters[] = {
    {"", "Pod", default_pod},
    {"", "PodTemplate", default_pod_template},
    {"", "ReplicationController", default_replication_controller},
    {"", "Service", default_service},
    {"", "PersistentVolumeClaim", default_persistent_volume_claim},
    {"", "PersistentVolume", default_persistent_volume},
    {"", "Secret", default_secret},
    {"", "Namespace", default_namespace},
    {"", "ResourceQuota", default_resource_quota},
    {"", "LimitRange", default_limit_range},
    {"", "Endpoints", default_endpoints},
    {"apps", "Deployment", default_deployment},
    {"apps", "StatefulSet", default_stateful_set},
    {"apps", "DaemonSet", default_daemon_set},
    {"apps", "ReplicaSet", default_replica_set},
    {"batch", "Job", default_job},
    {"batch", "CronJob", default_cron_job},
    {"networking.k8s.io", "NetworkPolicy", default_network_policy},
    {"networking.k8s.io", "IngressClass", default_ingress_class},
    {"discovery.k8s.io", "EndpointSlice", default_endpoint_slice},
    {"autoscaling", "HorizontalPodAutoscaler", default_horizontal_pod_autoscaler},
    {"rbac.authorization.k8s.io", "RoleBinding", default_role_binding},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", default_role_binding},
    {"apiextensions.k8s.io", "CustomResourceDefinition", default_custom_resource_definition},
};

}  // namespace

void apply_defaults(std::string_view group, std::string_view kind, nlohmann::json& object) {
  if (!object.is_object()) return;
  for (const KindDefaults& entry : kDefaulters) {
    if (entry.group == group && entry.kind == kind) {
      entry.apply(object);
      return;
    }
  }
}

}  // namespace ferry::kube
