#pragma once
// The Action seam (Envoy's factory/instance split): one class per action type behind `Action`, made
// and validated by its `ActionFactory`; `ActionRegistry` is the one validating factory the healer and
// the config loader consult. Adding an action type = one new file with an Action and its factory,
// plus one line in builtin_actions() (healer/action_registry.cpp). See tests/healer/action_seam_test.cpp.
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "healer/action.hpp"
#include "healer/actions/notify.hpp"
#include "healer/plan.hpp"
#include "healer/suggestion.hpp"
#include "schema/clock.hpp"
#include "schema/healing_store.hpp"
#include "schema/metrics.hpp"

namespace selfheal::healer {

/// What the healer lends an action while it runs. Owned by the worker; thread-safe.
struct ActionEnv {
  const Clock& clock;
  Metrics& metrics;
  PolicyStateStore& state;
  const Notifier& notifier;
  SuggestionRequester* suggester = nullptr;
  std::string link_base_url;
  /// An escalation page: the subscribed channels not in their own cooldown for (fingerprint, target).
  std::function<ActionOutcome(const Notification&, const std::vector<std::string>& only, const Plan&)> page;
  /// A state write that failed (logged and counted by the worker; never silently dropped).
  std::function<void(const char* what, const Error&)> warn;
};

/// What a plan would do, for simulate and approvals. Nothing is run to build it.
struct ActionDescription {
  std::vector<std::string> argv;  // exec-like: the exact argv
  std::string method, url;        // http-like
  std::string body;               // http / notify: the body that would be sent
  std::string level;              // notify
  std::vector<std::string> targets;
  std::string error;  // why it could not be described (e.g. an unsafe field value)
};

class Action {
 public:
  virtual ~Action() = default;
  virtual std::string_view type() const = 0;
  /// Remediation steps try to fix something: they count for the breaker, the rate limit and the
  /// cooldown, and are verified. Pages and suggestions are not.
  virtual bool remediation() const = 0;
  virtual bool verifiable() const { return remediation(); }
  /// Does it, with the plan's named fields. Blocks until done, timed out or `stop` is requested.
  virtual ActionOutcome run(const Plan& plan, ActionEnv& env, std::stop_token stop) const = 0;
  /// Pure.
  virtual ActionDescription describe(const Plan& plan) const = 0;
};

/// How a config key of an action type is written (the declarative key table of the type).
enum class ConfigKeyKind { text, integer, text_list, mapping, delivery };
struct ConfigKey {
  std::string name;
  ConfigKeyKind kind = ConfigKeyKind::text;
  bool required = false;
};

class ActionFactory {
 public:
  virtual ~ActionFactory() = default;
  virtual std::string_view type() const = 0;
  /// The keys this type accepts besides type, name, retries, backoff_initial_ms, backoff_max_ms.
  virtual std::vector<ConfigKey> config_schema() const = 0;
  /// Validates `cfg` (messages start with `where`) and makes the action. Errors: config.
  virtual Result<std::shared_ptr<const Action>> create(const ActionConfig& cfg, const std::string& where) const = 0;
};

/// The one validating factory: type string → ActionFactory.
class ActionRegistry {
 public:
  /// Errors: config when the type is already registered.
  Result<void> add(std::unique_ptr<ActionFactory> f);
  const ActionFactory* find(std::string_view type) const;
  std::vector<std::string> types() const;
  /// Unknown type, missing required key or a factory's own validation: ErrorCode::config.
  Result<std::shared_ptr<const Action>> create(const ActionConfig& cfg, const std::string& where) const;

 private:
  std::vector<std::unique_ptr<ActionFactory>> factories_;
};

/// exec, http, notify, throttle, failover, suggest.
const ActionRegistry& builtin_actions();
/// Adds the built-in types to `reg` (to extend them with more types, e.g. in a test).
void add_builtin_actions(ActionRegistry& reg);

}  // namespace selfheal::healer
