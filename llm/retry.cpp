#include "llm/retry.hpp"

#include <cmath>
#include <cstdlib>

#include "schema/retry.hpp"

namespace selfheal::llm {
namespace {

std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  while (end && *end == ' ') ++end;
  if (end == s.c_str() || (end && *end != '\0') || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

std::string find(const std::map<std::string, std::string>& h, const char* name) {
  auto it = h.find(name);
  return it == h.end() ? std::string() : it->second;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(const std::map<std::string, std::string>& headers,
                                                           UnixMs now) {
  if (auto v = parse_number(find(headers, "retry-after-ms"))) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(*v));
  }
  if (auto v = selfheal::parse_retry_after(find(headers, "retry-after"), now)) return v;
  if (auto v = parse_number(find(headers, "x-ratelimit-timeremaining"))) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(*v * 1000.0));
  }
  return std::nullopt;
}

RetryDecision decide_retry(int status, std::string_view error_code, const std::map<std::string, std::string>& headers,
                           int retries_done, const RetryPolicy& p, UnixMs now) {
  RetryDecision d;
  if (status >= 200 && status < 300) {
    d.outcome = RetryOutcome::success;
    return d;
  }
  auto fail = [&](ErrorCode code, std::string reason) {
    d.outcome = RetryOutcome::fail;
    d.code = code;
    d.reason = std::move(reason);
    return d;
  };
  const std::string st = "HTTP " + std::to_string(status);
  // Permanent answers first: no header may turn these into retries.
  if (status == 410) return fail(ErrorCode::permanent, "provider retired (HTTP 410 Gone); configure another provider");
  if (error_code == "insufficient_quota") {
    return fail(ErrorCode::permanent, st + " insufficient_quota: the account has no quota left (billing)");
  }
  if (status == 401 || status == 403) return fail(ErrorCode::unauthorized, st + ": the API key was refused");
  if (status == 404) return fail(ErrorCode::config, st + ": unknown model or endpoint");
  // x-should-retry can only veto: 400/401/403/404 are never retried, whatever a header says.
  const bool transient = status == 0 || status == 408 || status == 409 || status == 429 || status >= 500;
  bool retry = transient;
  std::string should = find(headers, "x-should-retry");
  if (status != 0 && should == "false") retry = false;
  const std::string what = status == 0 ? std::string("network error or timeout") : st;
  if (!retry) {
    if (!transient) return fail(ErrorCode::config, st + ": the provider rejected the request");
    return fail(ErrorCode::unavailable, what + " (server said not to retry)");
  }
  if (retries_done >= p.max_retries) {
    return fail(ErrorCode::unavailable, what + " after " + std::to_string(retries_done + 1) + " attempts");
  }
  std::chrono::milliseconds delay = selfheal::backoff_delay(retries_done + 1, p.base_delay, p.max_backoff);
  if (status != 0) {
    if (auto server = parse_retry_after(headers, now)) {
      if (*server > p.max_server_delay) {
        return fail(ErrorCode::unavailable, what + ": server asked to wait " + std::to_string(server->count() / 1000) +
                                                " s, longer than allowed");
      }
      delay = *server;
    }
  }
  d.outcome = RetryOutcome::retry;
  d.delay = delay;
  return d;
}

}  // namespace selfheal::llm
