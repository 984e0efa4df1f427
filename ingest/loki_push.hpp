#pragma once
// Loki push receiver, without HTTP: one request (headers + body) in, a Batch or a typed rejection out.
// ingest/loki_push_http.hpp serves it on POST /loki/api/v1/push and /api/prom/push and answers 204
// only after the sink said the batch is durable.
//
// Decoding follows Loki (reference/loki-push.md §2): Content-Encoding gzip/deflate is inflated
// first, snappy/identity/empty is a no-op, anything else is a 400; then `application/json` selects
// the JSON decoder and any other media type the snappy-block protobuf decoder; a missing
// Content-Type is a 400. Wire-level errors refuse the whole body (kept as one dead letter); a stream
// whose labels Loki would refuse is refused alone (partial success: the other streams are taken,
// the refused ones are one dead letter re-encoded in the body's format, so a replay never counts
// the good streams twice).
//
// Events: lines of one stream are stitched with fingerprint::Stitcher within the request (a stack
// trace pushed one line per entry becomes one event); an entry that already contains newlines
// (Promtail's multiline stage) is one event as is. Labels are the stream labels plus the entry's
// structured metadata (stream labels win on a clash); service/host/level come from extract_fields.
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/config.hpp"
#include "ingest/detail/loki_decode.hpp"
#include "ingest/source.hpp"
#include "schema/clock.hpp"

namespace selfheal::ingest {

/// Bounded reason codes for rejections (the `reason` label of selfheal_source_events_rejected_total).
enum class PushReject {
  none,
  bad_content_type,
  bad_encoding,
  bad_compression,  // gzip/deflate/snappy stream corrupt
  bad_protobuf,
  bad_json,
  bad_labels,
  bad_tenant,
  no_streams,
  too_large,
};
std::string_view to_string(PushReject r);

/// The HTTP-independent view of one push request.
struct PushRequest {
  std::string_view content_type;      // raw header value, parameters allowed
  std::string_view content_encoding;  // raw header value
  std::string_view tenant;            // X-Scope-OrgID, may be empty
  std::string_view body;
  detail::JsonShape json_shape = detail::JsonShape::v1;  // legacy for /api/prom/push
};

struct PushOutcome {
  int status = 204;                        // 204, or the 4xx to answer
  PushReject reject = PushReject::none;
  std::string reason;                      // text/plain body for rejections
  Batch batch;                             // accepted: the events; rejected: exactly one dead letter;
                                           // partial (some streams refused, status 400): both
  std::uint64_t entries = 0;               // push entries accepted (physical lines before stitching)
  bool accepted() const { return reject == PushReject::none; }
  bool partial() const { return reject != PushReject::none && !batch.events.empty(); }
};

struct LokiPushOptions {
  LokiPushConfig config;
  std::string source = "loki_push";        // `source` of events and dead letters
  StitchLimits stitch;                     // max_wait_ms unused: a request is stitched whole
  std::size_t max_dead_letter_bytes = 1024 * 1024;  // payload kept per dead letter (store may keep less)
};

class LokiPushHandler {
 public:
  LokiPushHandler(LokiPushOptions opts, const Clock& clock);

  /// Decodes one request. Never throws; thread-safe (no shared mutable state).
  PushOutcome handle(const PushRequest& req) const;

  /// A dead letter for a body that was rejected before it could be read whole (e.g. over the size
  /// limit at the HTTP layer): keeps `head` (the bytes that were read) and the declared size.
  DeadLetter dead_letter(std::string_view content_type, std::string_view content_encoding, std::string_view head,
                         std::uint64_t size, std::string reason, detail::JsonShape shape) const;

  const LokiPushOptions& options() const { return opts_; }

 private:
  PushOutcome reject(const PushRequest& req, int status, PushReject code, std::string reason) const;
  Batch to_batch(detail::DecodedPush&& push, std::string_view tenant) const;

  LokiPushOptions opts_;
  const Clock& clock_;
  detail::DecodeLimits limits_;
};

/// How decoded push streams become events (shared by the Loki push and OTLP receivers).
struct PushEventOptions {
  std::string_view source;  // `source` of the events
  std::string_view tenant;
  std::size_t max_line_bytes = 256 * 1024;  // longer entries are cut and flagged truncated
  StitchLimits stitch;                      // max_wait_ms unused: a request is stitched whole
};

/// Entries of each stream are stitched within the request (a stack trace pushed one line per entry
/// becomes one event; an entry that already holds newlines is one event as is). Labels are the stream
/// labels plus the entry's metadata (stream labels win on a clash); service/host/level come from
/// extract_fields. Never throws.
Batch push_events(detail::DecodedPush&& push, const PushEventOptions& opts);

/// Dead letters keep how to decode the payload again in their content_type, e.g.
/// "application/json; selfheal-encoding=gzip; selfheal-shape=legacy". These two read it back.
std::string dead_letter_content_type(std::string_view content_type, std::string_view content_encoding,
                                     detail::JsonShape shape);
PushRequest replay_request(const DeadLetter& d);

/// True for X-Scope-OrgID values Loki accepts (a-z A-Z 0-9 ! - _ . * ' ( ), ≤ 150 bytes, not . or ..).
bool valid_tenant(std::string_view tenant);

}  // namespace selfheal::ingest
