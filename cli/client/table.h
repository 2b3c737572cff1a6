// Aligned text tables for the CLI's default output, as Argo CD and kubectl print them: a header
// row in capitals, columns separated by two spaces, no trailing spaces. Widths count characters
// (UTF-8 code points), so tree prefixes such as "├─" line up. A plain value; one thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ferry::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}

  // Adds a row; missing cells are empty, extra cells are dropped.
  void add_row(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  size_t size() const { return rows_.size(); }

  // The header and every row, each line ending in '\n'.
  std::string render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Characters (UTF-8 code points) in `text`.
size_t display_width(const std::string& text);

// "Key:" padded to a fixed column, then the value — the label/value blocks of `app get`.
std::string label_line(const std::string& label, const std::string& value);

}  // namespace ferry::cli
