#include "schema/pg_healing_store.hpp"

#include <algorithm>

#include "schema/detail/pg_access.hpp"

namespace selfheal {

using detail::PgConn;
using detail::PgParams;
using detail::PgRes;

namespace {

constexpr const char* run_columns =
    "id, ts, strategy, fingerprint_id, target, action, action_type, step, decision, reason, outcome, duration_ms, "
    "exit_code, output, error, attempts, verification, rate_before, rate_after, verified_at, approval_id, dry_run, "
    "detail, repeats, last_ts, remediation";

constexpr const char* insert_run =
    "INSERT INTO healing_runs(ts, strategy, fingerprint_id, target, action, action_type, step, decision, reason, "
    "outcome, duration_ms, exit_code, output, error, attempts, verification, rate_before, rate_after, verified_at, "
    "approval_id, dry_run, detail, remediation) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,"
    "$18,$19,$20,$21,$22,$23) RETURNING id";

HealingRun read_run(const PgRes& q, int i) {
  HealingRun r;
  r.id = q.i64(i, 0);
  r.ts = q.i64(i, 1);
  r.strategy = q.str(i, 2);
  r.fingerprint_id = q.str(i, 3);
  r.target = q.str(i, 4);
  r.action = q.str(i, 5);
  r.action_type = q.str(i, 6);
  r.step = static_cast<int>(q.i64(i, 7));
  r.decision = q.str(i, 8);
  r.reason = q.str(i, 9);
  r.outcome = q.str(i, 10);
  r.duration_ms = q.i64(i, 11);
  r.exit_code = static_cast<int>(q.i64(i, 12));
  r.output = q.str(i, 13);
  r.error = q.str(i, 14);
  r.attempts = static_cast<int>(q.i64(i, 15));
  r.verification = q.str(i, 16);
  r.rate_before = q.f64(i, 17);
  r.rate_after = q.f64(i, 18);
  r.verified_at = q.i64(i, 19);
  r.approval_id = q.i64(i, 20);
  r.dry_run = q.i64(i, 21) != 0;
  r.detail = q.str(i, 22);
  r.repeats = q.i64(i, 23);
  r.last_ts = q.i64(i, 24);
  r.remediation = q.i64(i, 25) != 0;
  return r;
}

std::vector<HealingRun> read_runs(const PgRes& q) {
  std::vector<HealingRun> out;
  for (int i = 0; i < q.rows(); ++i) out.push_back(read_run(q, i));
  return out;
}

PgParams run_params(const HealingRun& r) {
  return PgParams(std::int64_t{r.ts}, r.strategy, r.fingerprint_id, r.target, r.action, r.action_type, r.step,
                  r.decision, r.reason, r.outcome, std::int64_t{r.duration_ms}, r.exit_code, r.output, r.error,
                  r.attempts, r.verification, r.rate_before, r.rate_after, std::int64_t{r.verified_at},
                  std::int64_t{r.approval_id}, r.dry_run ? 1 : 0, r.detail, r.remediation ? 1 : 0);
}

constexpr const char* approval_columns =
    "id, strategy, fingerprint_id, target, step, action, plan, status, created_at, expires_at, decided_by, "
    "decided_at, note";

ApprovalRow read_approval(const PgRes& q, int i) {
  ApprovalRow a;
  a.id = q.i64(i, 0);
  a.strategy = q.str(i, 1);
  a.fingerprint_id = q.str(i, 2);
  a.target = q.str(i, 3);
  a.step = static_cast<int>(q.i64(i, 4));
  a.action = q.str(i, 5);
  a.plan_json = q.str(i, 6);
  a.status = q.str(i, 7);
  a.created_at = q.i64(i, 8);
  a.expires_at = q.i64(i, 9);
  a.decided_by = q.str(i, 10);
  a.decided_at = q.i64(i, 11);
  a.note = q.str(i, 12);
  return a;
}

std::vector<ApprovalRow> read_approvals(const PgRes& q) {
  std::vector<ApprovalRow> out;
  for (int i = 0; i < q.rows(); ++i) out.push_back(read_approval(q, i));
  return out;
}

std::optional<ApprovalRow> approval_by_id(PgConn& c, std::int64_t id, bool for_update = false) {
  auto q = c.q(std::string("SELECT ") + approval_columns + " FROM approvals WHERE id = $1" +
                   (for_update ? " FOR UPDATE" : ""),
               id);
  if (q.rows() == 0) return std::nullopt;
  return read_approval(q, 0);
}

constexpr const char* throttle_columns =
    "id, strategy, action, fingerprint_id, target, applied_at, restore_at, status, fields, restored_at";

std::vector<ThrottleRow> read_throttles(const PgRes& q) {
  std::vector<ThrottleRow> out;
  for (int i = 0; i < q.rows(); ++i)
    out.push_back(ThrottleRow{q.i64(i, 0), q.str(i, 1), q.str(i, 2), q.str(i, 3), q.str(i, 4), q.i64(i, 5),
                              q.i64(i, 6), q.str(i, 7), q.str(i, 8), q.i64(i, 9)});
  return out;
}

constexpr const char* breaker_columns =
    "strategy, target, phase, consecutive_failures, opened_at, trial_in_flight, opens, updated_at";

std::vector<BreakerRow> read_breakers(const PgRes& q) {
  std::vector<BreakerRow> out;
  for (int i = 0; i < q.rows(); ++i)
    out.push_back(BreakerRow{q.str(i, 0), q.str(i, 1), q.str(i, 2), static_cast<int>(q.i64(i, 3)), q.i64(i, 4),
                             q.i64(i, 5) != 0, static_cast<int>(q.i64(i, 6)), q.i64(i, 7)});
  return out;
}

std::vector<FailoverRow> read_failovers(const PgRes& q) {
  std::vector<FailoverRow> out;
  for (int i = 0; i < q.rows(); ++i)
    out.push_back(FailoverRow{q.str(i, 0), q.str(i, 1), q.str(i, 2), q.i64(i, 3), q.str(i, 4)});
  return out;
}

template <typename T>
std::optional<T> first(std::vector<T> v) {
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}

constexpr const char* counted = " AND (decision = 'ran' OR (decision = 'skipped' AND reason = 'dry_run'))";
constexpr const char* remediation_filter = " AND remediation = 1";

}  // namespace

PgHealingStore::PgHealingStore(std::shared_ptr<PgDb> db) : db_(std::move(db)) {}

namespace {
constexpr std::int64_t decision_lock_space = 727002;  // first key of the two-key advisory locks

// A session-level advisory lock on a connection lent for as long as the lock is held. A crashed
// instance's locks end with its connections.
class PgDecisionLock final : public DecisionLock {
 public:
  PgDecisionLock(PgDb& db, std::string strategy) : lease_(db), strategy_(std::move(strategy)) {
    lease_.conn().q("SELECT pg_advisory_lock($1::INTEGER, hashtext($2))", decision_lock_space, strategy_);
  }
  ~PgDecisionLock() override {
    try {
      lease_.conn().q("SELECT pg_advisory_unlock($1::INTEGER, hashtext($2))", decision_lock_space, strategy_);
    } catch (...) {
      lease_.discard();  // closing the session releases the lock
    }
  }

 private:
  detail::PgLease lease_;
  std::string strategy_;
};
}  // namespace

Result<std::unique_ptr<DecisionLock>> PgHealingStore::lock_decision(std::string_view strategy) {
  try {
    return std::unique_ptr<DecisionLock>(std::make_unique<PgDecisionLock>(*db_, std::string(strategy)));
  } catch (const std::exception& e) {
    return detail::pg_error(e);
  }
}

Result<std::int64_t> PgHealingStore::append(const HealingRun& run) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::int64_t> {
    return c.exec(insert_run, run_params(run)).i64(0, 0);
  });
}

Result<void> PgHealingStore::update(const HealingRun& run) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<void> {
    auto p = run_params(run);
    p.add(std::int64_t{run.id});
    auto r = c.exec(
        "UPDATE healing_runs SET ts=$1, strategy=$2, fingerprint_id=$3, target=$4, action=$5, action_type=$6, step=$7, "
        "decision=$8, reason=$9, outcome=$10, duration_ms=$11, exit_code=$12, output=$13, error=$14, attempts=$15, "
        "verification=$16, rate_before=$17, rate_after=$18, verified_at=$19, approval_id=$20, dry_run=$21, "
        "detail=$22, remediation=$23 WHERE id=$24",
        p);
    if (r.affected() == 0) return make_error(ErrorCode::not_found, "healing run " + std::to_string(run.id));
    return {};
  });
}

Result<std::optional<HealingRun>> PgHealingStore::run(std::int64_t id) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::optional<HealingRun>> {
    return first(read_runs(c.q(std::string("SELECT ") + run_columns + " FROM healing_runs WHERE id = $1", id)));
  });
}

Result<std::vector<HealingRun>> PgHealingStore::runs(const RunQuery& rq) {
  PgParams p;
  auto ph = [&p](auto v) {
    p.add(v);
    return "$" + std::to_string(p.size());
  };
  std::string sql = std::string("SELECT ") + run_columns + " FROM healing_runs WHERE true";
  if (rq.before_id > 0) sql += " AND id < " + ph(std::int64_t{rq.before_id});
  if (!rq.strategy.empty()) sql += " AND strategy = " + ph(rq.strategy);
  if (!rq.fingerprint_id.empty()) sql += " AND fingerprint_id = " + ph(rq.fingerprint_id);
  if (!rq.decision.empty()) sql += " AND decision = " + ph(rq.decision);
  if (!rq.outcome.empty()) sql += " AND outcome = " + ph(rq.outcome);
  if (!rq.reason.empty()) sql += " AND reason = " + ph(rq.reason);
  if (rq.since > 0) sql += " AND ts >= " + ph(std::int64_t{rq.since});
  sql += " ORDER BY id DESC LIMIT " + ph(rq.limit);
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<HealingRun>> { return read_runs(c.exec(sql, p)); });
}

Result<std::int64_t> PgHealingStore::append_skip(const HealingRun& run) {
  return detail::with_tx(*db_, [&](PgConn& c) -> Result<std::int64_t> {
    if (!run.dry_run) {
      auto last = c.q(
          "SELECT id, decision, reason, action, approval_id FROM healing_runs WHERE strategy = $1 AND "
          "fingerprint_id = $2 AND target = $3 ORDER BY id DESC LIMIT 1 FOR UPDATE",
          run.strategy, run.fingerprint_id, run.target);
      if (last.rows() > 0 && last.str(0, 1) == "skipped" && last.str(0, 2) == run.reason &&
          last.str(0, 3) == run.action && last.i64(0, 4) == run.approval_id) {
        const std::int64_t id = last.i64(0, 0);
        c.q("UPDATE healing_runs SET repeats = repeats + 1, last_ts = $1, detail = $2 WHERE id = $3",
            std::int64_t{run.ts}, run.detail, id);
        return id;
      }
    }
    return c.exec(insert_run, run_params(run)).i64(0, 0);
  });
}

Result<std::vector<UnixMs>> PgHealingStore::run_times(std::string_view strategy, UnixMs since, bool remediation_only) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<UnixMs>> {
    auto r = c.q(std::string("SELECT ts FROM healing_runs WHERE strategy = $1 AND ts >= $2") + counted +
                     (remediation_only ? remediation_filter : "") + " ORDER BY ts",
                 strategy, std::int64_t{since});
    std::vector<UnixMs> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.i64(i, 0));
    return out;
  });
}

Result<UnixMs> PgHealingStore::last_run(std::string_view strategy, std::string_view target, bool remediation_only) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<UnixMs> {
    return c
        .q(std::string("SELECT coalesce(max(ts), 0) FROM healing_runs WHERE strategy = $1 AND target = $2") + counted +
               (remediation_only ? remediation_filter : ""),
           strategy, target)
        .i64(0, 0);
  });
}

Result<std::vector<HealingRun>> PgHealingStore::pending_verifications() {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<HealingRun>> {
    return read_runs(
        c.exec(std::string("SELECT ") + run_columns + " FROM healing_runs WHERE verification = 'pending' ORDER BY id"));
  });
}

Result<std::optional<BreakerRow>> PgHealingStore::breaker(std::string_view strategy, std::string_view target) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::optional<BreakerRow>> {
    return first(read_breakers(c.q(
        std::string("SELECT ") + breaker_columns + " FROM healing_breakers WHERE strategy = $1 AND target = $2",
        strategy, target)));
  });
}

Result<void> PgHealingStore::save_breaker(const BreakerRow& b) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<void> {
    c.q("INSERT INTO healing_breakers(strategy, target, phase, consecutive_failures, opened_at, trial_in_flight, "
        "opens, updated_at) VALUES($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT(strategy, target) DO UPDATE SET "
        "phase = excluded.phase, consecutive_failures = excluded.consecutive_failures, opened_at = excluded.opened_at, "
        "trial_in_flight = excluded.trial_in_flight, opens = excluded.opens, updated_at = excluded.updated_at",
        b.strategy, b.target, b.phase, b.consecutive_failures, std::int64_t{b.opened_at}, b.trial_in_flight ? 1 : 0,
        b.opens, std::int64_t{b.updated_at});
    return {};
  });
}

Result<std::vector<BreakerRow>> PgHealingStore::breakers() {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<BreakerRow>> {
    return read_breakers(
        c.exec(std::string("SELECT ") + breaker_columns + " FROM healing_breakers ORDER BY strategy, target"));
  });
}

Result<UnixMs> PgHealingStore::timestamp(std::string_view key) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<UnixMs> {
    auto r = c.q("SELECT value FROM healing_state WHERE key = $1", key);
    return r.rows() > 0 ? r.i64(0, 0) : UnixMs{0};
  });
}

Result<void> PgHealingStore::set_timestamp(std::string_view key, UnixMs value) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<void> {
    c.q("INSERT INTO healing_state(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        key, std::int64_t{value});
    return {};
  });
}

Result<std::int64_t> PgHealingStore::add_throttle(const ThrottleRow& t) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::int64_t> {
    return c
        .q("INSERT INTO throttles(strategy, action, fingerprint_id, target, applied_at, restore_at, status, fields) "
           "VALUES($1,$2,$3,$4,$5,$6,'active',$7) RETURNING id",
           t.strategy, t.action, t.fingerprint_id, t.target, std::int64_t{t.applied_at}, std::int64_t{t.restore_at},
           t.fields_json.empty() ? std::string("{}") : t.fields_json)
        .i64(0, 0);
  });
}

Result<void> PgHealingStore::finish_throttle(std::int64_t id, std::string_view status, UnixMs at) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<void> {
    if (c.q("UPDATE throttles SET status = $2, restored_at = $3 WHERE id = $1", id, status, std::int64_t{at})
            .affected() == 0)
      return make_error(ErrorCode::not_found, "throttle " + std::to_string(id));
    return {};
  });
}

Result<std::vector<ThrottleRow>> PgHealingStore::active_throttles() {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<ThrottleRow>> {
    return read_throttles(c.exec(std::string("SELECT ") + throttle_columns +
                                 " FROM throttles WHERE status = 'active' ORDER BY restore_at, id"));
  });
}

Result<std::vector<ThrottleRow>> PgHealingStore::throttles(std::size_t limit) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<ThrottleRow>> {
    return read_throttles(
        c.q(std::string("SELECT ") + throttle_columns + " FROM throttles ORDER BY id DESC LIMIT $1", limit));
  });
}

Result<std::optional<FailoverRow>> PgHealingStore::failover(std::string_view key) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::optional<FailoverRow>> {
    return first(read_failovers(
        c.q("SELECT key, active, previous, switched_at, last_result FROM failover_state WHERE key = $1", key)));
  });
}

Result<void> PgHealingStore::save_failover(const FailoverRow& f) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<void> {
    c.q("INSERT INTO failover_state(key, active, previous, switched_at, last_result) VALUES($1,$2,$3,$4,$5) "
        "ON CONFLICT(key) DO UPDATE SET active = excluded.active, previous = excluded.previous, "
        "switched_at = excluded.switched_at, last_result = excluded.last_result",
        f.key, f.active, f.previous, std::int64_t{f.switched_at}, f.last_result);
    return {};
  });
}

Result<std::vector<FailoverRow>> PgHealingStore::failovers() {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<FailoverRow>> {
    return read_failovers(c.exec("SELECT key, active, previous, switched_at, last_result FROM failover_state ORDER BY key"));
  });
}

Result<int> PgHealingStore::escalation_step(std::string_view strategy, std::string_view fingerprint_id,
                                            std::string_view target) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<int> {
    auto r = c.q("SELECT step FROM healing_escalations WHERE strategy = $1 AND fingerprint_id = $2 AND target = $3",
                 strategy, fingerprint_id, target);
    return r.rows() > 0 ? static_cast<int>(r.i64(0, 0)) : 0;
  });
}

Result<void> PgHealingStore::set_escalation_step(std::string_view strategy, std::string_view fingerprint_id,
                                                 std::string_view target, int step, UnixMs now) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<void> {
    if (step <= 0)
      c.q("DELETE FROM healing_escalations WHERE strategy = $1 AND fingerprint_id = $2 AND target = $3", strategy,
          fingerprint_id, target);
    else
      c.q("INSERT INTO healing_escalations(strategy, fingerprint_id, target, step, updated_at) VALUES($1,$2,$3,$4,$5) "
          "ON CONFLICT(strategy, fingerprint_id, target) DO UPDATE SET step = excluded.step, "
          "updated_at = excluded.updated_at",
          strategy, fingerprint_id, target, step, std::int64_t{now});
    return {};
  });
}

Result<std::int64_t> PgHealingStore::create_approval(const ApprovalRow& a) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::int64_t> {
    return c
        .q("INSERT INTO approvals(strategy, fingerprint_id, target, step, action, plan, status, created_at, "
           "expires_at) VALUES($1,$2,$3,$4,$5,$6,'pending',$7,$8) RETURNING id",
           a.strategy, a.fingerprint_id, a.target, a.step, a.action,
           a.plan_json.empty() ? std::string("{}") : a.plan_json, std::int64_t{a.created_at},
           std::int64_t{a.expires_at})
        .i64(0, 0);
  });
}

Result<std::optional<ApprovalRow>> PgHealingStore::approval(std::int64_t id) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::optional<ApprovalRow>> { return approval_by_id(c, id); });
}

Result<std::optional<ApprovalRow>> PgHealingStore::latest_approval(std::string_view strategy,
                                                                   std::string_view fingerprint_id, int step) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::optional<ApprovalRow>> {
    return first(read_approvals(c.q(std::string("SELECT ") + approval_columns +
                                        " FROM approvals WHERE strategy = $1 AND fingerprint_id = $2 AND step = $3 "
                                        "ORDER BY id DESC LIMIT 1",
                                    strategy, fingerprint_id, step)));
  });
}

Result<std::vector<ApprovalRow>> PgHealingStore::approvals(std::string_view status, std::size_t limit) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<ApprovalRow>> {
    return read_approvals(c.q(std::string("SELECT ") + approval_columns +
                                  " FROM approvals WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2",
                              status, limit));
  });
}

Result<ApprovalRow> PgHealingStore::decide_approval(std::int64_t id, bool approve, std::string_view by, UnixMs now,
                                                    std::string_view note) {
  // An expiry is kept even though the decision fails: committed separately from the error answer.
  bool expired = false;
  auto r = detail::with_tx(*db_, [&](PgConn& c) -> Result<ApprovalRow> {
    auto cur = approval_by_id(c, id, true);
    if (!cur) return make_error(ErrorCode::not_found, "approval " + std::to_string(id) + " not found");
    if (cur->status == "pending" && now >= cur->expires_at) {
      c.q("UPDATE approvals SET status = 'expired', decided_at = $2 WHERE id = $1", id, std::int64_t{cur->expires_at});
      expired = true;
      cur->status = "expired";
      return *cur;
    }
    if (cur->status != "pending")
      return make_error(ErrorCode::conflict, "approval " + std::to_string(id) + " is " + cur->status);
    c.q("UPDATE approvals SET status = $2, decided_by = $3, decided_at = $4, note = $5 WHERE id = $1", id,
        approve ? "approved" : "rejected", by, std::int64_t{now}, note);
    return *approval_by_id(c, id);
  });
  if (r && expired) return make_error(ErrorCode::conflict, "approval " + std::to_string(id) + " expired");
  return r;
}

Result<std::vector<ApprovalRow>> PgHealingStore::expire_approvals(UnixMs now) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<ApprovalRow>> {
    // One statement: an approval expires once, whichever instance gets there first.
    auto rows = read_approvals(c.q(std::string("UPDATE approvals SET status = 'expired', decided_at = expires_at "
                                               "WHERE status = 'pending' AND expires_at <= $1 RETURNING ") +
                                       approval_columns,
                                   std::int64_t{now}));
    std::sort(rows.begin(), rows.end(), [](const ApprovalRow& a, const ApprovalRow& b) { return a.id < b.id; });
    return rows;
  });
}

Result<void> PgHealingStore::consume_approval(std::int64_t id) {
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<void> {
    if (c.q("UPDATE approvals SET status = 'consumed' WHERE id = $1 AND status = 'approved'", id).affected() == 0)
      return make_error(ErrorCode::conflict, "approval " + std::to_string(id) + " is not approved");
    return {};
  });
}

Result<std::vector<ViewRow>> PgHealingStore::view(std::string_view name, std::size_t limit) {
  if (name != "healing_overview" && name != "recent_healing_activity" && name != "healing_stats")
    return make_error(ErrorCode::bad_input, "unknown view '" + std::string(name) + "'");
  return detail::with_conn(*db_, [&](PgConn& c) -> Result<std::vector<ViewRow>> {
    auto r = c.q("SELECT * FROM " + std::string(name) + " LIMIT $1", limit);
    std::vector<ViewRow> out;
    for (int i = 0; i < r.rows(); ++i) {
      ViewRow row;
      for (int col = 0; col < r.columns(); ++col) {
        ViewCell cell;
        cell.name = r.name(col);
        const Oid t = r.type(col);
        if (r.null(i, col)) {
          cell.kind = ViewCell::Kind::null;
        } else if (t == 20 || t == 21 || t == 23) {  // int8, int2, int4
          cell.kind = ViewCell::Kind::integer;
          cell.integer = r.i64(i, col);
        } else if (t == 700 || t == 701 || t == 1700) {  // float4, float8, numeric
          cell.kind = ViewCell::Kind::real;
          cell.real = r.f64(i, col);
        } else {
          cell.kind = ViewCell::Kind::text;
          cell.text = r.str(i, col);
        }
        row.push_back(std::move(cell));
      }
      out.push_back(std::move(row));
    }
    return out;
  });
}

}  // namespace selfheal
