// Engine-level contract: id format, what is (not) hashed, order and restart independence.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "fingerprint/fingerprint.hpp"
#include "fingerprint/normalize.hpp"
#include "tests/fingerprint/test_data.hpp"

namespace fp = selfheal::fingerprint;
using fp::test::fixture;

namespace {
bool is_hex16(const std::string& id) {
  return id.size() == 16 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

const std::vector<std::string>& sample_events() {
  static const std::vector<std::string> events = [] {
    std::vector<std::string> e = {
        "Failed password for root from 5.36.59.76 port 42393 ssh2",
        "Failed password for admin from 10.0.0.1 port 22 ssh2",
        "Received block blk_-4411589101766563890 of size 67108864 from /10.250.14.38",
        "2024-01-01T00:00:00.000Z ERROR [main] app - disk /dev/sda1 is 91% full",
        "",
        std::string("nul\0inside 12", 13),
        "caf\xc3 invalid \xff utf8 99",
    };
    for (const char* f : {"traces/java_caused_by.txt", "traces/python_chained.txt", "traces/go_panic.txt",
                          "traces/node_type_error.txt", "traces/dotnet_inner.txt", "traces/ruby34.txt",
                          "traces/php_uncaught.txt"})
      e.push_back(fixture(f));
    return e;
  }();
  return events;
}
// Feeds `lines` (each twice when `twice`) in 20 shuffled orders to one engine made with `opts`: every
// result equals what a fresh default engine gives that line alone (values too when opts keeps them).
void check_any_order(const std::vector<std::string>& lines, unsigned seed, const fp::Options& opts, bool twice) {
  std::map<std::string, fp::Fingerprint> alone;
  for (const auto& l : lines) alone[l] = fp::Engine{}.compute(l);
  std::mt19937 rng(seed);
  for (int round = 0; round < 20; ++round) {
    auto order = lines;
    if (twice) order.insert(order.end(), lines.begin(), lines.end());  // every line again: cache hits
    std::shuffle(order.begin(), order.end(), rng);
    fp::Engine engine(opts);
    fp::Fingerprint f;
    for (const auto& l : order) {
      engine.compute_into(l, f);
      CAPTURE(l);
      CHECK(f.id == alone[l].id);
      CHECK(f.template_text == alone[l].template_text);
      if (opts.keep_values) CHECK(f.values == alone[l].values);
    }
  }
}
}  // namespace

TEST_CASE("ids are 16 lowercase hex chars, and equal events get equal ids") {
  fp::Engine engine;
  for (const auto& e : sample_events()) {
    auto a = engine.compute(e);
    auto b = engine.compute(e);
    CHECK(is_hex16(a.id));
    CHECK(a.id == b.id);
    CHECK(a.template_text == b.template_text);
  }
}

TEST_CASE("ids do not depend on input order, on the engine instance or on a restart") {
  std::map<std::string, std::string> first;
  {
    fp::Engine engine;
    for (const auto& e : sample_events()) first[e] = engine.compute(e).id;
  }
  std::mt19937 rng(42);
  for (int round = 0; round < 5; ++round) {
    auto events = sample_events();
    std::shuffle(events.begin(), events.end(), rng);
    fp::Engine fresh;  // a new instance stands for a restarted process: no state carries over
    for (const auto& e : events) CHECK(fresh.compute(e).id == first[e]);
  }
}

TEST_CASE("the recent-message cache gives exactly what a fresh engine gives, in any order") {
  // The same text can be a whole line and, elsewhere, the message after a header; they differ.
  const std::vector<std::string> lines = {
      "2024-01-01 10:00:00 2024-01-01 10:00:00 disk sda1 full",
      "2024-01-01 10:00:00 disk sda1 full",
      "disk sda1 full",
      "2024-01-01 10:00:05 disk sda1 full",
      "{\"msg\":\"payment failed\",\"user\":\"u1\"}",
      "2024-01-01 10:00:06 {\"msg\":\"payment failed\",\"user\":\"u1\"}",
      "Failed password for root from 5.36.59.76 port 42393 ssh2",
  };
  check_any_order(lines, 7, fp::Options{}, true);
}

TEST_CASE("the log header before an event does not influence its id") {
  fp::Engine engine;
  const std::string trace = fixture("traces/java_caused_by.txt");
  auto bare = engine.compute(trace);
  auto h1 = engine.compute("2024-01-01T00:00:00.000Z ERROR [main] app - unhandled exception\n" + trace);
  auto h2 = engine.compute("2025-06-30 23:59:59,999 WARN [pool-3] c.a.Worker: request failed\n" + trace);
  CHECK(h1.id == bare.id);
  CHECK(h2.id == bare.id);
  auto m1 = engine.compute("2024-01-01T00:00:00.000Z ERROR [main] app - disk /dev/sda1 is 91% full");
  auto m2 = engine.compute("2024-02-03 04:05:06 ERROR [worker-9] app - disk /dev/sdb2 is 97% full");
  auto m3 = engine.compute("disk /dev/sdc is 12% full");
  CHECK(m1.id == m2.id);
  CHECK(m1.id == m3.id);
}

TEST_CASE("line numbers are never hashed") {
  fp::Engine engine;
  const std::string trace = fixture("traces/java_caused_by.txt");
  auto a = engine.compute(trace);
  auto b = engine.compute(replace_all(replace_all(trace, "Repo.java:31", "Repo.java:3100"), ".java:88", ".java:1"));
  CHECK(a.id == b.id);
}

TEST_CASE("a trace fingerprint carries the root cause, all its frames and the app flag") {
  fp::Engine engine;
  auto f = engine.compute(fixture("traces/java_caused_by.txt"));
  CHECK(f.exception_type == "java.sql.SQLTransientConnectionException");
  CHECK(f.frames.size() == 3);
  CHECK(f.template_text.rfind("java.sql.SQLTransientConnectionException: ", 0) == 0);
  CHECK(f.template_text.find('\n') == std::string::npos);
  // different root cause type -> different id
  auto g = engine.compute(replace_all(fixture("traces/java_caused_by.txt"), "SQLTransientConnectionException",
                                      "SQLSyntaxErrorException"));
  CHECK(g.id != f.id);
  // a message with the same words is not the trace
  auto m = engine.compute("java.sql.SQLTransientConnectionException: pool-1 - Connection is not available");
  CHECK(m.id != f.id);
  CHECK(m.exception_type.empty());
}

TEST_CASE("variable values in a message do not change its id; other words do") {
  fp::Engine engine;
  CHECK(engine.compute("Failed password for root from 5.36.59.76 port 42393 ssh2").id ==
        engine.compute("Failed password for root from 10.0.0.1 port 22 ssh2").id);
  CHECK(engine.compute("Failed password for root").id != engine.compute("Accepted password for root").id);
  auto f = engine.compute("Failed password for root from 5.36.59.76 port 42393 ssh2");
  CHECK(f.template_text == "Failed password for root from <*> port <*>");  // "<*> <*>" collapses
  CHECK(f.values == std::vector<std::string>{"5.36.59.76", "42393", "ssh2"});
}

TEST_CASE("over-long events are truncated and flagged, never rejected") {
  fp::Options o;
  o.max_event_bytes = 1024;
  fp::Engine engine(o);
  auto f = engine.compute(std::string(1 << 20, 'x'));
  CHECK(f.truncated);
  CHECK(is_hex16(f.id));
  CHECK_FALSE(engine.compute("short").truncated);
}

TEST_CASE("user masks (RE2) apply before the built-in scanner; bad patterns are ignored") {
  fp::Options o;
  o.user_masks = {{"order", "ORD-[A-Z]+"}, {"broken", "(unclosed"}};
  fp::Engine engine(o);
  auto a = engine.compute("order ORD-ABC shipped");
  auto b = engine.compute("order ORD-XYZ shipped");
  CHECK(a.id == b.id);
  CHECK(a.template_text == "order <*> shipped");
}

TEST_CASE("custom ids use the same scheme in their own domain") {
  auto a = fp::custom_id("rule", "key");
  CHECK(is_hex16(a));
  CHECK(a == fp::custom_id("rule", "key"));
  CHECK(a != fp::custom_id("rule", "key2"));
  CHECK(a != fp::custom_id("rulek", "ey"));  // length-prefixed components: no ambiguity
  fp::Engine engine;
  CHECK(engine.id_for_template("key") != fp::custom_id("rule", "key"));
}

TEST_CASE("explain_json names the components that made the id") {
  fp::Engine engine;
  auto trace = fixture("traces/java_caused_by.txt");
  auto j = nlohmann::json::parse(engine.explain_json(trace));
  CHECK(j["id"] == engine.compute(trace).id);
  CHECK(j["kind"] == "trace");
  CHECK(j["algorithm_version"] == fp::algorithm_version);
  CHECK(j["line_numbers_hashed"] == false);
  REQUIRE(j["components"].size() >= 2);
  CHECK(j["components"][0] == "type:java.sql.SQLTransientConnectionException");
  bool skipped_helper = false;
  for (const auto& fr : j["frames"]) skipped_helper |= fr["why"] == "skipped: builds or raises the error";
  CHECK(skipped_helper);

  auto k = nlohmann::json::parse(engine.explain_json("from 10.0.0.1 at /var/log took 5 ms"));
  CHECK(k["masks"] == nlohmann::json::array({"ipv4", "path", "number"}));
  CHECK(k["values"].size() == k["masks"].size());

  auto m = nlohmann::json::parse(engine.explain_json("caf\xc3 disk 91% full"));  // invalid UTF-8 stays valid JSON
  CHECK(m["kind"] == "message");
  CHECK(m["template"] == "caf\xef\xbf\xbd disk <*> full");
}

TEST_CASE("the shape memo gives exactly what the scanner gives, on every line of the 16 public logs") {
  // Lines that differ only in their digits share one memo slot; the result must be the one the
  // scanner gives each line (template and id), whatever line of that shape came first.
  fp::Options with_memo;
  with_memo.keep_values = false;  // the memo serves ids and templates only (the CLI's learn mode)
  fp::Options without = with_memo;
  without.shape_memo = 0;
  fp::Engine memo(with_memo), plain(without);
  fp::Fingerprint a, b;
  std::size_t lines = 0, mismatches = 0;
  auto check = [&](std::string_view line) {
    memo.compute_into(line, a);
    plain.compute_into(line, b);
    ++lines;
    if (a.id != b.id || a.template_text != b.template_text) {
      if (++mismatches <= 5) {
        const std::string shown(line);
        CAPTURE(shown);
        CHECK(a.template_text == b.template_text);
        CHECK(a.id == b.id);
      }
    }
  };
  for (const char* set : {"loghub-2k", "wild"}) {
    const std::filesystem::path root = std::filesystem::path(SELFHEAL_SHARED_DIR) / "data" / set;
    for (const auto& dir : std::filesystem::directory_iterator(root)) {
      if (!dir.is_directory()) continue;
      const auto log = dir.path() / (dir.path().filename().string() + "_2k.log");
      std::ifstream in(log, std::ios::binary);
      REQUIRE(in);
      for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        check(line);                    // as it came, header and all
        check(fp::strip_header(line));  // the message alone
      }
    }
  }
  CHECK(lines == 2 * 16 * 2000);
  CHECK(mismatches == 0);
}

TEST_CASE("the shape memo: lines that differ in their digits only, in any order") {
  const std::vector<std::string> lines = {
      "Failed password for root from 5.36.59.76 port 42393 ssh2",
      "Failed password for root from 10.0.0.1 port 22 ssh9",
      "2024-01-01 10:00:00 disk sda1 full",
      "2024-01-01 10:00:00 disk sda9 full",
      "9999-99-99 99:99:99 disk sda1 full",
      "0000-00-00 00:00:00 disk sda1 full",
      "at 0x7f3a port 80",
      "at 0x0000 port 00",
      "user=alice id=42",
      "user=alice id=7",
      "{\"msg\":\"payment failed\",\"n\":1}",
      "{\"msg\":\"payment failed\",\"n\":01}",
  };
  fp::Options ids_only;
  ids_only.keep_values = false;
  check_any_order(lines, 11, ids_only, true);
}
