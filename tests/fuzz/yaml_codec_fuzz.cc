// Fuzzes the YAML codec with arbitrary bytes. Whatever the input, parsing must neither crash
// nor throw, an error must say where it happened, and every document Ferry accepts must survive
// to_yaml and back unchanged, alone and as a stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "apis/types/yaml_codec.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto docs = yaml::parse_stream(text, "fuzz.yaml");
  auto objects = yaml::parse_objects(text, "fuzz.yaml");
  if (!docs.ok()) {
    check(docs.status().is(Reason::kInvalid));
    check(docs.status().message().starts_with("fuzz.yaml: document "));
    check(docs.status().message().find(", line ") != std::string::npos);
    check(!objects.ok());
    return 0;
  }
  std::vector<Json> values;
  for (const auto& doc : *docs) {
    (void)doc.value.dump();  // throws on invalid UTF-8: every string must be valid
    auto again = yaml::parse_stream(yaml::to_yaml(doc.value), "again.yaml");
    check(again.ok() && again->size() == 1 && (*again)[0].value == doc.value);
    values.push_back(doc.value);
  }
  auto stream = yaml::parse_stream(yaml::to_yaml_stream(values), "stream.yaml");
  check(stream.ok() && stream->size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) check((*stream)[i].value == values[i]);
  return 0;
}
