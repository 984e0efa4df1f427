#include "schema/sqlite_healing_store.hpp"

#include "schema/detail/sqlite_access.hpp"

namespace selfheal {

namespace {

constexpr const char* run_columns =
    "id, ts, strategy, fingerprint_id, target, action, action_type, step, decision, reason, outcome, duration_ms, "
    "exit_code, output, error, attempts, verification, rate_before, rate_after, verified_at, approval_id, dry_run, "
    "detail, repeats, last_ts, remediation";

HealingRun read_run(SQLite::Statement& q) {
  HealingRun r;
  r.id = q.getColumn(0).getInt64();
  r.ts = q.getColumn(1).getInt64();
  r.strategy = q.getColumn(2).getString();
  r.fingerprint_id = q.getColumn(3).getString();
  r.target = q.getColumn(4).getString();
  r.action = q.getColumn(5).getString();
  r.action_type = q.getColumn(6).getString();
  r.step = q.getColumn(7).getInt();
  r.decision = q.getColumn(8).getString();
  r.reason = q.getColumn(9).getString();
  r.outcome = q.getColumn(10).getString();
  r.duration_ms = q.getColumn(11).getInt64();
  r.exit_code = q.getColumn(12).getInt();
  r.output = q.getColumn(13).getString();
  r.error = q.getColumn(14).getString();
  r.attempts = q.getColumn(15).getInt();
  r.verification = q.getColumn(16).getString();
  r.rate_before = q.getColumn(17).getDouble();
  r.rate_after = q.getColumn(18).getDouble();
  r.verified_at = q.getColumn(19).getInt64();
  r.approval_id = q.getColumn(20).getInt64();
  r.dry_run = q.getColumn(21).getInt() != 0;
  r.detail = q.getColumn(22).getString();
  r.repeats = q.getColumn(23).getInt64();
  r.last_ts = q.getColumn(24).getInt64();
  r.remediation = q.getColumn(25).getInt() != 0;
  return r;
}

void bind_run(SQLite::Statement& q, const HealingRun& r) {
  q.bind(1, static_cast<int64_t>(r.ts));
  q.bind(2, r.strategy);
  q.bind(3, r.fingerprint_id);
  q.bind(4, r.target);
  q.bind(5, r.action);
  q.bind(6, r.action_type);
  q.bind(7, r.step);
  q.bind(8, r.decision);
  q.bind(9, r.reason);
  q.bind(10, r.outcome);
  q.bind(11, static_cast<int64_t>(r.duration_ms));
  q.bind(12, r.exit_code);
  q.bind(13, r.output);
  q.bind(14, r.error);
  q.bind(15, r.attempts);
  q.bind(16, r.verification);
  q.bind(17, r.rate_before);
  q.bind(18, r.rate_after);
  q.bind(19, static_cast<int64_t>(r.verified_at));
  q.bind(20, static_cast<int64_t>(r.approval_id));
  q.bind(21, r.dry_run ? 1 : 0);
  q.bind(22, r.detail);
  q.bind(23, r.remediation ? 1 : 0);
}

constexpr const char* approval_columns =
    "id, strategy, fingerprint_id, target, step, action, plan, status, created_at, expires_at, decided_by, "
    "decided_at, note";

ApprovalRow read_approval(SQLite::Statement& q) {
  ApprovalRow a;
  a.id = q.getColumn(0).getInt64();
  a.strategy = q.getColumn(1).getString();
  a.fingerprint_id = q.getColumn(2).getString();
  a.target = q.getColumn(3).getString();
  a.step = q.getColumn(4).getInt();
  a.action = q.getColumn(5).getString();
  a.plan_json = q.getColumn(6).getString();
  a.status = q.getColumn(7).getString();
  a.created_at = q.getColumn(8).getInt64();
  a.expires_at = q.getColumn(9).getInt64();
  a.decided_by = q.getColumn(10).getString();
  a.decided_at = q.getColumn(11).getInt64();
  a.note = q.getColumn(12).getString();
  return a;
}

std::optional<ApprovalRow> approval_by_id(SQLite::Database& db, std::int64_t id) {
  SQLite::Statement q(db, std::string("SELECT ") + approval_columns + " FROM approvals WHERE id = ?1");
  q.bind(1, static_cast<int64_t>(id));
  if (!q.executeStep()) return std::nullopt;
  return read_approval(q);
}

constexpr const char* throttle_columns =
    "id, strategy, action, fingerprint_id, target, applied_at, restore_at, status, fields, restored_at";

ThrottleRow read_throttle(SQLite::Statement& q) {
  ThrottleRow t;
  t.id = q.getColumn(0).getInt64();
  t.strategy = q.getColumn(1).getString();
  t.action = q.getColumn(2).getString();
  t.fingerprint_id = q.getColumn(3).getString();
  t.target = q.getColumn(4).getString();
  t.applied_at = q.getColumn(5).getInt64();
  t.restore_at = q.getColumn(6).getInt64();
  t.status = q.getColumn(7).getString();
  t.fields_json = q.getColumn(8).getString();
  t.restored_at = q.getColumn(9).getInt64();
  return t;
}

BreakerRow read_breaker(SQLite::Statement& q) {
  BreakerRow b;
  b.strategy = q.getColumn(0).getString();
  b.target = q.getColumn(1).getString();
  b.phase = q.getColumn(2).getString();
  b.consecutive_failures = q.getColumn(3).getInt();
  b.opened_at = q.getColumn(4).getInt64();
  b.trial_in_flight = q.getColumn(5).getInt() != 0;
  b.opens = q.getColumn(6).getInt();
  b.updated_at = q.getColumn(7).getInt64();
  return b;
}

constexpr const char* breaker_columns =
    "strategy, target, phase, consecutive_failures, opened_at, trial_in_flight, opens, updated_at";

}  // namespace

SqliteHealingStore::SqliteHealingStore(std::shared_ptr<SqliteDb> db) : db_(std::move(db)) {}

namespace {
class MutexDecisionLock final : public DecisionLock {
 public:
  explicit MutexDecisionLock(std::mutex& mu) : lock_(mu) {}

 private:
  std::unique_lock<std::mutex> lock_;
};
}  // namespace

Result<std::unique_ptr<DecisionLock>> SqliteHealingStore::lock_decision(std::string_view) {
  return std::unique_ptr<DecisionLock>(std::make_unique<MutexDecisionLock>(decide_mu_));
}

Result<std::int64_t> SqliteHealingStore::append(const HealingRun& run) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<std::int64_t> {
    SQLite::Statement q(db,
                        "INSERT INTO healing_runs(ts, strategy, fingerprint_id, target, action, action_type, step, "
                        "decision, reason, outcome, duration_ms, exit_code, output, error, attempts, verification, "
                        "rate_before, rate_after, verified_at, approval_id, dry_run, detail, remediation) VALUES(?1,?2,?3,"
                        "?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)");
    bind_run(q, run);
    q.exec();
    return static_cast<std::int64_t>(db.getLastInsertRowid());
  });
}

Result<void> SqliteHealingStore::update(const HealingRun& run) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement q(db,
                        "UPDATE healing_runs SET ts=?1, strategy=?2, fingerprint_id=?3, target=?4, action=?5, "
                        "action_type=?6, step=?7, decision=?8, reason=?9, outcome=?10, duration_ms=?11, "
                        "exit_code=?12, output=?13, error=?14, attempts=?15, verification=?16, rate_before=?17, "
                        "rate_after=?18, verified_at=?19, approval_id=?20, dry_run=?21, detail=?22, remediation=?23 WHERE id=?24");
    bind_run(q, run);
    q.bind(24, static_cast<int64_t>(run.id));
    if (q.exec() == 0) return make_error(ErrorCode::not_found, "healing run " + std::to_string(run.id));
    return {};
  });
}

Result<std::optional<HealingRun>> SqliteHealingStore::run(std::int64_t id) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::optional<HealingRun>> {
    SQLite::Statement q(db, std::string("SELECT ") + run_columns + " FROM healing_runs WHERE id = ?1");
    q.bind(1, static_cast<int64_t>(id));
    if (!q.executeStep()) return std::optional<HealingRun>();
    return std::optional<HealingRun>(read_run(q));
  });
}

Result<std::vector<HealingRun>> SqliteHealingStore::runs(const RunQuery& rq) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<HealingRun>> {
    std::string sql = std::string("SELECT ") + run_columns + " FROM healing_runs WHERE 1=1";
    if (rq.before_id > 0) sql += " AND id < :before";
    if (!rq.strategy.empty()) sql += " AND strategy = :strategy";
    if (!rq.fingerprint_id.empty()) sql += " AND fingerprint_id = :fp";
    if (!rq.decision.empty()) sql += " AND decision = :decision";
    if (!rq.outcome.empty()) sql += " AND outcome = :outcome";
    if (!rq.reason.empty()) sql += " AND reason = :reason";
    if (rq.since > 0) sql += " AND ts >= :since";
    sql += " ORDER BY id DESC LIMIT :limit";
    SQLite::Statement q(db, sql);
    if (rq.before_id > 0) q.bind(":before", static_cast<int64_t>(rq.before_id));
    if (!rq.strategy.empty()) q.bind(":strategy", rq.strategy);
    if (!rq.fingerprint_id.empty()) q.bind(":fp", rq.fingerprint_id);
    if (!rq.decision.empty()) q.bind(":decision", rq.decision);
    if (!rq.outcome.empty()) q.bind(":outcome", rq.outcome);
    if (!rq.reason.empty()) q.bind(":reason", rq.reason);
    if (rq.since > 0) q.bind(":since", static_cast<int64_t>(rq.since));
    q.bind(":limit", static_cast<int64_t>(rq.limit));
    std::vector<HealingRun> out;
    while (q.executeStep()) out.push_back(read_run(q));
    return out;
  });
}

Result<std::int64_t> SqliteHealingStore::append_skip(const HealingRun& run) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<std::int64_t> {
    if (!run.dry_run) {
      SQLite::Statement last(db,
                             "SELECT id, decision, reason, action, approval_id FROM healing_runs WHERE strategy = ?1 "
                             "AND fingerprint_id = ?2 AND target = ?3 ORDER BY id DESC LIMIT 1");
      last.bind(1, run.strategy);
      last.bind(2, run.fingerprint_id);
      last.bind(3, run.target);
      if (last.executeStep() && last.getColumn(1).getString() == "skipped" &&
          last.getColumn(2).getString() == run.reason && last.getColumn(3).getString() == run.action &&
          last.getColumn(4).getInt64() == run.approval_id) {
        const std::int64_t id = last.getColumn(0).getInt64();
        SQLite::Statement up(db, "UPDATE healing_runs SET repeats = repeats + 1, last_ts = ?1, detail = ?2 WHERE id = ?3");
        up.bind(1, static_cast<int64_t>(run.ts));
        up.bind(2, run.detail);
        up.bind(3, static_cast<int64_t>(id));
        up.exec();
        return id;
      }
    }
    SQLite::Statement q(db,
                        "INSERT INTO healing_runs(ts, strategy, fingerprint_id, target, action, action_type, step, "
                        "decision, reason, outcome, duration_ms, exit_code, output, error, attempts, verification, "
                        "rate_before, rate_after, verified_at, approval_id, dry_run, detail, remediation) VALUES(?1,?2,?3,"
                        "?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)");
    bind_run(q, run);
    q.exec();
    return static_cast<std::int64_t>(db.getLastInsertRowid());
  });
}

namespace {
constexpr const char* remediation_filter = " AND remediation = 1";
}

Result<std::vector<UnixMs>> SqliteHealingStore::run_times(std::string_view strategy, UnixMs since,
                                                          bool remediation_only) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<UnixMs>> {
    SQLite::Statement q(db, std::string("SELECT ts FROM healing_runs WHERE strategy = ?1 AND ts >= ?2 AND (decision = "
                                        "'ran' OR (decision = 'skipped' AND reason = 'dry_run'))") +
                                (remediation_only ? remediation_filter : "") + " ORDER BY ts");
    q.bind(1, std::string(strategy));
    q.bind(2, static_cast<int64_t>(since));
    std::vector<UnixMs> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).getInt64());
    return out;
  });
}

Result<UnixMs> SqliteHealingStore::last_run(std::string_view strategy, std::string_view target,
                                            bool remediation_only) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<UnixMs> {
    SQLite::Statement q(db, std::string("SELECT coalesce(max(ts), 0) FROM healing_runs WHERE strategy = ?1 AND "
                                        "target = ?2 AND (decision = 'ran' OR (decision = 'skipped' AND reason = "
                                        "'dry_run'))") +
                                (remediation_only ? remediation_filter : ""));
    q.bind(1, std::string(strategy));
    q.bind(2, std::string(target));
    q.executeStep();
    return static_cast<UnixMs>(q.getColumn(0).getInt64());
  });
}

Result<std::vector<HealingRun>> SqliteHealingStore::pending_verifications() {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<HealingRun>> {
    SQLite::Statement q(
        db, std::string("SELECT ") + run_columns + " FROM healing_runs WHERE verification = 'pending' ORDER BY id");
    std::vector<HealingRun> out;
    while (q.executeStep()) out.push_back(read_run(q));
    return out;
  });
}

Result<std::optional<BreakerRow>> SqliteHealingStore::breaker(std::string_view strategy, std::string_view target) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::optional<BreakerRow>> {
    SQLite::Statement q(
        db, std::string("SELECT ") + breaker_columns + " FROM healing_breakers WHERE strategy = ?1 AND target = ?2");
    q.bind(1, std::string(strategy));
    q.bind(2, std::string(target));
    if (!q.executeStep()) return std::optional<BreakerRow>();
    return std::optional<BreakerRow>(read_breaker(q));
  });
}

Result<void> SqliteHealingStore::save_breaker(const BreakerRow& b) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement q(db,
                        "INSERT OR REPLACE INTO healing_breakers(strategy, target, phase, consecutive_failures, "
                        "opened_at, trial_in_flight, opens, updated_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
    q.bind(1, b.strategy);
    q.bind(2, b.target);
    q.bind(3, b.phase);
    q.bind(4, b.consecutive_failures);
    q.bind(5, static_cast<int64_t>(b.opened_at));
    q.bind(6, b.trial_in_flight ? 1 : 0);
    q.bind(7, b.opens);
    q.bind(8, static_cast<int64_t>(b.updated_at));
    q.exec();
    return {};
  });
}

Result<std::vector<BreakerRow>> SqliteHealingStore::breakers() {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<BreakerRow>> {
    SQLite::Statement q(db,
                        std::string("SELECT ") + breaker_columns + " FROM healing_breakers ORDER BY strategy, target");
    std::vector<BreakerRow> out;
    while (q.executeStep()) out.push_back(read_breaker(q));
    return out;
  });
}

Result<UnixMs> SqliteHealingStore::timestamp(std::string_view key) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<UnixMs> {
    SQLite::Statement q(db, "SELECT value FROM healing_state WHERE key = ?1");
    q.bind(1, std::string(key));
    return q.executeStep() ? static_cast<UnixMs>(q.getColumn(0).getInt64()) : UnixMs{0};
  });
}

Result<void> SqliteHealingStore::set_timestamp(std::string_view key, UnixMs value) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement q(db, "INSERT OR REPLACE INTO healing_state(key, value) VALUES(?1, ?2)");
    q.bind(1, std::string(key));
    q.bind(2, static_cast<int64_t>(value));
    q.exec();
    return {};
  });
}

Result<std::int64_t> SqliteHealingStore::add_throttle(const ThrottleRow& t) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<std::int64_t> {
    SQLite::Statement q(db,
                        "INSERT INTO throttles(strategy, action, fingerprint_id, target, applied_at, restore_at, "
                        "status, fields) VALUES(?1,?2,?3,?4,?5,?6,'active',?7)");
    q.bind(1, t.strategy);
    q.bind(2, t.action);
    q.bind(3, t.fingerprint_id);
    q.bind(4, t.target);
    q.bind(5, static_cast<int64_t>(t.applied_at));
    q.bind(6, static_cast<int64_t>(t.restore_at));
    q.bind(7, t.fields_json.empty() ? std::string("{}") : t.fields_json);
    q.exec();
    return static_cast<std::int64_t>(db.getLastInsertRowid());
  });
}

Result<void> SqliteHealingStore::finish_throttle(std::int64_t id, std::string_view status, UnixMs at) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement q(db, "UPDATE throttles SET status = ?2, restored_at = ?3 WHERE id = ?1");
    q.bind(1, static_cast<int64_t>(id));
    q.bind(2, std::string(status));
    q.bind(3, static_cast<int64_t>(at));
    if (q.exec() == 0) return make_error(ErrorCode::not_found, "throttle " + std::to_string(id));
    return {};
  });
}

Result<std::vector<ThrottleRow>> SqliteHealingStore::active_throttles() {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<ThrottleRow>> {
    SQLite::Statement q(db, std::string("SELECT ") + throttle_columns +
                                " FROM throttles WHERE status = 'active' ORDER BY restore_at, id");
    std::vector<ThrottleRow> out;
    while (q.executeStep()) out.push_back(read_throttle(q));
    return out;
  });
}

Result<std::vector<ThrottleRow>> SqliteHealingStore::throttles(std::size_t limit) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<ThrottleRow>> {
    SQLite::Statement q(db, std::string("SELECT ") + throttle_columns + " FROM throttles ORDER BY id DESC LIMIT ?1");
    q.bind(1, static_cast<int64_t>(limit));
    std::vector<ThrottleRow> out;
    while (q.executeStep()) out.push_back(read_throttle(q));
    return out;
  });
}

Result<std::optional<FailoverRow>> SqliteHealingStore::failover(std::string_view key) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::optional<FailoverRow>> {
    SQLite::Statement q(db,
                        "SELECT key, active, previous, switched_at, last_result FROM failover_state WHERE key = ?1");
    q.bind(1, std::string(key));
    if (!q.executeStep()) return std::optional<FailoverRow>();
    return std::optional<FailoverRow>(FailoverRow{q.getColumn(0).getString(), q.getColumn(1).getString(),
                                                  q.getColumn(2).getString(), q.getColumn(3).getInt64(),
                                                  q.getColumn(4).getString()});
  });
}

Result<void> SqliteHealingStore::save_failover(const FailoverRow& f) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement q(db,
                        "INSERT OR REPLACE INTO failover_state(key, active, previous, switched_at, last_result) "
                        "VALUES(?1,?2,?3,?4,?5)");
    q.bind(1, f.key);
    q.bind(2, f.active);
    q.bind(3, f.previous);
    q.bind(4, static_cast<int64_t>(f.switched_at));
    q.bind(5, f.last_result);
    q.exec();
    return {};
  });
}

Result<std::vector<FailoverRow>> SqliteHealingStore::failovers() {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<FailoverRow>> {
    SQLite::Statement q(db, "SELECT key, active, previous, switched_at, last_result FROM failover_state ORDER BY key");
    std::vector<FailoverRow> out;
    while (q.executeStep())
      out.push_back(FailoverRow{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                                q.getColumn(3).getInt64(), q.getColumn(4).getString()});
    return out;
  });
}

Result<int> SqliteHealingStore::escalation_step(std::string_view strategy, std::string_view fingerprint_id,
                                                std::string_view target) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<int> {
    SQLite::Statement q(db,
                        "SELECT step FROM healing_escalations WHERE strategy = ?1 AND fingerprint_id = ?2 AND "
                        "target = ?3");
    q.bind(1, std::string(strategy));
    q.bind(2, std::string(fingerprint_id));
    q.bind(3, std::string(target));
    return q.executeStep() ? q.getColumn(0).getInt() : 0;
  });
}

Result<void> SqliteHealingStore::set_escalation_step(std::string_view strategy, std::string_view fingerprint_id,
                                                     std::string_view target, int step, UnixMs now) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    if (step <= 0) {
      SQLite::Statement q(db,
                          "DELETE FROM healing_escalations WHERE strategy = ?1 AND fingerprint_id = ?2 AND target = ?3");
      q.bind(1, std::string(strategy));
      q.bind(2, std::string(fingerprint_id));
      q.bind(3, std::string(target));
      q.exec();
      return {};
    }
    SQLite::Statement q(db,
                        "INSERT INTO healing_escalations(strategy, fingerprint_id, target, step, updated_at) "
                        "VALUES(?1,?2,?3,?4,?5) ON CONFLICT(strategy, fingerprint_id, target) DO UPDATE SET "
                        "step = excluded.step, updated_at = excluded.updated_at");
    q.bind(1, std::string(strategy));
    q.bind(2, std::string(fingerprint_id));
    q.bind(3, std::string(target));
    q.bind(4, step);
    q.bind(5, static_cast<int64_t>(now));
    q.exec();
    return {};
  });
}

Result<std::int64_t> SqliteHealingStore::create_approval(const ApprovalRow& a) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<std::int64_t> {
    SQLite::Statement q(db,
                        "INSERT INTO approvals(strategy, fingerprint_id, target, step, action, plan, status, "
                        "created_at, expires_at) VALUES(?1,?2,?3,?4,?5,?6,'pending',?7,?8)");
    q.bind(1, a.strategy);
    q.bind(2, a.fingerprint_id);
    q.bind(3, a.target);
    q.bind(4, a.step);
    q.bind(5, a.action);
    q.bind(6, a.plan_json.empty() ? std::string("{}") : a.plan_json);
    q.bind(7, static_cast<int64_t>(a.created_at));
    q.bind(8, static_cast<int64_t>(a.expires_at));
    q.exec();
    return static_cast<std::int64_t>(db.getLastInsertRowid());
  });
}

Result<std::optional<ApprovalRow>> SqliteHealingStore::approval(std::int64_t id) {
  return detail::with_reader(
      *db_, [&](SQLite::Database& db) -> Result<std::optional<ApprovalRow>> { return approval_by_id(db, id); });
}

Result<std::optional<ApprovalRow>> SqliteHealingStore::latest_approval(std::string_view strategy,
                                                                       std::string_view fingerprint_id, int step) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::optional<ApprovalRow>> {
    SQLite::Statement q(db, std::string("SELECT ") + approval_columns +
                                " FROM approvals WHERE strategy = ?1 AND fingerprint_id = ?2 AND step = ?3 ORDER BY "
                                "id DESC LIMIT 1");
    q.bind(1, std::string(strategy));
    q.bind(2, std::string(fingerprint_id));
    q.bind(3, step);
    if (!q.executeStep()) return std::optional<ApprovalRow>();
    return std::optional<ApprovalRow>(read_approval(q));
  });
}

Result<std::vector<ApprovalRow>> SqliteHealingStore::approvals(std::string_view status, std::size_t limit) {
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<ApprovalRow>> {
    SQLite::Statement q(db, std::string("SELECT ") + approval_columns +
                                " FROM approvals WHERE (?1 = '' OR status = ?1) ORDER BY id DESC LIMIT ?2");
    q.bind(1, std::string(status));
    q.bind(2, static_cast<int64_t>(limit));
    std::vector<ApprovalRow> out;
    while (q.executeStep()) out.push_back(read_approval(q));
    return out;
  });
}

Result<ApprovalRow> SqliteHealingStore::decide_approval(std::int64_t id, bool approve, std::string_view by, UnixMs now,
                                                        std::string_view note) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<ApprovalRow> {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    auto cur = approval_by_id(db, id);
    if (!cur) return make_error(ErrorCode::not_found, "approval " + std::to_string(id) + " not found");
    if (cur->status == "pending" && now >= cur->expires_at) {
      SQLite::Statement e(db, "UPDATE approvals SET status = 'expired', decided_at = ?2 WHERE id = ?1");
      e.bind(1, static_cast<int64_t>(id));
      e.bind(2, static_cast<int64_t>(cur->expires_at));
      e.exec();
      tx.commit();
      return make_error(ErrorCode::conflict, "approval " + std::to_string(id) + " expired");
    }
    if (cur->status != "pending")
      return make_error(ErrorCode::conflict, "approval " + std::to_string(id) + " is " + cur->status);
    SQLite::Statement u(db,
                        "UPDATE approvals SET status = ?2, decided_by = ?3, decided_at = ?4, note = ?5 WHERE id = ?1");
    u.bind(1, static_cast<int64_t>(id));
    u.bind(2, approve ? "approved" : "rejected");
    u.bind(3, std::string(by));
    u.bind(4, static_cast<int64_t>(now));
    u.bind(5, std::string(note));
    u.exec();
    auto after = approval_by_id(db, id);
    tx.commit();
    return *after;
  });
}

Result<std::vector<ApprovalRow>> SqliteHealingStore::expire_approvals(UnixMs now) {
  // Called on every healer tick: look on the reader first so the writer is only taken when needed.
  auto any = detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<bool> {
    SQLite::Statement q(db, "SELECT 1 FROM approvals WHERE status = 'pending' AND expires_at <= ?1 LIMIT 1");
    q.bind(1, static_cast<int64_t>(now));
    return q.executeStep();
  });
  if (!any) return any.error();
  if (!*any) return std::vector<ApprovalRow>{};
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<std::vector<ApprovalRow>> {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement q(db, std::string("SELECT ") + approval_columns +
                                " FROM approvals WHERE status = 'pending' AND expires_at <= ?1 ORDER BY id");
    q.bind(1, static_cast<int64_t>(now));
    std::vector<ApprovalRow> out;
    while (q.executeStep()) out.push_back(read_approval(q));
    SQLite::Statement u(db, "UPDATE approvals SET status = 'expired', decided_at = expires_at WHERE id = ?1");
    for (auto& a : out) {
      u.bind(1, static_cast<int64_t>(a.id));
      u.exec();
      u.reset();
      a.status = "expired";
      a.decided_at = a.expires_at;
    }
    tx.commit();
    return out;
  });
}

Result<void> SqliteHealingStore::consume_approval(std::int64_t id) {
  return detail::with_writer(*db_, [&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement u(db, "UPDATE approvals SET status = 'consumed' WHERE id = ?1 AND status = 'approved'");
    u.bind(1, static_cast<int64_t>(id));
    if (u.exec() == 0) return make_error(ErrorCode::conflict, "approval " + std::to_string(id) + " is not approved");
    return {};
  });
}

Result<std::vector<SqliteHealingStore::ViewRow>> SqliteHealingStore::view(std::string_view name, std::size_t limit) {
  if (name != "healing_overview" && name != "recent_healing_activity" && name != "healing_stats")
    return make_error(ErrorCode::bad_input, "unknown view");
  return detail::with_reader(*db_, [&](SQLite::Database& db) -> Result<std::vector<ViewRow>> {
    SQLite::Statement q(db, "SELECT * FROM " + std::string(name) + " LIMIT ?1");
    q.bind(1, static_cast<int64_t>(limit));
    std::vector<ViewRow> out;
    while (q.executeStep()) {
      ViewRow row;
      for (int i = 0; i < q.getColumnCount(); ++i) {
        auto c = q.getColumn(i);
        ViewCell cell;
        cell.name = q.getColumnName(i);
        if (c.isNull())
          cell.kind = ViewCell::Kind::null;
        else if (c.isInteger()) {
          cell.kind = ViewCell::Kind::integer;
          cell.integer = c.getInt64();
        } else if (c.isFloat()) {
          cell.kind = ViewCell::Kind::real;
          cell.real = c.getDouble();
        } else {
          cell.kind = ViewCell::Kind::text;
          cell.text = c.getString();
        }
        row.push_back(std::move(cell));
      }
      out.push_back(std::move(row));
    }
    return out;
  });
}

}  // namespace selfheal
