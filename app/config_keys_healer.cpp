// Rows of the config key table for the healer: and llm: sections (app/config_table.hpp).
#include <string>

#include "app/config_key_rows.hpp"

namespace selfheal::app {
namespace {

// The keys of an exec or http delivery, under `parent` (an action, or its apply/restore/switch/health_check).
void delivery_keys(Rows& r, const std::string& parent) {
  r.in(parent).list("argv", "",
                    "exec: program and arguments, no shell; a placeholder ({service}...) is a whole element");
  r.duration("timeout_ms", 30'000, 1, 3'600'000, "ms",
             "exec: 30000 by default (at most 1 h); http: 10000 by default (at most 10 min)");
  r.derived();
  r.list("env_allow", "", "exec: names of environment variables passed on from the server");
  r.integer("max_output_bytes", 16LL * 1024, 0, 16.0 * 1024 * 1024, "bytes", "exec: output kept in the history");
  r.choice("method", "POST", "GET|POST|PUT|PATCH|DELETE", "http: request method");
  r.str("url", "", "http: http(s) URL; placeholders only as whole path segments or query values");
  r.map("headers_env", "http: header name -> environment variable holding its value");
  r.list("body_fields", "", "http: named fields ({fingerprint_id}, {service}...) put into a JSON body");
  r.map("body", "http: constant string fields of the JSON body");
  r.str("ca_file", "", "http: PEM CA bundle that verifies the server (\"\": the system's CAs)");
}

void nested_delivery(Rows& r, const std::string& parent, const std::string& name, const std::string& doc) {
  r.in(parent).section(name, doc);
  const std::string path = parent + "." + name;
  r.in(path).choice("type", "", "exec|http", "how it is delivered (required)");
  delivery_keys(r, path);
}

void strategy_keys(Rows& r) {
  r.in("healer").items("strategies", "first match by priority wins (healer/README.md has the decision order)");
  const std::string s = "healer.strategies[]";
  r.in(s).str("name", "", "unique name; backstop is reserved (required)");
  r.flag("enabled", true, "false: kept but never matched");
  r.integer("priority", 100, -1'000'000, 1'000'000, "", "lower runs first");
  r.flag("requires_approval", false, "every run waits for an operator's approval");
  r.duration("approval_ttl_secs", 3600, 1, 30 * kDaySecs, "s", "a pending approval expires after this");
  r.flag("dry_run", false, "decide and record, never run this strategy's actions");
  r.section("match", "which fingerprints it applies to; empty keys match anything");
  r.in(s + ".match").str("fingerprint_id", "", "exact fingerprint id");
  r.str("exception_type", "", "exact exception type");
  r.str("message_regex", "", "RE2 matched against the template and samples");
  r.str("service", "", "exact service");
  r.choice("min_severity", "", kSeverities, "least severe level (\"\": any)");
  r.choice("status", "", "new|regressed|escalating", "fingerprint status (\"\": any); escalating is defined in stats");
  r.section("rate", "at least count events within window_secs");
  r.in(s + ".match.rate").integer("count", 0, 1, 100'000'000, "events", "events needed (absent: no rate condition)");
  r.duration("window_secs", 60, 1, 7 * kDaySecs, "s", "the window counted");

  r.in(s).items("actions", "tried in order: the next runs when the previous one is not verified (required)");
  const std::string a = s + ".actions[]";
  r.in(a).choice("type", "", "exec|http|notify|throttle|failover|suggest", "the action type (required)");
  r.str("name", "", "\"\": <type>, or <type>#<index> when a type repeats");
  r.integer("retries", 0, 0, 10, "", "retries of transient failures (spawn failure, timeout, HTTP 5xx)");
  r.duration("backoff_initial_ms", 1'000, 1, 3'600'000, "ms", "first wait before a retry");
  r.duration("backoff_max_ms", 30'000, 1, 3'600'000, "ms", "longest wait before a retry");
  delivery_keys(r, a);
  r.in(a).choice("level", "warning", kLevels, "notify: the level sent");
  r.list("channels", "", "notify: channel names ([]: every channel subscribed to the level)");
  nested_delivery(r, a, "apply", "throttle: applies the throttle (required)");
  nested_delivery(r, a, "restore", "throttle: lifts it after duration_secs (required)");
  r.in(a).duration("duration_secs", 600, 1, 30 * kDaySecs, "s", "throttle: how long before restore");
  r.list("targets", "", "failover: targets in order, the first is the primary (at least two)");
  nested_delivery(r, a, "switch", "failover: switches to {target} (required)");
  nested_delivery(r, a, "health_check", "failover: checks the candidate {target}; success means healthy");

  r.in(s).section("guards", "limits of the remediation (pages are never held back by them)");
  r.in(s + ".guards").duration("cooldown_secs", 300, 0, 30 * kDaySecs, "s", "per (strategy, target)");
  r.integer("max_runs", 3, 0, 1'000'000, "runs", "per strategy within per_secs (0: unlimited)");
  r.duration("per_secs", 3600, 0, 30 * kDaySecs, "s", "the window of max_runs");
  r.integer("max_concurrent", 1, 0, 1000, "runs", "at once per target");
  r.section("breaker", "opens after consecutive failures");
  r.in(s + ".guards.breaker")
      .integer("failures", 3, 0, 1000, "failures", "consecutive failures that open it (0: none)");
  r.duration("open_secs", 600, 0, 30 * kDaySecs, "s", "open time before a half-open trial");
  r.in(s).section("verification", "did the action help");
  r.in(s + ".verification").flag("enabled", true, "false: a successful run is not checked afterwards");
  r.duration("window_secs", 300, 1, kDaySecs, "s", "compare the rate this long after the action with before");
  r.number("min_drop_ratio", "0.5", 0.0, 1.0, "verified when after <= before * (1 - ratio)");
}

}  // namespace

void healer_keys(Rows& r) {
  r.in("").section("healer", "Rule-based actions on fingerprints (healer/README.md).");
  r.in("healer").flag("enabled", false, "default: true when strategies are configured");
  r.derived();
  r.flag("dry_run", false, "decide and record, never run anything");
  r.duration("new_window_secs", 3600, 1, 30 * kDaySecs, "s", "match.status new: first seen within this");
  r.duration("regressed_window_secs", 3600, 1, 30 * kDaySecs, "s", "match.status regressed: regressed within this");
  r.duration("tick_ms", 1'000, 10, 60'000, "ms", "periodic tick: verifications, restores, approvals, expiry");
  r.integer("worker_threads", 2, 1, 64, "threads", "actions run in parallel");
  r.section("backstop", "a notify strategy that applies when nothing else matches (needs a channel)");
  r.in("healer.backstop").flag("enabled", true, "use the backstop");
  r.choice("level", "warning", kLevels, "its notify level");
  r.choice("min_severity", "error", kSeverities, "least severe fingerprint it notifies about");

  r.in("healer").section("notify", "webhook channels for notify actions, pages and approvals");
  r.in("healer.notify")
      .duration("page_cooldown_secs", 300, 0, 30 * kDaySecs, "s",
                "escalation pages: at most one per channel, fingerprint and target in this time");
  r.str("link_base_url", "", "base of the fingerprint link in payloads (\"\": this server's listen address)");
  r.list("approval_channels", "", "channels that get pending approvals ([]: every channel)");
  r.flag("approvals", true, "send pending approvals (who, what, why, expiry)");
  r.items("channels", "webhooks; secrets in headers come from environment variables");
  r.in("healer.notify.channels[]").str("name", "", "unique channel name (required)");
  r.str("url", "", "http(s) URL (required)");
  r.list("levels", "[critical, warning, info]", "levels this channel receives");
  r.map("headers_env", "header name -> environment variable holding its value");
  r.duration("timeout_ms", 5'000, 1, 600'000, "ms", "per request");
  r.choice("format", "json", "json|slack|pagerduty",
           "json (generic), slack (incoming webhook) or pagerduty (Events API v2)");
  r.str("routing_key_env", "", "pagerduty: environment variable holding the routing key (required there)");
  r.str("ca_file", "", "https: PEM CA bundle that verifies the server (\"\": the system's CAs)");
  r.in("healer.notify").section("levels", "when a level notifies");
  r.derived();  // parsed only when present: shown commented out
  const std::pair<const char*, std::pair<int, int>> levels[] = {
      {"critical", {1, 0}}, {"warning", {10, 1800}}, {"info", {100, 3600}}};
  for (const auto& level : levels) {
    const std::string name = level.first;
    r.in("healer.notify.levels").section(name, name + " notifications");
    r.in("healer.notify.levels." + name)
        .integer("threshold", level.second.first, 0, 1e9, "events", "only once the fingerprint has this many events");
    r.duration("cooldown_secs", level.second.second, 0, 30 * kDaySecs, "s", "per (level, fingerprint)");
  }
  strategy_keys(r);
}

void llm_keys(Rows& r) {
  r.in("").section("llm", "Fix suggestions for people to review; never executed (llm/README.md).");
  r.in("llm").flag("enabled", false, "default: true when a provider is configured");
  r.derived();
  r.section("provider", "the model's API; configuring it enables suggestions; the key stays in the environment");
  r.derived();  // its presence enables suggestions: shown commented out
  r.in("llm.provider").choice("type", "openai", "openai|github_models|ollama", "API shape and defaults");
  r.str("base_url", "", "\"\": the provider's default (https://api.openai.com/v1, models.github.ai, 127.0.0.1:11434)");
  r.str("model", "", "\"\": the provider's default model");
  r.str("api_key_env", "", "environment variable holding the key (\"\": no Authorization header)");
  r.str("ca_file", "", "https: PEM CA bundle for a gateway with a private CA (\"\": the system's CAs)");
  r.duration("connect_timeout_ms", 5'000, 100, 120'000, "ms", "connect timeout");
  r.duration("request_timeout_ms", 60'000, 1'000, 600'000, "ms", "whole request, all retries included");
  r.integer("max_retries", 2, 0, 10, "", "retries of network errors, timeouts, 408, 409, 429 and 5xx answers");
  r.duration("max_retry_delay_ms", 30'000, 0, 600'000, "ms", "a server asking to wait longer counts as unavailable");
  r.number("temperature", "0.2", 0.0, 2.0, "sampling temperature (reasoning models accept only 1)");
  r.choice("token_limit_field", "", "max_completion_tokens|max_tokens",
           "openai shape: \"\" picks max_completion_tokens for api.openai.com, max_tokens elsewhere");
  r.in("llm").integer("max_output_tokens", 800, 64, 32'768, "tokens", "always sent as the output limit");
  r.integer("context_tokens", 8'192, 1'024, 1'000'000, "tokens", "the model's context window: prompt + output fit");
  r.integer("max_samples", 5, 3, 5, "samples", "samples of the fingerprint in the prompt");
  r.section("budget", "limits per UTC day");
  r.in("llm.budget").integer("daily_calls", 200, 0, 1'000'000, "calls", "provider calls per day (0: no limit)");
  r.integer("daily_tokens", 400'000, 0, 1e10, "tokens", "prompt + completion tokens per day (0: no limit)");
  r.in("llm").number("cost_per_1k_input_tokens", "0.0", 0.0, 1000.0, "USD, for the stored cost estimate");
  r.number("cost_per_1k_output_tokens", "0.0", 0.0, 1000.0, "USD, for the stored cost estimate");
  r.duration("refresh_after_ms", 86'400'000, 0, 365 * kDayMs, "ms", "a fingerprint's suggestion is reused this long");
  r.integer("queue_max", 1'000, 1, 1'000'000, "fingerprints", "pending fingerprints; above: 429");
  r.section("redact", "one redactor for every outbound body: LLM, notify, webhooks, http actions");
  r.in("llm.redact").flag("ips", true, "mask IPv4 and IPv6 addresses");
  r.flag("emails", true, "mask e-mail addresses");
  r.list("patterns", "", "RE2 patterns whose whole match is masked");
}

}  // namespace selfheal::app
