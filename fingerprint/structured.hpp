#pragma once
// Structured log lines: one JSON object per line (pino, Bunyan, winston JSON, zap, logrus JSON,
// logstash/ECS encoders, Serilog CLEF) or logfmt (`level=error msg="x" err="y"`). The one place
// that knows the field names of message, level and error: the engine fingerprints what a person
// would read (message + error), the sources take the level and the other fields from it.
// Pure and reentrant; any bytes in, never throws.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace selfheal::fingerprint {

enum class LineFormat { plain, json, logfmt };

struct StructuredOptions {
  std::size_t max_fields = 16;        ///< other fields kept (labels / sample fields)
  std::size_t max_key_bytes = 64;     ///< longer keys are skipped
  std::size_t max_value_bytes = 256;  ///< longer values are cut
  std::size_t max_input_bytes = 1024 * 1024;  ///< longer lines stay plain text
};

struct StructuredLine {
  LineFormat format = LineFormat::plain;  ///< plain: not structured, or nothing worth taking
  std::string message;        ///< msg / message / @m / @mt
  std::string level;          ///< lower-case word ("error"); numeric pino/Bunyan levels mapped
  std::string error_type;     ///< err.type / err.name / error.type / error.kind
  std::string error_message;  ///< err.message / error.message, or a one-line error string
  std::string error_stack;    ///< a whole stack trace held in a string (err.stack, stack, exception...)
  /// Other scalar fields, nested keys joined with '.', at most max_fields, in line order.
  /// Timestamps are left out (they belong to the event, not to its labels).
  std::vector<std::pair<std::string, std::string>> fields;
  std::string time;  ///< the line's own timestamp field as written, if any

  /// What to fingerprint and show: the message, then the error on the following lines (its stack
  /// trace when it has one, else "type: message"). Empty for plain lines.
  std::string event_text() const;
  /// What groups the line (the same on every source, in serve and in the CLI): a stack trace held in
  /// a field (message + trace), else the message and the error's type. An error's free text
  /// (`err="dial tcp …: i/o timeout"`) is a value of the statement, like a printf argument: kept
  /// with the event (sources put it in the `error` label), not in the id. No message: the error.
  std::string grouping_text() const;
};

/// Cheap look at the first bytes (first non-space byte '{', or a `key=` first token): can this be
/// a structured line? Plain lines cost a few byte compares.
LineFormat sniff_format(std::string_view line);

/// True for a top-level key that holds an error or a stack trace ("err", "error", "stack",
/// "exception", "stack_trace", "error.stack_trace", ...): such an object is an application's own
/// log line, worth reading with parse_structured even inside a shipper's JSON record.
bool is_error_field(std::string_view key);

/// Parses one line. The result is plain when the line is not a JSON object / logfmt, or when it
/// holds neither a message nor an error (such lines are fingerprinted as they are).
StructuredLine parse_structured(std::string_view line, const StructuredOptions& opts = {});

}  // namespace selfheal::fingerprint
