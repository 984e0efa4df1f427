// PeriodicComponent (retention, the learner) reports its real state to /readyz: a thread that is not
// running is not ok, and each run's time and error are what the function returned.
#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>

#include "app/periodic.hpp"
#include "schema/clock.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;

TEST_CASE("a periodic component is not ok until its thread runs, reports each run's time and error, and not ok after stop") {
  FakeClock clock(1'800'000'000'000);
  std::atomic<int> runs{0};
  std::atomic<int> mode{0};  // 0 succeed, 1 return an error, 2 throw
  app::PeriodicComponent c("retention", 10ms, true, clock, [&]() -> Result<void> {
    ++runs;
    if (mode == 1) return make_error(ErrorCode::unavailable, "disk I/O error");
    if (mode == 2) throw std::runtime_error("boom");
    return ok();
  });
  auto h = c.health();
  CHECK_FALSE(h.ok);
  CHECK_FALSE(h.running);
  CHECK(h.status == "thread not running");
  CHECK(h.last_run_ms == 0);

  REQUIRE(c.start());
  REQUIRE(test::wait_until([&] { return c.health().last_run_ms == clock.now_ms(); }));
  h = c.health();
  CHECK(h.ok);
  CHECK(h.running);
  CHECK(h.status == "ok");
  CHECK(h.last_error.empty());

  mode = 1;
  clock.advance(5s);
  REQUIRE(test::wait_until([&] {
    const auto now = c.health();
    return now.last_error == "disk I/O error" && now.last_run_ms == clock.now_ms();
  }));
  CHECK(c.health().ok);  // the thread lives on and retries

  mode = 2;  // an exception is kept as the error, and the thread survives it
  REQUIRE(test::wait_until([&] { return c.health().last_error == "boom"; }));
  const int before = runs.load();
  REQUIRE(test::wait_until([&] { return runs.load() > before + 1; }));
  CHECK(c.health().running);

  mode = 0;
  REQUIRE(test::wait_until([&] { return c.health().last_error.empty(); }));

  c.stop();
  h = c.health();
  CHECK_FALSE(h.ok);
  CHECK_FALSE(h.running);
  CHECK(h.status == "thread not running");
}
