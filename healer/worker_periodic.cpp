// Periodic work on the loop thread: approvals granted or expired, throttle restores; failover reset.
#include "healer/worker.hpp"

#include <algorithm>

#include "healer/actions/failover.hpp"
#include "healer/detail/worker_util.hpp"
#include "healer/history.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

namespace selfheal::healer {

using namespace detail;

void Worker::handle_approvals() {
  const UnixMs now = deps_.clock.now_ms();
  if (auto expired = deps_.approvals.expire_approvals(now)) {
    for (const auto& a : *expired) {
      std::string type;
      if (const Strategy* s = strategy_by_name(a.strategy); s && a.step < s->steps())
        type = s->config().actions[static_cast<std::size_t>(a.step)].type;
      HealingRun r = history_row(a.strategy, a.fingerprint_id, a.target, a.action, type, a.step, now,
                                 RunDecision::skipped);
      r.reason = "approval_expired";
      r.approval_id = a.id;
      r.detail = "approval " + std::to_string(a.id) + " expired unanswered";
      (void)record(r, "record an expired approval");
      count_decision(RunDecision::skipped, "approval_expired");
    }
  }
  auto approved = deps_.approvals.approvals("approved", 100);
  if (!approved) return;
  for (const auto& a : *approved) {
    const Strategy* s = strategy_by_name(a.strategy);
    if (!s) continue;
    // The approval's own scope: its target is the service it was requested for.
    TriggerScope scope;
    if (a.target.rfind("fingerprint:", 0) != 0) scope.service = a.target;
    auto pj = nlohmann::json::parse(a.plan_json, nullptr, false);
    if (pj.is_object() && pj.contains("host") && pj["host"].is_string()) scope.host = pj["host"].get<std::string>();
    evaluate(a.fingerprint_id, scope, s, a.step, false);
  }
}

void Worker::restore_throttles() {
  auto active = deps_.state.active_throttles();
  if (!active) return;
  const UnixMs now = deps_.clock.now_ms();
  for (const auto& t : *active) {
    if (t.restore_at > now) break;
    const Strategy* s = strategy_by_name(t.strategy);
    const ActionConfig* a = nullptr;
    if (s)
      for (const auto& ac : s->config().actions)
        if (ac.name == t.action) a = &ac;
    HealingRun r =
        history_row(t.strategy, t.fingerprint_id, t.target, t.action + ":restore", "throttle", 0, now, RunDecision::ran);
    r.attempts = 1;
    if (!a) {
      set_outcome(r, RunOutcome::error);
      r.error = "throttle's strategy or action is no longer configured; cannot restore";
    } else {
      auto o = run_delivery(a->restore, fields_from_json(t.fields_json));
      set_outcome(r, o && o->success ? RunOutcome::success : RunOutcome::failure);
      if (o) {
        r.exit_code = o->code;
        r.output = excerpt(o->output);
        r.error = o->error;
        r.duration_ms = o->duration_ms;
      } else {
        r.error = o.error().message;
      }
    }
    const bool restored = r.outcome == to_string(RunOutcome::success);
    if (auto w = deps_.state.finish_throttle(t.id, restored ? "restored" : "restore_failed", now); !w)
      warn_store("finish a throttle", w.error());
    (void)record(r, "record a throttle restore");
    deps_.metrics
        .counter("selfheal_healer_actions_total", "Healing actions run, by action type and outcome.",
                 {{"action", "throttle_restore"}, {"outcome", r.outcome}})
        .inc();
  }
}

Result<ActionOutcome> Worker::reset_failover(const std::string& strategy, const std::string& action) {
  const Strategy* s = strategy_by_name(strategy);
  if (!s) return make_error(ErrorCode::not_found, "unknown strategy " + strategy);
  const ActionConfig* a = nullptr;
  for (const auto& ac : s->config().actions)
    if (ac.name == action && ac.type == "failover") a = &ac;
  if (!a) return make_error(ErrorCode::not_found, "no failover action " + action + " in " + strategy);
  const std::string key = strategy + "/" + action;
  auto cur = deps_.state.failover(key);
  if (!cur) return cur.error();
  const std::string active = *cur ? (*cur)->active : a->targets.front();
  Fields f = {{"strategy", strategy}, {"action", action}, {"target", active}};
  auto res =
      healer::reset_failover(*a, active, f, [](const Delivery& d, const Fields& fl) { return run_delivery(d, fl); });
  if (res.switched || !*cur)
    if (auto w = deps_.state.save_failover(FailoverRow{key, res.active, res.previous, deps_.clock.now_ms(),
                                                       res.outcome.success ? "reset" : "reset_failed"});
        !w)
      warn_store("persist the failover state", w.error());
  HealingRun r =
      history_row(strategy, "", res.active, action + ":reset", "failover", 0, deps_.clock.now_ms(), RunDecision::ran);
  set_outcome(r, res.outcome.success ? RunOutcome::success : RunOutcome::failure);
  r.output = excerpt(res.outcome.output);
  r.error = res.outcome.error;
  r.attempts = 1;
  (void)record(r, "record a failover reset");
  return res.outcome;
}

}  // namespace selfheal::healer
