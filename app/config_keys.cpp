// The rows of the config key table (app/config_table.hpp): each key once, with its doc line.
// Defaults must equal the module structs' initialisers (tests/app/config_table_test.cpp checks).
#include <string>
#include <vector>

#include "app/config_key_rows.hpp"

namespace selfheal::app {
namespace {

void server_storage_api(Rows& r) {
  r.in("").section("server", "The HTTP server: API, web UI, /metrics and the push endpoints.");
  r.in("server").listen("listen", "127.0.0.1:8080",
                        "HOST:PORT to listen on; port 0 picks a free port (the bound port is logged)");
  r.integer("threads", 256, 1, 4096, "", "HTTP worker threads; each keep-alive connection holds one while open");
  r.integer("max_body_bytes", 16LL * 1024 * 1024, 1024, 2147483648.0, "bytes", "request bodies above this get 413");
  r.duration("read_timeout_ms", 10'000, 100, 600'000, "ms", "a request must arrive within this");
  r.section("tls", "HTTPS (OpenSSL) for the API and the push endpoints; plaintext is then refused");
  r.derived();  // present or not: shown commented out
  r.in("server.tls").str("cert_file", "", "PEM certificate, leaf first then its chain; re-read on SIGHUP");
  r.str("key_file", "", "PEM private key, unencrypted; re-read on SIGHUP (a bad pair keeps the old one)");
  r.choice("min_version", "1.2", "1.2|1.3", "oldest TLS version accepted; 1.0 and 1.1 are always refused");

  r.in("").section("storage", "The store: embedded SQLite (default) or PostgreSQL shared by several instances.");
  r.in("storage").choice("type", "sqlite", "sqlite|postgres",
                         "sqlite: one file, one serve; postgres: several instances share counts and decisions");
  r.str("dsn_env", "", "postgres: environment variable holding the libpq connection string (required)");
  r.integer("pool", 4, 1, 64, "connections", "postgres: connections per instance");
  r.str("data_dir", "./selfheal-data", "holds selfheal.db (SQLite, WAL); one serve per directory");
  r.duration("flush_interval_ms", 200, 1, 250, "ms", "one transaction per flush");
  r.integer("queue_max_events", 500'000, 100, 100'000'000, "events",
            "above this, pushes get 429 + Retry-After and pull sources wait");
  r.duration("regression_grace_ms", 60'000, 0, kDayMs, "ms", "events this soon after a resolve do not reopen it");
  r.duration("retention_days", 14, 1, 3650, "d",
             "hours, samples, dead letters and finished healing history older than this are pruned");
  r.flag("synchronous_full", false, "WAL+NORMAL survives process crashes; FULL also survives power loss");

  r.in("").section("api", "Access control of the HTTP API (README: Access control).");
  r.in("api").items("tokens", "named tokens with roles; none: the API is open (writes recorded as anonymous)");
  r.in("api.tokens[]").str("name", "", "1-64 of A-Z a-z 0-9 _ . @ -; the actor of every write made with it");
  r.choice("role", "viewer", "viewer|operator|ingest|admin",
           "viewer: reads; operator: + lifecycle, merges, approvals; ingest: push only; admin: everything");
  r.str("token_env", "", "environment variable holding the token's secret (required)");
  r.in("api").str("token_env", "", "older single key: the token named default with role admin");
  r.list("open_endpoints", "[/healthz, /readyz, /metrics]", "GETs that never need a token ([] protects them too)");
}

void pipeline_fingerprint_stats_log(Rows& r) {
  r.in("").section("pipeline", "From events to fingerprints.");
  r.in("pipeline")
      .choice("min_severity", "warning", kSeverities,
              "events below are counted per source and service, not fingerprinted");
  r.flag("keep_stack_traces", true, "...unless they carry a stack trace");
  r.integer("max_new_fingerprints_per_service_per_hour", 10'000, 1, 100'000'000, "fingerprints",
            "new fingerprints per service above this are a warning and a metric (likely a masking failure)");

  r.in("").section("fingerprint", "Grouping (fingerprint/README.md).");
  r.in("fingerprint")
      .integer("stitch_max_lines", 500, 1, 100'000, "lines", "multiline events are cut (and flagged) here");
  r.duration("stitch_max_wait_ms", 3'000, 0, 600'000, "ms", "an event is closed after this much silence on its stream");
  r.integer("max_event_bytes", 256LL * 1024, 256, 64.0 * 1024 * 1024, "bytes",
            "longer events are truncated and flagged");
  r.duration("learn_interval_ms", 60'000, 0, kDayMs, "ms",
             "learned template merges (a position with many values becomes <*>); 0: off");
  r.integer("learn_min_distinct", 5, 2, 1'000'000, "values", "distinct values at one position that make it a variable");
  r.items("user_masks", "extra masks applied before the built-in ones");
  r.in("fingerprint.user_masks[]").str("name", "", "the mask's name, shown as <name> in templates (required)");
  r.str("regex", "", "RE2 pattern of the value to mask (required)");
  r.in("fingerprint").items("rules", "custom grouping applied before the default algorithm");
  r.in("fingerprint.rules[]").str("name", "", "the rule's name; the id derives from it and the key (required)");
  r.str("message_regex", "", "RE2 matched against the message");
  r.str("exception_type", "", "exact exception type");
  r.str("service", "", "exact service");
  r.map("labels", "label name -> exact value, all must match");
  r.str("fingerprint", "", "custom grouping key (default: the rule's name)");

  r.in("").section("stats", "Status and trend of fingerprints (API, UI, healer match.status).");
  r.in("stats").duration("new_window_ms", 3'600'000, 60'000, 30 * kDayMs, "ms", "\"new\" while first seen within this");
  r.duration("regression_window_ms", 86'400'000, 60'000, 30 * kDayMs, "ms",
             "\"regressed\" is shown this long after a regression");
  r.duration("escalation_window_min", 5, 1, 120, "min", "escalating: the short window compared with the baseline");
  r.duration("escalation_baseline_min", 60, 5, 1440, "min",
             "escalating: the baseline window (longer than the short one)");
  r.number("escalation_factor", "3.0", 1.0, 1000.0, "escalating: short-window rate at least this times the baseline");
  r.integer("escalation_min_events", 10, 1, 1'000'000, "events",
            "escalating: at least this many events in the short window");
  r.number("forecast_threshold_per_min", "100.0", 0.0, 1e9, "forecast when the rate crosses this per minute; 0: off");
  r.duration("minute_rollup_after_ms", 86'400'000, 3'600'000, 30 * kDayMs, "ms",
             "per-minute counts older than this become hourly");
  r.duration("prune_interval_ms", 600'000, 1'000, kDayMs, "ms", "how often retention runs");

  r.in("").section("log", "The server's own log.");
  r.in("log").choice("level", "info", "trace|debug|info|warn|error|critical|off", "least severe level logged");
  r.choice("format", "text", "text|json", "one line of text or one JSON object per record");
}

void ingest(Rows& r) {
  r.in("").section("ingest", "Log sources (ingest/README.md).");
  r.in("ingest").section("loki_push", "POST /loki/api/v1/push for Promtail, Alloy and Loki clients");
  r.in("ingest.loki_push").flag("enabled", true, "mount the push endpoints");
  r.integer("max_body_bytes", 16LL * 1024 * 1024, 1024, 2147483648.0, "bytes", "compressed bodies above this get 413");
  r.integer("max_line_bytes", 256LL * 1024, 256, 16.0 * 1024 * 1024, "bytes", "longer lines are truncated and flagged");
  r.duration("durable_timeout_ms", 10'000, 100, 600'000, "ms", "wait this long for the commit before answering 503");
  r.integer("max_decompressed_bytes", 64LL * 1024 * 1024, 1024, 8.0 * 1024 * 1024 * 1024, "bytes",
            "bodies above this after gzip/snappy get 413");
  r.duration("retry_after_secs", 1, 1, 3600, "s", "Retry-After of a 429 (the pipeline is overloaded)");

  r.in("ingest").items("kafka", "Kafka consumer-group sources (at least once: offsets commit after the store)");
  r.in("ingest.kafka[]").str("name", "kafka", "source name: positions, metrics, counts; unique across sources");
  r.str("brokers", "", "bootstrap servers, host:port[,host:port...] (required)");
  r.str("group_id", "selfheal", "consumer group");
  r.str("client_id", "", "\"\": selfheal-<name>");
  r.list("topics", "", "topic names (or topic_regex)");
  r.str("topic_regex", "", "a regex subscription instead of topics");
  r.choice("format", "auto", "text|json|auto", "auto: JSON when the value parses, else the whole value is the line");
  r.section("fields", "where the parts of a JSON record live (a dotted name walks nested objects)");
  r.in("ingest.kafka[].fields").list("message_fields", "[message, log, MESSAGE, msg]", "first present is the line");
  r.list("timestamp_fields", "[\"@timestamp\", timestamp, time, ts]", "first present is the time");
  r.list("labels_fields", "[labels, fields, kubernetes]", "objects flattened into labels");
  r.str("service_field", "", "\"\": the service comes from the labels");
  r.str("host_field", "", "\"\": the host comes from the labels");
  r.str("level_field", "", "\"\": the level comes from the labels or the line");
  r.flag("scalar_fields_as_labels", true, "other top-level strings and numbers become labels (bounded)");
  r.integer("max_labels", 32, 0, 256, "labels", "labels kept per record");
  r.in("ingest.kafka[]")
      .choice("assignment_strategy", "cooperative-sticky", "eager|cooperative-sticky",
              "partition assignment (eager: range,roundrobin)");
  r.choice("auto_offset_reset", "earliest", "earliest|latest|error", "where a partition without a position starts");
  r.duration("session_timeout_ms", 45'000, 1'000, 3'600'000, "ms", "group session timeout");
  r.duration("heartbeat_interval_ms", 3'000, 100, 3'600'000, "ms", "below session_timeout_ms");
  r.duration("max_poll_interval_ms", 300'000, 1'000, kDayMs, "ms", "above drain_timeout_ms + poll_timeout_ms");
  r.duration("auto_commit_interval_ms", 1'000, 10, 600'000, "ms", "Kafka-side commit period (for lag tools only)");
  r.duration("drain_timeout_ms", 10'000, 100, 3'600'000, "ms",
             "on revoke or stop, wait this long for batches to be durable");
  r.duration("poll_timeout_ms", 100, 1, 10'000, "ms", "one poll collects records for at most this long");
  r.integer("max_batch_records", 20'000, 1, 1'000'000, "records", "records per batch");
  r.integer("max_record_bytes", 1024LL * 1024, 1024, 256.0 * 1024 * 1024, "bytes",
            "larger records become dead letters");
  r.flag("multiline", true, "stitch records per (topic, partition, key) stream");
  r.integer("max_pending_streams", 256, 1, 1'000'000, "streams",
            "per partition; the oldest pending stream is flushed above");
  r.map("properties", "extra librdkafka properties (not the ones selfheal sets, not secrets)");
  r.map("secret_properties_env", "librdkafka secret property -> environment variable holding it");

  r.in("ingest").items("loki_pull", "Loki sources followed through query_range");
  r.in("ingest.loki_pull[]").str("name", "loki_pull", "source name, unique across sources");
  r.str("url", "", "Loki base URL, http(s)://host:port (required)");
  r.str("query", "", "LogQL log query such as {app=\"api\"} (required)");
  r.str("tenant", "", "X-Scope-OrgID");
  r.str("bearer_token_env", "", "environment variable holding a bearer token");
  r.str("ca_file", "", "https: PEM CA bundle that verifies Loki (\"\": the system's CAs)");
  r.integer("limit", 1000, 1, 5000, "entries", "entries per page");
  r.duration("poll_interval_ms", 5'000, 10, 3'600'000, "ms", "wait between polls when caught up");
  r.duration("settle_lag_ms", 30'000, 0, 3'600'000, "ms", "queries end this long before now (late writes land first)");
  r.duration("start_lookback_ms", 3'600'000, 0, 30 * kDayMs, "ms",
             "first start without a stored cursor looks back this far");
  r.duration("timeout_ms", 10'000, 100, 600'000, "ms", "per request");
  r.duration("backoff_min_ms", 500, 1, 600'000, "ms", "first wait after a failure");
  r.duration("backoff_max_ms", 60'000, 1, 3'600'000, "ms", "longest wait after failures");
  r.flag("multiline", true, "stitch lines per stream");

  r.in("ingest").items("files", "files tailed by path or glob (positions survive restarts and rotation)");
  r.in("ingest.files[]").str("name", "file", "source name, unique across sources");
  r.list("paths", "", "absolute files or globs (*, ?, [..] in the last component) (required)");
  r.map("labels", "static labels of every line (e.g. service)");
  r.choice("start_at", "beginning", "beginning|end", "where a file without a stored position starts");
  r.duration("poll_interval_ms", 250, 10, 60'000, "ms", "how often files are read");
  r.duration("glob_interval_ms", 2'000, 10, 3'600'000, "ms", "how often globs are rescanned for new files");
  r.integer("max_line_bytes", 256LL * 1024, 256, 16.0 * 1024 * 1024, "bytes", "longer lines are truncated and flagged");
  r.integer("max_batch_lines", 10'000, 1, 1'000'000, "lines", "lines per batch");
  r.flag("multiline", true, "stitch lines per file");
}

}  // namespace

const std::vector<KeySpec>& config_keys() {
  static const std::vector<KeySpec> table = [] {
    Rows r;
    server_storage_api(r);
    pipeline_fingerprint_stats_log(r);
    ingest(r);
    healer_keys(r);
    llm_keys(r);
    return std::move(r.out);
  }();
  return table;
}

}  // namespace selfheal::app
