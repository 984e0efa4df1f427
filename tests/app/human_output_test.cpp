// Issue 19 defects 1 and 7: the `top` table and the `show` detail, from fixed API answers. The table
// must fit 80, 120 and 200 columns (golden files tests/golden/top_*.txt; SELFHEAL_UPDATE_GOLDEN=1
// rewrites them), never cut a number, align non-ASCII templates, and carry no trailing blanks. The
// same renderer runs in the real binary under a pty in tests/integration/cli_triage_test.cpp.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/human_output.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using nlohmann::json;

namespace {
json fp(const std::string& id, std::int64_t count, double rate, const std::string& sev, const std::string& tmpl,
        json services = json::array({{{"name", "api"}, {"count", 1}}})) {
  return {{"id", id},           {"count", count},        {"rate_per_min", rate}, {"severity", sev},
          {"status", "unresolved"}, {"template", tmpl},  {"services", services}, {"is_new", true},
          {"regressed", false}, {"escalating", rate > 1000}, {"forecast", nullptr}};
}

json sample_list() {
  json list = {{"fingerprints", json::array()}, {"next_cursor", nullptr}};
  auto& a = list["fingerprints"];
  a.push_back(fp("9f2c4e1a7b3d5f60", 8'000'000'123, 133200.4, "critical",
                 "payment <*> failed after <*> retries: upstream connect error or disconnect/reset before headers"));
  a.push_back(fp("0a1b2c3d4e5f6071", 1'234'567, 1.25e9, "error", "Zahlung für Kunde <*> fehlgeschlagen: Währung ungültig"));
  a.push_back(fp("1122334455667788", 999'999, 99.96, "warning", "支付失败：用户 <*> 余额不足，请稍后重试 订单 <*> 已取消"));
  a.push_back(fp("aabbccddeeff0011", 42, 0.04, "info", "ошибка соединения с базой данных <*>",
                 json::array({{{"name", "billing"}, {"count", 3}}, {{"name", "checkout-frontend"}, {"count", 2}}})));
  a.push_back(fp("ffeeddccbbaa9988", 7, 0, "error", "e\u0301te\u0301 cafe\u0301 \U0001F525 hot path <*> \x1b[31m red"));
  a.back()["forecast"] = {{"above_threshold", true}, {"threshold_per_min", 100}};
  a.back()["regressed"] = true;
  return list;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}
}  // namespace

TEST_CASE("issue 19 defect 1: top fits 80, 120 and 200 columns (golden), numbers whole, non-ASCII aligned") {
  for (int width : {80, 120, 200}) {
    CAPTURE(width);
    const std::string out = app::render_top(sample_list(), width, false, "database /data/selfheal.db", "(none)");
    const std::string golden = std::string(SELFHEAL_SOURCE_DIR) + "/tests/golden/top_" + std::to_string(width) + ".txt";
    if (std::getenv("SELFHEAL_UPDATE_GOLDEN")) test::write_file(golden, out);
    CHECK(out == test::read_file(golden));
    const auto lines = lines_of(out);
    REQUIRE(lines.size() == 8);  // header, 5 rows, legend, source
    std::size_t template_col = lines[0].find("TEMPLATE");
    for (const auto& l : lines) {
      CAPTURE(l);
      CHECK(app::display_width(l) <= static_cast<std::size_t>(width));
      CHECK(l.back() != ' ');
    }
    // Every template starts in the same terminal column, whatever the bytes before it.
    for (std::size_t i = 1; i <= 5; ++i) {
      // The prefix before the template is ASCII: its width is its length.
      CHECK(app::display_width(lines[i].substr(0, template_col)) == template_col);
    }
    CHECK(out.find("133200") != std::string::npos);  // was cut to 133200~ (issue 19)
    CHECK(out.find("1.25G") != std::string::npos);
    CHECK(out.find("8.00G") != std::string::npos);
    CHECK(out.find("~") == std::string::npos);
    CHECK(out.find('\x1b') == std::string::npos);  // no colour and no raw escape off a tty
  }
}

TEST_CASE("on a tty the severity is coloured but the columns stay where they are") {
  const std::string plain = app::render_top(sample_list(), 80, false, "", "");
  std::string tty = app::render_top(sample_list(), 80, true, "", "");
  CHECK(tty.find("\033[1;31m") != std::string::npos);
  std::string stripped;
  for (std::size_t i = 0; i < tty.size(); ++i) {
    if (tty[i] == '\033') {
      i = tty.find('m', i);
      continue;
    }
    stripped += tty[i];
  }
  CHECK(stripped == plain);
}

TEST_CASE("display width, clipping and compact numbers") {
  CHECK(app::display_width("abc") == 3);
  CHECK(app::display_width("für") == 3);
  CHECK(app::display_width("支付") == 4);
  CHECK(app::display_width("e\u0301") == 1);
  CHECK(app::clip("支付失败", 5) == "支付…");
  CHECK(app::display_width(app::clip("支付失败", 5)) <= 5);
  CHECK(app::clip("abc", 3) == "abc");
  CHECK(app::clip("abcd", 3) == "ab…");
  CHECK(app::compact_count(999'999) == "999999");
  CHECK(app::compact_count(1'000'000) == "1.00M");
  CHECK(app::compact_count(123'456'789) == "123M");
  CHECK(app::compact_rate(0.04) == "0.0");
  CHECK(app::compact_rate(12.34) == "12.3");
  CHECK(app::compact_rate(133200.4) == "133200");
  CHECK(app::compact_rate(2.5e6) == "2.50M");
}

TEST_CASE("issue 19 defect 7: show prints the explanation, hosts, merge, honest samples and counts, readable history") {
  json d = {{"id", "abc"},
            {"severity", "error"},
            {"status", "ignored"},
            {"template", "db <*> down"},
            {"count", 10},
            {"own_count", 4},
            {"rate_per_min", 1.5},
            {"baseline_per_min", 0.0},
            {"first_seen", "2026-12-04T14:00:00.000Z"},
            {"last_seen", "2026-12-04T14:05:07.250Z"},
            {"merged_into", "def"},
            {"services", json::array({{{"name", "api"}, {"count", 10}}})},
            {"hosts", json::array({{{"name", "web-1"}, {"count", 6}}, {{"name", "web-2"}, {"count", 4}}})},
            {"explain", {{"kind", "message"}, {"masks", json::array({"number", "ipv4", "number"})}}},
            {"values", json::array({{{"position", 0}, {"estimate", false}, {"distinct_estimate", 2},
                                     {"top", json::array({{{"value", "a"}, {"count", 3}}})}},
                                    {{"position", 1}, {"estimate", true}, {"distinct_estimate", 5000},
                                     {"top", json::array({{{"value", "167444"}, {"count", 12344}}})}}})},
            {"samples", json::array({{{"kind", "first"}, {"ts", "2026-12-04T14:00:00.000Z"}, {"message", "db 1 down"}},
                                     {{"kind", "recent"}, {"ts", "2026-12-04T14:05:07.250Z"}, {"message", "db 2 down"}},
                                     {{"kind", "reservoir"}, {"ts", "2026-12-04T14:03:00.000Z"}, {"message", "db 3 down"}}})}};
  json audit = json::array({{{"ts", "2026-12-04T14:06:00.000Z"}, {"actor", "cli:alice"}, {"action", "ignore"},
                             {"detail", "until_ms=1796398200000 more_events=0 rate_per_min=0"}}});
  const std::string out = app::render_detail(d, audit, false);
  CAPTURE(out);
  CHECK(out.find("merged into def") != std::string::npos);
  CHECK(out.find("hosts:      web-1 (6), web-2 (4)") != std::string::npos);
  CHECK(out.find("grouped as: message; variables masked: ipv4 number×2") != std::string::npos);
  CHECK(out.find("4 own") != std::string::npos);
  CHECK(out.find("<*>#0 (2 distinct): a×3") != std::string::npos);
  CHECK(out.find("<*>#1 (~5000 distinct, estimated): 167444 ≤12344") != std::string::npos);
  CHECK(out.find("167444×12344") == std::string::npos);
  CHECK(out.find("sample (first seen) 2026-12-04 14:00:00 UTC") != std::string::npos);
  CHECK(out.find("sample (recent) 2026-12-04 14:05:07 UTC") != std::string::npos);
  CHECK(out.find("sample (first seen) 2026-12-04 14:00:00 UTC: db 1 down") != std::string::npos);
  CHECK(out.find("sample (random)") != std::string::npos);
  CHECK(out.find("ignore by cli:alice (until 2026-12-04 15:30:00 UTC)") != std::string::npos);
  CHECK(out.find("until_ms") == std::string::npos);
  CHECK(out.find("more events") == std::string::npos);  // zero bounds left out
}
