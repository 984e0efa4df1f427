#include <doctest/doctest.h>

#include "llm/budget.hpp"
#include "llm/calibration.hpp"

using namespace selfheal;
using namespace selfheal::llm;

TEST_CASE("the daily budget allows calls until calls or tokens run out; 0 means unlimited") {
  BudgetConfig cfg;
  cfg.daily_calls = 3;
  cfg.daily_tokens = 10'000;
  BudgetUsage u;
  CHECK(check_budget(u, cfg, 2'000).allowed);
  u.calls = 3;
  CHECK_FALSE(check_budget(u, cfg, 10).allowed);
  u.calls = 1;
  u.tokens = 9'000;
  auto d = check_budget(u, cfg, 2'000);
  CHECK_FALSE(d.allowed);
  CHECK(d.reason.find("token") != std::string::npos);
  cfg.daily_calls = 0;
  cfg.daily_tokens = 0;
  u.calls = 1'000'000;
  u.tokens = 1'000'000'000;
  CHECK(check_budget(u, cfg, 5'000).allowed);
}

TEST_CASE("budget days are UTC dates") {
  CHECK(utc_day(0) == "1970-01-01");
  CHECK(utc_day(1'800'000'000'000) == "2027-01-15");
  CHECK(utc_day(1'799'971'199'999) == "2027-01-14");  // one ms before midnight UTC
}

TEST_CASE("cost estimate uses the per-1k prices and the cache key separates fingerprint, context and model") {
  Usage u{1000, 500, 1500};
  CHECK(estimate_cost(u, 0.15, 0.6) == doctest::Approx(0.45));
  auto k = cache_key("fp", "h", "openai", "gpt-4o-mini");
  CHECK(k.size() == 64);
  CHECK(k == cache_key("fp", "h", "openai", "gpt-4o-mini"));
  CHECK(k != cache_key("fp2", "h", "openai", "gpt-4o-mini"));
  CHECK(k != cache_key("fp", "h2", "openai", "gpt-4o-mini"));
  CHECK(k != cache_key("fp", "h", "openai", "gpt-4.1"));
  CHECK(k != cache_key("fp", "h", "ollama", "gpt-4o-mini"));
}

TEST_CASE("calibration: accept rate per bucket and the Brier score") {
  std::vector<ReviewedPoint> pts = {{0.9, true}, {0.85, true}, {0.8, false}, {0.3, false}, {0.1, false}, {1.0, true}};
  auto r = calibrate(pts, 5);
  REQUIRE(r.buckets.size() == 5);
  CHECK(r.reviewed == 6);
  CHECK(r.accepted == 3);
  // [0.8, 1.0]: 0.9, 0.85, 0.8, 1.0 -> 3 of 4 accepted
  CHECK(r.buckets[4].reviewed == 4);
  CHECK(r.buckets[4].accept_rate == doctest::Approx(0.75));
  CHECK(r.buckets[1].reviewed == 1);  // 0.3
  CHECK(r.buckets[0].reviewed == 1);  // 0.1
  CHECK(r.buckets[2].reviewed == 0);
  double brier = (0.01 + 0.0225 + 0.64 + 0.09 + 0.01 + 0.0) / 6.0;
  CHECK(r.brier == doctest::Approx(brier));
  auto empty = calibrate({}, 5);
  CHECK(empty.reviewed == 0);
  CHECK(empty.brier == 0.0);
}
