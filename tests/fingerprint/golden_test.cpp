// Golden files pin ids and normal forms. A deliberate change of ids must bump
// fingerprint::algorithm_version; then regenerate with SELFHEAL_UPDATE_GOLDEN=1 and review the diff.
//
//   tests/golden/fingerprint_messages.tsv  input \t template \t id     (input escaped: \t \n \\ \0 \xHH)
//   tests/golden/fingerprint_traces.tsv    fixture \t exception_type \t template \t id
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
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

/// Checks every row of the golden file `name` (at least `min_rows`): `compute(first column)` gives the
/// other columns. With SELFHEAL_UPDATE_GOLDEN=1 the file is written again, `header` first, from what
/// compute gives.
void check_golden(const std::string& name, std::size_t min_rows, const std::string& header,
                  const std::function<std::vector<std::string>(const std::string&)>& compute) {
  const std::string path = golden_path(name);
  auto rows = read_tsv(path);
  REQUIRE(rows.size() >= min_rows);
  std::ostringstream updated;
  updated << header;
  for (const auto& r : rows) {
    REQUIRE(!r.empty());
    const auto got = compute(r[0]);
    if (updating()) {
      updated << r[0];
      for (const auto& c : got) updated << '\t' << c;
      updated << '\n';
      continue;
    }
    REQUIRE(r.size() == got.size() + 1);
    CAPTURE(r[0]);
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      CHECK(got[i] == r[i + 1]);
    }
  }
  if (updating()) std::ofstream(path, std::ios::binary) << updated.str();
}

}  // namespace

TEST_CASE("golden message templates and ids are stable") {
  fp::Engine engine;
  check_golden("fingerprint_messages.tsv", 20,
               "# input\\ttemplate\\tid -- regenerate: SELFHEAL_UPDATE_GOLDEN=1 (and bump algorithm_version "
               "if ids moved on purpose)\n",
               [&](const std::string& input) {
                 auto f = engine.compute(unescape(input));
                 return std::vector<std::string>{f.template_text, f.id};
               });
}

TEST_CASE("golden trace ids are stable for every language fixture") {
  fp::Engine engine;
  check_golden("fingerprint_traces.tsv", 8,
               "# fixture\\texception_type\\ttemplate\\tid -- regenerate: SELFHEAL_UPDATE_GOLDEN=1\n",
               [&](const std::string& fixture) {
                 auto f = engine.compute(fp::test::fixture(fixture));
                 return std::vector<std::string>{f.exception_type, f.template_text, f.id};
               });
}
