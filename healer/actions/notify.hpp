#pragma once
// notify: alerts at a level (critical / warning / info) to webhook channels subscribed to it.
// Against alert fatigue each level has a threshold (minimum events of the fingerprint) and a cooldown
// per (level, fingerprint); notify_gate() is the pure decision, Notifier does the sending.
//
// Payloads are rendered per channel from one Notification (pure, render_notification):
//   json       generic: kind, level, title, text, ts (RFC 3339), ts_ms, count (number), first_seen /
//              last_seen (RFC 3339), link, and the named fields (strings) that are not empty
//   slack      Slack incoming webhook: text (fallback) + blocks (header, section with fields, context)
//   pagerduty  PagerDuty Events API v2 enqueue: routing_key, event_action, dedup_key,
//              payload{summary, source, severity, timestamp, component, group, class, custom_details}, links
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "healer/action.hpp"
#include "healer/config.hpp"
#include "schema/clock.hpp"
#include "schema/redact.hpp"

namespace selfheal::healer {

struct NotifyGate {
  bool allowed = false;
  std::string reason;  // "below_threshold" | "notify_cooldown" when not allowed
};
/// Pure. `last_sent` is 0 when never sent.
NotifyGate notify_gate(const LevelConfig& level, std::int64_t fingerprint_count, UnixMs last_sent, UnixMs now);

/// What one notification says, independent of the receiver's format.
struct Notification {
  std::string kind = "notify";  // notify | page | breaker_open | approval_request | simulation
  std::string level = "warning";
  std::string title;
  std::string text;  // extra lines (why, what, expiry...); the title is always the first line
  Fields fields;     // the plan's named fields (count, first_seen, last_seen are rendered as numbers/times)
  Fields extra;      // more string facts (approval id, argv, expires_at...)
  UnixMs now = 0;
  std::string link;  // to the fingerprint ("" none)
};

/// "<exception type or template> on <service>[@host]" without empty parts; bounded to 150 chars. Pure.
std::string notification_title(std::string_view prefix, const Fields& fields);
/// <base>/api/v1/fingerprints/<id> ("" when base or id is empty). Pure.
std::string fingerprint_link(std::string_view base_url, std::string_view fingerprint_id);

/// The body for one channel format ("json", "slack", "pagerduty"). `routing_key` only for pagerduty. Pure.
std::string render_notification(const Notification& n, std::string_view format, std::string_view routing_key = {});

class Notifier {
 public:
  /// `redactor` null: the built-in rules (Redactor::builtin()); a notification never leaves unredacted.
  explicit Notifier(NotifyConfig cfg, std::shared_ptr<const Redactor> redactor = nullptr)
      : cfg_(std::move(cfg)), redactor_(redactor ? std::move(redactor) : Redactor::builtin()) {}
  /// The level's settings; a default (threshold 1, no cooldown) for unknown levels.
  LevelConfig level(std::string_view name) const;
  /// Names of the channels subscribed to `level` (restricted to `only` when non-empty).
  std::vector<std::string> channels_for(std::string_view level, const std::vector<std::string>& only) const;
  /// Redacts `n` (healer/outbound.hpp), renders it in each targeted channel's format and posts it to every channel subscribed to
  /// `n.level` (restricted to `only` when non-empty; `any_level` ignores the subscription, e.g. for
  /// approval requests). Success when every targeted channel answered 2xx; failure when there is no
  /// such channel. `delivered` names the channels that took it. Blocking, thread-safe.
  ActionOutcome send(const Notification& n, const std::vector<std::string>& only, bool any_level = false) const;
  const NotifyConfig& config() const { return cfg_; }

 private:
  NotifyConfig cfg_;
  std::shared_ptr<const Redactor> redactor_;  // Invariant: never null
};

}  // namespace selfheal::healer
