#include "schema/trends.hpp"

#include <cmath>
#include <map>

namespace selfheal {

Trend analyze_trend(const std::vector<MinuteCount>& series, UnixMs now, double threshold_per_min,
                    const TrendOptions& opts) {
  const UnixMs current = minute_of(now);  // excluded: still filling
  std::map<UnixMs, std::int64_t> by_minute;
  for (const auto& m : series) by_minute[minute_of(m.minute)] += m.count;
  auto count_at = [&](UnixMs minute) -> double {
    auto it = by_minute.find(minute);
    return it == by_minute.end() ? 0.0 : static_cast<double>(it->second);
  };
  Trend t;
  double short_total = 0;
  for (int i = 1; i <= opts.short_window_min; ++i) short_total += count_at(current - i * 60'000LL);
  double base_total = 0;
  for (int i = opts.short_window_min + 1; i <= opts.short_window_min + opts.baseline_min; ++i)
    base_total += count_at(current - i * 60'000LL);
  t.rate_per_min = short_total / opts.short_window_min;
  t.baseline_per_min = base_total / opts.baseline_min;
  const double needed =
      std::max(opts.spike_factor * t.baseline_per_min, t.baseline_per_min + opts.min_sigmas * std::sqrt(t.baseline_per_min));
  t.escalating = short_total >= static_cast<double>(opts.min_events) && t.rate_per_min >= needed &&
                 t.rate_per_min > t.baseline_per_min;

  // Least squares over the forecast window: x = minutes relative to the last complete minute (<= 0).
  const int n = opts.forecast_window_min;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < n; ++i) {
    const double x = -static_cast<double>(i);
    const double y = count_at(current - (i + 1) * 60'000LL);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const double denom = n * sxx - sx * sx;
  const double slope = denom != 0 ? (n * sxy - sx * sy) / denom : 0;
  const double intercept = (sy - slope * sx) / n;  // fitted rate at the last complete minute (x = 0)
  t.slope_per_min = slope;
  if (threshold_per_min > 0) {
    if (intercept >= threshold_per_min) {
      t.forecast_cross_at = now;
    } else if (slope > 1e-9) {
      const double minutes = (threshold_per_min - intercept) / slope;
      // x = 0 is the minute starting at current - 60 s; count from its middle.
      t.forecast_cross_at = current - 30'000 + static_cast<UnixMs>(minutes * 60'000.0);
    }
  }
  return t;
}

}  // namespace selfheal
