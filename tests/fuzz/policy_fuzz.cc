// Fuzzes the policy gates' parsers and the walk over objects. The input's first line is a policy
// in the annotation form, the second an exemption annotation, the third its reason, the rest a
// YAML stream of objects. Whatever the bytes: no crash, no throw; a parsed policy answers a level
// for every check; an exemption lists only known ids, once each, and is refused exactly when it
// has no reason; every finding names a known check at a level that is not off.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "apis/types/yaml_codec.h"
#include "reconciler/policy/policy.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

std::string_view next_line(std::string_view& text) {
  size_t nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  namespace policy = reconciler::policy;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string_view policy_text = next_line(text);
  const std::string_view exempt = next_line(text);
  const std::string_view reason = next_line(text);

  auto config = policy::parse_policy_text(policy_text);
  policy::PolicyConfig effective;
  if (config.ok()) {
    for (const auto& c : policy::checks()) {
      policy::Level level = config->level_of(c.id);
      check(level == policy::Level::off || level == policy::Level::warn || level == policy::Level::deny);
    }
    check(policy::merge(*config, *config) == *config);
    effective = *config;
  } else {
    check(config.status().is(Reason::kInvalid) && !config.status().message().empty());
  }

  Json annotations = {{std::string(policy::kExemptAnnotation), std::string(exempt)},
                      {std::string(policy::kExemptReasonAnnotation), std::string(reason)}};
  policy::Exemption ex = policy::parse_exemption(annotations);
  for (size_t i = 0; i < ex.checks.size(); ++i) {
    check(policy::find_check(ex.checks[i]) != nullptr);
    check(std::count(ex.checks.begin(), ex.checks.end(), ex.checks[i]) == 1);
  }
  // The refusal is the one error about the exemption itself; the others start "annotation ...".
  const bool refused = std::any_of(ex.errors.begin(), ex.errors.end(),
                                   [](const std::string& e) { return e.starts_with("exemption from "); });
  check(refused == (!ex.checks.empty() && ex.reason.empty()));

  auto objects = yaml::parse_objects(text, "fuzz.yaml");
  if (!objects.ok()) return 0;
  for (Json& object : *objects) {
    if (!object.is_object()) continue;
    Json& meta = object["metadata"];
    if (meta.is_null()) meta = Json::object();
    if (meta.is_object()) meta["annotations"] = annotations;
  }
  policy::Evaluation e = policy::evaluate(*objects, effective);
  for (const auto& f : e.findings) {
    check(policy::find_check(f.check) != nullptr);
    check(f.level != policy::Level::off);
    check(!f.message.empty() && !f.hint.empty());
  }
  check(e.denied() == (e.count(policy::Level::deny) > 0));
  if (refused) check(e.exempted.empty());
  return 0;
}
