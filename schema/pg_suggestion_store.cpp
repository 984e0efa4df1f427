#include "schema/pg_suggestion_store.hpp"

#include "schema/detail/pg_access.hpp"

namespace selfheal {

using detail::PgConn;
using detail::PgParams;
using detail::PgRes;

namespace {

constexpr const char* suggestion_columns =
    "id, fingerprint_id, status, summary, root_cause, suggested_fix, evidence, model_confidence, confidence, "
    "confidence_detail, provider, model, context_hash, cache_key, prompt_tokens, completion_tokens, cost_usd, "
    "latency_ms, requested_by, created_at, reviewed_by, reviewed_at, review_comment, applied_by, applied_at, "
    "apply_comment, raw";

std::vector<StoredSuggestion> all(const PgRes& q) {
  std::vector<StoredSuggestion> out;
  for (int r = 0; r < q.rows(); ++r) {
    StoredSuggestion s;
    int i = 0;
    s.id = q.i64(r, i++);
    s.fingerprint_id = q.str(r, i++);
    s.status = q.str(r, i++);
    s.summary = q.str(r, i++);
    s.root_cause = q.str(r, i++);
    s.suggested_fix = q.str(r, i++);
    s.evidence_json = q.str(r, i++);
    s.model_confidence = q.f64(r, i++);
    s.confidence = q.f64(r, i++);
    s.confidence_detail_json = q.str(r, i++);
    s.provider = q.str(r, i++);
    s.model = q.str(r, i++);
    s.context_hash = q.str(r, i++);
    s.cache_key = q.str(r, i++);
    s.prompt_tokens = q.i64(r, i++);
    s.completion_tokens = q.i64(r, i++);
    s.cost_usd = q.f64(r, i++);
    s.latency_ms = q.i64(r, i++);
    s.requested_by = q.str(r, i++);
    s.created_at = q.i64(r, i++);
    s.reviewed_by = q.str(r, i++);
    s.reviewed_at = q.i64(r, i++);
    s.review_comment = q.str(r, i++);
    s.applied_by = q.str(r, i++);
    s.applied_at = q.i64(r, i++);
    s.apply_comment = q.str(r, i++);
    s.raw = q.str(r, i++);
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<StoredSuggestion> one(const PgRes& q) {
  auto v = all(q);
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}

std::string select_where(const char* where) {
  return std::string("SELECT ") + suggestion_columns + " FROM llm_suggestions WHERE " + where;
}

}  // namespace

PgSuggestionStore::PgSuggestionStore(std::shared_ptr<PgDb> db) : db_(std::move(db)) {}

Result<std::int64_t> PgSuggestionStore::insert_suggestion(const StoredSuggestion& s) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::int64_t> {
    return c
        .q("INSERT INTO llm_suggestions (fingerprint_id, status, summary, root_cause, suggested_fix, evidence, "
           "model_confidence, confidence, confidence_detail, provider, model, context_hash, cache_key, prompt_tokens, "
           "completion_tokens, cost_usd, latency_ms, requested_by, created_at, raw) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,"
           "$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20) RETURNING id",
           s.fingerprint_id, s.status.empty() ? std::string("proposed") : s.status, s.summary, s.root_cause,
           s.suggested_fix, s.evidence_json, s.model_confidence, s.confidence, s.confidence_detail_json, s.provider,
           s.model, s.context_hash, s.cache_key, std::int64_t{s.prompt_tokens}, std::int64_t{s.completion_tokens},
           s.cost_usd, std::int64_t{s.latency_ms}, s.requested_by, std::int64_t{s.created_at}, s.raw)
        .i64(0, 0);
  });
}

Result<std::int64_t> PgSuggestionStore::record_attempt(const SuggestionAttempt& a) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::int64_t> {
    return c
        .q("INSERT INTO llm_attempts (fingerprint_id, ts, provider, model, outcome, error_code, error, raw, "
           "prompt_tokens, completion_tokens, latency_ms, http_attempts, suggestion_id) VALUES ($1,$2,$3,$4,$5,$6,$7,"
           "$8,$9,$10,$11,$12,$13) RETURNING id",
           a.fingerprint_id, std::int64_t{a.ts}, a.provider, a.model, a.outcome, a.error_code, a.error, a.raw,
           std::int64_t{a.prompt_tokens}, std::int64_t{a.completion_tokens}, std::int64_t{a.latency_ms},
           a.http_attempts, std::int64_t{a.suggestion_id})
        .i64(0, 0);
  });
}

Result<std::optional<StoredSuggestion>> PgSuggestionStore::suggestion(std::int64_t id) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::optional<StoredSuggestion>> {
    return one(c.q(select_where("id = $1"), id));
  });
}

Result<std::optional<StoredSuggestion>> PgSuggestionStore::find_cached(std::string_view cache_key) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::optional<StoredSuggestion>> {
    return one(c.q(select_where("cache_key = $1 AND status <> 'rejected' ORDER BY id DESC LIMIT 1"), cache_key));
  });
}

Result<std::optional<StoredSuggestion>> PgSuggestionStore::latest_for(std::string_view fingerprint_id) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::optional<StoredSuggestion>> {
    return one(
        c.q(select_where("fingerprint_id = $1 AND status <> 'rejected' ORDER BY id DESC LIMIT 1"), fingerprint_id));
  });
}

Result<std::vector<StoredSuggestion>> PgSuggestionStore::suggestions(const SuggestionQuery& sq) {
  PgParams p;
  auto ph = [&p](auto v) {
    p.add(v);
    return "$" + std::to_string(p.size());
  };
  std::string sql = select_where("confidence >= ") + ph(sq.min_confidence);
  if (sq.before_id > 0) sql += " AND id < " + ph(std::int64_t{sq.before_id});
  if (!sq.fingerprint_id.empty()) sql += " AND fingerprint_id = " + ph(sq.fingerprint_id);
  if (!sq.status.empty()) sql += " AND status = " + ph(sq.status);
  sql += " ORDER BY id DESC LIMIT " + ph(sq.limit);
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<StoredSuggestion>> { return all(c.exec(sql, p)); });
}

Result<StoredSuggestion> PgSuggestionStore::review(std::int64_t id, std::string_view action, std::string_view who,
                                                   std::string_view comment, UnixMs at) {
  return detail::with_tx(*db_, [&](PgConn& c) -> Result<StoredSuggestion> {
    auto cur = one(c.q(select_where("id = $1 FOR UPDATE"), id));
    if (!cur) return make_error(ErrorCode::not_found, "no suggestion " + std::to_string(id));
    auto next = next_suggestion_status(cur->status, action);
    if (!next) return next.error();
    const bool apply = action == "apply";
    c.q(apply ? "UPDATE llm_suggestions SET status = $1, applied_by = $2, applied_at = $3, apply_comment = $4 WHERE "
                "id = $5"
              : "UPDATE llm_suggestions SET status = $1, reviewed_by = $2, reviewed_at = $3, review_comment = $4 "
                "WHERE id = $5",
        *next, who, std::int64_t{at}, comment, id);
    StoredSuggestion s = *cur;
    s.status = *next;
    if (apply) {
      s.applied_by = who;
      s.applied_at = at;
      s.apply_comment = comment;
    } else {
      s.reviewed_by = who;
      s.reviewed_at = at;
      s.review_comment = comment;
    }
    return s;
  });
}

Result<std::vector<SuggestionAttempt>> PgSuggestionStore::attempts(std::string_view fingerprint_id,
                                                                   std::size_t limit) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<SuggestionAttempt>> {
    auto q = c.q(
        "SELECT id, fingerprint_id, ts, provider, model, outcome, error_code, error, raw, prompt_tokens, "
        "completion_tokens, latency_ms, http_attempts, suggestion_id FROM llm_attempts WHERE fingerprint_id = $1 "
        "ORDER BY id DESC LIMIT $2",
        fingerprint_id, limit);
    std::vector<SuggestionAttempt> out;
    for (int r = 0; r < q.rows(); ++r) {
      SuggestionAttempt a;
      int i = 0;
      a.id = q.i64(r, i++);
      a.fingerprint_id = q.str(r, i++);
      a.ts = q.i64(r, i++);
      a.provider = q.str(r, i++);
      a.model = q.str(r, i++);
      a.outcome = q.str(r, i++);
      a.error_code = q.str(r, i++);
      a.error = q.str(r, i++);
      a.raw = q.str(r, i++);
      a.prompt_tokens = q.i64(r, i++);
      a.completion_tokens = q.i64(r, i++);
      a.latency_ms = q.i64(r, i++);
      a.http_attempts = static_cast<int>(q.i64(r, i++));
      a.suggestion_id = q.i64(r, i++);
      out.push_back(std::move(a));
    }
    return out;
  });
}

Result<std::vector<StoredSuggestion>> PgSuggestionStore::reviewed() {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<StoredSuggestion>> {
    return all(c.exec(select_where("status IN ('accepted','rejected','applied') ORDER BY id")));
  });
}

Result<BudgetUsage> PgSuggestionStore::budget(std::string_view day) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<BudgetUsage> {
    auto q = c.q("SELECT calls, tokens, cost_usd FROM llm_budget WHERE day = $1", day);
    BudgetUsage u;
    u.day = day;
    if (q.rows() > 0) {
      u.calls = q.i64(0, 0);
      u.tokens = q.i64(0, 1);
      u.cost_usd = q.f64(0, 2);
    }
    return u;
  });
}

Result<void> PgSuggestionStore::charge(std::string_view day, std::int64_t calls, std::int64_t tokens, double cost_usd) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<void> {
    c.q("INSERT INTO llm_budget AS b(day, calls, tokens, cost_usd) VALUES ($1,$2,$3,$4) ON CONFLICT(day) DO UPDATE "
        "SET calls = b.calls + excluded.calls, tokens = b.tokens + excluded.tokens, "
        "cost_usd = b.cost_usd + excluded.cost_usd",
        day, calls, tokens, cost_usd);
    return ok();
  });
}

}  // namespace selfheal
