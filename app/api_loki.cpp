// HTTP routes and components of the ingest module. Owned with ingest/.
//
//   POST /loki/api/v1/push, /api/prom/push   Loki push (ingest/loki_push.hpp), answers like Loki
//   GET  /api/v1/dead-letters                 cursor-paginated list (?after=<id>&limit=&source=)
//   POST /api/v1/dead-letters/{id}/replay     decode a stored Loki push payload again and ingest it
//
// Push status codes: 204 only after the pipeline said the batch is durable; 400/413/422 with a
// text/plain reason (the body is kept as a dead letter first); 401 without the API token; 429 with
// Retry-After when the pipeline queue is full (nothing was taken, the client retries); 503 when the
// store fails or the commit did not become durable within durable_timeout_ms.
#include <httplib.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/hooks.hpp"
#include "app/http_util.hpp"
#include "app/ingest_components.hpp"
#include "app/kafka_components.hpp"
#include "app/pipeline.hpp"
#include "ingest/file_source.hpp"
#include "ingest/loki_pull.hpp"
#include "ingest/loki_push.hpp"
#include "ingest/runner.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {

using ingest::detail::JsonShape;

class LokiRoutes {
 public:
  explicit LokiRoutes(AppContext& ctx) : ctx_(ctx), handler_(loki_push_options(ctx.config), ctx.clock) {
    const MetricLabels src = {{"source", handler_.options().source}};
    received_ = &ctx.metrics.counter("selfheal_ingest_events_received_total",
                                     "Log entries received by a source (before stitching).", src);
    bytes_ = &ctx.metrics.counter("selfheal_ingest_bytes_received_total", "Bytes received by a source, as sent.", src);
    dead_ = &ctx.metrics.counter("selfheal_ingest_dead_letters_total", "Rejected bodies or records kept as dead letters.", src);
    latency_ = &ctx.metrics.histogram("selfheal_ingest_push_duration_seconds",
                                      "Loki push requests from body read to answer.", latency_buckets_seconds(), src);
  }

  void push(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader, JsonShape shape) {
    const auto t0 = std::chrono::steady_clock::now();
    serve_push(req, res, reader, shape);
    latency_->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  void list_dead_letters(const httplib::Request& req, httplib::Response& res);
  void replay_dead_letter(const httplib::Request& req, httplib::Response& res);

 private:
  void serve_push(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader, JsonShape shape);
  /// Stores the dead letter (waiting for durability) and answers with the rejection.
  void answer_rejected(httplib::Response& res, ingest::PushOutcome&& out);
  void rejected(ingest::PushReject reason, std::uint64_t n) {
    ctx_.metrics
        .counter("selfheal_ingest_events_rejected_total", "Entries (or whole bodies, when undecodable) a source refused.",
                 {{"source", handler_.options().source}, {"reason", std::string(to_string(reason))}})
        .inc(n);
  }
  void rejected(std::string_view reason, std::uint64_t n) {
    ctx_.metrics
        .counter("selfheal_ingest_events_rejected_total", "Entries (or whole bodies, when undecodable) a source refused.",
                 {{"source", handler_.options().source}, {"reason", std::string(reason)}})
        .inc(n);
  }
  static void text(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body + "\n", "text/plain; charset=utf-8");
  }
  void overloaded(httplib::Response& res, const std::string& why) {
    res.set_header("Retry-After", std::to_string(std::max<std::int64_t>(ctx_.config.ingest.loki_push.retry_after_secs, 1)));
    text(res, 429, "ingest queue is full, retry later: " + why);
  }

  AppContext& ctx_;
  ingest::LokiPushHandler handler_;
  Counter* received_;
  Counter* bytes_;
  Counter* dead_;
  Histogram* latency_;
  log::RateLimit warn_limit_{10};
};

void LokiRoutes::serve_push(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
                            JsonShape shape) {
  if (!require_token(ctx_, req, res)) {
    rejected("unauthorized", 1);
    return;
  }
  const auto& cfg = ctx_.config.ingest.loki_push;
  const std::string content_type = req.get_header_value("Content-Type");
  const std::string encoding = req.get_header_value("Content-Encoding");
  const std::string tenant = req.get_header_value("X-Scope-OrgID");
  // cpp-httplib inflates gzip/deflate (and br) bodies itself while reading, so the handler sees them
  // decoded; the limit below then applies to the inflated size.
  std::string enc_lower = encoding;
  for (char& c : enc_lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool inflated_by_http = enc_lower == "gzip" || enc_lower == "deflate" || enc_lower.find("br") != std::string::npos;
  const auto limit = static_cast<std::size_t>(inflated_by_http ? cfg.max_decompressed_bytes : cfg.max_body_bytes);
  const std::uint64_t declared = std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);

  std::string body;
  bool over = false;
  // Over the limit: plain bodies are read to the end and discarded so the client gets the 413 instead
  // of a reset connection; inflated ones are cut off at once (a gzip bomb must not burn CPU).
  bool read_ok = reader([&](const char* data, std::size_t n) {
    if (over || body.size() + n > limit) {
      over = true;
      return !inflated_by_http;
    }
    body.append(data, n);
    return true;
  });
  // cpp-httplib refuses (and skips) bodies over server.max_body_bytes before calling the receiver.
  if (!read_ok && declared > static_cast<std::uint64_t>(ctx_.config.server.max_body_bytes)) over = true;
  bytes_->inc(inflated_by_http ? declared : body.size());
  if (over || !read_ok) {
    ingest::PushOutcome out;
    out.status = over ? 413 : 400;
    out.reject = over ? ingest::PushReject::too_large : ingest::PushReject::bad_compression;
    out.reason = over ? "body exceeds the limit of " + std::to_string(limit) + " bytes"
                      : "could not read the request body (" + (inflated_by_http ? enc_lower + " stream corrupt" : "connection") + ")";
    out.batch.dead_letters.push_back(handler_.dead_letter(content_type, inflated_by_http ? "" : encoding, body,
                                                          std::max<std::uint64_t>(declared, body.size()),
                                                          std::string(to_string(out.reject)) + ": " + out.reason, shape));
    res.set_header("Connection", "close");
    answer_rejected(res, std::move(out));
    return;
  }

  ingest::PushRequest preq;
  preq.content_type = content_type;
  preq.content_encoding = inflated_by_http ? std::string_view(enc_lower.find("br") != std::string::npos ? encoding : "")
                                           : std::string_view(encoding);
  preq.tenant = tenant;
  preq.body = body;
  preq.json_shape = shape;
  ingest::PushOutcome out = handler_.handle(preq);
  if (!out.accepted()) {
    answer_rejected(res, std::move(out));
    return;
  }
  received_->inc(out.entries);
  if (out.batch.empty()) {  // e.g. only blank lines: nothing to store
    res.status = 204;
    return;
  }
  auto ticket = ctx_.pipeline.submit(std::move(out.batch));
  if (!ticket) {
    rejected(ticket.error().code == ErrorCode::overloaded ? "overloaded" : "unavailable", out.entries);
    if (ticket.error().code == ErrorCode::overloaded) return overloaded(res, ticket.error().message);
    return text(res, 503, "store unavailable: " + ticket.error().message);
  }
  auto durable = ctx_.pipeline.wait_durable(*ticket, std::chrono::milliseconds(cfg.durable_timeout_ms));
  if (!durable) {
    // The batch is queued and will be committed; a client retry may count it twice, which is the
    // lesser evil compared to answering 2xx before it is durable.
    rejected("not_durable", out.entries);
    if (std::uint64_t suppressed = 0; warn_limit_.allow(suppressed))
      spdlog::warn("Push accepted but not durable in time; the client will retry. error=\"{}\" suppressed={}",
                   durable.error().message, suppressed);
    return text(res, 503, "not durable within " + std::to_string(cfg.durable_timeout_ms) + " ms: " + durable.error().message);
  }
  res.status = 204;
}

void LokiRoutes::answer_rejected(httplib::Response& res, ingest::PushOutcome&& out) {
  const int status = out.status;
  const bool partial = out.partial();
  const auto entries = out.entries;
  const std::string reason = std::move(out.reason);
  // Keep the body (and, for a partial success, the accepted streams) before answering: a 4xx is
  // final for the client (Promtail never retries it).
  auto ticket = ctx_.pipeline.submit(std::move(out.batch));
  if (!ticket) {  // nothing was taken: the client may retry the whole body
    if (ticket.error().code == ErrorCode::overloaded) return overloaded(res, "cannot keep the rejected body as a dead letter now");
    return text(res, 503, "cannot keep the rejected body as a dead letter: " + ticket.error().message);
  }
  rejected(out.reject, 1);
  if (partial) received_->inc(entries);
  dead_->inc();
  if (std::uint64_t suppressed = 0; warn_limit_.allow(suppressed))
    spdlog::warn("Rejected a Loki push. status={} reason=\"{}\" suppressed={}", status, reason.substr(0, 200), suppressed);
  auto durable = ctx_.pipeline.wait_durable(*ticket, std::chrono::milliseconds(ctx_.config.ingest.loki_push.durable_timeout_ms));
  if (!durable && partial) {
    // Queued, not yet durable: as on the accepted path, 503 (a retry may count the good streams twice,
    // which beats a 400 for lines that a crash could still lose). Never 429: the batch was taken.
    return text(res, 503, "not durable within " + std::to_string(ctx_.config.ingest.loki_push.durable_timeout_ms) +
                              " ms: " + durable.error().message);
  }
  // A lone dead letter that is queued but not yet durable still gets its 4xx: the body is refused
  // either way, and a retry would only store a second copy of it.
  text(res, status, reason);
}

std::string escaped_text(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    auto v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
             static_cast<unsigned char>(bytes[i + 2]);
    out += {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};
  }
  if (i + 1 == bytes.size()) {
    auto v = static_cast<unsigned char>(bytes[i]) << 16;
    out += {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    auto v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], '='};
  }
  return out;
}

constexpr std::size_t preview_bytes = 1024;

void LokiRoutes::list_dead_letters(const httplib::Request& req, httplib::Response& res) {
  DeadLetterQuery q;
  QueryParams p(req);
  q.after_id = p.integer("after", 0, 0, INT64_MAX);  // the last id of the previous page
  const std::int64_t limit = p.integer("limit", 50, 1, 1000);
  q.source = p.text("source");
  if (p.failed(res)) return;
  q.limit = static_cast<std::size_t>(limit) + 1;  // one more tells whether a next page exists
  auto rows = ctx_.store.dead_letters(q);
  if (!rows) return send_error(res, rows.error());
  auto total = ctx_.store.dead_letter_count();
  const bool more = rows->size() > static_cast<std::size_t>(limit);
  if (more) rows->pop_back();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : *rows) {
    std::string_view head = std::string_view(d.payload).substr(0, preview_bytes);
    items.push_back({{"id", d.id},
                     {"ts", format_rfc3339(d.ts)},
                     {"source", d.source},
                     {"reason", d.reason},
                     {"content_type", d.content_type},
                     {"size", d.size},
                     {"stored_bytes", d.payload.size()},
                     {"replayed", d.replayed},
                     {"head_text", escaped_text(head)},
                     {"head_base64", base64(head)}});
  }
  nlohmann::json body = {{"items", items}, {"next", more && !rows->empty() ? nlohmann::json(std::to_string(rows->back().id)) : nlohmann::json()}};
  if (total) body["total"] = *total;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void LokiRoutes::replay_dead_letter(const httplib::Request& req, httplib::Response& res) {
  if (!require_token(ctx_, req, res)) return;
  const QueryParams::Params path_id = {{"id", req.matches[1]}};
  QueryParams p(path_id);
  const std::int64_t id = p.integer("id", 0, 1, INT64_MAX);
  if (p.failed(res)) return;
  auto rows = ctx_.store.dead_letters(DeadLetterQuery{id - 1, 1, {}});
  if (!rows) return send_error(res, rows.error());
  if (rows->empty() || rows->front().id != id) return json_error(res, 404, "no dead letter " + std::to_string(id));
  const DeadLetter& d = rows->front();
  auto r = replay_dead_letter_now(ctx_, handler_, d, req.has_param("force"));
  if (!r) {
    // A body that still does not decode is 422 (the request was fine, the stored payload is not).
    if (r.error().code == ErrorCode::bad_input) return json_error(res, 422, r.error().message);
    return send_error(res, r.error());
  }
  res.set_content(nlohmann::json{{"id", id}, {"events", r->events}, {"entries", r->entries}}.dump(), "application/json");
}

}  // namespace

ComponentHealth runner_health(const ingest::SourceRunner* runner) {
  ComponentHealth h;
  if (!runner) {
    h.status = "not started";
    return h;
  }
  const auto s = runner->health();
  h.running = true;
  h.ok = s.ok;
  h.status = s.ok ? "ok" : s.detail;
  h.last_error = s.ok ? "" : s.detail;
  return h;
}

namespace {

/// One SourceRunner around a Loki pull or file source.
class PullComponent final : public Component {
 public:
  using Factory = std::function<std::unique_ptr<ingest::PullSource>()>;
  PullComponent(std::string name, Factory make, AppContext& ctx) : name_(std::move(name)), make_(std::move(make)), ctx_(ctx) {}
  std::string_view name() const override { return name_; }
  Result<void> start() override {
    if (runner_) return make_error(ErrorCode::conflict, name_ + " already started");
    runner_ = std::make_unique<ingest::SourceRunner>(make_(), ctx_.pipeline, ctx_.store, ctx_.metrics);
    return runner_->start();
  }
  void stop() override {
    if (runner_) runner_->stop();
  }
  ComponentHealth health() const override { return runner_health(runner_.get()); }

 private:
  std::string name_;
  Factory make_;
  AppContext& ctx_;
  std::unique_ptr<ingest::SourceRunner> runner_;
};

Result<void> add_pull_components(AppContext& ctx) {
  const auto& fp = ctx.config.fingerprint;
  for (const auto& c : ctx.config.ingest.loki_pull) {
    ingest::StitchLimitsPull st{static_cast<std::size_t>(fp.stitch_max_lines), static_cast<std::size_t>(fp.max_event_bytes)};
    ctx.components.push_back(std::make_unique<PullComponent>(
        "loki_pull:" + c.name, [c, st, &ctx] { return std::make_unique<ingest::LokiPullSource>(c, ctx.clock, ctx.metrics, st); }, ctx));
  }
  for (const auto& c : ctx.config.ingest.files) {
    ingest::FileStitchLimits st{static_cast<std::size_t>(fp.stitch_max_lines), static_cast<std::size_t>(fp.max_event_bytes),
                                fp.stitch_max_wait_ms};
    ctx.components.push_back(std::make_unique<PullComponent>(
        "file:" + c.name, [c, st, &ctx] { return std::make_unique<ingest::FileSource>(c, ctx.clock, ctx.metrics, st); }, ctx));
  }
  return ok();
}

}  // namespace

ingest::LokiPushOptions loki_push_options(const Config& cfg) {
  ingest::LokiPushOptions o;
  o.config = cfg.ingest.loki_push;
  o.stitch_max_lines = static_cast<std::size_t>(std::max<std::int64_t>(cfg.fingerprint.stitch_max_lines, 1));
  o.max_event_bytes = static_cast<std::size_t>(std::max<std::int64_t>(cfg.fingerprint.max_event_bytes, 1024));
  return o;
}

Result<ReplayOutcome> replay_dead_letter_now(AppContext& ctx, const ingest::LokiPushHandler& handler,
                                             const DeadLetter& d, bool force) {
  if (d.replayed && !force) return make_error(ErrorCode::conflict, "dead letter " + std::to_string(d.id) + " was already replayed (use force)");
  if (d.source != handler.options().source)
    return make_error(ErrorCode::conflict, "replay supports Loki push dead letters only (source " + d.source + ")");
  if (d.payload.size() < d.size)
    return make_error(ErrorCode::conflict, "only the first " + std::to_string(d.payload.size()) + " of " +
                                               std::to_string(d.size) + " bytes were kept; the payload cannot be replayed");
  auto out = handler.handle(ingest::replay_request(d));
  // A body refused whole before partial success existed may now be partly valid: its good streams are
  // stored and the refused ones become a new dead letter of their own (this one is marked replayed).
  if (!out.accepted() && !out.partial()) return make_error(ErrorCode::bad_input, "still undecodable: " + out.reason);
  ReplayOutcome ro{static_cast<std::int64_t>(out.batch.events.size()), static_cast<std::int64_t>(out.entries)};
  auto stored = ctx.pipeline.accept(std::move(out.batch), std::chrono::milliseconds(ctx.config.ingest.loki_push.durable_timeout_ms));
  if (!stored) return stored.error();
  if (auto m = ctx.store.mark_replayed(d.id); !m) return m.error();
  return ro;
}

void mount_loki_routes(httplib::Server& svr, AppContext& ctx) {
  auto routes = std::make_shared<LokiRoutes>(ctx);
  if (ctx.config.ingest.loki_push.enabled) {
    svr.Post("/loki/api/v1/push", [routes](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      routes->push(req, res, reader, JsonShape::v1);
    });
    svr.Post("/api/prom/push", [routes](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      routes->push(req, res, reader, JsonShape::legacy);
    });
  }
  svr.Get("/api/v1/dead-letters", [routes](const httplib::Request& req, httplib::Response& res) { routes->list_dead_letters(req, res); });
  svr.Post(R"(/api/v1/dead-letters/(\d+)/replay)",
           [routes](const httplib::Request& req, httplib::Response& res) { routes->replay_dead_letter(req, res); });
}

Result<void> add_ingest_components(AppContext& ctx) {
  if (auto k = add_kafka_components(ctx); !k) return k;
  return add_pull_components(ctx);
}

}  // namespace selfheal::app
