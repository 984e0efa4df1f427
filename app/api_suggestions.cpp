// HTTP routes and the worker component of the llm module. Owned with llm/.
//   GET  /api/v1/suggestions                        cursor-paginated, filters: fingerprint, status, min_confidence
//   GET  /api/v1/suggestions/calibration            accept rate per confidence bucket + Brier score
//   GET  /api/v1/suggestions/{id}                   one suggestion with its fingerprint's attempts
//   POST /api/v1/fingerprints/{id}/suggest          queue (deduplicated) {"force": bool}
//   GET  /api/v1/fingerprints/{id}/suggest/preview  the exact request body; sends nothing
//   POST /api/v1/suggestions/{id}/{accept,reject,apply}  {"comment": "..."}  (reviewer: the token's name)
#include "app/api_suggestions.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "app/hooks.hpp"
#include "app/http_util.hpp"
#include "app/suggestion_views.hpp"
#include "llm/calibration.hpp"
#include "llm/factory.hpp"
#include "llm/worker.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {

using nlohmann::json;

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// A path id matched by \d+; ids beyond int64 are simply unknown.
std::int64_t path_id(const std::string& s) {
  try {
    return std::stoll(s);
  } catch (const std::exception&) {
    return -1;
  }
}

class HealingLogHistory final : public llm::HealingHistorySource {
 public:
  explicit HealingLogHistory(HealingLog& log) : log_(log) {}
  Result<std::vector<llm::HealingEntry>> healing_history(const std::string& fingerprint_id) override {
    RunQuery q;
    q.fingerprint_id = fingerprint_id;
    q.decision = "ran";
    q.limit = 20;
    auto runs = log_.runs(q);
    if (!runs) return runs.error();
    std::vector<llm::HealingEntry> out;
    for (const auto& r : *runs) {
      if (r.action_type == "suggest") continue;
      llm::HealingEntry e;
      e.ts = r.ts;
      e.strategy = r.strategy;
      e.action = r.action.empty() ? r.action_type : r.action;
      e.outcome = r.outcome.empty() ? std::string("unknown") : r.outcome;
      if (!r.verification.empty()) e.outcome += ", verification " + r.verification;
      e.succeeded = r.outcome == "success" && r.verification != "not_verified";
      out.push_back(std::move(e));
    }
    return out;
  }

 private:
  HealingLog& log_;
};

/// The LLM worker and everything it owns; registered in ctx.components as "llm".
class LlmComponent final : public Component {
 public:
  std::string_view name() const override { return "llm"; }
  Result<void> start() override {
    if (provider_->name() == "github_models") {
      spdlog::warn(
          "GitHub Models was retired on 2026-07-30 and answers 410; suggestions will fail until another "
          "provider is configured. provider=github_models");
    }
    worker_->start();
    return ok();
  }
  void stop() override { worker_->stop(); }
  ComponentHealth health() const override {
    const auto s = worker_->health();
    ComponentHealth h;
    h.running = s.running;
    h.ok = s.running;  // a failing provider is reported, not a reason to stop taking logs
    h.status = s.running ? "ok" : "worker thread not running";
    h.last_run_ms = s.last_run_ms;
    h.last_error = s.last_error;
    return h;
  }

  static Result<std::unique_ptr<LlmComponent>> create(AppContext& ctx) {
    auto c = std::unique_ptr<LlmComponent>(new LlmComponent());
    const auto& cfg = ctx.config.llm;
    c->redactor_ = ctx.redactor;
    c->http_ = llm::make_curl_http_client(ctx.config.llm.provider.ca_file);
    c->waiter_ = std::make_shared<llm::CancellableWaiter>();
    auto provider = llm::make_provider(cfg, c->http_, c->waiter_, &ctx.clock);
    if (!provider) return provider.error();
    c->provider_ = std::move(provider).value();
    c->history_ = make_healing_history(ctx.stores.healing_log());
    c->service_ = std::make_unique<llm::SuggestionService>(ctx.store, ctx.stores.suggestions(), *c->provider_, *c->redactor_,
                                                           ctx.clock, llm::service_options(cfg), c->history_.get());
    auto http = c->http_;
    auto waiter = c->waiter_;
    c->worker_ = std::make_unique<llm::LlmWorker>(*c->service_, static_cast<std::size_t>(cfg.queue_max), &ctx.metrics,
                                                  [http, waiter] {
                                                    http->cancel();
                                                    waiter->cancel();
                                                  });
    return c;
  }

  llm::LlmWorker& worker() { return *worker_; }
  llm::SuggestionService& service() { return *service_; }

 private:
  LlmComponent() = default;
  std::shared_ptr<const Redactor> redactor_;
  std::shared_ptr<llm::HttpClient> http_;
  std::shared_ptr<llm::CancellableWaiter> waiter_;
  std::unique_ptr<llm::LlmProvider> provider_;
  std::unique_ptr<llm::HealingHistorySource> history_;
  std::unique_ptr<llm::SuggestionService> service_;
  std::unique_ptr<llm::LlmWorker> worker_;  // Invariant: declared last, destroyed (stopped) first
};

LlmComponent* find_llm(AppContext& ctx) {
  for (auto& c : ctx.components) {
    if (c && c->name() == "llm") return dynamic_cast<LlmComponent*>(c.get());
  }
  return nullptr;
}

class LazyRequester final : public healer::SuggestionRequester {
 public:
  explicit LazyRequester(AppContext& ctx) : ctx_(ctx) {}
  Result<void> request_suggestion(const std::string& fingerprint_id) override {
    LlmComponent* llm = find_llm(ctx_);
    if (!llm) return make_error(ErrorCode::config, "LLM suggestions are not configured (llm.provider)");
    return llm->worker().request(fingerprint_id, false, "healer");
  }

 private:
  AppContext& ctx_;
};

}  // namespace

std::unique_ptr<llm::HealingHistorySource> make_healing_history(HealingLog& log) {
  return std::make_unique<HealingLogHistory>(log);
}

std::unique_ptr<healer::SuggestionRequester> make_suggestion_requester(AppContext& ctx) {
  return std::make_unique<LazyRequester>(ctx);
}

void mount_suggestion_routes(httplib::Server& svr, AppContext& ctx) {
  // Reviews work without a configured provider (e.g. after switching it off).
  SuggestionStore* store = &ctx.stores.suggestions();

  svr.Get("/api/v1/suggestions", [store](const httplib::Request& req, httplib::Response& res) {
    SuggestionQuery q;
    QueryParams p(req);
    q.limit = static_cast<std::size_t>(p.integer("limit", static_cast<std::int64_t>(q.limit), 1, 500));
    q.before_id = p.integer("cursor", 0, 0, INT64_MAX);
    q.min_confidence = p.number("min_confidence", 0.0, 0.0, 1.0);
    q.fingerprint_id = p.text("fingerprint");
    q.status = p.choice("status", {"proposed", "accepted", "rejected", "applied"});
    if (p.failed(res)) return;
    const std::size_t want = q.limit;
    q.limit = want + 1;  // one more tells whether there is a next page
    auto items = store->suggestions(q);
    if (!items) return send_error(res, items.error());
    json arr = json::array();
    for (std::size_t i = 0; i < items->size() && i < want; ++i) arr.push_back(suggestion_json((*items)[i], false));
    json j = {{"items", arr}, {"next_cursor", nullptr}};
    if (items->size() > want) j["next_cursor"] = std::to_string((*items)[want - 1].id);
    res.set_content(dump(j), "application/json");
  });

  svr.Get("/api/v1/suggestions/calibration", [store](const httplib::Request&, httplib::Response& res) {
    auto reviewed = store->reviewed();
    if (!reviewed) return send_error(res, reviewed.error());
    std::vector<llm::ReviewedPoint> points;
    for (const auto& s : *reviewed) points.push_back({s.confidence, s.status == "accepted" || s.status == "applied"});
    auto rep = llm::calibrate(points, 5);
    json buckets = json::array();
    for (const auto& b : rep.buckets) {
      buckets.push_back({{"lo", b.lo},
                         {"hi", b.hi},
                         {"reviewed", b.reviewed},
                         {"accepted", b.accepted},
                         {"accept_rate", b.accept_rate},
                         {"mean_confidence", b.mean_confidence}});
    }
    json j = {{"reviewed", rep.reviewed}, {"accepted", rep.accepted}, {"brier", rep.brier}, {"buckets", buckets}};
    res.set_content(dump(j), "application/json");
  });

  svr.Get(R"(/api/v1/suggestions/(\d+))", [store](const httplib::Request& req, httplib::Response& res) {
    auto s = store->suggestion(path_id(req.matches[1]));
    if (!s) return send_error(res, s.error());
    if (!s->has_value()) return json_error(res, 404, "no such suggestion");
    json j = suggestion_json(**s, true);
    auto attempts = store->attempts((*s)->fingerprint_id, 20);
    json arr = json::array();
    if (attempts) {
      for (const auto& a : *attempts) {
        arr.push_back({{"id", a.id},
                       {"at", format_rfc3339(a.ts)},
                       {"provider", a.provider},
                       {"model", a.model},
                       {"outcome", a.outcome},
                       {"error_code", a.error_code},
                       {"error", a.error},
                       {"raw", a.raw},
                       {"prompt_tokens", a.prompt_tokens},
                       {"completion_tokens", a.completion_tokens},
                       {"latency_ms", a.latency_ms},
                       {"http_attempts", a.http_attempts},
                       {"suggestion_id", a.suggestion_id}});
      }
    }
    j["attempts"] = arr;
    res.set_content(dump(j), "application/json");
  });

  svr.Post(R"(/api/v1/suggestions/(\d+)/(accept|reject|apply))",
           [&ctx, store](const httplib::Request& req, httplib::Response& res) {
             if (!require_token(ctx, req, res)) return;
             json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
             if (body.is_discarded() || !body.is_object()) return json_error(res, 400, "body must be a JSON object");
             const std::string who = request_actor(ctx, req);  // the token's name; a "who" field is ignored
             std::string comment = body.value("comment", std::string());
             if (comment.size() > 4000) return json_error(res, 400, "comment: at most 4000 characters");
             auto s = store->review(path_id(req.matches[1]), req.matches[2].str(), who, comment, ctx.clock.now_ms());
             if (!s) return send_error(res, s.error());
             res.set_content(dump(suggestion_json(*s, false)), "application/json");
           });

  svr.Post(R"(/api/v1/fingerprints/([^/]+)/suggest)", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!require_token(ctx, req, res)) return;
    LlmComponent* llm = find_llm(ctx);
    if (!llm) return json_error(res, 503, "LLM suggestions are not configured (llm.provider)");
    json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return json_error(res, 400, "body must be a JSON object");
    const std::string id = req.matches[1];
    auto fp = ctx.store.fingerprint(id);
    if (!fp) return send_error(res, fp.error());
    if (!fp->has_value()) return json_error(res, 404, "no such fingerprint");
    bool force = body.value("force", false);
    auto r = llm->worker().request(id, force, request_actor(ctx, req));
    if (!r) return send_error(res, r.error());
    res.status = 202;
    res.set_content(dump({{"queued", true}, {"fingerprint_id", id}}), "application/json");
  });

  svr.Get(R"(/api/v1/fingerprints/([^/]+)/suggest/preview)",
          [&ctx](const httplib::Request& req, httplib::Response& res) {
            LlmComponent* llm = find_llm(ctx);
            if (!llm) return json_error(res, 503, "LLM suggestions are not configured (llm.provider)");
            auto body = llm->service().preview(req.matches[1]);
            if (!body) return send_error(res, body.error());
            res.set_content(*body, "application/json");
          });
}

Result<void> add_llm_components(AppContext& ctx) {
  if (!ctx.config.llm.enabled) return ok();
  auto c = LlmComponent::create(ctx);
  if (!c) return c.error();
  ctx.components.push_back(std::move(c).value());
  return ok();
}

}  // namespace selfheal::app
