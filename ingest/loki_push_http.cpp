#include "ingest/loki_push_http.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace selfheal::ingest {
namespace {

void text(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body + "\n", "text/plain; charset=utf-8");
}

}  // namespace

PushBody read_push_body(const httplib::Request& req, const httplib::ContentReader& reader, std::uint64_t max_body_bytes,
                        std::uint64_t max_decompressed_bytes, std::uint64_t server_max_body_bytes) {
  PushBody in;
  const std::string encoding = req.get_header_value("Content-Encoding");
  // cpp-httplib inflates gzip/deflate (and br) bodies itself while reading, so the handler sees them
  // decoded; the limit below then applies to the inflated size.
  std::string enc_lower = encoding;
  for (char& c : enc_lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  in.inflated_by_http = enc_lower == "gzip" || enc_lower == "deflate" || enc_lower.find("br") != std::string::npos;
  in.encoding = enc_lower;
  in.left_encoding = in.inflated_by_http ? (enc_lower.find("br") != std::string::npos ? encoding : "") : encoding;
  in.limit = static_cast<std::size_t>(in.inflated_by_http ? max_decompressed_bytes : max_body_bytes);
  in.declared = std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
  // Over the limit: plain bodies are read to the end and discarded so the client gets the 413 instead
  // of a reset connection; inflated ones are cut off at once (a gzip bomb must not burn CPU).
  in.read_ok = reader([&](const char* data, std::size_t n) {
    if (in.over || in.body.size() + n > in.limit) {
      in.over = true;
      return !in.inflated_by_http;
    }
    in.body.append(data, n);
    return true;
  });
  // cpp-httplib refuses (and skips) bodies over the server's payload limit before calling the receiver.
  if (!in.read_ok && in.declared > server_max_body_bytes) in.over = true;
  return in;
}

std::string PushBody::failure() const {
  if (over) return "body exceeds the limit of " + std::to_string(limit) + " bytes";
  return "could not read the request body (" + (inflated_by_http ? encoding + " stream corrupt" : std::string("connection")) + ")";
}

LokiPushEndpoint::LokiPushEndpoint(LokiPushOptions opts, const Clock& clock, EventSink& sink, Metrics& metrics,
                                   std::uint64_t server_max_body_bytes, Authorize authorize)
    : handler_(std::move(opts), clock),
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

void LokiPushEndpoint::mount(httplib::Server& svr, std::shared_ptr<LokiPushEndpoint> endpoint) {
  svr.Post("/loki/api/v1/push", [endpoint](const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader& reader) {
    endpoint->serve(req, res, reader, detail::JsonShape::v1);
  });
  svr.Post("/api/prom/push", [endpoint](const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& reader) {
    endpoint->serve(req, res, reader, detail::JsonShape::legacy);
  });
}

std::chrono::milliseconds LokiPushEndpoint::durable_timeout() const {
  return std::chrono::milliseconds(handler_.options().config.durable_timeout_ms);
}

void LokiPushEndpoint::overloaded(httplib::Response& res, const std::string& why) {
  res.set_header("Retry-After", std::to_string(std::max<std::int64_t>(handler_.options().config.retry_after_secs, 1)));
  text(res, 429, "ingest queue is full, retry later: " + why);
}

void LokiPushEndpoint::serve(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
                             detail::JsonShape shape) {
  const auto t0 = std::chrono::steady_clock::now();
  serve_push(req, res, reader, shape);
  latency_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

void LokiPushEndpoint::serve_push(const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader, detail::JsonShape shape) {
  if (authorize_ && !authorize_(req, res)) {
    metrics_.rejected("unauthorized");
    return;
  }
  const auto& cfg = handler_.options().config;
  const std::string content_type = req.get_header_value("Content-Type");
  const std::string tenant = req.get_header_value("X-Scope-OrgID");
  PushBody in = read_push_body(req, reader, static_cast<std::uint64_t>(cfg.max_body_bytes),
                               static_cast<std::uint64_t>(cfg.max_decompressed_bytes), server_max_body_bytes_);
  metrics_.bytes.inc(in.inflated_by_http ? in.declared : in.body.size());
  if (in.over || !in.read_ok) {
    PushOutcome out;
    out.status = in.over ? 413 : 400;
    out.reject = in.over ? PushReject::too_large : PushReject::bad_compression;
    out.reason = in.failure();
    out.batch.dead_letters.push_back(handler_.dead_letter(content_type, in.inflated_by_http ? std::string() : req.get_header_value("Content-Encoding"), in.body,
                                                          std::max<std::uint64_t>(in.declared, in.body.size()),
                                                          std::string(to_string(out.reject)) + ": " + out.reason, shape));
    res.set_header("Connection", "close");
    answer_rejected(res, std::move(out));
    return;
  }
  const std::string& body = in.body;

  PushRequest preq;
  preq.content_type = content_type;
  preq.content_encoding = in.left_encoding;
  preq.tenant = tenant;
  preq.body = body;
  preq.json_shape = shape;
  PushOutcome out = handler_.handle(preq);
  if (!out.accepted()) {
    answer_rejected(res, std::move(out));
    return;
  }
  entries_.inc(out.entries);
  if (out.batch.empty()) {  // e.g. only blank lines: nothing to store
    res.status = 204;
    return;
  }
  const auto events = out.batch.events.size();
  auto ticket = sink_.submit(std::move(out.batch));
  if (!ticket) {
    metrics_.rejected(ticket.error().code == ErrorCode::overloaded ? "overloaded" : "unavailable", out.entries);
    if (ticket.error().code == ErrorCode::overloaded) return overloaded(res, ticket.error().message);
    return text(res, 503, "store unavailable: " + ticket.error().message);
  }
  metrics_.received.inc(events);
  auto durable = sink_.wait_durable(*ticket, durable_timeout());
  if (!durable) {
    // The batch is queued and will be committed; a client retry may count it twice, which is the
    // lesser evil compared to answering 2xx before it is durable.
    metrics_.rejected("not_durable", out.entries);
    if (std::uint64_t suppressed = 0; warn_limit_.allow(suppressed))
      spdlog::warn("Push accepted but not durable in time; the client will retry. error=\"{}\" suppressed={}",
                   durable.error().message, suppressed);
    return text(res, 503, "not durable within " + std::to_string(cfg.durable_timeout_ms) + " ms: " + durable.error().message);
  }
  metrics_.accepted.inc(events);
  res.status = 204;
}

void LokiPushEndpoint::answer_rejected(httplib::Response& res, PushOutcome&& out) {
  const int status = out.status;
  const bool partial = out.partial();
  const auto entries = out.entries;
  const auto events = out.batch.events.size();
  const std::string reason = std::move(out.reason);
  // Keep the body (and, for a partial success, the accepted streams) before answering: a 4xx is
  // final for the client (Promtail never retries it).
  auto ticket = sink_.submit(std::move(out.batch));
  if (!ticket) {  // nothing was taken: the client may retry the whole body
    if (ticket.error().code == ErrorCode::overloaded) return overloaded(res, "cannot keep the rejected body as a dead letter now");
    return text(res, 503, "cannot keep the rejected body as a dead letter: " + ticket.error().message);
  }
  metrics_.rejected(to_string(out.reject));
  if (partial) {
    entries_.inc(entries);
    metrics_.received.inc(events);
  }
  metrics_.dead_letters.inc();
  if (std::uint64_t suppressed = 0; warn_limit_.allow(suppressed))
    spdlog::warn("Rejected a Loki push. status={} reason=\"{}\" suppressed={}", status, reason.substr(0, 200), suppressed);
  auto durable = sink_.wait_durable(*ticket, durable_timeout());
  if (!durable && partial) {
    // Queued, not yet durable: as on the accepted path, 503 (a retry may count the good streams twice,
    // which beats a 400 for lines that a crash could still lose). Never 429: the batch was taken.
    return text(res, 503, "not durable within " + std::to_string(durable_timeout().count()) + " ms: " + durable.error().message);
  }
  if (durable && partial) metrics_.accepted.inc(events);
  // A lone dead letter that is queued but not yet durable still gets its 4xx: the body is refused
  // either way, and a retry would only store a second copy of it.
  text(res, status, reason);
}

}  // namespace selfheal::ingest
