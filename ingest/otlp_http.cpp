#include "ingest/otlp_http.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "ingest/loki_push_http.hpp"

namespace selfheal::ingest {

OtlpEndpoint::OtlpEndpoint(OtlpOptions opts, const Clock& clock, EventSink& sink, Metrics& metrics,
                           std::uint64_t server_max_body_bytes, Authorize authorize)
    : handler_(std::move(opts), clock),
      clock_(clock),
      sink_(sink),
      server_max_body_bytes_(server_max_body_bytes),
      authorize_(std::move(authorize)),
      metrics_(metrics, handler_.options().source),
      latency_(metrics.histogram("selfheal_source_request_duration_seconds",
                                 "Push requests of a source from body read to answer.", latency_buckets_seconds(),
                                 {{"source", handler_.options().source}})),
      entries_(metrics.counter("selfheal_source_entries_received_total",
                               "Entries a push source decoded and took (physical lines before stitching).",
                               {{"source", handler_.options().source}})) {}

void OtlpEndpoint::mount(httplib::Server& svr, std::shared_ptr<OtlpEndpoint> endpoint) {
  for (const char* path : {"/v1/logs", "/otlp/v1/logs"}) {
    svr.Post(path, [endpoint](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      endpoint->serve(req, res, reader);
    });
  }
}

OtlpHealth OtlpEndpoint::health() const {
  std::lock_guard lock(health_mu_);
  return health_;
}

std::chrono::milliseconds OtlpEndpoint::durable_timeout() const {
  return std::chrono::milliseconds(handler_.options().config.durable_timeout_ms);
}

void OtlpEndpoint::serve(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
  const auto t0 = std::chrono::steady_clock::now();
  serve_logs(req, res, reader);
  latency_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  std::lock_guard lock(health_mu_);
  health_.last_request_ms = clock_.now_ms();
  if (res.status == 200) health_.last_error.clear();
}

void OtlpEndpoint::answer(httplib::Response& res, const OtlpOutcome& out) {
  res.status = out.status;
  res.set_content(out.response_body(), std::string(out.response_content_type()));
}

void OtlpEndpoint::fail(httplib::Response& res, OtlpFormat format, int status, const std::string& why) {
  // Both are retryable for an OTLP exporter; Retry-After paces it (the spec's throttling hint).
  res.set_header("Retry-After", std::to_string(std::max<std::int64_t>(handler_.options().config.retry_after_secs, 1)));
  res.status = status;
  {
    std::lock_guard lock(health_mu_);
    health_.last_error = why.substr(0, 200);
  }
  res.set_content(otlp_status_body(format, status, why),
                  format == OtlpFormat::json ? "application/json" : "application/x-protobuf");
}

void OtlpEndpoint::serve_logs(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
  if (authorize_ && !authorize_(req, res)) {
    metrics_.rejected("unauthorized");
    return;
  }
  const auto& cfg = handler_.options().config;
  const std::string content_type = req.get_header_value("Content-Type");
  const OtlpFormat format = otlp_format_of(content_type);
  PushBody in = read_push_body(req, reader, static_cast<std::uint64_t>(cfg.max_body_bytes),
                               static_cast<std::uint64_t>(cfg.max_decompressed_bytes), server_max_body_bytes_);
  metrics_.bytes.inc(in.inflated_by_http ? in.declared : in.body.size());
  // cpp-httplib does not insist on the end of a gzip stream: a corrupt one can read as nothing, and an
  // empty protobuf is a valid request. A compressed body that inflates to nothing is refused.
  if (in.inflated_by_http && in.read_ok && in.body.empty() && in.declared > 0) in.read_ok = false;
  OtlpOutcome out;
  if (in.over || !in.read_ok) {
    out = handler_.refuse(content_type, in.inflated_by_http ? std::string() : req.get_header_value("Content-Encoding"),
                          in.body, std::max<std::uint64_t>(in.declared, in.body.size()), in.over ? 413 : 400,
                          in.over ? OtlpReject::too_large : OtlpReject::bad_compression, in.failure());
    res.set_header("Connection", "close");
  } else {
    out = handler_.handle(OtlpRequest{content_type, in.left_encoding, in.body});
  }

  const bool refused = out.status != 200;
  const auto events = out.batch.events.size();
  const bool has_dead_letter = !out.batch.dead_letters.empty();
  if (!refused) entries_.inc(out.records);
  if (out.batch.empty()) return answer(res, out);  // e.g. an empty request: nothing to store
  // A refused body is kept before the 4xx (final for the exporter: it never retries a 400).
  auto ticket = sink_.submit(std::move(out.batch));
  if (!ticket) {  // nothing was taken: the exporter may retry the whole body
    const bool overloaded = ticket.error().code == ErrorCode::overloaded;
    metrics_.rejected(overloaded ? "overloaded" : "unavailable", std::max<std::uint64_t>(out.records, 1));
    return fail(res, format, overloaded ? 429 : 503,
                (overloaded ? "ingest queue is full, retry later: " : "store unavailable: ") + ticket.error().message);
  }
  if (refused) metrics_.rejected(to_string(out.reject));
  if (out.partial()) metrics_.rejected(to_string(out.reject), out.rejected);
  if (has_dead_letter) metrics_.dead_letters.inc();
  if (refused || out.partial()) {
    if (std::uint64_t suppressed = 0; warn_limit_.allow(suppressed))
      spdlog::warn("Refused OTLP log records. status={} reason=\"{}\" suppressed={}", out.status,
                   out.reason.substr(0, 200), suppressed);
  }
  metrics_.received.inc(events);
  auto durable = sink_.wait_durable(*ticket, durable_timeout());
  if (refused) return answer(res, out);  // the body is refused either way; a retry would only store it twice
  if (!durable) {
    // Queued, not yet durable: 503 (a retry may count it twice, which beats a 200 for records that a
    // crash could still lose).
    metrics_.rejected("not_durable", out.records);
    return fail(res, format, 503,
                "not durable within " + std::to_string(cfg.durable_timeout_ms) + " ms: " + durable.error().message);
  }
  metrics_.accepted.inc(events);
  answer(res, out);
}

}  // namespace selfheal::ingest
