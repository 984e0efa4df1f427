#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "schema/trends.hpp"

using namespace selfheal;

namespace {
const UnixMs now = 1'795'464'000'000 + 30'000;  // half-way through a minute
std::vector<MinuteCount> series(int minutes_back, const std::function<std::int64_t(int)>& count_at_age) {
  std::vector<MinuteCount> out;
  for (int age = minutes_back; age >= 1; --age)
    out.push_back({minute_of(now) - age * 60'000LL, count_at_age(age)});
  return out;
}
}  // namespace

TEST_CASE("steady traffic never escalates, whatever its level") {
  for (std::int64_t level : {1, 10, 100, 5000}) {
    CAPTURE(level);
    auto s = series(90, [&](int age) { return level + (age % 3) - 1; });  // small jitter
    auto t = analyze_trend(s, now, 0);
    CHECK_FALSE(t.escalating);
    CHECK(t.rate_per_min == doctest::Approx(static_cast<double>(level)).epsilon(0.2));
  }
}

TEST_CASE("a short spike against the fingerprint's own baseline escalates") {
  auto s = series(90, [](int age) { return age <= 5 ? 200 : 20; });
  auto t = analyze_trend(s, now, 0);
  CHECK(t.escalating);
  CHECK(t.baseline_per_min == doctest::Approx(20));
  CHECK(t.rate_per_min == doctest::Approx(200));
}

TEST_CASE("a new fingerprint with a burst escalates; a trickle does not") {
  auto burst = series(90, [](int age) { return age <= 5 ? 50 : 0; });
  CHECK(analyze_trend(burst, now, 0).escalating);
  auto trickle = series(90, [](int age) { return age <= 5 ? 1 : 0; });
  CHECK_FALSE(analyze_trend(trickle, now, 0).escalating);  // below min_events
}

TEST_CASE("the partial current minute is ignored") {
  auto s = series(90, [](int) { return 10; });
  s.push_back({minute_of(now), 100000});
  CHECK_FALSE(analyze_trend(s, now, 0).escalating);
}

TEST_CASE("forecast on a synthetic linear ramp is within 10 % of the true crossing time") {
  // rate(age) = 500 - 10 * age per minute, i.e. +10/min per minute; threshold 800 is reached 30 min ahead.
  for (double slope : {2.0, 10.0, 40.0}) {
    CAPTURE(slope);
    auto s = series(30, [&](int age) { return static_cast<std::int64_t>(std::llround(500 - slope * age)); });
    const double threshold = 800;
    auto t = analyze_trend(s, now, threshold);
    REQUIRE(t.forecast_cross_at.has_value());
    // True crossing: the minute with age a has rate 500 - slope*a; rate hits threshold at age -(300/slope).
    const double true_minutes_ahead = (threshold - 500) / slope;
    const UnixMs truth = minute_of(now) + static_cast<UnixMs>(true_minutes_ahead * 60'000) + 30'000;
    const double horizon = static_cast<double>(truth - now);
    CHECK(std::abs(static_cast<double>(*t.forecast_cross_at - truth)) <= 0.10 * horizon);
    CHECK(t.slope_per_min == doctest::Approx(slope).epsilon(0.01));
  }
}

TEST_CASE("no forecast when flat or falling; now when already above") {
  auto flat = series(30, [](int) { return 50; });
  CHECK_FALSE(analyze_trend(flat, now, 100).forecast_cross_at.has_value());
  auto falling = series(30, [](int age) { return 50 + age; });
  CHECK_FALSE(analyze_trend(falling, now, 100).forecast_cross_at.has_value());
  auto above = series(30, [](int) { return 500; });
  CHECK(analyze_trend(above, now, 100).forecast_cross_at == now);
}
