// YAML streams <-> Ferry's one document type (nlohmann::json), with the semantics Kubernetes
// clients use (sigs.k8s.io/yaml over go-yaml v2, i.e. YAML 1.1 scalars): plain `yes`/`no`/`on`/
// `off`/`y`/`n` are booleans, `012` is octal, `0x1F` hex, timestamps stay strings, quoted scalars
// are always strings, the last of duplicate keys wins, `<<` merge keys apply, integral floats
// become integers. `kubectl annotate --local -o json -f F` is the oracle for these rules.
// All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apis/types/status.h"

namespace ferry {

using Json = nlohmann::json;

namespace yaml {

// One document of a stream; `index` counts from 0 over non-empty documents, `line` is 1-based.
struct Document {
  Json value;
  int index = 0;
  int line = 1;
};

// Parses a YAML or JSON stream. Documents are split on `---` lines as kubectl does; empty
// documents are dropped. Errors are Invalid and name `source`, the document index and line:
//   "apps/web.yaml: document 2, line 14: illegal map value".
Result<std::vector<Document>> parse_stream(std::string_view text, std::string_view source);

// Like parse_stream, then, as kubectl does, replaces every object that has `items` (a `List`, a
// `ConfigMapList`, ...) by its items; items naming neither kind nor apiVersion take the list's
// (kind minus "List"). Documents that are not objects, and lists inside lists, are Invalid.
Result<std::vector<Json>> parse_objects(std::string_view text, std::string_view source);

// Emits one document as block YAML that parse_stream reads back to an equal value: strings that
// YAML 1.1 would read as something else ("yes", "012", "") are quoted.
std::string to_yaml(const Json& value);

// Emits documents separated by `---` lines.
std::string to_yaml_stream(const std::vector<Json>& values);

// How a plain (unquoted) scalar reads under go-yaml v2: null, bool, integer, float or string.
// Fails (Invalid) only for NaN and infinities, which JSON cannot carry.
Result<Json> resolve_plain_scalar(std::string_view text);

}  // namespace yaml
}  // namespace ferry
