#pragma once
// Plain config structs for the healer (parsed and validated in app/config_healer.cpp).
// Secrets are never inline: headers carry the *name* of an environment variable.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/trends.hpp"

namespace selfheal::healer {

/// Which fingerprints a strategy applies to. Empty fields match anything.
struct MatchConfig {
  std::string fingerprint_id;
  std::string exception_type;
  std::string message_regex;  // RE2, validated at load; matched against the template and samples
  std::string service;
  std::string min_severity;            // debug..critical; "" = any
  std::string status;                  // "" | new | regressed | escalating
  std::int64_t rate_count = 0;         // >0: at least this many events ...
  std::int64_t rate_window_secs = 60;  // ... within this window
};

/// How an exec/http effect is delivered. Placeholders: {fingerprint_id} {service} {strategy}
/// {target} {action} {level}, each only as a whole argv element / whole body field value.
struct ExecSpec {
  std::vector<std::string> argv;
  std::int64_t timeout_ms = 30'000;
  std::vector<std::string> env_allow;  // names copied from the server's environment
  std::int64_t max_output_bytes = 16 * 1024;
};

struct HttpSpec {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers_env;  // header name -> env var name
  std::vector<std::string> body_fields;                          // named fields put into a JSON body
  std::vector<std::pair<std::string, std::string>> body_static;  // constant string fields
  std::int64_t timeout_ms = 10'000;
  std::string ca_file;  // https: CA bundle (PEM) that verifies the server; "" = the system's CAs
};

struct Delivery {
  std::string type;  // exec | http | "" (none)
  ExecSpec exec;
  HttpSpec http;
  bool empty() const { return type.empty(); }
};

struct ActionConfig {
  std::string type;   // exec | http | notify | throttle | failover | suggest
  std::string name;   // defaults to "<type>" or "<type>#<index>"
  Delivery delivery;  // exec/http: the action; throttle: apply; failover: switch to {target}
  // notify
  std::string level = "warning";      // critical | warning | info
  std::vector<std::string> channels;  // empty: every channel subscribed to the level
  // throttle
  Delivery restore;
  std::int64_t duration_secs = 600;
  // failover
  std::vector<std::string> targets;  // first is the primary
  Delivery health_check;             // {target} is the candidate; success = healthy
  // retries of transient failures (exec spawn failure / timeout, http 5xx / connection errors)
  int retries = 0;
  std::int64_t backoff_initial_ms = 1000;
  std::int64_t backoff_max_ms = 30'000;
  // keys of action types outside the built-in six, as declared by their factory's config_schema()
  std::vector<std::pair<std::string, std::string>> params;
  std::string param(std::string_view key) const {
    for (const auto& [k, v] : params)
      if (k == key) return v;
    return {};
  }
};

struct BreakerConfig {
  int failures = 3;              // consecutive failures that open the breaker (0: no breaker)
  std::int64_t open_secs = 600;  // open time before a half-open trial
};

struct GuardsConfig {
  std::int64_t cooldown_secs = 300;  // per (strategy, target)
  int max_runs = 3;                  // per strategy ...
  std::int64_t per_secs = 3600;      // ... within this window (0 runs: unlimited)
  int max_concurrent = 1;            // per target
  BreakerConfig breaker;
};

struct VerificationConfig {
  std::int64_t window_secs = 300;  // compare the rate in this window after the action with before
  double min_drop_ratio = 0.5;     // verified when after <= before * (1 - ratio); 0 events after: verified
  bool enabled = true;
};

struct StrategyConfig {
  std::string name;
  bool enabled = true;
  int priority = 100;  // lower runs first
  MatchConfig match;
  std::vector<ActionConfig> actions;  // escalation order, light -> heavy
  bool requires_approval = false;
  std::int64_t approval_ttl_secs = 3600;
  GuardsConfig guards;
  VerificationConfig verification;
  bool dry_run = false;
  std::string file_position;  // "file:line:col" for diagnostics
};

struct ChannelConfig {
  std::string name;
  std::string url;
  std::vector<std::string> levels = {"critical", "warning", "info"};
  std::vector<std::pair<std::string, std::string>> headers_env;
  std::int64_t timeout_ms = 5000;
  std::string format = "json";    // json (generic) | slack (incoming webhook) | pagerduty (Events API v2)
  std::string routing_key_env;    // pagerduty: env var holding the integration's routing key
  std::string ca_file;            // https: CA bundle (PEM) that verifies the server; "" = the system's CAs
};

struct LevelConfig {
  std::string level;
  std::int64_t threshold = 1;      // notify only once the fingerprint has at least this many events
  std::int64_t cooldown_secs = 0;  // per (level, fingerprint)
};

struct NotifyConfig {
  std::vector<ChannelConfig> channels;
  std::vector<LevelConfig> levels = {{"critical", 1, 0}, {"warning", 10, 1800}, {"info", 100, 3600}};
  /// Escalation pages (a notify step after a failed fix, a breaker that opened) are never held back by
  /// the remediation guards; each channel gets at most one page per (fingerprint, target) in this time.
  std::int64_t page_cooldown_secs = 300;
  /// Base of the link to a fingerprint in every payload: <base>/api/v1/fingerprints/<id>. "" : the
  /// server's own listen address.
  std::string link_base_url;
  /// Pending approvals are sent to these channels (empty: every channel), with who/what/why/expiry.
  std::vector<std::string> approval_channels;
  bool notify_approvals = true;
};


struct HealerConfig {
  bool enabled = false;
  bool dry_run = false;  // global: evaluate and record, never act
  std::vector<StrategyConfig> strategies;
  NotifyConfig notify;
  bool backstop = true;  // a notify strategy applies when nothing else matches (needs a notify channel)
  std::string backstop_level = "warning";
  std::string backstop_min_severity = "error";
  std::int64_t new_window_secs = 3600;        // status: new
  std::int64_t regressed_window_secs = 3600;  // status: regressed
  /// status: escalating. Not a healer setting: the app fills it from `stats.escalation_*`, so the API
  /// and the healer share one definition (selfheal::escalation in schema/trends.hpp).
  EscalationOptions escalation;
  std::int64_t tick_ms = 1000;  // periodic tick: verifications, restores, approvals, expiry
  int worker_threads = 2;       // parallel actions
};

}  // namespace selfheal::healer
