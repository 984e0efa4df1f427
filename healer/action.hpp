#pragma once
// Doing, kept apart from deciding: actions have side effects and never see raw log text in argv.
#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "healer/plan.hpp"
#include "schema/result.hpp"

namespace selfheal::healer {

/// What one attempt of an action did.
struct ActionOutcome {
  bool success = false;
  int code = 0;        // exec: exit status (-signal when killed); http: status (0: no response)
  std::string output;  // bounded excerpt of stdout+stderr / response body
  std::int64_t duration_ms = 0;
  bool transient = false;  // failure worth a retry: spawn failure, timeout, HTTP 5xx/429, no connection
  std::string error;       // why it failed, for history
  std::vector<std::string> delivered;  // notify: the channels that accepted it
};

/// Runs one exec or http delivery with the plan's named fields. Blocks until done, timed out or
/// `stop` is requested (then the child is killed). Thread-safe. Errors: bad_input when a substituted
/// field fails validation (nothing is run), config when a header's env var is missing.
Result<ActionOutcome> run_delivery(const Delivery& d, const Fields& fields, std::stop_token stop = {});

}  // namespace selfheal::healer
