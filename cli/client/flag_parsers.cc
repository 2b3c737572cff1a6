#include "cli/client/flag_parsers.h"

#include <cctype>
#include <cstdint>
#include <limits>

#include "apis/types/duration.h"

namespace ferry::cli {
namespace {

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Digits only, without overflow; false when too large for a day count or second count.
bool read_count(std::string_view digits, int64_t& out) {
  out = 0;
  for (char c : digits) {
    if (out > (std::numeric_limits<int64_t>::max() - 9) / 10) return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

}  // namespace

Result<std::chrono::seconds> parse_expires_in(std::string_view text) {
  auto invalid = [&] {
    return Status::Invalid("\"" + std::string(text) + "\" is not a duration (use e.g. 24h, 30m, 7d)");
  };
  if (text.empty()) return invalid();
  // Go's time.ParseDuration has no days; tokens are commonly given in days, so a leading
  // "<N>d" is read here and the rest left to the Go syntax.
  std::chrono::seconds days{0};
  std::string_view rest = text;
  size_t digits = 0;
  while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  if (digits > 0 && digits < rest.size() && rest[digits] == 'd') {
    int64_t count = 0;
    if (!read_count(rest.substr(0, digits), count) || count > 365 * 1000) return invalid();
    days = std::chrono::hours(24 * count);
    rest.remove_prefix(digits + 1);
    if (rest.empty()) return days;
  }
  if (rest.front() == '-') return invalid();
  if (rest.front() == '+') return invalid();
  auto parsed = apis::parse_duration(rest);
  if (!parsed.ok()) return invalid();
  return days + std::chrono::duration_cast<std::chrono::seconds>(*parsed);
}

Result<std::chrono::seconds> parse_timeout(std::string_view text) {
  if (all_digits(text)) {
    int64_t seconds = 0;
    if (!read_count(text, seconds) || seconds > int64_t{100} * 365 * 24 * 3600) {
      return Status::Invalid("--timeout \"" + std::string(text) + "\" is too large");
    }
    return std::chrono::seconds(seconds);
  }
  auto parsed = parse_expires_in(text);
  if (!parsed.ok()) {
    return Status::Invalid("--timeout \"" + std::string(text) + "\" is neither seconds nor a duration (use e.g. 60, 2m)");
  }
  return parsed;
}

Result<ResourceRef> parse_resource_ref(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return Status::Invalid("--resource \"" + std::string(text) + "\": " + why +
                           " (use GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME; the core group is empty, "
                           "e.g. :Service:web)");
  };
  size_t first = text.find(':');
  if (first == std::string_view::npos) return invalid("wants three fields separated by ':'");
  size_t second = text.find(':', first + 1);
  if (second == std::string_view::npos) return invalid("wants three fields separated by ':'");
  if (text.find(':', second + 1) != std::string_view::npos) return invalid("too many ':'");
  ResourceRef ref;
  ref.group = std::string(text.substr(0, first));
  ref.kind = std::string(text.substr(first + 1, second - first - 1));
  std::string_view last = text.substr(second + 1);
  if (size_t slash = last.find('/'); slash != std::string_view::npos) {
    ref.namespace_ = std::string(last.substr(0, slash));
    last.remove_prefix(slash + 1);
    if (ref.namespace_.empty()) return invalid("empty namespace before '/'");
    if (last.find('/') != std::string_view::npos) return invalid("too many '/'");
  }
  ref.name = std::string(last);
  if (ref.kind.empty()) return invalid("no kind");
  if (ref.name.empty()) return invalid("no name");
  for (const std::string* field : {&ref.group, &ref.kind, &ref.namespace_, &ref.name}) {
    for (char c : *field) {
      if (std::isspace(static_cast<unsigned char>(c))) return invalid("spaces are not allowed");
    }
  }
  return ref;
}

}  // namespace ferry::cli
