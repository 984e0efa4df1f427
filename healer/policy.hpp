#pragma once
// Guards as pure functions: no I/O, no clock reads, no globals. The worker gathers the state from
// the stores, calls decide(), and records whatever it answers. Tested exhaustively with tables.
//
// Order of the guards (the first that refuses wins, so the recorded reason is the most specific):
//   disabled → unsafe argument (a placeholder value that is empty or starts with '-') → breaker (open / half-open trial in flight) → concurrency per target
//   → cooldown per (strategy, target) → rate limit per strategy window → dry run → approval → run
// An escalation page (plan.page: a notify step after a remediation step) sees only disabled → dry run:
// its own per-channel cooldown is applied when it is sent.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "healer/plan.hpp"
#include "schema/clock.hpp"
#include "schema/store.hpp"

namespace selfheal::healer {

enum class BreakerPhase { closed, open, half_open };
std::string_view to_string(BreakerPhase p);
BreakerPhase parse_breaker_phase(std::string_view s);

/// Persisted per (strategy, target).
struct BreakerState {
  BreakerPhase phase = BreakerPhase::closed;
  int consecutive_failures = 0;
  UnixMs opened_at = 0;          // last transition to open
  bool trial_in_flight = false;  // a half-open trial is running
  int opens = 0;                 // how many times it opened (ever)
};

enum class ApprovalStatus { none, pending, approved, rejected, expired, consumed };
std::string_view to_string(ApprovalStatus s);
ApprovalStatus parse_approval_status(std::string_view s);

/// The latest approval for (strategy, fingerprint, step), as the guards need it.
struct ApprovalView {
  std::int64_t id = 0;
  ApprovalStatus status = ApprovalStatus::none;
  UnixMs expires_at = 0;
  UnixMs decided_at = 0;
};

struct PolicyState {
  UnixMs last_run_at = 0;           // last run or dry run of this strategy on this target; 0 never
                                    // (remediation plans: remediation steps only)
  std::vector<UnixMs> window_runs;  // starts of runs of this strategy (any target), any age
                                    // (remediation plans: remediation steps only)
  int in_flight_on_target = 0;      // actions running or queued on this target (any strategy)
  BreakerState breaker;
  ApprovalView approval;
};

enum class Verdict { run, skip, request_approval };
std::string_view to_string(Verdict v);

enum class SkipReason {
  none,
  disabled,
  breaker_open,
  concurrency,
  cooldown,
  rate_limited,
  dry_run,
  awaiting_approval,
  approval_rejected,
  approval_expired,
  unsafe_argument,  // a substituted argv value is empty, starts with '-', or has other characters
};
std::string_view to_string(SkipReason r);

struct Decision {
  Verdict verdict = Verdict::skip;
  SkipReason reason = SkipReason::none;
  bool half_open_trial = false;  // run as the single trial of a half-open breaker
  bool approved = false;         // runs on a granted approval (consume it)
  UnixMs not_before = 0;         // when the refusing guard lifts (0: unknown / never by itself)
  std::string detail;            // human-readable, for history and simulate
};

/// Why the plan's argv cannot be built from its fields ("" when it can). Pure.
std::string unsafe_argv(const Plan& plan);

/// The guards. Pure: same inputs, same answer.
Decision decide(const Plan& plan, const PolicyState& state, UnixMs now);

/// The breaker phase at `now`: an open breaker whose open time has passed is half-open.
BreakerPhase effective_phase(const BreakerState& s, const BreakerConfig& cfg, UnixMs now);

struct BreakerTransition {
  BreakerState state;
  bool opened = false;    // closed → open: escalate to a human (one critical notification)
  bool reopened = false;  // half-open trial failed → open again (no new notification)
  bool closed = false;    // half-open trial succeeded → closed
};
/// Applies the outcome of a run (success = ran and verified) to the breaker.
BreakerTransition breaker_after(const BreakerState& s, const BreakerConfig& cfg, bool success, UnixMs now);

/// Verification: the rate after the action compared with the rate before (events per minute).
struct VerificationResult {
  bool verified = false;
  double before_per_min = 0;
  double after_per_min = 0;
  std::string detail;
};
VerificationResult verify_rates(std::int64_t before_count, std::int64_t before_ms, std::int64_t after_count,
                                std::int64_t after_ms, double min_drop_ratio);

/// Events in the minutes overlapping [now - window_ms, now] of an ascending per-minute series.
std::int64_t count_in_window(const std::vector<MinuteCount>& series, UnixMs now, std::int64_t window_ms);


}  // namespace selfheal::healer
