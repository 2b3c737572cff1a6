#include "reconciler/diff/json_pointer.h"

#include <charconv>

namespace ferry::reconciler {
namespace {

using nlohmann::json;

// A decimal array index without sign or leading zeros, as RFC 6901 spells them.
std::optional<size_t> array_index(std::string_view token) {
  if (token.empty() || (token.size() > 1 && token[0] == '0')) return std::nullopt;
  size_t index = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
  if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return index;
}

// The child of `node` at `token`, or null; const or not as `node` is.
template <class Json>
Json* step(Json& node, const std::string& token) {
  if (node.is_object()) {
    auto it = node.find(token);
    return it == node.end() ? nullptr : &*it;
  }
  if (node.is_array()) {
    auto index = array_index(token);
    return index && *index < node.size() ? &node[*index] : nullptr;
  }
  return nullptr;
}

}  // namespace

std::optional<std::vector<std::string>> parse_json_pointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') return std::nullopt;
  std::string token;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (pointer[i] != '~') {
      token += pointer[i];
      continue;
    }
    if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')) return std::nullopt;
    token += pointer[i + 1] == '0' ? '~' : '/';
    ++i;
  }
  return tokens;
}

std::string escape_pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string json_pointer(const std::vector<std::string>& tokens) {
  std::string out;
  for (const std::string& token : tokens) out.append("/").append(escape_pointer_token(token));
  return out;
}

const json* find_pointer(const json& doc, const std::vector<std::string>& tokens) {
  const json* node = &doc;
  for (const std::string& token : tokens) {
    node = step(*node, token);
    if (node == nullptr) return nullptr;
  }
  return node;
}

bool remove_pointer(json& doc, const std::vector<std::string>& tokens) {
  if (tokens.empty()) return false;  // the document itself is never removed
  json* parent = &doc;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    parent = step(*parent, tokens[i]);
    if (parent == nullptr) return false;
  }
  const std::string& last = tokens.back();
  if (parent->is_object()) return parent->erase(last) > 0;
  if (parent->is_array()) {
    auto index = array_index(last);
    if (!index || *index >= parent->size()) return false;
    parent->erase(*index);
    return true;
  }
  return false;
}

bool set_pointer(json& doc, const std::vector<std::string>& tokens, json value) {
  // Walk what exists first, so a step that cannot be taken leaves the document untouched;
  // from the first missing key on, everything is new objects and cannot fail.
  json* node = &doc;
  size_t i = 0;
  for (; i < tokens.size(); ++i) {
    if (node->is_null()) break;
    if (node->is_object()) {
      auto it = node->find(tokens[i]);
      if (it == node->end()) break;
      node = &*it;
      continue;
    }
    json* next = step(*node, tokens[i]);
    if (next == nullptr) return false;
    node = next;
  }
  for (; i < tokens.size(); ++i) {
    if (node->is_null()) *node = json::object();
    node = &(*node)[tokens[i]];
  }
  *node = std::move(value);
  return true;
}

}  // namespace ferry::reconciler
