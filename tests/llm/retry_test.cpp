#include <doctest/doctest.h>

#include "llm/retry.hpp"

using namespace selfheal;
using namespace selfheal::llm;
using namespace std::chrono_literals;

namespace {
using Headers = std::map<std::string, std::string>;
constexpr UnixMs now = 1'700'000'000'000;
}  // namespace

TEST_CASE("retry decisions per status and code") {
  RetryPolicy p;
  p.max_retries = 2;
  struct Row {
    int status;
    const char* code;
    RetryOutcome outcome;
    ErrorCode err;
  };
  const Row rows[] = {
      {200, "", RetryOutcome::success, ErrorCode::internal},
      {0, "", RetryOutcome::retry, ErrorCode::internal},  // network error
      {408, "", RetryOutcome::retry, ErrorCode::internal},
      {409, "", RetryOutcome::retry, ErrorCode::internal},
      {429, "rate_limit_exceeded", RetryOutcome::retry, ErrorCode::internal},
      {500, "", RetryOutcome::retry, ErrorCode::internal},
      {502, "", RetryOutcome::retry, ErrorCode::internal},
      {503, "", RetryOutcome::retry, ErrorCode::internal},
      {400, "unsupported_parameter", RetryOutcome::fail, ErrorCode::config},
      {401, "invalid_api_key", RetryOutcome::fail, ErrorCode::unauthorized},
      {403, "", RetryOutcome::fail, ErrorCode::unauthorized},
      {404, "model_not_found", RetryOutcome::fail, ErrorCode::config},
      {429, "insufficient_quota", RetryOutcome::fail, ErrorCode::permanent},
      {410, "", RetryOutcome::fail, ErrorCode::permanent},
  };
  for (const auto& r : rows) {
    CAPTURE(r.status);
    CAPTURE(r.code);
    auto d = decide_retry(r.status, r.code, {}, 0, p, now);
    CHECK(d.outcome == r.outcome);
    if (r.outcome == RetryOutcome::fail) CHECK(d.code == r.err);
  }
}

TEST_CASE("410 is permanent and says the provider is retired, whatever the headers say") {
  auto d = decide_retry(410, "", Headers{{"x-should-retry", "true"}, {"retry-after", "1"}}, 0, RetryPolicy{}, now);
  CHECK(d.outcome == RetryOutcome::fail);
  CHECK(d.code == ErrorCode::permanent);
  CHECK(d.reason.find("retired") != std::string::npos);
}

TEST_CASE("the retry limit turns a transient failure into unavailable") {
  RetryPolicy p;
  p.max_retries = 2;
  CHECK(decide_retry(500, "", {}, 1, p, now).outcome == RetryOutcome::retry);
  auto d = decide_retry(500, "", {}, 2, p, now);
  CHECK(d.outcome == RetryOutcome::fail);
  CHECK(d.code == ErrorCode::unavailable);
}

TEST_CASE("server delay hints: retry-after-ms, retry-after seconds and dates, GitHub's timeremaining") {
  CHECK(parse_retry_after(Headers{{"retry-after-ms", "1500"}, {"retry-after", "20"}}, now) == 1500ms);
  CHECK(parse_retry_after(Headers{{"retry-after", "20"}}, now) == 20'000ms);
  CHECK(parse_retry_after(Headers{{"retry-after", "0.25"}}, now) == 250ms);
  // 2023-11-14T22:13:20Z is `now`; the date says 30 s later.
  CHECK(parse_retry_after(Headers{{"retry-after", "Tue, 14 Nov 2023 22:13:50 GMT"}}, now) == 30'000ms);
  CHECK(parse_retry_after(Headers{{"x-ratelimit-timeremaining", "7"}}, now) == 7'000ms);
  CHECK_FALSE(parse_retry_after(Headers{{"retry-after", "soon"}}, now).has_value());
  CHECK_FALSE(parse_retry_after(Headers{}, now).has_value());
}

TEST_CASE("a 429 waits as long as retry-after says; longer than allowed gives up") {
  RetryPolicy p;
  p.max_server_delay = 30s;
  auto d = decide_retry(429, "rate_limit_exceeded", Headers{{"retry-after", "2"}}, 0, p, now);
  CHECK(d.outcome == RetryOutcome::retry);
  CHECK(d.delay == 2000ms);
  auto far = decide_retry(429, "", Headers{{"retry-after", "120"}}, 0, p, now);
  CHECK(far.outcome == RetryOutcome::fail);
  CHECK(far.code == ErrorCode::unavailable);
}

TEST_CASE("without a hint the backoff doubles and is capped") {
  RetryPolicy p;
  p.base_delay = 500ms;
  p.max_backoff = 3000ms;
  p.max_retries = 20;
  // The schema/retry.hpp backoff without jitter: retry n waits base * 2^n, capped.
  CHECK(decide_retry(503, "", {}, 0, p, now).delay == 500ms);
  CHECK(decide_retry(503, "", {}, 1, p, now).delay == 1000ms);
  CHECK(decide_retry(503, "", {}, 2, p, now).delay == 2000ms);
  CHECK(decide_retry(503, "", {}, 3, p, now).delay == 3000ms);
  CHECK(decide_retry(503, "", {}, 10, p, now).delay == 3000ms);
  CHECK(decide_retry(503, "", {}, 1, RetryPolicy{}, now).delay == 1000ms);
}

TEST_CASE("x-should-retry can veto a retry but never makes a 400 retryable") {
  CHECK(decide_retry(500, "", Headers{{"x-should-retry", "false"}}, 0, RetryPolicy{}, now).outcome ==
        RetryOutcome::fail);
  CHECK(decide_retry(400, "", Headers{{"x-should-retry", "true"}}, 0, RetryPolicy{}, now).outcome ==
        RetryOutcome::fail);
}
