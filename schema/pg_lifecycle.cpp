#include "schema/pg_lifecycle.hpp"

#include <nlohmann/json.hpp>

#include "schema/detail/pg_access.hpp"

namespace selfheal {

using detail::PgConn;
using detail::PgRes;

namespace {
void audit_row(PgConn& c, UnixMs now, const std::string& actor, const std::string& action, const std::string& subject,
               const std::string& detail) {
  c.q("INSERT INTO audit_log(ts, actor, action, subject, detail) VALUES($1,$2,$3,$4,$5)", std::int64_t{now},
      actor.empty() ? std::string("anonymous") : actor, action, subject, detail);
}
Error not_found(const std::string& id) { return Error{ErrorCode::not_found, "fingerprint " + id + " not found"}; }

std::vector<AuditEntry> audit_rows(const PgRes& r) {
  std::vector<AuditEntry> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.i64(i, 0), r.i64(i, 1), r.str(i, 2), r.str(i, 3), r.str(i, 4), r.str(i, 5)});
  return out;
}

std::vector<std::string> strings(const PgRes& r) {
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.str(i, 0));
  return out;
}
}  // namespace

PgLifecycle::PgLifecycle(std::shared_ptr<PgDb> db, const Clock& clock) : db_(std::move(db)), clock_(clock) {}

Result<void> PgLifecycle::resolve(const std::string& id, const std::string& actor) {
  const UnixMs now = clock_.now_ms();
  return detail::with_tx(*db_, [&](PgConn& c) -> Result<void> {
    if (c.q("UPDATE fingerprints SET status='resolved', resolved_at=$2, status_changed_at=$2, status_changed_by=$3, "
            "ignore_until_ms=0, ignore_until_count=0, ignore_rate_per_min=0 WHERE id=$1",
            id, std::int64_t{now}, actor)
            .affected() == 0)
      return not_found(id);
    audit_row(c, now, actor, "resolve", id, "");
    return {};
  });
}

Result<void> PgLifecycle::unresolve(const std::string& id, const std::string& actor) {
  const UnixMs now = clock_.now_ms();
  return detail::with_tx(*db_, [&](PgConn& c) -> Result<void> {
    if (c.q("UPDATE fingerprints SET status='unresolved', status_changed_at=$2, status_changed_by=$3, "
            "ignore_until_ms=0, ignore_until_count=0, ignore_rate_per_min=0 WHERE id=$1",
            id, std::int64_t{now}, actor)
            .affected() == 0)
      return not_found(id);
    audit_row(c, now, actor, "unresolve", id, "");
    return {};
  });
}

Result<void> PgLifecycle::ignore(const std::string& id, const IgnoreSpec& spec, const std::string& actor) {
  const UnixMs now = clock_.now_ms();
  if (spec.until_ms < 0 || spec.more_events < 0 || spec.rate_per_min < 0)
    return Error{ErrorCode::bad_input, "ignore bounds must not be negative"};
  return detail::with_tx(*db_, [&](PgConn& c) -> Result<void> {
    if (c.q("UPDATE fingerprints SET status='ignored', status_changed_at=$2, status_changed_by=$3, "
            "ignore_until_ms=$4, ignore_until_count=CASE WHEN $5::BIGINT > 0 THEN count + $5::BIGINT ELSE 0 END, "
            "ignore_rate_per_min=$6 WHERE id=$1",
            id, std::int64_t{now}, actor, std::int64_t{spec.until_ms}, std::int64_t{spec.more_events},
            std::int64_t{spec.rate_per_min})
            .affected() == 0)
      return not_found(id);
    audit_row(c, now, actor, "ignore", id,
              "until_ms=" + std::to_string(spec.until_ms) + " more_events=" + std::to_string(spec.more_events) +
                  " rate_per_min=" + std::to_string(spec.rate_per_min));
    return {};
  });
}

Result<void> PgLifecycle::merge(const std::string& source, const std::string& target, const std::string& actor) {
  const UnixMs now = clock_.now_ms();
  if (source == target) return Error{ErrorCode::bad_input, "cannot merge a fingerprint into itself"};
  return detail::with_tx(*db_, [&](PgConn& c) -> Result<void> {
    // Merges serialise fleet-wide (a transaction-scoped advisory lock): two at once could form a chain.
    c.exec("SELECT pg_advisory_xact_lock(727001)");
    auto found = c.q("SELECT id FROM fingerprints WHERE id = $1 OR id = $2", source, target);
    bool has_source = false, has_target = false;
    for (int i = 0; i < found.rows(); ++i) {
      has_source = has_source || found.str(i, 0) == source;
      has_target = has_target || found.str(i, 0) == target;
    }
    if (!has_source) return not_found(source);
    if (!has_target) return not_found(target);
    std::string final_target = target;
    if (auto t = c.q("SELECT target_id FROM merges WHERE source_id = $1", target); t.rows() > 0)
      final_target = t.str(0, 0);
    if (final_target == source) return Error{ErrorCode::conflict, "target is already merged into the source"};
    if (auto a = c.q("SELECT target_id FROM merges WHERE source_id = $1", source); a.rows() > 0)
      return Error{ErrorCode::conflict,
                   "fingerprint " + source + " is already merged into " + a.str(0, 0) + "; unmerge it first"};
    c.q("UPDATE fingerprints SET merged_count = merged_count + (SELECT count + merged_count FROM fingerprints "
        "WHERE id = $1) WHERE id = $2",
        source, final_target);
    c.q("UPDATE fingerprints SET merged_count = 0 WHERE id = $1", source);
    c.q("INSERT INTO merges(source_id, target_id, created_at, created_by) VALUES($1,$2,$3,$4) "
        "ON CONFLICT(source_id) DO UPDATE SET target_id=excluded.target_id, created_at=excluded.created_at, "
        "created_by=excluded.created_by",
        source, final_target, std::int64_t{now}, actor);
    c.q("UPDATE fingerprints SET merged_into=$2 WHERE id=$1 OR id IN (SELECT source_id FROM merges WHERE "
        "target_id=$1)",
        source, final_target);
    c.q("UPDATE merges SET target_id=$2 WHERE target_id=$1", source, final_target);
    audit_row(c, now, actor, "merge", source, "into " + final_target);
    return {};
  });
}

Result<void> PgLifecycle::unmerge(const std::string& source, const std::string& actor) {
  const UnixMs now = clock_.now_ms();
  return detail::with_tx(*db_, [&](PgConn& c) -> Result<void> {
    c.exec("SELECT pg_advisory_xact_lock(727001)");
    auto t = c.q("SELECT target_id FROM merges WHERE source_id=$1", source);
    if (t.rows() == 0) return Error{ErrorCode::not_found, "fingerprint " + source + " is not merged"};
    const std::string target = t.str(0, 0);
    c.q("UPDATE fingerprints SET merged_count = GREATEST(0, merged_count - (SELECT count FROM fingerprints WHERE "
        "id = $1)) WHERE id = $2",
        source, target);
    c.q("DELETE FROM merges WHERE source_id=$1", source);
    c.q("UPDATE fingerprints SET merged_into='' WHERE id=$1", source);
    audit_row(c, now, actor, "unmerge", source, "");
    return {};
  });
}

Result<std::unordered_map<std::string, std::string>> PgLifecycle::merges() {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::unordered_map<std::string, std::string>> {
    auto r = c.exec("SELECT source_id, target_id FROM merges");
    std::unordered_map<std::string, std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.emplace(r.str(i, 0), r.str(i, 1));
    return out;
  });
}

Result<std::vector<AuditEntry>> PgLifecycle::audit(std::int64_t after_id, std::size_t limit) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<AuditEntry>> {
    return audit_rows(c.q("SELECT id, ts, actor, action, subject, detail FROM audit_log WHERE id > $1 ORDER BY id "
                          "LIMIT $2",
                          after_id, limit));
  });
}

Result<std::vector<AuditEntry>> PgLifecycle::audit_of(const std::string& subject, std::size_t limit) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<AuditEntry>> {
    return audit_rows(c.q("SELECT id, ts, actor, action, subject, detail FROM audit_log WHERE subject = $1 ORDER BY "
                          "id DESC LIMIT $2",
                          subject, limit));
  });
}

Result<void> PgLifecycle::append_audit(const std::string& actor, const std::string& action, const std::string& subject,
                                       const std::string& detail) {
  const UnixMs now = clock_.now_ms();
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<void> {
    audit_row(c, now, actor, action, subject, detail);
    return {};
  });
}

Result<std::vector<MessageFingerprint>> PgLifecycle::message_fingerprints(std::size_t limit) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<MessageFingerprint>> {
    auto r = c.q(
        "SELECT id, template, first_seen, last_seen, severity, merged_into FROM fingerprints WHERE "
        "exception_type = '' AND frames = '[]' AND id NOT IN (SELECT subject FROM audit_log WHERE "
        "action = 'learned_template') ORDER BY id LIMIT $1",
        limit);
    std::vector<MessageFingerprint> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.str(i, 0), r.str(i, 1), r.i64(i, 2), r.i64(i, 3), static_cast<int>(r.i64(i, 4)), r.str(i, 5)});
    return out;
  });
}

Result<void> PgLifecycle::ensure_learned(const std::string& id, const std::string& template_text,
                                         const MessageFingerprint& like, int algorithm_version) {
  const UnixMs now = clock_.now_ms();
  return detail::with_tx(*db_, [&](PgConn& c) -> Result<void> {
    auto ins = c.q(
        "INSERT INTO fingerprints AS f(id, template, count, first_seen, last_seen, severity, algorithm_version) "
        "VALUES($1, $2, 0, $3, $4, $5, $6) ON CONFLICT(id) DO UPDATE SET "
        "first_seen = LEAST(f.first_seen, excluded.first_seen), last_seen = GREATEST(f.last_seen, excluded.last_seen), "
        "severity = GREATEST(f.severity, excluded.severity) RETURNING (xmax = 0)",
        id, template_text, std::int64_t{like.first_seen}, std::int64_t{like.last_seen}, like.severity,
        algorithm_version);
    // A row the learner creates is marked, so later rounds learn from observed templates only.
    if (ins.rows() > 0 && ins.boolean(0, 0)) audit_row(c, now, "learner", "learned_template", id, template_text);
    return {};
  });
}

Result<std::vector<OldFingerprint>> PgLifecycle::fingerprints_before_version(int algorithm_version) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<OldFingerprint>> {
    auto r = c.q(
        "SELECT f.id, f.algorithm_version, f.merged_into, f.count + f.merged_count, f.first_seen, f.last_seen, "
        "f.severity, s.message, s.service, s.host, s.labels FROM fingerprints f LEFT JOIN LATERAL (SELECT message, "
        "service, host, labels FROM samples WHERE fingerprint_id = f.id ORDER BY (kind = 'first') DESC, ts, slot "
        "LIMIT 1) s ON true WHERE f.algorithm_version < $1 ORDER BY f.count + f.merged_count DESC, f.id",
        algorithm_version);
    std::vector<OldFingerprint> out;
    for (int i = 0; i < r.rows(); ++i) {
      OldFingerprint o;
      o.id = r.str(i, 0);
      o.algorithm_version = static_cast<int>(r.i64(i, 1));
      o.merged_into = r.str(i, 2);
      o.count = r.i64(i, 3);
      o.first_seen = r.i64(i, 4);
      o.last_seen = r.i64(i, 5);
      o.severity = static_cast<int>(r.i64(i, 6));
      if (!r.null(i, 7)) {
        o.sample = r.str(i, 7);
        o.service = r.str(i, 8);
        o.host = r.str(i, 9);
        const auto j = nlohmann::json::parse(r.str(i, 10), nullptr, false);
        if (j.is_object())
          for (auto it = j.begin(); it != j.end(); ++it)
            if (it.value().is_string()) o.labels.emplace_back(it.key(), it.value().get<std::string>());
      }
      out.push_back(std::move(o));
    }
    return out;
  });
}

Result<bool> PgLifecycle::ensure_upgraded(const std::string& id, const std::string& template_text,
                                          const std::string& exception_type, const std::string& frames_json,
                                          const OldFingerprint& from, int algorithm_version) {
  const UnixMs now = clock_.now_ms();
  return detail::with_tx(*db_, [&](PgConn& c) -> Result<bool> {
    const bool created =
        c.q("INSERT INTO fingerprints(id, template, exception_type, frames, count, first_seen, last_seen, severity, "
            "algorithm_version) VALUES($1, $2, $3, $4, 0, $5, $6, $7, $8) ON CONFLICT(id) DO NOTHING",
            id, template_text, exception_type, frames_json, std::int64_t{from.first_seen}, std::int64_t{from.last_seen},
            from.severity, algorithm_version)
            .affected() > 0;
    if (created)
      audit_row(c, now, "upgrade", "upgraded_id", id,
                "from " + from.id + " (algorithm " + std::to_string(from.algorithm_version) + " -> " +
                    std::to_string(algorithm_version) + ")");
    return created;
  });
}

Result<void> PgLifecycle::set_algorithm_version(const std::string& id, int algorithm_version) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<void> {
    c.q("UPDATE fingerprints SET algorithm_version = $2 WHERE id = $1", id, algorithm_version);
    return {};
  });
}

Result<std::vector<std::pair<std::string, std::string>>> PgLifecycle::learned_templates() {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<std::pair<std::string, std::string>>> {
    auto r = c.exec(
        "SELECT id, template FROM fingerprints WHERE id IN (SELECT subject FROM audit_log WHERE "
        "action = 'learned_template')");
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.str(i, 0), r.str(i, 1));
    return out;
  });
}

Result<std::vector<std::string>> PgLifecycle::unmerged_by_people(const std::string& learner) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<std::string>> {
    return strings(c.q("SELECT DISTINCT subject FROM audit_log WHERE action = 'unmerge' AND actor <> $1", learner));
  });
}

}  // namespace selfheal
