#include "llm/transport.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace selfheal::llm {

bool CancellableWaiter::wait(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return cancelled_; });
  return !cancelled_;
}

void CancellableWaiter::cancel() {
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
}

HttpRequest json_post(std::string_view base_url, std::string_view path, const std::string& api_key, std::string body) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  HttpRequest http;
  http.url = std::string(base_url) + std::string(path);
  http.headers.emplace_back("Content-Type", "application/json");
  if (!api_key.empty()) http.headers.emplace_back("Authorization", "Bearer " + api_key);
  http.body = std::move(body);
  return http;
}

std::int64_t json_int_or_zero(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::string sanitize_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (out.size() >= 64) break;
    char l = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '.' || l == '-') out.push_back(l);
  }
  return out;
}

Result<Completion> post_with_retries(HttpClient& http, HttpRequest req, std::chrono::milliseconds deadline,
                                     const TransportOptions& opts, const ParseBodyFn& parse,
                                     const ErrorCodeFn& error_code) {
  using namespace std::chrono;
  static SystemClock system_clock;
  const Clock& clock = opts.clock ? *opts.clock : system_clock;
  std::shared_ptr<RetryWaiter> waiter = opts.waiter ? opts.waiter : std::make_shared<CancellableWaiter>();
  const auto start = steady_clock::now();
  const auto until = start + deadline;
  const std::string prefix = opts.provider_name + ": ";
  int attempts = 0;
  for (int retries = 0;; ++retries) {
    auto remaining = duration_cast<milliseconds>(until - steady_clock::now());
    if (remaining.count() <= 0) {
      return make_error(ErrorCode::unavailable, prefix + "deadline of " + std::to_string(deadline.count()) +
                                                    " ms exceeded after " + std::to_string(attempts) + " attempts");
    }
    req.total_timeout = remaining;
    req.connect_timeout = std::min(opts.connect_timeout, remaining);
    ++attempts;
    auto resp = http.post(req);
    int status = resp ? resp->status : 0;
    std::string code;
    if (resp && (status < 200 || status >= 300)) code = sanitize_code(error_code(resp->body));
    static const std::map<std::string, std::string> no_headers;
    const auto& headers = resp ? resp->headers : no_headers;
    RetryDecision d = decide_retry(status, code, headers, retries, opts.retry, clock.now_ms());
    if (d.outcome == RetryOutcome::success) {
      auto parsed = parse(resp->body);
      if (!parsed) return make_error(parsed.error().code, prefix + parsed.error().message);
      Completion c = std::move(parsed).value();
      c.latency_ms = duration_cast<milliseconds>(steady_clock::now() - start).count();
      c.attempts = attempts;
      return c;
    }
    if (d.outcome == RetryOutcome::fail) {
      std::string msg = d.reason;
      if (!code.empty() && msg.find(code) == std::string::npos) msg += " (code " + code + ")";
      if (!resp) msg += ": " + resp.error().message;
      return make_error(d.code, prefix + msg);
    }
    remaining = duration_cast<milliseconds>(until - steady_clock::now());
    if (d.delay >= remaining) {
      return make_error(ErrorCode::unavailable, prefix + (status ? "HTTP " + std::to_string(status) : "network error") +
                                                    ": retry in " + std::to_string(d.delay.count()) +
                                                    " ms would pass the deadline");
    }
    if (!waiter->wait(d.delay)) return make_error(ErrorCode::unavailable, prefix + "cancelled");
  }
}

}  // namespace selfheal::llm
