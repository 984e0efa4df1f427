// Loki push against a real `selfheal serve`: hand-built protobuf/snappy/JSON/gzip bodies, the npm
// clients winston-loki and pino-loki, malformed bodies by the thousand, dead letters and replay,
// token auth and overload (429 + Retry-After with a retrying client). Counts are read back through
// the API (/api/v1/stats, /api/v1/dead-letters) and must be exact.
#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "ingest/detail/loki_decode.hpp"
#include "tests/support/compress.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;
namespace ld = selfheal::ingest::detail;

namespace {

constexpr std::int64_t base_ns = 1'795'464'000'000'000'000LL;

ld::DecodedPush lines_push(const std::string& app, int from, int n) {
  ld::DecodedPush p;
  auto& s = p.streams.emplace_back();
  s.labels = {{"app", app}, {"env", "test"}};
  for (int i = 0; i < n; ++i)
    s.entries.push_back({base_ns + (from + i) * 1'000'000LL, "ERROR request " + std::to_string(from + i) + " failed", {}});
  return p;
}

std::string snappy_push(const std::string& app, int from, int n) {
  return ld::snappy_block_encode(ld::encode_push_protobuf(lines_push(app, from, n)));
}

std::string json_push(const std::string& app, int from, int n) {
  nlohmann::json values = nlohmann::json::array();
  for (int i = 0; i < n; ++i)
    values.push_back({std::to_string(base_ns + (from + i) * 1'000'000LL), "WARN slow call " + std::to_string(from + i)});
  return nlohmann::json{{"streams", {{{"stream", {{"app", app}}}, {"values", values}}}}}.dump();
}

struct Push {
  int status = 0;
  std::string body;
  std::string retry_after;
};

Push post(httplib::Client& cli, const std::string& path, const std::string& body, const std::string& ct,
          const std::string& encoding = {}, const httplib::Headers& extra = {}) {
  httplib::Headers h = extra;
  if (!encoding.empty()) h.emplace("Content-Encoding", encoding);
  auto r = cli.Post(path.c_str(), h, body, ct.c_str());
  if (!r) return {};
  return {r->status, r->body, r->get_header_value("Retry-After")};
}

nlohmann::json get_json(const std::string& base, const std::string& path) {
  auto r = test::http_get(base, path);
  REQUIRE_MESSAGE(r.status == 200, path << " -> " << r.status << " " << r.body);
  return nlohmann::json::parse(r.body);
}

std::int64_t lines_of(const std::string& base, const std::string& source = "loki_push") {
  const auto n = test::source_lines(base, source);
  REQUIRE(n >= 0);
  return n;
}

std::int64_t lines_of_service(const std::string& base, const std::string& service) {
  std::int64_t n = 0;
  const auto stats = get_json(base, "/api/v1/stats");
  for (const auto& row : stats["by_source_service"])
    if (row["service"] == service) n += row["lines"].get<std::int64_t>();
  return n;
}

std::string write_config(const test::TempDir& dir, const std::string& yaml) {
  auto path = dir.file("selfheal.yaml");
  test::write_file(path, yaml);
  return path;
}

std::string node_modules() { return std::string(SELFHEAL_SOURCE_DIR) + "/tests/npm/node_modules"; }

double metric_value(const std::string& base, const std::string& series) {
  auto m = test::http_get(base, "/metrics").body;
  auto pos = m.find("\n" + series + " ");
  if (pos == std::string::npos) return 0;
  return std::stod(m.substr(pos + series.size() + 2));
}

}  // namespace

TEST_CASE("Loki push: the reference vector, snappy protobuf, JSON, gzip JSON and the legacy path are counted exactly") {
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"));
  httplib::Client cli("127.0.0.1", serve.port());

  // reference/loki-push.md §3.1, as a literal-only snappy block.
  std::string vec;
  const char* hex =
      "0a580a1b7b6170703d22636865636b6f7574222c20656e763d22646576227d12390a0b08e09983ba0610959aef3a12144552524f52"
      "207061796d656e74206661696c65641a140a0874726163655f696412083462663932663335";
  for (const char* p = hex; p[0] && p[1]; p += 2) vec.push_back(static_cast<char>(std::stoi(std::string(p, 2), nullptr, 16)));
  CHECK(post(cli, "/loki/api/v1/push", "\x5a\xf0\x59" + vec, "application/x-protobuf", {}, {{"X-Scope-OrgID", "team-a"}}).status == 204);
  CHECK(post(cli, "/loki/api/v1/push", snappy_push("svc-proto", 0, 250), "application/x-protobuf").status == 204);
  CHECK(post(cli, "/loki/api/v1/push", json_push("svc-json", 0, 120), "application/json").status == 204);
  CHECK(post(cli, "/loki/api/v1/push", test::gzip(json_push("svc-gzip", 0, 80)), "application/json", "gzip").status ==
        204);
  const std::string legacy =
      R"({"streams":[{"labels":"{app=\"svc-legacy\"}","entries":[{"ts":"2026-11-23T10:00:00Z","line":"ERROR a"},{"ts":"2026-11-23T10:00:01Z","line":"ERROR b"}]}]})";
  CHECK(post(cli, "/api/prom/push", legacy, "application/json").status == 204);

  // 204 means durable: the counts are visible at once, no waiting.
  CHECK(lines_of(serve.base_url()) == 1 + 250 + 120 + 80 + 2);
  CHECK(lines_of_service(serve.base_url(), "checkout") == 1);
  CHECK(lines_of_service(serve.base_url(), "svc-proto") == 250);
  CHECK(lines_of_service(serve.base_url(), "svc-legacy") == 2);
  CHECK(metric_value(serve.base_url(), "selfheal_source_entries_received_total{source=\"loki_push\"}") == 453);
}

TEST_CASE("malformed push bodies: each a 4xx with a reason, the server survives, accepted lines stay counted, all dead letters") {
  // CI runs 2,000 requests (5 in 6 malformed); SELFHEAL_LOKI_MALFORMED=12000 gives 10,000 malformed bodies.
  int total = 2000;
  if (const char* n = std::getenv("SELFHEAL_LOKI_MALFORMED")) total = std::max(10, std::atoi(n));
  test::TempDir dir;
  auto cfg = write_config(dir, R"(
server:
  threads: 64
storage:
  flush_interval_ms: 5
ingest:
  loki_push:
    max_body_bytes: 65536
)");
  test::ServeProcess serve(dir.file("data"), cfg);

  const std::string valid_proto = ld::encode_push_protobuf(lines_push("svc", 0, 3));
  std::atomic<int> next{0}, malformed{0}, bad_answers{0}, accepted_lines{0}, failed_valid{0};
  std::atomic<int> kinds[6] = {};
  std::mutex first_bad_mu;
  std::string first_bad;
  auto worker = [&](unsigned seed) {
    httplib::Client cli("127.0.0.1", serve.port());
    cli.set_read_timeout(30s);
    std::mt19937 rng(seed);
    for (int i; (i = next.fetch_add(1)) < total;) {
      std::string body, ct = "application/x-protobuf", enc;
      const int kind = i % 6;
      switch (kind) {
        case 0: {  // truncated protobuf inside a valid snappy block
          auto cut = 1 + rng() % (valid_proto.size() - 1);
          body = ld::snappy_block_encode(valid_proto.substr(0, cut));
          break;
        }
        case 1: {  // bad snappy: random bytes behind a length header that does not match
          body = "\xff\xff\x03";
          for (int k = 0; k < 64; ++k) body.push_back(static_cast<char>(rng()));
          break;
        }
        case 2: {  // bad JSON: a valid body cut short, or a number where Loki wants a string
          auto j = json_push("svc", i, 3);
          body = rng() % 2 ? j.substr(0, 1 + rng() % (j.size() - 2)) : R"({"streams":[{"stream":{"a":"b"},"values":[[1,"x"]]}]})";
          ct = "application/json";
          break;
        }
        case 3:  // oversized
          body.assign(65536 + 1 + rng() % 4096, 'x');
          break;
        case 4: {  // bad labels / bad gzip
          if (rng() % 2) {
            const std::string labels = "{a=\"b\"";  // unterminated label set
            const std::string stream = "\x0a" + std::string(1, static_cast<char>(labels.size())) + labels;
            body = ld::snappy_block_encode("\x0a" + std::string(1, static_cast<char>(stream.size())) + stream);
          } else {
            body = "\x1f\x8b\x08\x00garbage-gzip";
            ct = "application/json";
            enc = "gzip";
          }
          break;
        }
        default: {  // a valid push, interleaved: its lines must stay counted
          auto r = post(cli, "/loki/api/v1/push", snappy_push("svc", i * 10, 3), ct);
          if (r.status == 204) accepted_lines += 3;
          else ++failed_valid;
          continue;
        }
      }
      ++malformed;
      ++kinds[kind];
      auto r = post(cli, "/loki/api/v1/push", body, ct, enc);
      if (r.status < 400 || r.status > 499 || r.body.size() < 2) {
        ++bad_answers;
        std::lock_guard lock(first_bad_mu);
        if (first_bad.empty()) first_bad = "kind " + std::to_string(kind) + " -> " + std::to_string(r.status) + " " + r.body;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 16; ++t) threads.emplace_back(worker, 1234 + t);
  for (auto& t : threads) t.join();

  MESSAGE("requests=" << total << " malformed=" << malformed.load() << " accepted_lines=" << accepted_lines.load());
  CHECK_MESSAGE(bad_answers == 0, first_bad);
  CHECK(failed_valid == 0);
  REQUIRE(serve.running());
  CHECK(test::http_get(serve.base_url(), "/healthz").status == 200);
  CHECK(lines_of(serve.base_url()) == accepted_lines);

  // Every rejected body is a dead letter, listed page by page through the cursor.
  auto first = get_json(serve.base_url(), "/api/v1/dead-letters?limit=1000");
  CHECK(first["total"].get<int>() == malformed.load());
  int listed = 0;
  std::string after = "0";
  std::set<std::string> reasons;
  for (;;) {
    auto page = get_json(serve.base_url(), "/api/v1/dead-letters?limit=1000&after=" + after);
    for (const auto& d : page["items"]) {
      ++listed;
      CHECK(d["source"] == "loki_push");
      reasons.insert(d["reason"].get<std::string>().substr(0, d["reason"].get<std::string>().find(':')));
    }
    if (page["next"].is_null()) break;
    after = page["next"].get<std::string>();
  }
  CHECK(listed == malformed.load());
  CHECK(reasons.count("bad_protobuf"));
  CHECK(reasons.count("bad_compression"));
  CHECK(reasons.count("bad_json"));
  CHECK(reasons.count("too_large"));
  CHECK(reasons.count("bad_labels"));
  CHECK(metric_value(serve.base_url(), "selfheal_source_dead_letters_total{source=\"loki_push\"}") == malformed.load());
  CHECK(serve.stop() == 0);
}

TEST_CASE("dead letters: a body refused over a limit is replayed after the limit was raised, once") {
  test::TempDir dir;
  auto small = write_config(dir, "ingest:\n  loki_push:\n    max_decompressed_bytes: 4096\n");
  const std::string big = snappy_push("replayed", 0, 200);  // compresses well, inflates past 4 KiB
  const std::string big2 = snappy_push("replayed-cli", 0, 150);
  {
    test::ServeProcess serve(dir.file("data"), small);
    httplib::Client cli("127.0.0.1", serve.port());
    auto r = post(cli, "/loki/api/v1/push", big, "application/x-protobuf");
    CHECK(r.status == 413);
    CHECK(r.body.find("4096") != std::string::npos);
    CHECK(post(cli, "/loki/api/v1/push", big2, "application/x-protobuf").status == 413);
    CHECK(lines_of(serve.base_url()) == 0);
    CHECK(serve.stop() == 0);
  }
  auto large = write_config(dir, "ingest:\n  loki_push:\n    max_decompressed_bytes: 1048576\n");
  {
    test::ServeProcess serve(dir.file("data"), large);
    auto list = get_json(serve.base_url(), "/api/v1/dead-letters");
    REQUIRE(list["items"].size() == 2);
    const auto id = list["items"][0]["id"].get<std::int64_t>();
    CHECK(list["items"][0]["size"].get<std::size_t>() == big.size());
    CHECK(list["items"][0]["replayed"] == false);
    auto r = test::http_post(serve.base_url(), "/api/v1/dead-letters/" + std::to_string(id) + "/replay", "");
    CHECK_MESSAGE(r.status == 200, r.body);
    CHECK(lines_of_service(serve.base_url(), "replayed") == 200);
    CHECK(test::http_post(serve.base_url(), "/api/v1/dead-letters/" + std::to_string(id) + "/replay", "").status == 409);
    CHECK(test::http_post(serve.base_url(), "/api/v1/dead-letters/999999/replay", "").status == 404);
    CHECK(lines_of_service(serve.base_url(), "replayed") == 200);
    CHECK(get_json(serve.base_url(), "/api/v1/dead-letters")["items"][0]["replayed"] == true);
    CHECK(serve.stop() == 0);
  }
  // Offline, on the database file: the CLI replays what is left.
  auto cli = test::run({test::selfheal_binary(), "dead-letters", "replay", "--all", "-c", large, "-d", dir.file("data")});
  CHECK_MESSAGE(cli.exit_code == 0, cli.out << cli.err);
  CHECK(cli.out.find("1 replayed, 0 failed") != std::string::npos);
  auto listing = test::run({test::selfheal_binary(), "dead-letters", "list", "-c", large, "-d", dir.file("data")});
  CHECK(listing.exit_code == 0);
  CHECK(listing.out.find("pending") == std::string::npos);
  {
    test::ServeProcess serve(dir.file("data"), large);
    CHECK(lines_of_service(serve.base_url(), "replayed-cli") == 150);
    CHECK(lines_of(serve.base_url()) == 350);
    CHECK(serve.stop() == 0);
  }
}

TEST_CASE("Loki push with an API token: 401 without it, 204 with it") {
  test::TempDir dir;
  auto cfg = write_config(dir, "api:\n  token_env: SELFHEAL_TEST_TOKEN\n");
  test::ServeProcess serve(dir.file("data"), cfg, {{"SELFHEAL_TEST_TOKEN", "s3cret"}});
  httplib::Client cli("127.0.0.1", serve.port());
  CHECK(post(cli, "/loki/api/v1/push", snappy_push("a", 0, 5), "application/x-protobuf").status == 401);
  CHECK(post(cli, "/loki/api/v1/push", snappy_push("a", 0, 5), "application/x-protobuf", {}, {{"Authorization", "Bearer wrong"}}).status == 401);
  CHECK(post(cli, "/loki/api/v1/push", snappy_push("a", 0, 5), "application/x-protobuf", {}, {{"Authorization", "Bearer s3cret"}}).status == 204);
  // Reads need the token too (issue 15).
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer s3cret"}};
  CHECK(test::http_get(serve.base_url(), "/api/v1/stats").status == 401);
  auto stats = nlohmann::json::parse(test::http_get(serve.base_url(), "/api/v1/stats", auth).body);
  CHECK(stats["by_source"]["loki_push"]["lines"] == 5);
  auto dead = nlohmann::json::parse(test::http_get(serve.base_url(), "/api/v1/dead-letters", auth).body);
  CHECK(dead["items"].empty());  // unauthenticated bodies are not kept
}

TEST_CASE("overload: a full queue answers 429 with Retry-After, counts it, and a retrying client ends with every line") {
  test::TempDir dir;
  // A tiny queue and the slowest flush: pushing from many threads outruns the store.
  auto cfg = write_config(dir, R"(
server:
  threads: 32
storage:
  flush_interval_ms: 250
  queue_max_events: 200
ingest:
  loki_push:
    retry_after_secs: 1
)");
  test::ServeProcess serve(dir.file("data"), cfg);
  constexpr int clients = 12, batches = 10, per_batch = 50;
  std::atomic<int> got_429{0}, missing_retry_after{0}, other_failures{0};
  auto worker = [&](int c) {
    httplib::Client cli("127.0.0.1", serve.port());
    cli.set_read_timeout(30s);
    for (int b = 0; b < batches; ++b) {
      const auto body = snappy_push("overload", (c * batches + b) * per_batch, per_batch);
      // Promtail-style: retry 429 and 5xx with a doubling backoff (shortened for the test), never 4xx.
      auto backoff = 20ms;
      for (int attempt = 0;; ++attempt) {
        auto r = post(cli, "/loki/api/v1/push", body, "application/x-protobuf");
        if (r.status == 204) break;
        if (r.status == 429) {
          ++got_429;
          if (r.retry_after != "1") ++missing_retry_after;
        } else if (r.status < 500 && r.status != 0) {
          ++other_failures;
          break;
        }
        REQUIRE(attempt < 400);
        std::this_thread::sleep_for(backoff);  // the client's own backoff, not a test wait
        backoff = std::min(backoff * 2, std::chrono::milliseconds(400));
      }
    }
  };
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) threads.emplace_back(worker, c);
  for (auto& t : threads) t.join();
  CHECK(other_failures == 0);
  CHECK(got_429 > 0);
  CHECK(missing_retry_after == 0);
  CHECK(lines_of(serve.base_url()) == clients * batches * per_batch);
  CHECK(metric_value(serve.base_url(), "selfheal_source_events_rejected_total{reason=\"overloaded\",source=\"loki_push\"}") +
            metric_value(serve.base_url(), "selfheal_source_events_rejected_total{source=\"loki_push\",reason=\"overloaded\"}") >=
        got_429 * per_batch);
}

TEST_CASE("npm clients winston-loki (protobuf+snappy and JSON) and pino-loki push with exact counts") {
  REQUIRE_MESSAGE(std::filesystem::exists(node_modules() + "/winston-loki"),
                  "run scripts/install-deps.sh (npm install in tests/npm) first");
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"));
  const std::string npm = std::string(SELFHEAL_SOURCE_DIR) + "/tests/npm/";
  auto w = test::run({"/usr/bin/env", "node", npm + "push_winston.js", serve.base_url(), "1500"}, {}, {}, 120s);
  CHECK_MESSAGE(w.exit_code == 0, w.out << w.err);
  auto wj = test::run({"/usr/bin/env", "node", npm + "push_winston.js", serve.base_url(), "400", "--json", "--tenant", "team-b"}, {}, {}, 120s);
  CHECK_MESSAGE(wj.exit_code == 0, wj.out << wj.err);
  auto p = test::run({"/usr/bin/env", "node", npm + "push_pino.js", serve.base_url(), "1200"}, {}, {}, 120s);
  CHECK_MESSAGE(p.exit_code == 0, p.out << p.err);
  CHECK(lines_of_service(serve.base_url(), "winston-test") == 1900);
  CHECK(lines_of_service(serve.base_url(), "pino-test") == 1200);
  CHECK(lines_of(serve.base_url()) == 3100);
  CHECK(get_json(serve.base_url(), "/api/v1/dead-letters")["items"].empty());
  // One in ten lines is an error: those are fingerprinted ("kept"), the rest only counted.
  std::int64_t kept = 0;
  const auto stats = get_json(serve.base_url(), "/api/v1/stats");
  for (const auto& row : stats["by_source_service"]) kept += row["kept"].get<std::int64_t>();
  CHECK(kept == 150 + 40 + 120);
  CHECK(serve.stop() == 0);
}

TEST_CASE("Loki push: a body with one bad stream ingests the others (400 names it) and keeps only it as a dead letter") {
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"));
  httplib::Client cli(serve.base_url());
  const std::string body =
      R"({"streams":[{"stream":{"service":"pay","level":"error"},"values":[["1795464000000000000","ERROR a"],["1795464000001000000","ERROR b"]]},)"
      R"({"stream":{"bad-name":"x"},"values":[["1795464000002000000","ERROR refused"]]},)"
      R"({"stream":{"service":"ship","level":"error"},"values":[["1795464000003000000","ERROR c"]]}]})";
  auto r = post(cli, "/loki/api/v1/push", body, "application/json");
  CHECK(r.status == 400);
  CHECK(r.body.find("1 of 3 streams refused") != std::string::npos);
  CHECK(lines_of(serve.base_url()) == 3);  // answered only after they were durable
  auto dl = get_json(serve.base_url(), "/api/v1/dead-letters");
  REQUIRE(dl["items"].size() == 1);
  CHECK(dl["items"][0]["reason"].get<std::string>().find("bad-name") != std::string::npos);
  // Replaying it cannot double count the accepted streams: it holds only the refused one.
  auto replay = test::http_post(serve.base_url(), "/api/v1/dead-letters/" + dl["items"][0]["id"].dump() + "/replay", "");
  CHECK(replay.status == 422);
  CHECK(replay.body.find("still undecodable") != std::string::npos);
  CHECK(lines_of(serve.base_url()) == 3);
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("dead letters: a mixed body refused whole by an older selfheal replays its good streams and keeps the bad one") {
  test::TempDir dir;
  const std::string body =
      R"({"streams":[{"stream":{"service":"old","level":"error"},"values":[["1795464000000000000","ERROR kept"]]},)"
      R"({"stream":{"bad-name":"x"},"values":[["1795464000002000000","ERROR still refused"]]}]})";
  test::ServeProcess serve(dir.file("data"));
  {
    // As an older version stored it: the whole body, refused for its labels.
    SQLite::Database db(dir.file("data") + "/selfheal.db", SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    SQLite::Statement ins(db, "INSERT INTO dead_letters(ts, source, reason, content_type, payload, size) "
                              "VALUES(1, 'loki_push', 'bad_labels: invalid label name', 'application/json', ?1, ?2)");
    ins.bind(1, body.data(), static_cast<int>(body.size()));
    ins.bind(2, static_cast<std::int64_t>(body.size()));
    ins.exec();
  }
  auto list = get_json(serve.base_url(), "/api/v1/dead-letters");
  REQUIRE(list["items"].size() == 1);
  const auto id = list["items"][0]["id"].get<std::int64_t>();
  auto r = test::http_post(serve.base_url(), "/api/v1/dead-letters/" + std::to_string(id) + "/replay", "");
  CHECK_MESSAGE(r.status == 200, r.body);
  CHECK(lines_of_service(serve.base_url(), "old") == 1);
  auto after = get_json(serve.base_url(), "/api/v1/dead-letters?limit=10");
  REQUIRE(after["items"].size() == 2);  // the replayed one, and a new one holding only the bad stream
  bool found_new = false;
  for (const auto& item : after["items"]) {
    if (item["id"].get<std::int64_t>() == id) {
      CHECK(item["replayed"] == true);
    } else {
      found_new = true;
      CHECK(item["replayed"] == false);
      CHECK(item["size"].get<std::size_t>() < body.size());
    }
  }
  CHECK(found_new);
  CHECK(serve.stop(SIGTERM) == 0);
}
