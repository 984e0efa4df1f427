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
  // The shown rate counts the partial current minute pro rata (issue 19): 5 x 200 events over the
  // 5.5 minutes since the window opened (now is half-way through a minute with no event yet).
  CHECK(t.rate_per_min == doctest::Approx(1000.0 / 5.5));
  CHECK(escalation(s, now).rate_per_min == doctest::Approx(200));  // the spike test: whole minutes
}

TEST_CASE("a new fingerprint with a burst escalates; a trickle does not") {
  auto burst = series(90, [](int age) { return age <= 5 ? 50 : 0; });
  CHECK(analyze_trend(burst, now, 0).escalating);
  auto trickle = series(90, [](int age) { return age <= 5 ? 1 : 0; });
  CHECK_FALSE(analyze_trend(trickle, now, 0).escalating);  // below min_events
}

TEST_CASE("the partial current minute is ignored by escalation") {
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

TEST_CASE("no forecast when flat or falling; above threshold (no crossing time) when already above") {
  auto flat = series(30, [](int) { return 50; });
  CHECK_FALSE(analyze_trend(flat, now, 100).forecast_cross_at.has_value());
  auto falling = series(30, [](int age) { return 50 + age; });
  CHECK_FALSE(analyze_trend(falling, now, 100).forecast_cross_at.has_value());
  auto above = series(30, [](int) { return 500; });
  const auto t = analyze_trend(above, now, 100);
  CHECK(t.above_threshold);
  CHECK_FALSE(t.forecast_cross_at.has_value());
}

TEST_CASE("issue 19: the rate right after a burst counts the partial minute pro rata") {
  const UnixMs start = minute_of(now);
  // 600 events in the first 6 s of the current minute, nothing before: 600 / (5 + 0.1) per minute.
  std::vector<MinuteCount> burst{{start, 600}};
  CHECK(rate_per_min(burst, start + 6'000, 5) == doctest::Approx(600.0 / 5.1));
  CHECK(analyze_trend(burst, start + 6'000, 0).rate_per_min == doctest::Approx(600.0 / 5.1));
  // The window: 5 complete minutes plus the current one; the sixth minute back is out.
  std::vector<MinuteCount> old{{start - 6 * 60'000LL, 1000}, {start - 5 * 60'000LL, 30}};
  CHECK(rate_per_min(old, start + 30'000, 5) == doctest::Approx(30.0 / 5.5));
  CHECK(rate_window_start(start + 30'000, 5) == start - 5 * 60'000LL);
  // At the start of a minute the denominator is the 5 whole minutes.
  CHECK(rate_per_min(old, start, 5) == doctest::Approx(30.0 / 5.0));
}

TEST_CASE("issue 19: no forecast on one event, on a stopped error, or on a poor fit") {
  // One event a minute ago: a rising line through one point is no evidence.
  std::vector<MinuteCount> one{{minute_of(now) - 60'000, 1}};
  CHECK_FALSE(analyze_trend(one, now, 100).forecast_cross_at.has_value());
  // A clean ramp that stopped 6 minutes ago: rate 0, no forecast (it forecast before it stopped).
  auto ramp = [](int age) -> std::int64_t { return age >= 7 ? 80 - 2 * age : 0; };
  auto stopped = series(30, ramp);
  CHECK(analyze_trend(stopped, now, 100).rate_per_min == doctest::Approx(0));
  CHECK_FALSE(analyze_trend(stopped, now, 100).forecast_cross_at.has_value());
  auto running = series(30, [](int age) -> std::int64_t { return 80 - 2 * age; });
  CHECK(analyze_trend(running, now, 100).forecast_cross_at.has_value());
  // Noise with a slight upward tilt: a poor fit, no forecast.
  auto noisy = series(30, [](int age) -> std::int64_t { return (age % 2 ? 5 : 60) + (age < 3 ? 10 : 0); });
  const auto t = analyze_trend(noisy, now, 100);
  CHECK(t.fit_r2 < 0.5);
  CHECK_FALSE(t.forecast_cross_at.has_value());
}
