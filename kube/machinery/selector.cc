#include "kube/machinery/selector.h"

#include <algorithm>

namespace ferry::kube {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Splits on commas that are not inside parentheses.
std::vector<std::string_view> split_terms(std::string_view text) {
  std::vector<std::string_view> terms;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    else if (text[i] == ')') --depth;
    else if (text[i] == ',' && depth == 0) {
      terms.push_back(trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  terms.push_back(trim(text.substr(start)));
  return terms;
}

bool valid_label_value(std::string_view v) {
  if (v.size() > 63) return false;
  for (char c : v) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

bool valid_label_key(std::string_view k) {
  if (k.empty() || k.size() > 317) return false;
  for (char c : k) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/')) return false;
  }
  return true;
}

std::string label_of(const nlohmann::json& labels, const std::string& key, bool& present) {
  present = false;
  if (!labels.is_object()) return "";
  auto it = labels.find(key);
  if (it == labels.end() || !it->is_string()) return "";
  present = true;
  return it->get<std::string>();
}

}  // namespace

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  LabelSelector selector;
  if (trim(text).empty()) return selector;
  for (std::string_view term : split_terms(text)) {
    Requirement r;
    auto bad = [&](const std::string& why) {
      return Status::BadRequest("unable to parse requirement: " + std::string(term) + ": " + why);
    };
    if (term.empty()) return bad("empty requirement");
    if (term.front() == '!') {
      r.key = std::string(trim(term.substr(1)));
      r.op = Requirement::kDoesNotExist;
    } else if (auto p = term.find(" notin "); p != std::string_view::npos || term.find(" in ") != std::string_view::npos) {
      bool notin = p != std::string_view::npos;
      if (!notin) p = term.find(" in ");
      r.key = std::string(trim(term.substr(0, p)));
      r.op = notin ? Requirement::kNotIn : Requirement::kIn;
      std::string_view rest = trim(term.substr(p + (notin ? 7 : 4)));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') return bad("expected a (value, ...) list");
      rest = rest.substr(1, rest.size() - 2);
      size_t start = 0;
      while (start <= rest.size()) {
        size_t comma = rest.find(',', start);
        std::string_view v = trim(rest.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (!valid_label_value(v)) return bad("invalid label value: \"" + std::string(v) + "\"");
        r.values.emplace_back(v);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
    } else if (auto ne = term.find("!="); ne != std::string_view::npos) {
      r.key = std::string(trim(term.substr(0, ne)));
      r.op = Requirement::kNotEquals;
      r.values.emplace_back(trim(term.substr(ne + 2)));
    } else if (auto eq = term.find('='); eq != std::string_view::npos) {
      size_t skip = term.substr(eq).starts_with("==") ? 2 : 1;
      r.key = std::string(trim(term.substr(0, eq)));
      r.op = Requirement::kEquals;
      r.values.emplace_back(trim(term.substr(eq + skip)));
    } else {
      r.key = std::string(term);
      r.op = Requirement::kExists;
    }
    if (!valid_label_key(r.key)) return bad("invalid label key \"" + r.key + "\"");
    for (const auto& v : r.values) {
      if (!valid_label_value(v)) return bad("invalid label value: \"" + v + "\"");
    }
    selector.requirements_.push_back(std::move(r));
  }
  return selector;
}

Result<LabelSelector> LabelSelector::from_json(const nlohmann::json& json) {
  LabelSelector selector;
  if (!json.is_object()) return selector;
  const nlohmann::json match_labels = json.value("matchLabels", nlohmann::json::object());
  for (const auto& [k, v] : match_labels.items()) {
    selector.requirements_.push_back({k, Requirement::kEquals, {v.is_string() ? v.get<std::string>() : v.dump()}});
  }
  for (const auto& e : json.value("matchExpressions", nlohmann::json::array())) {
    Requirement r;
    r.key = e.value("key", "");
    std::string op = e.value("operator", "");
    if (op == "In") r.op = Requirement::kIn;
    else if (op == "NotIn") r.op = Requirement::kNotIn;
    else if (op == "Exists") r.op = Requirement::kExists;
    else if (op == "DoesNotExist") r.op = Requirement::kDoesNotExist;
    else return Status::Invalid("invalid label selector operator \"" + op + "\"");
    for (const auto& v : e.value("values", nlohmann::json::array())) r.values.push_back(v.get<std::string>());
    selector.requirements_.push_back(std::move(r));
  }
  return selector;
}

bool LabelSelector::matches(const nlohmann::json& labels) const {
  for (const auto& r : requirements_) {
    bool present = false;
    std::string value = label_of(labels, r.key, present);
    bool in_values = present && std::find(r.values.begin(), r.values.end(), value) != r.values.end();
    switch (r.op) {
      case Requirement::kEquals:
      case Requirement::kIn:
        if (!in_values) return false;
        break;
      case Requirement::kNotEquals:
      case Requirement::kNotIn:
        if (in_values) return false;
        break;
      case Requirement::kExists:
        if (!present) return false;
        break;
      case Requirement::kDoesNotExist:
        if (present) return false;
        break;
    }
  }
  return true;
}

std::string LabelSelector::to_string() const {
  std::string out;
  for (const auto& r : requirements_) {
    if (!out.empty()) out += ",";
    auto list = [&] {
      std::string s = "(";
      for (size_t i = 0; i < r.values.size(); ++i) s += (i ? "," : "") + r.values[i];
      return s + ")";
    };
    switch (r.op) {
      case Requirement::kEquals: out += r.key + "=" + r.values[0]; break;
      case Requirement::kNotEquals: out += r.key + "!=" + r.values[0]; break;
      case Requirement::kIn: out += r.key + " in " + list(); break;
      case Requirement::kNotIn: out += r.key + " notin " + list(); break;
      case Requirement::kExists: out += r.key; break;
      case Requirement::kDoesNotExist: out += "!" + r.key; break;
    }
  }
  return out;
}

Result<FieldSelector> FieldSelector::parse(std::string_view text) {
  FieldSelector selector;
  if (trim(text).empty()) return selector;
  for (std::string_view term : split_terms(text)) {
    Term t;
    size_t ne = term.find("!=");
    size_t eq = term.find('=');
    if (ne != std::string_view::npos) {
      t.field = std::string(trim(term.substr(0, ne)));
      t.equals = false;
      t.value = std::string(trim(term.substr(ne + 2)));
    } else if (eq != std::string_view::npos) {
      size_t skip = term.substr(eq).starts_with("==") ? 2 : 1;
      t.field = std::string(trim(term.substr(0, eq)));
      t.value = std::string(trim(term.substr(eq + skip)));
    } else {
      return Status::BadRequest("invalid field selector: '" + std::string(term) + "': expected an operator");
    }
    if (t.field.empty()) return Status::BadRequest("invalid field selector: empty field name");
    selector.terms_.push_back(std::move(t));
  }
  return selector;
}

bool FieldSelector::matches(const nlohmann::json& object) const {
  for (const auto& t : terms_) {
    const nlohmann::json* node = &object;
    std::string_view path = t.field;
    std::string value;
    bool found = true;
    while (!path.empty()) {
      size_t dot = path.find('.');
      std::string part(path.substr(0, dot));
      if (!node->is_object() || !node->contains(part)) {
        found = false;
        break;
      }
      node = &(*node)[part];
      path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    }
    if (found) value = node->is_string() ? node->get<std::string>() : (node->is_null() ? "" : node->dump());
    if ((value == t.value) != t.equals) return false;
  }
  return true;
}

std::string FieldSelector::required_value(std::string_view field) const {
  for (const auto& t : terms_) {
    if (t.equals && t.field == field) return t.value;
  }
  return "";
}

}  // namespace ferry::kube
