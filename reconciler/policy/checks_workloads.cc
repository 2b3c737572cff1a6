// probes-missing, resources-missing, limit-below-request: will the scheduler and the kubelet
// know what the container needs and when it is ready?
#include <cmath>
#include <cstdlib>
#include <optional>

#include "kube/machinery/quantity.h"
#include "reconciler/policy/checks.h"

namespace ferry::reconciler::policy::detail {
namespace {

// A quantity's value, for comparing a limit with a request; nullopt when it is not a quantity.
std::optional<long double> quantity_value(const Json& value) {
  std::string text;
  if (value.is_string()) {
    text = value.get<std::string>();
  } else if (value.is_number()) {
    text = value.dump();
  } else {
    return std::nullopt;
  }
  auto canonical = kube::canonical_quantity(text);
  if (!canonical) return std::nullopt;
  // Canonical: [-]digits then a suffix (n u m k M G T P E, Ki … Ei, or e<exponent>).
  const char* begin = canonical->c_str();
  char* end = nullptr;
  long double mantissa = std::strtold(begin, &end);
  std::string_view suffix(end);
  if (suffix.empty()) return mantissa;
  if (suffix[0] == 'e' || suffix[0] == 'E') {
    if (suffix.size() > 1) return mantissa * std::pow(10.0L, std::strtold(suffix.data() + 1, nullptr));
  }
  constexpr std::string_view kDecimal = "num kMGTPE";  // 10^-9 … 10^18 in steps of 10^3, ' ' = 10^0
  if (suffix.size() == 1) {
    size_t i = kDecimal.find(suffix[0]);
    if (i != std::string_view::npos && suffix[0] != ' ') return mantissa * std::pow(1000.0L, static_cast<int>(i) - 3);
  }
  if (suffix.size() == 2 && suffix[1] == 'i') {
    constexpr std::string_view kBinary = "KMGTPE";
    size_t i = kBinary.find(suffix[0]);
    if (i != std::string_view::npos) return mantissa * std::pow(1024.0L, static_cast<int>(i) + 1);
  }
  return std::nullopt;
}

}  // namespace

void check_probes(Reporter& r, const PodRef& pod, const ContainerRef& c) {
  if (!pod.long_running || !r.on(Check::kProbesMissing)) return;
  const bool readiness = member(c.container, "readinessProbe") != nullptr;
  const bool liveness = member(c.container, "livenessProbe") != nullptr;
  if (readiness && liveness) return;
  std::string missing = !readiness && !liveness ? "readinessProbe and livenessProbe"
                        : !readiness            ? "readinessProbe"
                                                : "livenessProbe";
  r.report(Check::kProbesMissing, c.path + "." + (!readiness ? "readinessProbe" : "livenessProbe"),
           "container " + in_quotes(c.name) + " has no " + missing);
}

void check_resources(Reporter& r, const ContainerRef& c) {
  if (!r.any_on({Check::kResourcesMissing, Check::kLimitBelowRequest})) return;
  const Json* resources = member(c.container, "resources");
  const Json* requests = resources ? member(*resources, "requests") : nullptr;
  const Json* limits = resources ? member(*resources, "limits") : nullptr;
  if (r.on(Check::kResourcesMissing)) {
    std::string missing;
    for (const char* name : {"cpu", "memory"}) {
      // Without a request Kubernetes takes the limit as the request.
      if ((requests && member(*requests, name)) || (limits && member(*limits, name))) continue;
      missing += missing.empty() ? name : std::string(" and no ") + name;
    }
    if (!missing.empty()) {
      r.report(Check::kResourcesMissing, c.path + ".resources.requests",
               "container " + in_quotes(c.name) + " requests no " + missing);
    }
  }
  if (r.on(Check::kLimitBelowRequest) && requests && limits && requests->is_object() && limits->is_object()) {
    for (const auto& [name, limit] : limits->items()) {
      const Json* request = member(*requests, name);
      if (!request) continue;
      auto l = quantity_value(limit);
      auto q = quantity_value(*request);
      if (!l || !q || *l >= *q) continue;
      r.report(Check::kLimitBelowRequest, c.path + ".resources.limits." + name,
               "container " + in_quotes(c.name) + " limits " + name + " to " + limit.dump() + ", below its request " +
                   request->dump());
    }
  }
}

}  // namespace ferry::reconciler::policy::detail
