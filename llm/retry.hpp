#pragma once
// Pure retry decisions for provider calls (tested with tables in tests/llm/retry_test.cpp).
// Retry only transient failures: 408, 409, 429 (not insufficient_quota), 5xx and network errors,
// honouring the server's retry-after hints. Never retry 400/401/403/404, insufficient_quota or 410.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "schema/clock.hpp"
#include "schema/result.hpp"

namespace selfheal::llm {

struct RetryPolicy {
  int max_retries = 2;                                 // retries after the first attempt
  std::chrono::milliseconds base_delay{500};           // backoff: base * 2^retry ...
  std::chrono::milliseconds max_backoff{8'000};        // ... capped here
  std::chrono::milliseconds max_server_delay{30'000};  // a longer retry-after is not waited for
};

enum class RetryOutcome { success, retry, fail };

struct RetryDecision {
  RetryOutcome outcome = RetryOutcome::fail;
  std::chrono::milliseconds delay{0};    // for retry
  ErrorCode code = ErrorCode::internal;  // for fail
  std::string reason;                    // for fail: no URL, no key, no server text
};

/// Server-requested delay: `retry-after-ms`, then `retry-after` (schema/retry.hpp: seconds,
/// fractional allowed, or an HTTP date relative to `now`), then GitHub's `x-ratelimit-timeremaining`
/// (seconds). Header names lower-case. Without a hint the delay is selfheal::backoff_delay (no jitter).
std::optional<std::chrono::milliseconds> parse_retry_after(const std::map<std::string, std::string>& headers,
                                                           UnixMs now);

/// Decides after one HTTP exchange. `status` 0 means a network error or timeout. `error_code` is
/// the provider's machine code from the error body (e.g. "insufficient_quota"; "" if none).
/// `retries_done` counts retries already made.
RetryDecision decide_retry(int status, std::string_view error_code, const std::map<std::string, std::string>& headers,
                           int retries_done, const RetryPolicy& p, UnixMs now);

}  // namespace selfheal::llm
