#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include "schema/sqlite_lifecycle.hpp"
#include "schema/sqlite_store.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;

namespace {
LogEvent event(UnixMs ts, const std::string& msg, const std::string& service = "api", const std::string& src = "t") {
  LogEvent e;
  e.ts = ts;
  e.message = msg;
  e.service = service;
  e.host = "h1";
  e.source = src;
  return e;
}
FingerprintInfo info(const std::string& id, std::vector<std::string> values = {}) {
  return FingerprintInfo{id, "tmpl " + id + " <*>", "", "[]", std::move(values)};
}
std::shared_ptr<SqliteDb> open_db(const test::TempDir& dir) {
  auto db = SqliteDb::open({dir.file("s.db")});
  REQUIRE(db.has_value());
  return *db;
}
}  // namespace

TEST_CASE("a batch of many events becomes one row per fingerprint with exact counts") {
  test::TempDir dir;
  FakeClock clock;
  SqliteStore store(open_db(dir), clock);
  WriteBatch b;
  const UnixMs t0 = 1'700'000'000'000;
  for (int i = 0; i < 1000; ++i) {
    auto e = event(t0 + i * 100, "boom " + std::to_string(i));
    b.count(e, true);
    b.add(e, info(i % 3 == 0 ? "aaaa" : "bbbb", {std::to_string(i % 5)}), Severity::error);
  }
  b.set_position({"t", "p0", "1000"});
  auto r = store.commit(b);
  REQUIRE(r.has_value());
  CHECK(r->events == 1000);
  CHECK(r->new_ids.size() == 2);
  auto a = store.fingerprint("aaaa");
  REQUIRE(a.has_value());
  REQUIRE(a->has_value());
  CHECK((*a)->count == 334);
  CHECK((*a)->first_seen == t0);
  CHECK((*a)->services.at(0).name == "api");
  auto bb = store.fingerprint("bbbb");
  CHECK((*bb)->count == 666);
  auto series = store.series("aaaa", 0, INT64_MAX);
  REQUIRE(series.has_value());
  std::int64_t sum = 0;
  for (auto& m : *series) sum += m.count;
  CHECK(sum == 334);
  CHECK(series->size() == 2);  // 100 s of events span two minutes
  auto pos = store.positions("t");
  REQUIRE(pos.has_value());
  REQUIRE(pos->size() == 1);
  CHECK(pos->at(0).value == "1000");
  auto stats = store.source_stats();
  REQUIRE(stats->size() == 1);
  CHECK(stats->at(0).lines == 1000);
  auto values = store.values("aaaa", 10);
  REQUIRE(values.has_value());
  CHECK(!values->empty());
  auto samples = store.samples("aaaa", 20);
  CHECK(!samples->empty());
  CHECK(samples->size() <= 9);

  // A second commit adds to the same rows: counts accumulate, positions move forward.
  WriteBatch b2;
  auto e = event(t0 + 500'000, "boom again");
  b2.add(e, info("aaaa"), Severity::critical);
  b2.set_position({"t", "p0", "1001"});
  REQUIRE(store.commit(b2).has_value());
  CHECK((*store.fingerprint("aaaa"))->count == 335);
  CHECK((*store.fingerprint("aaaa"))->severity == "critical");
  CHECK(store.positions("t")->at(0).value == "1001");
}

TEST_CASE("samples stay bounded however many events arrive") {
  test::TempDir dir;
  FakeClock clock;
  SqliteStore store(open_db(dir), clock);
  for (int round = 0; round < 50; ++round) {
    WriteBatch b;
    for (int i = 0; i < 20; ++i) b.add(event(1000 + round * 20 + i, "m" + std::to_string(i)), info("cccc"), Severity::error);
    REQUIRE(store.commit(b).has_value());
  }
  auto s = store.samples("cccc", 100);
  REQUIRE(s.has_value());
  CHECK(s->size() <= 9);
  int first = 0;
  for (auto& x : *s) first += x.kind == "first";
  CHECK(first == 3);
  CHECK((*store.fingerprint("cccc"))->count == 1000);
}

TEST_CASE("dead letters are kept with their reason and first bytes, and can be marked replayed") {
  test::TempDir dir;
  FakeClock clock;
  StoreOptions opts;
  opts.max_dead_letter_bytes = 8;
  SqliteStore store(open_db(dir), clock, opts);
  WriteBatch b;
  b.add_dead_letter({0, 0, "loki_push", "bad snappy", "application/x-protobuf", "0123456789abcdef", 16, false});
  REQUIRE(store.commit(b).has_value());
  auto d = store.dead_letters({});
  REQUIRE(d->size() == 1);
  CHECK(d->at(0).payload == "01234567");
  CHECK(d->at(0).size == 16);
  CHECK(d->at(0).reason == "bad snappy");
  REQUIRE(store.mark_replayed(d->at(0).id).has_value());
  CHECK(store.dead_letters({})->at(0).replayed);
  CHECK(store.mark_replayed(999).error().code == ErrorCode::not_found);
}

TEST_CASE("a database written by a newer schema version is refused with a clear message") {
  test::TempDir dir;
  { open_db(dir); }
  {
    SQLite::Database raw(dir.file("s.db"), SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA user_version = 9999");
  }
  auto db = SqliteDb::open({dir.file("s.db")});
  REQUIRE_FALSE(db.has_value());
  CHECK(db.error().code == ErrorCode::config);
  CHECK(db.error().message.find("newer selfheal") != std::string::npos);
}

TEST_CASE("reopening applies no migration twice and keeps the data") {
  test::TempDir dir;
  FakeClock clock;
  {
    SqliteStore store(open_db(dir), clock);
    WriteBatch b;
    b.add(event(1, "x"), info("dddd"), Severity::error);
    REQUIRE(store.commit(b).has_value());
  }
  auto db = open_db(dir);
  CHECK(db->schema_version() == SqliteDb::latest_schema_version());
  SqliteStore store(db, clock);
  CHECK((*store.fingerprint("dddd"))->count == 1);
  CHECK(*db->integrity_ok());
}

TEST_CASE("an event after resolve reopens the fingerprint as a regression, but not within the grace window") {
  test::TempDir dir;
  FakeClock clock(1'000'000);
  StoreOptions opts;
  opts.regression_grace_ms = 60'000;
  auto db = open_db(dir);
  SqliteStore store(db, clock, opts);
  SqliteLifecycle lc(db, clock);
  WriteBatch b;
  b.add(event(1'000'000, "x"), info("eeee"), Severity::error);
  REQUIRE(store.commit(b).has_value());
  REQUIRE(lc.resolve("eeee", "alice").has_value());
  // An in-flight event stamped just after the resolve: inside the grace window, no flap.
  WriteBatch racing;
  racing.add(event(1'000'500, "x"), info("eeee"), Severity::error);
  auto r1 = store.commit(racing);
  CHECK(r1->regressed_ids.empty());
  CHECK((*store.fingerprint("eeee"))->status == "resolved");
  WriteBatch later;
  later.add(event(1'000'000 + 120'000, "x"), info("eeee"), Severity::error);
  auto r2 = store.commit(later);
  REQUIRE(r2->regressed_ids.size() == 1);
  auto fp = *store.fingerprint("eeee");
  CHECK(fp->status == "unresolved");
  CHECK(fp->regressed_at > 0);
  auto audit = lc.audit(0, 10);
  REQUIRE(audit->size() == 1);
  CHECK(audit->at(0).actor == "alice");
}

TEST_CASE("merge and unmerge are recorded, flattened and audited") {
  test::TempDir dir;
  FakeClock clock;
  auto db = open_db(dir);
  SqliteStore store(db, clock);
  SqliteLifecycle lc(db, clock);
  WriteBatch b;
  for (auto id : {"a1", "b1", "c1"}) b.add(event(1, "x"), info(id), Severity::error);
  REQUIRE(store.commit(b).has_value());
  REQUIRE(lc.merge("a1", "b1", "bob").has_value());
  REQUIRE(lc.merge("b1", "c1", "bob").has_value());  // a1 must now point at c1 directly
  auto m = *lc.merges();
  CHECK(m.at("a1") == "c1");
  CHECK(m.at("b1") == "c1");
  CHECK(lc.merge("c1", "a1", "bob").error().code == ErrorCode::conflict);
  CHECK(lc.merge("zz", "a1", "bob").error().code == ErrorCode::not_found);
  REQUIRE(lc.unmerge("a1", "bob").has_value());
  CHECK(lc.merges()->count("a1") == 0);
  CHECK((*store.fingerprint("a1"))->merged_into.empty());
  CHECK(lc.audit(0, 10)->size() == 3);
}
