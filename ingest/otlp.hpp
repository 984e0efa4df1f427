#pragma once
// OTLP/HTTP logs receiver, without HTTP: one request (headers + body) in, a Batch and the OTLP answer
// out. ingest/otlp_http.hpp serves it on POST /v1/logs and /otlp/v1/logs and answers 200 only after
// the sink said the batch is durable.
//
// Decoding (OTLP 1.x, "OTLP/HTTP"): Content-Type application/x-protobuf (or application/protobuf)
// selects the protobuf decoder, application/json the OTLP/JSON one, anything else is a 415;
// Content-Encoding gzip/deflate is inflated first (when cpp-httplib did not already), identity or
// none is a no-op, anything else a 400. The mapping to events is ingest/detail/otlp_decode.hpp; the
// records of one (resource, scope) are stitched like a Loki stream (ingest::push_events).
//
// Answers, in the request's encoding:
//   200  ExportLogsServiceResponse, empty; or with partial_success {rejected_log_records, error_message}
//        when some records were refused one by one (they are kept as one dead letter, re-encoded)
//   400  a google.rpc.Status: the body cannot be decoded, or every record was refused (one dead letter)
//   413  too large (dead letter of what was read)     415  unsupported Content-Type (dead letter)
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/config.hpp"
#include "ingest/source.hpp"
#include "schema/clock.hpp"

namespace selfheal::ingest {

/// Bounded reason codes for refusals (the `reason` label of selfheal_source_events_rejected_total).
enum class OtlpReject {
  none,
  bad_content_type,
  bad_encoding,
  bad_compression,
  bad_protobuf,
  bad_json,
  too_large,
  bad_records,  // records refused one by one (partial success, or all of them: 400)
};
std::string_view to_string(OtlpReject r);

enum class OtlpFormat { protobuf, json };

struct OtlpRequest {
  std::string_view content_type;      // raw header value, parameters allowed
  std::string_view content_encoding;  // raw header value, "" when the HTTP layer inflated the body
  std::string_view body;
};

struct OtlpOutcome {
  int status = 200;
  OtlpReject reject = OtlpReject::none;
  std::string reason;              // why the body or some records were refused
  OtlpFormat format = OtlpFormat::json;
  Batch batch;                     // events of the accepted records, plus at most one dead letter
  std::uint64_t records = 0;       // records accepted
  std::uint64_t rejected = 0;      // records refused one by one
  bool partial() const { return status == 200 && rejected > 0; }
  /// The response body: ExportLogsServiceResponse (200) or google.rpc.Status (others).
  std::string response_body() const;
  std::string_view response_content_type() const;
};

struct OtlpOptions {
  OtlpConfig config;
  std::string source = "otlp";  // `source` of events and dead letters
  StitchLimits stitch;          // max_wait_ms unused: a request is stitched whole
  std::size_t max_dead_letter_bytes = 1024 * 1024;
};

class OtlpHandler {
 public:
  OtlpHandler(OtlpOptions opts, const Clock& clock);

  /// Decodes one request. Never throws; thread-safe (no shared mutable state).
  OtlpOutcome handle(const OtlpRequest& req) const;

  /// A refusal before decoding (over the size limit, unreadable body...): `head` is what was read.
  OtlpOutcome refuse(std::string_view content_type, std::string_view content_encoding, std::string_view head,
                     std::uint64_t size, int status, OtlpReject code, std::string reason) const;

  const OtlpOptions& options() const { return opts_; }

 private:
  DeadLetter dead_letter(std::string_view content_type, std::string_view content_encoding, std::string_view payload,
                         std::uint64_t size, std::string reason) const;

  OtlpOptions opts_;
  const Clock& clock_;
};

/// google.rpc.Status for an error answer (429/503 too), in the given encoding.
std::string otlp_status_body(OtlpFormat format, int http_status, std::string_view message);
/// The encoding a request asked for: protobuf for application/(x-)protobuf, JSON otherwise.
OtlpFormat otlp_format_of(std::string_view content_type);

}  // namespace selfheal::ingest
