#include "reconciler/diff/normalize.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "kube/machinery/quantity.h"
#include "kube/machinery/schema.h"

namespace ferry::reconciler {
namespace {

using nlohmann::json;

bool one_of(std::string_view key, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (key == name) return true;
  }
  return false;
}

// digits × multiplier, for the small multipliers of binary suffixes (1024).
std::string multiply(const std::string& digits, unsigned multiplier) {
  std::string out(digits.size() + 5, '0');
  uint64_t carry = 0;
  size_t pos = out.size();
  for (size_t i = digits.size(); i-- > 0;) {
    uint64_t v = static_cast<uint64_t>(digits[i] - '0') * multiplier + carry;
    out[--pos] = static_cast<char>('0' + v % 10);
    carry = v / 10;
  }
  while (carry > 0) {
    out[--pos] = static_cast<char>('0' + carry % 10);
    carry /= 10;
  }
  size_t first = out.find_first_not_of('0');
  return first == std::string::npos ? "0" : out.substr(first);
}

// The decimal text of a JSON number or a string as resource.Quantity reads it.
std::optional<std::string> quantity_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    if (d == std::floor(d) && std::fabs(d) < 9.0e15) return std::to_string(static_cast<int64_t>(d));
    return value.dump();
  }
  return std::nullopt;
}

// Integral numbers as integers, so that 80.0 and 80 make the same key element.
json normalized_key_value(const json& value) {
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<int64_t>(d);
  }
  return value;
}

// "8080" for 8080: the only string spelling Kubernetes' IntOrString treats as the same number.
bool int_matches_string(const json& number, const json& text) {
  if (!text.is_string()) return false;
  json n = normalized_key_value(number);
  if (!n.is_number_integer()) return false;
  return text.get_ref<const std::string&>() == n.dump();
}

}  // namespace

unsigned child_context(unsigned parent, std::string_view key) {
  unsigned context = parent & kQuantityValue;  // int-or-string applies to one field only
  if (one_of(key, {"resources", "limits", "requests", "hard", "capacity", "allocatable", "allocatedResources",
                   "used", "storage", "sizeLimit", "averageValue"})) {
    context |= kQuantityValue;
  }
  if (one_of(key, {"port", "targetPort", "containerPort", "nodePort", "hostPort", "maxSurge", "maxUnavailable",
                   "minAvailable"})) {
    context |= kIntOrStringValue;
  }
  return context;
}

bool is_empty_value(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return true;
    case json::value_t::object:
    case json::value_t::array:
    case json::value_t::string:
      return value.empty() || (value.is_string() && value.get_ref<const std::string&>().empty());
    case json::value_t::boolean:
      return !value.get<bool>();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return value == 0;
    default:
      return false;
  }
}

bool is_effectively_empty(const json& value) {
  if (is_empty_value(value)) return true;
  if (!value.is_object()) return false;
  for (const auto& [key, child] : value.items()) {
    if (!is_effectively_empty(child)) return false;
  }
  return true;
}

std::optional<std::string> quantity_value_key(const json& value) {
  std::optional<std::string> text = quantity_text(value);
  if (!text) return std::nullopt;
  std::optional<std::string> canonical = kube::canonical_quantity(*text);
  if (!canonical) return std::nullopt;
  // A canonical quantity is an integer mantissa and one suffix.
  const std::string& c = *canonical;
  size_t pos = 0;
  bool negative = false;
  if (pos < c.size() && (c[pos] == '-' || c[pos] == '+')) negative = c[pos++] == '-';
  size_t digits_end = c.find_first_not_of("0123456789", pos);
  if (digits_end == std::string::npos) digits_end = c.size();
  std::string digits = c.substr(pos, digits_end - pos);
  if (digits.empty()) digits = "0";
  std::string_view suffix = std::string_view(c).substr(digits_end);
  int64_t exponent = 0;
  static constexpr std::array<std::pair<std::string_view, int>, 10> kDecimal = {{
      {"n", -9}, {"u", -6}, {"m", -3}, {"", 0}, {"k", 3}, {"M", 6}, {"G", 9}, {"T", 12}, {"P", 15}, {"E", 18}}};
  static constexpr std::array<std::string_view, 6> kBinary = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  bool known = false;
  for (const auto& [name, exp] : kDecimal) {
    if (suffix == name) {
      exponent = exp;
      known = true;
    }
  }
  for (size_t i = 0; !known && i < kBinary.size(); ++i) {
    if (suffix == kBinary[i]) {
      for (size_t k = 0; k <= i; ++k) digits = multiply(digits, 1024);
      known = true;
    }
  }
  if (!known && !suffix.empty() && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::string_view exp_text = suffix.substr(1);
    if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
    auto [end, ec] = std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
    if (exp_text.empty() || ec != std::errc() || end != exp_text.data() + exp_text.size()) return std::nullopt;
    known = true;
  }
  if (!known) return std::nullopt;
  if (digits == "0") return std::string("0e0");
  while (digits.size() > 1 && digits.back() == '0') {
    digits.pop_back();
    ++exponent;
  }
  return (negative ? "-" : "") + digits + "e" + std::to_string(exponent);
}

bool scalar_equal(const json& desired, const json& live, unsigned context) {
  if (desired.is_number() && live.is_number()) return desired == live;  // 1 == 1.0
  if (desired.type() == live.type() && desired == live) return true;
  if ((context & kQuantityValue) != 0 && (desired.is_string() || desired.is_number()) &&
      (live.is_string() || live.is_number())) {
    std::optional<std::string> a = quantity_value_key(desired);
    if (a) {
      std::optional<std::string> b = quantity_value_key(live);
      if (b) return *a == *b;
    }
  }
  if ((context & kIntOrStringValue) != 0) {
    if (desired.is_number()) return int_matches_string(desired, live);
    if (live.is_number()) return int_matches_string(live, desired);
  }
  return false;
}

bool is_server_set_root_field(std::string_view key) { return key == "status"; }

bool is_server_set_metadata_field(std::string_view key) {
  return one_of(key, {"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink",
                      "deletionTimestamp", "deletionGracePeriodSeconds"});
}

void strip_server_fields(json& object) {
  if (!object.is_object()) return;
  object.erase("status");
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return;
  for (auto it = metadata->begin(); it != metadata->end();) {
    if (is_server_set_metadata_field(it.key())) {
      it = metadata->erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<json> list_item_key(const json& item, const std::vector<std::string>& keys) {
  if (!item.is_object()) return std::nullopt;
  json fields = json::object();
  for (const std::string& key : keys) {
    auto it = item.find(key);
    if (it != item.end() && !it->is_null()) {
      fields[key] = normalized_key_value(*it);
      continue;
    }
    std::string_view fallback = kube::list_key_default(key);
    if (fallback.empty()) return std::nullopt;
    fields[key] = fallback;
  }
  return fields;
}

}  // namespace ferry::reconciler
