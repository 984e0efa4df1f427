// Doing: runs a queued job through its Action with retries, records the outcome, escalates and feeds the
// breaker (remediation steps only).
#include "healer/worker.hpp"

#include <algorithm>

#include "healer/detail/worker_util.hpp"
#include "healer/history.hpp"
#include "schema/log.hpp"
#include "schema/retry.hpp"
#include "schema/time_format.hpp"

namespace selfheal::healer {

using namespace detail;

ActionOutcome Worker::perform(const Job& job, std::stop_token st) {
  return job.plan.impl->run(job.plan, env_, st);
}

void Worker::execute(Job job, std::stop_token st) {
  const Plan& p = job.plan;
  HealingRun& r = job.run;
  ActionOutcome o;
  std::int64_t total_ms = 0;
  for (int attempt = 0;; ++attempt) {
    o = perform(job, st);
    total_ms += o.duration_ms;
    r.attempts = attempt + 1;
    if (o.success || !o.transient || attempt >= p.action.retries || st.stop_requested()) break;
    double jitter;
    {
      std::lock_guard l(mu_);
      jitter = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    }
    const auto delay = backoff_delay(attempt + 1, std::chrono::milliseconds(p.action.backoff_initial_ms),
                                     std::chrono::milliseconds(p.action.backoff_max_ms), jitter);
    std::mutex m;
    std::unique_lock l(m);
    std::condition_variable_any cv;
    if (cv.wait_for(l, st, delay, [] { return false; })) break;
    if (st.stop_requested()) break;
  }
  const UnixMs ended = deps_.clock.now_ms();
  if (!o.success && st.stop_requested()) {
    // Shutdown, not a failure of the fix: recorded, but neither the breaker nor escalation sees it.
    set_outcome(r, RunOutcome::error);
    r.duration_ms = total_ms;
    r.exit_code = o.code;
    r.output = excerpt(o.output);
    r.error = "interrupted by shutdown: " + o.error;
    record_update(r, "record an interrupted run");
    if (job.trial) {
      auto b = deps_.state.breaker(p.strategy, p.target);
      if (b && *b) {
        BreakerRow row = **b;
        row.trial_in_flight = false;
        if (auto w = deps_.state.save_breaker(row); !w) warn_store("release a breaker trial", w.error());
      }
    }
    std::lock_guard l(mu_);
    if (--in_flight_[p.target] <= 0) in_flight_.erase(p.target);
    if (job.escalation) escalating_.erase({p.strategy, p.fingerprint_id, p.target});
    return;
  }
  set_outcome(r, o.success                             ? RunOutcome::success
                 : o.code == -1 && o.output.empty() ? RunOutcome::error
                                                    : RunOutcome::failure);
  r.duration_ms = total_ms;
  r.exit_code = o.code;
  r.output = excerpt(o.output);
  r.error = o.error;
  deps_.metrics
      .counter("selfheal_healer_actions_total", "Healing actions run, by action type and outcome.",
               {{"action", p.action.type}, {"outcome", r.outcome}})
      .inc();
  const bool verifiable = o.success && p.verification.enabled && p.impl->verifiable();
  if (verifiable) {
    set_verification(r, RunVerification::pending);
    VerifyTask t;
    t.run_id = r.id;
    t.plan = p;
    t.started = r.ts;
    t.ended = ended;
    t.due = ended + p.verification.window_secs * 1000;
    auto s = deps_.query.fingerprint(p.fingerprint_id);
    t.count_at_end = s && *s ? (*s)->count : -1;
    t.before_per_min = r.rate_before;
    std::lock_guard l(mu_);
    verifications_.push_back(std::move(t));
  } else if (o.success) {
    set_verification(r, RunVerification::skipped);
  }
  record_update(r, "record an action's outcome");
  spdlog::info("Healer action finished. strategy={} fingerprint={} action={} outcome={} exit={} ms={}", p.strategy,
               p.fingerprint_id, p.action.name, r.outcome, r.exit_code, r.duration_ms);
  if (job.escalation) {  // this step of the episode is done; finish_attempt may mark the next one
    std::lock_guard l(mu_);
    escalating_.erase({p.strategy, p.fingerprint_id, p.target});
  }
  if (!o.success) {
    finish_attempt(p, r, false);
  } else if (!verifiable) {
    finish_attempt(p, r, true);
  }
  {
    std::lock_guard l(mu_);
    if (--in_flight_[p.target] <= 0) in_flight_.erase(p.target);
  }
  cv_.notify_all();
}

void Worker::finish_attempt(const Plan& p, HealingRun& r, bool success) {
  // Only remediation steps count for the breaker: a delivered page says nothing about the fix.
  if (p.remediation) on_breaker_result(p, success, success ? "" : (r.error.empty() ? r.verification : r.error));
  if (success || p.step + 1 >= p.total_steps) {
    set_step(p, 0);  // healed, or every step tried: the next evaluation starts light again
    return;
  }
  set_step(p, p.step + 1);
  std::lock_guard l(mu_);
  escalations_.push_back({p.fingerprint_id, p.strategy, p.step + 1, TriggerScope{p.service, p.host, 0}, p.target});
  escalating_.insert({p.strategy, p.fingerprint_id, p.target});
}

void Worker::on_breaker_result(const Plan& p, bool success, const std::string& why) {
  const UnixMs now = deps_.clock.now_ms();
  auto row = deps_.state.breaker(p.strategy, p.target);
  const BreakerState before = to_state(row ? *row : std::nullopt);
  const BreakerTransition t = breaker_after(before, p.guards.breaker, success, now);
  if (auto w = deps_.state.save_breaker(to_row(p, t.state, now)); !w) warn_store("persist a breaker", w.error());
  deps_.metrics
      .gauge("selfheal_healer_breaker_state",
             "Worst circuit breaker state per strategy: 0 closed, 1 half-open, 2 open.", {{"strategy", p.strategy}})
      .set(t.state.phase == BreakerPhase::open        ? 2
           : t.state.phase == BreakerPhase::half_open ? 1
                                                      : 0);
  if (!t.opened) return;
  circuit_breaks_->inc();
  spdlog::error("Circuit breaker opened; escalating to a human. strategy={} target={} failures={} last_error=\"{}\"",
                p.strategy, p.target, t.state.consecutive_failures, why);
  const std::string title = "Circuit breaker opened: strategy " + p.strategy + " on " + p.target + " after " +
                            std::to_string(t.state.consecutive_failures) + " failed attempts; automatic healing paused";
  Notification n = notification(p, "breaker_open", title);
  n.level = "critical";
  n.fields.emplace_back("failures", std::to_string(t.state.consecutive_failures));
  n.fields.emplace_back("reason", why);
  n.text = "last error: " + why;
  const auto o = send_page(n, {}, p.fingerprint_id, p.target);
  HealingRun r =
      history_row(p.strategy, p.fingerprint_id, p.target, "breaker_escalation", "notify", p.step, now, RunDecision::ran);
  set_outcome(r, o.success ? RunOutcome::success : RunOutcome::failure);
  r.output = o.output;
  r.error = o.error;
  r.attempts = 1;
  r.detail = title;
  (void)record(r, "record a breaker page");
  deps_.metrics
      .counter("selfheal_healer_actions_total", "Healing actions run, by action type and outcome.",
               {{"action", "notify"}, {"outcome", r.outcome}})
      .inc();
}

}  // namespace selfheal::healer
