#pragma once
// Small helpers shared by the worker's files (healer/worker*.cpp). Internal to healer/.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "healer/action_type.hpp"
#include "healer/plan.hpp"
#include "healer/policy.hpp"
#include "schema/healing_store.hpp"

namespace selfheal::healer::detail {

inline constexpr std::int64_t minute_ms = 60'000;
inline constexpr std::size_t max_output_excerpt = 2048;

inline std::string excerpt(const std::string& s) {
  if (s.size() <= max_output_excerpt) return s;
  return s.substr(0, max_output_excerpt) + "…";
}

inline Fields fields_from_json(const std::string& s) {
  Fields f;
  auto j = nlohmann::json::parse(s, nullptr, false);
  if (!j.is_object()) return f;
  for (auto& [k, v] : j.items())
    if (v.is_string()) f.emplace_back(k, v.get<std::string>());
  return f;
}

inline BreakerState to_state(const std::optional<BreakerRow>& row) {
  BreakerState b;
  if (!row) return b;
  b.phase = parse_breaker_phase(row->phase);
  b.consecutive_failures = row->consecutive_failures;
  b.opened_at = row->opened_at;
  b.trial_in_flight = row->trial_in_flight;
  b.opens = row->opens;
  return b;
}

inline BreakerRow to_row(const Plan& p, const BreakerState& b, UnixMs now) {
  return BreakerRow{
      p.strategy, p.target, std::string(to_string(b.phase)), b.consecutive_failures, b.opened_at, b.trial_in_flight,
      b.opens,    now};
}

inline std::string describe_plan(const Plan& p) {
  nlohmann::json j;
  j["strategy"] = p.strategy;
  j["fingerprint_id"] = p.fingerprint_id;
  j["target"] = p.target;
  j["service"] = p.service;
  j["host"] = p.host;
  j["step"] = p.step;
  j["action"] = p.action.name;
  j["type"] = p.action.type;
  const ActionDescription d = p.impl->describe(p);
  if (!d.argv.empty()) j["argv"] = d.argv;
  if (!d.method.empty()) j["method"] = d.method;
  if (!d.url.empty()) j["url"] = d.url;
  if (!d.body.empty()) j["body"] = d.body;
  if (!d.level.empty()) j["level"] = d.level;
  if (!d.targets.empty()) j["targets"] = d.targets;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace selfheal::healer::detail
