// Parser of the `healer:` section (owned with healer/). Example:
//   healer:
//     enabled: true
//     notify:
//       channels:
//         - {name: ops, url: "https://hooks.example/ops", levels: [critical, warning],
//            headers_env: {Authorization: OPS_WEBHOOK_TOKEN}}
//       levels:
//         critical: {threshold: 1, cooldown_secs: 0}
//         warning: {threshold: 10, cooldown_secs: 1800}
//     backstop: {enabled: true, level: warning, min_severity: error}
//     strategies:
//       - name: restart-checkout
//         priority: 10
//         match: {service: checkout, exception_type: ConnectException, min_severity: error,
//                 rate: {count: 20, window_secs: 60}}
//         actions:
//           - {type: exec, name: restart, argv: [/usr/bin/systemctl, restart, "{service}"], timeout_ms: 30000}
//           - {type: http, name: rollback, url: "http://deploy.local/rollback", body_fields: [service]}
//         guards: {cooldown_secs: 300, max_runs: 3, per_secs: 3600, max_concurrent: 1,
//                  breaker: {failures: 3, open_secs: 600}}
//         verification: {window_secs: 300, min_drop_ratio: 0.5}
//         requires_approval: false
// Every strategy is also built once here (regexes compiled, placeholders checked), so a bad rule
// fails at startup with its file:line:col.
#include <fstream>
#include <set>

#include "app/human_output.hpp"
#include "app/config_sections.hpp"
#include "healer/action_type.hpp"
#include "healer/strategy.hpp"

namespace selfheal::app {

namespace {

void parse_headers_env(ConfigSection& parent, std::string_view key,
                       std::vector<std::pair<std::string, std::string>>& out) {
  if (!parent.has(key)) return;
  YAML::Node n = parent.node()[std::string(key)];
  if (!n.IsMap()) {
    parent.error(key, "expected a mapping of header name to environment variable name");
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->second.IsScalar() || it->second.Scalar().empty()) {
      parent.error(key, "header " + it->first.Scalar() + ": expected the name of an environment variable");
      continue;
    }
    out.emplace_back(it->first.Scalar(), it->second.Scalar());
  }
}

// The delivery keys of out.type (exec or http), read from `d` (an action or a nested delivery).
void parse_delivery_keys(ConfigSection& d, healer::Delivery& out) {
  if (out.type == "exec") {
    d.get("argv", out.exec.argv);
    d.get("timeout_ms", out.exec.timeout_ms);
    d.get("env_allow", out.exec.env_allow);
    d.get("max_output_bytes", out.exec.max_output_bytes);
    for (const char* k : {"method", "url", "headers_env", "body_fields", "body", "ca_file"})
      if (d.has(k)) d.error(k, "only for http deliveries");
  } else if (out.type == "http") {
    d.get("method", out.http.method);
    d.get("url", out.http.url);
    d.get("timeout_ms", out.http.timeout_ms);
    if (out.http.timeout_ms > 600'000)
      d.error("timeout_ms", "must be between 1 and 600000 ms for http, got " + std::to_string(out.http.timeout_ms));
    d.get("ca_file", out.http.ca_file);
    if (!out.http.ca_file.empty() && !std::ifstream(out.http.ca_file)) d.error("ca_file", "cannot read " + out.http.ca_file);
    parse_headers_env(d, "headers_env", out.http.headers_env);
    d.get("body_fields", out.http.body_fields);
    if (d.has("body")) {
      YAML::Node b = d.node()["body"];
      if (!b.IsMap()) {
        d.error("body", "expected a mapping of constant string fields");
      } else {
        for (auto it = b.begin(); it != b.end(); ++it) {
          if (!it->second.IsScalar()) {
            d.error("body", "field " + it->first.Scalar() + ": expected a string");
            continue;
          }
          out.http.body_static.emplace_back(it->first.Scalar(), it->second.Scalar());
        }
      }
    }
    for (const char* k : {"argv", "env_allow", "max_output_bytes"})
      if (d.has(k)) d.error(k, "only for exec deliveries");
  }
}

void parse_delivery(ConfigSection& d, healer::Delivery& out) {
  d.allow_only();
  if (!d.has("type")) d.error("type", "required: exec or http");
  d.get("type", out.type);
  parse_delivery_keys(d, out);
}

void parse_action(ConfigSection& a, healer::ActionConfig& out) {
  // The action types and their keys come from the registry (each type's declarative key table).
  const healer::ActionRegistry& registry = healer::builtin_actions();
  std::string known;
  for (const auto& t : registry.types()) known += (known.empty() ? "" : ", ") + t;
  if (!a.has("type")) a.error("type", "required: " + known);
  a.get("type", out.type);
  const healer::ActionFactory* factory = registry.find(out.type);
  if (!factory) return;  // the key table's choices (the registry's types, a test checks) said why
  std::vector<std::string> allowed = {"type", "name", "retries", "backoff_initial_ms", "backoff_max_ms"};
  for (const auto& k : factory->config_schema()) {
    allowed.push_back(k.name);
    if (k.required && !a.has(k.name)) a.error(k.name, "required for a " + out.type + " action");
  }
  a.allow_only(allowed);
  if (out.type == "exec" || out.type == "http") {
    // The delivery keys sit directly on the action.
    out.delivery.type = out.type;
    parse_delivery_keys(a, out.delivery);
  } else if (out.type == "notify") {
    a.get("level", out.level);
    a.get("channels", out.channels);
  } else if (out.type == "throttle") {
    if (a.has("apply")) {
      auto ap = a.child("apply");
      parse_delivery(ap, out.delivery);
    }
    if (a.has("restore")) {
      auto re = a.child("restore");
      parse_delivery(re, out.restore);
    }
    a.get("duration_secs", out.duration_secs);
  } else if (out.type == "failover") {
    a.get("targets", out.targets);
    if (a.has("switch")) {
      auto sw = a.child("switch");
      parse_delivery(sw, out.delivery);
    }
    if (a.has("health_check")) {
      auto hc = a.child("health_check");
      parse_delivery(hc, out.health_check);
    }
  } else if (out.type != "suggest") {
    // A type beyond the built-in six: its declared scalar keys, as strings.
    for (const auto& k : factory->config_schema()) {
      if (!a.has(k.name) || (k.kind != healer::ConfigKeyKind::text && k.kind != healer::ConfigKeyKind::integer))
        continue;
      // Not in the key table (the type declares them): read as they are.
      YAML::Node v = a.node()[k.name];
      if (!v.IsScalar()) {
        a.error(k.name, "expected a string");
        continue;
      }
      out.params.emplace_back(k.name, v.Scalar());
    }
  }
  a.get("name", out.name);
  if (auto e = name_error("name", out.name); !e.empty()) a.error("name", e);
  a.get("retries", out.retries);
  a.get("backoff_initial_ms", out.backoff_initial_ms);
  a.get("backoff_max_ms", out.backoff_max_ms);
}

void parse_strategy(ConfigSection& s, healer::StrategyConfig& out) {
  s.allow_only();
  out.file_position = s.where();
  s.get("name", out.name);
  if (out.name.empty()) s.error("name", "required");
  if (auto e = name_error("name", out.name); !e.empty()) s.error("name", e);
  s.get("enabled", out.enabled);
  s.get("priority", out.priority);
  s.get("requires_approval", out.requires_approval);
  s.get("approval_ttl_secs", out.approval_ttl_secs);
  s.get("dry_run", out.dry_run);

  auto m = s.child("match");
  m.allow_only();
  m.get("fingerprint_id", out.match.fingerprint_id);
  m.get("exception_type", out.match.exception_type);
  m.get("message_regex", out.match.message_regex);
  m.get("service", out.match.service);
  if (m.has("min_severity")) m.get("min_severity", out.match.min_severity);
  if (m.has("status")) m.get("status", out.match.status);
  if (m.has("rate")) {
    auto r = m.child("rate");
    r.allow_only();
    r.get("count", out.match.rate_count);
    r.get("window_secs", out.match.rate_window_secs);
  }

  if (!s.has("actions")) s.error("actions", "required: at least one action");
  for (auto& a : s.list("actions")) {
    healer::ActionConfig ac;
    parse_action(a, ac);
    out.actions.push_back(std::move(ac));
  }

  auto g = s.child("guards");
  g.allow_only();
  g.get("cooldown_secs", out.guards.cooldown_secs);
  g.get("max_runs", out.guards.max_runs);
  g.get("per_secs", out.guards.per_secs);
  g.get("max_concurrent", out.guards.max_concurrent);
  auto b = g.child("breaker");
  b.allow_only();
  b.get("failures", out.guards.breaker.failures);
  b.get("open_secs", out.guards.breaker.open_secs);

  auto v = s.child("verification");
  v.allow_only();
  v.get("enabled", out.verification.enabled);
  v.get("window_secs", out.verification.window_secs);
  v.get("min_drop_ratio", out.verification.min_drop_ratio);
}

}  // namespace

void parse_healer_section(ConfigSection& s, healer::HealerConfig& out) {
  s.allow_only({"escalation"});
  out.enabled = s.has("strategies");  // configuring strategies enables the healer unless told otherwise
  s.get("enabled", out.enabled);
  s.get("dry_run", out.dry_run);
  s.get("new_window_secs", out.new_window_secs);
  s.get("regressed_window_secs", out.regressed_window_secs);
  s.get("tick_ms", out.tick_ms);
  s.get("worker_threads", out.worker_threads);

  if (s.has("escalation"))
    s.error("escalation",
            "escalation is configured once, in stats (escalation_window_min, escalation_baseline_min, "
            "escalation_factor, escalation_min_events), for the API and match.status: escalating alike");

  auto bs = s.child("backstop");
  bs.allow_only();
  bs.get("enabled", out.backstop);
  bs.get("level", out.backstop_level);
  bs.get("min_severity", out.backstop_min_severity);

  auto n = s.child("notify");
  n.allow_only();
  n.get("page_cooldown_secs", out.notify.page_cooldown_secs);
  n.get("link_base_url", out.notify.link_base_url);
  if (!out.notify.link_base_url.empty() && out.notify.link_base_url.rfind("http://", 0) != 0 &&
      out.notify.link_base_url.rfind("https://", 0) != 0)
    n.error("link_base_url", "must start with http:// or https://");
  n.get("approval_channels", out.notify.approval_channels);
  n.get("approvals", out.notify.notify_approvals);
  std::set<std::string> channel_names;
  for (auto& c : n.list("channels")) {
    c.allow_only();
    healer::ChannelConfig ch;
    c.get("format", ch.format);
    c.get("routing_key_env", ch.routing_key_env);
    if (ch.format == "pagerduty" && ch.routing_key_env.empty())
      c.error("routing_key_env", "required for format pagerduty (the env var holding the routing key)");
    c.get("name", ch.name);
    c.get("url", ch.url);
    c.get("levels", ch.levels);
    c.get("timeout_ms", ch.timeout_ms);
    c.get("ca_file", ch.ca_file);
    if (!ch.ca_file.empty() && !std::ifstream(ch.ca_file)) c.error("ca_file", "cannot read " + ch.ca_file);
    parse_headers_env(c, "headers_env", ch.headers_env);
    if (ch.name.empty()) c.error("name", "required");
    if (auto e = name_error("name", ch.name); !e.empty()) c.error("name", e);
    if (!channel_names.insert(ch.name).second) c.error("name", "duplicate channel name '" + ch.name + "'");
    if (ch.url.rfind("http://", 0) != 0 && ch.url.rfind("https://", 0) != 0)
      c.error("url", "must start with http:// or https://");
    for (const auto& l : ch.levels)
      if (l != "critical" && l != "warning" && l != "info") c.error("levels", "unknown level '" + l + "'");
    out.notify.channels.push_back(std::move(ch));
  }
  if (n.has("levels")) {
    auto lv = n.child("levels");
    lv.allow_only();
    for (auto& l : out.notify.levels) {
      if (!lv.has(l.level)) continue;
      auto one = lv.child(l.level);
      one.allow_only();
      one.get("threshold", l.threshold);
      one.get("cooldown_secs", l.cooldown_secs);
    }
  }

  for (const auto& ch : out.notify.approval_channels)
    if (!channel_names.count(ch)) n.error("approval_channels", "notify channel '" + ch + "' is not configured");

  std::set<std::string> names;
  for (auto& st : s.list("strategies")) {
    healer::StrategyConfig sc;
    parse_strategy(st, sc);
    if (!sc.name.empty() && !names.insert(sc.name).second)
      st.error("name", "duplicate strategy name '" + sc.name + "'");
    if (sc.name == "backstop") st.error("name", "'backstop' is reserved for the built-in backstop strategy");
    for (const auto& a : sc.actions)
      for (const auto& ch : a.channels)
        if (!channel_names.count(ch)) st.error("actions", "notify channel '" + ch + "' is not configured");
    // Build it once: compiles the regex and checks argv placeholders, URLs, targets...
    if (!sc.name.empty() && !sc.actions.empty()) {
      auto built = healer::ConfiguredStrategy::create(sc, {}, false);
      if (!built) st.error("", built.error().message);
    }
    out.strategies.push_back(std::move(sc));
  }
}

}  // namespace selfheal::app
