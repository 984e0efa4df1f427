#include "schema/trends.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace selfheal {

namespace {
std::map<UnixMs, std::int64_t> by_minute(const std::vector<MinuteCount>& series) {
  std::map<UnixMs, std::int64_t> out;
  for (const auto& m : series) out[minute_of(m.minute)] += m.count;
  return out;
}
double count_at(const std::map<UnixMs, std::int64_t>& m, UnixMs minute) {
  auto it = m.find(minute);
  return it == m.end() ? 0.0 : static_cast<double>(it->second);
}
}  // namespace

Escalation escalation(const std::vector<MinuteCount>& series, UnixMs now, const EscalationOptions& opts) {
  const UnixMs current = minute_of(now);  // excluded: still filling
  const auto minutes = by_minute(series);
  const int short_min = std::max(opts.short_window_min, 1);
  const int base_min = std::max(opts.baseline_min, 1);
  Escalation e;
  double short_total = 0;
  for (int i = 1; i <= short_min; ++i) short_total += count_at(minutes, current - i * 60'000LL);
  double base_total = 0;
  for (int i = short_min + 1; i <= short_min + base_min; ++i) base_total += count_at(minutes, current - i * 60'000LL);
  e.rate_per_min = short_total / short_min;
  e.baseline_per_min = base_total / base_min;
  const double needed = std::max(opts.spike_factor * e.baseline_per_min,
                                 e.baseline_per_min + opts.min_sigmas * std::sqrt(e.baseline_per_min));
  e.escalating = short_total >= static_cast<double>(opts.min_events) && e.rate_per_min >= needed &&
                 e.rate_per_min > e.baseline_per_min;
  return e;
}

UnixMs rate_window_start(UnixMs now, int window_min) {
  return minute_of(now) - static_cast<UnixMs>(std::max(window_min, 1)) * 60'000LL;
}

double rate_per_min(const std::vector<MinuteCount>& series, UnixMs now, int window_min) {
  const UnixMs from = rate_window_start(now, window_min);
  double events = 0;
  for (const auto& m : series)
    if (minute_of(m.minute) >= from && m.minute <= now) events += static_cast<double>(m.count);
  const double elapsed = static_cast<double>(now - minute_of(now)) / 60'000.0;  // of the current minute
  return events / (std::max(window_min, 1) + elapsed);
}

Trend analyze_trend(const std::vector<MinuteCount>& series, UnixMs now, double threshold_per_min,
                    const TrendOptions& opts) {
  const UnixMs current = minute_of(now);  // excluded: still filling
  const auto minutes = by_minute(series);
  Trend t;
  const Escalation e = escalation(series, now, opts);
  t.rate_per_min = rate_per_min(series, now, opts.short_window_min);
  t.baseline_per_min = e.baseline_per_min;
  t.escalating = e.escalating;

  // Least squares over the forecast window: x = minutes relative to the last complete minute (<= 0).
  const int n = std::max(opts.forecast_window_min, 2);
  double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
  int nonempty = 0;
  for (int i = 0; i < n; ++i) {
    const double x = -static_cast<double>(i);
    const double y = count_at(minutes, current - (i + 1) * 60'000LL);
    if (y > 0) ++nonempty;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
  }
  const double denom = n * sxx - sx * sx;
  const double slope = denom != 0 ? (n * sxy - sx * sy) / denom : 0;
  const double intercept = (sy - slope * sx) / n;  // fitted rate at the last complete minute (x = 0)
  const double ss_tot = syy - sy * sy / n;
  const double ss_res_explained = slope * (sxy - sx * sy / n);  // regression sum of squares
  t.slope_per_min = slope;
  t.fit_r2 = ss_tot > 1e-12 ? std::clamp(ss_res_explained / ss_tot, 0.0, 1.0) : 0.0;
  if (threshold_per_min <= 0) return t;
  if (t.rate_per_min >= threshold_per_min) {
    t.above_threshold = true;  // says so; a crossing time of "now" told nothing
    return t;
  }
  const bool stopped = t.rate_per_min <= 0;  // no event in the short window
  const bool evidence = nonempty >= opts.forecast_min_nonempty_min && t.fit_r2 >= opts.forecast_min_r2;
  if (!stopped && evidence && slope > 1e-9) {
    const double ahead = std::max(0.0, (threshold_per_min - intercept) / slope);
    // x = 0 is the minute starting at current - 60 s; count from its middle.
    t.forecast_cross_at = std::max(now, current - 30'000 + static_cast<UnixMs>(ahead * 60'000.0));
  }
  return t;
}

}  // namespace selfheal
