// Issue 6 end to end: the public Loghub-2k logs pushed through Loki push, ranked through the API and
// `selfheal top`; bad input to every endpoint gets a 4xx JSON error.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <nlohmann/json.hpp>

#include "tests/support/support.hpp"

using namespace selfheal;
using nlohmann::json;

namespace {
const char* logs[] = {"BGL", "HDFS", "Hadoop", "HealthApp", "Mac", "OpenSSH", "Spark", "Zookeeper"};

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

json all_fingerprints(const std::string& base) {
  json all = json::array();
  std::string cursor;
  do {
    auto r = test::http_get(base, "/api/v1/fingerprints?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    auto j = json::parse(r.body);
    for (auto& f : j["fingerprints"]) all.push_back(f);
    cursor = j["next_cursor"].is_null() ? "" : j["next_cursor"].get<std::string>();
  } while (!cursor.empty());
  return all;
}
/// The value of an unlabelled series on /metrics; -1 when absent.
double metric_value(test::ServeProcess& serve, const std::string& name) {
  std::istringstream in(test::http_get(serve.base_url(), "/metrics").body);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  return -1;
}
}  // namespace

TEST_CASE("the eight Loghub logs pushed through Loki push are listed ranked, summing to every line") {
  test::TempDir dir;
  // Pure ids here (learned merges would regroup between the API listing and `selfheal top`); the
  // learner has its own test below.
  test::ServeProcess serve(dir.file("data"), {}, {{"SELFHEAL_FINGERPRINT_LEARN_INTERVAL_MS", "0"}});
  std::int64_t pushed = 0;
  std::int64_t ts = 1'795'464'000'000'000'000LL;
  for (const char* name : logs) {
    auto lines = read_lines(std::string(SELFHEAL_SHARED_DIR) + "/data/loghub-2k/" + name + "/" + name + "_2k.log");
    REQUIRE(lines.size() == 2000);
    json values = json::array();
    for (const auto& l : lines) values.push_back({std::to_string(ts++), l});
    json body = {{"streams", {{{"stream", {{"service", name}, {"level", "error"}}}, {"values", values}}}}};
    auto r = test::http_post(serve.base_url(), "/loki/api/v1/push", body.dump());
    REQUIRE_MESSAGE(r.status == 204, r.body);
    pushed += static_cast<std::int64_t>(lines.size());
  }
  CHECK(pushed == 16000);
  auto stats = json::parse(test::http_get(serve.base_url(), "/api/v1/stats").body);
  CHECK(stats["totals"]["lines"] == 16000);
  auto all = all_fingerprints(serve.base_url());
  std::int64_t sum = 0, prev = INT64_MAX;
  std::set<std::string> ids;
  for (const auto& f : all) {
    for (const char* key : {"id", "template", "count", "first_seen", "last_seen", "status", "severity", "services"})
      CHECK_MESSAGE(f.contains(key), key);
    const auto c = f["count"].get<std::int64_t>();
    CHECK(c <= prev);  // ranked by count
    prev = c;
    sum += c;
    CHECK(ids.insert(f["id"].get<std::string>()).second);
    CHECK(f["first_seen"].get<std::string>().back() == 'Z');
  }
  CHECK_MESSAGE(sum == 16000, "fingerprint counts must sum to the lines pushed");
  MESSAGE("distinct fingerprints for 16,000 Loghub lines: " << all.size());
  // The corrected ground truth of these eight logs has 776 templates. Pure ids (no learning) split
  // some of them by values the scanner cannot mask, so fewer groups than the truth means distinct
  // events were merged; the ceiling catches ids that stopped masking values (16,000 would be none).
  CHECK(all.size() >= 776);
  CHECK(all.size() <= 1200u);

  // `selfheal top` shows the same ranking as the API.
  auto top = test::run({test::selfheal_binary(), "top", "--server", serve.base_url(), "--json", "-n", "40"});
  REQUIRE(top.exit_code == 0);
  auto tj = json::parse(top.out);
  REQUIRE(tj["fingerprints"].size() == 40);
  for (std::size_t i = 0; i < 40; ++i) CHECK(tj["fingerprints"][i]["id"] == all[i]["id"]);
  auto table = test::run({test::selfheal_binary(), "top", "--server", serve.base_url(), "-n", "5"});
  CHECK(table.exit_code == 0);
  CHECK(table.out.find(all[0]["id"].get<std::string>()) != std::string::npos);

  // Detail, lifecycle over the CLI and the API, and the same ranking read offline after stopping.
  const std::string first = all[0]["id"];
  auto show = test::run({test::selfheal_binary(), "show", first, "--server", serve.base_url()});
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("last hour:") != std::string::npos);
  auto resolve = test::run({test::selfheal_binary(), "resolve", first, "--server", serve.base_url()});
  CHECK(resolve.exit_code == 0);
  auto d = json::parse(test::http_get(serve.base_url(), "/api/v1/fingerprints/" + first).body);
  CHECK(d["status"] == "resolved");
  CHECK(d["series"].size() == 60);
  CHECK(d.contains("samples"));
  CHECK(d.contains("values"));
  REQUIRE(serve.stop() == 0);
  auto offline = test::run({test::selfheal_binary(), "top", "--all", "--data-dir", dir.file("data"), "--json", "-n", "10"});
  REQUIRE_MESSAGE(offline.exit_code == 0, offline.err);
  auto oj = json::parse(offline.out);
  for (std::size_t i = 1; i < 10; ++i) CHECK(oj["fingerprints"][i]["id"] == all[i]["id"]);
}

TEST_CASE("bad input to every fingerprint endpoint gets a 4xx JSON error") {
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"));
  const std::string huge_q(5000, 'x');
  const std::vector<std::string> gets = {
      "/api/v1/fingerprints?limit=0",           "/api/v1/fingerprints?limit=abc",
      "/api/v1/fingerprints?limit=100000",      "/api/v1/fingerprints?cursor=garbage",
      "/api/v1/fingerprints?cursor=c.1.%27or%201=1", "/api/v1/fingerprints?sort=loudest",
      "/api/v1/fingerprints?status=angry",      "/api/v1/fingerprints?severity=meh",
      "/api/v1/fingerprints?since=last-tuesday", "/api/v1/fingerprints?q=" + huge_q,
      "/api/v1/fingerprints?colour=red",        "/api/v1/fingerprints?limit=1&limit=2",
      "/api/v1/fingerprints/not%20an%20id",     "/api/v1/fingerprints/0123456789abcdef",
      "/api/v1/fingerprints/" + std::string(100, 'a'), "/api/v1/audit?cursor=-5",
      "/api/v1/nothing-here",
  };
  for (const auto& path : gets) {
    CAPTURE(path);
    auto r = test::http_get(serve.base_url(), path);
    CHECK(r.status >= 400);
    CHECK(r.status < 500);
    auto j = json::parse(r.body, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    CHECK(j.contains("error"));
  }
  struct Post {
    std::string path, body;
  };
  const std::vector<Post> posts = {
      {"/api/v1/fingerprints/0123456789abcdef/resolve", ""},               // unknown id
      {"/api/v1/fingerprints/bad%20id/resolve", ""},                       // bad id
      {"/api/v1/fingerprints/0123456789abcdef/explode", ""},               // unknown action
      {"/api/v1/fingerprints/0123456789abcdef/ignore", "{not json"},       // bad JSON
      {"/api/v1/fingerprints/0123456789abcdef/ignore", "[1,2]"},           // not an object
      {"/api/v1/fingerprints/0123456789abcdef/ignore", R"({"for":"soon"})"},
      {"/api/v1/fingerprints/0123456789abcdef/ignore", R"({"more_events":-3})"},
      {"/api/v1/fingerprints/0123456789abcdef/ignore", R"({"volume":11})"},
      {"/api/v1/fingerprints/0123456789abcdef/merge", R"({})"},
      {"/api/v1/fingerprints/0123456789abcdef/merge", R"({"into":"x y"})"},
      {"/api/v1/fingerprints/0123456789abcdef/unmerge", ""},
  };
  for (const auto& p : posts) {
    CAPTURE(p.path);
    CAPTURE(p.body);
    auto r = test::http_post(serve.base_url(), p.path, p.body);
    CHECK(r.status >= 400);
    CHECK(r.status < 500);
    auto j = json::parse(r.body, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    CHECK(j.contains("error"));
  }
}

TEST_CASE("write endpoints need the token when one is configured") {
  test::TempDir dir;
  auto cfg = dir.file("c.yaml");
  test::write_file(cfg, "api:\n  token_env: SELFHEAL_IT_TOKEN\n");
  test::ServeProcess serve(dir.file("data"), cfg, {{"SELFHEAL_IT_TOKEN", "t0ken"}});
  auto no = test::http_post(serve.base_url(), "/api/v1/fingerprints/0123456789abcdef/resolve", "");
  CHECK(no.status == 401);
  auto wrong = test::http_post(serve.base_url(), "/api/v1/fingerprints/0123456789abcdef/resolve", "", "application/json",
                               {{"Authorization", "Bearer nope"}});
  CHECK(wrong.status == 401);
  auto right = test::http_post(serve.base_url(), "/api/v1/fingerprints/0123456789abcdef/resolve", "", "application/json",
                               {{"Authorization", "Bearer t0ken"}});
  CHECK(right.status == 404);  // authorised; the id is unknown
  // With a token configured reads need it too (issue 15); probes stay open.
  CHECK(test::http_get(serve.base_url(), "/api/v1/fingerprints").status == 401);
  CHECK(test::http_get(serve.base_url(), "/api/v1/fingerprints", {{"Authorization", "Bearer t0ken"}}).status == 200);
  CHECK(test::http_get(serve.base_url(), "/healthz").status == 200);
}

TEST_CASE("serve learns template merges: OpenSSH's 179 pure ids become a few dozen groups, counts conserved, a person's unmerge sticks") {
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"), {}, {{"SELFHEAL_FINGERPRINT_LEARN_INTERVAL_MS", "200"}});
  auto lines = read_lines(std::string(SELFHEAL_SHARED_DIR) + "/data/loghub-2k/OpenSSH/OpenSSH_2k.log");
  REQUIRE(lines.size() == 2000);
  json values = json::array();
  std::int64_t ts = 1'795'464'000'000'000'000LL;
  for (const auto& l : lines) values.push_back({std::to_string(ts++), l});
  json body = {{"streams", {{{"stream", {{"service", "sshd"}, {"level", "error"}}}, {"values", values}}}}};
  REQUIRE(test::http_post(serve.base_url(), "/loki/api/v1/push", body.dump()).status == 204);
  json all;
  REQUIRE(test::wait_until([&] {
    all = all_fingerprints(serve.base_url());
    return all.size() <= 40;
  }, std::chrono::seconds(20)));
  std::int64_t sum = 0;
  std::string learned_target;
  for (const auto& f : all) {
    sum += f["count"].get<std::int64_t>();
    if (f["own_count"] == 0 && learned_target.empty()) learned_target = f["id"];
  }
  MESSAGE("OpenSSH 2k after learning: " << all.size() << " groups");
  CHECK(sum == 2000);  // merging regroups, never loses or double-counts
  REQUIRE(!learned_target.empty());
  // Every id that joined a learned group was counted by the metric (its value, not only its name).
  auto detail = json::parse(test::http_get(serve.base_url(), "/api/v1/fingerprints/" + learned_target).body);
  REQUIRE(detail["merged_from"].size() >= 2);
  CHECK(metric_value(serve, "selfheal_fingerprint_learned_merges_total") >=
        static_cast<double>(detail["merged_from"].size()));
  CHECK(metric_value(serve, "selfheal_fingerprint_learned_merges_total") <= 2000);
  // A person unmerges one child: later learning rounds leave it apart. Wait for rounds that finished
  // after the unmerge (counted), then check, so the negative is observed after learning had its chance.
  const std::string child = detail["merged_from"][0];
  auto r = test::http_post(serve.base_url(), "/api/v1/fingerprints/" + child + "/unmerge", "{}");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  const auto rounds = metric_value(serve, "selfheal_fingerprint_learner_rounds_total");
  REQUIRE(test::wait_until(
      [&] { return metric_value(serve, "selfheal_fingerprint_learner_rounds_total") >= rounds + 3; },
      std::chrono::seconds(20)));
  auto again = json::parse(test::http_get(serve.base_url(), "/api/v1/fingerprints/" + child).body);
  REQUIRE(again.contains("id"));  // the child is there, and on its own
  CHECK(!again.contains("merged_into"));
  CHECK(serve.stop() == 0);
}
