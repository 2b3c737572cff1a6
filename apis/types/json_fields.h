// Typed reads of JSON objects for the apis/types parsers, and typed writes for their to_json.
// Internal to apis/types: the Application and Project parsers use it so that a wrong type
// ("repoURL: 5") becomes a StatusCause naming the field instead of a nlohmann exception.
// A FieldReader collects causes; it is a plain value for one parse on one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apis/types/status.h"

namespace ferry::apis::detail {

using Json = nlohmann::json;

// "spec.source" + "repoURL" -> "spec.source.repoURL"; "spec.info" + 2 -> "spec.info[2]".
std::string join_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, size_t index);

// "a string", "a number", "an object", ... for messages.
const char* json_type_phrase(const Json& value);

class FieldReader {
 public:
  // Each read leaves `out` unchanged and returns false when the key is absent or null (Kubernetes
  // treats an explicit null as absent); on a wrong type it records a cause and returns false.
  // `parent` is the path of `object`; `object` itself may be anything (non-objects read as empty).
  bool read_string(const Json& object, std::string_view parent, std::string_view key, std::string& out);
  bool read_bool(const Json& object, std::string_view parent, std::string_view key, bool& out);
  bool read_int(const Json& object, std::string_view parent, std::string_view key, int64_t& out);
  bool read_strings(const Json& object, std::string_view parent, std::string_view key,
                    std::vector<std::string>& out);
  bool read_string_map(const Json& object, std::string_view parent, std::string_view key,
                       std::map<std::string, std::string>& out);
  // The member when it is an object (or array), nullptr when absent or null or of another type
  // (the last recorded as a cause).
  const Json* read_object(const Json& object, std::string_view parent, std::string_view key);
  const Json* read_array(const Json& object, std::string_view parent, std::string_view key);

  // Records "<field>: must be <what>, not <type of value>".
  void wrong_type(const std::string& field, const char* what, const Json& value);
  void add(StatusCause cause) { causes_.push_back(std::move(cause)); }

  bool ok() const { return causes_.empty(); }
  const std::vector<StatusCause>& causes() const { return causes_; }

  // Invalid "<what> is invalid: <cause>; <cause>" carrying the causes; OK when there are none.
  Status to_status(std::string_view what) const;

 private:
  const Json* member(const Json& object, std::string_view key) const;

  std::vector<StatusCause> causes_;
};

// Writers for to_json. Each keeps the base object's unknown members and only touches `key`.
// A value equal to its default is written only when `object` already had the key (so a parsed
// object round-trips to itself and a built one carries no noise); an empty list/map likewise.
void put_string(Json& object, std::string_view key, const std::string& value, std::string_view default_value = "");
void put_bool(Json& object, std::string_view key, bool value, bool default_value = false);
void put_int(Json& object, std::string_view key, int64_t value, int64_t default_value);
void put_strings(Json& object, std::string_view key, const std::vector<std::string>& value);
void put_string_map(Json& object, std::string_view key, const std::map<std::string, std::string>& value);
// Writes `value` (an object or array built by the caller) when it is non-empty or the key was
// there; otherwise leaves the object without the key.
void put_json(Json& object, std::string_view key, Json value);
// The member `key` of `base` when it is an object, else an empty object: the base to overlay on.
Json object_member(const Json& base, std::string_view key);

}  // namespace ferry::apis::detail
