// HTTP routes and the component of the healer module. Owned with healer/.
//   GET  /api/v1/healing/runs?limit&before&strategy&fingerprint_id&decision&outcome&reason   newest first
//   GET  /api/v1/healing/rules
//   POST /api/v1/healing/simulate            {"fingerprint_id": "..."}  nothing is executed or recorded
//   GET  /api/v1/healing/state               breakers, throttles, failover
//   POST /api/v1/healing/failover/{strategy}/{action}/reset                 (token)
//   GET  /api/v1/healing/overview | activity | stats                        the seed's views
//   GET  /api/v1/approvals?status=pending
//   POST /api/v1/approvals/{id}/approve | reject  {"note": "..."}  (operator token; decided_by: its name)
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <optional>
#include <nlohmann/json.hpp>

#include "app/api_suggestions.hpp"
#include "app/hooks.hpp"
#include "app/http_util.hpp"
#include "app/pipeline.hpp"
#include "healer/actions/exec_action.hpp"
#include "healer/worker.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {

namespace {

using nlohmann::json;

constexpr std::string_view healer_component_name = "healer";

class HealerComponent final : public Component {
 public:
  explicit HealerComponent(AppContext& ctx) : ctx_(ctx), suggester_(make_suggestion_requester(ctx)) {}
  ~HealerComponent() override { stop(); }
  std::string_view name() const override { return healer_component_name; }

  Result<void> start() override {
    healer::HealerConfig hc = ctx_.config.healer;
    if (hc.notify.link_base_url.empty())  // links in notifications point at this server by default
      hc.notify.link_base_url = "http://" + ctx_.config.server.host + ":" + std::to_string(ctx_.config.server.port);
    auto w = healer::Worker::create(
        std::move(hc),
        healer::WorkerDeps{ctx_.clock, ctx_.metrics, ctx_.store, ctx_.stores.healing_log(),
                           ctx_.stores.policy_state(), ctx_.stores.approvals(), suggester_.get(), nullptr,
                           ctx_.redactor});
    if (!w) return w.error();
    worker_ = std::move(*w);
    started_ms_ = ctx_.clock.now_ms();
    worker_->start();
    ready_.store(worker_.get());
    spdlog::info("Healer started. strategies={} dry_run={}", worker_->strategies().size(), ctx_.config.healer.dry_run);
    return {};
  }
  void stop() override {
    ready_.store(nullptr);
    if (worker_) worker_->stop();
  }
  /// Pipeline commit listener (flusher thread): hand the touched fingerprints over, never block.
  void on_commit(const CommitReceipt& r) {
    if (auto* w = ready_.load()) w->enqueue(r.touched_scopes);
  }
  healer::Worker* worker() { return ready_.load(); }
  ComponentHealth health() const override {
    ComponentHealth h;
    auto* w = ready_.load();
    if (!w) {
      h.status = "not running";
      return h;
    }
    const auto s = w->health();
    h.running = s.running;
    h.last_run_ms = s.last_pass_ms;
    h.last_error = s.last_error;
    // The loop passes at least every tick_ms; one that has not for a long while is stuck.
    const auto stalled_after = std::max<std::int64_t>(30'000, 10 * ctx_.config.healer.tick_ms);
    const auto since = ctx_.clock.now_ms() - (s.last_pass_ms ? s.last_pass_ms : started_ms_);
    if (!s.running) h.status = "decision loop not running";
    else if (since > stalled_after) h.status = "decision loop stalled for " + std::to_string(since / 1000) + " s";
    else h.status = "ok";
    h.ok = h.status == "ok";
    return h;
  }

 private:
  AppContext& ctx_;
  std::unique_ptr<healer::SuggestionRequester> suggester_;
  std::unique_ptr<healer::Worker> worker_;
  std::atomic<healer::Worker*> ready_{nullptr};  // Invariant: non-null only while worker_ runs
  UnixMs started_ms_ = 0;
};

HealerComponent* find_healer(AppContext& ctx) {
  for (auto& c : ctx.components)
    if (c && c->name() == healer_component_name) return dynamic_cast<HealerComponent*>(c.get());
  return nullptr;
}

json run_json(const HealingRun& r) {
  return {{"id", r.id},
          {"ts", format_rfc3339(r.ts)},
          {"ts_ms", r.ts},
          {"strategy", r.strategy},
          {"fingerprint_id", r.fingerprint_id},
          {"target", r.target},
          {"action", r.action},
          {"action_type", r.action_type},
          {"step", r.step},
          {"decision", r.decision},
          {"reason", r.reason},
          {"outcome", r.outcome},
          {"duration_ms", r.duration_ms},
          {"exit_code", r.exit_code},
          {"output", r.output},
          {"error", r.error},
          {"attempts", r.attempts},
          {"verification", r.verification},
          {"rate_before_per_min", r.rate_before},
          {"rate_after_per_min", r.rate_after},
          {"verified_at", r.verified_at ? json(format_rfc3339(r.verified_at)) : json(nullptr)},
          {"approval_id", r.approval_id},
          {"dry_run", r.dry_run},
          {"detail", r.detail},
          {"count", r.repeats},
          {"first_ts", format_rfc3339(r.ts)},
          {"last_ts", format_rfc3339(r.last_ts > 0 ? r.last_ts : r.ts)}};
}

json approval_json(const ApprovalRow& a) {
  json plan = json::parse(a.plan_json, nullptr, false);
  return {{"id", a.id},
          {"strategy", a.strategy},
          {"fingerprint_id", a.fingerprint_id},
          {"target", a.target},
          {"step", a.step},
          {"action", a.action},
          {"plan", plan.is_discarded() ? json(a.plan_json) : plan},
          {"status", a.status},
          {"created_at", format_rfc3339(a.created_at)},
          {"expires_at", format_rfc3339(a.expires_at)},
          {"expires_at_ms", a.expires_at},
          {"decided_by", a.decided_by},
          {"decided_at", a.decided_at ? json(format_rfc3339(a.decided_at)) : json(nullptr)},
          {"note", a.note}};
}

json delivery_json(const healer::Delivery& d) {
  if (d.type == "exec")
    return {
        {"type", "exec"}, {"argv", d.exec.argv}, {"timeout_ms", d.exec.timeout_ms}, {"env_allow", d.exec.env_allow}};
  if (d.type == "http") {
    json h = json::object();
    for (const auto& [k, v] : d.http.headers_env) h[k] = "$" + v;  // names of env vars, never values
    return {{"type", "http"},   {"method", d.http.method},           {"url", d.http.url},
            {"headers_env", h}, {"body_fields", d.http.body_fields}, {"timeout_ms", d.http.timeout_ms}};
  }
  return nullptr;
}

json rule_json(const healer::Strategy& s) {
  const auto& c = s.config();
  json actions = json::array();
  for (const auto& a : c.actions) {
    json j = {{"name", a.name}, {"type", a.type}, {"retries", a.retries}};
    if (a.type == "exec" || a.type == "http") j["delivery"] = delivery_json(a.delivery);
    if (a.type == "notify") {
      j["level"] = a.level;
      j["channels"] = a.channels;
    }
    if (a.type == "throttle") {
      j["apply"] = delivery_json(a.delivery);
      j["restore"] = delivery_json(a.restore);
      j["duration_secs"] = a.duration_secs;
    }
    if (a.type == "failover") {
      j["targets"] = a.targets;
      j["switch"] = delivery_json(a.delivery);
      j["health_check"] = delivery_json(a.health_check);
    }
    actions.push_back(j);
  }
  json match = json::object();
  const auto& m = c.match;
  if (!m.fingerprint_id.empty()) match["fingerprint_id"] = m.fingerprint_id;
  if (!m.exception_type.empty()) match["exception_type"] = m.exception_type;
  if (!m.message_regex.empty()) match["message_regex"] = m.message_regex;
  if (!m.service.empty()) match["service"] = m.service;
  if (!m.min_severity.empty()) match["min_severity"] = m.min_severity;
  if (!m.status.empty()) match["status"] = m.status;
  if (m.rate_count > 0) match["rate"] = {{"count", m.rate_count}, {"window_secs", m.rate_window_secs}};
  return {{"name", c.name},
          {"priority", c.priority},
          {"enabled", c.enabled},
          {"backstop", s.is_backstop()},
          {"match", match},
          {"actions", actions},
          {"requires_approval", c.requires_approval},
          {"approval_ttl_secs", c.approval_ttl_secs},
          {"dry_run", c.dry_run},
          {"guards",
           {{"cooldown_secs", c.guards.cooldown_secs},
            {"max_runs", c.guards.max_runs},
            {"per_secs", c.guards.per_secs},
            {"max_concurrent", c.guards.max_concurrent},
            {"breaker", {{"failures", c.guards.breaker.failures}, {"open_secs", c.guards.breaker.open_secs}}}}},
          {"verification",
           {{"enabled", c.verification.enabled},
            {"window_secs", c.verification.window_secs},
            {"min_drop_ratio", c.verification.min_drop_ratio}}}};
}

json view_json(const std::vector<ViewRow>& rows) {
  json out = json::array();
  for (const auto& row : rows) {
    json o = json::object();
    for (const auto& c : row) {
      using K = ViewCell::Kind;
      switch (c.kind) {
        case K::null:
          o[c.name] = nullptr;
          break;
        case K::integer:
          o[c.name] = c.integer;
          break;
        case K::real:
          o[c.name] = c.real;
          break;
        case K::text:
          o[c.name] = c.text;
          break;
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

/// `limit`: absent gives `def`; anything but a whole number in [1, max] is a 400 (never silently the
/// default: a caller who typed `limit=5O` must learn it was not read).
std::optional<std::size_t> limit_param(const httplib::Request& req, httplib::Response& res, std::size_t def,
                                       std::size_t max) {
  if (!req.has_param("limit")) return def;
  const std::string v = req.get_param_value("limit");
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size() || n < 1 || n > max) {
    json_error(res, 400, "limit: an integer between 1 and " + std::to_string(max) + " (got '" + v.substr(0, 32) + "')");
    return std::nullopt;
  }
  return n;
}

/// Strategies of the running worker, or built from config (healer disabled: still listable).
Result<std::vector<std::unique_ptr<healer::Strategy>>> configured_strategies(const AppContext& ctx) {
  return healer::build_strategies(ctx.config.healer);
}

}  // namespace

void mount_healing_routes(httplib::Server& svr, AppContext& ctx) {
  Stores* store = &ctx.stores;

  svr.Get("/api/v1/healing/runs", [store](const httplib::Request& req, httplib::Response& res) {
    RunQuery q;
    const auto limit = limit_param(req, res, 50, 1000);
    if (!limit) return;
    q.limit = *limit;
    try {
      if (req.has_param("before")) q.before_id = std::stoll(req.get_param_value("before"));
    } catch (...) {
      json_error(res, 400, "before must be a run id");
      return;
    }
    q.strategy = req.get_param_value("strategy");
    q.fingerprint_id = req.get_param_value("fingerprint_id");
    if (q.fingerprint_id.empty()) q.fingerprint_id = req.get_param_value("fingerprint");
    q.decision = req.get_param_value("decision");
    q.outcome = req.get_param_value("outcome");
    q.reason = req.get_param_value("reason");
    auto runs = store->healing_log().runs(q);
    if (!runs) return json_error(res, http_status(runs.error().code), runs.error().message);
    json arr = json::array();
    for (const auto& r : *runs) arr.push_back(run_json(r));
    json out = {{"runs", arr}, {"next_cursor", nullptr}};
    if (runs->size() == q.limit && !runs->empty()) out["next_cursor"] = runs->back().id;
    send_json(res, out);
  });

  svr.Get("/api/v1/healing/rules", [&ctx](const httplib::Request&, httplib::Response& res) {
    auto strategies = configured_strategies(ctx);
    if (!strategies) return json_error(res, 500, strategies.error().message);
    json arr = json::array();
    for (const auto& s : *strategies) arr.push_back(rule_json(*s));
    json channels = json::array();
    for (const auto& c : ctx.config.healer.notify.channels)
      channels.push_back({{"name", c.name}, {"levels", c.levels}});
    json levels = json::array();
    for (const auto& l : ctx.config.healer.notify.levels)
      levels.push_back({{"level", l.level}, {"threshold", l.threshold}, {"cooldown_secs", l.cooldown_secs}});
    send_json(res, {{"enabled", ctx.config.healer.enabled},
                    {"dry_run", ctx.config.healer.dry_run},
                    {"rules", arr},
                    {"notify", {{"channels", channels}, {"levels", levels}}}});
  });

  svr.Post("/api/v1/healing/simulate", [&ctx, store](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    std::string id = body.is_object() && body.contains("fingerprint_id") && body["fingerprint_id"].is_string()
                         ? body["fingerprint_id"].get<std::string>()
                         : req.get_param_value("fingerprint_id");
    if (id.empty()) return json_error(res, 400, "fingerprint_id is required");
    std::unique_ptr<healer::Worker> local;
    healer::Worker* w = nullptr;
    if (auto* h = find_healer(ctx)) w = h->worker();
    if (!w) {  // healer not running: a worker that is never started answers from the same state
      auto made = healer::Worker::create(ctx.config.healer,
                                         healer::WorkerDeps{ctx.clock, ctx.metrics, ctx.store, store->healing_log(),
                                                            store->policy_state(), store->approvals(),
                                                            nullptr, nullptr, ctx.redactor});
      if (!made) return json_error(res, 500, made.error().message);
      local = std::move(*made);
      w = local.get();
    }
    const std::string service = body.is_object() && body.contains("service") && body["service"].is_string()
                                    ? body["service"].get<std::string>()
                                    : req.get_param_value("service");
    auto sim = w->simulate(id, service);
    if (!sim) return json_error(res, http_status(sim.error().code), sim.error().message);
    if (!sim->found) return json_error(res, 404, "fingerprint not found");
    json out = {{"fingerprint_id", id},
                {"executed", false},
                {"healer_enabled", ctx.config.healer.enabled},
                {"matching", sim->matching},
                {"strategy", sim->strategy.empty() ? json(nullptr) : json(sim->strategy)}};
    if (!sim->strategy.empty()) {
      const auto& p = sim->plan;
      const auto& d = sim->decision;
      out["plan"] = {{"action", p.action.name},
                     {"type", p.action.type},
                     {"step", p.step},
                     {"target", p.target},
                     {"requires_approval", p.requires_approval},
                     {"dry_run", p.dry_run}};
      if (!sim->argv.empty()) out["plan"]["argv"] = sim->argv;
      if (!sim->body.empty()) out["plan"]["body"] = json::parse(sim->body, nullptr, false);
      if (!sim->error.empty()) out["plan"]["error"] = sim->error;
      out["decision"] = {{"verdict", std::string(healer::to_string(d.verdict))},
                         {"reason", std::string(healer::to_string(d.reason))},
                         {"detail", d.detail},
                         {"half_open_trial", d.half_open_trial},
                         {"not_before", d.not_before ? json(format_rfc3339(d.not_before)) : json(nullptr)}};
      out["state"] = {
          {"last_run_at", sim->state.last_run_at ? json(format_rfc3339(sim->state.last_run_at)) : json(nullptr)},
          {"runs_in_window", sim->state.window_runs.size()},
          {"in_flight_on_target", sim->state.in_flight_on_target},
          {"breaker", std::string(healer::to_string(sim->state.breaker.phase))},
          {"approval", std::string(healer::to_string(sim->state.approval.status))}};
    }
    send_json(res, out);
  });

  svr.Get("/api/v1/healing/state", [&ctx, store](const httplib::Request&, httplib::Response& res) {
    auto breakers = store->policy_state().breakers();
    auto throttles = store->policy_state().throttles(100);
    auto failovers = store->policy_state().failovers();
    if (!breakers || !throttles || !failovers) return json_error(res, 503, "store unavailable");
    const UnixMs now = ctx.clock.now_ms();
    json b = json::array();
    for (const auto& r : *breakers) {
      healer::BreakerConfig bc;
      for (const auto& s : ctx.config.healer.strategies)
        if (s.name == r.strategy) bc = s.guards.breaker;
      healer::BreakerState st;
      st.phase = healer::parse_breaker_phase(r.phase);
      st.opened_at = r.opened_at;
      b.push_back(
          {{"strategy", r.strategy},
           {"target", r.target},
           {"phase", std::string(healer::to_string(healer::effective_phase(st, bc, now)))},
           {"stored_phase", r.phase},
           {"consecutive_failures", r.consecutive_failures},
           {"opened_at", r.opened_at ? json(format_rfc3339(r.opened_at)) : json(nullptr)},
           {"reopens_at", r.phase == "open" ? json(format_rfc3339(r.opened_at + bc.open_secs * 1000)) : json(nullptr)},
           {"opens", r.opens},
           {"trial_in_flight", r.trial_in_flight}});
    }
    json t = json::array();
    for (const auto& r : *throttles)
      t.push_back({{"id", r.id},
                   {"strategy", r.strategy},
                   {"action", r.action},
                   {"fingerprint_id", r.fingerprint_id},
                   {"target", r.target},
                   {"status", r.status},
                   {"applied_at", format_rfc3339(r.applied_at)},
                   {"restore_at", format_rfc3339(r.restore_at)},
                   {"restored_at", r.restored_at ? json(format_rfc3339(r.restored_at)) : json(nullptr)}});
    json f = json::array();
    for (const auto& r : *failovers)
      f.push_back({{"key", r.key},
                   {"active", r.active},
                   {"previous", r.previous},
                   {"switched_at", r.switched_at ? json(format_rfc3339(r.switched_at)) : json(nullptr)},
                   {"last_result", r.last_result}});
    send_json(res, {{"breakers", b}, {"throttles", t}, {"failover", f}});
  });

  svr.Post(
      R"(/api/v1/healing/failover/([^/]+)/([^/]+)/reset)", [&ctx](const httplib::Request& req, httplib::Response& res) {
        if (!require_token(ctx, req, res)) return;
        auto* h = find_healer(ctx);
        auto* w = h ? h->worker() : nullptr;
        if (!w) return json_error(res, 409, "the healer is not running");
        auto r = w->reset_failover(req.matches[1], req.matches[2]);
        if (!r) return json_error(res, http_status(r.error().code), r.error().message);
        send_json(res, {{"success", r->success}, {"output", r->output}, {"error", r->error}}, r->success ? 200 : 502);
      });

  for (const auto& [path, view] : {std::pair<std::string, std::string>{"overview", "healing_overview"},
                                   {"activity", "recent_healing_activity"},
                                   {"stats", "healing_stats"}}) {
    svr.Get("/api/v1/healing/" + path, [store, view = view](const httplib::Request& req, httplib::Response& res) {
      const auto limit = limit_param(req, res, 100, 1000);
      if (!limit) return;
      auto rows = store->healing_views().view(view, *limit);
      if (!rows) return json_error(res, http_status(rows.error().code), rows.error().message);
      send_json(res, {{"view", view}, {"rows", view_json(*rows)}});
    });
  }

  svr.Get("/api/v1/approvals", [store](const httplib::Request& req, httplib::Response& res) {
    std::string status = req.has_param("status") ? req.get_param_value("status") : "pending";
    if (status == "all") status.clear();
    const auto limit = limit_param(req, res, 100, 1000);
    if (!limit) return;
    auto rows = store->approvals().approvals(status, *limit);
    if (!rows) return json_error(res, http_status(rows.error().code), rows.error().message);
    json arr = json::array();
    for (const auto& a : *rows) arr.push_back(approval_json(a));
    send_json(res, {{"approvals", arr}});
  });

  svr.Post(R"(/api/v1/approvals/(\d+)/(approve|reject))", [&ctx, store](const httplib::Request& req,
                                                                        httplib::Response& res) {
    if (!require_token(ctx, req, res)) return;
    std::int64_t id = 0;
    try {
      id = std::stoll(req.matches[1]);
    } catch (...) {
      return json_error(res, 400, "bad approval id");
    }
    const bool approve = req.matches[2] == "approve";
    json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return json_error(res, 400, "body must be a JSON object");
    const std::string by = request_actor(ctx, req);  // the token's name; a "by" field is ignored
    std::string note = body.contains("note") && body["note"].is_string() ? body["note"].get<std::string>() : "";
    auto r = store->approvals().decide_approval(id, approve, by, ctx.clock.now_ms(), note);
    if (!r) return json_error(res, http_status(r.error().code), r.error().message);
    spdlog::info("Approval decided. approval_id={} decision={} by=\"{}\"", id, r->status, by);
    if (auto* h = find_healer(ctx))
      if (auto* w = h->worker()) w->wake();
    send_json(res, approval_json(*r));
  });
}

Result<void> add_healer_components(AppContext& ctx) {
  if (!ctx.config.healer.enabled) return {};
  // Validate now so a bad strategy fails startup, not the first commit.
  if (auto s = healer::build_strategies(ctx.config.healer); !s) return s.error();
  auto comp = std::make_unique<HealerComponent>(ctx);
  HealerComponent* raw = comp.get();
  ctx.pipeline.on_commit([raw](const CommitReceipt& r) { raw->on_commit(r); });
  ctx.components.push_back(std::move(comp));
  return {};
}

}  // namespace selfheal::app
