// Line diff of two texts (Myers' O(ND) algorithm) printed as a unified diff with three lines of
// context, the format `diff -u` and `git diff` print. Deterministic: the same inputs always give
// the same script. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::reconciler {

struct LineEdit {
  enum Kind { kEqual, kDelete, kInsert };
  Kind kind;
  size_t a_line;  // index into a's lines (kEqual, kDelete)
  size_t b_line;  // index into b's lines (kEqual, kInsert)
};

// Lines without their '\n'; a final line without '\n' counts, an empty text has none.
std::vector<std::string_view> split_lines(std::string_view text);

// A shortest edit script turning `a` into `b`. Past a few thousand differing lines the middle
// falls back to "delete all, insert all" to bound time and memory; the script stays correct.
std::vector<LineEdit> diff_lines(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b);

// "--- <a_name>\n+++ <b_name>\n@@ -1,3 +1,3 @@\n ..." ; "" when the texts are equal.
std::string unified_diff(std::string_view a, std::string_view b, std::string_view a_name, std::string_view b_name,
                         size_t context = 3);

}  // namespace ferry::reconciler
