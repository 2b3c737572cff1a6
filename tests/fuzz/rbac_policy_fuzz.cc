// Fuzzes the RBAC policy reader and matcher. Whatever the CSV, parsing must neither crash nor
// loop (g cycles included), an error must name its line, and a policy that parses must answer
// every question — and still deny everything to a subject given a blanket deny line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "apis/auth/rbac.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// Field `i` of the input's first line split on ',' ("" when absent): questions built from the
// input reach the globs with text the fuzzer controls.
std::string field(std::string_view text, int i) {
  std::string_view line = text.substr(0, text.find('\n'));
  for (int k = 0; k < i; ++k) {
    size_t comma = line.find(',');
    if (comma == std::string_view::npos) return "";
    line.remove_prefix(comma + 1);
  }
  return std::string(line.substr(0, line.find(',')));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = auth::Policy::parse(text, "role:readonly");
  if (!policy.ok()) {
    check(policy.status().is(Reason::kInvalid));
    check(policy.status().message().starts_with("policy.csv line "));
    return 0;
  }
  const auth::Subject asked{field(text, 1), {field(text, 2), "role:admin"}};
  (void)policy->allowed(asked, field(text, 3), field(text, 4), field(text, 5));
  (void)policy->allowed({"admin", {}}, "applications", "sync", "default/app");
  (void)policy->roles_of(asked);
  check(!policy->allowed(asked, "applications", "", "a/b"));

  // A blanket deny for one subject wins over anything the input grants it or its roles.
  std::string denied = std::string(text) + "\np, fuzz-denied, *, *, *, deny\n";
  auto with_deny = auth::Policy::parse(denied, "role:admin");
  check(with_deny.ok());
  const auth::Subject victim{"fuzz-denied", {field(text, 1), "role:admin"}};
  check(!with_deny->allowed(victim, "applications", "get", "default/app"));
  check(!with_deny->allowed(victim, field(text, 3).empty() ? "x" : field(text, 3), "get", field(text, 5)));
  return 0;
}
