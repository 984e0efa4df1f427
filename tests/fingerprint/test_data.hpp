#pragma once
// Reads fixtures from tests/data/fingerprint (path from SELFHEAL_SOURCE_DIR).
#include <fstream>
#include <sstream>
#include <string>

namespace selfheal::fingerprint::test {

inline std::string fixture(const std::string& rel) {
  std::ifstream in(std::string(SELFHEAL_SOURCE_DIR) + "/tests/data/fingerprint/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace selfheal::fingerprint::test
