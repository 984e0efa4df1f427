#include "llm/worker.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "llm/budget.hpp"
#include "llm/suggestion.hpp"
#include "schema/log.hpp"

namespace selfheal::llm {

std::string_view to_string(RunOutcome o) {
  switch (o) {
    case RunOutcome::created:
      return "created";
    case RunOutcome::cached:
      return "cached";
    case RunOutcome::reused:
      return "reused";
    case RunOutcome::failed:
      return "failed";
    case RunOutcome::over_budget:
      return "over_budget";
  }
  return "failed";
}

ServiceOptions service_options(const LlmConfig& cfg) {
  ServiceOptions o;
  o.context.context_tokens = cfg.context_tokens;
  o.context.max_output_tokens = cfg.max_output_tokens;
  o.context.max_samples = cfg.max_samples;
  o.context.temperature = cfg.provider.temperature;
  o.budget = cfg.budget;
  o.cost_per_1k_input_tokens = cfg.cost_per_1k_input_tokens;
  o.cost_per_1k_output_tokens = cfg.cost_per_1k_output_tokens;
  o.refresh_after_ms = cfg.refresh_after_ms;
  o.deadline = std::chrono::milliseconds(cfg.provider.request_timeout_ms);
  return o;
}

SuggestionService::SuggestionService(QueryStore& facts, SuggestionStore& store, LlmProvider& provider,
                                     const Redactor& redactor, const Clock& clock, ServiceOptions opts,
                                     HealingHistorySource* history)
    : facts_(facts),
      store_(store),
      provider_(provider),
      redactor_(redactor),
      clock_(clock),
      opts_(std::move(opts)),
      history_(history) {}

Result<BuiltContext> SuggestionService::context_for(const std::string& id) {
  auto fp = facts_.fingerprint(id);
  if (!fp) return fp.error();
  if (!fp->has_value()) return make_error(ErrorCode::not_found, "no fingerprint " + id);
  FingerprintFacts f;
  f.summary = **fp;
  const UnixMs now = clock_.now_ms();
  auto series = facts_.series(id, now - 3'600'000, now + 60'000);
  if (!series) return series.error();
  f.series = std::move(series).value();
  auto samples = facts_.samples(id, 16);
  if (!samples) return samples.error();
  f.samples = std::move(samples).value();
  if (history_) {
    auto h = history_->healing_history(id);
    if (h) f.history = std::move(h).value();  // history is optional context: a failure only drops it
  }
  return build_context(f, redactor_, opts_.context, now);
}

Result<std::string> SuggestionService::preview(const std::string& id) {
  auto ctx = context_for(id);
  if (!ctx) return ctx.error();
  return provider_.request_body(ctx->request);
}

Result<RunResult> SuggestionService::run(const std::string& id, bool force, const std::string& requested_by) {
  const UnixMs now = clock_.now_ms();
  const std::string provider_name(provider_.name());
  const std::string& model = provider_.model();
  auto attempt = [&](std::string outcome) {
    SuggestionAttempt a;
    a.fingerprint_id = id;
    a.ts = now;
    a.provider = provider_name;
    a.model = model;
    a.outcome = std::move(outcome);
    return a;
  };
  RunResult rr;
  // An existing suggestion answers: recorded as a "cached" attempt.
  auto answered_by = [&](RunOutcome outcome, std::int64_t suggestion_id) -> Result<RunResult> {
    rr.outcome = outcome;
    rr.suggestion_id = suggestion_id;
    auto a = attempt("cached");
    a.suggestion_id = suggestion_id;
    if (auto r = store_.record_attempt(a); !r) return r.error();
    return rr;
  };
  if (!force) {
    auto latest = store_.latest_for(id);
    if (!latest) return latest.error();
    if (latest->has_value() && now - (*latest)->created_at < opts_.refresh_after_ms)
      return answered_by(RunOutcome::reused, (*latest)->id);
  }
  auto ctx = context_for(id);
  if (!ctx) return ctx.error();
  const std::string key = cache_key(id, ctx->context_hash, provider_name, model);
  if (!force) {
    auto cached = store_.find_cached(key);
    if (!cached) return cached.error();
    if (cached->has_value()) return answered_by(RunOutcome::cached, (*cached)->id);
  }
  const std::string day = utc_day(now);
  auto used = store_.budget(day);
  if (!used) return used.error();
  auto budget = check_budget(*used, opts_.budget, ctx->estimated_prompt_tokens + opts_.context.max_output_tokens);
  if (!budget.allowed) {
    rr.outcome = RunOutcome::over_budget;
    rr.error = budget.reason;
    auto a = attempt("over_budget");
    a.error_code = "over_budget";
    a.error = budget.reason;
    if (auto r = store_.record_attempt(a); !r) return r.error();
    return rr;
  }

  auto completion = provider_.complete(ctx->request, opts_.deadline);
  Usage usage = completion ? completion->usage : Usage{};
  rr.usage = usage;
  rr.latency_ms = completion ? completion->latency_ms : 0;
  const double cost = estimate_cost(usage, opts_.cost_per_1k_input_tokens, opts_.cost_per_1k_output_tokens);
  if (auto r = store_.charge(day, 1, usage.total_tokens, cost); !r) return r.error();
  if (!completion) {
    rr.outcome = RunOutcome::failed;
    rr.error = completion.error().message;
    auto a = attempt("failed");
    a.error_code = std::string(to_string(completion.error().code));
    a.error = rr.error;
    if (auto r = store_.record_attempt(a); !r) return r.error();
    return rr;
  }
  auto parsed = parse_suggestion(*completion);
  if (!parsed) {
    rr.outcome = RunOutcome::failed;
    rr.error = parsed.error().message;
    auto a = attempt("failed");
    a.error_code = "bad_answer";
    a.error = rr.error;
    a.raw = completion->content;
    a.prompt_tokens = usage.prompt_tokens;
    a.completion_tokens = usage.completion_tokens;
    a.latency_ms = completion->latency_ms;
    a.http_attempts = completion->attempts;
    if (auto r = store_.record_attempt(a); !r) return r.error();
    return rr;
  }
  auto conf = displayed_confidence(*parsed, ctx->evidence);
  nlohmann::json evidence = nlohmann::json::array();
  for (const auto& e : parsed->evidence) {
    evidence.push_back({{"text", e}, {"supported", evidence_supported(e, ctx->evidence)}});
  }
  nlohmann::json detail = {{"model", conf.model},
                           {"model_clamped", parsed->confidence_clamped},
                           {"cited", conf.cited},
                           {"supported", conf.supported},
                           {"evidence_factor", conf.evidence},
                           {"occurrence_factor", conf.occurrence},
                           {"history_factor", conf.history},
                           {"occurrences", ctx->evidence.occurrences},
                           {"strategy_succeeded", ctx->evidence.strategy_succeeded}};
  StoredSuggestion s;
  s.fingerprint_id = id;
  s.summary = parsed->summary;
  s.root_cause = parsed->root_cause;
  s.suggested_fix = parsed->suggested_fix;
  s.evidence_json = evidence.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  s.model_confidence = parsed->model_confidence;
  s.confidence = conf.displayed;
  s.confidence_detail_json = detail.dump();
  s.provider = provider_name;
  s.model = model;
  s.context_hash = ctx->context_hash;
  s.cache_key = key;
  s.prompt_tokens = usage.prompt_tokens;
  s.completion_tokens = usage.completion_tokens;
  s.cost_usd = cost;
  s.latency_ms = completion->latency_ms;
  s.requested_by = requested_by;
  s.created_at = now;
  s.raw = completion->content;
  auto sid = store_.insert_suggestion(s);
  if (!sid) return sid.error();
  auto a = attempt("ok");
  a.prompt_tokens = usage.prompt_tokens;
  a.completion_tokens = usage.completion_tokens;
  a.latency_ms = completion->latency_ms;
  a.http_attempts = completion->attempts;
  a.suggestion_id = *sid;
  if (auto r = store_.record_attempt(a); !r) return r.error();
  rr.outcome = RunOutcome::created;
  rr.suggestion_id = *sid;
  return rr;
}

LlmWorker::LlmWorker(SuggestionService& service, std::size_t queue_max, Metrics* metrics, std::function<void()> cancel)
    : service_(service), queue_max_(queue_max), metrics_(metrics), cancel_(std::move(cancel)) {}

LlmWorker::~LlmWorker() {
  stop();
}

void LlmWorker::start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void LlmWorker::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (cancel_) cancel_();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  running_ = false;
}

Result<void> LlmWorker::request(const std::string& id, bool force, const std::string& requested_by) {
  {
    std::lock_guard lock(mu_);
    if (!running_ || stopping_) return make_error(ErrorCode::unavailable, "the suggestion worker is not running");
    ++stats_.requested;
    if (active_.count(id)) {
      ++stats_.deduplicated;
      if (metrics_) {
        metrics_
            ->counter("selfheal_llm_requests_total", "Suggestion requests by outcome.", {{"outcome", "deduplicated"}})
            .inc();
      }
      return ok();
    }
    if (queue_.size() >= queue_max_) {
      return make_error(ErrorCode::overloaded, "suggestion queue full (" + std::to_string(queue_max_) + ")");
    }
    active_.insert(id);
    queue_.push_back(Item{id, force, requested_by});
  }
  cv_.notify_one();
  return ok();
}

LlmWorker::Stats LlmWorker::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool LlmWorker::idle() const {
  std::lock_guard lock(mu_);
  return queue_.empty() && busy_ == 0;
}

std::size_t LlmWorker::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

LlmWorker::Health LlmWorker::health() const {
  std::lock_guard lock(mu_);
  return Health{alive_, last_run_ms_, last_error_};
}

void LlmWorker::loop() {
  {
    std::lock_guard lock(mu_);
    alive_ = true;
  }
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        alive_ = false;
        return;
      }
      item = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    auto r = service_.run(item.id, item.force, item.requested_by);
    std::string outcome = r ? std::string(to_string(r->outcome)) : "error";
    if (!r) {
      spdlog::warn("Suggestion failed. fingerprint={} code={} error=\"{}\"", item.id, to_string(r.error().code),
                   r.error().message);
    } else if (r->outcome == RunOutcome::failed || r->outcome == RunOutcome::over_budget) {
      spdlog::warn("Suggestion not produced. fingerprint={} outcome={} error=\"{}\"", item.id, outcome, r->error);
    } else if (r->outcome == RunOutcome::created) {
      spdlog::info("Suggestion ready. fingerprint={} outcome={} suggestion_id={}", item.id, outcome, r->suggestion_id);
    } else {
      spdlog::debug("Suggestion reused. fingerprint={} outcome={} suggestion_id={}", item.id, outcome,
                    r->suggestion_id);
    }
    if (metrics_) {
      metrics_->counter("selfheal_llm_requests_total", "Suggestion requests by outcome.", {{"outcome", outcome}}).inc();
      if (r && r->usage.total_tokens > 0) {
        metrics_->counter("selfheal_llm_tokens_total", "Provider tokens used.", {{"kind", "prompt"}})
            .inc(static_cast<std::uint64_t>(r->usage.prompt_tokens));
        metrics_->counter("selfheal_llm_tokens_total", "Provider tokens used.", {{"kind", "completion"}})
            .inc(static_cast<std::uint64_t>(r->usage.completion_tokens));
      }
      if (r && (r->outcome == RunOutcome::created || r->outcome == RunOutcome::failed) && r->latency_ms > 0) {
        metrics_
            ->histogram("selfheal_llm_call_duration_seconds", "Provider call latency, retries included.",
                        latency_buckets_seconds())
            .observe(static_cast<double>(r->latency_ms) / 1000.0);
      }
    }
    std::lock_guard lock(mu_);
    --busy_;
    active_.erase(item.id);
    ++stats_.processed;
    last_run_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    last_error_ = !r ? r.error().message
                  : (r->outcome == RunOutcome::failed || r->outcome == RunOutcome::over_budget) ? r->error
                                                                                               : std::string();
    if (r) {
      switch (r->outcome) {
        case RunOutcome::created:
          ++stats_.created;
          break;
        case RunOutcome::cached:
        case RunOutcome::reused:
          ++stats_.cached;
          break;
        case RunOutcome::failed:
          ++stats_.failed;
          break;
        case RunOutcome::over_budget:
          ++stats_.over_budget;
          break;
      }
    } else {
      ++stats_.failed;
    }
  }
}

}  // namespace selfheal::llm
