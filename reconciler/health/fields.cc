// Field readers shared by the health checks (declared in checks.h).
#include <cmath>

#include "reconciler/health/checks.h"

namespace ferry::reconciler::health {

const Json* at(const Json& object, std::initializer_list<const char*> path) {
  const Json* node = &object;
  for (const char* key : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

bool has_int(const Json& object, std::initializer_list<const char*> path) {
  const Json* value = at(object, path);
  return value != nullptr && value->is_number();
}

int64_t int_at(const Json& object, std::initializer_list<const char*> path, int64_t fallback) {
  const Json* value = at(object, path);
  if (value == nullptr) return fallback;
  if (value->is_number_integer()) return value->get<int64_t>();
  if (value->is_number_unsigned()) return static_cast<int64_t>(value->get<uint64_t>());
  if (value->is_number_float()) {
    double d = value->get<double>();
    // Casting a value outside int64's range is undefined; such a count is garbage anyway.
    return std::isfinite(d) && std::fabs(d) < 9.0e18 ? static_cast<int64_t>(d) : fallback;
  }
  return fallback;
}

std::string string_at(const Json& object, std::initializer_list<const char*> path) {
  const Json* value = at(object, path);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

bool bool_at(const Json& object, std::initializer_list<const char*> path) {
  const Json* value = at(object, path);
  return value != nullptr && value->is_boolean() && value->get<bool>();
}

const Json* condition(const Json& object, const char* type) {
  const Json* conditions = at(object, {"status", "conditions"});
  if (conditions == nullptr || !conditions->is_array()) return nullptr;
  for (const Json& c : *conditions) {
    if (c.is_object() && string_at(c, {"type"}) == type) return &c;
  }
  return nullptr;
}

bool condition_true(const Json& object, const char* type) {
  const Json* c = condition(object, type);
  return c != nullptr && string_at(*c, {"status"}) == "True";
}

}  // namespace ferry::reconciler::health
