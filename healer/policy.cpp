#include "healer/policy.hpp"

#include <algorithm>
#include <cmath>

#include "healer/actions/exec_action.hpp"
#include "healer/detail/enum_names.hpp"

namespace selfheal::healer {

namespace {
constexpr std::int64_t minute_ms = 60'000;

constexpr detail::EnumName<BreakerPhase> kBreakerPhaseNames[] = {
    {BreakerPhase::closed, "closed"},
    {BreakerPhase::open, "open"},
    {BreakerPhase::half_open, "half_open"},
};

constexpr detail::EnumName<ApprovalStatus> kApprovalStatusNames[] = {
    {ApprovalStatus::none, "none"},         {ApprovalStatus::pending, "pending"},
    {ApprovalStatus::approved, "approved"}, {ApprovalStatus::rejected, "rejected"},
    {ApprovalStatus::expired, "expired"},   {ApprovalStatus::consumed, "consumed"},
};

constexpr detail::EnumName<Verdict> kVerdictNames[] = {
    {Verdict::run, "run"},
    {Verdict::skip, "skip"},
    {Verdict::request_approval, "request_approval"},
};

constexpr detail::EnumName<SkipReason> kSkipReasonNames[] = {
    {SkipReason::none, ""},
    {SkipReason::disabled, "disabled"},
    {SkipReason::breaker_open, "breaker_open"},
    {SkipReason::concurrency, "concurrency"},
    {SkipReason::cooldown, "cooldown"},
    {SkipReason::rate_limited, "rate_limited"},
    {SkipReason::dry_run, "dry_run"},
    {SkipReason::awaiting_approval, "awaiting_approval"},
    {SkipReason::approval_rejected, "approval_rejected"},
    {SkipReason::approval_expired, "approval_expired"},
    {SkipReason::unsafe_argument, "unsafe_argument"},
};

Decision skip(SkipReason r, UnixMs not_before, std::string detail) {
  Decision d;
  d.verdict = Verdict::skip;
  d.reason = r;
  d.not_before = not_before;
  d.detail = std::move(detail);
  return d;
}
}  // namespace

std::string_view to_string(BreakerPhase p) {
  return detail::name_of<BreakerPhase>(kBreakerPhaseNames, p, "closed");
}

BreakerPhase parse_breaker_phase(std::string_view s) {
  return detail::value_of<BreakerPhase>(kBreakerPhaseNames, s, BreakerPhase::closed);
}

std::string_view to_string(ApprovalStatus s) {
  return detail::name_of<ApprovalStatus>(kApprovalStatusNames, s, "none");
}

ApprovalStatus parse_approval_status(std::string_view s) {
  return detail::value_of<ApprovalStatus>(kApprovalStatusNames, s, ApprovalStatus::none);
}

std::string_view to_string(Verdict v) {
  return detail::name_of<Verdict>(kVerdictNames, v, "skip");
}

std::string_view to_string(SkipReason r) {
  return detail::name_of<SkipReason>(kSkipReasonNames, r, "");
}

BreakerPhase effective_phase(const BreakerState& s, const BreakerConfig& cfg, UnixMs now) {
  if (s.phase == BreakerPhase::open && now >= s.opened_at + cfg.open_secs * 1000) return BreakerPhase::half_open;
  return s.phase;
}

std::string unsafe_argv(const Plan& plan) {
  const auto check = [&](const Delivery& d) -> std::string {
    if (d.type != "exec" || d.exec.argv.empty()) return {};  // an empty argv is refused at load
    auto argv = build_argv(d.exec, plan.fields);
    return argv ? std::string() : argv.error().message;
  };
  const auto& a = plan.action;
  if (a.type == "exec") return check(a.delivery);
  if (a.type == "throttle") {
    if (auto w = check(a.delivery); !w.empty()) return w;
    return check(a.restore);
  }
  return {};
}

Decision decide(const Plan& plan, const PolicyState& state, UnixMs now) {
  const GuardsConfig& g = plan.guards;
  if (!plan.enabled) return skip(SkipReason::disabled, 0, "strategy is disabled");
  if (auto why = unsafe_argv(plan); !why.empty()) return skip(SkipReason::unsafe_argument, 0, why);
  if (plan.page) {  // escalation to a human: never held back by the remediation guards or approvals
    if (plan.dry_run) return skip(SkipReason::dry_run, 0, "dry run: would page via " + plan.action.name);
    Decision d;
    d.verdict = Verdict::run;
    d.detail = "escalation page (remediation guards do not apply)";
    return d;
  }

  bool trial = false;
  if (g.breaker.failures > 0) {
    switch (effective_phase(state.breaker, g.breaker, now)) {
      case BreakerPhase::closed:
        break;
      case BreakerPhase::open: {
        const UnixMs until = state.breaker.opened_at + g.breaker.open_secs * 1000;
        return skip(SkipReason::breaker_open, until,
                    "circuit breaker open after " + std::to_string(state.breaker.consecutive_failures) + " failures");
      }
      case BreakerPhase::half_open:
        if (state.breaker.trial_in_flight)
          return skip(SkipReason::breaker_open, 0, "circuit breaker half-open: a trial is in flight");
        trial = true;
        break;
    }
  }

  if (g.max_concurrent > 0 && state.in_flight_on_target >= g.max_concurrent)
    return skip(SkipReason::concurrency, 0,
                std::to_string(state.in_flight_on_target) + " action(s) already running on " + plan.target);

  if (g.cooldown_secs > 0 && state.last_run_at > 0 && now < state.last_run_at + g.cooldown_secs * 1000)
    return skip(SkipReason::cooldown, state.last_run_at + g.cooldown_secs * 1000,
                "cooldown of " + std::to_string(g.cooldown_secs) + "s on " + plan.target);

  if (g.max_runs > 0 && g.per_secs > 0) {
    const UnixMs from = now - g.per_secs * 1000;
    std::int64_t in_window = 0;
    UnixMs oldest = now;
    for (UnixMs t : state.window_runs) {
      if (t > from && t <= now) {
        ++in_window;
        oldest = std::min(oldest, t);
      }
    }
    if (in_window >= g.max_runs)
      return skip(SkipReason::rate_limited, oldest + g.per_secs * 1000,
                  std::to_string(in_window) + " runs in the last " + std::to_string(g.per_secs) + "s (max " +
                      std::to_string(g.max_runs) + ")");
  }

  if (plan.dry_run) return skip(SkipReason::dry_run, 0, "dry run: would run " + plan.action.name);

  Decision d;
  d.half_open_trial = trial;
  if (plan.requires_approval) {
    const ApprovalView& a = state.approval;
    switch (a.status) {
      case ApprovalStatus::none:
      case ApprovalStatus::consumed:
      case ApprovalStatus::expired:
        d.verdict = Verdict::request_approval;
        d.detail = "approval required";
        return d;
      case ApprovalStatus::pending:
        if (now >= a.expires_at)
          return skip(SkipReason::approval_expired, 0, "approval " + std::to_string(a.id) + " expired");
        return skip(SkipReason::awaiting_approval, a.expires_at, "awaiting approval " + std::to_string(a.id));
      case ApprovalStatus::rejected:
        if (now < a.decided_at + g.cooldown_secs * 1000)
          return skip(SkipReason::approval_rejected, a.decided_at + g.cooldown_secs * 1000,
                      "approval " + std::to_string(a.id) + " rejected");
        d.verdict = Verdict::request_approval;
        d.detail = "approval required (previous one rejected)";
        return d;
      case ApprovalStatus::approved:
        d.approved = true;
        break;
    }
  }
  d.verdict = Verdict::run;
  d.reason = SkipReason::none;
  d.detail = trial ? "half-open trial" : (d.approved ? "approved" : "guards passed");
  return d;
}

BreakerTransition breaker_after(const BreakerState& s, const BreakerConfig& cfg, bool success, UnixMs now) {
  BreakerTransition t;
  t.state = s;
  t.state.trial_in_flight = false;
  if (cfg.failures <= 0) {
    t.state.phase = BreakerPhase::closed;
    t.state.consecutive_failures = success ? 0 : s.consecutive_failures + 1;
    return t;
  }
  if (success) {
    t.closed = s.phase != BreakerPhase::closed;
    t.state.phase = BreakerPhase::closed;
    t.state.consecutive_failures = 0;
    return t;
  }
  ++t.state.consecutive_failures;
  if (s.phase != BreakerPhase::closed) {  // a failed trial (or a late result while open): open again
    t.state.phase = BreakerPhase::open;
    t.state.opened_at = now;
    ++t.state.opens;
    t.reopened = true;
    return t;
  }
  if (t.state.consecutive_failures >= cfg.failures) {
    t.state.phase = BreakerPhase::open;
    t.state.opened_at = now;
    ++t.state.opens;
    t.opened = true;
  }
  return t;
}


VerificationResult verify_rates(std::int64_t before_count, std::int64_t before_ms, std::int64_t after_count,
                                std::int64_t after_ms, double min_drop_ratio) {
  VerificationResult r;
  r.before_per_min = before_ms > 0 ? static_cast<double>(before_count) * minute_ms / static_cast<double>(before_ms) : 0;
  r.after_per_min = after_ms > 0 ? static_cast<double>(after_count) * minute_ms / static_cast<double>(after_ms) : 0;
  if (after_count == 0) {
    r.verified = true;
    r.detail = "no events after the action";
  } else if (r.before_per_min <= 0) {
    r.verified = false;
    r.detail = "events after the action and none before";
  } else {
    r.verified = r.after_per_min <= r.before_per_min * (1.0 - min_drop_ratio);
    r.detail = r.verified ? "rate dropped enough" : "rate did not drop enough";
  }
  return r;
}

std::int64_t count_in_window(const std::vector<MinuteCount>& series, UnixMs now, std::int64_t window_ms) {
  std::int64_t n = 0;
  for (const auto& m : series)
    if (m.minute + minute_ms > now - window_ms && m.minute <= now) n += m.count;
  return n;
}

}  // namespace selfheal::healer
