// Per-object exemptions: `ferry.dev/policy-exempt: "<id>[,<id>…]"` plus a reason, either in
// `ferry.dev/policy-exempt-reason` or after a colon in the same annotation ("<ids>: <reason>").
// An exemption without a reason is reported and not honoured.
#include <algorithm>

#include "reconciler/policy/checks.h"

namespace ferry::reconciler::policy {

using detail::trim;

Exemption parse_exemption(const Json& annotations) {
  Exemption out;
  if (!annotations.is_object()) return out;
  auto exempt = annotations.find(kExemptAnnotation);
  if (exempt == annotations.end()) return out;
  const std::string annotation(kExemptAnnotation);
  if (!exempt->is_string()) {
    out.errors.push_back("annotation " + annotation + " must be a string of check ids");
    return out;
  }
  std::string_view ids = exempt->get_ref<const std::string&>();
  std::string_view inline_reason;
  if (size_t colon = ids.find(':'); colon != std::string_view::npos) {
    inline_reason = trim(ids.substr(colon + 1));
    ids = ids.substr(0, colon);
  }
  for (std::string_view id : detail::split_list(ids)) {
    if (!find_check(id)) {
      out.errors.push_back("annotation " + annotation + " names unknown check " + detail::in_quotes(id));
    } else if (std::find(out.checks.begin(), out.checks.end(), id) == out.checks.end()) {
      out.checks.emplace_back(id);
    }
  }
  if (auto reason = annotations.find(kExemptReasonAnnotation);
      reason != annotations.end() && reason->is_string() && !trim(reason->get_ref<const std::string&>()).empty()) {
    out.reason = trim(reason->get_ref<const std::string&>());
  } else {
    out.reason = inline_reason;
  }
  if (out.checks.empty()) {
    if (out.errors.empty()) out.errors.push_back("annotation " + annotation + " names no check");
    return out;
  }
  if (out.reason.empty()) {
    std::string list;
    for (const auto& c : out.checks) list += (list.empty() ? "" : ",") + c;
    out.errors.push_back("exemption from " + list + " has no reason (write it in " +
                         std::string(kExemptReasonAnnotation) + ", or as \"" + list +
                         ": <reason>\"); not honoured");
  }
  return out;
}

}  // namespace ferry::reconciler::policy
