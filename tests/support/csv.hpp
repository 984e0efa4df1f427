#pragma once
// A minimal RFC 4180 reader for the public Loghub structured CSVs (quoted fields may hold commas,
// quotes and newlines). Header-only, shared by the tests and the benchmarks.
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace selfheal::test {

/// The values of column `name` of the CSV file at `path`, one per data row (a leading UTF-8 BOM is
/// skipped); nullopt when the header has no such column.
inline std::optional<std::vector<std::string>> csv_column(const std::string& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  std::size_t i = data.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  for (; i < data.size(); ++i) {
    const char c = data[i];
    if (quoted) {
      if (c == '"' && i + 1 < data.size() && data[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
    } else {
      field.push_back(c);
    }
  }
  if (!field.empty() || !rows.back().empty()) rows.back().push_back(std::move(field));
  std::size_t col = 0;
  while (col < rows[0].size() && rows[0][col] != name) ++col;
  if (col == rows[0].size()) return std::nullopt;
  std::vector<std::string> out;
  for (std::size_t r = 1; r < rows.size(); ++r)
    if (col < rows[r].size()) out.push_back(rows[r][col]);
  return out;
}

}  // namespace selfheal::test
