#include "apis/types/glob.h"

#include <string>
#include <vector>

namespace ferry::apis {
namespace {

struct Token {
  enum Kind { kLiteral, kAny, kStar, kDoubleStar, kClass } kind = kLiteral;
  char literal = 0;
  bool negated = false;                           // kClass
  std::vector<std::pair<char, char>> ranges;      // kClass: inclusive ranges
};

// Reads a class starting after '[' at pattern[i]; returns false when it is not closed.
bool read_class(std::string_view pattern, size_t& i, Token& token) {
  size_t k = i;
  token.kind = Token::kClass;
  if (k < pattern.size() && (pattern[k] == '!' || pattern[k] == '^')) {
    token.negated = true;
    ++k;
  }
  bool first = true;
  while (k < pattern.size() && (pattern[k] != ']' || first)) {
    first = false;
    char lo = pattern[k];
    if (lo == '\\' && k + 1 < pattern.size()) lo = pattern[++k];
    ++k;
    char hi = lo;
    if (k + 1 < pattern.size() && pattern[k] == '-' && pattern[k + 1] != ']') {
      hi = pattern[k + 1];
      if (hi == '\\' && k + 2 < pattern.size()) {
        hi = pattern[k + 2];
        ++k;
      }
      k += 2;
    }
    token.ranges.emplace_back(lo, hi);
  }
  if (k >= pattern.size()) return false;
  i = k + 1;  // past ']'
  return true;
}

std::vector<Token> tokenize(std::string_view pattern) {
  std::vector<Token> tokens;
  for (size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    Token token;
    if (c == '*') {
      size_t run = 0;
      while (i < pattern.size() && pattern[i] == '*') {
        ++run;
        ++i;
      }
      token.kind = run >= 2 ? Token::kDoubleStar : Token::kStar;
    } else if (c == '?') {
      token.kind = Token::kAny;
      ++i;
    } else if (c == '\\' && i + 1 < pattern.size()) {
      token.literal = pattern[i + 1];
      i += 2;
    } else if (c == '[') {
      size_t k = i + 1;
      if (read_class(pattern, k, token)) {
        i = k;
      } else {
        token = Token{};
        token.literal = '[';
        ++i;
      }
    } else {
      token.literal = c;
      ++i;
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

bool class_matches(const Token& token, char c) {
  bool in = false;
  for (const auto& [lo, hi] : token.ranges) {
    if (static_cast<unsigned char>(c) >= static_cast<unsigned char>(lo) &&
        static_cast<unsigned char>(c) <= static_cast<unsigned char>(hi)) {
      in = true;
      break;
    }
  }
  return in != token.negated;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text, char separator) {
  const std::vector<Token> tokens = tokenize(pattern);
  const size_t n = text.size();
  // match[j] after processing token t: tokens[t..] match text[j..]. Filled from the last token
  // backwards, so the cost is tokens × text whatever the pattern (no exponential backtracking).
  std::vector<char> next(n + 1, 0), cur(n + 1, 0);
  next[n] = 1;  // no tokens left matches only the empty rest
  for (size_t t = tokens.size(); t-- > 0;) {
    const Token& token = tokens[t];
    const bool sep_set = separator != '\0';
    switch (token.kind) {
      case Token::kStar:
      case Token::kDoubleStar: {
        const bool cross = token.kind == Token::kDoubleStar || !sep_set;
        cur[n] = next[n];
        for (size_t j = n; j-- > 0;) {
          // Either the star matches nothing here, or it eats text[j] and goes on.
          cur[j] = next[j] || ((cross || text[j] != separator) && cur[j + 1]);
        }
        break;
      }
      default: {
        cur[n] = 0;
        for (size_t j = 0; j < n; ++j) {
          char c = text[j];
          bool one = false;
          if (token.kind == Token::kAny) {
            one = !sep_set || c != separator;
          } else if (token.kind == Token::kClass) {
            one = class_matches(token, c) && (!sep_set || c != separator);
          } else {
            one = c == token.literal;
          }
          cur[j] = one && next[j + 1];
        }
        break;
      }
    }
    std::swap(cur, next);
  }
  return next[0] != 0;
}

}  // namespace ferry::apis
