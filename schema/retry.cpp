#include "schema/retry.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace selfheal {

std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                        double jitter01) {
  if (attempt < 1) attempt = 1;
  const std::int64_t first = std::max<std::int64_t>(initial.count(), 1);
  const std::int64_t cap = std::max<std::int64_t>(max.count(), first);
  std::int64_t base = first;
  for (int i = 1; i < attempt && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  if (!(jitter01 >= 0.0)) jitter01 = 0.0;  // also NaN
  jitter01 = std::min(jitter01, 1.0);
  const std::int64_t half = base / 2;
  return std::chrono::milliseconds(half + static_cast<std::int64_t>(std::floor(jitter01 * static_cast<double>(base - half))));
}

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, bool jitter)
    : initial_(initial), max_(max), jitter_(jitter), rng_(std::random_device{}()) {}

std::chrono::milliseconds Backoff::next() {
  if (attempt_ < 62) ++attempt_;
  double j = 1.0;
  if (jitter_) j = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  return backoff_delay(attempt_, initial_, max_, j);
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, UnixMs now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || value.size() > 64) return std::nullopt;
  const std::string s(value);
  if (s[0] >= '0' && s[0] <= '9') {
    // digits [ "." digits ]: no sign, exponent or hex, which strtod alone would take.
    std::size_t i = 0, dots = 0;
    for (; i < s.size(); ++i) {
      if (s[i] == '.' && dots++ == 0 && i + 1 < s.size()) continue;
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
    }
    const double secs = std::strtod(s.c_str(), nullptr);
    if (!std::isfinite(secs)) return std::nullopt;
    // Capped at a year, which keeps the product far from overflow.
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(secs, 86'400.0 * 365) * 1000.0));
  }
  struct tm tm {};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  const UnixMs at = static_cast<UnixMs>(timegm(&tm)) * 1000;
  return std::chrono::milliseconds(std::max<UnixMs>(0, at - now));
}

}  // namespace selfheal
