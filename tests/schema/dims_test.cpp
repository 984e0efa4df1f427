// Services, hosts and value sketches of a fingerprint: one dims row per fingerprint, rewritten per commit.
#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <array>
#include <cstdio>

#include "schema/fingerprint_dims.hpp"
#include "schema/migrations.hpp"
#include "schema/sqlite_store.hpp"
#include "schema/write_batch.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;

namespace {
LogEvent event(UnixMs ts, const std::string& service, const std::string& host) {
  LogEvent e;
  e.ts = ts;
  e.message = "boom";
  e.service = service;
  e.host = host;
  e.source = "t";
  return e;
}
FingerprintInfo info(const std::string& id, std::vector<std::string> values) {
  return FingerprintInfo{id, "tmpl " + id + " <*> <*>", "", "[]", std::move(values)};
}
std::shared_ptr<SqliteDb> open_db(const test::TempDir& dir) {
  auto db = SqliteDb::open({dir.file("s.db")});
  REQUIRE(db.has_value());
  return *db;
}
std::map<std::string, std::int64_t> values_at(SqliteStore& store, const std::string& id, int pos) {
  std::map<std::string, std::int64_t> out;
  auto values = store.values(id, 1000);  // kept alive: ranging over *temporary would dangle
  REQUIRE(values.has_value());
  for (auto& v : *values)
    if (v.position == pos) out[v.value] = v.count;
  return out;
}
std::int64_t distinct_at(SqliteStore& store, const std::string& id, int pos) {
  auto all = store.distinct_values(id);
  REQUIRE(all.has_value());
  for (auto& d : *all)
    if (d.position == pos) return d.distinct;
  return -1;
}
}  // namespace

TEST_CASE("services, hosts and values below the caps are exact across many commits and a reopen") {
  test::TempDir dir;
  FakeClock clock;
  std::map<std::string, std::int64_t> want_services, want_hosts, want_users;
  {
    SqliteStore store(open_db(dir), clock);
    for (int commit = 0; commit < 25; ++commit) {
      WriteBatch b;
      for (int i = 0; i < 200; ++i) {
        const int n = commit * 200 + i;
        const std::string svc = "svc" + std::to_string(n % 5 + commit / 10);  // new services appear later
        const std::string host = "h" + std::to_string(n % 9);
        const std::string user = "u" + std::to_string((n * 7) % 40);
        b.add(event(1'700'000'000'000 + n, svc, host), info("f1", {user, "x"}), Severity::error);
        ++want_services[svc];
        ++want_hosts[host];
        ++want_users[user];
      }
      REQUIRE(store.commit(b).has_value());
    }
  }
  SqliteStore store(open_db(dir), clock);  // survives a restart
  auto fp = *store.fingerprint("f1");
  REQUIRE(fp.has_value());
  std::map<std::string, std::int64_t> services, hosts;
  for (auto& s : fp->services) services[s.name] = s.count;
  for (auto& h : fp->hosts) hosts[h.name] = h.count;
  CHECK(services == want_services);
  CHECK(hosts == want_hosts);
  CHECK(fp->services.front().count >= fp->services.back().count);  // ranked
  CHECK(values_at(store, "f1", 0) == want_users);
  CHECK(values_at(store, "f1", 1) == std::map<std::string, std::int64_t>{{"x", 5000}});
  CHECK(distinct_at(store, "f1", 0) == 40);
  CHECK(distinct_at(store, "f1", 1) == 1);

  // The service filter of the listing sees services first met in later commits.
  FingerprintQuery q;
  q.service = "svc6";
  auto page = store.list(q);
  REQUIRE(page.has_value());
  REQUIRE(page->rows.size() == 1);
  CHECK(page->rows[0].summary.id == "f1");
  q.service = "svc9";
  CHECK(store.list(q)->rows.empty());
}

TEST_CASE("past the caps: names fold into (other), a heavy late value still makes the top, distinct is estimated") {
  test::TempDir dir;
  FakeClock clock;
  SqliteStore store(open_db(dir), clock);
  std::int64_t total = 0;
  for (int commit = 0; commit < 30; ++commit) {
    WriteBatch b;
    for (int i = 0; i < 500; ++i) {
      const int n = commit * 500 + i;
      // 3,000 distinct users, each seen a handful of times; from commit 20 on, "whale" is every 12th event.
      std::string user = (commit >= 20 && n % 12 == 5) ? "whale" : "user" + std::to_string((n * 7919) % 3000);
      b.add(event(1'700'000'000'000 + n, "svc" + std::to_string(n % 50), "h1"), info("f2", {user, "k"}), Severity::error);
      ++total;
    }
    REQUIRE(store.commit(b).has_value());
  }
  auto fp = *store.fingerprint("f2");
  REQUIRE(fp.has_value());
  std::int64_t sum = 0;
  bool other = false;
  for (auto& s : fp->services) {
    sum += s.count;
    other = other || s.name == "(other)";
  }
  CHECK(other);
  CHECK(fp->services.size() <= WriteBatch::max_services_per_fp + 1);
  CHECK(sum == total);  // folding never loses a count
  auto top = store.values("f2", 1);
  REQUIRE(!top->empty());
  CHECK(top->front().position == 0);
  CHECK(top->front().value == "whale");  // 1/36 of all events > 1/64: Space-Saving must keep it
  CHECK(top->front().count >= 417);      // its true count; Space-Saving only overestimates
  const auto distinct = distinct_at(store, "f2", 0);
  CHECK(distinct > 3000 * 0.6);
  CHECK(distinct < 3000 * 1.4);
  CHECK(values_at(store, "f2", 0).size() == 64);
}

TEST_CASE("dims blobs round-trip, and damaged blobs are refused without crashing") {
  FingerprintDims d;
  d.services = {{"api", 3}, {"web", 1}};
  d.hosts = {{"h1", 4}};
  d.positions.resize(3);
  d.positions[2].values = {{"alice", 2}, {std::string(200, 'z'), 9}};
  d.positions[2].evicted = true;
  d.positions[2].hll[5] = 7;
  const auto blob = d.encode();
  auto back = FingerprintDims::decode(blob);
  REQUIRE(back.has_value());
  CHECK(back->services == d.services);
  CHECK(back->hosts == d.hosts);
  REQUIRE(back->positions.size() == 3);
  CHECK(back->positions[0].values.empty());
  CHECK(back->positions[2].values == d.positions[2].values);
  CHECK(back->positions[2].evicted);
  CHECK(back->positions[2].hll[5] == 7);
  CHECK_FALSE(FingerprintDims::decode("").has_value());
  CHECK_FALSE(FingerprintDims::decode("nonsense").has_value());
  for (std::size_t cut = 2; cut < blob.size(); ++cut) CHECK_FALSE(FingerprintDims::decode(blob.substr(0, cut)).has_value());
  std::mt19937 rng(5);
  for (int i = 0; i < 20'000; ++i) {  // random corruption: decode or refuse, never crash or hang
    std::string bad = blob;
    for (int k = 0; k < 3; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    (void)FingerprintDims::decode(bad);
  }
}

TEST_CASE("a database from schema 4 keeps its services, hosts, values and distinct counts after migration 5") {
  test::TempDir dir;
  const auto path = dir.file("old.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (const auto& m : detail::embedded_migrations())
      if (m.version <= 4) db.exec(m.sql);
    db.exec("PRAGMA user_version = 4");
    db.exec("INSERT INTO fingerprints(id, template, count, first_seen, last_seen) VALUES('old1','t <*>',7,1,2)");
    db.exec("INSERT INTO fingerprint_names VALUES('old1','service','billing',5),('old1','service','api',2),"
            "('old1','host','h9',7)");
    db.exec("INSERT INTO fingerprint_values VALUES('old1',0,'alice',4),('old1',0,'bob',3)");
    db.exec("INSERT INTO fingerprint_value_hll VALUES('old1',0,zeroblob(64))");
  }
  FakeClock clock;
  auto db = SqliteDb::open({path});
  REQUIRE(db.has_value());
  CHECK((*db)->schema_version() >= 5);
  SqliteStore store(*db, clock);
  auto fp = *store.fingerprint("old1");
  REQUIRE(fp.has_value());
  REQUIRE(fp->services.size() == 2);
  CHECK(fp->services[0].name == "billing");
  CHECK(fp->services[0].count == 5);
  CHECK(fp->hosts.at(0).name == "h9");
  CHECK(values_at(store, "old1", 0) == std::map<std::string, std::int64_t>{{"alice", 4}, {"bob", 3}});
  CHECK(distinct_at(store, "old1", 0) == 2);
  FingerprintQuery q;
  q.service = "api";
  REQUIRE(store.list(q)->rows.size() == 1);
  // The next commit rewrites the row in the binary form and keeps adding.
  WriteBatch b;
  b.add(event(3, "api", "h9"), info("old1", {"alice"}), Severity::error);
  REQUIRE(store.commit(b).has_value());
  CHECK(values_at(store, "old1", 0)["alice"] == 5);
  CHECK((*store.fingerprint("old1"))->services[1].count == 3);
}

TEST_CASE("past 32 services the counts fold into (other) but every service still finds the fingerprint") {
  test::TempDir dir;
  FakeClock clock;
  SqliteStore store(open_db(dir), clock);
  {
    WriteBatch b;  // 32 services fill the stored names
    for (int i = 0; i < 32; ++i) b.add(event(1000 + i, "svc" + std::to_string(i), "h"), info("f3", {"v", "w"}), Severity::error);
    REQUIRE(store.commit(b).has_value());
  }
  {
    WriteBatch b;  // a later batch brings 10 more: folded in the batch already, and again when stored
    for (int i = 32; i < 42; ++i) b.add(event(2000 + i, "svc" + std::to_string(i), "h"), info("f3", {"v", "w"}), Severity::error);
    b.add(event(3000, "checkout", "h"), info("f3", {"v", "w"}), Severity::error);
    REQUIRE(store.commit(b).has_value());
  }
  for (const char* svc : {"svc0", "svc31", "svc32", "svc41", "checkout"}) {
    CAPTURE(svc);
    FingerprintQuery q;
    q.service = svc;
    auto page = store.list(q);
    REQUIRE(page.has_value());
    REQUIRE(page->rows.size() == 1);
    CHECK(page->rows[0].summary.id == "f3");
  }
  auto fp = *store.fingerprint("f3");
  std::int64_t sum = 0, other = 0;
  for (auto& s : fp->services) {
    sum += s.count;
    if (s.name == "(other)") other = s.count;
  }
  CHECK(sum == 43);
  CHECK(other == 11);
}

TEST_CASE("a value that floods the end of a batch makes the top values (Space-Saving inside the batch too)") {
  test::TempDir dir;
  FakeClock clock;
  SqliteStore store(open_db(dir), clock);
  for (int commit = 0; commit < 5; ++commit) {
    WriteBatch b;
    int n = 0;
    for (int i = 0; i < 200; ++i, ++n)  // 200 distinct users first: the batch tally is full
      b.add(event(n, "api", "h"), info("f4", {"user" + std::to_string(commit * 200 + i)}), Severity::error);
    for (int i = 0; i < 2000; ++i, ++n) b.add(event(n, "api", "h"), info("f4", {"whale"}), Severity::error);
    REQUIRE(store.commit(b).has_value());
  }
  auto top = store.values("f4", 1);
  REQUIRE(top.has_value());
  REQUIRE(!top->empty());
  CHECK(top->front().value == "whale");
  CHECK(top->front().count >= 10'000);
  const auto d = distinct_at(store, "f4", 0);
  CHECK(d > 1001 * 0.6);
  CHECK(d < 1001 * 1.4);
}

TEST_CASE("migration 5 keeps HLL-only positions, and a legacy position the HLL contradicts is estimated") {
  test::TempDir dir;
  const auto path = dir.file("old.db");
  std::array<std::uint8_t, 64> regs{};
  for (int i = 0; i < 5000; ++i) hll_add(regs, "user" + std::to_string(i));
  std::string hex;
  for (auto r : regs) {
    char b[3];
    std::snprintf(b, sizeof b, "%02X", r);
    hex += b;
  }
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (const auto& m : detail::embedded_migrations())
      if (m.version <= 4) db.exec(m.sql);
    db.exec("PRAGMA user_version = 4");
    db.exec("INSERT INTO fingerprints(id, template, count, first_seen, last_seen) VALUES('h1','t <*>',9,1,2),"
            "('h2','t <*>',9,1,2)");
    db.exec("INSERT INTO fingerprint_value_hll VALUES('h1',0,x'" + hex + "')");  // HLL only
    db.exec("INSERT INTO fingerprint_value_hll VALUES('h2',0,x'" + hex + "')");
    db.exec("INSERT INTO fingerprint_values VALUES('h2',0,'user1',3),('h2',0,'user2',2)");  // 2 of ~5000 kept
  }
  FakeClock clock;
  auto db = SqliteDb::open({path});
  REQUIRE(db.has_value());
  SqliteStore store(*db, clock);
  for (const char* id : {"h1", "h2"}) {
    CAPTURE(id);
    const auto d = distinct_at(store, id, 0);
    CHECK(d > 5000 * 0.6);
    CHECK(d < 5000 * 1.4);
  }
  // Still there after the next commit rewrites the rows in the binary form.
  WriteBatch b;
  b.add(event(3, "api", "h"), info("h1", {}), Severity::error);
  REQUIRE(store.commit(b).has_value());
  CHECK(distinct_at(store, "h1", 0) > 5000 * 0.6);
}

TEST_CASE("a crafted dims blob claiming huge lengths or counts is refused without a big allocation") {
  std::string blob = "D";
  blob.push_back('\x01');
  for (int i = 0; i < 5; ++i) blob.push_back('\xff');  // varint 2^35-1 services...
  blob.push_back('\x07');
  CHECK_FALSE(FingerprintDims::decode(blob).has_value());
  FingerprintDims d;
  d.services = {{"api", std::int64_t{1} << 62}};
  auto ok = FingerprintDims::decode(d.encode());
  REQUIRE(ok.has_value());
  d.services[0].second = (std::int64_t{1} << 62) + 1;  // beyond the headroom: refused
  CHECK_FALSE(FingerprintDims::decode(d.encode()).has_value());
  CHECK_FALSE(FingerprintDims::decode(R"({"s":[["a",1e300]]})").has_value());
  CHECK_FALSE(FingerprintDims::decode(R"({"v":[[1.5,"x",1]]})").has_value());
}
