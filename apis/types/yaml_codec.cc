#include "apis/types/yaml_codec.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <regex>
#include <sstream>

namespace ferry::yaml {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// Go's strconv.ParseInt/ParseUint with base 0 (prefixes 0x, 0o, 0b and a leading 0 for octal).
// Returns false when the text is not an integer or does not fit 64 bits.
bool parse_go_integer(std::string_view s, bool& negative, uint64_t& magnitude) {
  negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  int base = 10;
  if (s.size() > 1 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') base = 16, s.remove_prefix(2);
    else if (p == 'o') base = 8, s.remove_prefix(2);
    else if (p == 'b') base = 2, s.remove_prefix(2);
    else base = 8, s.remove_prefix(1);
  }
  if (s.empty()) return false;
  unsigned __int128 value = 0;
  for (char c : s) {
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    else return false;
    if (digit >= base) return false;
    value = value * base + digit;
    if (value > std::numeric_limits<uint64_t>::max()) return false;
  }
  magnitude = static_cast<uint64_t>(value);
  return true;
}

// A float as kubectl's unstructured decoding leaves it: integral values in int64 range become
// integers (Go decodes "1.0" to float64 1 and encodes it back as 1).
Json number_from_double(double d) {
  if (std::trunc(d) == d && std::fabs(d) < 9.2e18) return Json(static_cast<int64_t>(d));
  return Json(d);
}

bool is_yaml_style_float(const std::string& s) {
  static const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  return std::regex_match(s, kFloat);
}

std::string error_at(std::string_view source, int doc_index, int line, const std::string& msg) {
  std::ostringstream out;
  out << (source.empty() ? "<input>" : std::string(source)) << ": document " << doc_index + 1
      << ", line " << line << ": " << msg;
  return out.str();
}

class Converter {
 public:
  Converter(std::string_view source, int doc_index, int line_offset)
      : source_(source), doc_index_(doc_index), line_offset_(line_offset) {}

  Result<Json> convert(const YAML::Node& node, int depth = 0) {
    if (depth > 200) return fail(node, "document nests too deeply");
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Json(nullptr);
      case YAML::NodeType::Scalar:
        return scalar(node);
      case YAML::NodeType::Sequence: {
        Json array = Json::array();
        for (const auto& item : node) {
          auto value = convert(item, depth + 1);
          if (!value.ok()) return value;
          array.push_back(std::move(*value));
        }
        return array;
      }
      case YAML::NodeType::Map: {
        Json object = Json::object();
        for (const auto& entry : node) {
          const YAML::Node& key = entry.first;
          if (key.IsScalar() && key.Tag() == "?" && key.Scalar() == "<<") {
            Status merged = merge_into(object, entry.second, depth);
            if (!merged.ok()) return merged;
            continue;
          }
          auto key_text = map_key(key, entry.second);
          if (!key_text.ok()) return key_text.status();
          auto value = convert(entry.second, depth + 1);
          if (!value.ok()) return value;
          object[*key_text] = std::move(*value);  // the last duplicate wins, as in go-yaml v2
        }
        return object;
      }
    }
    return fail(node, "unsupported YAML node");
  }

 private:
  Status merge_into(Json& object, const YAML::Node& source, int depth) {
    auto apply = [&](const YAML::Node& map) -> Status {
      if (!map.IsMap()) return fail(map, "map merge requires map or sequence of maps as the value");
      auto value = convert(map, depth + 1);
      if (!value.ok()) return value.status();
      for (auto& [k, v] : value->items()) object[k] = v;
      return Status::Ok();
    };
    if (source.IsSequence()) {
      for (const auto& item : source) {
        Status s = apply(item);
        if (!s.ok()) return s;
      }
      return Status::Ok();
    }
    return apply(source);
  }

  Result<std::string> map_key(const YAML::Node& key, const YAML::Node& value) {
    if (!key.IsScalar()) {
      if (key.IsNull()) return fail(key, "unsupported map key of type null (value " + excerpt(value) + ")");
      return fail(key, "unsupported map key: keys must be scalars");
    }
    auto resolved = scalar(key);
    if (!resolved.ok()) return resolved.status();
    const Json& k = *resolved;
    if (k.is_string()) return k.get<std::string>();
    if (k.is_null()) return fail(key, "unsupported map key of type null (value " + excerpt(value) + ")");
    if (k.is_boolean()) return std::string(k.get<bool>() ? "true" : "false");
    if (k.is_number_float()) {
      std::ostringstream out;
      out.precision(std::numeric_limits<double>::max_digits10);
      out << k.get<double>();
      // Shortest form that reads back the same, like Go's FormatFloat(f, 'g', -1, 64).
      for (int p = 1; p <= 17; ++p) {
        std::ostringstream s;
        s.precision(p);
        s << k.get<double>();
        if (std::strtod(s.str().c_str(), nullptr) == k.get<double>()) return s.str();
      }
      return out.str();
    }
    return k.dump();
  }

  std::string excerpt(const YAML::Node& node) {
    if (node.IsScalar()) return "\"" + node.Scalar().substr(0, 40) + "\"";
    return "of a collection";
  }

  Result<Json> scalar(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return Json(text);
    if (tag == "?" || tag.empty()) {
      auto value = resolve_plain_scalar(text);
      if (!value.ok()) return fail(node, value.status().message());
      return value;
    }
    if (tag == "tag:yaml.org,2002:null") return Json(nullptr);
    if (tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:int" ||
        tag == "tag:yaml.org,2002:float") {
      auto value = resolve_plain_scalar(text);
      if (!value.ok()) return fail(node, value.status().message());
      bool fits = (tag.ends_with("bool") && value->is_boolean()) ||
                  (tag.ends_with("int") && value->is_number_integer()) ||
                  (tag.ends_with("float") && value->is_number());
      if (!fits) return fail(node, "cannot decode \"" + text + "\" as " + tag.substr(tag.rfind(':') + 1));
      return value;
    }
    // Other tags (`!!binary`, custom `!Ref`) carry their text as a string.
    return Json(text);
  }

  Status fail(const YAML::Node& node, const std::string& message) {
    int line = line_offset_ + (node.Mark().line >= 0 ? node.Mark().line : 0) + 1;
    return Status::Invalid(error_at(source_, doc_index_, line, message));
  }

  std::string_view source_;
  int doc_index_;
  int line_offset_;
};

bool blank_or_comments(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    if (line[first] == '#') continue;
    if (line.compare(first, 3, "...") == 0 && line.find_first_not_of(" \t\r", first + 3) == std::string::npos) continue;
    return false;
  }
  return true;
}

// A JSON stream: one or more concatenated JSON values, as kubectl reads a stream that starts
// with '{'.
Result<std::vector<Document>> parse_json_stream(std::string_view text, std::string_view source) {
  std::vector<Document> docs;
  size_t pos = 0;
  int line = 1;
  while (true) {
    size_t start = text.find_first_not_of(" \t\r\n", pos);
    if (start == std::string_view::npos) break;
    for (size_t i = pos; i < start; ++i) line += text[i] == '\n';
    // Find the end of this value with a depth scan that respects strings.
    int depth = 0;
    bool in_string = false, escaped = false;
    size_t end = start;
    for (; end < text.size(); ++end) {
      char c = text[end];
      if (in_string) {
        if (escaped) escaped = false;
        else if (c == '\\') escaped = true;
        else if (c == '"') in_string = false;
        continue;
      }
      if (c == '"') in_string = true;
      else if (c == '{' || c == '[') ++depth;
      else if (c == '}' || c == ']') {
        if (--depth == 0) { ++end; break; }
      }
    }
    Json value = Json::parse(text.substr(start, end - start), nullptr, false);
    if (value.is_discarded()) {
      return Status::Invalid(error_at(source, static_cast<int>(docs.size()), line, "invalid JSON"));
    }
    docs.push_back({std::move(value), static_cast<int>(docs.size()), line});
    for (size_t i = start; i < end && i < text.size(); ++i) line += text[i] == '\n';
    pos = end;
  }
  return docs;
}

}  // namespace

Result<Json> resolve_plain_scalar(std::string_view text) {
  static const std::vector<std::pair<std::vector<std::string_view>, int>> kTable = {
      {{"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}, 1},
      {{"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}, 0},
      {{"", "~", "null", "Null", "NULL"}, -1},
  };
  for (const auto& [words, meaning] : kTable) {
    for (auto w : words) {
      if (text == w) return meaning < 0 ? Json(nullptr) : Json(meaning == 1);
    }
  }
  for (auto w : {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
                 "-.Inf", "-.INF"}) {
    if (text == w) {
      return Status::Invalid(std::string("json: unsupported value: ") + std::string(text) +
                             " (NaN and infinities have no JSON form)");
    }
  }
  char first = text.empty() ? '\0' : text[0];
  bool numeric_hint = (first >= '0' && first <= '9') || first == '+' || first == '-' || first == '.';
  if (!numeric_hint) return Json(std::string(text));

  std::string plain;
  plain.reserve(text.size());
  for (char c : text) {
    if (c != '_') plain.push_back(c);
  }
  bool negative = false;
  uint64_t magnitude = 0;
  if (parse_go_integer(plain, negative, magnitude)) {
    if (!negative && magnitude <= static_cast<uint64_t>(kInt64Max)) return Json(static_cast<int64_t>(magnitude));
    if (negative && magnitude <= static_cast<uint64_t>(kInt64Max) + 1) {
      return Json(static_cast<int64_t>(0 - magnitude));
    }
    // Beyond int64 Kubernetes' unstructured decoding falls back to float64.
    return Json(negative ? -static_cast<double>(magnitude) : static_cast<double>(magnitude));
  }
  if (is_yaml_style_float(plain)) {
    double d = std::strtod(plain.c_str(), nullptr);
    if (std::isinf(d)) return Status::Invalid("json: unsupported value: " + std::string(text) + " (out of float64 range)");
    return number_from_double(d);
  }
  return Json(std::string(text));
}

Result<std::vector<Document>> parse_stream(std::string_view text, std::string_view source) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return parse_json_stream(text, source);

  // Split on lines that start with "---" followed only by white space (k8s' YAMLReader rule).
  std::vector<std::pair<std::string_view, int>> chunks;  // text, 0-based first line
  size_t chunk_start = 0, pos = 0;
  int line_no = 0, chunk_line = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (line.starts_with("---") && line.find_first_not_of(" \t\r", 3) == std::string_view::npos) {
      chunks.emplace_back(text.substr(chunk_start, pos - chunk_start), chunk_line);
      chunk_start = eol + 1;
      chunk_line = line_no + 1;
    }
    ++line_no;
    if (eol == text.size()) break;
    pos = eol + 1;
  }
  if (chunk_start <= text.size()) chunks.emplace_back(text.substr(chunk_start), chunk_line);

  std::vector<Document> docs;
  for (const auto& [chunk, line_offset] : chunks) {
    if (blank_or_comments(chunk)) continue;
    int index = static_cast<int>(docs.size());
    YAML::Node node;
    try {
      node = YAML::Load(std::string(chunk));
    } catch (const YAML::Exception& e) {
      int line = line_offset + (e.mark.line >= 0 ? e.mark.line : 0) + 1;
      return Status::Invalid(error_at(source, index, line, e.msg));
    }
    if (node.IsNull()) continue;
    Converter converter(source, index, line_offset);
    auto value = converter.convert(node);
    if (!value.ok()) return value.status();
    docs.push_back({std::move(*value), index, line_offset + 1});
  }
  return docs;
}

Result<std::vector<Json>> parse_objects(std::string_view text, std::string_view source) {
  auto docs = parse_stream(text, source);
  if (!docs.ok()) return docs.status();
  std::vector<Json> objects;
  for (auto& doc : *docs) {
    Json& v = doc.value;
    bool is_list = v.is_object() && v.contains("items") && v["items"].is_array() &&
                   v.value("kind", "").ends_with("List");
    if (is_list) {
      for (auto& item : v["items"]) objects.push_back(std::move(item));
    } else {
      objects.push_back(std::move(v));
    }
  }
  return objects;
}

namespace {

void emit(YAML::Emitter& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [k, v] : value.items()) {
        out << YAML::Key;
        emit(out, Json(k));
        out << YAML::Value;
        emit(out, v);
      }
      out << YAML::EndMap;
      break;
    case Json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& v : value) emit(out, v);
      out << YAML::EndSeq;
      break;
    case Json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      auto as_plain = resolve_plain_scalar(s);
      bool ambiguous = !as_plain.ok() || !as_plain->is_string();
      if (ambiguous) out << YAML::DoubleQuoted << s;
      else if (s.find('\n') != std::string::npos) out << YAML::Literal << s;
      else out << s;
      break;
    }
    case Json::value_t::null:
      out << YAML::Null;
      break;
    default:
      out << value.dump();
  }
}

}  // namespace

std::string to_yaml(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  emit(out, value);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text.push_back('\n');
  return text;
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
