// Deciding: facts of the triggering scope, guard state, decide(), and what it leads to (a skip, an approval
// request or a queued job); simulate.
#include "healer/worker.hpp"

#include <algorithm>

#include "healer/detail/worker_util.hpp"
#include "healer/history.hpp"
#include "healer/outbound.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

namespace selfheal::healer {

using namespace detail;

Result<FingerprintFacts> Worker::facts(const std::string& id, const TriggerScope& scope) {
  FingerprintFacts f;
  f.service = scope.service;
  f.host = scope.host;
  f.now = deps_.clock.now_ms();
  auto s = deps_.query.fingerprint(id);
  if (!s) return s.error();
  if (!*s) return make_error(ErrorCode::not_found, "fingerprint " + id + " not found");
  f.summary = std::move(**s);
  std::int64_t span =
      (static_cast<std::int64_t>(cfg_.escalation.short_window_min) + cfg_.escalation.baseline_min + 1) * minute_ms;
  for (const auto& st : cfg_.strategies) span = std::max(span, st.match.rate_window_secs * 1000);
  const UnixMs from = f.now - span - minute_ms;
  auto series = deps_.query.series(id, from - from % minute_ms, f.now + minute_ms);
  if (series) f.series = std::move(*series);
  auto samples = deps_.query.samples(id, 6);
  if (samples) {
    // No scope given (an approval, a tool): the newest event's own service and host stand in.
    const StoredSample* newest = nullptr;
    for (const auto& smp : *samples)
      if (!newest || smp.ts > newest->ts) newest = &smp;
    if (scope.service.empty() && newest) {
      f.service = newest->service;
      f.host = newest->host;
    }
    for (auto& smp : *samples) f.samples.push_back(std::move(smp.message));
  }
  return f;
}

Result<PolicyState> Worker::gather_state(const Plan& plan) {
  PolicyState st;
  const UnixMs now = deps_.clock.now_ms();
  auto last = deps_.log.last_run(plan.strategy, plan.target, plan.remediation);
  if (!last) return last.error();
  st.last_run_at = *last;
  if (plan.guards.max_runs > 0 && plan.guards.per_secs > 0) {
    auto times = deps_.log.run_times(plan.strategy, now - plan.guards.per_secs * 1000, plan.remediation);
    if (!times) return times.error();
    st.window_runs = std::move(*times);
  }
  {
    std::lock_guard l(mu_);
    auto it = in_flight_.find(plan.target);
    st.in_flight_on_target = it == in_flight_.end() ? 0 : it->second;
  }
  auto b = deps_.state.breaker(plan.strategy, plan.target);
  if (!b) return b.error();
  st.breaker = to_state(*b);
  if (plan.requires_approval) {
    auto a = deps_.approvals.latest_approval(plan.strategy, plan.fingerprint_id, plan.step);
    if (!a) return a.error();
    if (*a) {
      st.approval.id = (*a)->id;
      st.approval.status = parse_approval_status((*a)->status);
      st.approval.expires_at = (*a)->expires_at;
      st.approval.decided_at = (*a)->decided_at;
    }
  }
  return st;
}

bool Worker::evaluate(const std::string& id, const TriggerScope& scope, const Strategy* only, int step,
                      bool escalation) {
  struct Count {  // counted when the evaluation is complete (its job, if any, is queued)
    std::atomic<std::uint64_t>& n;
    ~Count() { ++n; }
  } count{evaluations_};
  auto f = facts(id, scope);
  if (!f) return false;
  const Strategy* s = only ? only : select_strategy(strategies_, *f);
  if (!s) return false;
  Plan plan = plan_for(*s, *f, std::max(step, 0));
  if (step < 0) {  // where this (strategy, fingerprint, target)'s escalation episode is, across restarts
    auto persisted = deps_.state.escalation_step(plan.strategy, id, plan.target);
    if (!persisted) {
      spdlog::warn("Healer could not read its state; skipping this evaluation. error=\"{}\"",
                   persisted.error().message);
      return false;
    }
    {
      std::lock_guard l(mu_);
      if (escalating_.count({plan.strategy, id, plan.target})) return false;  // its queued escalation decides
    }
    step = *persisted;
    if (step >= s->steps()) step = 0;
    if (step > 0) plan = plan_for(*s, *f, step);
  }
  if (step >= s->steps()) return false;
  // From reading the guard state to recording the decision, no other decision of this strategy (in
  // this process or, on a shared PostgreSQL, any instance) runs: limits and approvals count once.
  auto decision_lock = deps_.state.lock_decision(plan.strategy);
  if (!decision_lock) {
    spdlog::warn("Healer could not lock its decision; skipping this evaluation. error=\"{}\"",
                 decision_lock.error().message);
    return false;
  }
  auto st = gather_state(plan);
  if (!st) {
    spdlog::warn("Healer could not read its state; skipping this evaluation. error=\"{}\"", st.error().message);
    return false;
  }
  // Within an escalation episode the next (heavier) step follows at once: cooldown does not apply.
  if (escalation) st->last_run_at = 0;
  const UnixMs now = deps_.clock.now_ms();
  Decision d = decide(plan, *st, now);

  if (d.verdict == Verdict::skip) {
    if (d.reason == SkipReason::approval_expired)
      if (auto e = deps_.approvals.expire_approvals(now); !e) warn_store("expire approvals", e.error());
    record_skip(plan, d, st->approval.id);
    return false;
  }
  if (d.verdict == Verdict::request_approval) {
    ApprovalRow a;
    a.strategy = plan.strategy;
    a.fingerprint_id = plan.fingerprint_id;
    a.target = plan.target;
    a.step = plan.step;
    a.action = plan.action.name;
    a.plan_json = describe_plan(plan);
    a.created_at = now;
    a.expires_at = now + plan.approval_ttl_ms;
    auto aid = deps_.approvals.create_approval(a);
    if (!aid) {
      warn_store("create an approval", aid.error());
      return false;
    }
    a.id = *aid;
    a.status = "pending";
    HealingRun r = history_row(plan, now, RunDecision::approval_requested);
    r.approval_id = a.id;
    r.detail = d.detail;
    // Sent before the row is written so the row says whether anyone was told.
    const ActionOutcome told = notify_approval(a, plan);
    r.output = told.output;
    r.error = told.error;
    if (!told.success)
      spdlog::warn("Healer could not send an approval request to every channel. approval_id={} error=\"{}\"", a.id,
                   told.error);
    (void)record(r, "record an approval request");
    count_decision(RunDecision::approval_requested, "");
    spdlog::info("Healer requested an approval. approval_id={} strategy={} fingerprint={} action={}", r.approval_id,
                 plan.strategy, id, plan.action.name);
    return false;
  }

  // Notify has its own anti-fatigue gate (threshold and cooldown per level and fingerprint); an
  // escalation page has its own cooldown per channel instead (send_page).
  if (plan.action.type == "notify" && !plan.page) {
    const LevelConfig lvl = notifier_.level(plan.action.level);
    auto last = deps_.state.timestamp("notify:" + plan.action.level + ":" + id);
    const auto gate = notify_gate(lvl, std::max(f->summary.total, f->summary.count), last ? *last : 0, now);
    if (!gate.allowed) {
      HealingRun r = history_row(plan, now, RunDecision::skipped);
      r.reason = gate.reason;
      r.detail = "level " + plan.action.level + " threshold " + std::to_string(lvl.threshold) + ", cooldown " +
                 std::to_string(lvl.cooldown_secs) + "s";
      if (auto w = deps_.log.append_skip(r); !w) warn_store("record a skip", w.error());
      count_decision(RunDecision::skipped, gate.reason);
      return false;
    }
  }

  if (d.approved)
    if (auto c = deps_.approvals.consume_approval(st->approval.id); !c) warn_store("consume an approval", c.error());
  if (d.half_open_trial) {
    BreakerState b = st->breaker;
    b.phase = BreakerPhase::half_open;
    b.trial_in_flight = true;
    if (auto w = deps_.state.save_breaker(to_row(plan, b, now)); !w) {
      warn_store("mark a half-open trial", w.error());
      return false;  // without the mark a second trial could start: do not act
    }
  }
  Job job;
  job.plan = plan;
  job.trial = d.half_open_trial;
  job.escalation = escalation;
  job.fingerprint_count = f->summary.count;
  HealingRun& r = job.run;
  r = history_row(plan, now, RunDecision::ran);
  set_outcome(r, RunOutcome::running);
  r.approval_id = d.approved ? st->approval.id : 0;
  r.detail = d.detail;
  r.rate_before = rate_before(id, now, plan.verification.window_secs * 1000);
  auto rid = deps_.log.append(r);
  if (!rid) {
    warn_store("record a run (not acting)", rid.error());
    return false;
  }
  r.id = *rid;
  job.run_id = *rid;
  count_decision(RunDecision::ran, "");
  {
    std::lock_guard l(mu_);
    ++in_flight_[plan.target];
    jobs_.push_back(std::move(job));
  }
  jobs_cv_.notify_one();
  return true;
}

Result<Simulation> Worker::simulate(const std::string& id, const std::string& service) {
  Simulation sim;
  auto f = facts(id, TriggerScope{service, "", 0});
  if (!f) {
    if (f.error().code == ErrorCode::not_found) return sim;
    return f.error();
  }
  sim.found = true;
  for (const auto& s : strategies_)
    if (s->matches(*f)) sim.matching.emplace_back(s->name());
  const Strategy* s = select_strategy(strategies_, *f);
  if (!s) return sim;
  sim.strategy = std::string(s->name());
  sim.plan = plan_for(*s, *f, 0);
  if (auto step = deps_.state.escalation_step(sim.strategy, id, sim.plan.target); step && *step > 0)
    sim.plan = plan_for(*s, *f, std::min(*step, s->steps() - 1));
  auto st = gather_state(sim.plan);
  if (!st) return st.error();
  sim.state = *st;
  sim.decision = decide(sim.plan, *st, deps_.clock.now_ms());
  const ActionDescription d = sim.plan.impl->describe(sim.plan);
  sim.argv = d.argv;
  sim.body = d.body;
  if (sim.plan.action.type == "notify")
    sim.body = render_notification(
        redacted(notification(sim.plan, "simulation", notification_title("", sim.plan.fields)), *deps_.redactor), "json");
  sim.error = d.error;
  return sim;
}

}  // namespace selfheal::healer
