#include "kube/machinery/quantity.h"

#include <array>
#include <cstdint>
#include <limits>

// How Kubernetes reads and prints a quantity (k8s.io/apimachinery resource.Quantity):
//
//   quantity := sign? digits? ('.' digits?)? suffix
//   suffix   := decimal SI (n u m "" k M G T P E) | binary SI (Ki … Ei) | ('e'|'E') sign? digits
//
// The suffix picks the format family, which survives canonicalisation. A value is exact, except
// that a non-zero value finer than 1n is rounded away from zero to the nano grid and a binary
// value is capped at 2^63-1. The canonical string never has a fractional mantissa: decimal
// families use the largest power of 1000 that keeps the mantissa whole, binary values use the
// largest power of 1024 and fall back to decimal SI when they are below 1024 or not whole.
//
// Deliberate differences from Kubernetes' String(), which returns the input verbatim when its
// parser judges it "already canonical": that shortcut keeps "+1", "01" and "1.500" as typed
// (kubernetes/kubernetes#138165). Ferry compares values, so it always prints the value's
// canonical form. Decimal SI values beyond 10^18 print in exponent form ("1e21"), as newer
// apimachinery does, instead of losing their magnitude.
//
// Like Kubernetes, a number without digits reads as zero ("Mi", ".", "-" are "0").

namespace ferry::kube {
namespace {

enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

// An exact decimal number: magnitude `digits` (no leading zeros, "0" for zero) × 10^exponent.
struct Decimal {
  bool negative = false;
  std::string digits = "0";
  int64_t exponent = 0;

  bool is_zero() const { return digits == "0"; }
};

struct Suffix {
  Format format;
  int64_t exponent;  // a power of 10, or of 2 for binary SI
};

// The largest value a binary quantity may hold; larger ones are capped to it.
constexpr std::string_view kMaxBinary = "9223372036854775807";
// No quantity keeps precision finer than 10^-9; finer values round up to it.
constexpr int64_t kNanoExponent = -9;

constexpr std::array<std::string_view, 7> kBinarySuffixes = {"",   "Ki", "Mi", "Gi",
                                                             "Ti", "Pi", "Ei"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The characters Kubernetes' scanner accepts at the start of a suffix.
bool is_suffix_char(char c) {
  return std::string_view("eEinumkKMGTP").find(c) != std::string_view::npos;
}

std::string_view take_digits(std::string_view text, size_t& pos) {
  size_t start = pos;
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  return text.substr(start, pos - start);
}

// Go's strconv.ParseInt for an exponent: optional sign and at least one digit. Exponents beyond
// int32 are refused rather than wrapped, as newer apimachinery does.
std::optional<int64_t> parse_exponent(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > std::numeric_limits<int32_t>::max()) return std::nullopt;
  }
  return negative ? -value : value;
}

std::optional<Suffix> interpret_suffix(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, int64_t>, 10> kDecimal = {{
      {"", 0},
      {"n", -9},
      {"u", -6},
      {"m", -3},
      {"k", 3},
      {"M", 6},
      {"G", 9},
      {"T", 12},
      {"P", 15},
      {"E", 18},
  }};
  for (const auto& [name, exponent] : kDecimal) {
    if (s == name) return Suffix{Format::kDecimalSI, exponent};
  }
  for (size_t i = 1; i < kBinarySuffixes.size(); ++i) {
    if (s == kBinarySuffixes[i]) return Suffix{Format::kBinarySI, static_cast<int64_t>(i) * 10};
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    if (auto exponent = parse_exponent(s.substr(1))) {
      return Suffix{Format::kDecimalExponent, *exponent};
    }
  }
  return std::nullopt;
}

std::string strip_leading_zeros(std::string digits) {
  size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}

// Moves trailing zeros of the mantissa into the exponent, so equal values look alike.
void normalize(Decimal& d) {
  if (d.is_zero()) {
    d.exponent = 0;
    return;
  }
  size_t last = d.digits.find_last_not_of('0');
  d.exponent += static_cast<int64_t>(d.digits.size() - 1 - last);
  d.digits.resize(last + 1);
}

// Adds one to a magnitude written in decimal digits.
std::string increment(std::string digits) {
  for (size_t i = digits.size(); i-- > 0;) {
    if (digits[i] != '9') {
      ++digits[i];
      return digits;
    }
    digits[i] = '0';
  }
  return "1" + digits;
}

std::string multiply(const std::string& digits, uint32_t factor) {
  std::string out(digits.size() + 10, '0');
  uint64_t carry = 0;
  size_t o = out.size();
  for (size_t i = digits.size(); i-- > 0;) {
    uint64_t v = static_cast<uint64_t>(digits[i] - '0') * factor + carry;
    out[--o] = static_cast<char>('0' + v % 10);
    carry = v / 10;
  }
  while (carry > 0) {
    out[--o] = static_cast<char>('0' + carry % 10);
    carry /= 10;
  }
  return strip_leading_zeros(out);
}

// Rounds a non-zero value finer than the nano grid away from zero onto it: Kubernetes'
// "if you asked for some resource, you get some" rule (0.1n becomes 1n, 1.5n becomes 2n).
void round_up_to_nano(Decimal& d) {
  if (d.is_zero() || d.exponent >= kNanoExponent) return;
  int64_t drop = kNanoExponent - d.exponent;
  if (drop >= static_cast<int64_t>(d.digits.size())) {
    d.digits = "1";
  } else {
    // `d` is normalized, so the dropped digits end in a non-zero digit: always round up.
    d.digits = increment(d.digits.substr(0, d.digits.size() - static_cast<size_t>(drop)));
  }
  d.exponent = kNanoExponent;
  normalize(d);
}

// The integer digits of |d| × 10^shift when that is whole and short; used for small values only.
std::string shifted_digits(const Decimal& d, int64_t shift) {
  return d.digits + std::string(static_cast<size_t>(shift), '0');
}

// Compares |d| with a non-negative integer written in decimal digits.
int compare_magnitude(const Decimal& d, std::string_view integer) {
  if (d.is_zero()) return integer == "0" ? 0 : -1;
  int64_t int_length = static_cast<int64_t>(d.digits.size()) + d.exponent;
  auto length = static_cast<int64_t>(integer.size());
  if (int_length != length) return int_length < length ? -1 : 1;
  // Same number of integer digits: compare them, then any fraction makes |d| larger.
  std::string head = d.exponent >= 0 ? shifted_digits(d, d.exponent)
                                     : d.digits.substr(0, static_cast<size_t>(int_length));
  if (int c = head.compare(integer); c != 0) return c < 0 ? -1 : 1;
  return d.exponent < 0 ? 1 : 0;
}

std::string render_decimal(Decimal d, Format format) {
  // Lower the exponent to a multiple of three, widening the mantissa to match.
  int64_t excess = ((d.exponent % 3) + 3) % 3;
  d.digits += std::string(static_cast<size_t>(excess), '0');
  d.exponent -= excess;
  std::string out = (d.negative ? "-" : "") + d.digits;
  if (format == Format::kDecimalSI && d.exponent >= -9 && d.exponent <= 18) {
    static constexpr std::array<std::string_view, 10> kBySteps = {"n", "u", "m", "",  "k",
                                                                  "M", "G", "T", "P", "E"};
    out += kBySteps[static_cast<size_t>((d.exponent + 9) / 3)];
  } else if (d.exponent != 0) {
    out += "e" + std::to_string(d.exponent);
  }
  return out;
}

std::string render(const Decimal& d, Format format) {
  if (d.is_zero()) return "0";
  if (format != Format::kBinarySI) return render_decimal(d, format);
  // Binary needs a whole value of at least 1024; anything else would need a fraction.
  if (d.exponent < 0 || compare_magnitude(d, "1024") < 0) {
    return render_decimal(d, Format::kDecimalSI);
  }
  // Capped at 2^63-1 while parsing, so the whole value fits 64 bits.
  uint64_t value = std::stoull(shifted_digits(d, d.exponent));
  size_t steps = 0;
  while (value % 1024 == 0 && steps + 1 < kBinarySuffixes.size()) {
    value /= 1024;
    ++steps;
  }
  return (d.negative ? "-" : "") + std::to_string(value) + std::string(kBinarySuffixes[steps]);
}

}  // namespace

std::optional<std::string> canonical_quantity(std::string_view text) {
  if (text.empty()) return std::nullopt;

  // Scan the way Kubernetes' parser does: sign, digits, fraction, then a suffix made of
  // suffix letters, an optional sign and digits, with nothing after it.
  size_t pos = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    ++pos;
  }
  std::string_view whole = take_digits(text, pos);
  std::string_view fraction;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    fraction = take_digits(text, pos);
  }
  size_t suffix_start = pos;
  while (pos < text.size() && is_suffix_char(text[pos])) ++pos;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) ++pos;
  take_digits(text, pos);
  if (pos != text.size()) return std::nullopt;
  std::optional<Suffix> suffix = interpret_suffix(text.substr(suffix_start));
  if (!suffix) return std::nullopt;

  Decimal value;
  value.negative = negative;
  value.digits = strip_leading_zeros(std::string(whole) + std::string(fraction));
  value.exponent = -static_cast<int64_t>(fraction.size());
  if (suffix->format == Format::kBinarySI) {
    for (int64_t bits = suffix->exponent; bits > 0; bits -= 10)
      value.digits = multiply(value.digits, 1024);
  } else {
    value.exponent += suffix->exponent;
  }
  normalize(value);
  round_up_to_nano(value);
  if (suffix->format == Format::kBinarySI && compare_magnitude(value, kMaxBinary) > 0) {
    value.digits = std::string(kMaxBinary);
    value.exponent = 0;
  }
  if (value.is_zero()) return "0";  // never "-0"
  return render(value, suffix->format);
}

}  // namespace ferry::kube
