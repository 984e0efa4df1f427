// HTTP routes and components of the ingest module. Owned with ingest/.
//
//   POST /loki/api/v1/push, /api/prom/push   Loki push (ingest/loki_push_http.hpp), answers like Loki
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
#include "app/syslog_components.hpp"
#include "ingest/file_source.hpp"
#include "ingest/loki_pull.hpp"
#include "ingest/loki_push.hpp"
#include "ingest/loki_push_http.hpp"
#include "ingest/runner.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {

/// The dead-letter routes; the push routes are ingest::LokiPushEndpoint (ingest/loki_push_http.hpp).
class DeadLetterRoutes {
 public:
  DeadLetterRoutes(AppContext& ctx, std::shared_ptr<const ingest::LokiPushEndpoint> push)
      : ctx_(ctx), push_(std::move(push)) {}
  void list_dead_letters(const httplib::Request& req, httplib::Response& res);
  void replay_dead_letter(const httplib::Request& req, httplib::Response& res);

 private:
  AppContext& ctx_;
  std::shared_ptr<const ingest::LokiPushEndpoint> push_;
};

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

void DeadLetterRoutes::list_dead_letters(const httplib::Request& req, httplib::Response& res) {
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

void DeadLetterRoutes::replay_dead_letter(const httplib::Request& req, httplib::Response& res) {
  if (!require_token(ctx_, req, res)) return;
  const QueryParams::Params path_id = {{"id", req.matches[1]}};
  QueryParams p(path_id);
  const std::int64_t id = p.integer("id", 0, 1, INT64_MAX);
  if (p.failed(res)) return;
  auto rows = ctx_.store.dead_letters(DeadLetterQuery{id - 1, 1, {}});
  if (!rows) return send_error(res, rows.error());
  if (rows->empty() || rows->front().id != id) return json_error(res, 404, "no dead letter " + std::to_string(id));
  const DeadLetter& d = rows->front();
  auto r = replay_dead_letter_now(ctx_, push_->handler(), d, req.has_param("force"));
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
  for (const auto& c : ctx.config.ingest.loki_pull) {
    const ingest::StitchLimits st = stitch_limits(ctx.config);
    ctx.components.push_back(std::make_unique<PullComponent>(
        "loki_pull:" + c.name, [c, st, &ctx] { return std::make_unique<ingest::LokiPullSource>(c, ctx.clock, ctx.metrics, st); }, ctx));
  }
  for (const auto& c : ctx.config.ingest.files) {
    const ingest::StitchLimits st = stitch_limits(ctx.config);
    ctx.components.push_back(std::make_unique<PullComponent>(
        "file:" + c.name, [c, st, &ctx] { return std::make_unique<ingest::FileSource>(c, ctx.clock, ctx.metrics, st); }, ctx));
  }
  return ok();
}

}  // namespace

ingest::StitchLimits stitch_limits(const Config& cfg) {
  ingest::StitchLimits s;
  s.max_lines = static_cast<std::size_t>(std::max<std::int64_t>(cfg.fingerprint.stitch_max_lines, 1));
  s.max_bytes = static_cast<std::size_t>(std::max<std::int64_t>(cfg.fingerprint.max_event_bytes, 1024));
  s.max_wait_ms = cfg.fingerprint.stitch_max_wait_ms;
  return s;
}

ingest::LokiPushOptions loki_push_options(const Config& cfg) {
  ingest::LokiPushOptions o;
  o.config = cfg.ingest.loki_push;
  o.stitch = stitch_limits(cfg);
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
  auto push = std::make_shared<ingest::LokiPushEndpoint>(
      loki_push_options(ctx.config), ctx.clock, ctx.pipeline, ctx.metrics,
      static_cast<std::uint64_t>(ctx.config.server.max_body_bytes),
      [&ctx](const httplib::Request& req, httplib::Response& res) { return require_token(ctx, req, res); });
  if (ctx.config.ingest.loki_push.enabled) ingest::LokiPushEndpoint::mount(svr, push);
  mount_otlp_routes(svr, ctx);
  auto routes = std::make_shared<DeadLetterRoutes>(ctx, push);
  svr.Get("/api/v1/dead-letters", [routes](const httplib::Request& req, httplib::Response& res) { routes->list_dead_letters(req, res); });
  svr.Post(R"(/api/v1/dead-letters/(\d+)/replay)",
           [routes](const httplib::Request& req, httplib::Response& res) { routes->replay_dead_letter(req, res); });
}

Result<void> add_ingest_components(AppContext& ctx) {
  if (auto k = add_kafka_components(ctx); !k) return k;
  if (auto s = add_syslog_components(ctx); !s) return s;
  return add_pull_components(ctx);
}

}  // namespace selfheal::app
