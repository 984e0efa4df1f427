// History and state writes, each checked: decisions, skips (collapsed by the store), the escalation step.
#include "healer/worker.hpp"

#include <algorithm>

#include "healer/detail/worker_util.hpp"
#include "healer/history.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

namespace selfheal::healer {

using namespace detail;

void Worker::count_decision(RunDecision decision, const std::string& reason) {
  deps_.metrics
      .counter("selfheal_healer_decisions_total", "Healer decisions by decision and skip reason.",
               {{"decision", std::string(to_string(decision))}, {"reason", reason}})
      .inc();
}

void Worker::record_skip(const Plan& plan, const Decision& d, std::int64_t approval_id) {
  HealingRun r = history_row(plan, deps_.clock.now_ms(), RunDecision::skipped);
  r.reason = std::string(to_string(d.reason));
  r.detail = d.detail;
  r.dry_run = d.reason == SkipReason::dry_run;
  r.approval_id = approval_id;
  if (auto a = deps_.log.append_skip(r); !a) warn_store("record a skip", a.error());
  count_decision(RunDecision::skipped, r.reason);
}

void Worker::warn_store(const char* what, const Error& e) {
  history_write_errors_->inc();
  {
    std::lock_guard l(health_mu_);
    last_error_ = std::string(what) + ": " + e.message;
    ++store_errors_;
  }
  static log::RateLimit rl(10);
  std::uint64_t suppressed = 0;
  if (rl.allow(suppressed))
    spdlog::warn("Healer could not write its history or state. what=\"{}\" error=\"{}\" suppressed={}", what,
                 e.message, suppressed);
}

Result<std::int64_t> Worker::record(const HealingRun& r, const char* what) {
  auto a = deps_.log.append(r);
  if (!a) warn_store(what, a.error());
  return a;
}

void Worker::record_update(const HealingRun& r, const char* what) {
  if (auto u = deps_.log.update(r); !u) warn_store(what, u.error());
}

void Worker::set_step(const Plan& p, int step) {
  if (auto w = deps_.state.set_escalation_step(p.strategy, p.fingerprint_id, p.target, step, deps_.clock.now_ms());
      !w)
    warn_store("persist the escalation step", w.error());
}

}  // namespace selfheal::healer
