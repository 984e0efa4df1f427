#pragma once
// Shared vocabulary: the shape of the data that flows between modules.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/clock.hpp"

namespace selfheal {

/// Label set, kept sorted by key (Loki stream labels, Kafka record fields, file path...).
using Labels = std::vector<std::pair<std::string, std::string>>;

/// Returns the value of `key` or empty.
std::string_view label(const Labels& labels, std::string_view key);

enum class Severity : int { debug = 0, info = 1, warning = 2, error = 3, critical = 4 };
std::string_view to_string(Severity s);
/// Accepts common spellings: warn, WARNING, err, fatal, panic, crit, trace, notice...
std::optional<Severity> parse_severity(std::string_view s);

/// Where a source is, opaque to everyone but the source: "topic:partition" -> "offset",
/// "inode:dev" -> "offset", "selector" -> "cursor". Stored in the same transaction as events.
struct SourcePosition {
  std::string source;  // source instance name from config, e.g. "kafka"
  std::string key;
  std::string value;
};

/// One stitched event (one or many lines) as a source produced it.
struct LogEvent {
  UnixMs ts = 0;
  std::string message;
  Labels labels;
  std::string source;   // source instance name
  std::string service;  // extracted from labels/fields; "unknown" when absent
  std::string host;
  std::string tenant;   // X-Scope-OrgID or empty
  std::optional<Severity> level;  // from a level label/field if any
  std::uint32_t lines = 1;        // physical lines stitched into this event
  bool truncated = false;
};

/// Something a source could not decode; kept, counted and replayable.
struct DeadLetter {
  std::int64_t id = 0;  // assigned by the store
  UnixMs ts = 0;
  std::string source;
  std::string reason;
  std::string content_type;
  std::string payload;  // raw bytes (bounded: the store keeps the first max_dead_letter_bytes)
  std::uint64_t size = 0;  // original size in bytes
  bool replayed = false;
};

/// The fingerprint facts the store keeps; filled by app from fingerprint::Fingerprint.
struct FingerprintInfo {
  std::string id;
  std::string template_text;
  std::string exception_type;
  std::string frames_json;  // JSON array of {module,function,file,line,in_app}
  std::vector<std::string> values;  // raw text behind each <*>
};

}  // namespace selfheal
