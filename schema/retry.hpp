#pragma once
// The one backoff and the one Retry-After parser. Every retry loop uses these: the source runner
// (poll errors, overload), the Loki pull source, the pipeline's commit retries, the LLM transport and
// the healer's action retries. Pure: callers do the waiting.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "schema/clock.hpp"

namespace selfheal {

/// Exponential backoff with jitter for retry `attempt` (1 = first retry; values below 1 count as 1):
/// base = min(max, initial * 2^(attempt-1)) and the delay lies in [base/2, base], `jitter01` in [0, 1]
/// picking the point (1 = base exactly, the deterministic form). initial is at least 1 ms and max at
/// least initial.
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                        double jitter01 = 1.0);

/// The same backoff with state: next() is the delay of the next retry, reset() after a success.
/// With `jitter` each delay is drawn uniformly from [base/2, base] (so several clients that failed
/// together do not retry together); without it the delays are exactly initial, 2x, 4x... up to max.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, bool jitter = false);
  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  bool jitter_;
  int attempt_ = 0;
  std::minstd_rand rng_;
};

/// An HTTP Retry-After value (RFC 9110 §10.2.3): delay-seconds (a fraction is accepted, as some
/// servers send one) or an HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT"), taken relative to `now` and
/// never negative. nullopt when empty or unparsable (callers then use their backoff).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, UnixMs now);

}  // namespace selfheal
