#include "reconciler/diff/text_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

namespace ferry::reconciler {
namespace {

using ::testing::ElementsAre;

std::string lines(std::initializer_list<const char*> items) {
  std::string out;
  for (const char* item : items) out.append(item).append("\n");
  return out;
}

// Replays an edit script and checks it turns a into b, returning the number of edits.
size_t check_script(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                    const std::vector<LineEdit>& script) {
  std::vector<std::string_view> rebuilt;
  size_t next_a = 0;
  size_t edits = 0;
  for (const LineEdit& e : script) {
    switch (e.kind) {
      case LineEdit::kEqual:
        EXPECT_EQ(e.a_line, next_a);
        EXPECT_EQ(a[e.a_line], b[e.b_line]);
        rebuilt.push_back(a[e.a_line]);
        ++next_a;
        break;
      case LineEdit::kDelete:
        EXPECT_EQ(e.a_line, next_a);
        ++next_a;
        ++edits;
        break;
      case LineEdit::kInsert:
        EXPECT_EQ(e.b_line, rebuilt.size());
        rebuilt.push_back(b[e.b_line]);
        ++edits;
        break;
    }
  }
  EXPECT_EQ(next_a, a.size());
  EXPECT_EQ(rebuilt, b);
  return edits;
}

// Edit distance (insertions + deletions) by the textbook LCS table, to check minimality.
size_t lcs_distance(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::vector<std::vector<size_t>> t(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      t[i][j] = a[i] == b[j] ? t[i + 1][j + 1] + 1 : std::max(t[i + 1][j], t[i][j + 1]);
    }
  }
  return a.size() + b.size() - 2 * t[0][0];
}

TEST(SplitLinesTest, Shapes) {
  EXPECT_TRUE(split_lines("").empty());
  EXPECT_THAT(split_lines("a\nb\n"), ElementsAre("a", "b"));
  EXPECT_THAT(split_lines("a\nb"), ElementsAre("a", "b"));
  EXPECT_THAT(split_lines("\n\n"), ElementsAre("", ""));
}

TEST(UnifiedDiffTest, EqualTextsGiveNothing) {
  EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "x", "y"), "");
  EXPECT_EQ(unified_diff("", "", "x", "y"), "");
}

TEST(UnifiedDiffTest, OneChangedLine) {
  std::string a = lines({"1", "2", "3", "4", "5", "6", "7", "8", "9"});
  std::string b = lines({"1", "2", "3", "4", "five", "6", "7", "8", "9"});
  EXPECT_EQ(unified_diff(a, b, "live/x", "desired/x"),
            "--- live/x\n+++ desired/x\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(UnifiedDiffTest, FromAndToNothing) {
  EXPECT_EQ(unified_diff("", "a\nb\n", "l", "d"), "--- l\n+++ d\n@@ -0,0 +1,2 @@\n+a\n+b\n");
  EXPECT_EQ(unified_diff("a\n", "", "l", "d"), "--- l\n+++ d\n@@ -1 +0,0 @@\n-a\n");
}

TEST(UnifiedDiffTest, NearbyChangesShareAHunkDistantOnesDoNot) {
  std::string a;
  std::string near;
  std::string far;
  for (int i = 1; i <= 30; ++i) {
    a += std::to_string(i) + "\n";
    near += (i == 5 || i == 11 ? "x" : std::to_string(i)) + "\n";  // 5 equal lines apart
    far += (i == 5 || i == 20 ? "x" : std::to_string(i)) + "\n";
  }
  std::string one = unified_diff(a, near, "a", "b");
  EXPECT_EQ(std::count(one.begin(), one.end(), '@'), 4);  // one "@@ ... @@"
  EXPECT_THAT(one, ::testing::HasSubstr("@@ -2,13 +2,13 @@\n"));
  std::string two = unified_diff(a, far, "a", "b");
  EXPECT_EQ(std::count(two.begin(), two.end(), '@'), 8);
  EXPECT_THAT(two, ::testing::HasSubstr("@@ -2,7 +2,7 @@\n"));
  EXPECT_THAT(two, ::testing::HasSubstr("@@ -17,7 +17,7 @@\n"));
}

TEST(UnifiedDiffTest, InsertionKeepsSurroundingContext) {
  std::string a = lines({"spec:", "  replicas: 3", "  selector: {}"});
  std::string b = lines({"spec:", "  paused: true", "  replicas: 3", "  selector: {}"});
  EXPECT_EQ(unified_diff(a, b, "l", "d"),
            "--- l\n+++ d\n@@ -1,3 +1,4 @@\n spec:\n+  paused: true\n   replicas: 3\n   selector: {}\n");
}

TEST(DiffLinesTest, MinimalOnRandomInputs) {
  std::mt19937 rng(7);
  const std::vector<std::string> alphabet = {"a", "b", "c", "d"};
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string_view> a;
    std::vector<std::string_view> b;
    int n = static_cast<int>(rng() % 12);
    int m = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) a.push_back(alphabet[rng() % alphabet.size()]);
    for (int i = 0; i < m; ++i) b.push_back(alphabet[rng() % alphabet.size()]);
    std::vector<LineEdit> script = diff_lines(a, b);
    EXPECT_EQ(check_script(a, b, script), lcs_distance(a, b)) << "round " << round;
  }
}

TEST(DiffLinesTest, HugeRewriteFallsBackButStaysCorrect) {
  std::vector<std::string> storage_a;
  std::vector<std::string> storage_b;
  for (int i = 0; i < 3000; ++i) {
    storage_a.push_back("a" + std::to_string(i));
    storage_b.push_back("b" + std::to_string(i));
  }
  std::vector<std::string_view> a(storage_a.begin(), storage_a.end());
  std::vector<std::string_view> b(storage_b.begin(), storage_b.end());
  std::vector<LineEdit> script = diff_lines(a, b);
  EXPECT_EQ(check_script(a, b, script), 6000u);
}

}  // namespace
}  // namespace ferry::reconciler
