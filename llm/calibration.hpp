#pragma once
// Calibration report over reviewed suggestions: does a displayed confidence of 0.8 mean that about
// 80 % of such suggestions are accepted? Accept rate per confidence bucket and the Brier score
// (mean squared difference between confidence and outcome; 0 is perfect, 0.25 is a coin toss at 0.5).
#include <cstdint>
#include <vector>

namespace selfheal::llm {

struct ReviewedPoint {
  double confidence = 0;  // displayed confidence
  bool accepted = false;  // accepted or applied; false: rejected
};

struct CalibrationBucket {
  double lo = 0, hi = 0;  // [lo, hi); the last bucket includes 1.0
  std::int64_t reviewed = 0;
  std::int64_t accepted = 0;
  double accept_rate = 0;      // accepted / reviewed (0 when empty)
  double mean_confidence = 0;  // of the bucket's suggestions
};

struct CalibrationReport {
  std::vector<CalibrationBucket> buckets;
  std::int64_t reviewed = 0;
  std::int64_t accepted = 0;
  double brier = 0;  // 0 when nothing was reviewed
};

/// Pure. `buckets` equal-width buckets over [0, 1] (at least 1).
CalibrationReport calibrate(const std::vector<ReviewedPoint>& points, int buckets = 5);

}  // namespace selfheal::llm
