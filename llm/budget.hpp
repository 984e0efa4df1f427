#pragma once
// Pure cost-control decisions: the daily budget in calls and tokens, the cost estimate, the cache key.
#include <cstdint>
#include <string>

#include "llm/config.hpp"
#include "llm/provider.hpp"
#include "schema/clock.hpp"
#include "schema/suggestion_store.hpp"

namespace selfheal::llm {

struct BudgetDecision {
  bool allowed = true;
  std::string reason;  // when not allowed
};

/// May one more call of about `estimated_tokens` (prompt + output limit) be made today?
/// A limit of 0 means unlimited.
BudgetDecision check_budget(const BudgetUsage& today, const BudgetConfig& cfg, std::int64_t estimated_tokens);

/// "YYYY-MM-DD" of `t` in UTC (the budget day).
std::string utc_day(UnixMs t);

/// USD estimate from the configured per-1k-token prices.
double estimate_cost(const Usage& u, double per_1k_input, double per_1k_output);

/// sha256(fingerprint, context hash, provider/model): a suggestion is reused for the same error
/// context asked of the same model.
std::string cache_key(const std::string& fingerprint_id, const std::string& context_hash, const std::string& provider,
                      const std::string& model);

}  // namespace selfheal::llm
