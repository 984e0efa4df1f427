#pragma once
// Narrow store interfaces of the healer (implemented by SqliteHealingStore). All methods are
// thread-safe and return Result; nothing throws.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/clock.hpp"
#include "schema/result.hpp"

namespace selfheal {

/// One decision of the healer and, if it ran, its outcome and verification.
struct HealingRun {
  std::int64_t id = 0;
  UnixMs ts = 0;  // decision time
  std::string strategy;
  std::string fingerprint_id;
  std::string target;
  std::string action;       // action name
  std::string action_type;  // exec | http | notify | throttle | failover | suggest
  int step = 0;
  std::string decision;  // ran | skipped | approval_requested
  std::string reason;    // skip reason (cooldown, rate_limited, breaker_open, ...) or ""
  std::string outcome;   // running | success | failure | error | "" (not run)
  std::int64_t duration_ms = 0;
  int exit_code = 0;
  std::string output;  // bounded excerpt
  std::string error;
  int attempts = 0;
  std::string verification;  // pending | verified | not_verified | skipped | ""
  double rate_before = 0;    // events per minute
  double rate_after = 0;
  UnixMs verified_at = 0;
  std::int64_t approval_id = 0;
  bool dry_run = false;
  std::string detail;
  bool remediation = false;  // a remediation step (counts for cooldown and rate limit), not a page
  std::int64_t repeats = 1;  // identical consecutive skips collapsed into this row (ts: first, last_ts: latest)
  UnixMs last_ts = 0;        // 0: same as ts
};

struct RunQuery {
  std::int64_t before_id = 0;  // cursor: ids smaller than this (0: newest)
  std::size_t limit = 50;
  std::string strategy;
  std::string fingerprint_id;
  std::string decision;
  std::string outcome;
  std::string reason;
  UnixMs since = 0;
};

class HealingLog {
 public:
  virtual ~HealingLog() = default;
  /// Appends and returns the new id.
  virtual Result<std::int64_t> append(const HealingRun& run) = 0;
  /// Overwrites the outcome / verification columns of an existing run. Errors: not_found.
  virtual Result<void> update(const HealingRun& run) = 0;
  virtual Result<std::optional<HealingRun>> run(std::int64_t id) = 0;
  /// Newest first.
  virtual Result<std::vector<HealingRun>> runs(const RunQuery& q) = 0;
  /// Appends a skip, or, when the newest row of (strategy, fingerprint, target) is the same skip (same
  /// action, reason and approval; not a dry run), counts it there instead: repeats + 1, last_ts = ts.
  /// Returns the id of the row written.
  virtual Result<std::int64_t> append_skip(const HealingRun& run) = 0;
  /// Start times of runs (decision ran, or dry-run skips) of a strategy since `since` (any target).
  /// `remediation_only`: only remediation steps (HealingRun::remediation; what the remediation guards count).
  virtual Result<std::vector<UnixMs>> run_times(std::string_view strategy, UnixMs since,
                                                bool remediation_only = false) = 0;
  /// Start time of the last run (or dry run) of (strategy, target); 0 when none.
  virtual Result<UnixMs> last_run(std::string_view strategy, std::string_view target,
                                  bool remediation_only = false) = 0;
  /// Runs whose verification is still pending (e.g. after a restart).
  virtual Result<std::vector<HealingRun>> pending_verifications() = 0;
};

struct BreakerRow {
  std::string strategy;
  std::string target;
  std::string phase = "closed";  // closed | open | half_open
  int consecutive_failures = 0;
  UnixMs opened_at = 0;
  bool trial_in_flight = false;
  int opens = 0;
  UnixMs updated_at = 0;
};

struct ThrottleRow {
  std::int64_t id = 0;
  std::string strategy;
  std::string action;
  std::string fingerprint_id;
  std::string target;
  UnixMs applied_at = 0;
  UnixMs restore_at = 0;
  std::string status;       // active | restored | restore_failed
  std::string fields_json;  // the named fields the restore runs with
  UnixMs restored_at = 0;
};

struct FailoverRow {
  std::string key;  // "<strategy>/<action>"
  std::string active;
  std::string previous;
  UnixMs switched_at = 0;
  std::string last_result;
};

/// Held while one healer decision reads its guard state (runs in the window, approvals, breaker) and
/// records what it decided; released on destruction.
class DecisionLock {
 public:
  virtual ~DecisionLock() = default;
};

class PolicyStateStore {
 public:
  virtual ~PolicyStateStore() = default;
  /// Serialises the decisions of a strategy among everyone sharing this store (one process for SQLite,
  /// every instance of a fleet for PostgreSQL), so a rate limit or an approval is counted once, not
  /// once per instance. Blocks until the lock is free.
  virtual Result<std::unique_ptr<DecisionLock>> lock_decision(std::string_view strategy) = 0;
  virtual Result<std::optional<BreakerRow>> breaker(std::string_view strategy, std::string_view target) = 0;
  virtual Result<void> save_breaker(const BreakerRow& row) = 0;
  virtual Result<std::vector<BreakerRow>> breakers() = 0;
  /// Small persisted timestamps, e.g. the last notification per (level, fingerprint). 0 when absent.
  virtual Result<UnixMs> timestamp(std::string_view key) = 0;
  virtual Result<void> set_timestamp(std::string_view key, UnixMs value) = 0;
  virtual Result<std::int64_t> add_throttle(const ThrottleRow& row) = 0;
  virtual Result<void> finish_throttle(std::int64_t id, std::string_view status, UnixMs at) = 0;
  /// Active throttles, soonest restore first.
  virtual Result<std::vector<ThrottleRow>> active_throttles() = 0;
  virtual Result<std::vector<ThrottleRow>> throttles(std::size_t limit) = 0;
  virtual Result<std::optional<FailoverRow>> failover(std::string_view key) = 0;
  virtual Result<void> save_failover(const FailoverRow& row) = 0;
  virtual Result<std::vector<FailoverRow>> failovers() = 0;
  /// The persisted next step of an escalation episode of (strategy, fingerprint, target); 0 when none.
  virtual Result<int> escalation_step(std::string_view strategy, std::string_view fingerprint_id,
                                      std::string_view target) = 0;
  /// step <= 0 clears it (the episode ended).
  virtual Result<void> set_escalation_step(std::string_view strategy, std::string_view fingerprint_id,
                                           std::string_view target, int step, UnixMs now) = 0;
};

struct ApprovalRow {
  std::int64_t id = 0;
  std::string strategy;
  std::string fingerprint_id;
  std::string target;
  int step = 0;
  std::string action;
  std::string plan_json;  // what will run (argv / URL / level), for the approver
  std::string status;     // pending | approved | rejected | expired | consumed
  UnixMs created_at = 0;
  UnixMs expires_at = 0;
  std::string decided_by;
  UnixMs decided_at = 0;
  std::string note;
};

class ApprovalStore {
 public:
  virtual ~ApprovalStore() = default;
  virtual Result<std::int64_t> create_approval(const ApprovalRow& row) = 0;
  virtual Result<std::optional<ApprovalRow>> approval(std::int64_t id) = 0;
  /// The newest approval for (strategy, fingerprint, step).
  virtual Result<std::optional<ApprovalRow>> latest_approval(std::string_view strategy, std::string_view fingerprint_id,
                                                             int step) = 0;
  /// status "" = all; newest first.
  virtual Result<std::vector<ApprovalRow>> approvals(std::string_view status, std::size_t limit) = 0;
  /// pending → approved/rejected, recording who and when. Errors: not_found; conflict when not
  /// pending or already expired (then it is marked expired).
  virtual Result<ApprovalRow> decide_approval(std::int64_t id, bool approve, std::string_view by, UnixMs now,
                                              std::string_view note) = 0;
  /// Marks pending approvals past their expiry as expired; returns them.
  virtual Result<std::vector<ApprovalRow>> expire_approvals(UnixMs now) = 0;
  /// approved → consumed (it ran). Errors: conflict when not approved.
  virtual Result<void> consume_approval(std::int64_t id) = 0;
};

/// One cell of a seed view row (healing_overview, recent_healing_activity, healing_stats).
struct ViewCell {
  enum class Kind { null, integer, real, text } kind = Kind::null;
  std::string name;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;
};
using ViewRow = std::vector<ViewCell>;

class HealingViews {
 public:
  virtual ~HealingViews() = default;
  /// Rows of one of the seed views as column → text/number pairs, for the API. Errors: bad_input for
  /// any other name.
  virtual Result<std::vector<ViewRow>> view(std::string_view name, std::size_t limit) = 0;
};

}  // namespace selfheal
