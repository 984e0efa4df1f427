#pragma once
// Pure trend analysis over per-minute counts: rate, escalation against the fingerprint's own baseline,
// and a forecast of when the rate crosses a threshold. No I/O; `now` is passed in.
#include <optional>
#include <vector>

#include "schema/store.hpp"

namespace selfheal {

/// The ONE definition of "escalating", used by the API (status, trend) and by the healer
/// (`match.status: escalating`); configured once, in `stats.escalation_*`.
struct EscalationOptions {
  int short_window_min = 5;   // the "now" window
  int baseline_min = 60;      // the fingerprint's own baseline, just before the short window
  double spike_factor = 3.0;  // short rate must reach spike_factor x baseline ...
  double min_sigmas = 3.0;    // ... and baseline + min_sigmas * sqrt(baseline) (Poisson noise)
  std::int64_t min_events = 10;  // and at least this many events in the short window
};

struct Escalation {
  bool escalating = false;
  double rate_per_min = 0;      // mean over the short window (complete minutes)
  double baseline_per_min = 0;  // mean over the baseline window
};

/// Pure. `series` ascending or not, missing minutes count as zero; only complete minutes
/// (< minute_of(now)) are used.
Escalation escalation(const std::vector<MinuteCount>& series, UnixMs now, const EscalationOptions& opts = {});

struct TrendOptions : EscalationOptions {
  int forecast_window_min = 30;  // minutes fitted by least squares for the forecast
};

struct Trend {
  double rate_per_min = 0;      // mean over the short window (complete minutes)
  double baseline_per_min = 0;  // mean over the baseline window
  bool escalating = false;
  double slope_per_min = 0;     // change of the per-minute rate per minute (least squares)
  /// When the fitted rate reaches the threshold: now if already above, nullopt if never (flat or falling).
  std::optional<UnixMs> forecast_cross_at;
};

/// `series` ascending or not, missing minutes count as zero. Only complete minutes (< minute_of(now)) are used.
Trend analyze_trend(const std::vector<MinuteCount>& series, UnixMs now, double threshold_per_min,
                    const TrendOptions& opts = {});

}  // namespace selfheal
