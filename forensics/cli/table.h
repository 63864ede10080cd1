#pragma once

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

namespace rh::forensics::cli {

/// A plain-text table with columns padded to their widest cell. Cells must already be
/// printable (see Printable()). Widths count UTF-8 code points. A value; not thread-safe.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out, const std::string& indent = "") const {
    std::vector<std::size_t> widths;
    for (const auto& row : rows_) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (widths.size() <= i) widths.push_back(0);
        widths[i] = std::max(widths[i], Width(row[i]));
      }
    }
    for (const auto& row : rows_) {
      std::string line = indent;
      for (std::size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) line += std::string(widths[i] - Width(row[i]) + 2, ' ');
      }
      out << line << "\n";
    }
  }

 private:
  static std::size_t Width(const std::string& s) {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
  }
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace rh::forensics::cli
