#pragma once
// Decoding of one Kafka record value into a LogEvent (or a DeadLetter), in the shapes shippers write:
//   text : the whole value is the line (rsyslog / syslog-ng defaults), trailing newline removed;
//   json : one object per line; the line in the first present of fields.message_fields (Vector
//          "message", Fluent Bit tail "log", systemd "MESSAGE", "msg"), the time in the first present
//          of fields.timestamp_fields (RFC 3339 text or epoch number in s/ms/us/ns, Fluent Bit's
//          fractional seconds included), labels from the objects named in fields.labels_fields
//          (flattened with '_') plus the other top-level scalars; malformed JSON is a DeadLetter;
//   auto : json when the value parses as a JSON object, else text.
// Pure and never throws: bad input becomes a DeadLetter with a reason and the first bytes.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "ingest/config.hpp"
#include "schema/model.hpp"

namespace selfheal::ingest::kafka {

enum class RecordFormat { text, json, auto_detect };
/// "text" | "json" | "auto"; nullopt-like: returns auto_detect for anything else (config validates).
RecordFormat parse_record_format(std::string_view s);

struct RecordMeta {
  std::string_view source;  // source instance name
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  UnixMs kafka_ts = 0;  // broker/producer timestamp; 0 when absent
  UnixMs now = 0;       // fallback when neither the record nor Kafka carry a time
};

struct RecordDecoder {
  RecordFormat format = RecordFormat::auto_detect;
  KafkaFieldMapping fields;
  std::size_t max_record_bytes = 1024 * 1024;

  /// One record value in, one event (service/host/level extracted) or one dead letter out.
  std::variant<LogEvent, DeadLetter> decode(std::string_view value, const RecordMeta& meta) const;
};

/// Epoch number of unknown unit to ms: magnitude decides (s < 1e11 <= ms < 1e14 <= us < 1e17 <= ns).
UnixMs epoch_number_to_ms(double v);

}  // namespace selfheal::ingest::kafka
