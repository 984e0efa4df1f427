#pragma once
// The value that flows from deciding to doing: what one strategy step would do to one fingerprint.
// Plans are built from config only; log text never enters argv (see healer/actions/exec_action.hpp).
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "healer/config.hpp"

namespace selfheal::healer {

class Action;

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Plan {
  std::string strategy;
  std::string fingerprint_id;
  std::string service;  // service of the triggering events ("" when unknown)
  std::string host;     // host of the triggering events ("" when unknown)
  std::string target;   // what guards key on: the service, else "fingerprint:<id>"
  int step = 0;         // index into the strategy's actions (escalation order)
  int total_steps = 1;
  ActionConfig action;
  std::shared_ptr<const Action> impl;  // the action type's instance (ActionRegistry); null in pure tests
  bool remediation = false;  // exec/http/throttle/failover: counts for breaker, rate limit, verification
  bool page = false;         // a notify step after a remediation step: escalation to a human
  bool enabled = true;
  bool dry_run = false;
  bool requires_approval = false;
  std::int64_t approval_ttl_ms = 3'600'000;
  GuardsConfig guards;
  VerificationConfig verification;
  /// Named fields available to actions: fingerprint_id, service, host, strategy, target, action, level
  /// (validated, usable in argv) and template, exception_type, severity, count (JSON bodies only).
  Fields fields;

  std::string field(std::string_view name) const {
    for (const auto& [k, v] : fields)
      if (k == name) return v;
    return {};
  }
};

}  // namespace selfheal::healer
