#include "healer/history.hpp"

#include "healer/detail/enum_names.hpp"

namespace selfheal::healer {
namespace {

constexpr detail::EnumName<RunDecision> kRunDecisionNames[] = {
    {RunDecision::ran, "ran"},
    {RunDecision::skipped, "skipped"},
    {RunDecision::approval_requested, "approval_requested"},
};

constexpr detail::EnumName<RunOutcome> kRunOutcomeNames[] = {
    {RunOutcome::none, ""},           {RunOutcome::running, "running"}, {RunOutcome::success, "success"},
    {RunOutcome::failure, "failure"}, {RunOutcome::error, "error"},
};

constexpr detail::EnumName<RunVerification> kRunVerificationNames[] = {
    {RunVerification::none, ""},
    {RunVerification::pending, "pending"},
    {RunVerification::verified, "verified"},
    {RunVerification::not_verified, "not_verified"},
    {RunVerification::skipped, "skipped"},
};

}  // namespace

std::string_view to_string(RunDecision d) {
  return detail::name_of<RunDecision>(kRunDecisionNames, d, "skipped");
}

std::string_view to_string(RunOutcome o) {
  return detail::name_of<RunOutcome>(kRunOutcomeNames, o, "");
}

std::string_view to_string(RunVerification v) {
  return detail::name_of<RunVerification>(kRunVerificationNames, v, "");
}

HealingRun history_row(std::string strategy, std::string fingerprint_id, std::string target, std::string action,
                       std::string action_type, int step, UnixMs now, RunDecision d) {
  HealingRun r;
  r.ts = now;
  r.strategy = std::move(strategy);
  r.fingerprint_id = std::move(fingerprint_id);
  r.target = std::move(target);
  r.action = std::move(action);
  r.action_type = std::move(action_type);
  r.step = step;
  r.decision = std::string(to_string(d));
  return r;
}

HealingRun history_row(const Plan& p, UnixMs now, RunDecision d) {
  HealingRun r = history_row(p.strategy, p.fingerprint_id, p.target, p.action.name, p.action.type, p.step, now, d);
  r.remediation = p.remediation;
  return r;
}

void set_outcome(HealingRun& r, RunOutcome o) {
  r.outcome = std::string(to_string(o));
}

void set_verification(HealingRun& r, RunVerification v) {
  r.verification = std::string(to_string(v));
}

}  // namespace selfheal::healer
