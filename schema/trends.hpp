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
  double rate_per_min = 0;      // mean over the short window (complete minutes only: a spike test)
  double baseline_per_min = 0;  // mean over the baseline window
};

/// Pure. `series` ascending or not, missing minutes count as zero; only complete minutes
/// (< minute_of(now)) are used: escalation compares whole minutes with whole minutes.
Escalation escalation(const std::vector<MinuteCount>& series, UnixMs now, const EscalationOptions& opts = {});

/// THE rate shown by the API, the CLI and the web UI, and the key of `sort=rate` (issue 19): the
/// events of the last `window_min` complete minutes plus the current partial minute, divided by the
/// time they cover, window_min + the elapsed fraction of the current minute. So a burst shows at once
/// (0.0 for a minute after an incident was the old lie), and the partial minute counts pro rata.
/// The sort key is the numerator (the events in minutes >= rate_window_start): every row shares the
/// denominator at one `now`, so sorting by it ranks exactly as the shown rate.
UnixMs rate_window_start(UnixMs now, int window_min);
double rate_per_min(const std::vector<MinuteCount>& series, UnixMs now, int window_min);

struct TrendOptions : EscalationOptions {
  int forecast_window_min = 30;       // minutes fitted by least squares for the forecast
  int forecast_min_nonempty_min = 5;  // evidence: at least this many minutes with events in the window
  double forecast_min_r2 = 0.5;       // evidence: the line must explain this share of the variance
};

struct Trend {
  double rate_per_min = 0;      // rate_per_min() over the short window (the shown and sorted rate)
  double baseline_per_min = 0;  // mean over the baseline window
  bool escalating = false;
  double slope_per_min = 0;     // change of the per-minute rate per minute (least squares)
  double fit_r2 = 0;            // coefficient of determination of that line
  /// The rate is already at or above the threshold: no forecast, "above threshold".
  bool above_threshold = false;
  /// When the fitted rate reaches the threshold; nullopt when above already, flat or falling, stopped
  /// (no event in the short window) or without enough evidence (too few non-empty minutes, poor fit).
  std::optional<UnixMs> forecast_cross_at;
};

/// `series` ascending or not, missing minutes count as zero. The rate counts the partial current
/// minute pro rata (rate_per_min); escalation and the forecast fit use complete minutes only.
Trend analyze_trend(const std::vector<MinuteCount>& series, UnixMs now, double threshold_per_min,
                    const TrendOptions& opts = {});

}  // namespace selfheal
