// Golden files pin ids and normal forms. A deliberate change of ids must bump
// fingerprint::algorithm_version; then regenerate with SELFHEAL_UPDATE_GOLDEN=1 and review the diff.
//
//   tests/golden/fingerprint_messages.tsv  input \t template \t id     (input escaped: \t \n \\ \0 \xHH)
//   tests/golden/fingerprint_traces.tsv    fixture \t exception_type \t template \t id
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fingerprint/fingerprint.hpp"
#include "tests/fingerprint/test_data.hpp"

namespace fp = selfheal::fingerprint;

namespace {

std::string golden_path(const std::string& name) {
  return std::string(SELFHEAL_SOURCE_DIR) + "/tests/golden/" + name;
}

bool updating() {
  const char* v = std::getenv("SELFHEAL_UPDATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::size_t start = 0;
    while (true) {
      auto tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(std::move(cols));
  }
  return rows;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char c = s[++i];
    if (c == 't') out.push_back('\t');
    else if (c == 'n') out.push_back('\n');
    else if (c == '0') out.push_back('\0');
    else if (c == 'x' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else out.push_back(c);
  }
  return out;
}

}  // namespace

TEST_CASE("golden message templates and ids are stable") {
  const std::string path = golden_path("fingerprint_messages.tsv");
  auto rows = read_tsv(path);
  REQUIRE(rows.size() >= 20);
  fp::Engine engine;
  std::ostringstream updated;
  updated << "# input\\ttemplate\\tid -- regenerate: SELFHEAL_UPDATE_GOLDEN=1 (and bump algorithm_version "
             "if ids moved on purpose)\n";
  for (const auto& r : rows) {
    REQUIRE(!r.empty());
    auto f = engine.compute(unescape(r[0]));
    if (updating()) {
      updated << r[0] << '\t' << f.template_text << '\t' << f.id << '\n';
      continue;
    }
    REQUIRE(r.size() == 3);
    CAPTURE(r[0]);
    CHECK(f.template_text == r[1]);
    CHECK(f.id == r[2]);
  }
  if (updating()) std::ofstream(path, std::ios::binary) << updated.str();
}

TEST_CASE("golden trace ids are stable for every language fixture") {
  const std::string path = golden_path("fingerprint_traces.tsv");
  auto rows = read_tsv(path);
  REQUIRE(rows.size() >= 8);
  fp::Engine engine;
  std::ostringstream updated;
  updated << "# fixture\\texception_type\\ttemplate\\tid -- regenerate: SELFHEAL_UPDATE_GOLDEN=1\n";
  for (const auto& r : rows) {
    REQUIRE(!r.empty());
    auto f = engine.compute(fp::test::fixture(r[0]));
    if (updating()) {
      updated << r[0] << '\t' << f.exception_type << '\t' << f.template_text << '\t' << f.id << '\n';
      continue;
    }
    REQUIRE(r.size() == 4);
    CAPTURE(r[0]);
    CHECK(f.exception_type == r[1]);
    CHECK(f.template_text == r[2]);
    CHECK(f.id == r[3]);
  }
  if (updating()) std::ofstream(path, std::ios::binary) << updated.str();
}
