#include "healer/history.hpp"

namespace selfheal::healer {

std::string_view to_string(RunDecision d) {
  switch (d) {
    case RunDecision::ran:
      return "ran";
    case RunDecision::skipped:
      return "skipped";
    case RunDecision::approval_requested:
      return "approval_requested";
  }
  return "skipped";
}

std::string_view to_string(RunOutcome o) {
  switch (o) {
    case RunOutcome::none:
      return "";
    case RunOutcome::running:
      return "running";
    case RunOutcome::success:
      return "success";
    case RunOutcome::failure:
      return "failure";
    case RunOutcome::error:
      return "error";
  }
  return "";
}

std::string_view to_string(RunVerification v) {
  switch (v) {
    case RunVerification::none:
      return "";
    case RunVerification::pending:
      return "pending";
    case RunVerification::verified:
      return "verified";
    case RunVerification::not_verified:
      return "not_verified";
    case RunVerification::skipped:
      return "skipped";
  }
  return "";
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
