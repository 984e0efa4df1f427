#pragma once
// notify: alerts at a level (critical / warning / info) to webhook channels subscribed to it.
// Against alert fatigue each level has a threshold (minimum events of the fingerprint) and a cooldown
// per (level, fingerprint); notify_gate() is the pure decision, Notifier does the sending.
#include <string>
#include <string_view>
#include <vector>

#include "healer/action.hpp"
#include "healer/config.hpp"
#include "schema/clock.hpp"

namespace selfheal::healer {

struct NotifyGate {
  bool allowed = false;
  std::string reason;  // "below_threshold" | "notify_cooldown" when not allowed
};
/// Pure. `last_sent` is 0 when never sent.
NotifyGate notify_gate(const LevelConfig& level, std::int64_t fingerprint_count, UnixMs last_sent, UnixMs now);

/// The JSON payload: {"level","title","text", and every named field}. `text` makes it readable by
/// chat webhooks that show only that key. Pure.
std::string build_notification(std::string_view level, std::string_view title, const Fields& fields, UnixMs now);

class Notifier {
 public:
  explicit Notifier(NotifyConfig cfg) : cfg_(std::move(cfg)) {}
  /// The level's settings; a default (threshold 1, no cooldown) for unknown levels.
  LevelConfig level(std::string_view name) const;
  /// Posts `body` to every channel subscribed to `level` (restricted to `only` when non-empty).
  /// Success when every targeted channel answered 2xx; failure when there is no such channel.
  /// Blocking, thread-safe.
  ActionOutcome send(std::string_view level, const std::vector<std::string>& only, const std::string& body) const;
  const NotifyConfig& config() const { return cfg_; }

 private:
  NotifyConfig cfg_;
};

}  // namespace selfheal::healer
