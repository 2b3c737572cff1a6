// The aligned tables the CLI prints by default.
#include "cli/client/table.h"

#include <gtest/gtest.h>

namespace ferry::cli {
namespace {

TEST(Table, ColumnsAlignWithTwoSpacesAndNoTrailingBlanks) {
  Table t({"NAME", "STATUS", "HEALTH"});
  t.add_row({"web", "Synced", "Healthy"});
  t.add_row({"a-longer-name", "OutOfSync", ""});
  EXPECT_EQ(t.render(),
            "NAME           STATUS     HEALTH\n"
            "web            Synced     Healthy\n"
            "a-longer-name  OutOfSync\n");
}

TEST(Table, HeaderOnlyWhenEmptyAndRowsArePaddedOrCut) {
  Table t({"A", "B"});
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.render(), "A  B\n");
  t.add_row({"x"});
  t.add_row({"1", "2", "dropped"});
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.render(), "A  B\nx\n1  2\n");
}

TEST(Table, WidthsCountCharactersNotBytes) {
  EXPECT_EQ(display_width("├─Pod/web"), 9u);
  Table t({"NAME", "X"});
  t.add_row({"└─ab", "1"});
  t.add_row({"abcd", "2"});
  EXPECT_EQ(t.render(), "NAME  X\n└─ab  1\nabcd  2\n");
}

TEST(LabelLine, ValuesStartAtOneColumn) {
  EXPECT_EQ(label_line("Name", "web"), "Name:               web\n");
  EXPECT_EQ(label_line("Health Status", "Healthy"), "Health Status:      Healthy\n");
  EXPECT_EQ(label_line("A label longer than twenty", "v"), "A label longer than twenty: v\n");
  EXPECT_EQ(label_line("Empty", ""), "Empty:\n");
}

}  // namespace
}  // namespace ferry::cli
