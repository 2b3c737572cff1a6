#include "reconciler/diff/text_diff.h"

#include <algorithm>

namespace ferry::reconciler {
namespace {

// Bound on the edit distance searched: the trace kept for backtracking grows as D².
constexpr int kMaxEditDistance = 2000;

// Myers on a[a0, a0+n) and b[b0, b0+m), appending the script (in order) to `out`.
void myers(const std::vector<std::string_view>& a, size_t a0, int n, const std::vector<std::string_view>& b,
           size_t b0, int m, std::vector<LineEdit>& out) {
  auto fallback = [&] {
    for (int i = 0; i < n; ++i) out.push_back({LineEdit::kDelete, a0 + i, b0});
    for (int j = 0; j < m; ++j) out.push_back({LineEdit::kInsert, a0 + n, b0 + j});
  };
  const int max = n + m;
  if (max == 0) return;
  const int limit = std::min(max, kMaxEditDistance);
  // v[k + offset]: furthest x on diagonal k; trace[d] keeps v for k in [-d, d] after step d.
  const int offset = limit + 1;
  std::vector<int> v(2 * static_cast<size_t>(limit) + 3, 0);
  std::vector<std::vector<int>> trace;
  int found = -1;
  for (int d = 0; d <= limit && found < 0; ++d) {
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[k - 1 + offset] < v[k + 1 + offset])) ? v[k + 1 + offset]
                                                                              : v[k - 1 + offset] + 1;
      int y = x - k;
      while (x < n && y < m && a[a0 + x] == b[b0 + y]) {
        ++x;
        ++y;
      }
      v[k + offset] = x;
      if (x >= n && y >= m) found = d;
    }
    trace.emplace_back(v.begin() + (offset - d), v.begin() + (offset + d + 1));
  }
  if (found < 0) {
    fallback();
    return;
  }
  // Walk back from (n, m), collecting the script in reverse.
  std::vector<LineEdit> reversed;
  int x = n;
  int y = m;
  for (int d = found; d > 0; --d) {
    const std::vector<int>& prev = trace[d - 1];  // k in [-(d-1), d-1] at index k + d - 1
    auto at = [&](int k) { return prev[k + d - 1]; };
    int k = x - y;
    int prev_k = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1;
    int prev_x = at(prev_k);
    int prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) {
      --x;
      --y;
      reversed.push_back({LineEdit::kEqual, a0 + x, b0 + y});
    }
    if (x == prev_x) {
      reversed.push_back({LineEdit::kInsert, a0 + x, b0 + prev_y});
    } else {
      reversed.push_back({LineEdit::kDelete, a0 + prev_x, b0 + y});
    }
    x = prev_x;
    y = prev_y;
  }
  while (x > 0 && y > 0) {
    --x;
    --y;
    reversed.push_back({LineEdit::kEqual, a0 + x, b0 + y});
  }
  out.insert(out.end(), reversed.rbegin(), reversed.rend());
}

std::string range(size_t start, size_t count) {
  // GNU diff: "l" for one line, "l,c" otherwise, and the line before when the range is empty.
  if (count == 1) return std::to_string(start + 1);
  return std::to_string(count == 0 ? start : start + 1) + "," + std::to_string(count);
}

}  // namespace

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<LineEdit> diff_lines(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::vector<LineEdit> out;
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) {
    out.push_back({LineEdit::kEqual, prefix, prefix});
    ++prefix;
  }
  size_t suffix = 0;
  while (suffix + prefix < a.size() && suffix + prefix < b.size() &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  myers(a, prefix, static_cast<int>(a.size() - prefix - suffix), b, prefix, static_cast<int>(b.size() - prefix - suffix),
        out);
  for (size_t i = suffix; i > 0; --i) out.push_back({LineEdit::kEqual, a.size() - i, b.size() - i});
  return out;
}

std::string unified_diff(std::string_view a, std::string_view b, std::string_view a_name, std::string_view b_name,
                         size_t context) {
  if (a == b) return "";
  std::vector<std::string_view> a_lines = split_lines(a);
  std::vector<std::string_view> b_lines = split_lines(b);
  std::vector<LineEdit> edits = diff_lines(a_lines, b_lines);

  std::string out;
  out.append("--- ").append(a_name).append("\n+++ ").append(b_name).append("\n");
  size_t i = 0;
  while (i < edits.size()) {
    while (i < edits.size() && edits[i].kind == LineEdit::kEqual) ++i;
    if (i == edits.size()) break;
    // A hunk: from `context` lines before the first change to `context` after the last change
    // that is no more than 2*context equal lines from the next one.
    size_t start = i >= context ? i - context : 0;
    size_t end = i;
    while (true) {
      while (end < edits.size() && edits[end].kind != LineEdit::kEqual) ++end;
      size_t equal_run = 0;
      while (end + equal_run < edits.size() && edits[end + equal_run].kind == LineEdit::kEqual) ++equal_run;
      if (end + equal_run < edits.size() && equal_run <= 2 * context) {
        end += equal_run;
        continue;
      }
      end = std::min(edits.size(), end + context);
      break;
    }
    // Where the hunk starts in each text: the first line of either side it covers.
    size_t a_start = 0;
    size_t b_start = 0;
    size_t a_count = 0;
    size_t b_count = 0;
    const LineEdit& first = edits[start];
    a_start = first.a_line;
    b_start = first.b_line;
    std::string body;
    for (size_t k = start; k < end; ++k) {
      const LineEdit& e = edits[k];
      switch (e.kind) {
        case LineEdit::kEqual:
          body.append(" ").append(a_lines[e.a_line]).append("\n");
          ++a_count;
          ++b_count;
          break;
        case LineEdit::kDelete:
          body.append("-").append(a_lines[e.a_line]).append("\n");
          ++a_count;
          break;
        case LineEdit::kInsert:
          body.append("+").append(b_lines[e.b_line]).append("\n");
          ++b_count;
          break;
      }
    }
    out.append("@@ -").append(range(a_start, a_count)).append(" +").append(range(b_start, b_count)).append(" @@\n");
    out += body;
    i = end;
  }
  return out;
}

}  // namespace ferry::reconciler
