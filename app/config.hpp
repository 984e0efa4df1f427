#pragma once
// The whole configuration: built-in defaults < YAML file < SELFHEAL_* environment < CLI flags.
// Every key, its type, range, default and doc: the key table (app/config_table.hpp).
// Each module owns its plain config struct (ingest/config.hpp, healer/config.hpp, llm/config.hpp);
// app/config_<module>.cpp parses its section with ConfigSection. Secrets are never inline: only
// names of environment variables (`*_env` keys).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/auth.hpp"
#include "healer/config.hpp"
#include "ingest/config.hpp"
#include "llm/config.hpp"
#include "schema/result.hpp"

namespace selfheal::app {

/// HTTPS for the API and the push endpoints (OpenSSL). Both files PEM; the certificate file may hold
/// the chain. Reloaded on SIGHUP.
struct ServerTlsConfig {
  std::string cert_file;
  std::string key_file;
  std::string min_version = "1.2";  // 1.2 | 1.3
  bool enabled() const { return !cert_file.empty(); }
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 256;  // httplib: each keep-alive connection holds one thread while it is open
  std::int64_t max_body_bytes = 16 * 1024 * 1024;
  std::int64_t read_timeout_ms = 10'000;
  ServerTlsConfig tls;
};

struct StorageConfig {
  std::string data_dir = "./selfheal-data";
  std::int64_t flush_interval_ms = 200;      // <= 250
  std::int64_t queue_max_events = 500'000;   // above this, submit() answers overloaded (HTTP 429)
  std::int64_t regression_grace_ms = 60'000;
  std::int64_t retention_days = 14;
  bool synchronous_full = false;
  std::string type = "sqlite";  // sqlite (embedded, the default) | postgres (shared by several instances)
  std::string dsn_env;          // postgres: the environment variable holding the libpq connection string
  int pool = 4;                 // postgres: connections per instance
  std::string db_path() const { return data_dir + "/selfheal.db"; }
};

struct ApiConfig {
  /// Named tokens with roles (app/auth.hpp); none: the API is open. The older single key
  /// `api.token_env: VAR` is kept and becomes the token named "default" with role admin.
  std::vector<ApiTokenConfig> tokens;
  std::string token_env;  // the older key, as written (its token is also in `tokens`)
  /// GET paths that need no token even when tokens are configured (probes and scrapes).
  std::vector<std::string> open_endpoints = {"/healthz", "/readyz", "/metrics"};
};

struct PipelineConfig {
  std::string min_severity = "warning";  // events below are counted, not fingerprinted
  bool keep_stack_traces = true;         // ...unless they carry a stack trace
  std::int64_t max_new_fingerprints_per_service_per_hour = 10'000;
};

struct FingerprintRule {  // user rule, applied before the default algorithm
  std::string name;
  std::string message_regex;   // RE2
  std::string exception_type;
  std::string service;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string fingerprint;     // custom key; the id is derived from rule name + key
};

struct FingerprintConfig {
  std::vector<std::pair<std::string, std::string>> user_masks;  // name, RE2
  std::vector<FingerprintRule> rules;
  std::int64_t stitch_max_lines = 500;
  std::int64_t stitch_max_wait_ms = 3000;
  std::int64_t max_event_bytes = 256 * 1024;
  // Learned template merges in serve (as `selfheal fingerprint` does over a file): every interval the
  // templates of plain-message fingerprints are merged where one position takes many values.
  std::int64_t learn_interval_ms = 60'000;  // 0: off
  std::int64_t learn_min_distinct = 5;       // distinct values at a position that make it a variable
};

struct StatsConfig {
  std::int64_t new_window_ms = 3'600'000;         // "new" while first seen within this window
  std::int64_t regression_window_ms = 86'400'000; // "regressed" flag shown this long after a regression
  std::int64_t escalation_window_min = 5;         // short window compared with the baseline
  std::int64_t escalation_baseline_min = 60;
  double escalation_factor = 3.0;
  std::int64_t escalation_min_events = 10;
  double forecast_threshold_per_min = 100.0;      // forecast: when the rate crosses this (0 = off)
  std::int64_t minute_rollup_after_ms = 86'400'000;  // per-minute counts older than this become hourly
  std::int64_t prune_interval_ms = 600'000;       // how often retention runs
};

/// The one definition of "escalating" (API status/trend and the healer's match.status: escalating).
inline EscalationOptions escalation_options(const StatsConfig& s) {
  EscalationOptions o;
  o.short_window_min = static_cast<int>(s.escalation_window_min);
  o.baseline_min = static_cast<int>(s.escalation_baseline_min);
  o.spike_factor = s.escalation_factor;
  o.min_events = s.escalation_min_events;
  return o;
}

struct LogConfig {
  std::string level = "info";
  std::string format = "text";
};

struct Config {
  std::string file;  // "" when running on built-in defaults
  ServerConfig server;
  StorageConfig storage;
  ApiConfig api;
  PipelineConfig pipeline;
  FingerprintConfig fingerprint;
  StatsConfig stats;
  LogConfig log;
  ingest::IngestConfig ingest;
  healer::HealerConfig healer;
  llm::LlmConfig llm;
  std::string effective_yaml;  // after defaults, env and flags; secrets masked
  std::vector<std::string> warnings;  // e.g. a SELFHEAL_* variable that is no config key (logged by serve)
};

struct CliOverrides {
  std::optional<std::string> listen;
  std::optional<std::string> data_dir;
  std::optional<std::string> log_level;
  /// CLI clients only read the config: the API tokens' environment variables (the server's secrets)
  /// need not be set for them.
  bool tokens_need_env = true;
};

/// Loads and validates everything. Errors are ErrorCode::config with every problem, each located.
Result<Config> load_config(const std::string& file, const CliOverrides& flags);

}  // namespace selfheal::app
