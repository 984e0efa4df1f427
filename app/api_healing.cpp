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
#include <optional>
#include <nlohmann/json.hpp>

#include "app/api_suggestions.hpp"
#include "app/healing_views.hpp"
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

/// Strategies of the running worker, or built from config (healer disabled: still listable).
Result<std::vector<std::unique_ptr<healer::Strategy>>> configured_strategies(const AppContext& ctx) {
  return healer::build_strategies(ctx.config.healer);
}

}  // namespace

void mount_healing_routes(httplib::Server& svr, AppContext& ctx) {
  Stores* store = &ctx.stores;

  svr.Get("/api/v1/healing/runs", [store](const httplib::Request& req, httplib::Response& res) {
    RunQuery q;
    QueryParams p(req);
    q.limit = static_cast<std::size_t>(p.integer("limit", 50, 1, 1000));
    q.before_id = p.integer("before", 0, 0, INT64_MAX);
    q.strategy = p.text("strategy");
    q.fingerprint_id = p.text("fingerprint_id", p.text("fingerprint"));
    q.decision = p.text("decision");
    q.outcome = p.text("outcome");
    q.reason = p.text("reason");
    if (p.failed(res)) return;
    auto runs = store->healing_log().runs(q);
    if (!runs) return send_error(res, runs.error());
    json arr = json::array();
    for (const auto& r : *runs) arr.push_back(run_json(r));
    json out = {{"runs", arr}, {"next_cursor", nullptr}};
    if (runs->size() == q.limit && !runs->empty()) out["next_cursor"] = runs->back().id;
    send_json(res, out);
  });

  svr.Get("/api/v1/healing/rules", [&ctx](const httplib::Request&, httplib::Response& res) {
    auto strategies = configured_strategies(ctx);
    if (!strategies) return send_error(res, strategies.error());
    send_json(res, rules_json(ctx.config.healer, *strategies));
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
      if (!made) return send_error(res, made.error());
      local = std::move(*made);
      w = local.get();
    }
    const std::string service = body.is_object() && body.contains("service") && body["service"].is_string()
                                    ? body["service"].get<std::string>()
                                    : req.get_param_value("service");
    auto sim = w->simulate(id, service);
    if (!sim) return send_error(res, sim.error());
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
        if (!r) return send_error(res, r.error());
        send_json(res, {{"success", r->success}, {"output", r->output}, {"error", r->error}}, r->success ? 200 : 502);
      });

  for (const auto& [path, view] : {std::pair<std::string, std::string>{"overview", "healing_overview"},
                                   {"activity", "recent_healing_activity"},
                                   {"stats", "healing_stats"}}) {
    svr.Get("/api/v1/healing/" + path, [store, view = view](const httplib::Request& req, httplib::Response& res) {
      QueryParams p(req);
      const auto limit = static_cast<std::size_t>(p.integer("limit", 100, 1, 1000));
      if (p.failed(res)) return;
      auto rows = store->healing_views().view(view, limit);
      if (!rows) return send_error(res, rows.error());
      send_json(res, {{"view", view}, {"rows", view_json(*rows)}});
    });
  }

  svr.Get("/api/v1/approvals", [store](const httplib::Request& req, httplib::Response& res) {
    QueryParams p(req);
    std::string status = p.text("status", "pending");
    if (status == "all") status.clear();
    const auto limit = static_cast<std::size_t>(p.integer("limit", 100, 1, 1000));
    if (p.failed(res)) return;
    auto rows = store->approvals().approvals(status, limit);
    if (!rows) return send_error(res, rows.error());
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
    if (!r) return send_error(res, r.error());
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
