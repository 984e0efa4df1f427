#include <doctest/doctest.h>

#include <vector>

#include "schema/retry.hpp"

using namespace selfheal;
using namespace std::chrono_literals;

TEST_CASE("backoff doubles, is capped, and the jitter stays within [base/2, base]") {
  struct R {
    int attempt;
    double jitter;
    std::int64_t expected;
  };
  const std::vector<R> rows = {{1, 0.0, 500},   {1, 0.999, 999},   {2, 0.0, 1000}, {3, 0.0, 2000}, {3, 0.5, 3000},
                               {10, 0.0, 5000}, {10, 0.999, 9995}, {0, 0.0, 500},  {40, 0.0, 5000}, {2, 1.0, 2000},
                               {40, 1.0, 10'000}, {1, -3.0, 500}, {1, 7.0, 1000}};
  for (const auto& r : rows) {
    CAPTURE(r.attempt);
    CAPTURE(r.jitter);
    CHECK(backoff_delay(r.attempt, 1000ms, 10'000ms, r.jitter).count() == r.expected);
  }
  CHECK(backoff_delay(3, 0ms, 0ms) == 1ms);  // never a busy loop
  CHECK(backoff_delay(5, 100ms, 50ms) == 100ms);  // max below initial: initial
}

TEST_CASE("Backoff without jitter doubles up to its cap and resets; with jitter it stays in [base/2, base]") {
  Backoff b(50ms, 300ms);
  CHECK(b.next() == 50ms);
  CHECK(b.next() == 100ms);
  CHECK(b.next() == 200ms);
  CHECK(b.next() == 300ms);
  CHECK(b.next() == 300ms);
  CHECK(b.attempts() == 5);
  b.reset();
  CHECK(b.next() == 50ms);

  Backoff j(100ms, 1000ms, true);
  std::vector<std::int64_t> bases = {100, 200, 400, 800, 1000, 1000};
  bool varied = false;
  for (int round = 0; round < 20; ++round) {
    j.reset();
    for (auto base : bases) {
      const auto d = j.next().count();
      CHECK(d >= base / 2);
      CHECK(d <= base);
      varied = varied || d != base;
    }
  }
  CHECK(varied);
}

TEST_CASE("Retry-After: seconds, fractions and HTTP dates relative to now; anything else is no hint") {
  constexpr UnixMs now = 1'700'000'000'000;  // Tue, 14 Nov 2023 22:13:20 GMT
  CHECK(parse_retry_after("20", now) == 20'000ms);
  CHECK(parse_retry_after(" 3 ", now) == 3'000ms);
  CHECK(parse_retry_after("0", now) == 0ms);
  CHECK(parse_retry_after("0.25", now) == 250ms);
  CHECK(parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now) == 30'000ms);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 0ms);  // in the past: now
  CHECK(parse_retry_after("99999999999999999999", now) == std::chrono::milliseconds(86'400'000LL * 365));
  for (const char* bad : {"", "soon", "-1", "1e", "12abc", "Tue, 14 Nov 2023", "nan", "inf", "0x10"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_retry_after(bad, now).has_value());
  }
}
