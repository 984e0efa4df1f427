// Verification: the rate after a remediation compared with the rate before.
#include "healer/worker.hpp"

#include <algorithm>

#include "healer/detail/worker_util.hpp"
#include "healer/history.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

namespace selfheal::healer {

using namespace detail;

void Worker::verify(const VerifyTask& t) {
  auto stored = deps_.log.run(t.run_id);
  if (!stored || !*stored) return;
  HealingRun r = **stored;
  const UnixMs now = deps_.clock.now_ms();
  const std::int64_t after_ms = std::max<std::int64_t>(now - t.ended, 1);
  std::int64_t after_count = 0;
  auto s = deps_.query.fingerprint(t.plan.fingerprint_id);
  if (t.count_at_end >= 0 && s && *s) {
    after_count = std::max<std::int64_t>((*s)->count - t.count_at_end, 0);
  } else {
    // Resumed after a restart: per-minute counts from the minute after the action ended.
    UnixMs from = t.ended - t.ended % minute_ms + minute_ms;
    if (auto series = deps_.query.series(t.plan.fingerprint_id, from, now + 1))
      for (const auto& m : *series) after_count += m.count;
  }
  // before: events per minute; convert back to a count over one minute for verify_rates.
  const auto v = verify_rates(static_cast<std::int64_t>(t.before_per_min * 1000), 1000 * minute_ms, after_count,
                              after_ms, t.plan.verification.min_drop_ratio);
  set_verification(r, v.verified ? RunVerification::verified : RunVerification::not_verified);
  r.rate_after = v.after_per_min;
  r.verified_at = now;
  r.detail += (r.detail.empty() ? "" : "; ") + v.detail + " (" + std::to_string(after_count) + " events in " +
              std::to_string(after_ms / 1000) + "s after)";
  record_update(r, "record a verification");
  deps_.metrics
      .counter("selfheal_healer_verifications_total", "Verifications of healing actions by result.",
               {{"result", r.verification}})
      .inc();
  if (v.verified) auto_heals_->inc();
  spdlog::info(
      "Healer verification done. strategy={} fingerprint={} action={} result={} before_per_min={:.2f} "
      "after_per_min={:.2f}",
      t.plan.strategy, t.plan.fingerprint_id, t.plan.action.name, r.verification, v.before_per_min, v.after_per_min);
  finish_attempt(t.plan, r, v.verified);
}

double Worker::rate_before(const std::string& fp, UnixMs start, std::int64_t window_ms) {
  const std::int64_t span = std::max(window_ms, minute_ms);
  UnixMs from = start - span;
  from -= ((from % minute_ms) + minute_ms) % minute_ms;
  auto series = deps_.query.series(fp, from, start + 1);
  if (!series) return 0;
  std::int64_t n = 0;
  for (const auto& m : *series) n += m.count;
  const double ms = static_cast<double>(std::max<std::int64_t>(start - from, 1));
  return static_cast<double>(n) * minute_ms / ms;
}

}  // namespace selfheal::healer
