#include "schema/sqlite_lifecycle.hpp"

#include <nlohmann/json.hpp>

#include "schema/detail/sqlite_access.hpp"

namespace selfheal {
namespace {
void audit_row(SQLite::Database& db, UnixMs now, const std::string& actor, const std::string& action,
               const std::string& subject, const std::string& detail) {
  SQLite::Statement q(db, "INSERT INTO audit_log(ts, actor, action, subject, detail) VALUES(?1,?2,?3,?4,?5)");
  q.bind(1, static_cast<int64_t>(now));
  q.bind(2, actor.empty() ? std::string("anonymous") : actor);
  q.bind(3, action);
  q.bind(4, subject);
  q.bind(5, detail);
  q.exec();
}
bool exists(SQLite::Database& db, const std::string& id) {
  SQLite::Statement q(db, "SELECT 1 FROM fingerprints WHERE id = ?1");
  q.bind(1, id);
  return q.executeStep();
}
Error not_found(const std::string& id) { return Error{ErrorCode::not_found, "fingerprint " + id + " not found"}; }
}  // namespace

SqliteLifecycle::SqliteLifecycle(std::shared_ptr<SqliteDb> db, const Clock& clock) : db_(std::move(db)), clock_(clock) {}

Result<void> SqliteLifecycle::resolve(const std::string& id, const std::string& actor) {
  const UnixMs now = clock_.now_ms();
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Transaction tx(db);
    SQLite::Statement q(db,
                        "UPDATE fingerprints SET status='resolved', resolved_at=?2, status_changed_at=?2, "
                        "status_changed_by=?3, ignore_until_ms=0, ignore_until_count=0, ignore_rate_per_min=0 "
                        "WHERE id=?1");
    q.bind(1, id);
    q.bind(2, static_cast<int64_t>(now));
    q.bind(3, actor);
    if (q.exec() == 0) return not_found(id);
    audit_row(db, now, actor, "resolve", id, "");
    tx.commit();
    return {};
  });
}

Result<void> SqliteLifecycle::unresolve(const std::string& id, const std::string& actor) {
  const UnixMs now = clock_.now_ms();
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Transaction tx(db);
    SQLite::Statement q(db,
                        "UPDATE fingerprints SET status='unresolved', status_changed_at=?2, status_changed_by=?3, "
                        "ignore_until_ms=0, ignore_until_count=0, ignore_rate_per_min=0 WHERE id=?1");
    q.bind(1, id);
    q.bind(2, static_cast<int64_t>(now));
    q.bind(3, actor);
    if (q.exec() == 0) return not_found(id);
    audit_row(db, now, actor, "unresolve", id, "");
    tx.commit();
    return {};
  });
}

Result<void> SqliteLifecycle::ignore(const std::string& id, const IgnoreSpec& spec, const std::string& actor) {
  const UnixMs now = clock_.now_ms();
  if (spec.until_ms < 0 || spec.more_events < 0 || spec.rate_per_min < 0)
    return Error{ErrorCode::bad_input, "ignore bounds must not be negative"};
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Transaction tx(db);
    SQLite::Statement q(db,
                        "UPDATE fingerprints SET status='ignored', status_changed_at=?2, status_changed_by=?3, "
                        "ignore_until_ms=?4, ignore_until_count=CASE WHEN ?5 > 0 THEN count + ?5 ELSE 0 END, "
                        "ignore_rate_per_min=?6 WHERE id=?1");
    q.bind(1, id);
    q.bind(2, static_cast<int64_t>(now));
    q.bind(3, actor);
    q.bind(4, static_cast<int64_t>(spec.until_ms));
    q.bind(5, static_cast<int64_t>(spec.more_events));
    q.bind(6, static_cast<int64_t>(spec.rate_per_min));
    if (q.exec() == 0) return not_found(id);
    audit_row(db, now, actor, "ignore", id,
              "until_ms=" + std::to_string(spec.until_ms) + " more_events=" + std::to_string(spec.more_events) +
                  " rate_per_min=" + std::to_string(spec.rate_per_min));
    tx.commit();
    return {};
  });
}

Result<void> SqliteLifecycle::merge(const std::string& source, const std::string& target, const std::string& actor) {
  const UnixMs now = clock_.now_ms();
  if (source == target) return Error{ErrorCode::bad_input, "cannot merge a fingerprint into itself"};
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Transaction tx(db);
    if (!exists(db, source)) return not_found(source);
    if (!exists(db, target)) return not_found(target);
    // Resolve the target through existing merges so chains never form.
    std::string final_target = target;
    {
      SQLite::Statement q(db, "SELECT target_id FROM merges WHERE source_id = ?1");
      q.bind(1, target);
      if (q.executeStep()) final_target = q.getColumn(0).getString();
    }
    if (final_target == source) return Error{ErrorCode::conflict, "target is already merged into the source"};
    {
      SQLite::Statement already(db, "SELECT target_id FROM merges WHERE source_id = ?1");
      already.bind(1, source);
      if (already.executeStep())
        return Error{ErrorCode::conflict, "fingerprint " + source + " is already merged into " +
                                              already.getColumn(0).getString() + "; unmerge it first"};
    }
    // The target shows the source's counts (and those already folded into the source) from now on.
    SQLite::Statement carry(db,
                            "UPDATE fingerprints SET merged_count = merged_count + (SELECT count + merged_count FROM "
                            "fingerprints WHERE id = ?1) WHERE id = ?2");
    carry.bind(1, source);
    carry.bind(2, final_target);
    carry.exec();
    SQLite::Statement zero(db, "UPDATE fingerprints SET merged_count = 0 WHERE id = ?1");
    zero.bind(1, source);
    zero.exec();
    SQLite::Statement ins(db,
                          "INSERT INTO merges(source_id, target_id, created_at, created_by) VALUES(?1,?2,?3,?4) "
                          "ON CONFLICT(source_id) DO UPDATE SET target_id=excluded.target_id, "
                          "created_at=excluded.created_at, created_by=excluded.created_by");
    ins.bind(1, source);
    ins.bind(2, final_target);
    ins.bind(3, static_cast<int64_t>(now));
    ins.bind(4, actor);
    ins.exec();
    // Anything merged into the source now points at the final target (flatten). Rows already merged
    // into the final target say so already: only the source and its own sources change.
    SQLite::Statement mark(db,
                           "UPDATE fingerprints SET merged_into=?2 WHERE id=?1 OR id IN (SELECT source_id FROM merges "
                           "WHERE target_id=?1)");
    mark.bind(1, source);
    mark.bind(2, final_target);
    mark.exec();
    SQLite::Statement flat(db, "UPDATE merges SET target_id=?2 WHERE target_id=?1");
    flat.bind(1, source);
    flat.bind(2, final_target);
    flat.exec();
    audit_row(db, now, actor, "merge", source, "into " + final_target);
    tx.commit();
    return {};
  });
}

Result<void> SqliteLifecycle::unmerge(const std::string& source, const std::string& actor) {
  const UnixMs now = clock_.now_ms();
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Transaction tx(db);
    std::string target;
    {
      SQLite::Statement q(db, "SELECT target_id FROM merges WHERE source_id=?1");
      q.bind(1, source);
      if (!q.executeStep()) return Error{ErrorCode::not_found, "fingerprint " + source + " is not merged"};
      target = q.getColumn(0).getString();
    }
    SQLite::Statement give_back(db,
                                "UPDATE fingerprints SET merged_count = max(0, merged_count - (SELECT count FROM "
                                "fingerprints WHERE id = ?1)) WHERE id = ?2");
    give_back.bind(1, source);
    give_back.bind(2, target);
    give_back.exec();
    SQLite::Statement del(db, "DELETE FROM merges WHERE source_id=?1");
    del.bind(1, source);
    del.exec();
    SQLite::Statement mark(db, "UPDATE fingerprints SET merged_into='' WHERE id=?1");
    mark.bind(1, source);
    mark.exec();
    audit_row(db, now, actor, "unmerge", source, "");
    tx.commit();
    return {};
  });
}

Result<std::unordered_map<std::string, std::string>> SqliteLifecycle::merges() {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::unordered_map<std::string, std::string>> {
    std::unordered_map<std::string, std::string> out;
    SQLite::Statement q(db, "SELECT source_id, target_id FROM merges");
    while (q.executeStep()) out.emplace(q.getColumn(0).getString(), q.getColumn(1).getString());
    return out;
  });
}

namespace {
/// Rows of `SELECT id, ts, actor, action, subject, detail FROM audit_log ...`.
std::vector<AuditEntry> audit_rows(SQLite::Statement& q) {
  std::vector<AuditEntry> out;
  while (q.executeStep())
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getString(),
                   q.getColumn(3).getString(), q.getColumn(4).getString(), q.getColumn(5).getString()});
  return out;
}
}  // namespace

Result<std::vector<AuditEntry>> SqliteLifecycle::audit(std::int64_t after_id, std::size_t limit) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<AuditEntry>> {
    SQLite::Statement q(db,
                        "SELECT id, ts, actor, action, subject, detail FROM audit_log WHERE id > ?1 ORDER BY id "
                        "LIMIT ?2");
    q.bind(1, static_cast<int64_t>(after_id));
    q.bind(2, static_cast<int64_t>(limit));
    return audit_rows(q);
  });
}

Result<std::vector<AuditEntry>> SqliteLifecycle::audit_of(const std::string& subject, std::size_t limit) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<AuditEntry>> {
    SQLite::Statement q(db,
                        "SELECT id, ts, actor, action, subject, detail FROM audit_log WHERE subject = ?1 ORDER BY id "
                        "DESC LIMIT ?2");
    q.bind(1, subject);
    q.bind(2, static_cast<int64_t>(limit));
    return audit_rows(q);
  });
}

Result<void> SqliteLifecycle::append_audit(const std::string& actor, const std::string& action,
                                           const std::string& subject, const std::string& detail) {
  const UnixMs now = clock_.now_ms();
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    audit_row(db, now, actor, action, subject, detail);
    return {};
  });
}

Result<std::vector<SqliteLifecycle::MessageFingerprint>> SqliteLifecycle::message_fingerprints(std::size_t limit) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<MessageFingerprint>> {
    SQLite::Statement q(db,
                        "SELECT id, template, first_seen, last_seen, severity, merged_into FROM fingerprints WHERE "
                        "exception_type = '' AND frames = '[]' AND id NOT IN (SELECT subject FROM audit_log WHERE "
                        "action = 'learned_template') ORDER BY id LIMIT ?1");
    q.bind(1, static_cast<int64_t>(limit));
    std::vector<MessageFingerprint> out;
    while (q.executeStep())
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
                     q.getColumn(3).getInt64(), q.getColumn(4).getInt(), q.getColumn(5).getString()});
    return out;
  });
}

Result<void> SqliteLifecycle::ensure_learned(const std::string& id, const std::string& template_text,
                                             const MessageFingerprint& like, int algorithm_version) {
  const UnixMs now = clock_.now_ms();
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Transaction tx(db);
    SQLite::Statement exists(db, "SELECT 1 FROM fingerprints WHERE id = ?1");
    exists.bind(1, id);
    // A row the learner creates is marked, so later rounds learn from observed templates only.
    if (!exists.executeStep()) audit_row(db, now, "learner", "learned_template", id, template_text);
    SQLite::Statement q(db,
                        "INSERT INTO fingerprints(id, template, count, first_seen, last_seen, severity, algorithm_version) "
                        "VALUES(?1, ?2, 0, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET "
                        "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen), "
                        "severity = max(severity, excluded.severity)");
    q.bind(1, id);
    q.bind(2, template_text);
    q.bind(3, static_cast<int64_t>(like.first_seen));
    q.bind(4, static_cast<int64_t>(like.last_seen));
    q.bind(5, like.severity);
    q.bind(6, algorithm_version);
    q.exec();
    tx.commit();
    return {};
  });
}

Result<std::vector<SqliteLifecycle::OldFingerprint>> SqliteLifecycle::fingerprints_before_version(int algorithm_version) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<OldFingerprint>> {
    SQLite::Statement q(db,
                        "SELECT id, algorithm_version, merged_into, count + merged_count, first_seen, last_seen, "
                        "severity FROM fingerprints WHERE algorithm_version < ?1 ORDER BY count + merged_count DESC, id");
    SQLite::Statement sample(db,
                             "SELECT message, service, host, labels FROM samples WHERE fingerprint_id = ?1 "
                             "ORDER BY kind = 'first' DESC, ts, slot LIMIT 1");
    q.bind(1, algorithm_version);
    std::vector<OldFingerprint> out;
    while (q.executeStep()) {
      OldFingerprint o;
      o.id = q.getColumn(0).getString();
      o.algorithm_version = q.getColumn(1).getInt();
      o.merged_into = q.getColumn(2).getString();
      o.count = q.getColumn(3).getInt64();
      o.first_seen = q.getColumn(4).getInt64();
      o.last_seen = q.getColumn(5).getInt64();
      o.severity = q.getColumn(6).getInt();
      sample.reset();
      sample.bind(1, o.id);
      if (sample.executeStep()) {
        o.sample = sample.getColumn(0).getString();
        o.service = sample.getColumn(1).getString();
        o.host = sample.getColumn(2).getString();
        // Labels as the store wrote them (a flat JSON object of strings); anything else is ignored.
        const auto j = nlohmann::json::parse(sample.getColumn(3).getString(), nullptr, false);
        if (j.is_object())
          for (auto it = j.begin(); it != j.end(); ++it)
            if (it.value().is_string()) o.labels.emplace_back(it.key(), it.value().get<std::string>());
      }
      out.push_back(std::move(o));
    }
    return out;
  });
}

Result<bool> SqliteLifecycle::ensure_upgraded(const std::string& id, const std::string& template_text,
                                              const std::string& exception_type, const std::string& frames_json,
                                              const OldFingerprint& from, int algorithm_version) {
  const UnixMs now = clock_.now_ms();
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<bool> {
    SQLite::Transaction tx(db);
    SQLite::Statement q(db,
                        "INSERT INTO fingerprints(id, template, exception_type, frames, count, first_seen, last_seen, "
                        "severity, algorithm_version) VALUES(?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8) "
                        "ON CONFLICT(id) DO NOTHING");
    q.bind(1, id);
    q.bind(2, template_text);
    q.bind(3, exception_type);
    q.bind(4, frames_json);
    q.bind(5, static_cast<int64_t>(from.first_seen));
    q.bind(6, static_cast<int64_t>(from.last_seen));
    q.bind(7, from.severity);
    q.bind(8, algorithm_version);
    const bool created = q.exec() > 0;
    if (created)
      audit_row(db, now, "upgrade", "upgraded_id", id,
                "from " + from.id + " (algorithm " + std::to_string(from.algorithm_version) + " -> " +
                    std::to_string(algorithm_version) + ")");
    tx.commit();
    return created;
  });
}

Result<void> SqliteLifecycle::set_algorithm_version(const std::string& id, int algorithm_version) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement q(db, "UPDATE fingerprints SET algorithm_version = ?2 WHERE id = ?1");
    q.bind(1, id);
    q.bind(2, algorithm_version);
    q.exec();
    return {};
  });
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteLifecycle::learned_templates() {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<std::pair<std::string, std::string>>> {
    SQLite::Statement q(db,
                        "SELECT id, template FROM fingerprints WHERE id IN (SELECT subject FROM audit_log WHERE "
                        "action = 'learned_template')");
    std::vector<std::pair<std::string, std::string>> out;
    while (q.executeStep()) out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
    return out;
  });
}

Result<std::vector<std::string>> SqliteLifecycle::unmerged_by_people(const std::string& learner) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<std::string>> {
    SQLite::Statement q(db, "SELECT DISTINCT subject FROM audit_log WHERE action = 'unmerge' AND actor <> ?1");
    q.bind(1, learner);
    std::vector<std::string> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  });
}

}  // namespace selfheal
