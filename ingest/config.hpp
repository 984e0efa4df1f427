#pragma once
// Plain config structs for ingest (parsed in app/config_ingest.cpp). Extended by the ingest sources.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace selfheal::ingest {

struct LokiPushConfig {
  bool enabled = true;
  std::int64_t max_body_bytes = 16 * 1024 * 1024;   // 413 above
  std::int64_t max_line_bytes = 256 * 1024;         // longer lines are truncated and flagged
  std::int64_t durable_timeout_ms = 10'000;         // wait for the commit before answering
  std::int64_t max_decompressed_bytes = 64 * 1024 * 1024;  // 413 above (after snappy/gzip)
  std::int64_t retry_after_secs = 1;                // Retry-After on 429 (pipeline overloaded)
};

/// One `ingest.loki_pull[]` entry: follows a LogQL selector through query_range (forward).
struct LokiPullConfig {
  std::string name = "loki_pull";   // source instance name
  std::string url;                  // base URL, e.g. http://loki:3100
  std::string query;                // LogQL log query, e.g. {app="api"} |= "error"
  std::string tenant;               // X-Scope-OrgID, optional
  std::string bearer_token_env;     // env var holding a bearer token, optional
  std::string ca_file;              // https: CA bundle (PEM) that verifies Loki; "" = the system's CAs
  std::int64_t limit = 1000;        // entries per page (<= 5000)
  std::int64_t poll_interval_ms = 5'000;    // wait between polls when caught up
  std::int64_t settle_lag_ms = 30'000;      // end = now - settle_lag (late writes land first)
  std::int64_t start_lookback_ms = 3'600'000;  // first start without a stored cursor
  std::int64_t timeout_ms = 10'000;         // per request
  std::int64_t backoff_min_ms = 500;
  std::int64_t backoff_max_ms = 60'000;
  bool multiline = true;
};

/// One `ingest.files[]` entry: tails files matching paths/globs.
struct FileConfig {
  std::string name = "file";                // source instance name
  std::vector<std::string> paths;           // files or globs (*, ?, [..] in the last component)
  std::vector<std::pair<std::string, std::string>> labels;  // static labels (e.g. service)
  std::string start_at = "beginning";       // beginning | end, for files without a stored position
  std::int64_t poll_interval_ms = 250;
  std::int64_t glob_interval_ms = 2'000;    // rescan globs for new files
  std::int64_t max_line_bytes = 256 * 1024;
  std::int64_t max_batch_lines = 10'000;
  bool multiline = true;
};

/// Where the parts of a JSON Kafka record live (ingest/kafka_record.hpp). Field names are looked up
/// as top-level keys; a dotted name ("kubernetes.pod_name") walks nested objects.
struct KafkaFieldMapping {
  std::vector<std::string> message_fields = {"message", "log", "MESSAGE", "msg"};  // first present wins
  std::vector<std::string> timestamp_fields = {"@timestamp", "timestamp", "time", "ts"};
  std::vector<std::string> labels_fields = {"labels", "fields", "kubernetes"};  // objects flattened to labels
  std::string service_field;  // empty: taken from labels (ingest::extract_fields)
  std::string host_field;
  std::string level_field;
  bool scalar_fields_as_labels = true;  // other top-level strings/numbers become labels (bounded)
  std::int64_t max_labels = 32;
};

/// One `ingest.kafka[]` entry: a librdkafka high-level consumer in a consumer group.
struct KafkaConfig {
  std::string name = "kafka";  // source instance name: positions, metrics, counts
  std::string brokers;         // bootstrap.servers
  std::string group_id = "selfheal";
  std::string client_id;       // empty: "selfheal-<name>"
  std::vector<std::string> topics;
  std::string topic_regex;     // instead of topics; librdkafka regex subscription ("^" added)
  std::string format = "auto";  // text | json | auto (json, else the whole value is the line)
  KafkaFieldMapping fields;
  std::string assignment_strategy = "cooperative-sticky";  // or eager (range,roundrobin)
  std::string auto_offset_reset = "earliest";  // where a partition without any position starts
  std::int64_t session_timeout_ms = 45'000;
  std::int64_t heartbeat_interval_ms = 3'000;
  std::int64_t max_poll_interval_ms = 300'000;
  std::int64_t auto_commit_interval_ms = 1'000;  // Kafka-side commit period (lag tools only)
  std::int64_t drain_timeout_ms = 10'000;  // revoke/stop: wait this long for submitted batches to be durable
  std::int64_t poll_timeout_ms = 100;      // one poll() collects records for at most this long
  std::int64_t max_batch_records = 20'000;
  std::int64_t max_record_bytes = 1024 * 1024;  // larger records become dead letters
  bool multiline = true;                   // stitch records per (topic, partition, key) stream
  std::int64_t max_pending_streams = 256;  // per partition; the oldest pending stream is flushed above
  std::vector<std::pair<std::string, std::string>> properties;  // extra librdkafka properties
  /// librdkafka secret properties read from environment variables at start:
  /// (property, env var name), e.g. ("sasl.password", "KAFKA_PASSWORD"). Never inline.
  std::vector<std::pair<std::string, std::string>> secret_properties_env;
};

/// One `ingest.syslog[]` entry: RFC 5424 / RFC 3164 receiver on TCP (RFC 6587 framing) and/or UDP
/// (ingest/syslog_server.hpp). A port of -1 turns that listener off; 0 picks a free port.
struct SyslogConfig {
  std::string name = "syslog";      // source instance name
  std::string tcp_host = "0.0.0.0";
  int tcp_port = -1;                // tcp_listen
  std::string udp_host = "0.0.0.0";
  int udp_port = -1;                // udp_listen
  std::int64_t max_message_bytes = 64 * 1024;  // larger messages are dead letters
  std::int64_t max_connections = 512;           // TCP connections beyond are not accepted until one closes
  std::int64_t max_sd_labels = 16;              // structured-data params kept as labels per message
  std::int64_t max_batch_events = 5'000;        // events per submitted batch
  std::int64_t udp_receive_buffer_bytes = 8 * 1024 * 1024;  // SO_RCVBUF asked for the UDP socket
  std::int64_t tcp_receive_buffer_bytes = 256 * 1024;       // SO_RCVBUF of TCP connections; 0: the kernel's
  bool multiline = true;            // stitch per (host, app-name, procid) stream
};

struct IngestConfig {
  LokiPushConfig loki_push;
  std::vector<KafkaConfig> kafka;
  std::vector<LokiPullConfig> loki_pull;
  std::vector<FileConfig> files;
  std::vector<SyslogConfig> syslog;
};

}  // namespace selfheal::ingest
