#include "app/config_sections.hpp"

#include <map>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace selfheal::app {

namespace {

// ---- ingest.kafka[] -------------------------------------------------------------------------

// Properties the Kafka source sets itself (the at-least-once contract depends on them) or that are
// secrets (secret_properties_env instead).
constexpr std::string_view kafka_managed_properties[] = {
    "bootstrap.servers", "metadata.broker.list", "group.id", "client.id", "enable.auto.offset.store",
    "enable.auto.commit", "auto.commit.interval.ms", "auto.offset.reset", "partition.assignment.strategy",
    "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms", "enable.partition.eof"};
constexpr std::string_view kafka_secret_properties[] = {"sasl.password", "ssl.key.password",
                                                        "sasl.oauthbearer.client.secret", "ssl.keystore.password"};

/// A mapping of string -> scalar, in file order; each entry checked by `check` (returns an error or "").
std::vector<std::pair<std::string, std::string>> string_map(ConfigSection& parent, std::string_view key) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!parent.has(key)) return out;
  auto sec = parent.child(key);
  for (auto it = sec.node().begin(); it != sec.node().end(); ++it) {
    const std::string k = it->first.Scalar();
    if (!it->second.IsScalar()) {
      sec.error(k, "expected a string value");
      continue;
    }
    out.emplace_back(k, it->second.Scalar());
  }
  return out;
}

void parse_kafka_fields(ConfigSection f, ingest::KafkaFieldMapping& m) {
  f.allow_only();
  f.get("message_fields", m.message_fields);
  f.get("timestamp_fields", m.timestamp_fields);
  f.get("labels_fields", m.labels_fields);
  f.get("service_field", m.service_field);
  f.get("host_field", m.host_field);
  f.get("level_field", m.level_field);
  f.get("scalar_fields_as_labels", m.scalar_fields_as_labels);
  f.get("max_labels", m.max_labels);
  if (f.has("message_fields") && m.message_fields.empty()) {
    f.error("message_fields", "needs at least one field name (the line itself)");
  }
}

void parse_kafka_source(ConfigSection& k, ingest::KafkaConfig& c) {
  k.allow_only();
  k.get("name", c.name);
  k.get("brokers", c.brokers);
  k.get("group_id", c.group_id);
  k.get("client_id", c.client_id);
  k.get("topics", c.topics);
  k.get("topic_regex", c.topic_regex);
  k.get("format", c.format);
  const bool has_fields = k.has("fields");
  parse_kafka_fields(k.child("fields"), c.fields);
  k.get("assignment_strategy", c.assignment_strategy);
  k.get("auto_offset_reset", c.auto_offset_reset);
  k.get("session_timeout_ms", c.session_timeout_ms);
  k.get("heartbeat_interval_ms", c.heartbeat_interval_ms);
  k.get("max_poll_interval_ms", c.max_poll_interval_ms);
  k.get("auto_commit_interval_ms", c.auto_commit_interval_ms);
  k.get("drain_timeout_ms", c.drain_timeout_ms);
  k.get("poll_timeout_ms", c.poll_timeout_ms);
  k.get("max_batch_records", c.max_batch_records);
  k.get("max_record_bytes", c.max_record_bytes);
  k.get("multiline", c.multiline);
  k.get("max_pending_streams", c.max_pending_streams);
  c.properties = string_map(k, "properties");
  c.secret_properties_env = string_map(k, "secret_properties_env");

  // Cross-field rules, each located at the key that has to change.
  if (!valid_source_name(c.name)) k.error("name", "'" + c.name + "' must be 1-64 of [A-Za-z0-9_.-]");
  if (c.brokers.empty()) k.error("", "brokers is required (host:port[,host:port...])");
  if (c.group_id.empty()) k.error("group_id", "must not be empty");
  if (c.topics.empty() == c.topic_regex.empty()) {
    k.error(c.topics.empty() ? "" : "topic_regex", "set exactly one of topics or topic_regex");
  }
  for (const auto& t : c.topics) {
    if (t.empty() || t.find(':') != std::string::npos || t.front() == '^') {
      k.error("topics", "'" + t + "' is not a topic name (use topic_regex for patterns)");
    }
  }
  if (c.heartbeat_interval_ms >= c.session_timeout_ms) {
    k.error("heartbeat_interval_ms", "must be below session_timeout_ms (" + std::to_string(c.session_timeout_ms) + ")");
  }
  if (c.drain_timeout_ms >= c.session_timeout_ms) {
    // A revoke waits up to drain_timeout_ms for the store; past the session the group may hand the
    // partitions to another member while our batch still commits (lines counted twice).
    k.error("drain_timeout_ms", "must be below session_timeout_ms (" + std::to_string(c.session_timeout_ms) + ")");
  }
  if (c.drain_timeout_ms + c.poll_timeout_ms >= c.max_poll_interval_ms) {
    k.error("drain_timeout_ms", "drain_timeout_ms + poll_timeout_ms must be below max_poll_interval_ms (" +
                                    std::to_string(c.max_poll_interval_ms) + ")");
  }
  if (c.format == "text" && has_fields) k.error("fields", "field mapping applies to format json or auto, not text");
  for (const auto& [name, value] : c.properties) {
    for (auto m : kafka_managed_properties) {
      if (name == m) k.error("properties", "'" + name + "' is set by selfheal; use the matching ingest.kafka key");
    }
    for (auto sp : kafka_secret_properties) {
      if (name == sp) k.error("properties", "'" + name + "' is a secret; use secret_properties_env: {" + name + ": ENV_VAR}");
    }
  }
  for (const auto& [name, env] : c.secret_properties_env) {
    if (env.empty()) k.error("secret_properties_env", "'" + name + "' needs an environment variable name");
  }
}

void parse_kafka_sources(ConfigSection& s, std::vector<ingest::KafkaConfig>& out) {
  std::map<std::string, std::string> seen;  // name -> where
  for (auto& k : s.list("kafka")) {
    ingest::KafkaConfig c;
    parse_kafka_source(k, c);
    if (auto [it, inserted] = seen.emplace(c.name, k.where("name")); !inserted) {
      k.error("name", "'" + c.name + "' is already used by the Kafka source at " + it->second +
                          " (names key positions and metrics)");
    }
    out.push_back(std::move(c));
  }
}

// ---- ingest.loki_pull[] and ingest.files[] ---------------------------------------------------

void parse_loki_pull_source(ConfigSection& k, ingest::LokiPullConfig& c) {
  k.allow_only();
  k.get("name", c.name);
  k.get("url", c.url);
  k.get("query", c.query);
  k.get("tenant", c.tenant);
  k.get("bearer_token_env", c.bearer_token_env);
  k.get("ca_file", c.ca_file);
  if (!c.ca_file.empty() && !std::ifstream(c.ca_file)) k.error("ca_file", "cannot read " + c.ca_file);
  k.get("limit", c.limit);
  k.get("poll_interval_ms", c.poll_interval_ms);
  k.get("settle_lag_ms", c.settle_lag_ms);
  k.get("start_lookback_ms", c.start_lookback_ms);
  k.get("timeout_ms", c.timeout_ms);
  k.get("backoff_min_ms", c.backoff_min_ms);
  k.get("backoff_max_ms", c.backoff_max_ms);
  k.get("multiline", c.multiline);
  if (!valid_source_name(c.name)) k.error("name", "'" + c.name + "' must be 1-64 of [A-Za-z0-9_.-]");
  if (c.url.rfind("http://", 0) != 0 && c.url.rfind("https://", 0) != 0)
    k.error(c.url.empty() ? "" : "url", "url is required: the Loki base URL, http(s)://host:port");
  if (c.query.empty() || c.query.find('{') == std::string::npos)
    k.error(c.query.empty() ? "" : "query", "query is required: a LogQL log query such as {app=\"api\"}");
  if (c.backoff_min_ms > c.backoff_max_ms) k.error("backoff_min_ms", "must not exceed backoff_max_ms");
}

void parse_file_source(ConfigSection& k, ingest::FileConfig& c) {
  k.allow_only();
  k.get("name", c.name);
  k.get("paths", c.paths);
  c.labels = string_map(k, "labels");
  k.get("start_at", c.start_at);
  k.get("poll_interval_ms", c.poll_interval_ms);
  k.get("glob_interval_ms", c.glob_interval_ms);
  k.get("max_line_bytes", c.max_line_bytes);
  k.get("max_batch_lines", c.max_batch_lines);
  k.get("multiline", c.multiline);
  if (!valid_source_name(c.name)) k.error("name", "'" + c.name + "' must be 1-64 of [A-Za-z0-9_.-]");
  if (c.paths.empty()) k.error(k.has("paths") ? "paths" : "", "paths is required: files or globs to tail");
  for (const auto& p : c.paths)
    if (p.empty() || p.front() != '/') k.error("paths", "'" + p + "' must be an absolute path");
}

}  // namespace

bool valid_source_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void parse_ingest_section(ConfigSection& s, ingest::IngestConfig& out) {
  s.allow_only();
  auto lp = s.child("loki_push");
  lp.allow_only();
  lp.get("enabled", out.loki_push.enabled);
  lp.get("max_body_bytes", out.loki_push.max_body_bytes);
  lp.get("max_line_bytes", out.loki_push.max_line_bytes);
  lp.get("durable_timeout_ms", out.loki_push.durable_timeout_ms);
  lp.get("max_decompressed_bytes", out.loki_push.max_decompressed_bytes);
  lp.get("retry_after_secs", out.loki_push.retry_after_secs);
  auto otlp = s.child("otlp");
  parse_otlp_section(otlp, out.otlp);
  parse_kafka_sources(s, out.kafka);

  // Source names key positions, counts and metrics: unique across every source type.
  std::map<std::string, std::string> seen = {{"loki_push", "the Loki push receiver"}, {"otlp", "the OTLP receiver"}};
  for (const auto& k : out.kafka) seen.emplace(k.name, "a Kafka source");
  for (auto& k : s.list("loki_pull")) {
    ingest::LokiPullConfig c;
    parse_loki_pull_source(k, c);
    if (auto [it, inserted] = seen.emplace(c.name, k.where("name")); !inserted)
      k.error("name", "'" + c.name + "' is already used by " + it->second);
    out.loki_pull.push_back(std::move(c));
  }
  for (auto& k : s.list("files")) {
    ingest::FileConfig c;
    parse_file_source(k, c);
    if (auto [it, inserted] = seen.emplace(c.name, k.where("name")); !inserted)
      k.error("name", "'" + c.name + "' is already used by " + it->second);
    out.files.push_back(std::move(c));
  }
  parse_syslog_sources(s, out.syslog, seen);
}

}  // namespace selfheal::app
