#pragma once
// failover between configured targets (first = primary), delivered through exec/http:
//   1. health-check the next target after the active one (skip unhealthy candidates);
//   2. switch to the first healthy candidate ({target} = candidate);
//   3. health-check it again; if unhealthy now, roll back (switch to the previous target).
// reset_failover() switches back to the primary. The caller persists `active`.
#include <functional>
#include <string>

#include "healer/action.hpp"
#include "healer/config.hpp"

namespace selfheal::healer {

/// Runs one delivery (run_delivery in production; tests may pass a recording runner).
using DeliveryRunner = std::function<Result<ActionOutcome>(const Delivery&, const Fields&)>;

struct FailoverResult {
  ActionOutcome outcome;
  std::string active;    // the active target afterwards
  std::string previous;  // the target before
  bool switched = false;
  bool rolled_back = false;
};

FailoverResult run_failover(const ActionConfig& a, const std::string& active, const Fields& fields,
                            const DeliveryRunner& run);
FailoverResult reset_failover(const ActionConfig& a, const std::string& active, const Fields& fields,
                              const DeliveryRunner& run);

}  // namespace selfheal::healer
