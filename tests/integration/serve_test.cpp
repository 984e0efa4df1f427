// `selfheal serve` as a process: health, readiness, metrics, config errors, signals and crashes.
#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;

namespace {
std::string push_body(int from, int n) {
  std::string values;
  for (int i = 0; i < n; ++i) {
    if (i) values += ",";
    values += "[\"" + std::to_string(1'795'464'000'000'000'000LL + (from + i) * 1'000'000LL) +
              "\",\"ERROR payment " + std::to_string((from + i) % 7) + " failed for order " + std::to_string(from + i) +
              "\"]";
  }
  return R"({"streams":[{"stream":{"service":"checkout","level":"error"},"values":[)" + values + "]}]}";
}

std::string integrity(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA integrity_check").getString();
}

std::int64_t lines_in(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  return db.execAndGet("SELECT coalesce(sum(lines),0) FROM source_counts").getInt64();
}
}  // namespace

TEST_CASE("serve answers healthz, readyz and a Prometheus /metrics that promtool accepts") {
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"));
  CHECK(test::http_get(serve.base_url(), "/healthz").status == 200);
  auto ready = test::http_get(serve.base_url(), "/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body.find("\"ready\":true") != std::string::npos);
  auto metrics = test::http_get(serve.base_url(), "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.body.find("selfheal_store_commit_duration_seconds_bucket") != std::string::npos);
  CHECK(metrics.body.find("selfheal_process_resident_memory_bytes") != std::string::npos);
  // A missing promtool fails here: scripts/install-deps.sh installs it (Debian package `prometheus`).
  auto promtool = std::string("/usr/bin/promtool");
  REQUIRE_MESSAGE(std::filesystem::exists(promtool), "promtool is missing; run scripts/install-deps.sh");
  auto r = test::run({promtool, "check", "metrics"}, metrics.body);
  CHECK_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("/readyz reports each worker's real state: thread alive, last run, last error") {
  test::TempDir dir;
  const auto config = dir.file("c.yaml");
  // The LLM points at a port nobody listens on: its calls fail, and /readyz must say so.
  test::write_file(config, "fingerprint:\n  learn_interval_ms: 200\n"
                           "healer:\n  enabled: true\n  tick_ms: 100\n"
                           "llm:\n  enabled: true\n  provider:\n    type: openai\n    base_url: http://127.0.0.1:" +
                               std::to_string(test::free_port()) +
                               "/v1\n    model: m\n    api_key_env: SELFHEAL_IT_LLM_KEY\n");
  test::ServeProcess serve(dir.file("data"), config, {{"SELFHEAL_IT_LLM_KEY", "k"}});
  auto readyz = [&] {
    auto r = test::http_get(serve.base_url(), "/readyz");
    auto j = nlohmann::json::parse(r.body);
    j["http_status"] = r.status;
    return j;
  };
  auto j = readyz();
  CAPTURE(j.dump());
  CHECK(j["http_status"] == 200);
  CHECK(j["ready"] == true);
  for (const char* c : {"retention", "learner", "healer", "llm"}) {
    CAPTURE(c);
    REQUIRE(j["checks"].contains(c));
    CHECK(j["checks"][c]["status"] == "ok");
    CHECK(j["checks"][c]["running"] == true);
  }
  // Every periodic worker reports a run, and the learner's last run moves on.
  std::string learner_run;
  REQUIRE(test::wait_until([&] {
    j = readyz();
    for (const char* c : {"retention", "learner", "healer"})
      if (j["checks"][c]["last_run"].is_null()) return false;
    learner_run = j["checks"]["learner"]["last_run"];
    return true;
  }, 10s));
  CHECK(j["checks"]["learner"]["last_error"] == "");
  CHECK(j["checks"]["retention"]["last_error"] == "");
  REQUIRE(test::wait_until([&] { return readyz()["checks"]["learner"]["last_run"] != learner_run; }, 10s));
  CHECK(j["checks"]["llm"]["last_run"].is_null());  // no call yet

  // A suggestion call that fails shows as the LLM's last error; taking logs stays ready.
  const std::string body =
      R"({"streams":[{"stream":{"service":"cart","level":"error"},"values":[["1795464000000000000","ERROR cart total failed"]]}]})";
  REQUIRE(test::http_post(serve.base_url(), "/loki/api/v1/push", body).status == 204);
  std::string fp;
  REQUIRE(test::wait_until([&] {
    auto l = nlohmann::json::parse(test::http_get(serve.base_url(), "/api/v1/fingerprints").body)["fingerprints"];
    if (l.empty()) return false;
    fp = l[0]["id"];
    return true;
  }, 10s));
  REQUIRE(test::http_post(serve.base_url(), "/api/v1/fingerprints/" + fp + "/suggest", "{}").status == 202);
  REQUIRE(test::wait_until([&] { return readyz()["checks"]["llm"]["last_error"] != ""; }, 60s));
  j = readyz();
  CAPTURE(j.dump());
  CHECK_FALSE(j["checks"]["llm"]["last_run"].is_null());
  CHECK(j["checks"]["llm"]["status"] == "ok");
  CHECK(j["http_status"] == 200);
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("broken configs exit 2 naming file, line and column, before anything starts") {
  test::TempDir dir;
  struct Case {
    const char* yaml;
    const char* loc;
  };
  const Case cases[] = {
      {"server:\n  listen: 127.0.0.1:0\n  colour: blue\n", ":3:3:"},   // unknown key
      {"storage:\n  retention_days: forever\n", ":2:3:"},              // wrong type
      {"server:\n  listen: [127.0.0.1\n", ":"},                        // broken YAML
  };
  int i = 0;
  for (const auto& c : cases) {
    auto path = dir.file("bad" + std::to_string(i++) + ".yaml");
    test::write_file(path, c.yaml);
    auto r = test::run({test::selfheal_binary(), "serve", "--config", path, "--data-dir", dir.file("d")});
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(r.err.find(path + c.loc) != std::string::npos, r.err);
    CHECK_FALSE(std::filesystem::exists(dir.file("d/selfheal.db")));
  }
  auto check = test::run({test::selfheal_binary(), "config", "check", "--config", dir.file("bad0.yaml")});
  CHECK(check.exit_code == 2);
  auto usage = test::run({test::selfheal_binary(), "serve", "--no-such-flag"});
  CHECK(usage.exit_code == 2);
  auto ok = test::run({test::selfheal_binary(), "config", "check"});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("listen: 127.0.0.1:8080") != std::string::npos);
}

TEST_CASE("SIGTERM while the store is being written: exit 0, everything acknowledged is counted, integrity ok") {
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"));
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};
  std::thread writer([&] {
    int from = 0;
    while (!stop) {
      auto r = test::http_post(serve.base_url(), "/loki/api/v1/push", push_body(from, 200));
      if (r.status == 204) acked += 200;
      else if (r.status == 0) break;  // server gone
      from += 200;
    }
  });
  REQUIRE(test::wait_until([&] { return acked.load() >= 2000; }, 20s));
  const int code = serve.stop(SIGTERM, 5s);
  stop = true;
  writer.join();
  CHECK(code == 0);
  const auto db = dir.file("data/selfheal.db");
  CHECK(integrity(db) == "ok");
  CHECK(lines_in(db) >= acked.load());  // nothing acknowledged with 204 is lost
}

TEST_CASE("kill -9 at random points never corrupts the database") {
  test::TempDir dir;
  std::mt19937 rng(42);
  std::int64_t acked_total = 0;
  for (int cycle = 0; cycle < 10; ++cycle) {
    test::ServeProcess serve(dir.file("data"));
    std::atomic<bool> stop{false};
    std::atomic<int> acked{0};
    std::thread writer([&] {
      int from = cycle * 1'000'000;
      while (!stop) {
        auto r = test::http_post(serve.base_url(), "/loki/api/v1/push", push_body(from, 100));
        if (r.status == 204) acked += 100;
        else if (r.status == 0) break;
        from += 100;
      }
    });
    std::uniform_int_distribution<int> delay(0, 400);
    // Without this REQUIRE the loop passed with nothing written: the kill must land mid-write.
    const bool writing = test::wait_until([&] { return acked.load() >= 100; }, 10s);
    if (!writing) {
      stop = true;
      writer.join();
    }
    REQUIRE(writing);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay(rng)));  // a random point, on purpose
    serve.stop(SIGKILL);
    stop = true;
    writer.join();
    acked_total += acked.load();
    const auto db = dir.file("data/selfheal.db");
    CHECK(integrity(db) == "ok");
    CHECK(lines_in(db) >= acked_total);  // a 204 means durable, even across kill -9
  }
  CHECK(acked_total >= 10 * 100);
}

TEST_CASE("a second serve on a taken port fails instead of sharing it, and the listen backlog is not httplib's 5") {
  test::TempDir dir;
  test::ServeProcess serve(dir.file("data"));
  // httplib's default socket options set SO_REUSEPORT, which let a second instance bind the same port
  // and take half the connections. It must fail with a clear error.
  auto second = test::run({test::selfheal_binary(), "serve", "--data-dir", dir.file("data2"), "--listen",
                           "127.0.0.1:" + std::to_string(serve.port())},
                          {}, {}, std::chrono::seconds(20));
  CHECK(second.exit_code != 0);
  CHECK_MESSAGE(second.err.find("address in use") != std::string::npos, second.out << second.err);
  // The kernel reports a listening socket's backlog in `ss -ltn`'s Send-Q column.
  auto ss = test::run({"/usr/bin/ss", "-Hltn", "sport", "=", ":" + std::to_string(serve.port())});
  REQUIRE(ss.exit_code == 0);
  std::istringstream cols(ss.out);
  std::string state, recv_q, send_q;
  cols >> state >> recv_q >> send_q;
  // The kernel caps the backlog at net.core.somaxconn (128 before Linux 5.4).
  int somaxconn = 4096;
  std::ifstream("/proc/sys/net/core/somaxconn") >> somaxconn;
  CHECK_MESSAGE(std::stoi(send_q) >= std::min(512, somaxconn), ss.out);
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("the configs shipped in deploy/ pass `config check` (they are documentation that must stay true)") {
  for (std::string name : {"selfheal.example.yaml", "kafka-example.yaml"}) {
    CAPTURE(name);
    auto r = test::run({test::selfheal_binary(), "config", "check", "--config",
                        std::string(SELFHEAL_SOURCE_DIR) + "/deploy/" + name});
    CHECK_MESSAGE(r.exit_code == 0, r.out << r.err);
    CHECK((r.out + r.err).find("config ok") != std::string::npos);
  }
}
