#pragma once
// The one builder of healer history rows, and the enums the healer uses for a row's decision, outcome
// and verification up to the store edge (HealingRun keeps their text form for SQL and the API).
#include <string>
#include <string_view>

#include "healer/plan.hpp"
#include "schema/clock.hpp"
#include "schema/healing_store.hpp"

namespace selfheal::healer {

enum class RunDecision { ran, skipped, approval_requested };
enum class RunOutcome { none, running, success, failure, error };
enum class RunVerification { none, pending, verified, not_verified, skipped };

std::string_view to_string(RunDecision d);
std::string_view to_string(RunOutcome o);
std::string_view to_string(RunVerification v);

/// Who and what of one decision about `p` at `now` (strategy, fingerprint, target, action, type,
/// step, remediation). Pure.
HealingRun history_row(const Plan& p, UnixMs now, RunDecision d);
/// For rows without a plan (throttle restores, failover resets, expired approvals). Pure.
HealingRun history_row(std::string strategy, std::string fingerprint_id, std::string target, std::string action,
                       std::string action_type, int step, UnixMs now, RunDecision d);

void set_outcome(HealingRun& r, RunOutcome o);
void set_verification(HealingRun& r, RunVerification v);

}  // namespace selfheal::healer
