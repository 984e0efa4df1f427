// Loki pull against a local query_range server in the test (pages, 429, 500), through a real
// `selfheal serve`; a restart in the middle neither skips nor repeats a line (counts via the API).
#include <doctest/doctest.h>
#include <httplib.h>
#include <signal.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/loki_query_server.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;

namespace {

/// The shared local Loki (tests/support/loki_query_server.hpp); every stream also says level=error.
class LokiStandIn {
 public:
  void add(const std::string& app, std::int64_t ts_ns, std::string line) {
    loki_.add({{{"app", app}, {"level", "error"}}, ts_ns, std::move(line)});
  }
  void fail_next(int status) { loki_.script_next({status, "try later", "text/plain", status == 429 ? "1" : ""}); }
  int requests() { return loki_.requests(); }
  int port() const { return loki_.port(); }

 private:
  test::LokiQueryServer loki_;
};

std::int64_t pulled_lines(const std::string& base) {
  return test::source_lines(base, "loki");
}

}  // namespace

TEST_CASE("Loki pull follows query_range through pages, 429 and 500, and resumes exactly after a restart") {
  LokiStandIn loki;
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::int64_t t0 = now_ns - 600'000'000'000LL;  // ten minutes ago
  // 700 lines in 3 streams; groups of 5 share a timestamp so pages of 64 cut through them.
  for (int i = 0; i < 700; ++i) loki.add("svc-" + std::to_string(i % 3), t0 + (i / 5) * 1'000'000LL, "ERROR pulled " + std::to_string(i));
  loki.fail_next(429);
  loki.fail_next(500);

  test::TempDir dir;
  const auto cfg = dir.file("selfheal.yaml");
  test::write_file(cfg, "ingest:\n  loki_pull:\n    - name: loki\n      url: http://127.0.0.1:" + std::to_string(loki.port()) +
                            "\n      query: '{app=~\"svc-.+\"}'\n      limit: 64\n      poll_interval_ms: 50\n"
                            "      settle_lag_ms: 0\n      backoff_min_ms: 50\n      backoff_max_ms: 1000\n"
                            "      multiline: false\n");
  {
    test::ServeProcess serve(dir.file("data"), cfg);
    CHECK(test::wait_until([&] { return pulled_lines(serve.base_url()) >= 700; }, 30s));
    CHECK(pulled_lines(serve.base_url()) == 700);
    CHECK(serve.stop(SIGTERM) == 0);
  }
  // While stopped: more lines, two of them at the last timestamp already delivered.
  const std::int64_t last = t0 + (699 / 5) * 1'000'000LL;
  loki.add("svc-0", last, "ERROR late at the cursor 1");
  loki.add("svc-1", last, "ERROR late at the cursor 2");
  for (int i = 0; i < 98; ++i) loki.add("svc-2", last + (i + 1) * 1'000'000LL, "ERROR after restart " + std::to_string(i));
  test::ServeProcess serve(dir.file("data"), cfg);
  CHECK(test::wait_until([&] { return pulled_lines(serve.base_url()) >= 800; }, 30s));
  // A few more polls of the caught-up cursor must add nothing.
  const int seen = loki.requests();
  CHECK(test::wait_until([&] { return loki.requests() >= seen + 3; }, 10s));
  CHECK(pulled_lines(serve.base_url()) == 800);
  CHECK(serve.stop(SIGTERM) == 0);
}
