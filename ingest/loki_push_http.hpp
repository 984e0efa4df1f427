#pragma once
// The Loki push endpoint on an HTTP server: POST /loki/api/v1/push and the legacy /api/prom/push.
// It owns what happens between the socket and the pure handler (ingest/loki_push.hpp): the body
// limits (as sent, or inflated when cpp-httplib inflated gzip/deflate while reading; a gzip bomb is
// cut off at once), the dead letter for a body that could not be read whole, submitting to the
// EventSink and answering only once the batch is durable:
//
//   204  committed (durable)                     400/413/422  refused, kept as a dead letter first
//   401  no API token (authorize said no)         429 + Retry-After  sink queue full, nothing taken
//   503  store failing, or not durable in durable_timeout_ms (the batch stays queued)
//
// Partial success as Loki does it: refused streams are one dead letter, the other streams are
// committed, the answer is 400 naming the refused streams. Metrics: the `selfheal_source_*` family
// (ingest/source_metrics.hpp) plus selfheal_source_request_duration_seconds.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ingest/loki_push.hpp"
#include "ingest/source.hpp"
#include "ingest/source_metrics.hpp"
#include "schema/clock.hpp"
#include "schema/log.hpp"
#include "schema/metrics.hpp"

namespace httplib {
class Server;
class ContentReader;
struct Request;
struct Response;
}  // namespace httplib

namespace selfheal::ingest {

/// A push request body read within its limits (shared by the Loki push and OTLP endpoints).
struct PushBody {
  std::string body;           // as read: inflated when cpp-httplib inflated gzip/deflate/br
  std::string encoding;       // Content-Encoding, lower-cased
  std::string left_encoding;  // what is still to decode ("" when cpp-httplib inflated it)
  bool inflated_by_http = false;
  std::uint64_t declared = 0;  // Content-Length
  std::size_t limit = 0;       // the limit that applied
  bool over = false;           // over the limit (413)
  bool read_ok = true;         // false: connection or compressed stream broken
  std::string failure() const;  // why, when over or !read_ok
};

/// Reads the body: plain bodies up to max_body_bytes (the rest is read and discarded so the client
/// gets its 413), inflated ones up to max_decompressed_bytes and cut off at once (a gzip bomb must
/// not burn CPU). `server_max_body_bytes`: a body cpp-httplib refused before reading is `over` too.
PushBody read_push_body(const httplib::Request& req, const httplib::ContentReader& reader, std::uint64_t max_body_bytes,
                        std::uint64_t max_decompressed_bytes, std::uint64_t server_max_body_bytes);

class LokiPushEndpoint {
 public:
  /// Answers the request itself (401) and returns false when it may not push. Empty: open.
  using Authorize = std::function<bool(const httplib::Request&, httplib::Response&)>;

  /// `sink` and `metrics` must outlive the endpoint. `server_max_body_bytes` is the HTTP server's own
  /// payload limit: a body cpp-httplib refused before reading is answered 413 like ours.
  LokiPushEndpoint(LokiPushOptions opts, const Clock& clock, EventSink& sink, Metrics& metrics,
                   std::uint64_t server_max_body_bytes, Authorize authorize = {});

  /// Mounts both push routes; they keep `endpoint` alive.
  static void mount(httplib::Server& svr, std::shared_ptr<LokiPushEndpoint> endpoint);

  /// One request, as the routes call it (public for servers that route themselves).
  void serve(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
             detail::JsonShape shape);

  const LokiPushHandler& handler() const { return handler_; }

 private:
  void serve_push(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
                  detail::JsonShape shape);
  void answer_rejected(httplib::Response& res, PushOutcome&& out);
  void overloaded(httplib::Response& res, const std::string& why);
  std::chrono::milliseconds durable_timeout() const;

  LokiPushHandler handler_;
  EventSink& sink_;
  std::uint64_t server_max_body_bytes_;
  Authorize authorize_;
  SourceMetrics metrics_;
  Histogram& latency_;
  Counter& entries_;
  log::RateLimit warn_limit_{10};
};

}  // namespace selfheal::ingest
