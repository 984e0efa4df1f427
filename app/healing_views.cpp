// JSON views of the healer's rules, history and approvals: one function per view, shared by the
// HTTP API (app/api_healing.cpp) and the CLI (app/cmd_healer.cpp), so both show the same fields.
#include "app/healing_views.hpp"

#include "schema/time_format.hpp"

namespace selfheal::app {

using nlohmann::json;

json run_json(const HealingRun& r) {
  return {{"id", r.id},
          {"ts", format_rfc3339(r.ts)},
          {"ts_ms", r.ts},
          {"strategy", r.strategy},
          {"fingerprint_id", r.fingerprint_id},
          {"target", r.target},
          {"action", r.action},
          {"action_type", r.action_type},
          {"step", r.step},
          {"decision", r.decision},
          {"reason", r.reason},
          {"outcome", r.outcome},
          {"duration_ms", r.duration_ms},
          {"exit_code", r.exit_code},
          {"output", r.output},
          {"error", r.error},
          {"attempts", r.attempts},
          {"verification", r.verification},
          {"rate_before_per_min", r.rate_before},
          {"rate_after_per_min", r.rate_after},
          {"verified_at", r.verified_at ? json(format_rfc3339(r.verified_at)) : json(nullptr)},
          {"approval_id", r.approval_id},
          {"dry_run", r.dry_run},
          {"detail", r.detail},
          {"count", r.repeats},
          {"first_ts", format_rfc3339(r.ts)},
          {"last_ts", format_rfc3339(r.last_ts > 0 ? r.last_ts : r.ts)}};
}

json approval_json(const ApprovalRow& a) {
  json plan = json::parse(a.plan_json, nullptr, false);
  return {{"id", a.id},
          {"strategy", a.strategy},
          {"fingerprint_id", a.fingerprint_id},
          {"target", a.target},
          {"step", a.step},
          {"action", a.action},
          {"plan", plan.is_discarded() ? json(a.plan_json) : plan},
          {"status", a.status},
          {"created_at", format_rfc3339(a.created_at)},
          {"expires_at", format_rfc3339(a.expires_at)},
          {"expires_at_ms", a.expires_at},
          {"decided_by", a.decided_by},
          {"decided_at", a.decided_at ? json(format_rfc3339(a.decided_at)) : json(nullptr)},
          {"note", a.note}};
}

json delivery_json(const healer::Delivery& d) {
  if (d.type == "exec")
    return {
        {"type", "exec"}, {"argv", d.exec.argv}, {"timeout_ms", d.exec.timeout_ms}, {"env_allow", d.exec.env_allow}};
  if (d.type == "http") {
    json h = json::object();
    for (const auto& [k, v] : d.http.headers_env) h[k] = "$" + v;  // names of env vars, never values
    return {{"type", "http"},   {"method", d.http.method},           {"url", d.http.url},
            {"headers_env", h}, {"body_fields", d.http.body_fields}, {"timeout_ms", d.http.timeout_ms}};
  }
  return nullptr;
}

json rule_json(const healer::Strategy& s) {
  const auto& c = s.config();
  json actions = json::array();
  for (const auto& a : c.actions) {
    json j = {{"name", a.name}, {"type", a.type}, {"retries", a.retries}};
    if (a.type == "exec" || a.type == "http") j["delivery"] = delivery_json(a.delivery);
    if (a.type == "notify") {
      j["level"] = a.level;
      j["channels"] = a.channels;
    }
    if (a.type == "throttle") {
      j["apply"] = delivery_json(a.delivery);
      j["restore"] = delivery_json(a.restore);
      j["duration_secs"] = a.duration_secs;
    }
    if (a.type == "failover") {
      j["targets"] = a.targets;
      j["switch"] = delivery_json(a.delivery);
      j["health_check"] = delivery_json(a.health_check);
    }
    actions.push_back(j);
  }
  json match = json::object();
  const auto& m = c.match;
  if (!m.fingerprint_id.empty()) match["fingerprint_id"] = m.fingerprint_id;
  if (!m.exception_type.empty()) match["exception_type"] = m.exception_type;
  if (!m.message_regex.empty()) match["message_regex"] = m.message_regex;
  if (!m.service.empty()) match["service"] = m.service;
  if (!m.min_severity.empty()) match["min_severity"] = m.min_severity;
  if (!m.status.empty()) match["status"] = m.status;
  if (m.rate_count > 0) match["rate"] = {{"count", m.rate_count}, {"window_secs", m.rate_window_secs}};
  return {{"name", c.name},
          {"priority", c.priority},
          {"enabled", c.enabled},
          {"backstop", s.is_backstop()},
          {"match", match},
          {"actions", actions},
          {"requires_approval", c.requires_approval},
          {"approval_ttl_secs", c.approval_ttl_secs},
          {"dry_run", c.dry_run},
          {"guards",
           {{"cooldown_secs", c.guards.cooldown_secs},
            {"max_runs", c.guards.max_runs},
            {"per_secs", c.guards.per_secs},
            {"max_concurrent", c.guards.max_concurrent},
            {"breaker", {{"failures", c.guards.breaker.failures}, {"open_secs", c.guards.breaker.open_secs}}}}},
          {"verification",
           {{"enabled", c.verification.enabled},
            {"window_secs", c.verification.window_secs},
            {"min_drop_ratio", c.verification.min_drop_ratio}}}};
}

json view_json(const std::vector<SqliteHealingStore::ViewRow>& rows) {
  json out = json::array();
  for (const auto& row : rows) {
    json o = json::object();
    for (const auto& c : row) {
      using K = SqliteHealingStore::ViewCell::Kind;
      switch (c.kind) {
        case K::null:
          o[c.name] = nullptr;
          break;
        case K::integer:
          o[c.name] = c.integer;
          break;
        case K::real:
          o[c.name] = c.real;
          break;
        case K::text:
          o[c.name] = c.text;
          break;
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

json rules_json(const healer::HealerConfig& cfg, const std::vector<std::unique_ptr<healer::Strategy>>& strategies) {
  json arr = json::array();
  for (const auto& s : strategies) arr.push_back(rule_json(*s));
  json channels = json::array();
  for (const auto& c : cfg.notify.channels) channels.push_back({{"name", c.name}, {"levels", c.levels}});
  json levels = json::array();
  for (const auto& l : cfg.notify.levels)
    levels.push_back({{"level", l.level}, {"threshold", l.threshold}, {"cooldown_secs", l.cooldown_secs}});
  return {{"enabled", cfg.enabled},
          {"dry_run", cfg.dry_run},
          {"rules", arr},
          {"notify", {{"channels", channels}, {"levels", levels}}}};
}

}  // namespace selfheal::app
