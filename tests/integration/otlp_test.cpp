// OTLP/HTTP logs against a real `selfheal serve`: the npm OpenTelemetry SDK through both OTLP/HTTP
// exporters (JSON with gzip, protobuf), thousands of malformed bodies, partial success, /readyz and
// the ingest token role. Counts are read back through the API (/api/v1/stats, /api/v1/fingerprints,
// /api/v1/dead-letters) and /metrics, and must be exact.
#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "ingest/detail/proto_wire.hpp"
#include "tests/support/otlp_encode.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;
using nlohmann::json;
namespace otlp = selfheal::test::otlp;

namespace {

json get_json(const std::string& base, const std::string& path) {
  auto r = test::http_get(base, path);
  REQUIRE_MESSAGE(r.status == 200, path << " -> " << r.status << " " << r.body);
  return json::parse(r.body);
}

/// events/kept per service of one source, from /api/v1/stats.
std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_service(const std::string& base, const std::string& source) {
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> out;
  const json stats = get_json(base, "/api/v1/stats");
  for (const auto& row : stats["by_source_service"]) {
    if (row["source"] != source) continue;
    auto& s = out[row["service"].get<std::string>()];
    s.first += row["events"].get<std::int64_t>();
    s.second += row["kept"].get<std::int64_t>();
  }
  return out;
}

double metric(const std::string& base, const std::string& series) {
  const auto m = test::http_get(base, "/metrics").body;
  const auto pos = m.find("\n" + series + " ");
  return pos == std::string::npos ? -1 : std::stod(m.substr(pos + series.size() + 2));
}

std::string write_config(const test::TempDir& dir, const std::string& yaml) {
  auto path = dir.file("selfheal.yaml");
  test::write_file(path, yaml);
  return path;
}

std::string npm_dir() { return std::string(SELFHEAL_SOURCE_DIR) + "/tests/npm/"; }

}  // namespace

TEST_CASE("OpenTelemetry JS SDK: 20,000 records through the OTLP/HTTP JSON (gzip) and protobuf exporters") {
  REQUIRE_MESSAGE(std::filesystem::exists(npm_dir() + "node_modules/@opentelemetry/sdk-logs"),
                  "run scripts/install-deps.sh (npm ci in tests/npm) first");
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"));
  // Each run: 10,000 records over three services; 1 in 100 an exception (exception.* attributes),
  // 1 in 10 an error with a trace context, 1 in 10 a warning, 1 in 10 debug, the rest info.
  auto j = test::run({"/usr/bin/env", "node", npm_dir() + "push_otlp.js", serve.base_url(), "10000", "json", "--gzip"},
                     {}, {}, 300s);
  CHECK_MESSAGE(j.exit_code == 0, j.out << j.err);
  auto p = test::run({"/usr/bin/env", "node", npm_dir() + "push_otlp.js", serve.base_url(), "10000", "proto", "--path",
                      "/otlp/v1/logs"},
                     {}, {}, 300s);
  CHECK_MESSAGE(p.exit_code == 0, p.out << p.err);
  const std::string base = serve.base_url();

  // Exact counts: every record is one event, none refused, none dead.
  CHECK(metric(base, "selfheal_source_entries_received_total{source=\"otlp\"}") == 20000);
  CHECK(metric(base, "selfheal_source_events_accepted_total{source=\"otlp\"}") == 20000);
  CHECK(metric(base, "selfheal_source_dead_letters_total{source=\"otlp\"}") == 0);
  CHECK(get_json(base, "/api/v1/dead-letters")["items"].empty());
  // Service mapping: service.namespace/service.name; unknown_service falls back to the k8s deployment.
  // i % 3 picks the service: 3334 + 3333 + 3333 per run. Kept (warning and above): errors 1,000,
  // warnings 1,000 and exceptions 100 per run, spread over the services by i % 3.
  auto services = by_service(base, "otlp");
  CHECK(services.size() == 3);
  CHECK(services["shop/checkout"].first == 2 * 3334);
  CHECK(services["cart"].first == 2 * 3333);
  CHECK(services["search"].first == 2 * 3333);
  CHECK(services["shop/checkout"].second + services["cart"].second + services["search"].second == 2 * 2100);

  // Level mapping and grouping: the 200 exceptions (three different bodies, one stack) are one
  // fingerprint; the 2,000 payment errors another; the warnings a third. Debug/info are not kept.
  json all = json::array();
  std::string cursor;
  do {
    auto page = get_json(base, "/api/v1/fingerprints?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor));
    for (auto& f : page["fingerprints"]) all.push_back(f);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
  } while (!cursor.empty());
  std::map<std::string, const json*> by_template;
  std::int64_t sum = 0;
  for (const auto& f : all) {
    sum += f["count"].get<std::int64_t>();
    by_template[f["template"].get<std::string>()] = &f;
  }
  CHECK(sum == 2 * 2100);
  const json* exception = nullptr;
  for (const auto& f : all)
    if (f["exception_type"] == "TypeError") {
      CHECK_MESSAGE(exception == nullptr, "the exception was split: " << f["template"]);
      exception = &f;
    }
  REQUIRE(exception != nullptr);
  CHECK((*exception)["count"] == 200);
  CHECK((*exception)["severity"] == "error");
  std::set<std::string> exception_services;
  for (const auto& s : (*exception)["services"]) exception_services.insert(s["name"].get<std::string>());
  CHECK(exception_services == std::set<std::string>{"shop/checkout", "cart", "search"});
  std::int64_t warnings = 0, errors = 0;
  for (const auto& f : all) {
    if (f["severity"] == "warning") warnings += f["count"].get<std::int64_t>();
    if (f["severity"] == "error" && f["exception_type"] != "TypeError") errors += f["count"].get<std::int64_t>();
  }
  CHECK(warnings == 2000);
  CHECK(errors == 2000);

  // Trace and span ids are on the samples the API shows.
  auto detail = get_json(base, "/api/v1/fingerprints/" + (*exception)["id"].get<std::string>());
  REQUIRE_FALSE(detail["samples"].empty());
  for (const auto& s : detail["samples"]) {
    const std::string trace_id = s["labels"].value("trace_id", "");
    CHECK(trace_id.size() == 32);
    CHECK(trace_id.rfind("5e1f", 0) == 0);
    CHECK(s["labels"].value("span_id", "").size() == 16);
    CHECK(s["message"].get<std::string>().find("at priceCart (/srv/shop/src/pricing.js:41:22)") != std::string::npos);
  }
  CHECK(detail["samples"][0]["host"].get<std::string>().size() > 0);

  // /readyz shows the receiver and its last request.
  auto ready = get_json(base, "/readyz");
  CHECK(ready["checks"]["otlp"]["status"] == "ok");
  CHECK_FALSE(ready["checks"]["otlp"]["last_run"].is_null());
  CHECK(serve.stop() == 0);
}

TEST_CASE("malformed OTLP bodies: each a 4xx with a reason, the server survives, good records stay counted, all dead letters") {
  // 6,000 requests, 5 in 6 malformed: 5,000 malformed bodies (SELFHEAL_OTLP_REQUESTS changes the total).
  int total = 6000;
  if (const char* n = std::getenv("SELFHEAL_OTLP_REQUESTS")) total = std::max(12, std::atoi(n));
  test::TempDir dir;
  auto cfg = write_config(dir, R"(
server:
  threads: 64
storage:
  flush_interval_ms: 5
ingest:
  otlp:
    max_body_bytes: 65536
)");
  test::ServeProcess serve(dir.file("data"), cfg);

  otlp::Record good;
  good.body = otlp::str("ERROR payment declined");
  good.severity = 17;
  const std::string valid = otlp::request(
      {otlp::resource_logs({otlp::kv("service.name", otlp::str("svc"))}, {otlp::scope_logs("s", {otlp::record(good)})})});
  const std::string valid_json =
      R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},)"
      R"("scopeLogs":[{"logRecords":[{"severityNumber":17,"body":{"stringValue":"ERROR payment declined"}}]}]}]})";
  std::string deep = otlp::str("x");
  for (int i = 0; i < 64; ++i) deep = otlp::array({deep});
  otlp::Record deep_rec;
  deep_rec.body = deep;
  otlp::Record bad_id = good;
  bad_id.trace_id = "short";
  const std::string bad_ids = otlp::request({otlp::resource_logs({}, {otlp::scope_logs("", {otlp::record(bad_id)})})});
  const std::string too_deep = otlp::request({otlp::resource_logs({}, {otlp::scope_logs("", {otlp::record(deep_rec)})})});

  std::atomic<int> next{0}, malformed{0}, bad_answers{0}, accepted{0}, failed_valid{0};
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
        case 0:  // protobuf cut short: its one top-level length runs past the end
          body = valid.substr(0, 1 + rng() % (valid.size() - 1));
          break;
        case 1: {  // JSON cut short, or the wrong shape
          static const std::string shapes[] = {
              R"({"resourceLogs": 5})", R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":"bare"}]}]}]})",
              R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"intValue":"12a"}}]}]}]})", "[]"};
          body = rng() % 2 ? valid_json.substr(0, 1 + rng() % (valid_json.size() - 2)) : shapes[rng() % 4];
          ct = "application/json";
          break;
        }
        case 2:  // AnyValue nested too deep, or a wrong / invalid wire type with random bytes behind it
          if (rng() % 3 == 0) {
            body = too_deep;
          } else {
            body = rng() % 2 ? std::string("\x08\x01", 2) : std::string("\x0f");
            for (int k = 0; k < 32; ++k) body.push_back(static_cast<char>(rng()));
          }
          break;
        case 3:  // every record refused (bad trace id), oversized, or the wrong media type
          if (rng() % 3 == 0) body = bad_ids;
          else if (rng() % 2) body.assign(65536 + 1 + rng() % 4096, 'x');
          else {
            body = valid;
            ct = "text/plain";
          }
          break;
        case 4:  // corrupt gzip
          body = "\x1f\x8b\x08\x00garbage-gzip";
          enc = "gzip";
          break;
        default: {  // a valid request, interleaved: its record must stay counted
          httplib::Headers h;
          auto r = cli.Post(i % 2 ? "/v1/logs" : "/otlp/v1/logs", h, i % 4 == 1 ? valid_json : valid,
                            i % 4 == 1 ? "application/json" : "application/x-protobuf");
          if (r && r->status == 200) ++accepted;
          else ++failed_valid;
          continue;
        }
      }
      ++malformed;
      httplib::Headers h;
      if (!enc.empty()) h.emplace("Content-Encoding", enc);
      auto r = cli.Post("/v1/logs", h, body, ct.c_str());
      // Refused with a reason: a google.rpc.Status (JSON or protobuf) with a message.
      bool reason = false;
      if (r && r->get_header_value("Content-Type") == "application/json") {
        auto st = json::parse(r->body, nullptr, false);
        reason = st.is_object() && st.value("message", "").size() > 3;
      } else if (r) {
        reason = r->body.size() > 4;
      }
      if (!r || r->status < 400 || r->status > 499 || !reason) {
        ++bad_answers;
        std::lock_guard lock(first_bad_mu);
        if (first_bad.empty())
          first_bad = "kind " + std::to_string(kind) + " -> " + (r ? std::to_string(r->status) + " " + r->body : "no answer");
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 16; ++t) threads.emplace_back(worker, 4321 + t);
  for (auto& t : threads) t.join();

  MESSAGE("requests=" << total << " malformed=" << malformed.load() << " accepted=" << accepted.load());
  CHECK_MESSAGE(bad_answers == 0, first_bad);
  CHECK(failed_valid == 0);
  REQUIRE(serve.running());
  CHECK(test::http_get(serve.base_url(), "/healthz").status == 200);
  CHECK(by_service(serve.base_url(), "otlp")["svc"].first == accepted.load());

  // Every refused body is a dead letter with a reason code.
  int listed = 0;
  std::string after = "0";
  std::set<std::string> reasons;
  for (;;) {
    auto page = get_json(serve.base_url(), "/api/v1/dead-letters?limit=1000&after=" + after);
    for (const auto& d : page["items"]) {
      ++listed;
      CHECK(d["source"] == "otlp");
      reasons.insert(d["reason"].get<std::string>().substr(0, d["reason"].get<std::string>().find(':')));
    }
    if (page["next"].is_null()) break;
    after = page["next"].get<std::string>();
  }
  CHECK(listed == malformed.load());
  CHECK(reasons == std::set<std::string>{"bad_protobuf", "bad_json", "bad_records", "too_large", "bad_content_type",
                                         "bad_compression"});
  CHECK(metric(serve.base_url(), "selfheal_source_dead_letters_total{source=\"otlp\"}") == malformed.load());
  CHECK(serve.stop() == 0);
}

TEST_CASE("OTLP: partial success over HTTP, the token role, and a disabled receiver") {
  test::TempDir dir;
  auto cfg = write_config(dir, R"(
api:
  tokens:
    - name: shipper
      role: ingest
      token_env: SHIPPER_TOKEN
)");
  test::ServeProcess serve(dir.file("data"), cfg, {{"SHIPPER_TOKEN", "s3cret-shipper-token"}});
  httplib::Client cli("127.0.0.1", serve.port());
  otlp::Record good;
  good.body = otlp::str("WARN disk at 91%");
  good.severity = 13;
  otlp::Record bad = good;
  bad.span_id = "123";
  const std::string body = otlp::request({otlp::resource_logs(
      {otlp::kv("service.name", otlp::str("disk"))}, {otlp::scope_logs("", {otlp::record(good), otlp::record(bad)})})});
  auto anon = cli.Post("/v1/logs", body, "application/x-protobuf");
  REQUIRE(anon);
  CHECK(anon->status == 401);
  httplib::Headers auth = {{"Authorization", "Bearer s3cret-shipper-token"}};
  auto r = cli.Post("/v1/logs", auth, body, "application/x-protobuf");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "application/x-protobuf");
  // ExportLogsServiceResponse{partial_success{rejected_log_records = 1, error_message}}.
  ingest::detail::WireReader rd(r->body);
  std::uint32_t f = 0;
  int t = 0;
  REQUIRE(rd.key(f, t));
  CHECK(f == 1);
  std::string_view ps;
  REQUIRE(rd.bytes(ps));
  ingest::detail::WireReader pr(ps);
  REQUIRE(pr.key(f, t));
  std::uint64_t rejected = 0;
  REQUIRE(pr.varint(rejected));
  CHECK(rejected == 1);
  CHECK(std::string(ps).find("span_id must be 8 bytes") != std::string::npos);
  const auto stats = test::http_get(serve.base_url(), "/api/v1/stats", {{"Authorization", "Bearer s3cret-shipper-token"}});
  CHECK(stats.status == 403);  // the ingest role pushes, it does not read
  CHECK(serve.stop() == 0);

  // Disabled: the routes are gone and /readyz does not list it.
  auto off = write_config(dir, "ingest:\n  otlp:\n    enabled: false\n");
  test::ServeProcess serve2(dir.file("data2"), off);
  CHECK(test::http_post(serve2.base_url(), "/v1/logs", body, "application/x-protobuf").status == 404);
  CHECK_FALSE(get_json(serve2.base_url(), "/readyz")["checks"].contains("otlp"));
  CHECK(serve2.stop() == 0);
}
