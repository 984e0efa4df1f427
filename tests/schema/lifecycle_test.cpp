// Lifecycle with an injected clock (no sleeps): ignore bounds of every kind, merges that conserve counts
// and survive a restart.
#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <set>

#include "schema/sqlite_lifecycle.hpp"
#include "schema/sqlite_store.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;

namespace {
struct Db {
  test::TempDir dir;
  FakeClock clock{1'800'000'000'000};
  std::shared_ptr<SqliteDb> db = *SqliteDb::open({dir.file("l.db")});
  SqliteStore store{db, clock};
  SqliteLifecycle lc{db, clock};
  void events(const std::string& id, int n, UnixMs at = 0) {
    WriteBatch b;
    for (int i = 0; i < n; ++i) {
      LogEvent e;
      e.ts = at ? at : clock.now_ms();
      e.message = "m";
      e.service = "svc";
      b.add(e, FingerprintInfo{id, "t " + id, "", "[]", {}}, Severity::error);
    }
    REQUIRE(store.commit(b).has_value());
  }
  std::string status(const std::string& id) { return (*store.fingerprint(id))->status; }
};
}  // namespace

TEST_CASE("ignore for a duration ends at the first event after it") {
  Db d;
  d.events("a", 1);
  IgnoreSpec s;
  s.until_ms = d.clock.now_ms() + 3'600'000;
  REQUIRE(d.lc.ignore("a", s, "ops").has_value());
  d.clock.advance_ms(1'800'000);
  d.events("a", 5);
  CHECK(d.status("a") == "ignored");
  d.clock.advance_ms(1'800'001);
  d.events("a", 1);
  CHECK(d.status("a") == "unresolved");
}

TEST_CASE("ignore for N more events ends when the Nth arrives") {
  Db d;
  d.events("b", 10);
  IgnoreSpec s;
  s.more_events = 5;
  REQUIRE(d.lc.ignore("b", s, "ops").has_value());
  d.events("b", 4);
  CHECK(d.status("b") == "ignored");
  auto r = d.store.commit([&] {
    WriteBatch b;
    LogEvent e;
    e.ts = d.clock.now_ms();
    b.add(e, FingerprintInfo{"b", "t b", "", "[]", {}}, Severity::error);
    return b;
  }());
  REQUIRE(r.has_value());
  CHECK(r->unignored_ids == std::vector<std::string>{"b"});
  CHECK(d.status("b") == "unresolved");
}

TEST_CASE("ignore until a rate ends on a minute above it, not on a slow trickle") {
  Db d;
  d.events("c", 1);
  IgnoreSpec s;
  s.rate_per_min = 100;
  REQUIRE(d.lc.ignore("c", s, "ops").has_value());
  for (int minute = 0; minute < 10; ++minute) {
    d.clock.advance_ms(60'000);
    d.events("c", 50);
  }
  CHECK(d.status("c") == "ignored");
  d.clock.advance_ms(60'000);
  d.events("c", 101);
  CHECK(d.status("c") == "unresolved");
}

TEST_CASE("merge and unmerge round-trip with counts conserved, and survive a restart") {
  test::TempDir dir;
  FakeClock clock;
  auto total_of = [](SqliteStore& store, const std::string& id) {
    FingerprintQuery q;
    q.now = 1;
    q.limit = 100;
    q.include_merged = true;
    auto page = store.list(q);  // keep the Result alive while iterating its rows
    REQUIRE(page.has_value());
    for (auto& r : page->rows)
      if (r.summary.id == id) return r.total;
    return std::int64_t{-1};
  };
  auto visible_sum = [](SqliteStore& store) {
    FingerprintQuery q;
    q.now = 1;
    q.limit = 100;
    std::int64_t sum = 0;
    auto page = store.list(q);
    REQUIRE(page.has_value());
    for (auto& r : page->rows) sum += r.total;
    return sum;
  };
  {
    auto db = *SqliteDb::open({dir.file("m.db")});
    SqliteStore store(db, clock);
    SqliteLifecycle lc(db, clock);
    WriteBatch b;
    LogEvent e;
    e.ts = 1000;
    for (int i = 0; i < 30; ++i) b.add(e, FingerprintInfo{"x1", "t", "", "[]", {}}, Severity::error);
    for (int i = 0; i < 12; ++i) b.add(e, FingerprintInfo{"y2", "t", "", "[]", {}}, Severity::error);
    for (int i = 0; i < 5; ++i) b.add(e, FingerprintInfo{"z3", "t", "", "[]", {}}, Severity::error);
    REQUIRE(store.commit(b).has_value());
    CHECK(visible_sum(store) == 47);
    REQUIRE(lc.merge("y2", "x1", "ops").has_value());
    REQUIRE(lc.merge("z3", "x1", "ops").has_value());
    CHECK(total_of(store, "x1") == 47);
    CHECK(visible_sum(store) == 47);  // merged ones are folded, not double counted
  }
  {  // restart: the merge is still there
    auto db = *SqliteDb::open({dir.file("m.db")});
    SqliteStore store(db, clock);
    SqliteLifecycle lc(db, clock);
    CHECK(lc.merges()->at("y2") == "x1");
    CHECK(total_of(store, "x1") == 47);
    REQUIRE(lc.unmerge("y2", "ops").has_value());
    CHECK(total_of(store, "x1") == 35);
    CHECK(total_of(store, "y2") == 12);
    CHECK(visible_sum(store) == 47);
  }
  {
    auto db = *SqliteDb::open({dir.file("m.db")});
    SqliteStore store(db, clock);
    CHECK(total_of(store, "y2") == 12);
    CHECK(visible_sum(store) == 47);
  }
}

TEST_CASE("listing paginates with a cursor, without gaps or repeats, in every sort") {
  Db d;
  WriteBatch b;
  for (int i = 0; i < 237; ++i) {
    LogEvent e;
    e.ts = d.clock.now_ms() - i * 1000;
    for (int k = 0; k < 1 + i % 17; ++k)
      b.add(e, FingerprintInfo{"f" + std::to_string(i), "tmpl " + std::to_string(i), "", "[]", {}}, Severity::error);
  }
  REQUIRE(d.store.commit(b).has_value());
  for (auto sort : {FingerprintSort::count, FingerprintSort::last_seen, FingerprintSort::rate}) {
    FingerprintQuery q;
    q.now = d.clock.now_ms();
    q.sort = sort;
    q.limit = 50;
    std::set<std::string> seen;
    std::int64_t prev = INT64_MAX;
    int pages = 0;
    do {
      auto page = d.store.list(q);
      REQUIRE(page.has_value());
      for (auto& r : page->rows) {
        CHECK(seen.insert(r.summary.id).second);
        std::int64_t key = sort == FingerprintSort::count ? r.total
                           : sort == FingerprintSort::last_seen ? r.summary.last_seen
                                                                : r.recent;
        CHECK(key <= prev);
        prev = key;
      }
      q.cursor = page->next_cursor;
      ++pages;
    } while (!q.cursor.empty());
    CHECK(seen.size() == 237);
    CHECK(pages == 5);
  }
  FingerprintQuery bad;
  bad.cursor = "c.notanumber.f1";
  CHECK(d.store.list(bad).error().code == ErrorCode::bad_input);
  bad.cursor = "c.5.'; drop table x";
  CHECK(d.store.list(bad).error().code == ErrorCode::bad_input);
}

TEST_CASE("retention rolls old minutes into hours and prunes beyond the retention") {
  Db d;
  const UnixMs day = 86'400'000;
  d.events("r", 10, d.clock.now_ms() - 3 * day);
  d.events("r", 7, d.clock.now_ms() - 20 * day);
  d.events("r", 4, d.clock.now_ms() - 60'000);
  RetentionPolicy p;
  p.now = d.clock.now_ms();
  p.minute_rollup_after_ms = day;
  p.retention_ms = 14 * day;
  auto rep = d.store.prune(p);
  REQUIRE(rep.has_value());
  CHECK(rep->minutes_rolled_up == 2);
  CHECK(rep->hours_pruned == 1);
  auto minutes = *d.store.series("r", 0, INT64_MAX);
  REQUIRE(minutes.size() == 1);
  CHECK(minutes[0].count == 4);
  auto hours = *d.store.hours("r", 0, INT64_MAX);
  REQUIRE(hours.size() == 1);
  CHECK(hours[0].count == 10);
  CHECK((*d.store.fingerprint("r"))->count == 21);  // the total is never pruned
}

TEST_CASE("retention prunes finished healing history past max(retention, 31 days), never what is still in flight") {
  Db d;
  const UnixMs day = 86'400'000;
  const UnixMs now = d.clock.now_ms();
  {
    SQLite::Database w(d.dir.file("l.db"), SQLite::OPEN_READWRITE);
    auto run = [&](UnixMs ts, const char* outcome, const char* verification) {
      SQLite::Statement q(w, "INSERT INTO healing_runs(ts, strategy, fingerprint_id, decision, outcome, verification) "
                             "VALUES(?1, 's', 'f', 'ran', ?2, ?3)");
      q.bind(1, static_cast<int64_t>(ts));
      q.bind(2, outcome);
      q.bind(3, verification);
      q.exec();
    };
    run(now - 40 * day, "success", "verified");     // pruned
    run(now - 40 * day, "running", "");             // in flight: kept
    run(now - 40 * day, "success", "pending");      // verification pending: kept
    run(now - 20 * day, "failure", "not_verified"); // past retention (14 d) but inside the 31-day guard window: kept
    run(now - 1 * day, "success", "verified");      // kept
    w.exec("INSERT INTO approvals(strategy, fingerprint_id, status, created_at, expires_at) VALUES"
           "('s','f','approved'," + std::to_string(now - 40 * day) + ",0),"   // pruned
           "('s','f','pending'," + std::to_string(now - 40 * day) + ",0)");   // kept
    w.exec("INSERT INTO throttles(strategy, action, fingerprint_id, target, applied_at, restore_at, status) VALUES"
           "('s','a','f','t'," + std::to_string(now - 40 * day) + ",0,'restored'),"  // pruned
           "('s','a','f','t'," + std::to_string(now - 40 * day) + ",0,'active')");   // kept
    w.exec("INSERT INTO llm_attempts(fingerprint_id, ts, provider, model, outcome) VALUES"
           "('f'," + std::to_string(now - 40 * day) + ",'p','m','ok'),"   // pruned
           "('f'," + std::to_string(now - 2 * day) + ",'p','m','ok')");   // kept
  }
  RetentionPolicy p;
  p.now = now;
  p.retention_ms = 14 * day;
  auto rep = d.store.prune(p);
  REQUIRE(rep.has_value());
  CHECK(rep->healing_rows_pruned == 4);
  SQLite::Database r(d.dir.file("l.db"), SQLite::OPEN_READONLY);
  CHECK(r.execAndGet("SELECT count(*) FROM healing_runs").getInt() == 4);
  CHECK(r.execAndGet("SELECT count(*) FROM healing_runs WHERE outcome='success' AND verification='verified'").getInt() == 1);
  CHECK(r.execAndGet("SELECT count(*) FROM approvals WHERE status='pending'").getInt() == 1);
  CHECK(r.execAndGet("SELECT count(*) FROM approvals").getInt() == 1);
  CHECK(r.execAndGet("SELECT count(*) FROM throttles").getInt() == 1);
  CHECK(r.execAndGet("SELECT count(*) FROM llm_attempts").getInt() == 1);
  // A longer retention than the guard window wins.
  p.retention_ms = 60 * day;
  CHECK(d.store.prune(p)->healing_rows_pruned == 0);
}
