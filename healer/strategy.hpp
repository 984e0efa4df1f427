#pragma once
// Strategies: which fingerprints a configured rule applies to and what it would do (a Plan).
// Deciding is pure: matching and planning read only the facts passed in (STYLE.md §3).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "healer/config.hpp"
#include "healer/plan.hpp"
#include "schema/result.hpp"
#include "schema/store.hpp"

namespace re2 {
class RE2;
}

namespace selfheal::healer {

/// Everything matching may look at, gathered by the worker from the QueryStore.
struct FingerprintFacts {
  FingerprintSummary summary;
  /// The scope of the events that triggered this evaluation: `match.service` is compared with it and
  /// {service}/{host}/{target} are filled from it, never from the fingerprint's all-time services.
  /// "" (or "unknown") when the triggering events carried none.
  std::string service;
  std::string host;
  std::vector<std::string> samples;  // sample messages (message_regex also tries these)
  std::vector<MinuteCount> series;   // per-minute counts covering the rate and escalation windows
  UnixMs now = 0;
};

/// Settings shared by every strategy's status checks.
class ActionRegistry;

struct MatchContext {
  const ActionRegistry* actions = nullptr;  // the action types (null: builtin_actions())
  std::int64_t new_window_ms = 3'600'000;
  std::int64_t regressed_window_ms = 3'600'000;
  EscalationOptions escalation;
};

/// The placeholders an argv element or body field may name, and which of them are allowed in argv.
bool is_known_field(std::string_view name);
bool is_argv_field(std::string_view name);
/// Values substituted into argv must match [A-Za-z0-9._:-]{1,128} and must not start with '-' (it
/// would become an option of the configured program).
bool is_safe_field_value(std::string_view v);
/// Why a value may not be substituted into argv ("" when it may).
std::string unsafe_value_reason(std::string_view v);

/// "{name}" → name; anything else → "".
std::string_view placeholder_name(std::string_view element);

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view name() const = 0;
  /// Lower runs first.
  virtual int priority() const = 0;
  virtual bool is_backstop() const { return false; }
  virtual int steps() const = 0;
  /// Pure: no I/O, thread-safe.
  virtual bool matches(const FingerprintFacts& facts) const = 0;
  /// Pure: the plan for escalation step `step` (0-based, < steps()).
  virtual Plan plan(const FingerprintFacts& facts, int step) const = 0;
  virtual const StrategyConfig& config() const = 0;
};

/// A strategy from the `healer.strategies` config.
class ConfiguredStrategy final : public Strategy {
 public:
  /// Errors: config (bad regex, severity, status...).
  static Result<std::unique_ptr<ConfiguredStrategy>> create(StrategyConfig cfg, MatchContext mctx, bool global_dry_run,
                                                            bool backstop = false);
  ~ConfiguredStrategy() override;
  std::string_view name() const override { return cfg_.name; }
  int priority() const override { return cfg_.priority; }
  bool is_backstop() const override { return backstop_; }
  int steps() const override { return static_cast<int>(cfg_.actions.size()); }
  bool matches(const FingerprintFacts& facts) const override;
  Plan plan(const FingerprintFacts& facts, int step) const override;
  const StrategyConfig& config() const override { return cfg_; }

 private:
  ConfiguredStrategy(StrategyConfig cfg, MatchContext mctx, bool backstop);
  StrategyConfig cfg_;
  MatchContext mctx_;
  std::unique_ptr<re2::RE2> re_;
  std::vector<std::shared_ptr<const Action>> impls_;  // one per action, from the registry
  int min_severity_ = -1;
  bool backstop_ = false;
};

/// Builds every configured strategy sorted by priority (stable), plus the backstop notify strategy
/// last when enabled. `actions` null: builtin_actions(). Errors: config.
Result<std::vector<std::unique_ptr<Strategy>>> build_strategies(const HealerConfig& cfg,
                                                                const ActionRegistry* actions = nullptr);

/// The strategy that handles these facts: the first matching non-backstop strategy in priority order,
/// else the backstop if it matches, else none. Pure.
const Strategy* select_strategy(const std::vector<std::unique_ptr<Strategy>>& strategies,
                                const FingerprintFacts& facts);

/// The top service of a fingerprint ("" when none or "unknown"). For display only: decisions use the
/// triggering scope (FingerprintFacts::service).
std::string top_service(const FingerprintSummary& s);

}  // namespace selfheal::healer
