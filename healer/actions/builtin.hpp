#pragma once
// The built-in action types, one file each (healer/actions/*_type.cpp), listed once in
// builtin_actions() (healer/action_registry.cpp).
#include <memory>

#include "healer/action_type.hpp"

namespace selfheal::healer {

std::unique_ptr<ActionFactory> exec_action_factory();
std::unique_ptr<ActionFactory> http_action_factory();
std::unique_ptr<ActionFactory> notify_action_factory();
std::unique_ptr<ActionFactory> throttle_action_factory();
std::unique_ptr<ActionFactory> failover_action_factory();
std::unique_ptr<ActionFactory> suggest_action_factory();

/// Shared by the types that run an exec/http delivery: validates one (messages start with `where`).
Result<void> check_delivery(const Delivery& d, const std::string& where);
/// A delivery's description (argv or method/url/body) with the plan's fields.
ActionDescription describe_delivery(const Delivery& d, const Fields& fields);
/// Result<ActionOutcome> → ActionOutcome (errors become a failed, non-transient outcome).
ActionOutcome as_outcome(Result<ActionOutcome> r);

}  // namespace selfheal::healer
