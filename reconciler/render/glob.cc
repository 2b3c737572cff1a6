#include "reconciler/render/renderers.h"

namespace ferry::reconciler {
namespace {

// Expands the first {a,b} group; patterns without braces are returned as they are.
std::vector<std::string> expand_braces(std::string_view pattern) {
  size_t open = pattern.find('{');
  if (open == std::string_view::npos) return {std::string(pattern)};
  int depth = 0;
  size_t close = std::string_view::npos;
  std::vector<size_t> commas;
  for (size_t i = open; i < pattern.size(); ++i) {
    if (pattern[i] == '{') ++depth;
    else if (pattern[i] == '}' && --depth == 0) {
      close = i;
      break;
    } else if (pattern[i] == ',' && depth == 1) {
      commas.push_back(i);
    }
  }
  if (close == std::string_view::npos) return {std::string(pattern)};
  std::vector<std::string> out;
  size_t start = open + 1;
  commas.push_back(close);
  for (size_t c : commas) {
    std::string alt = std::string(pattern.substr(0, open)) + std::string(pattern.substr(start, c - start)) +
                      std::string(pattern.substr(close + 1));
    for (auto& e : expand_braces(alt)) out.push_back(std::move(e));
    start = c + 1;
  }
  return out;
}

bool match_class(std::string_view pattern, size_t& p, char c) {
  // pattern[p] == '['; on return p is past ']'
  size_t i = p + 1;
  bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
  if (negate) ++i;
  bool matched = false;
  bool first = true;
  while (i < pattern.size() && (pattern[i] != ']' || first)) {
    first = false;
    char lo = pattern[i];
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      if (c >= lo && c <= pattern[i + 2]) matched = true;
      i += 3;
    } else {
      if (c == lo) matched = true;
      ++i;
    }
  }
  p = i + 1;
  return matched != negate;
}

bool match_simple(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        star_p = ++p;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p, ++t;
        continue;
      }
      if (pc == '[' && pattern.find(']', p + 2) != std::string_view::npos) {
        size_t np = p;
        if (match_class(pattern, np, text[t])) {
          p = np, ++t;
          continue;
        }
      } else if (pc == '\\' && p + 1 < pattern.size()) {
        if (pattern[p + 1] == text[t]) {
          p += 2, ++t;
          continue;
        }
      } else if (pc == text[t]) {
        ++p, ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  for (const auto& alt : expand_braces(pattern)) {
    if (match_simple(alt, text)) return true;
  }
  return false;
}

RendererKind detect_renderer(const std::set<std::string>& names) {
  if (names.count("Chart.yaml")) return RendererKind::kHelm;
  for (const char* k : kKustomizationNames) {
    if (names.count(k)) return RendererKind::kKustomize;
  }
  return RendererKind::kDirectory;
}

}  // namespace ferry::reconciler
