#pragma once
// The retry loop shared by every provider: POST, classify (llm/retry.hpp), wait, repeat, all within
// one deadline. Providers supply the request and two pure functions over the response body.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "llm/http_client.hpp"
#include "llm/provider.hpp"
#include "llm/retry.hpp"
#include "schema/clock.hpp"

namespace selfheal::llm {

/// Waits between retries. wait() returns false when cancelled (shutdown). Thread-safe.
class RetryWaiter {
 public:
  virtual ~RetryWaiter() = default;
  virtual bool wait(std::chrono::milliseconds d) = 0;
};

/// Real waiting on a condition variable; cancel() wakes every waiter and makes later waits fail.
class CancellableWaiter final : public RetryWaiter {
 public:
  bool wait(std::chrono::milliseconds d) override;
  void cancel();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;  // Invariant: guarded by mu_
};

struct TransportOptions {
  std::string provider_name;  // prefix of every error message
  RetryPolicy retry;
  std::chrono::milliseconds connect_timeout{5'000};
  std::shared_ptr<RetryWaiter> waiter;  // null: a CancellableWaiter
  const Clock* clock = nullptr;         // for HTTP-date retry-after; null: system clock
};

using ParseBodyFn = std::function<Result<Completion>(std::string_view body)>;
using ErrorCodeFn = std::function<std::string(std::string_view body)>;

/// POSTs `req` (its timeouts are set here from the remaining deadline) until success, a permanent
/// failure, the retry limit, or the deadline. On success the Completion carries latency and attempts.
Result<Completion> post_with_retries(HttpClient& http, HttpRequest req, std::chrono::milliseconds deadline,
                                     const TransportOptions& opts, const ParseBodyFn& parse,
                                     const ErrorCodeFn& error_code);

/// A JSON POST of `body` to `path` under `base_url` (its trailing slashes dropped), with a bearer
/// token when `api_key` is set: the request every provider starts from.
HttpRequest json_post(std::string_view base_url, std::string_view path, const std::string& api_key, std::string body);

/// The integer member `key` of a provider's JSON object (token counts), 0 when absent or not an integer.
std::int64_t json_int_or_zero(const nlohmann::json& j, const char* key);

/// Keeps only [a-z0-9_.-] of a provider's machine error code, at most 64 characters, so it is safe
/// to put into our messages and metrics.
std::string sanitize_code(std::string_view code);

}  // namespace selfheal::llm
