// SqliteHealingStore against a real database file: history, guard state, approvals, views, restarts.
#include <doctest/doctest.h>

#include "schema/sqlite_db.hpp"
#include "schema/sqlite_healing_store.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;

namespace {

std::shared_ptr<SqliteDb> open_db(const test::TempDir& dir) {
  auto db = SqliteDb::open({dir.file("selfheal.db")});
  REQUIRE(db);
  return *db;
}

HealingRun make_run(const std::string& strategy, const std::string& target, const std::string& decision,
                    const std::string& reason, UnixMs ts) {
  HealingRun r;
  r.ts = ts;
  r.strategy = strategy;
  r.fingerprint_id = "fp1";
  r.target = target;
  r.action = "exec";
  r.action_type = "exec";
  r.decision = decision;
  r.reason = reason;
  return r;
}

}  // namespace

TEST_CASE("healing runs are appended, updated, filtered and paged newest first") {
  test::TempDir dir;
  SqliteHealingStore s(open_db(dir));
  const UnixMs t = 1'700'000'000'000;
  for (int i = 0; i < 5; ++i) REQUIRE(s.append(make_run("restart", "api", "skipped", "cooldown", t + i)));
  auto id = s.append(make_run("restart", "api", "ran", "", t + 10));
  REQUIRE(id);
  auto run = s.run(*id);
  REQUIRE(run);
  REQUIRE(*run);
  HealingRun r = **run;
  r.outcome = "success";
  r.verification = "pending";
  r.output = "ok";
  REQUIRE(s.update(r));
  CHECK((*s.run(*id))->outcome == "success");
  CHECK(s.pending_verifications()->size() == 1);

  RunQuery q;
  q.limit = 4;
  auto page1 = s.runs(q);
  REQUIRE(page1);
  REQUIRE(page1->size() == 4);
  CHECK(page1->front().id == *id);
  q.before_id = page1->back().id;
  auto page2 = s.runs(q);
  REQUIRE(page2);
  CHECK(page2->size() == 2);
  CHECK(page2->front().id < page1->back().id);
  RunQuery skipped;
  skipped.reason = "cooldown";
  CHECK(s.runs(skipped)->size() == 5);

  CHECK(*s.last_run("restart", "api") == t + 10);  // skips are not runs
  CHECK(*s.last_run("restart", "db") == 0);
  auto dry = make_run("restart", "db", "skipped", "dry_run", t + 20);
  REQUIRE(s.append(dry));
  CHECK(*s.last_run("restart", "db") == t + 20);  // a dry run counts for cooldown and rate
  CHECK(s.run_times("restart", t)->size() == 2);
  CHECK(s.run_times("restart", t + 11)->size() == 1);

  HealingRun missing;
  missing.id = 999;
  missing.decision = "ran";
  auto u = s.update(missing);
  REQUIRE_FALSE(u);
  CHECK(u.error().code == ErrorCode::not_found);
}

TEST_CASE("breakers, timestamps, throttles and failover state survive reopening the database") {
  test::TempDir dir;
  {
    SqliteHealingStore s(open_db(dir));
    REQUIRE(s.save_breaker({"restart", "api", "open", 3, 1000, false, 1, 1000}));
    REQUIRE(s.set_timestamp("notify:warning:fp1", 42));
    REQUIRE(s.add_throttle({0, "slow", "throttle", "fp1", "api", 10, 20, "active", "{\"service\":\"api\"}", 0}));
    REQUIRE(s.add_throttle({0, "slow", "throttle", "fp2", "db", 10, 15, "active", "{}", 0}));
    REQUIRE(s.save_failover({"fo/failover", "db-replica1", "db-primary", 5, "switched"}));
  }
  SqliteHealingStore s(open_db(dir));
  auto b = s.breaker("restart", "api");
  REQUIRE(b);
  REQUIRE(*b);
  CHECK((*b)->phase == "open");
  CHECK((*b)->consecutive_failures == 3);
  CHECK((*b)->opened_at == 1000);
  CHECK_FALSE(*s.breaker("restart", "db"));
  CHECK(*s.timestamp("notify:warning:fp1") == 42);
  CHECK(*s.timestamp("absent") == 0);
  auto active = s.active_throttles();
  REQUIRE(active);
  REQUIRE(active->size() == 2);
  CHECK(active->front().restore_at == 15);  // soonest first
  REQUIRE(s.finish_throttle(active->front().id, "restored", 16));
  CHECK(s.active_throttles()->size() == 1);
  auto fo = s.failover("fo/failover");
  REQUIRE(fo);
  REQUIRE(*fo);
  CHECK((*fo)->active == "db-replica1");
  CHECK(s.failovers()->size() == 1);
}

TEST_CASE("approvals: pending → approved or rejected with who and when, expiry, consumption") {
  test::TempDir dir;
  SqliteHealingStore s(open_db(dir));
  ApprovalRow a;
  a.strategy = "restart";
  a.fingerprint_id = "fp1";
  a.target = "api";
  a.action = "exec";
  a.plan_json = "{\"argv\":[\"/bin/true\"]}";
  a.created_at = 100;
  a.expires_at = 200;
  auto id1 = s.create_approval(a);
  auto id2 = s.create_approval(a);
  auto id3 = s.create_approval(a);
  REQUIRE((id1 && id2 && id3));

  auto ok = s.decide_approval(*id1, true, "alice", 150, "go");
  REQUIRE(ok);
  CHECK(ok->status == "approved");
  CHECK(ok->decided_by == "alice");
  CHECK(ok->decided_at == 150);
  auto again = s.decide_approval(*id1, false, "bob", 160, "");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::conflict);

  auto no = s.decide_approval(*id2, false, "bob", 160, "not now");
  REQUIRE(no);
  CHECK(no->status == "rejected");

  auto late = s.decide_approval(*id3, true, "carol", 200, "");
  REQUIRE_FALSE(late);
  CHECK(late.error().code == ErrorCode::conflict);
  CHECK((*s.approval(*id3))->status == "expired");

  auto missing = s.decide_approval(9999, true, "x", 1, "");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::not_found);

  a.expires_at = 300;
  auto id4 = s.create_approval(a);
  REQUIRE(id4);
  CHECK(s.expire_approvals(299)->empty());
  auto expired = s.expire_approvals(300);
  REQUIRE(expired);
  REQUIRE(expired->size() == 1);
  CHECK(expired->front().id == *id4);
  CHECK((*s.latest_approval("restart", "fp1", 0))->id == *id4);

  REQUIRE(s.consume_approval(*id1));
  CHECK((*s.approval(*id1))->status == "consumed");
  CHECK_FALSE(s.consume_approval(*id1));
  CHECK(s.approvals("pending", 10)->empty());
  CHECK(s.approvals("", 10)->size() == 4);
}

TEST_CASE("the seed views answer: overview, recent activity, stats with success rates") {
  test::TempDir dir;
  SqliteHealingStore s(open_db(dir));
  const UnixMs now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  auto r1 = make_run("restart", "api", "ran", "", now);
  r1.outcome = "success";
  r1.verification = "verified";
  auto r2 = make_run("restart", "api", "ran", "", now);
  r2.outcome = "failure";
  auto r3 = make_run("restart", "api", "skipped", "cooldown", now);
  for (const auto& r : {r1, r2, r3}) REQUIRE(s.append(r));
  auto stats = s.view("healing_stats", 10);
  REQUIRE(stats);
  REQUIRE(stats->size() == 1);
  double rate = -1;
  std::int64_t runs = -1;
  for (const auto& c : stats->front()) {
    if (c.name == "success_rate") rate = c.real;
    if (c.name == "runs") runs = c.integer;
  }
  CHECK(runs == 2);
  CHECK(rate == doctest::Approx(0.5));
  auto recent = s.view("recent_healing_activity", 10);
  REQUIRE(recent);
  CHECK(recent->size() == 3);
  auto overview = s.view("healing_overview", 10);
  REQUIRE(overview);  // no fingerprint rows in this database: empty but valid
  CHECK(overview->empty());
  CHECK_FALSE(s.view("fingerprints", 10));
}

TEST_CASE("identical consecutive skips share one row with a count; anything else starts a new row") {
  test::TempDir dir;
  auto db = *SqliteDb::open({dir.file("h.db")});
  SqliteHealingStore s(db);
  const UnixMs t = 1'700'000'000'000;
  for (int i = 0; i < 1000; ++i) REQUIRE(s.append_skip(make_run("restart", "api", "skipped", "cooldown", t + i)));
  RunQuery all;
  all.limit = 10000;
  auto rows = *s.runs(all);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].repeats == 1000);
  CHECK(rows[0].ts == t);
  CHECK(rows[0].last_ts == t + 999);
  // A different reason, another target, or a run in between each start a new row.
  REQUIRE(s.append_skip(make_run("restart", "api", "skipped", "rate_limited", t + 1000)));
  REQUIRE(s.append_skip(make_run("restart", "db", "skipped", "cooldown", t + 1001)));
  REQUIRE(s.append(make_run("restart", "api", "ran", "", t + 1002)));
  REQUIRE(s.append_skip(make_run("restart", "api", "skipped", "rate_limited", t + 1003)));
  rows = *s.runs(all);
  CHECK(rows.size() == 5);
  // Dry runs are never folded: each one counts for the rate limit.
  auto dry = make_run("restart", "x", "skipped", "dry_run", t + 2000);
  dry.dry_run = true;
  REQUIRE(s.append_skip(dry));
  REQUIRE(s.append_skip(dry));
  CHECK(s.run_times("restart", t + 2000)->size() == 2);
}

TEST_CASE("the escalation step is persisted per (strategy, fingerprint, target) and cleared at 0") {
  test::TempDir dir;
  {
    auto db = *SqliteDb::open({dir.file("h.db")});
    SqliteHealingStore s(db);
    CHECK(*s.escalation_step("restart", "fp1", "api") == 0);
    REQUIRE(s.set_escalation_step("restart", "fp1", "api", 2, 1));
    REQUIRE(s.set_escalation_step("restart", "fp1", "db", 1, 1));
  }
  auto db = *SqliteDb::open({dir.file("h.db")});
  SqliteHealingStore s(db);
  CHECK(*s.escalation_step("restart", "fp1", "api") == 2);
  CHECK(*s.escalation_step("restart", "fp1", "db") == 1);
  REQUIRE(s.set_escalation_step("restart", "fp1", "api", 0, 2));
  CHECK(*s.escalation_step("restart", "fp1", "api") == 0);
}
