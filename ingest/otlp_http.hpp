#pragma once
// The OTLP/HTTP logs endpoint on an HTTP server: POST /v1/logs and /otlp/v1/logs. Between the socket
// and the pure handler (ingest/otlp.hpp) it applies the body limits (ingest::read_push_body), keeps
// refused bodies as dead letters, submits to the EventSink and answers only once the batch is durable:
//
//   200  committed (durable); with partial_success when some records were refused (kept as a dead letter)
//   400/413/415  refused, kept as a dead letter first           401  no API token
//   429 + Retry-After  sink queue full, nothing taken (the OTLP exporter retries)
//   503 + Retry-After  store failing, or not durable within durable_timeout_ms (the batch stays queued)
//
// Metrics: the `selfheal_source_*` family (ingest/source_metrics.hpp) with source="otlp", plus
// selfheal_source_request_duration_seconds and selfheal_source_entries_received_total (records).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "ingest/otlp.hpp"
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

/// What /readyz shows for the endpoint.
struct OtlpHealth {
  std::int64_t last_request_ms = 0;  // 0: none yet
  std::string last_error;            // the last request's store/durability error, "" when it succeeded
};

class OtlpEndpoint {
 public:
  /// Answers the request itself (401) and returns false when it may not push. Empty: open.
  using Authorize = std::function<bool(const httplib::Request&, httplib::Response&)>;

  /// `sink` and `metrics` must outlive the endpoint. `server_max_body_bytes`: the HTTP server's limit.
  OtlpEndpoint(OtlpOptions opts, const Clock& clock, EventSink& sink, Metrics& metrics,
               std::uint64_t server_max_body_bytes, Authorize authorize = {});

  /// Mounts POST /v1/logs and /otlp/v1/logs; they keep `endpoint` alive.
  static void mount(httplib::Server& svr, std::shared_ptr<OtlpEndpoint> endpoint);

  /// One request, as the routes call it.
  void serve(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);

  const OtlpHandler& handler() const { return handler_; }
  OtlpHealth health() const;

 private:
  void serve_logs(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  void answer(httplib::Response& res, const OtlpOutcome& out);
  void fail(httplib::Response& res, OtlpFormat format, int status, const std::string& why);
  std::chrono::milliseconds durable_timeout() const;

  OtlpHandler handler_;
  const Clock& clock_;
  EventSink& sink_;
  std::uint64_t server_max_body_bytes_;
  Authorize authorize_;
  SourceMetrics metrics_;
  Histogram& latency_;
  Counter& entries_;
  log::RateLimit warn_limit_{10};
  mutable std::mutex health_mu_;
  OtlpHealth health_;
};

}  // namespace selfheal::ingest
