// `selfheal fingerprint` end to end: the stdin/stdout contract of the two scorers.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fingerprint/fingerprint.hpp"
#include "tests/fingerprint/test_data.hpp"
#include "tests/support/support.hpp"

namespace fp = selfheal::fingerprint;
namespace st = selfheal::test;

namespace {
std::string cli() {
  if (const char* p = std::getenv("SELFHEAL_FINGERPRINT_CLI")) return p;  // a stand-in binary
  return st::selfheal_binary();
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

std::vector<std::string> field(const std::vector<std::string>& rows, int k) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    std::size_t start = 0;
    for (int i = 0; i < k; ++i) start = r.find('\t', start) + 1;
    out.push_back(r.substr(start, r.find('\t', start) - start));
  }
  return out;
}
}  // namespace

TEST_CASE("one output line per input line, in order, whatever the bytes") {
  std::string big(1 << 20, 'x');
  big[10] = ' ';
  std::string input = "Failed password for root from 1.2.3.4 port 22 ssh2\n"
                      "\n" +
                      std::string("nul\0byte 7\n", 11) + "caf\xc3 \xff 9\r\n" + big + "\n" +
                      "Failed password for admin from 5.6.7.8 port 2222 ssh2";  // no final newline
  auto r = st::run({cli(), "fingerprint"}, input);
  REQUIRE(r.exit_code == 0);
  auto rows = lines_of(r.out);
  REQUIRE(rows.size() == 6);
  auto ids = field(rows, 0);
  for (const auto& id : ids) CHECK(id.size() == 16);
  CHECK(ids[0] != ids[5]);  // "root" vs "admin": too few distinct values to learn a merge
  CHECK(field(rows, 1)[0] == "Failed password for root from <*> port <*>");
  CHECK(field(rows, 1)[2] == "nul byte <*>");
}

TEST_CASE("--no-learn prints the engine's pure ids") {
  const std::vector<std::string> msgs = {"disk 91% full on /dev/sda1", "user bob logged in", "x=1 y=2"};
  std::string input;
  for (const auto& m : msgs) input += m + "\n";
  auto r = st::run({cli(), "fingerprint", "--no-learn"}, input);
  REQUIRE(r.exit_code == 0);
  auto ids = field(lines_of(r.out), 0);
  fp::Engine engine;
  REQUIRE(ids.size() == msgs.size());
  for (std::size_t i = 0; i < msgs.size(); ++i) CHECK(ids[i] == engine.compute(msgs[i]).id);
}

TEST_CASE("learned merges do not depend on input order") {
  std::vector<std::string> msgs;
  for (const char* u : {"ann", "bob", "cy", "dee", "eve", "fay", "gus"}) {
    msgs.push_back(std::string("Invalid user ") + u + " from 10.0.0." + std::to_string(msgs.size()));
    msgs.push_back("Connection closed by 10.1.1." + std::to_string(msgs.size()));
  }
  auto run = [](const std::vector<std::string>& in) {
    std::string s;
    for (const auto& m : in) s += m + "\n";
    auto r = st::run({cli(), "fingerprint"}, s);
    REQUIRE(r.exit_code == 0);
    std::map<std::string, std::string> by_msg;
    auto rows = lines_of(r.out);
    REQUIRE(rows.size() == in.size());
    for (std::size_t i = 0; i < in.size(); ++i) by_msg[in[i]] = rows[i];
    return by_msg;
  };
  auto base = run(msgs);
  CHECK(base[msgs[0]].find("Invalid user <*> from <*>") != std::string::npos);
  std::mt19937 rng(3);
  for (int i = 0; i < 3; ++i) {
    auto shuffled = msgs;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    CHECK(run(shuffled) == base);
  }
}

TEST_CASE("--multiline prints one line per event; the header line does not change the id") {
  const std::string trace = fp::test::fixture("traces/java_caused_by.txt");
  std::string input = "2024-01-01T00:00:00.000Z ERROR [main] app - unhandled exception\n" + trace + "\n" +
                      "2024-01-01T00:00:01.000Z ERROR [worker-7] svc - request failed\n" + trace + "\n" +
                      "2024-01-01T00:00:02.000Z INFO [main] app - started in 12 ms\n";
  auto r = st::run({cli(), "fingerprint", "--multiline"}, input);
  REQUIRE(r.exit_code == 0);
  auto rows = lines_of(r.out);
  REQUIRE(rows.size() == 3);
  auto ids = field(rows, 0);
  CHECK(ids[0] == ids[1]);
  CHECK(ids[0] != ids[2]);
  CHECK(field(rows, 1)[2] == "started in <*>");
}

TEST_CASE("--explain adds the components as JSON in a third column") {
  auto r = st::run({cli(), "fingerprint", "--explain"}, "disk 91% full\n");
  REQUIRE(r.exit_code == 0);
  auto rows = lines_of(r.out);
  REQUIRE(rows.size() == 1);
  auto j = nlohmann::json::parse(field(rows, 2)[0]);
  CHECK(j["id"] == field(rows, 0)[0]);
  CHECK(j["kind"] == "message");
}
