#include "schema/sqlite_suggestion_store.hpp"

#include "schema/detail/sqlite_access.hpp"

namespace selfheal {
namespace {

constexpr const char* suggestion_columns =
    "id, fingerprint_id, status, summary, root_cause, suggested_fix, evidence, model_confidence, confidence, "
    "confidence_detail, provider, model, context_hash, cache_key, prompt_tokens, completion_tokens, cost_usd, "
    "latency_ms, requested_by, created_at, reviewed_by, reviewed_at, review_comment, applied_by, applied_at, "
    "apply_comment, raw";

StoredSuggestion read_suggestion(SQLite::Statement& q) {
  StoredSuggestion s;
  int i = 0;
  s.id = q.getColumn(i++).getInt64();
  s.fingerprint_id = q.getColumn(i++).getString();
  s.status = q.getColumn(i++).getString();
  s.summary = q.getColumn(i++).getString();
  s.root_cause = q.getColumn(i++).getString();
  s.suggested_fix = q.getColumn(i++).getString();
  s.evidence_json = q.getColumn(i++).getString();
  s.model_confidence = q.getColumn(i++).getDouble();
  s.confidence = q.getColumn(i++).getDouble();
  s.confidence_detail_json = q.getColumn(i++).getString();
  s.provider = q.getColumn(i++).getString();
  s.model = q.getColumn(i++).getString();
  s.context_hash = q.getColumn(i++).getString();
  s.cache_key = q.getColumn(i++).getString();
  s.prompt_tokens = q.getColumn(i++).getInt64();
  s.completion_tokens = q.getColumn(i++).getInt64();
  s.cost_usd = q.getColumn(i++).getDouble();
  s.latency_ms = q.getColumn(i++).getInt64();
  s.requested_by = q.getColumn(i++).getString();
  s.created_at = q.getColumn(i++).getInt64();
  s.reviewed_by = q.getColumn(i++).getString();
  s.reviewed_at = q.getColumn(i++).getInt64();
  s.review_comment = q.getColumn(i++).getString();
  s.applied_by = q.getColumn(i++).getString();
  s.applied_at = q.getColumn(i++).getInt64();
  s.apply_comment = q.getColumn(i++).getString();
  s.raw = q.getColumn(i++).getString();
  return s;
}

std::optional<StoredSuggestion> one(SQLite::Statement& q) {
  if (!q.executeStep()) return std::nullopt;
  return read_suggestion(q);
}

std::vector<StoredSuggestion> all(SQLite::Statement& q) {
  std::vector<StoredSuggestion> out;
  while (q.executeStep()) out.push_back(read_suggestion(q));
  return out;
}

}  // namespace

SqliteSuggestionStore::SqliteSuggestionStore(std::shared_ptr<SqliteDb> db) : db_(std::move(db)) {}

Result<std::int64_t> SqliteSuggestionStore::insert_suggestion(const StoredSuggestion& s) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<std::int64_t> {
    SQLite::Statement q(db,
                        "INSERT INTO llm_suggestions (fingerprint_id, status, summary, root_cause, suggested_fix, "
                        "evidence, model_confidence, confidence, confidence_detail, provider, model, context_hash, "
                        "cache_key, prompt_tokens, completion_tokens, cost_usd, latency_ms, requested_by, created_at, "
                        "raw) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int i = 1;
    q.bind(i++, s.fingerprint_id);
    q.bind(i++, s.status.empty() ? std::string("proposed") : s.status);
    q.bind(i++, s.summary);
    q.bind(i++, s.root_cause);
    q.bind(i++, s.suggested_fix);
    q.bind(i++, s.evidence_json);
    q.bind(i++, s.model_confidence);
    q.bind(i++, s.confidence);
    q.bind(i++, s.confidence_detail_json);
    q.bind(i++, s.provider);
    q.bind(i++, s.model);
    q.bind(i++, s.context_hash);
    q.bind(i++, s.cache_key);
    q.bind(i++, static_cast<int64_t>(s.prompt_tokens));
    q.bind(i++, static_cast<int64_t>(s.completion_tokens));
    q.bind(i++, s.cost_usd);
    q.bind(i++, static_cast<int64_t>(s.latency_ms));
    q.bind(i++, s.requested_by);
    q.bind(i++, static_cast<int64_t>(s.created_at));
    q.bind(i++, s.raw);
    q.exec();
    return static_cast<std::int64_t>(db.getLastInsertRowid());
  });
}

Result<std::int64_t> SqliteSuggestionStore::record_attempt(const SuggestionAttempt& a) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<std::int64_t> {
    SQLite::Statement q(
        db,
        "INSERT INTO llm_attempts (fingerprint_id, ts, provider, model, outcome, error_code, error, raw, "
        "prompt_tokens, completion_tokens, latency_ms, http_attempts, suggestion_id) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int i = 1;
    q.bind(i++, a.fingerprint_id);
    q.bind(i++, static_cast<int64_t>(a.ts));
    q.bind(i++, a.provider);
    q.bind(i++, a.model);
    q.bind(i++, a.outcome);
    q.bind(i++, a.error_code);
    q.bind(i++, a.error);
    q.bind(i++, a.raw);
    q.bind(i++, static_cast<int64_t>(a.prompt_tokens));
    q.bind(i++, static_cast<int64_t>(a.completion_tokens));
    q.bind(i++, static_cast<int64_t>(a.latency_ms));
    q.bind(i++, a.http_attempts);
    q.bind(i++, static_cast<int64_t>(a.suggestion_id));
    q.exec();
    return static_cast<std::int64_t>(db.getLastInsertRowid());
  });
}

Result<std::optional<StoredSuggestion>> SqliteSuggestionStore::suggestion(std::int64_t id) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::optional<StoredSuggestion>> {
    SQLite::Statement q(db, std::string("SELECT ") + suggestion_columns + " FROM llm_suggestions WHERE id = ?");
    q.bind(1, static_cast<int64_t>(id));
    return one(q);
  });
}

Result<std::optional<StoredSuggestion>> SqliteSuggestionStore::find_cached(std::string_view cache_key) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::optional<StoredSuggestion>> {
    SQLite::Statement q(db, std::string("SELECT ") + suggestion_columns +
                                " FROM llm_suggestions WHERE cache_key = ? AND status != 'rejected' "
                                "ORDER BY id DESC LIMIT 1");
    q.bind(1, std::string(cache_key));
    return one(q);
  });
}

Result<std::optional<StoredSuggestion>> SqliteSuggestionStore::latest_for(std::string_view fingerprint_id) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::optional<StoredSuggestion>> {
    SQLite::Statement q(db, std::string("SELECT ") + suggestion_columns +
                                " FROM llm_suggestions WHERE fingerprint_id = ? AND status != 'rejected' "
                                "ORDER BY id DESC LIMIT 1");
    q.bind(1, std::string(fingerprint_id));
    return one(q);
  });
}

Result<std::vector<StoredSuggestion>> SqliteSuggestionStore::suggestions(const SuggestionQuery& sq) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<StoredSuggestion>> {
    std::string sql = std::string("SELECT ") + suggestion_columns + " FROM llm_suggestions WHERE confidence >= ?";
    if (sq.before_id > 0) sql += " AND id < ?";
    if (!sq.fingerprint_id.empty()) sql += " AND fingerprint_id = ?";
    if (!sq.status.empty()) sql += " AND status = ?";
    sql += " ORDER BY id DESC LIMIT ?";
    SQLite::Statement q(db, sql);
    int i = 1;
    q.bind(i++, sq.min_confidence);
    if (sq.before_id > 0) q.bind(i++, static_cast<int64_t>(sq.before_id));
    if (!sq.fingerprint_id.empty()) q.bind(i++, sq.fingerprint_id);
    if (!sq.status.empty()) q.bind(i++, sq.status);
    q.bind(i++, static_cast<int64_t>(sq.limit));
    return all(q);
  });
}

Result<StoredSuggestion> SqliteSuggestionStore::review(std::int64_t id, std::string_view action, std::string_view who,
                                                       std::string_view comment, UnixMs at) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<StoredSuggestion> {
    SQLite::Transaction tx(db);
    SQLite::Statement sel(db, std::string("SELECT ") + suggestion_columns + " FROM llm_suggestions WHERE id = ?");
    sel.bind(1, static_cast<int64_t>(id));
    auto cur = one(sel);
    if (!cur) return make_error(ErrorCode::not_found, "no suggestion " + std::to_string(id));
    auto next = next_suggestion_status(cur->status, action);
    if (!next) return next.error();
    const bool apply = action == "apply";
    SQLite::Statement up(db, apply ? "UPDATE llm_suggestions SET status = ?, applied_by = ?, applied_at = ?, "
                                     "apply_comment = ? WHERE id = ?"
                                   : "UPDATE llm_suggestions SET status = ?, reviewed_by = ?, reviewed_at = ?, "
                                     "review_comment = ? WHERE id = ?");
    up.bind(1, *next);
    up.bind(2, std::string(who));
    up.bind(3, static_cast<int64_t>(at));
    up.bind(4, std::string(comment));
    up.bind(5, static_cast<int64_t>(id));
    up.exec();
    tx.commit();
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

Result<std::vector<SuggestionAttempt>> SqliteSuggestionStore::attempts(std::string_view fingerprint_id,
                                                                       std::size_t limit) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<SuggestionAttempt>> {
    SQLite::Statement q(
        db,
        "SELECT id, fingerprint_id, ts, provider, model, outcome, error_code, error, raw, prompt_tokens, "
        "completion_tokens, latency_ms, http_attempts, suggestion_id FROM llm_attempts "
        "WHERE fingerprint_id = ? ORDER BY id DESC LIMIT ?");
    q.bind(1, std::string(fingerprint_id));
    q.bind(2, static_cast<int64_t>(limit));
    std::vector<SuggestionAttempt> out;
    while (q.executeStep()) {
      SuggestionAttempt a;
      int i = 0;
      a.id = q.getColumn(i++).getInt64();
      a.fingerprint_id = q.getColumn(i++).getString();
      a.ts = q.getColumn(i++).getInt64();
      a.provider = q.getColumn(i++).getString();
      a.model = q.getColumn(i++).getString();
      a.outcome = q.getColumn(i++).getString();
      a.error_code = q.getColumn(i++).getString();
      a.error = q.getColumn(i++).getString();
      a.raw = q.getColumn(i++).getString();
      a.prompt_tokens = q.getColumn(i++).getInt64();
      a.completion_tokens = q.getColumn(i++).getInt64();
      a.latency_ms = q.getColumn(i++).getInt64();
      a.http_attempts = q.getColumn(i++).getInt();
      a.suggestion_id = q.getColumn(i++).getInt64();
      out.push_back(std::move(a));
    }
    return out;
  });
}

Result<std::vector<StoredSuggestion>> SqliteSuggestionStore::reviewed() {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<StoredSuggestion>> {
    SQLite::Statement q(db, std::string("SELECT ") + suggestion_columns +
                                " FROM llm_suggestions WHERE status IN ('accepted','rejected','applied') ORDER BY id");
    return all(q);
  });
}

Result<BudgetUsage> SqliteSuggestionStore::budget(std::string_view day) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<BudgetUsage> {
    SQLite::Statement q(db, "SELECT calls, tokens, cost_usd FROM llm_budget WHERE day = ?");
    q.bind(1, std::string(day));
    BudgetUsage u;
    u.day = day;
    if (q.executeStep()) {
      u.calls = q.getColumn(0).getInt64();
      u.tokens = q.getColumn(1).getInt64();
      u.cost_usd = q.getColumn(2).getDouble();
    }
    return u;
  });
}

Result<void> SqliteSuggestionStore::charge(std::string_view day, std::int64_t calls, std::int64_t tokens,
                                           double cost_usd) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement q(db,
                        "INSERT INTO llm_budget (day, calls, tokens, cost_usd) VALUES (?,?,?,?) "
                        "ON CONFLICT(day) DO UPDATE SET calls = calls + excluded.calls, "
                        "tokens = tokens + excluded.tokens, cost_usd = cost_usd + excluded.cost_usd");
    q.bind(1, std::string(day));
    q.bind(2, static_cast<int64_t>(calls));
    q.bind(3, static_cast<int64_t>(tokens));
    q.bind(4, cost_usd);
    q.exec();
    return ok();
  });
}

}  // namespace selfheal
