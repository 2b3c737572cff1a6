#include "apis/types/json_fields.h"

namespace ferry::apis::detail {

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string index_path(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

const char* json_type_phrase(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "a list";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "a number";
    default: return "an unknown value";
  }
}

const Json* FieldReader::member(const Json& object, std::string_view key) const {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

void FieldReader::wrong_type(const std::string& field, const char* what, const Json& value) {
  causes_.push_back({"FieldValueTypeInvalid",
                     field + ": must be " + what + ", not " + json_type_phrase(value), field});
}

bool FieldReader::read_string(const Json& object, std::string_view parent, std::string_view key,
                              std::string& out) {
  const Json* v = member(object, key);
  if (v == nullptr) return false;
  if (!v->is_string()) {
    wrong_type(join_path(parent, key), "a string", *v);
    return false;
  }
  out = v->get_ref<const std::string&>();
  return true;
}

bool FieldReader::read_bool(const Json& object, std::string_view parent, std::string_view key, bool& out) {
  const Json* v = member(object, key);
  if (v == nullptr) return false;
  if (!v->is_boolean()) {
    wrong_type(join_path(parent, key), "true or false", *v);
    return false;
  }
  out = v->get<bool>();
  return true;
}

bool FieldReader::read_int(const Json& object, std::string_view parent, std::string_view key, int64_t& out) {
  const Json* v = member(object, key);
  if (v == nullptr) return false;
  // nlohmann stores parsed non-negative integers as unsigned (is_number_integer covers both).
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    causes_.push_back({"FieldValueInvalid", join_path(parent, key) + ": integer out of range",
                       join_path(parent, key)});
    return false;
  }
  if (v->is_number_integer()) {
    out = v->get<int64_t>();
    return true;
  }
  wrong_type(join_path(parent, key), "an integer", *v);
  return false;
}

bool FieldReader::read_strings(const Json& object, std::string_view parent, std::string_view key,
                               std::vector<std::string>& out) {
  const Json* v = read_array(object, parent, key);
  if (v == nullptr) return false;
  std::string path = join_path(parent, key);
  std::vector<std::string> items;
  bool good = true;
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& item = (*v)[i];
    if (!item.is_string()) {
      wrong_type(index_path(path, i), "a string", item);
      good = false;
      continue;
    }
    items.push_back(item.get<std::string>());
  }
  if (!good) return false;
  out = std::move(items);
  return true;
}

bool FieldReader::read_string_map(const Json& object, std::string_view parent, std::string_view key,
                                  std::map<std::string, std::string>& out) {
  const Json* v = read_object(object, parent, key);
  if (v == nullptr) return false;
  std::string path = join_path(parent, key);
  std::map<std::string, std::string> items;
  bool good = true;
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it->is_string()) {
      wrong_type(path + "[\"" + it.key() + "\"]", "a string", *it);
      good = false;
      continue;
    }
    items[it.key()] = it->get<std::string>();
  }
  if (!good) return false;
  out = std::move(items);
  return true;
}

const Json* FieldReader::read_object(const Json& object, std::string_view parent, std::string_view key) {
  const Json* v = member(object, key);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    wrong_type(join_path(parent, key), "an object", *v);
    return nullptr;
  }
  return v;
}

const Json* FieldReader::read_array(const Json& object, std::string_view parent, std::string_view key) {
  const Json* v = member(object, key);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    wrong_type(join_path(parent, key), "a list", *v);
    return nullptr;
  }
  return v;
}

Status FieldReader::to_status(std::string_view what) const {
  if (causes_.empty()) return Status::Ok();
  std::string message = std::string(what) + " is invalid: ";
  for (size_t i = 0; i < causes_.size(); ++i) {
    if (i > 0) message += "; ";
    message += causes_[i].message;
  }
  Status status = Status::Invalid(std::move(message));
  for (const StatusCause& cause : causes_) status.add_cause(cause);
  return status;
}

namespace {

bool had_key(const Json& object, std::string_view key) {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

}  // namespace

void put_string(Json& object, std::string_view key, const std::string& value, std::string_view default_value) {
  if (value == default_value && !had_key(object, key)) return;
  object[std::string(key)] = value;
}

void put_bool(Json& object, std::string_view key, bool value, bool default_value) {
  if (value == default_value && !had_key(object, key)) return;
  object[std::string(key)] = value;
}

void put_int(Json& object, std::string_view key, int64_t value, int64_t default_value) {
  if (value == default_value && !had_key(object, key)) return;
  object[std::string(key)] = value;
}

void put_strings(Json& object, std::string_view key, const std::vector<std::string>& value) {
  if (value.empty() && !had_key(object, key)) return;
  object[std::string(key)] = value;
}

void put_string_map(Json& object, std::string_view key, const std::map<std::string, std::string>& value) {
  if (value.empty() && !had_key(object, key)) return;
  Json out = Json::object();
  for (const auto& [k, v] : value) out[k] = v;
  object[std::string(key)] = std::move(out);
}

void put_json(Json& object, std::string_view key, Json value) {
  if (value.empty() && !had_key(object, key)) return;
  object[std::string(key)] = std::move(value);
}

Json object_member(const Json& base, std::string_view key) {
  if (base.is_object()) {
    auto it = base.find(key);
    if (it != base.end() && it->is_object()) return *it;
  }
  return Json::object();
}

}  // namespace ferry::apis::detail
