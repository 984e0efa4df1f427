#pragma once
// OTLP logs body decoding (opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest), free of
// HTTP: protobuf wire format or OTLP/JSON in, Loki-shaped decoded streams out, so both push
// receivers share one way from entries to events (ingest::push_events).
//
// Field numbers (opentelemetry/proto/logs/v1/logs.proto, common/v1/common.proto):
//   ExportLogsServiceRequest  1 resource_logs
//   ResourceLogs              1 resource (Resource: 1 attributes)   2 scope_logs
//   ScopeLogs                 1 scope (InstrumentationScope: 1 name, 2 version)   2 log_records
//   LogRecord                 1 time_unix_nano (fixed64)   11 observed_time_unix_nano (fixed64)
//                             2 severity_number   3 severity_text   5 body (AnyValue)   6 attributes
//                             9 trace_id (16 bytes)   10 span_id (8 bytes)   12 event_name
//   AnyValue                  1 string  2 bool  3 int64  4 double  5 array (1 values)  6 kvlist (1 values)  7 bytes
//   KeyValue                  1 key  2 value
//
// Mapping: one stream per (ResourceLogs, ScopeLogs); its labels are the resource attributes (dots
// become '_', bounded) plus `service_name` (service.namespace/service.name, else a k8s workload
// name), `host` (host.name, else k8s.node.name, else k8s.pod.name) and `scope_name`. One entry per
// LogRecord: the body (a kvlist body: its message/msg field, the other fields as metadata), with
// exception.type/message/stacktrace attributes appended as a trace text the fingerprinter parses;
// metadata `level` (severity_number, else severity_text), `trace_id`/`span_id` (lower-case hex) and
// the other attributes (bounded).
//
// Hostile input (fuzzed by tests/fuzz/fuzz_otlp.cpp): wire or JSON errors refuse the body; a record
// that is well-formed but invalid (trace_id not 16 bytes, span_id not 8, time beyond int64) is
// refused alone (OTLP partial success) and re-encoded into `rejected_payload` so a replay never
// repeats the accepted records. AnyValue nesting deeper than max_depth refuses the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/detail/loki_decode.hpp"
#include "schema/result.hpp"

namespace selfheal::ingest::detail {

struct OtlpLimits {
  std::size_t max_labels = 32;         // resource attributes kept as stream labels
  std::size_t max_fields = 32;         // record attributes and kvlist body fields kept per record
  std::size_t max_value_bytes = 2048;  // a label or field value is cut here
  std::size_t max_depth = 16;          // AnyValue nesting (arrays, kvlists) deeper than this refuses the body
  std::int64_t now_ns = 0;             // time of a record with neither time nor observed time
};

struct OtlpDecoded {
  DecodedPush push;              // entries of the accepted records
  std::uint64_t records = 0;     // records accepted
  std::uint64_t rejected = 0;    // records refused one by one (partial success)
  std::string reasons;           // why they were refused (the first few, one per line)
  std::string rejected_payload;  // a request holding only the refused records, in the body's encoding
};

/// An ExportLogsServiceRequest in protobuf wire format (already inflated). Errors: bad_input.
Result<OtlpDecoded> decode_otlp_protobuf(std::string_view bytes, const OtlpLimits& limits = {});
/// An ExportLogsServiceRequest in OTLP/JSON (lowerCamelCase names; snake_case read too; hex ids;
/// 64-bit integers as strings or numbers). Errors: bad_input.
Result<OtlpDecoded> decode_otlp_json(std::string_view body, const OtlpLimits& limits = {});

/// Severity of an OTLP record: severity_number 1-8 debug, 9-12 info, 13-16 warning, 17-20 error,
/// 21-24 critical; unset (0) or out of range: parsed from severity_text (empty when neither says).
std::string_view otlp_level(std::int64_t severity_number, std::string_view severity_text);

}  // namespace selfheal::ingest::detail
