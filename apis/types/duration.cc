#include "apis/types/duration.h"

#include <cstdint>

namespace ferry::apis {
namespace {

using Wide = unsigned __int128;  // holds any sum below 2^63 times a unit without overflow checks per step

constexpr uint64_t kMaxNanos = uint64_t{1} << 63;  // |int64 min|; +2^63 itself is rejected below

// The unit at the front of `rest` in nanoseconds, consuming it; 0 when there is none.
uint64_t take_unit(std::string_view& rest) {
  struct Unit {
    std::string_view name;
    uint64_t nanos;
  };
  // Longer names first: "ms" before "m", "ns" before nothing.
  static constexpr Unit kUnits[] = {
      {"ns", 1},
      {"us", 1'000},
      {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
      {"\xCE\xBCs", 1'000},  // U+03BC Greek small mu
      {"ms", 1'000'000},
      {"s", 1'000'000'000},
      {"m", 60'000'000'000},
      {"h", 3'600'000'000'000},
  };
  for (const Unit& unit : kUnits) {
    if (rest.substr(0, unit.name.size()) == unit.name) {
      // "m" must not swallow the start of "ms"; the table order already tried "ms".
      rest.remove_prefix(unit.name.size());
      return unit.nanos;
    }
  }
  return 0;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto invalid = [&] {
    return Status::Invalid("\"" + std::string(text) + "\" is not a duration (use e.g. 5s, 2m)");
  };
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") return std::chrono::milliseconds(0);
  if (rest.empty()) return invalid();

  Wide total = 0;
  while (!rest.empty()) {
    // The integer part.
    Wide whole = 0;
    size_t whole_digits = 0;
    while (!rest.empty() && is_digit(rest[0])) {
      whole = whole * 10 + static_cast<unsigned>(rest[0] - '0');
      if (whole > kMaxNanos) return invalid();
      rest.remove_prefix(1);
      ++whole_digits;
    }
    // The fraction, kept to 18 digits (below a nanosecond of any unit's precision).
    Wide fraction = 0;
    Wide scale = 1;
    size_t fraction_digits = 0;
    if (!rest.empty() && rest[0] == '.') {
      rest.remove_prefix(1);
      while (!rest.empty() && is_digit(rest[0])) {
        if (fraction_digits < 18) {
          fraction = fraction * 10 + static_cast<unsigned>(rest[0] - '0');
          scale *= 10;
        }
        rest.remove_prefix(1);
        ++fraction_digits;
      }
    }
    if (whole_digits == 0 && fraction_digits == 0) return invalid();
    uint64_t unit = take_unit(rest);
    if (unit == 0) return invalid();
    total += whole * unit + fraction * unit / scale;
    if (total > kMaxNanos) return invalid();
  }
  if (!negative && total == kMaxNanos) return invalid();
  int64_t nanos = 0;
  if (total == kMaxNanos) {
    nanos = INT64_MIN;  // only reachable when negative
  } else {
    nanos = static_cast<int64_t>(total);
    if (negative) nanos = -nanos;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(nanos));
}

std::string format_duration(std::chrono::milliseconds duration) {
  int64_t ms = duration.count();
  std::string sign;
  uint64_t abs_ms = 0;
  if (ms < 0) {
    sign = "-";
    abs_ms = static_cast<uint64_t>(-(ms + 1)) + 1;  // no overflow at INT64_MIN
  } else {
    abs_ms = static_cast<uint64_t>(ms);
  }
  if (abs_ms == 0) return "0s";
  if (abs_ms < 1000) return sign + std::to_string(abs_ms) + "ms";
  uint64_t hours = abs_ms / 3'600'000;
  uint64_t minutes = abs_ms / 60'000 % 60;
  uint64_t seconds = abs_ms / 1000 % 60;
  uint64_t millis = abs_ms % 1000;
  std::string out = sign;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  out += std::to_string(seconds);
  if (millis > 0) {
    std::string frac = std::to_string(millis + 1000).substr(1);  // three digits, zero-padded
    while (frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + "s";
}

}  // namespace ferry::apis
