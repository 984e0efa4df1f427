#include "llm/budget.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "llm/calibration.hpp"
#include "llm/context.hpp"

namespace selfheal::llm {

BudgetDecision check_budget(const BudgetUsage& today, const BudgetConfig& cfg, std::int64_t estimated_tokens) {
  BudgetDecision d;
  if (cfg.daily_calls > 0 && today.calls >= cfg.daily_calls) {
    d.allowed = false;
    d.reason = "daily call budget of " + std::to_string(cfg.daily_calls) + " used up";
  } else if (cfg.daily_tokens > 0 && today.tokens + estimated_tokens > cfg.daily_tokens) {
    d.allowed = false;
    d.reason = "daily token budget of " + std::to_string(cfg.daily_tokens) + " would be exceeded (" +
               std::to_string(today.tokens) + " used, about " + std::to_string(estimated_tokens) + " needed)";
  }
  return d;
}

std::string utc_day(UnixMs t) {
  std::time_t s = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

double estimate_cost(const Usage& u, double per_1k_input, double per_1k_output) {
  return static_cast<double>(u.prompt_tokens) / 1000.0 * per_1k_input +
         static_cast<double>(u.completion_tokens) / 1000.0 * per_1k_output;
}

std::string cache_key(const std::string& fingerprint_id, const std::string& context_hash, const std::string& provider,
                      const std::string& model) {
  return sha256_hex(fingerprint_id + '\x1f' + context_hash + '\x1f' + provider + '/' + model);
}

CalibrationReport calibrate(const std::vector<ReviewedPoint>& points, int buckets) {
  buckets = std::max(1, buckets);
  CalibrationReport r;
  r.buckets.resize(static_cast<std::size_t>(buckets));
  for (int i = 0; i < buckets; ++i) {
    r.buckets[static_cast<std::size_t>(i)].lo = static_cast<double>(i) / buckets;
    r.buckets[static_cast<std::size_t>(i)].hi = static_cast<double>(i + 1) / buckets;
  }
  double sq = 0;
  for (const auto& p : points) {
    double c = std::clamp(std::isfinite(p.confidence) ? p.confidence : 0.0, 0.0, 1.0);
    int b = std::min(buckets - 1, static_cast<int>(std::floor(c * buckets)));
    auto& bucket = r.buckets[static_cast<std::size_t>(b)];
    ++bucket.reviewed;
    bucket.accepted += p.accepted ? 1 : 0;
    bucket.mean_confidence += c;
    ++r.reviewed;
    r.accepted += p.accepted ? 1 : 0;
    double o = p.accepted ? 1.0 : 0.0;
    sq += (c - o) * (c - o);
  }
  for (auto& b : r.buckets) {
    if (b.reviewed > 0) {
      b.accept_rate = static_cast<double>(b.accepted) / static_cast<double>(b.reviewed);
      b.mean_confidence /= static_cast<double>(b.reviewed);
    }
  }
  r.brier = r.reviewed > 0 ? sq / static_cast<double>(r.reviewed) : 0.0;
  return r;
}

}  // namespace selfheal::llm
