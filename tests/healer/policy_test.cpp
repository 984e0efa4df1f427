// The guards are pure: every case is a row of (plan tweaks, state, time) → verdict and reason.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "healer/policy.hpp"
#include "healer/strategy.hpp"
#include "schema/clock.hpp"
#include "schema/trends.hpp"
#include "tests/support/fake_clock.hpp"

using namespace selfheal;
using namespace selfheal::healer;

namespace {

constexpr UnixMs t0 = 1'700'000'000'000;
constexpr std::int64_t s = 1000;

Plan base_plan() {
  Plan p;
  p.strategy = "restart";
  p.fingerprint_id = "fp1";
  p.target = "api";
  p.action.type = "exec";
  p.action.name = "exec";
  p.guards.cooldown_secs = 60;
  p.guards.max_runs = 3;
  p.guards.per_secs = 3600;
  p.guards.max_concurrent = 1;
  p.guards.breaker = {3, 600};
  return p;
}

/// The plan of a page: a notify step sent as an escalation.
void as_page(Plan& p) {
  p.action.type = "notify";
  p.page = true;
}

struct Row {
  const char* name;
  std::function<void(Plan&, PolicyState&)> setup;
  UnixMs now;
  Verdict verdict;
  SkipReason reason;
  bool trial = false;
  UnixMs not_before = -1;  // -1: do not check
};

}  // namespace

TEST_CASE("decide applies every guard in its documented order") {
  const std::vector<Row> rows = {
      {"fresh state runs", [](Plan&, PolicyState&) {}, t0, Verdict::run, SkipReason::none},
      {"disabled strategy is skipped", [](Plan& p, PolicyState&) { p.enabled = false; }, t0, Verdict::skip,
       SkipReason::disabled},
      // argument injection (issue 15): a substituted value may never become an option
      {"a service starting with '-' is refused before any guard",
       [](Plan& p, PolicyState& st) {
         p.action.delivery.type = "exec";
         p.action.delivery.exec.argv = {"/bin/echo", "restart", "{service}"};
         p.fields = {{"service", "--force"}};
         st.last_run_at = t0;  // even inside a cooldown the recorded reason is the unsafe value
       },
       t0, Verdict::skip, SkipReason::unsafe_argument},
      {"a value '-rf' is refused",
       [](Plan& p, PolicyState&) {
         p.action.delivery.type = "exec";
         p.action.delivery.exec.argv = {"/bin/echo", "{host}"};
         p.fields = {{"host", "-rf"}};
       },
       t0, Verdict::skip, SkipReason::unsafe_argument},
      {"an empty value is refused",
       [](Plan& p, PolicyState&) {
         p.action.delivery.type = "exec";
         p.action.delivery.exec.argv = {"/bin/echo", "{service}"};
         p.fields = {{"service", ""}};
       },
       t0, Verdict::skip, SkipReason::unsafe_argument},
      {"a throttle's restore argv is checked too",
       [](Plan& p, PolicyState&) {
         p.action.type = "throttle";
         p.action.delivery.type = "exec";
         p.action.delivery.exec.argv = {"/bin/echo", "apply"};
         p.action.restore.type = "exec";
         p.action.restore.exec.argv = {"/bin/echo", "restore", "{service}"};
         p.fields = {{"service", "-x"}};
       },
       t0, Verdict::skip, SkipReason::unsafe_argument},
      {"a dash inside a value is fine",
       [](Plan& p, PolicyState&) {
         p.action.delivery.type = "exec";
         p.action.delivery.exec.argv = {"/bin/echo", "{service}"};
         p.fields = {{"service", "checkout-api"}};
       },
       t0, Verdict::run, SkipReason::none},
      // escalation pages (issue 14, defect 3): the remediation guards never hold them back
      {"a page ignores cooldown, rate limit, concurrency and an open breaker",
       [](Plan& p, PolicyState& st) {
         as_page(p);
         st.last_run_at = t0;
         st.window_runs = {t0 - 3 * s, t0 - 2 * s, t0 - s};
         st.in_flight_on_target = 1;
         st.breaker.phase = BreakerPhase::open;
         st.breaker.opened_at = t0;
       },
       t0, Verdict::run, SkipReason::none},
      {"a page of a disabled strategy is skipped",
       [](Plan& p, PolicyState&) {
         as_page(p);
         p.enabled = false;
       },
       t0, Verdict::skip, SkipReason::disabled},
      {"a page in dry run is only recorded",
       [](Plan& p, PolicyState&) {
         as_page(p);
         p.dry_run = true;
       },
       t0, Verdict::skip, SkipReason::dry_run},
      {"a page needs no approval",
       [](Plan& p, PolicyState&) {
         as_page(p);
         p.requires_approval = true;
       },
       t0, Verdict::run, SkipReason::none},
      {"a notify step that is not a page keeps the guards",
       [](Plan& p, PolicyState& st) {
         p.action.type = "notify";
         st.last_run_at = t0 - s;
       },
       t0, Verdict::skip, SkipReason::cooldown, false, t0 + 59 * s},
      // cooldown per (strategy, target)
      {"within cooldown is skipped", [](Plan&, PolicyState& st) { st.last_run_at = t0 - 59 * s; }, t0, Verdict::skip,
       SkipReason::cooldown, false, t0 + s},
      {"cooldown boundary is exclusive", [](Plan&, PolicyState& st) { st.last_run_at = t0 - 60 * s; }, t0, Verdict::run,
       SkipReason::none},
      {"zero cooldown never blocks",
       [](Plan& p, PolicyState& st) {
         p.guards.cooldown_secs = 0;
         st.last_run_at = t0;
       },
       t0, Verdict::run, SkipReason::none},
      // rate limit per window
      {"rate limit reached",
       [](Plan&, PolicyState& st) {
         st.window_runs = {t0 - 3000 * s, t0 - 2000 * s, t0 - 1000 * s};
       },
       t0, Verdict::skip, SkipReason::rate_limited, false, t0 - 3000 * s + 3600 * s},
      {"runs older than the window do not count",
       [](Plan&, PolicyState& st) {
         st.window_runs = {t0 - 3600 * s, t0 - 2000 * s, t0 - 1000 * s};
       },
       t0, Verdict::run, SkipReason::none},
      {"max_runs 0 means unlimited",
       [](Plan& p, PolicyState& st) {
         p.guards.max_runs = 0;
         st.window_runs = {t0 - 3 * s, t0 - 2 * s, t0 - s, t0 - s};
       },
       t0, Verdict::run, SkipReason::none},
      // concurrency per target
      {"one action already running on the target", [](Plan&, PolicyState& st) { st.in_flight_on_target = 1; }, t0,
       Verdict::skip, SkipReason::concurrency},
      {"concurrency below the limit runs",
       [](Plan& p, PolicyState& st) {
         p.guards.max_concurrent = 2;
         st.in_flight_on_target = 1;
       },
       t0, Verdict::run, SkipReason::none},
      // breaker
      {"open breaker skips until open_secs pass",
       [](Plan&, PolicyState& st) {
         st.breaker.phase = BreakerPhase::open;
         st.breaker.opened_at = t0 - 599 * s;
         st.breaker.consecutive_failures = 3;
       },
       t0, Verdict::skip, SkipReason::breaker_open, false, t0 + s},
      {"open breaker after open_secs allows one half-open trial",
       [](Plan&, PolicyState& st) {
         st.breaker.phase = BreakerPhase::open;
         st.breaker.opened_at = t0 - 600 * s;
       },
       t0, Verdict::run, SkipReason::none, true},
      {"half-open with a trial in flight skips",
       [](Plan&, PolicyState& st) {
         st.breaker.phase = BreakerPhase::half_open;
         st.breaker.trial_in_flight = true;
       },
       t0, Verdict::skip, SkipReason::breaker_open},
      {"breaker disabled (failures 0) ignores an open state",
       [](Plan& p, PolicyState& st) {
         p.guards.breaker.failures = 0;
         st.breaker.phase = BreakerPhase::open;
         st.breaker.opened_at = t0;
       },
       t0, Verdict::run, SkipReason::none},
      // dry run
      {"dry run records instead of running", [](Plan& p, PolicyState&) { p.dry_run = true; }, t0, Verdict::skip,
       SkipReason::dry_run},
      // approvals
      {"approval required and none exists", [](Plan& p, PolicyState&) { p.requires_approval = true; }, t0,
       Verdict::request_approval, SkipReason::none},
      {"pending approval waits",
       [](Plan& p, PolicyState& st) {
         p.requires_approval = true;
         st.approval = {7, ApprovalStatus::pending, t0 + s, 0};
       },
       t0, Verdict::skip, SkipReason::awaiting_approval, false, t0 + s},
      {"pending approval past its expiry is expired",
       [](Plan& p, PolicyState& st) {
         p.requires_approval = true;
         st.approval = {7, ApprovalStatus::pending, t0, 0};
       },
       t0, Verdict::skip, SkipReason::approval_expired},
      {"expired approval asks again",
       [](Plan& p, PolicyState& st) {
         p.requires_approval = true;
         st.approval = {7, ApprovalStatus::expired, t0 - s, 0};
       },
       t0, Verdict::request_approval, SkipReason::none},
      {"approved approval runs",
       [](Plan& p, PolicyState& st) {
         p.requires_approval = true;
         st.approval = {7, ApprovalStatus::approved, t0 + s, t0 - s};
       },
       t0, Verdict::run, SkipReason::none},
      {"consumed approval asks again",
       [](Plan& p, PolicyState& st) {
         p.requires_approval = true;
         st.approval = {7, ApprovalStatus::consumed, t0 + s, t0 - s};
       },
       t0, Verdict::request_approval, SkipReason::none},
      {"rejected approval holds for a cooldown",
       [](Plan& p, PolicyState& st) {
         p.requires_approval = true;
         st.approval = {7, ApprovalStatus::rejected, t0 + s, t0 - 10 * s};
       },
       t0, Verdict::skip, SkipReason::approval_rejected, false, t0 + 50 * s},
      {"rejected approval asks again after the cooldown",
       [](Plan& p, PolicyState& st) {
         p.requires_approval = true;
         st.approval = {7, ApprovalStatus::rejected, t0 + s, t0 - 60 * s};
       },
       t0, Verdict::request_approval, SkipReason::none},
      // combinations: the earlier guard wins
      {"disabled beats everything",
       [](Plan& p, PolicyState& st) {
         p.enabled = false;
         st.breaker.phase = BreakerPhase::open;
         st.breaker.opened_at = t0;
         st.last_run_at = t0;
       },
       t0, Verdict::skip, SkipReason::disabled},
      {"breaker beats concurrency and cooldown",
       [](Plan&, PolicyState& st) {
         st.breaker.phase = BreakerPhase::open;
         st.breaker.opened_at = t0;
         st.in_flight_on_target = 5;
         st.last_run_at = t0;
       },
       t0, Verdict::skip, SkipReason::breaker_open},
      {"concurrency beats cooldown",
       [](Plan&, PolicyState& st) {
         st.in_flight_on_target = 1;
         st.last_run_at = t0;
       },
       t0, Verdict::skip, SkipReason::concurrency},
      {"cooldown beats rate limit",
       [](Plan&, PolicyState& st) {
         st.last_run_at = t0 - s;
         st.window_runs = {t0 - 3 * s, t0 - 2 * s, t0 - s};
       },
       t0, Verdict::skip, SkipReason::cooldown},
      {"rate limit beats dry run",
       [](Plan& p, PolicyState& st) {
         p.dry_run = true;
         st.window_runs = {t0 - 300 * s, t0 - 200 * s, t0 - 100 * s};
       },
       t0, Verdict::skip, SkipReason::rate_limited},
      {"dry run beats approval",
       [](Plan& p, PolicyState&) {
         p.dry_run = true;
         p.requires_approval = true;
       },
       t0, Verdict::skip, SkipReason::dry_run},
      {"half-open trial still needs an approval",
       [](Plan& p, PolicyState& st) {
         p.requires_approval = true;
         st.breaker.phase = BreakerPhase::open;
         st.breaker.opened_at = t0 - 601 * s;
       },
       t0, Verdict::request_approval, SkipReason::none, true},
      {"half-open trial with an approval runs as the trial",
       [](Plan& p, PolicyState& st) {
         p.requires_approval = true;
         st.breaker.phase = BreakerPhase::half_open;
         st.approval = {3, ApprovalStatus::approved, t0 + s, t0};
       },
       t0, Verdict::run, SkipReason::none, true},
      {"half-open trial still respects cooldown",
       [](Plan&, PolicyState& st) {
         st.breaker.phase = BreakerPhase::half_open;
         st.last_run_at = t0 - s;
       },
       t0, Verdict::skip, SkipReason::cooldown},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    Plan p = base_plan();
    PolicyState st;
    row.setup(p, st);
    const Decision d = decide(p, st, row.now);
    CHECK(d.verdict == row.verdict);
    CHECK(d.reason == row.reason);
    CHECK(d.half_open_trial == row.trial);
    if (row.not_before >= 0) CHECK(d.not_before == row.not_before);
    CHECK_FALSE(d.detail.empty());
  }
}

TEST_CASE("decide is pure: the same inputs give the same answer") {
  Plan p = base_plan();
  PolicyState st;
  st.last_run_at = t0 - 10 * s;
  const Decision a = decide(p, st, t0);
  const Decision b = decide(p, st, t0);
  CHECK(a.verdict == b.verdict);
  CHECK(a.reason == b.reason);
  CHECK(a.not_before == b.not_before);
}

TEST_CASE("a cooldown lifts exactly when the fake clock reaches it") {
  FakeClock clock(t0);
  Plan p = base_plan();
  PolicyState st;
  st.last_run_at = clock.now_ms();
  Decision d = decide(p, st, clock.now_ms());
  REQUIRE(d.reason == SkipReason::cooldown);
  clock.set(d.not_before - 1);
  CHECK(decide(p, st, clock.now_ms()).reason == SkipReason::cooldown);
  clock.set(d.not_before);
  CHECK(decide(p, st, clock.now_ms()).verdict == Verdict::run);
}

TEST_CASE("a storm of decisions never lets more runs through than the rate limit") {
  FakeClock clock(t0);
  Plan p = base_plan();
  p.guards.cooldown_secs = 0;
  p.guards.max_runs = 3;
  p.guards.per_secs = 3600;
  PolicyState st;
  int runs = 0, limited = 0;
  for (int i = 0; i < 1000; ++i) {  // 1,000 evaluations in one minute
    const Decision d = decide(p, st, clock.now_ms());
    if (d.verdict == Verdict::run) {
      ++runs;
      st.window_runs.push_back(clock.now_ms());
    } else if (d.reason == SkipReason::rate_limited) {
      ++limited;
    }
    clock.advance_ms(60);
  }
  CHECK(runs == 3);
  CHECK(limited == 997);
  clock.set(t0 + 3600 * s + 1);
  CHECK(decide(p, st, clock.now_ms()).verdict == Verdict::run);
}

TEST_CASE("the breaker goes closed → open → half-open → closed, opening once") {
  const BreakerConfig cfg{3, 600};
  FakeClock clock(t0);
  BreakerState b;
  int opened = 0;
  for (int i = 0; i < 3; ++i) {
    auto t = breaker_after(b, cfg, false, clock.now_ms());
    b = t.state;
    opened += t.opened;
  }
  CHECK(b.phase == BreakerPhase::open);
  CHECK(opened == 1);
  CHECK(b.opened_at == t0);
  CHECK(effective_phase(b, cfg, t0 + 599 * s) == BreakerPhase::open);
  CHECK(effective_phase(b, cfg, t0 + 600 * s) == BreakerPhase::half_open);

  // A failed trial reopens without a new escalation.
  clock.set(t0 + 700 * s);
  b.phase = BreakerPhase::half_open;
  b.trial_in_flight = true;
  auto t = breaker_after(b, cfg, false, clock.now_ms());
  CHECK(t.reopened);
  CHECK_FALSE(t.opened);
  CHECK(t.state.phase == BreakerPhase::open);
  CHECK(t.state.opened_at == t0 + 700 * s);
  CHECK_FALSE(t.state.trial_in_flight);
  CHECK(t.state.opens == 2);

  // A successful trial closes and resets the count.
  b = t.state;
  b.phase = BreakerPhase::half_open;
  t = breaker_after(b, cfg, true, t0 + 1400 * s);
  CHECK(t.closed);
  CHECK(t.state.phase == BreakerPhase::closed);
  CHECK(t.state.consecutive_failures == 0);
}

TEST_CASE("a success between failures resets the breaker count") {
  const BreakerConfig cfg{3, 600};
  BreakerState b;
  b = breaker_after(b, cfg, false, t0).state;
  b = breaker_after(b, cfg, false, t0).state;
  b = breaker_after(b, cfg, true, t0).state;
  b = breaker_after(b, cfg, false, t0).state;
  b = breaker_after(b, cfg, false, t0).state;
  CHECK(b.phase == BreakerPhase::closed);
  CHECK(b.consecutive_failures == 2);
  auto t = breaker_after(b, cfg, false, t0);
  CHECK(t.opened);
}

TEST_CASE("verification compares the rate after with the rate before") {
  struct R {
    std::int64_t before, before_ms, after, after_ms;
    double ratio;
    bool verified;
  };
  const std::vector<R> rows = {
      {100, 60'000, 0, 2'000, 0.5, true},     // silence after: verified
      {100, 60'000, 10, 60'000, 0.5, true},   // 100/min → 10/min
      {100, 60'000, 50, 60'000, 0.5, true},   // exactly half
      {100, 60'000, 51, 60'000, 0.5, false},  // not enough of a drop
      {0, 60'000, 1, 60'000, 0.5, false},     // new errors after, none before
      {60, 60'000, 2, 2'000, 0.5, false},     // 60/min → 60/min over a short window
      {60, 60'000, 1, 2'000, 0.0, true},      // ratio 0: not worse is enough
  };
  for (const auto& r : rows) {
    const auto v = verify_rates(r.before, r.before_ms, r.after, r.after_ms, r.ratio);
    CAPTURE(r.before);
    CAPTURE(r.after);
    CHECK(v.verified == r.verified);
  }
  const auto v = verify_rates(120, 60'000, 10, 60'000, 0.5);
  CHECK(v.before_per_min == doctest::Approx(120));
  CHECK(v.after_per_min == doctest::Approx(10));
}

TEST_CASE("escalating compares the short window with the fingerprint's own baseline") {
  const UnixMs now = t0 - t0 % 60'000 + 30'000;  // half way through a minute
  const UnixMs m = now - now % 60'000;
  std::vector<MinuteCount> flat, spike, small;
  for (int i = 60; i >= 0; --i) flat.push_back({m - i * 60'000, 10});
  for (int i = 65; i >= 6; --i) spike.push_back({m - i * 60'000, 2});
  for (int i = 5; i >= 0; --i) spike.push_back({m - i * 60'000, 30});
  for (int i = 5; i >= 1; --i) small.push_back({m - i * 60'000, 1});
  // Where two formulas would disagree: a low, noisy baseline (1/min, then 3/min is within Poisson
  // noise), and a burst only in the still-filling current minute.
  std::vector<MinuteCount> noisy, partial;
  for (int i = 65; i >= 6; --i) noisy.push_back({m - i * 60'000, 1});
  for (int i = 5; i >= 1; --i) noisy.push_back({m - i * 60'000, 3});
  partial.push_back({m, 100});
  EscalationOptions o;  // 5 min against 60 min, x3, at least 10 events
  CHECK_FALSE(escalation(flat, now, o).escalating);
  CHECK(escalation(spike, now, o).escalating);
  CHECK_FALSE(escalation(small, now, o).escalating);  // below min_events
  o.min_events = 5;
  CHECK(escalation(small, now, o).escalating);  // no baseline at all
  // One definition: the healer's match.status: escalating answers exactly what the API's trend says.
  StrategyConfig sc;
  sc.name = "on-escalation";
  sc.match.status = "escalating";
  ActionConfig a;
  a.type = "suggest";
  sc.actions.push_back(a);
  CHECK_FALSE(escalation(noisy, now, o).escalating);
  CHECK_FALSE(escalation(partial, now, o).escalating);
  for (const auto* series : {&flat, &spike, &small, &noisy, &partial}) {
    for (std::int64_t min_events : {5, 10, 200}) {
      TrendOptions to;
      to.min_events = min_events;
      MatchContext mc;
      mc.escalation = to;
      auto strat = ConfiguredStrategy::create(sc, mc, false);
      REQUIRE(strat);
      FingerprintFacts f;
      f.summary.id = "fp";
      f.series = *series;
      f.now = now;
      CAPTURE(min_events);
      CHECK((*strat)->matches(f) == analyze_trend(*series, now, 0, to).escalating);
    }
  }
  CHECK(count_in_window(spike, now, 60'000) == 60);                     // current and previous minute
  CHECK(count_in_window(spike, now, 1'000) == 30);
}
