#pragma once
// The built-in action types, one file each (healer/actions/*_type.cpp), listed once in
// builtin_actions() (healer/action_registry.cpp).
#include <functional>
#include <memory>

#include "healer/action_type.hpp"

namespace selfheal::healer {

std::unique_ptr<ActionFactory> exec_action_factory();
std::unique_ptr<ActionFactory> http_action_factory();
std::unique_ptr<ActionFactory> notify_action_factory();
std::unique_ptr<ActionFactory> throttle_action_factory();
std::unique_ptr<ActionFactory> failover_action_factory();
std::unique_ptr<ActionFactory> suggest_action_factory();

/// Validates one action config of a type; messages start with `where`.
using ConfigCheck = std::function<Result<void>(const ActionConfig& cfg, const std::string& where)>;
/// The factory of a type whose action keeps no state of its own (it reads the plan's ActionConfig):
/// every config that passes `check` (none: every config) gets the one `action`, of type
/// action->type(), with the config keys `schema`.
std::unique_ptr<ActionFactory> stateless_action_factory(std::shared_ptr<const Action> action,
                                                        std::vector<ConfigKey> schema, ConfigCheck check = nullptr);

/// Shared by the types that run an exec/http delivery: validates one (messages start with `where`).
Result<void> check_delivery(const Delivery& d, const std::string& where);
/// A delivery's description (argv or method/url/body) with the plan's fields.
ActionDescription describe_delivery(const Delivery& d, const Fields& fields);
/// The factory of a type that runs one pre-configured delivery of its own kind (exec, http), with the
/// config keys `schema`.
std::unique_ptr<ActionFactory> delivery_action_factory(std::string type, std::vector<ConfigKey> schema);
/// Result<ActionOutcome> → ActionOutcome (errors become a failed, non-transient outcome).
ActionOutcome as_outcome(Result<ActionOutcome> r);

}  // namespace selfheal::healer
