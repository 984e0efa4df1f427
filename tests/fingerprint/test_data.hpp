#pragma once
// Reads fixtures from tests/data/fingerprint (path from SELFHEAL_SOURCE_DIR) and splits them into lines.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fingerprint/stitcher.hpp"

namespace selfheal::fingerprint::test {

inline std::string fixture(const std::string& rel) {
  std::ifstream in(std::string(SELFHEAL_SOURCE_DIR) + "/tests/data/fingerprint/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

/// The lines of `text` (split at '\n', as std::getline does).
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

/// Every event `lines` stitch into, one push per line (1 ms apart), all flushed at the end.
inline std::vector<StitchedEvent> stitch_lines(const std::vector<std::string>& lines, StitchOptions o = {}) {
  Stitcher s(o);
  std::vector<StitchedEvent> out;
  std::int64_t ts = 1000;
  for (const auto& l : lines) s.push("s", l, ts++, out);
  s.flush_all(out);
  return out;
}

}  // namespace selfheal::fingerprint::test
