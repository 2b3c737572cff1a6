// How kubectl reads a manifest file, step by step, and where each step lives below:
//  1. The bytes go through a UTF-8 decoder: invalid bytes become U+FFFD, a leading BOM is dropped.
//  2. A stream whose first non-space byte is '{' is read as concatenated JSON values; when a value
//     fails to parse and at most one came before it, the rest is read as YAML instead.
//  3. YAML is cut into documents at lines starting with "---" (anything but a comment after the
//     dashes is an error), and each document goes through go-yaml v2 and sigs.k8s.io/yaml.
//  4. Documents that decode to null are skipped; an object with `items` is a list and is replaced
//     by its items.
// yaml-cpp does the YAML syntax; the go-yaml semantics (scalar resolution, tags, merge keys, map
// key stringification, alias limits) are rebuilt here on top of yaml-cpp's event stream, with a
// few checks of the source text where yaml-cpp is more lenient than go-yaml or reads otherwise.
// tests/data/yaml_oracle holds one file per rule, compared against real kubectl.
// Known differences, all refusals of input kubectl would read: nesting deeper than kMaxDepth,
// NEL/LS/PS characters, and UTF-16 files.
#include "apis/types/yaml_codec.h"

#include <locale.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <map>
#include <regex>
#include <sstream>

#include "apis/types/base64.h"

namespace ferry::yaml {
namespace {

// kubectl accepts 10000 levels of nesting; yaml-cpp 0.7's parser gives up just before 500, so
// Ferry holds every document, YAML or JSON, to 400: what it reads it can also write and read
// back, and its recursive walkers (diff, emit, compare) stay shallow. No manifest comes close.
constexpr int kMaxDepth = 400;

std::string error_at(std::string_view source, int doc_index, int line, const std::string& msg) {
  std::ostringstream out;
  out << (source.empty() ? "<input>" : std::string(source)) << ": document " << doc_index + 1 << ", line "
      << line << ": " << msg;
  return out.str();
}

int count_lines(std::string_view text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

// ---------------------------------------------------------------------------------------------
// Text hygiene.

// Decodes the UTF-8 sequence at s[i] as Go's utf8.DecodeRune does; returns its length, or 0 when
// the bytes there are not valid UTF-8 (overlong forms and surrogates included).
size_t decode_utf8(std::string_view s, size_t i, char32_t& cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 ? 2 : 0;
  if (len == 0 || b0 > 0xF4 || i + len > s.size()) return 0;
  cp = b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// How many bytes at s[i] x/text's UTF-8 decoder replaces by one U+FFFD: the "maximal subpart"
// of the broken sequence (W3C's rule, not Go's one-per-byte), e.g. 2 for a truncated E2 82.
size_t invalid_utf8_run(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0; };
  unsigned char b0 = byte(i);
  if (b0 < 0xC2 || b0 > 0xF4) return 1;
  size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  unsigned char lo = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;
  unsigned char hi = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 1;
  for (size_t k = 2; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return k;
  }
  return len;  // not reached for a sequence decode_utf8 rejected
}

// kubectl reads files through x/text's UTF-8 decoder, which replaces broken sequences with
// U+FFFD and drops a leading byte order mark; doing the same keeps every string valid UTF-8.
std::string sanitize_utf8(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    size_t len = decode_utf8(text, i, cp);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      i += invalid_utf8_run(text, i);
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

// yaml-cpp writes the escapes \N and \_ as the single bytes 0x85 and 0xA0 rather than as UTF-8;
// they are the only stray bytes in scalars made from sanitized input.
std::string repair_latin1_bytes(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    size_t len = decode_utf8(text, i, cp);
    if (len == 0) {
      auto b = static_cast<unsigned char>(text[i++]);
      out.push_back(static_cast<char>(0xC0 | (b >> 6)));
      out.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    } else {
      out.append(text, i, len);
      i += len;
    }
  }
  return out;
}

// The characters go-yaml's reader accepts (YAML 1.1 "printable"); any other is an error there.
bool yaml_printable(char32_t c) {
  return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85 ||
         (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000;
}

// go-yaml rejects control characters anywhere in a document. It also treats NEL, LS and PS as
// line breaks, which yaml-cpp does not; Ferry refuses them rather than read a different value.
Status check_characters(std::string_view text, int& bad_line) {
  bad_line = 0;
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    size_t len = decode_utf8(text, i, cp);  // text is sanitized: len > 0
    if (cp == '\n') ++bad_line;
    if (!yaml_printable(cp)) return Status::Invalid("control characters are not allowed");
    if (cp == 0x85 || cp == 0x2028 || cp == 0x2029) {
      return Status::Invalid("YAML 1.1 line break U+" +
                             std::string(cp == 0x85     ? "0085"
                                         : cp == 0x2028 ? "2028"
                                                        : "2029") +
                             " is not supported; write it as an escape in a double-quoted string");
    }
    i += len;
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Scalars, as go-yaml v2's resolve() reads them.

enum class Kind { kNull, kBool, kInt, kUint, kFloat, kString, kTimestamp };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
    case Kind::kUint:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kTimestamp:
      return "timestamp";
    case Kind::kString:
      break;
  }
  return "str";
}

struct Scalar {
  Kind kind = Kind::kString;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
};

// Go's strconv.ParseUint(s, 0, 64): prefixes 0x, 0o, 0b, and a bare leading 0 for octal.
bool parse_go_uint(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  int base = 10;
  if (s[0] == '0') {
    char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
    base = p == 'x' ? 16 : p == 'b' ? 2 : 8;
    s.remove_prefix(p == 'x' || p == 'b' || p == 'o' ? 2 : 1);
  }
  uint64_t value = 0;
  for (char c : s) {
    int digit = c >= '0' && c <= '9'                     ? c - '0'
                : (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? (c | 0x20) - 'a' + 10
                                                         : 99;
    if (digit >= base) return false;
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / base) return false;
    value = value * base + digit;
  }
  out = value;
  return true;
}

// Go's strconv.ParseInt(s, 0, 64).
bool parse_go_int(std::string_view s, int64_t& out) {
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  uint64_t magnitude;
  if (!parse_go_uint(s, magnitude)) return false;
  uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
  if (magnitude > limit) return false;
  out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

// Go's strconv.ParseFloat for the decimal forms that reach it; false on syntax errors and on
// overflow (underflow quietly gives zero, as in Go). strtod_l keeps the decimal point a '.'
// whatever the process locale is.
bool parse_go_float(const std::string& s, double& out) {
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", nullptr);
  char* end = nullptr;
  double d = strtod_l(s.c_str(), &end, c_locale);
  if (end != s.c_str() + s.size() || std::isinf(d)) return false;
  out = d;
  return true;
}

// Go's rule for underscores in number literals: only between digits or after a base prefix.
bool go_underscores_ok(std::string_view s) {
  char saw = '^';
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  size_t i = 0;
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' && std::string_view("bBoOxX").find(s[1]) != std::string_view::npos) {
    i = 2;
    saw = '0';
    hex = (s[1] | 0x20) == 'x';
  }
  for (; i < s.size(); ++i) {
    char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
      saw = '0';
    } else if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
    } else {
      if (saw == '_') return false;
      saw = '!';
    }
  }
  return saw != '_';
}

bool is_timestamp(std::string_view s) {
  // The shapes go-yaml tries with time.Parse: a date, optionally followed by a time of day.
  static const std::regex kTimestamp(
      R"(^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2})"                                              // date
      R"((([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2})))"  // RFC 3339
      R"(|( [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?))?$)");                         // local time
  return std::regex_match(s.begin(), s.end(), kTimestamp);
}

// go-yaml v2's resolve() for an untagged plain scalar (or one tagged with a resolvable tag).
Scalar resolve(std::string_view text, bool timestamps) {
  static const std::map<std::string_view, Scalar> kWords = [] {
    std::map<std::string_view, Scalar> m;
    for (auto w : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
      m[w] = {Kind::kBool, true};
    for (auto w : {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
      m[w] = {Kind::kBool, false};
    for (auto w : {"", "~", "null", "Null", "NULL"}) m[w] = {Kind::kNull};
    const double inf = std::numeric_limits<double>::infinity();
    for (auto w : {".nan", ".NaN", ".NAN"}) m[w] = {Kind::kFloat, false, 0, 0, std::nan("")};
    for (auto w : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})
      m[w] = {Kind::kFloat, false, 0, 0, inf};
    for (auto w : {"-.inf", "-.Inf", "-.INF"}) m[w] = {Kind::kFloat, false, 0, 0, -inf};
    return m;
  }();
  if (auto it = kWords.find(text); it != kWords.end()) return it->second;
  Scalar s;
  char first = text.empty() ? '\0' : text[0];
  if (first == '.') {
    // Go's ParseFloat on the text as written, underscores included.
    static const std::regex kDotFloat(R"(^\.[0-9]+([eE][-+]?[0-9]+)?$)");
    std::string plain;
    for (char c : text)
      if (c != '_') plain.push_back(c);
    if (go_underscores_ok(text) && std::regex_match(plain, kDotFloat) && parse_go_float(plain, s.f))
      s.kind = Kind::kFloat;
    return s;
  }
  bool digit_or_sign = (first >= '0' && first <= '9') || first == '+' || first == '-';
  if (!digit_or_sign) return s;
  if (timestamps && is_timestamp(text)) {
    s.kind = Kind::kTimestamp;
    return s;
  }
  std::string plain;  // go-yaml drops every underscore before trying numbers
  for (char c : text)
    if (c != '_') plain.push_back(c);
  if (parse_go_int(plain, s.i)) {
    s.kind = Kind::kInt;
  } else if (parse_go_uint(plain, s.u)) {
    s.kind = Kind::kUint;
  } else {
    static const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
    if (std::regex_match(plain, kFloat) && parse_go_float(plain, s.f)) s.kind = Kind::kFloat;
  }
  return s;
}

// A float64 the way it reaches kubectl's output: json.Marshal writes an integral value below 1e21
// as its shortest round-trip digits padded with zeros ("4611686018427388000" for 2^62), and the
// unstructured decoder reads that text back as an int64 when it fits.
Json json_from_double(double d) {
  if (std::trunc(d) != d || std::fabs(d) >= 1e21) return Json(d);
  if (std::fabs(d) < 9007199254740992.0) return Json(static_cast<int64_t>(d));  // below 2^53 digits are exact
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific).ptr;
  std::string_view sci(buf, end - buf);
  size_t e = sci.find('e');
  std::string text;
  for (char c : sci.substr(0, e))
    if (c != '.') text.push_back(c);
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  size_t digits = text.size() - (text[0] == '-' ? 1 : 0);
  if (static_cast<size_t>(exp) + 1 > digits) text.append(exp + 1 - digits, '0');
  int64_t i;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec == std::errc() && ptr == text.data() + text.size()) return Json(i);
  return Json(d);
}

Result<Json> scalar_json(const Scalar& s, std::string_view text) {
  switch (s.kind) {
    case Kind::kNull:
      return Json(nullptr);
    case Kind::kBool:
      return Json(s.b);
    case Kind::kInt:
      return Json(s.i);
    case Kind::kUint:
      return Json(static_cast<double>(s.u));  // beyond int64: float64 in kubectl
    case Kind::kFloat:
      if (!std::isfinite(s.f)) {
        return Status::Invalid("json: unsupported value: " + std::string(text) +
                               " (NaN and infinities have no JSON form)");
      }
      return json_from_double(s.f);
    case Kind::kString:
    case Kind::kTimestamp:
      break;  // go-yaml hands timestamps to interface{} targets as strings
  }
  return Json(std::string(text));
}

// strconv.FormatFloat(f, 'g', -1, 32), which sigs.k8s.io/yaml uses to turn float map keys into
// strings: the shortest digits of the float32 value, in exponent form below 1e-4 or from 1e6.
std::string go_float32_key(double d) {
  if (std::isnan(d)) return ".nan";
  constexpr double kFloatMax = std::numeric_limits<float>::max();
  constexpr double kUlpAtMax = 20282409603651670423947251286016.0;  // 2^104
  // Go's float32 conversion rounds to nearest: from half an ulp above the largest float it is inf.
  if (std::isinf(d) || std::fabs(d) >= kFloatMax + kUlpAtMax / 2) return d > 0 ? ".inf" : "-.inf";
  float f =
      std::fabs(d) > kFloatMax ? static_cast<float>(std::copysign(kFloatMax, d)) : static_cast<float>(d);
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific).ptr;
  std::string_view sci(buf, end - buf);  // "-1.2345679e+08"
  bool negative = sci[0] == '-';
  if (negative) sci.remove_prefix(1);
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits.push_back(c);
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  if (digits == "0") exp = -1;  // Go's zero has no digits; its decimal point sits at 0
  std::string out = negative ? "-" : "";
  if (exp < -4 || exp >= 6) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char sign = exp < 0 ? '-' : '+';
    std::string mag = std::to_string(std::abs(exp));
    if (mag.size() < 2) mag = "0" + mag;
    return out + "e" + sign + mag;
  }
  if (digits == "0") return out + "0";
  int point = exp + 1;  // digits before the decimal point
  if (point <= 0) return out + "0." + std::string(-point, '0') + digits;
  if (static_cast<size_t>(point) >= digits.size())
    return out + digits + std::string(point - digits.size(), '0');
  return out + digits.substr(0, point) + "." + digits.substr(point);
}


// ---------------------------------------------------------------------------------------------
// A document as go-yaml's decoder sees it: a tree whose aliases still point at their anchors,
// built from yaml-cpp's events so that alias expansion can be counted and bounded.

struct Node {
  enum Type { kScalar, kSequence, kMapping, kAlias } type = kScalar;
  std::string tag;                    // yaml-cpp's: "?" for plain untagged, "!" for quoted, else the full tag
  std::string text;                   // scalars only
  int line = 0;                       // 0-based, within the document's text
  std::vector<const Node*> children;  // items, or keys and values alternating
  const Node* target = nullptr;       // aliases only
  bool open = false;                  // a collection whose end event has not come yet
  bool flow = false;                  // a collection written [..] or {..}
};

// Where a node's content starts: yaml-cpp marks a node at its tag or anchor, if it has any.
size_t skip_properties(std::string_view text, size_t pos) {
  while (pos < text.size() && (text[pos] == '!' || text[pos] == '&')) {
    pos = text.find_first_of(" \t\r\n", pos);
    pos = text.find_first_not_of(" \t\r\n", pos);
    if (pos == std::string_view::npos) return text.size();
  }
  return pos;
}

// Two things yaml-cpp accepts in a quoted scalar and go-yaml does not: running to the end of the
// input without a closing quote, and the escape \/ (YAML 1.2, unknown to YAML 1.1). Returns
// go-yaml's complaint, or "" when the scalar at `pos` is fine.
std::string check_quoted(std::string_view text, size_t pos) {
  char quote = text[pos];
  for (size_t i = pos + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      if (++i < text.size() && text[i] == '/') return "found unknown escape character";
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;
      } else {
        return "";
      }
    }
  }
  return "found unexpected end of stream";
}

// yaml-cpp drops one line break at the end of a folded block scalar with keep chomping (`>+`)
// when blank lines follow its last line and that line is not more indented. Returns whether
// the block at `pos` is such a case.
bool folded_keep_lost_break(std::string_view text, size_t pos) {
  size_t eol = text.find('\n', pos);
  std::string_view header =
      text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
  header = header.substr(0, header.find_first_of(" \t\r#"));
  if (!header.starts_with('>') || header.find('+') == std::string_view::npos) return false;
  int indent = -1;  // the content's indentation; found from its first line unless given
  if (size_t digit = header.find_first_of("123456789"); digit != std::string_view::npos) {
    // Given: relative to the enclosing block, whose column is that of the key or of the last
    // "-"/"?"/":" indicator before the scalar on its line (none at the top level).
    size_t line_start = text.rfind('\n', pos);
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    int parent = -1;
    for (size_t i = line_start; i < pos;) {
      if (text[i] == ' ') {
        ++i;
      } else if (std::string_view("-?:").find(text[i]) != std::string_view::npos && i + 1 < pos &&
                 (text[i + 1] == ' ' || text[i + 1] == '\t')) {
        parent = static_cast<int>(i - line_start);
        ++i;
      } else {
        parent = static_cast<int>(i - line_start);
        break;
      }
    }
    indent = (parent >= 0 ? parent : 0) + (header[digit] - '0');
  }
  bool last_spaced = false;
  int blank_after_last = 0;
  for (size_t at = eol; at != std::string_view::npos && at + 1 < text.size();) {
    size_t start = at + 1;
    at = text.find('\n', start);
    std::string_view line =
        text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    size_t spaces = line.find_first_not_of(' ');
    if (spaces == std::string_view::npos) {  // only spaces: blank, or content when past the indent
      if (indent >= 0 && static_cast<int>(line.size()) > indent) {
        last_spaced = true;
        blank_after_last = 0;
      } else {
        ++blank_after_last;
      }
      continue;
    }
    if (indent < 0) indent = static_cast<int>(spaces);
    if (static_cast<int>(spaces) < indent) break;
    last_spaced = static_cast<int>(spaces) > indent || line[spaces] == '\t';
    blank_after_last = 0;
  }
  return indent >= 0 && !last_spaced && blank_after_last > 0;
}

// Whether the text before a node on its line is indentation and block indicators ("- ", "? ",
// ": ") with a tab among them. go-yaml refuses tabs there ("found character that cannot start
// any token"); yaml-cpp skips them.
bool tab_after_indicator(std::string_view text, const YAML::Mark& mark) {
  if (mark.pos < mark.column || mark.column <= 0) return false;
  size_t line_start = static_cast<size_t>(mark.pos - mark.column);
  if (line_start > 0 && text[line_start - 1] != '\n' && text[line_start - 1] != '\r') return false;
  std::string_view prefix = text.substr(line_start, static_cast<size_t>(mark.column));
  size_t i = prefix.find_first_not_of(' ');
  bool tab = false, indicator = false;
  while (i < prefix.size()) {
    bool is_indicator = std::string_view("-?:").find(prefix[i]) != std::string_view::npos &&
                        (i + 1 == prefix.size() || prefix[i + 1] == ' ' || prefix[i + 1] == '\t');
    if (is_indicator) {
      indicator = true;
    } else if (prefix[i] == '\t' && indicator) {
      tab = true;
    } else if (prefix[i] != ' ') {
      return false;
    }
    ++i;
  }
  return tab;
}

class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(std::string_view text) : text_(text) {}

  const Node* root() const { return root_; }
  // The first place where go-yaml would have failed though yaml-cpp did not; "" when none.
  const std::string& error() const { return error_; }
  int error_line() const { return error_line_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // yaml-cpp reads "[a, , b]" and "{a: 1, , b: 2}" as holding a null; to go-yaml an entry
    // may not be empty (a map value may).
    const Node* parent = open_.empty() ? nullptr : open_.back();
    bool entry = parent != nullptr && parent->flow &&
                 (parent->type == Node::kSequence || parent->children.size() % 2 == 0);
    if (entry && mark.pos >= 0 && static_cast<size_t>(mark.pos) < text_.size() && text_[mark.pos] == ',') {
      report(mark.line, "did not find expected node content");
    }
    add(Node::kScalar, mark, anchor, "?");
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node* n = add(Node::kAlias, mark, 0, "");
    auto it = anchors_.find(anchor);
    n->target = it == anchors_.end() ? nullptr : it->second;
    if (n->target == nullptr)
      report(mark.line, "unknown anchor referenced");
    else if (n->target->open)
      report(mark.line, "anchor value contains itself");
  }
  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    // go-yaml's anchor names are letters, digits, '-' and '_'; yaml-cpp takes any non-space.
    bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
    if (!ok) report(mark.line, "did not find expected alphabetic or numeric character");
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node* n = add(Node::kScalar, mark, anchor, tag);
    n->text = repair_latin1_bytes(value);
    size_t start = mark.pos >= 0 ? skip_properties(text_, static_cast<size_t>(mark.pos)) : text_.size();
    if (start >= text_.size()) return;
    if (text_[start] == '"' || text_[start] == '\'') report(mark.line, check_quoted(text_, start));
    if (text_[start] == '>' && folded_keep_lost_break(text_, start)) n->text += '\n';
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    open(add(Node::kSequence, mark, anchor, tag), style);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    open(add(Node::kMapping, mark, anchor, tag), style);
  }
  void OnMapEnd() override { close(); }

 private:
  Node* add(Node::Type type, const YAML::Mark& mark, YAML::anchor_t anchor, const std::string& tag) {
    if (tab_after_indicator(text_, mark)) report(mark.line, "found character that cannot start any token");
    Node& n = nodes_.emplace_back();
    n.type = type;
    n.tag = tag;
    n.line = mark.line > 0 ? mark.line : 0;
    if (anchor != 0) anchors_[anchor] = &n;
    if (!open_.empty()) {
      open_.back()->children.push_back(&n);
    } else if (root_ == nullptr) {
      root_ = &n;
    }
    return &n;
  }
  void open(Node* n, YAML::EmitterStyle::value style) {
    n->open = true;
    n->flow = style == YAML::EmitterStyle::Flow;
    open_.push_back(n);
  }
  void close() {
    if (open_.empty()) return;
    open_.back()->open = false;
    open_.pop_back();
  }
  void report(int line, const std::string& message) {
    if (!error_.empty() || message.empty()) return;
    error_ = message;
    error_line_ = line > 0 ? line : 0;
  }

  std::string_view text_;
  std::deque<Node> nodes_;  // a deque keeps node addresses stable as it grows
  std::vector<Node*> open_;
  std::map<YAML::anchor_t, const Node*> anchors_;
  const Node* root_ = nullptr;
  std::string error_;
  int error_line_ = 0;
};

// Turns a document tree into JSON with go-yaml v2's decoder rules followed by sigs.k8s.io/yaml's
// conversion to JSON.
class Decoder {
 public:
  Decoder(std::string_view source, int doc_index, int first_line)
      : source_(source), doc_index_(doc_index), first_line_(first_line) {}

  Result<Json> decode(const Node& n, int depth = 0) {
    if (Status s = count(n); !s.ok()) return s;
    if (depth > kMaxDepth)
      return fail(n, "document nests deeper than " + std::to_string(kMaxDepth) + " levels");
    switch (n.type) {
      case Node::kAlias: {
        ++alias_depth_;
        auto value = decode(*n.target, depth);
        --alias_depth_;
        return value;
      }
      case Node::kScalar:
        return scalar(n);
      case Node::kSequence: {
        Json array = Json::array();
        for (const Node* item : n.children) {
          auto value = decode(*item, depth + 1);
          if (!value.ok()) return value;
          array.push_back(std::move(*value));
        }
        return array;
      }
      case Node::kMapping: {
        Json object = Json::object();
        if (Status s = fill_map(n, object, depth); !s.ok()) return s;
        return object;
      }
    }
    return fail(n, "unsupported YAML node");
  }

 private:
  // go-yaml's guard against alias bombs: once more than 1000 nodes were decoded, the share of
  // them reached through aliases may not pass 99% (10% for documents of millions of nodes).
  Status count(const Node& n) {
    ++decodes_;
    if (alias_depth_ > 0) ++aliased_;
    if (aliased_ > 100 && decodes_ > 1000) {
      double allowed = decodes_ <= 400000 ? 0.99
                       : decodes_ >= 4000000
                           ? 0.10
                           : 0.99 - 0.89 * (static_cast<double>(decodes_ - 400000) / 3600000);
      if (static_cast<double>(aliased_) / static_cast<double>(decodes_) > allowed) {
        return fail(n, "document contains excessive aliasing");
      }
    }
    return Status::Ok();
  }

  static const Node& resolved(const Node& n) { return n.type == Node::kAlias ? *n.target : n; }

  Status fill_map(const Node& n, Json& object, int depth) {
    for (size_t i = 0; i + 1 < n.children.size(); i += 2) {
      const Node& key = *n.children[i];
      const Node& value = *n.children[i + 1];
      bool merge = key.type == Node::kScalar && key.text == "<<" &&
                   (key.tag == "?" || key.tag == "tag:yaml.org,2002:merge");
      if (merge) {
        if (Status s = merge_into(object, value, depth); !s.ok()) return s;
        continue;
      }
      auto name = map_key(key, value);
      if (!name.ok()) return name.status();
      auto decoded = decode(value, depth + 1);
      if (!decoded.ok()) return decoded.status();
      object[*name] = std::move(*decoded);  // the last of duplicate keys wins
    }
    return Status::Ok();
  }

  // `<<: *base` or `<<: [*a, *b]` sets the merged keys at this point of the map, so explicit keys
  // before it are overridden and keys after it override; in a list, earlier maps win.
  Status merge_into(Json& object, const Node& value, int depth) {
    auto want_map = [&](const Node& at) {
      return fail(at, "map merge requires map or sequence of maps as the value");
    };
    std::vector<const Node*> maps;
    if (resolved(value).type == Node::kMapping) {
      maps.push_back(&value);
    } else if (value.type == Node::kSequence) {
      for (auto it = value.children.rbegin(); it != value.children.rend(); ++it) {
        if (resolved(**it).type != Node::kMapping) return want_map(**it);
        maps.push_back(*it);
      }
    } else {
      return want_map(value);
    }
    for (const Node* m : maps) {
      if (Status s = count(*m); !s.ok()) return s;
      bool alias = m->type == Node::kAlias;
      alias_depth_ += alias;
      Status s = fill_map(resolved(*m), object, depth);
      alias_depth_ -= alias;
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  // sigs.k8s.io/yaml keeps string, int, float and bool keys, spelled as strings.
  Result<std::string> map_key(const Node& key_node, const Node& value) {
    if (Status s = count(key_node); !s.ok()) return s;
    const Node& key = resolved(key_node);
    if (key.type != Node::kScalar) return fail(key_node, "invalid map key: keys must be scalars");
    auto typed = typed_scalar(key);
    if (!typed.ok()) return typed.status();
    const Scalar& s = typed->scalar;
    switch (s.kind) {
      case Kind::kString:
      case Kind::kTimestamp:
        return typed->text;
      case Kind::kBool:
        return std::string(s.b ? "true" : "false");
      case Kind::kInt:
        return std::to_string(s.i);
      case Kind::kFloat:
        return go_float32_key(s.f);
      case Kind::kNull:
      case Kind::kUint:
        break;
    }
    std::string shown = value.type == Node::kScalar ? " (value \"" + value.text.substr(0, 40) + "\")" : "";
    return fail(key_node, std::string("unsupported map key of type ") +
                              (s.kind == Kind::kNull ? "null" : "uint64") + shown);
  }

  Result<Json> scalar(const Node& n) {
    auto typed = typed_scalar(n);
    if (!typed.ok()) return typed.status();
    auto json = scalar_json(typed->scalar, typed->text);
    if (!json.ok()) return fail(n, json.status().message());
    return json;
  }

  struct Typed {
    Scalar scalar;
    std::string text;
  };

  // A scalar's kind and value under its tag, as go-yaml's decoder applies them. The text is the
  // scalar's own, except for !!binary, whose base64 is decoded.
  Result<Typed> typed_scalar(const Node& n) {
    static const std::string kCore = "tag:yaml.org,2002:";
    const std::string& tag = n.tag;
    if (tag == "?") {
      Scalar s = resolve(n.text, true);
      return Typed{s, n.text};
    }
    if (tag == kCore + "binary") {
      std::string bytes;
      if (!base64_decode(n.text, bytes)) return fail(n, "!!binary value contains invalid base64 data");
      return Typed{Scalar{}, sanitize_utf8(bytes)};
    }
    static const std::map<std::string, Kind> kResolvable = {{kCore + "null", Kind::kNull},
                                                            {kCore + "bool", Kind::kBool},
                                                            {kCore + "int", Kind::kInt},
                                                            {kCore + "float", Kind::kFloat},
                                                            {kCore + "timestamp", Kind::kTimestamp}};
    auto wanted = kResolvable.find(tag);
    if (wanted == kResolvable.end()) {
      // Quoted scalars, !!str, and tags go-yaml does not know (`!Ref`, `!!set`) keep their text.
      return Typed{Scalar{}, n.text};
    }
    Scalar s = resolve(n.text, wanted->second == Kind::kTimestamp);
    Kind got = s.kind == Kind::kUint ? Kind::kInt : s.kind;
    if (got == wanted->second) return Typed{s, n.text};
    if (wanted->second == Kind::kFloat && s.kind == Kind::kInt) {  // go-yaml widens ints, not uint64s
      s.kind = Kind::kFloat;
      s.f = static_cast<double>(s.i);
      return Typed{s, n.text};
    }
    return fail(n, std::string("cannot decode !!") + kind_name(s.kind) + " `" + n.text + "` as a !!" +
                       kind_name(wanted->second));
  }

  Status fail(const Node& n, const std::string& message) {
    return Status::Invalid(error_at(source_, doc_index_, first_line_ + n.line + 1, message));
  }

  std::string_view source_;
  int doc_index_;
  int first_line_;  // 0-based line of the document's first line in the whole stream
  int alias_depth_ = 0;
  int64_t decodes_ = 0;
  int64_t aliased_ = 0;
};

// Parses one YAML document (the text between two separators) the way yaml.Unmarshal does: only
// its first YAML document counts. Sets `present` false when it holds no value or null.
Result<Json> parse_yaml_document(std::string text, std::string_view source, int index, int first_line,
                                 bool& present) {
  present = false;
  // A carriage return alone ends a line for go-yaml, not for yaml-cpp.
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) text[i] = '\n';
  }
  int bad_line;
  if (Status s = check_characters(text, bad_line); !s.ok()) {
    return Status::Invalid(error_at(source, index, first_line + bad_line + 1, s.message()));
  }
  // A document that opens with "..." or a directive: go-yaml wants the "---" that kubectl's
  // splitter has already taken away; yaml-cpp would read an empty document.
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = std::min(text.find('\n', pos), text.size());
    std::string_view line = std::string_view(text).substr(pos, eol - pos);
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#') {
      if (line.starts_with('%'))
        return Status::Invalid(error_at(source, index, first_line + count_lines(text.substr(0, pos)) + 1,
                                        "did not find expected <document start>"));
      if (line.starts_with("...") &&
          (line.size() == 3 || std::string_view(" \t\r").find(line[3]) != std::string_view::npos)) {
        return Status::Invalid(error_at(source, index, first_line + count_lines(text.substr(0, pos)) + 1,
                                        "did not find expected node content"));
      }
      break;
    }
    pos = eol + 1;
  }
  TreeBuilder tree(text);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    parser.HandleNextDocument(tree);
  } catch (const YAML::DeepRecursion& e) {  // its own message is "bad file"
    return Status::Invalid(error_at(source, index, first_line + (e.mark.line > 0 ? e.mark.line : 0) + 1,
                                    "document nests too deeply"));
  } catch (const YAML::Exception& e) {
    return Status::Invalid(
        error_at(source, index, first_line + (e.mark.line > 0 ? e.mark.line : 0) + 1, e.msg));
  } catch (const std::exception& e) {
    return Status::Invalid(
        error_at(source, index, first_line + 1, std::string("YAML parser failed: ") + e.what()));
  }
  if (!tree.error().empty())
    return Status::Invalid(error_at(source, index, first_line + tree.error_line() + 1, tree.error()));
  if (tree.root() == nullptr) return Json(nullptr);
  Decoder decoder(source, index, first_line);
  auto value = decoder.decode(*tree.root());
  present = value.ok() && !value->is_null();
  return value;
}

// k8s.io/apimachinery's YAMLReader: a line that starts with "---" ends a document; anything after
// the dashes other than white space or a comment is an error.
Status parse_yaml_stream(std::string_view text, int first_line, std::string_view source,
                         std::vector<Document>& docs) {
  size_t chunk_start = 0;
  int chunk_line = first_line, line_no = first_line;
  auto flush = [&](size_t end) -> Status {
    std::string_view chunk = text.substr(chunk_start, end - chunk_start);
    if (chunk.find_first_not_of(" \t\r\n") == std::string_view::npos) return Status::Ok();
    bool present;
    int index = static_cast<int>(docs.size());
    auto value = parse_yaml_document(std::string(chunk), source, index, chunk_line, present);
    if (!value.ok()) return value.status();
    if (present) docs.push_back({std::move(*value), index, chunk_line + 1});
    return Status::Ok();
  };
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    std::string_view line = text.substr(pos, next - pos);
    if (line.starts_with("---")) {
      std::string_view rest = line.substr(3);
      size_t content = rest.find_first_not_of(" \t\r\n\v\f");
      if (content != std::string_view::npos && rest[content] != '#') {
        size_t stop = rest.find_last_not_of(" \t\r\n\v\f");
        return Status::Invalid(error_at(
            source, static_cast<int>(docs.size()), line_no + 1,
            "invalid YAML document separator: " + std::string(rest.substr(content, stop - content + 1))));
      }
      if (Status s = flush(pos); !s.ok()) return s;
      chunk_start = next;
      chunk_line = line_no + 1;
    }
    ++line_no;
    pos = next;
  }
  return flush(text.size());
}

// Where the JSON value starting at text[start] ends: matching brackets outside strings, or the
// end of a bare token. npos when it never ends or nests deeper than Ferry accepts.
size_t json_value_end(std::string_view text, size_t start, bool& too_deep) {
  too_deep = false;
  char first = text[start];
  if (first != '{' && first != '[' && first != '"') {
    size_t end = text.find_first_of(" \t\r\n{}[]\",:", start);
    return end == start ? start + 1 : end == std::string_view::npos ? text.size() : end;
  }
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) {
        too_deep = true;
        return std::string_view::npos;
      }
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

// Go's JSON decoder reads an escaped UTF-16 surrogate that has no partner as U+FFFD, where
// nlohmann's parser fails; rewrite those escapes first.
std::string replace_lone_surrogates(std::string_view json) {
  auto escape_at = [&](size_t i) -> int {  // the \uXXXX value at i, or -1
    if (i + 6 > json.size() || json[i] != '\\' || json[i + 1] != 'u') return -1;
    int value = 0;
    auto [ptr, ec] = std::from_chars(json.data() + i + 2, json.data() + i + 6, value, 16);
    return ec == std::errc() && ptr == json.data() + i + 6 ? value : -1;
  };
  std::string out;
  for (size_t i = 0; i < json.size();) {
    if (json[i] != '\\' || i + 1 >= json.size()) {
      out.push_back(json[i++]);
      continue;
    }
    int unit = escape_at(i);
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      int low = escape_at(i + 6);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        out.append(json.substr(i, 12));
        i += 12;
        continue;
      }
    }
    if (unit >= 0xD800 && unit <= 0xDFFF) {
      out += "\\uFFFD";
      i += 6;
    } else {
      out.append(json.substr(i, 2));
      i += 2;
    }
  }
  return out;
}

// Numbers as kubectl holds them after decoding JSON: int64 when integral and in range, else
// float64.
void normalize_numbers(Json& v) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      v = static_cast<int64_t>(u);
    else
      v = static_cast<double>(u);
  } else if (v.is_number_float()) {
    v = json_from_double(v.get<double>());
  } else if (v.is_structured()) {
    for (auto& child : v) normalize_numbers(child);
  }
}

// kubectl's YAMLOrJSONDecoder on a stream that starts with '{'.
Status parse_json_stream(std::string_view text, std::string_view source, std::vector<Document>& docs) {
  size_t pos = 0;
  int line = 0, decoded = 0;
  while (true) {
    size_t start = text.find_first_not_of(" \t\r\n", pos);
    if (start == std::string_view::npos) return Status::Ok();
    int start_line = line + count_lines(text.substr(pos, start - pos));
    bool too_deep;
    size_t end = json_value_end(text, start, too_deep);
    int index = static_cast<int>(docs.size());
    if (too_deep) {
      return Status::Invalid(error_at(source, index, start_line + 1,
                                      "document nests deeper than " + std::to_string(kMaxDepth) + " levels"));
    }
    Json value(Json::value_t::discarded);
    if (end != std::string_view::npos) {
      try {
        value = Json::parse(replace_lone_surrogates(text.substr(start, end - start)));
      } catch (const Json::out_of_range& e) {
        // Good JSON syntax, so no YAML retry; kubectl then fails to hold it in a float64.
        return Status::Invalid(error_at(source, index, start_line + 1, e.what()));
      } catch (const Json::exception&) {
        // A syntax error: handled below.
      }
    }
    if (value.is_discarded()) {
      // kubectl retries what follows the last good value as YAML, unless two values came before.
      if (decoded > 1) return Status::Invalid(error_at(source, index, start_line + 1, "invalid JSON"));
      return parse_yaml_stream(text.substr(pos), line, source, docs);
    }
    ++decoded;
    normalize_numbers(value);
    if (!value.is_null()) docs.push_back({std::move(value), index, start_line + 1});
    line = start_line + count_lines(text.substr(start, end - start));
    pos = end;
  }
}

// What unstructured.GetKind and friends read: the field when it is a string, else "".
std::string string_field(const Json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Result<Json> resolve_plain_scalar(std::string_view text) { return scalar_json(resolve(text, true), text); }

Result<std::vector<Document>> parse_stream(std::string_view text, std::string_view source) {
  std::string clean = sanitize_utf8(text);
  std::vector<Document> docs;
  size_t first = clean.find_first_not_of(" \t\r\n\v\f");
  Status s = first != std::string::npos && clean[first] == '{' ? parse_json_stream(clean, source, docs)
                                                               : parse_yaml_stream(clean, 0, source, docs);
  if (!s.ok()) return s;
  return docs;
}

Result<std::vector<Json>> parse_objects(std::string_view text, std::string_view source) {
  auto docs = parse_stream(text, source);
  if (!docs.ok()) return docs.status();
  std::vector<Json> objects;
  for (auto& doc : *docs) {
    auto fail = [&](const std::string& msg) {
      return Status::Invalid(error_at(source, doc.index, doc.line, msg));
    };
    Json& v = doc.value;
    if (!v.is_object()) return fail("a document must be an object, not " + std::string(v.type_name()));
    if (!v.contains("items")) {
      objects.push_back(std::move(v));
      continue;
    }
    // kubectl's unstructured decoder takes any object with `items` for a list. Items that name
    // neither kind nor apiVersion get the list's (a ConfigMapList's items are ConfigMaps).
    Json& items = v["items"];
    if (items.is_null()) continue;
    if (!items.is_array()) return fail("items of a list must be an array");
    std::string list_kind = string_field(v, "kind"), list_api = string_field(v, "apiVersion");
    std::string item_kind =
        list_kind.ends_with("List") ? list_kind.substr(0, list_kind.size() - 4) : list_kind;
    for (auto& item : items) {
      if (!item.is_object()) return fail("items member is not an object");
      // kubectl takes an item with an `items` array for a list too, and then fails to open it.
      if (auto nested = item.find("items"); nested != item.end() && nested->is_array()) {
        return fail("a list inside a list is not supported");
      }
      if (string_field(item, "kind").empty() && string_field(item, "apiVersion").empty()) {
        if (!item_kind.empty()) item["kind"] = item_kind;
        if (!list_api.empty()) item["apiVersion"] = list_api;
      }
      objects.push_back(std::move(item));
    }
  }
  return objects;
}

// ---------------------------------------------------------------------------------------------
// Emitting. A small block-style writer whose quoting rules are chosen so that both yaml-cpp and
// go-yaml read every value back unchanged.

namespace {

// Characters that YAML cannot carry raw in a scalar and must escape in double quotes.
bool needs_escape(char32_t c) {
  return !yaml_printable(c) || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x85 || c == 0x2028 ||
         c == 0x2029 || c == 0xFEFF;
}

std::string double_quoted(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    size_t len = decode_utf8(s, i, cp);
    if (len == 0) {  // not UTF-8 (a caller's string): written as U+FFFD, as Go's encoder does
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (cp == '"')
      out += "\\\"";
    else if (cp == '\\')
      out += "\\\\";
    else if (cp == '\n')
      out += "\\n";
    else if (cp == '\t')
      out += "\\t";
    else if (cp == '\r')
      out += "\\r";
    else if (needs_escape(cp)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, cp > 0xFFFF ? "\\U%08X" : "\\u%04X", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out + "\"";
}

bool all_printable(std::string_view s, bool allow_newline) {
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    size_t len = decode_utf8(s, i, cp);
    if (len == 0 || (needs_escape(cp) && !(allow_newline && cp == '\n'))) return false;
    i += len;
  }
  return true;
}

// Whether `s` can be written without quotes and still read back as the same string.
bool plain_ok(std::string_view s, bool is_key) {
  if (s.empty()) return false;
  auto as_plain = resolve_plain_scalar(s);
  if (!as_plain.ok() || !as_plain->is_string() || (is_key && s == "<<")) return false;
  if (std::string_view("?:,[]{}#&*!|>'\"%@`").find(s[0]) != std::string_view::npos) return false;
  if (s[0] == '-' && (s.size() == 1 || s[1] == ' ' || s.starts_with("---"))) return false;
  if (s.starts_with("...") || s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) return false;
  return all_printable(s, false);
}

// Multi-line strings read best as literal blocks; those whose shape a block cannot carry
// (leading blanks, several trailing newlines, carriage returns) stay double-quoted.
bool literal_ok(std::string_view s) {
  if (s.find('\n') == std::string_view::npos || s.size() > 1000000) return false;
  if (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s.ends_with("\n\n")) return false;
  return all_printable(s, true);
}

void emit_scalar(const Json& v, int indent, std::string& out) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (plain_ok(s, false)) {
      out += s;
    } else if (literal_ok(s)) {
      out += s.back() == '\n' ? "|" : "|-";
      std::string_view rest = s;
      while (!rest.empty()) {
        size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        out += '\n';
        if (!line.empty()) out.append(indent, ' ').append(line);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
      }
    } else {
      out += double_quoted(s);
    }
  } else if (v.is_null()) {
    out += "null";
  } else if (v.is_object()) {
    out += "{}";
  } else if (v.is_array()) {
    out += "[]";
  } else {
    out += v.dump();
  }
  out += '\n';
}

void emit_seq(const Json& seq, int indent, bool indent_first, std::string& out);

void emit_map(const Json& map, int indent, bool indent_first, std::string& out) {
  bool first = true;
  for (const auto& [key, value] : map.items()) {
    if (!first || indent_first) out.append(indent, ' ');
    first = false;
    std::string written = plain_ok(key, true) ? key : double_quoted(key);
    if (written.size() > 1000) {
      // go-yaml limits implicit keys to 1024 characters; longer ones need the explicit form.
      out += "? " + written + "\n";
      out.append(indent, ' ');
    } else {
      out += written;
    }
    out += ':';
    if (value.is_object() && !value.empty()) {
      out += '\n';
      emit_map(value, indent + 2, true, out);
    } else if (value.is_array() && !value.empty()) {
      out += '\n';
      emit_seq(value, indent + 2, true, out);
    } else {
      out += ' ';
      emit_scalar(value, indent + 2, out);
    }
  }
}

void emit_seq(const Json& seq, int indent, bool indent_first, std::string& out) {
  bool first = true;
  for (const auto& item : seq) {
    if (!first || indent_first) out.append(indent, ' ');
    first = false;
    out += "- ";
    if (item.is_object() && !item.empty()) {
      emit_map(item, indent + 2, false, out);
    } else if (item.is_array() && !item.empty()) {
      emit_seq(item, indent + 2, false, out);
    } else {
      emit_scalar(item, indent + 2, out);
    }
  }
}

}  // namespace

std::string to_yaml(const Json& value) {
  std::string out;
  if (value.is_object() && !value.empty()) {
    emit_map(value, 0, true, out);
  } else if (value.is_array() && !value.empty()) {
    emit_seq(value, 0, true, out);
  } else if (value.is_string() && !plain_ok(value.get_ref<const std::string&>(), false)) {
    out = double_quoted(value.get_ref<const std::string&>()) + "\n";
  } else {
    emit_scalar(value, 2, out);
  }
  return out;
}

std::string to_yaml_stream(const std::vector<Json>& values) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += "---\n";
    text += to_yaml(values[i]);
  }
  return text;
}

}  // namespace ferry::yaml
