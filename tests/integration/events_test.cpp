// Issue 12 end to end, against a real `selfheal serve`: events as shippers send them. Header-less
// lines (what Kubernetes shippers leave) stay one event each, the reproduction gives six events and
// one id for both errors, and errors logged with their stack by pino (pino-loki) and winston (JSON,
// winston-loki) group by exception type + app frame.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/support/csv.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json stats(const std::string& base) {
  auto r = test::http_get(base, "/api/v1/stats");
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

json fingerprints(const std::string& base, const std::string& service) {
  auto r = test::http_get(base, "/api/v1/fingerprints?limit=1000&service=" + service);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return json::parse(r.body)["fingerprints"];
}

std::string node_modules() { return std::string(SELFHEAL_SOURCE_DIR) + "/tests/npm/node_modules"; }

}  // namespace

TEST_CASE("public logs pushed header-less through /loki/api/v1/push: events = lines, exactly") {
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"), {}, {{"SELFHEAL_FINGERPRINT_LEARN_INTERVAL_MS", "0"}});
  std::map<std::string, std::int64_t> sent;
  std::int64_t ts = 1'795'464'000'000'000'000LL;
  for (const char* set : {"loghub-2k", "wild"}) {
    const std::filesystem::path root = std::filesystem::path(SELFHEAL_SHARED_DIR) / "data" / set;
    REQUIRE(std::filesystem::is_directory(root));
    for (const auto& d : std::filesystem::directory_iterator(root)) {
      if (!d.is_directory()) continue;
      const std::string name = d.path().filename().string();
      const auto csv = d.path() / (name + "_2k.log_structured_corrected.csv");
      if (!std::filesystem::exists(csv)) continue;
      const auto content = test::csv_column(csv.string(), "Content");
      REQUIRE(content.has_value());
      const auto& lines = *content;
      REQUIRE(lines.size() == 2000);
      // One stream per log, in requests of 500 entries, one entry per line (Promtail's shape).
      for (std::size_t from = 0; from < lines.size(); from += 500) {
        json values = json::array();
        for (std::size_t i = from; i < std::min(lines.size(), from + 500); ++i)
          values.push_back({std::to_string(ts++), lines[i]});
        json body = {{"streams", {{{"stream", {{"service", name}}}, {"values", values}}}}};
        auto r = test::http_post(serve.base_url(), "/loki/api/v1/push", body.dump());
        REQUIRE_MESSAGE(r.status == 204, r.body);
      }
      sent[name] = static_cast<std::int64_t>(lines.size());
    }
  }
  REQUIRE(sent.size() == 16);
  const json st = stats(serve.base_url());  // a local: range-for over a temporary's member dangles
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> got;  // service -> (lines, events)
  for (const auto& row : st["by_source_service"]) {
    auto& g = got[row["service"].get<std::string>()];
    g.first += row["lines"].get<std::int64_t>();
    g.second += row["events"].get<std::int64_t>();
  }
  std::int64_t lines_total = 0, events_total = 0;
  for (const auto& row_ : sent) {
    const auto& name = std::get<0>(row_);  // no structured binding: clang 14 cannot capture one
    const auto& n = std::get<1>(row_);
    CAPTURE(name);
    MESSAGE(name << ": " << n << " lines pushed, " << got[name].second << " events");
    CHECK(got[name].first == n);
    CHECK(got[name].second == n);
    lines_total += got[name].first;
    events_total += got[name].second;
  }
  MESSAGE("all: " << lines_total << " lines, " << events_total << " events");
  CHECK(events_total == 32000);
  CHECK(serve.stop() == 0);
}

TEST_CASE("the reproduction through Loki push: six events, both errors one id") {
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"), {}, {{"SELFHEAL_FINGERPRINT_LEARN_INTERVAL_MS", "0"}});
  const char* lines[] = {"Error: connect ECONNREFUSED 127.0.0.1:5432", "GET /health 200 3ms", "user alice logged in",
                         "GET /api/users 500 12ms", "Error: connect ECONNREFUSED 127.0.0.1:5432",
                         "worker 3 finished job 17"};
  json values = json::array();
  std::int64_t ts = 1'795'464'000'000'000'000LL;
  for (const char* l : lines) values.push_back({std::to_string(ts++), l});
  json body = {{"streams", {{{"stream", {{"service", "repro"}, {"level", "error"}}}, {"values", values}}}}};
  auto r = test::http_post(serve.base_url(), "/loki/api/v1/push", body.dump());
  REQUIRE_MESSAGE(r.status == 204, r.body);
  std::int64_t events = 0;
  const json st = stats(serve.base_url());  // a local: range-for over a temporary's member dangles
  for (const auto& row : st["by_source_service"])
    if (row["service"] == "repro") events += row["events"].get<std::int64_t>();
  CHECK(events == 6);
  bool found = false;
  const json fps = fingerprints(serve.base_url(), "repro");
  for (const auto& f : fps) {
    if (f["template"].get<std::string>().rfind("Error: connect ECONNREFUSED", 0) != 0) continue;
    CHECK_FALSE(found);  // one id only
    found = true;
    CHECK(f["count"] == 2);
  }
  CHECK(found);
  CHECK(serve.stop() == 0);
}

TEST_CASE("pino (pino-loki) and winston JSON (winston-loki) errors with a stack group by exception type + app frame") {
  REQUIRE_MESSAGE(std::filesystem::exists(node_modules() + "/pino-loki"),
                  "run scripts/install-deps.sh (npm install in tests/npm) first");
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"), {}, {{"SELFHEAL_FINGERPRINT_LEARN_INTERVAL_MS", "0"}});
  const std::string npm = std::string(SELFHEAL_SOURCE_DIR) + "/tests/npm/";
  auto p = test::run({"/usr/bin/env", "node", npm + "push_errors.js", serve.base_url(), "7"}, {}, {}, 120s);
  REQUIRE_MESSAGE(p.exit_code == 0, p.out << p.err);
  // The same bug (TypeError in app/payment.js charge) from both loggers: one id, 14 events; the
  // other bug (TypeError in app/ledger.js) keeps its own.
  std::map<std::string, json> by_id;
  for (const char* svc : {"errors-pino", "errors-winston"})
    for (const auto& f : fingerprints(serve.base_url(), svc)) by_id[f["id"].get<std::string>()] = f;
  REQUIRE(by_id.size() == 2);
  std::vector<std::int64_t> counts;
  for (const auto& [id, f] : by_id) {
    CHECK(f["exception_type"] == "TypeError");
    counts.push_back(f["count"].get<std::int64_t>());
    if (f["count"] == 14) CHECK(f["services"].size() == 2);
  }
  std::sort(counts.begin(), counts.end());
  CHECK(counts == std::vector<std::int64_t>{1, 14});
  CHECK(serve.stop() == 0);
}
