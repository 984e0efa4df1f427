// Store contract (schema/stores.hpp): the same cases against every backend, SQLite (a temp file) and
// PostgreSQL (a real server from Debian's packages, started by the suite in a temp dir). Each case
// gets a fresh database.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "schema/stores.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;

namespace {

constexpr UnixMs t0 = 1'700'000'040'000;

test::PostgresServer& postgres() {
  static test::PostgresServer server;  // one server for the whole run; stopped at exit
  return server;
}

struct Backend {
  std::string name;
  std::function<std::unique_ptr<Stores>(const Clock&, const std::string& db_name)> open;
};

std::vector<Backend> backends(const test::TempDir& dir) {
  std::vector<Backend> out;
  out.push_back({"sqlite", [&dir](const Clock& clock, const std::string& db_name) {
                   StorageOptions o;
                   o.sqlite_path = dir.file(db_name + ".db");
                   auto s = Stores::open(o, clock);
                   REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
                   return std::move(*s);
                 }});
  out.push_back({"postgres", [](const Clock& clock, const std::string& db_name) {
                   StorageOptions o;
                   o.type = "postgres";
                   o.postgres_dsn = postgres().fresh_database(db_name);
                   auto s = Stores::open(o, clock);
                   REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
                   return std::move(*s);
                 }});
  return out;
}

/// Runs `body` once per backend, each on a fresh database named after the case.
void for_each_backend(const std::string& db_name, const std::function<void(Stores&, FakeClock&)>& body) {
  test::TempDir dir;
  for (const auto& b : backends(dir)) {
    FakeClock clock(t0 + 3'600'000);
    INFO("backend: " << b.name);
    auto stores = b.open(clock, db_name);
    body(*stores, clock);
  }
}

LogEvent event(UnixMs ts, const std::string& msg, const std::string& service = "api", const std::string& host = "h1") {
  LogEvent e;
  e.ts = ts;
  e.message = msg;
  e.service = service;
  e.host = host;
  e.source = "src";
  return e;
}

FingerprintInfo info(const std::string& id, std::vector<std::string> values = {}) {
  return FingerprintInfo{id, "tmpl " + id + " <*>", "", "[]", std::move(values)};
}

/// `n` events of fingerprint `id` from t, one second apart, plus their counts and a position.
WriteBatch batch_of(const std::string& id, int n, UnixMs t, const std::string& service = "api",
                    const std::string& position = "") {
  WriteBatch b;
  for (int i = 0; i < n; ++i) {
    auto e = event(t + i * 1000, "boom " + std::to_string(i), service, "h" + std::to_string(i % 2));
    b.count(e, true);
    b.add(e, info(id, {std::to_string(i % 4)}), Severity::error);
  }
  if (!position.empty()) b.set_position({"src", "p0", position});
  return b;
}

std::int64_t lines_of(Store& s, const std::string& source) {
  std::int64_t n = 0;
  const auto stats = s.source_stats();  // a named result: a range-for over *temporary would dangle
  REQUIRE(stats.has_value());
  for (const auto& st : *stats)
    if (st.source == source) n += st.lines;
  return n;
}

}  // namespace

TEST_CASE("store contract: a commit lands counts, positions and dead letters together, exactly") {
  for_each_backend("commit_exact", [](Stores& stores, FakeClock&) {
    Store& s = stores.store();
    auto b = batch_of("aaaa", 10, t0, "api", "10");
    b.add_dead_letter(DeadLetter{0, t0, "src", "bad_json", "application/json", "{not json", 9, false});
    auto r = s.commit(b);
    REQUIRE(r.has_value());
    CHECK(r->events == 10);
    CHECK(r->new_ids == std::vector<std::string>{"aaaa"});
    CHECK(r->touched_ids == std::vector<std::string>{"aaaa"});
    auto again = s.commit(batch_of("aaaa", 5, t0 + 20'000, "api", "15"));
    REQUIRE(again.has_value());
    CHECK(again->new_ids.empty());
    auto fp = s.fingerprint("aaaa");
    REQUIRE(fp.has_value());
    REQUIRE(fp->has_value());
    CHECK((*fp)->count == 15);
    CHECK((*fp)->total == 15);
    CHECK((*fp)->first_seen == t0);
    CHECK((*fp)->last_seen == t0 + 24'000);
    CHECK((*fp)->severity == "error");
    CHECK((*fp)->template_text == "tmpl aaaa <*>");
    REQUIRE((*fp)->services.size() == 1);
    CHECK((*fp)->services[0].name == "api");
    CHECK((*fp)->services[0].count == 15);
    CHECK((*fp)->hosts.size() == 2);
    auto pos = s.positions("src");
    REQUIRE(pos.has_value());
    REQUIRE(pos->size() == 1);
    CHECK(pos->at(0).value == "15");
    CHECK(lines_of(s, "src") == 15);
    CHECK(*s.fingerprint_count() == 1);
    CHECK(*s.dead_letter_count() == 1);
    auto dl = s.dead_letters(DeadLetterQuery{});
    REQUIRE(dl.has_value());
    REQUIRE(dl->size() == 1);
    CHECK(dl->at(0).payload == "{not json");
    CHECK(dl->at(0).reason == "bad_json");
    CHECK(s.mark_replayed(dl->at(0).id).has_value());
    CHECK(s.dead_letters(DeadLetterQuery{})->at(0).replayed);
    CHECK(s.mark_replayed(dl->at(0).id + 1000).error().code == ErrorCode::not_found);
  });
}

TEST_CASE("store contract: series, samples, values and distinct counts read back what was committed") {
  for_each_backend("reads", [](Stores& stores, FakeClock&) {
    Store& s = stores.store();
    REQUIRE(s.commit(batch_of("bbbb", 90, t0)).has_value());  // 90 s: two minutes
    auto series = s.series("bbbb", 0, INT64_MAX);
    REQUIRE(series.has_value());
    REQUIRE(series->size() == 2);
    CHECK(series->at(0).minute == t0);
    CHECK(series->at(0).count + series->at(1).count == 90);
    auto recent = s.recent_series({"bbbb", "none"}, t0 + 60'000);
    REQUIRE(recent.has_value());
    REQUIRE(recent->size() == 2);
    CHECK(recent->at(0).second.size() == 1);
    CHECK(recent->at(1).second.empty());
    auto samples = s.samples("bbbb", 10);
    REQUIRE(samples.has_value());
    REQUIRE(!samples->empty());
    CHECK(samples->at(0).kind == "first");
    CHECK(samples->at(0).message == "boom 0");
    auto values = s.values("bbbb", 10);
    REQUIRE(values.has_value());
    CHECK(values->size() == 4);
    auto distinct = s.distinct_values("bbbb");
    REQUIRE(distinct.has_value());
    REQUIRE(distinct->size() == 1);
    CHECK(distinct->at(0).distinct == 4);
    CHECK(s.fingerprint("missing")->has_value() == false);
  });
}

TEST_CASE("store contract: the listing sorts, filters and pages with a cursor the same way") {
  for_each_backend("listing", [](Stores& stores, FakeClock& clock) {
    Store& s = stores.store();
    // Ids chosen so byte order and dictionary order differ ("B" < "a" in bytes).
    REQUIRE(s.commit(batch_of("a-one", 5, t0)).has_value());
    REQUIRE(s.commit(batch_of("B-two", 5, t0 + 1000, "web")).has_value());
    REQUIRE(s.commit(batch_of("c-three", 7, t0 + 2000)).has_value());
    FingerprintQuery q;
    q.limit = 2;
    q.now = clock.now_ms();
    auto p1 = s.list(q);
    REQUIRE(p1.has_value());
    REQUIRE(p1->rows.size() == 2);
    CHECK(p1->rows[0].summary.id == "c-three");
    CHECK(p1->rows[1].summary.id == "B-two");
    REQUIRE(!p1->next_cursor.empty());
    q.cursor = p1->next_cursor;
    auto p2 = s.list(q);
    REQUIRE(p2.has_value());
    REQUIRE(p2->rows.size() == 1);
    CHECK(p2->rows[0].summary.id == "a-one");
    CHECK(p2->next_cursor.empty());
    FingerprintQuery by_service;
    by_service.service = "web";
    by_service.now = clock.now_ms();
    auto web = s.list(by_service);
    REQUIRE(web->rows.size() == 1);
    CHECK(web->rows[0].summary.id == "B-two");
    FingerprintQuery text;
    text.q = "THREE";
    text.now = clock.now_ms();
    CHECK(s.list(text)->rows.size() == 1);
    FingerprintQuery rate;
    rate.sort = FingerprintSort::rate;
    rate.now = t0 + 60'000;
    rate.rate_window_ms = 120'000;
    auto hot = s.list(rate);
    REQUIRE(hot.has_value());
    REQUIRE(hot->rows.size() == 3);
    CHECK(hot->rows[0].recent == 7);
    FingerprintQuery bad;
    bad.cursor = "x.1.zz";
    CHECK(s.list(bad).error().code == ErrorCode::bad_input);
  });
}

TEST_CASE("store contract: resolve, regress, ignore bounds, merge and unmerge keep counts conserved") {
  for_each_backend("lifecycle", [](Stores& stores, FakeClock& clock) {
    Store& s = stores.store();
    LifecycleStore& lc = stores.lifecycle();
    REQUIRE(s.commit(batch_of("m-src", 4, t0)).has_value());
    REQUIRE(s.commit(batch_of("m-dst", 6, t0)).has_value());
    CHECK(lc.resolve("nope", "alice").error().code == ErrorCode::not_found);
    REQUIRE(lc.resolve("m-dst", "alice").has_value());
    CHECK((*s.fingerprint("m-dst"))->status == "resolved");
    // An event after the grace window reopens it.
    auto back = s.commit(batch_of("m-dst", 1, clock.now_ms() + 120'000));
    REQUIRE(back.has_value());
    CHECK(back->regressed_ids == std::vector<std::string>{"m-dst"});
    CHECK((*s.fingerprint("m-dst"))->status == "unresolved");
    // Ignored for 2 more events: the third ends it.
    REQUIRE(lc.ignore("m-src", IgnoreSpec{0, 2, 0}, "bob").has_value());
    CHECK(s.commit(batch_of("m-src", 1, t0 + 10'000))->unignored_ids.empty());
    CHECK(s.commit(batch_of("m-src", 1, t0 + 11'000))->unignored_ids == std::vector<std::string>{"m-src"});
    REQUIRE(lc.merge("m-src", "m-dst", "carol").has_value());
    CHECK(lc.merge("m-src", "m-dst", "carol").error().code == ErrorCode::conflict);
    auto dst = s.fingerprint("m-dst");
    CHECK((*dst)->count == 7);
    CHECK((*dst)->total == 13);
    CHECK((*s.fingerprint("m-src"))->merged_into == "m-dst");
    CHECK(*s.merged_children("m-dst") == std::vector<std::string>{"m-src"});
    CHECK(lc.merges()->at("m-src") == "m-dst");
    REQUIRE(lc.unmerge("m-src", "carol").has_value());
    CHECK((*s.fingerprint("m-dst"))->total == 7);
    CHECK(lc.merges()->empty());
    auto trail = lc.audit_of("m-src", 10);
    REQUIRE(trail.has_value());
    REQUIRE(trail->size() == 3);
    CHECK(trail->at(0).action == "unmerge");
    CHECK(trail->at(2).action == "ignore");
    CHECK(lc.audit(0, 100)->size() == 4);
  });
}

TEST_CASE("store contract: the learner and the id upgrade create rows once") {
  for_each_backend("admin", [](Stores& stores, FakeClock&) {
    Store& s = stores.store();
    FingerprintAdminStore& admin = stores.fingerprint_admin();
    REQUIRE(s.commit(batch_of("plain", 3, t0)).has_value());
    auto plain = admin.message_fingerprints(10);
    REQUIRE(plain.has_value());
    REQUIRE(plain->size() == 1);
    REQUIRE(admin.ensure_learned("learned", "tmpl <*>", plain->at(0), 2).has_value());
    REQUIRE(admin.ensure_learned("learned", "tmpl <*>", plain->at(0), 2).has_value());
    CHECK(admin.learned_templates()->size() == 1);
    CHECK(admin.message_fingerprints(10)->size() == 1);  // learned rows are not learned from
    auto old = admin.fingerprints_before_version(2);
    REQUIRE(old.has_value());
    REQUIRE(old->size() == 1);  // "plain" (version 1); "learned" was made by version 2
    CHECK(old->at(0).sample == "boom 0");
    CHECK(*admin.ensure_upgraded("newid", "t", "", "[]", old->at(0), 2) == true);
    CHECK(*admin.ensure_upgraded("newid", "t", "", "[]", old->at(0), 2) == false);
    REQUIRE(admin.set_algorithm_version("plain", 2).has_value());
    CHECK(admin.fingerprints_before_version(2)->empty());
  });
}

TEST_CASE("store contract: prune rolls minutes into hours and keeps the totals") {
  for_each_backend("prune", [](Stores& stores, FakeClock&) {
    Store& s = stores.store();
    REQUIRE(s.commit(batch_of("pppp", 120, t0)).has_value());
    RetentionPolicy p;
    p.now = t0 + 2LL * 24 * 3600'000;
    auto r = s.prune(p);
    REQUIRE(r.has_value());
    CHECK(r->minutes_rolled_up == 2);
    CHECK(s.series("pppp", 0, INT64_MAX)->empty());
    auto hours = s.hours("pppp", 0, INT64_MAX);
    REQUIRE(hours.has_value());
    std::int64_t sum = 0;
    for (const auto& h : *hours) sum += h.count;
    CHECK(sum == 120);
  });
}

TEST_CASE("store contract: concurrent commits to one fingerprint lose nothing") {
  for_each_backend("concurrent", [](Stores& stores, FakeClock&) {
    Store& s = stores.store();
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&s, &failed, t] {
        for (int i = 0; i < 25; ++i)
          if (!s.commit(batch_of("hot", 10, t0 + (t * 25 + i) * 1000))) ++failed;
      });
    for (auto& th : threads) th.join();
    CHECK(failed.load() == 0);
    CHECK((*s.fingerprint("hot"))->count == 1000);
    CHECK(lines_of(s, "src") == 1000);
  });
}

TEST_CASE("store contract: healing runs, guards and approvals") {
  for_each_backend("healing", [](Stores& stores, FakeClock&) {
    HealingLog& log = stores.healing_log();
    HealingRun run;
    run.ts = t0;
    run.strategy = "restart";
    run.fingerprint_id = "aaaa";
    run.target = "api";
    run.decision = "ran";
    run.outcome = "running";
    run.remediation = true;
    run.rate_before = 1.5;
    auto id = log.append(run);
    REQUIRE(id.has_value());
    run.id = *id;
    run.outcome = "success";
    run.verification = "pending";
    REQUIRE(log.update(run).has_value());
    CHECK(log.run(*id)->value().outcome == "success");
    CHECK(log.run(*id)->value().rate_before == doctest::Approx(1.5));
    CHECK(log.pending_verifications()->size() == 1);
    CHECK(*log.run_times("restart", t0 - 1, true) == std::vector<UnixMs>{t0});
    CHECK(*log.last_run("restart", "api") == t0);
    HealingRun skip = run;
    skip.decision = "skipped";
    skip.reason = "cooldown";
    skip.outcome = "";
    auto s1 = log.append_skip(skip);
    auto s2 = log.append_skip(skip);
    REQUIRE(s1.has_value());
    CHECK(*s1 == *s2);
    CHECK(log.run(*s1)->value().repeats == 2);
    RunQuery q;
    q.strategy = "restart";
    CHECK(log.runs(q)->size() == 2);

    PolicyStateStore& st = stores.policy_state();
    REQUIRE(st.save_breaker(BreakerRow{"restart", "api", "open", 3, t0, false, 1, t0}).has_value());
    REQUIRE(st.save_breaker(BreakerRow{"restart", "api", "half_open", 3, t0, true, 1, t0 + 1}).has_value());
    CHECK(st.breaker("restart", "api")->value().phase == "half_open");
    CHECK(st.breakers()->size() == 1);
    REQUIRE(st.set_timestamp("notify/x", 42).has_value());
    REQUIRE(st.set_timestamp("notify/x", 43).has_value());
    CHECK(*st.timestamp("notify/x") == 43);
    CHECK(*st.timestamp("absent") == 0);
    auto th = st.add_throttle(ThrottleRow{0, "restart", "slow", "aaaa", "api", t0, t0 + 60'000, "", "", 0});
    REQUIRE(th.has_value());
    CHECK(st.active_throttles()->size() == 1);
    REQUIRE(st.finish_throttle(*th, "restored", t0 + 60'000).has_value());
    CHECK(st.active_throttles()->empty());
    CHECK(st.finish_throttle(*th + 99, "restored", 0).error().code == ErrorCode::not_found);
    REQUIRE(st.save_failover(FailoverRow{"restart/db", "b", "a", t0, "ok"}).has_value());
    CHECK(st.failover("restart/db")->value().active == "b");
    REQUIRE(st.set_escalation_step("restart", "aaaa", "api", 2, t0).has_value());
    CHECK(*st.escalation_step("restart", "aaaa", "api") == 2);
    REQUIRE(st.set_escalation_step("restart", "aaaa", "api", 0, t0).has_value());
    CHECK(*st.escalation_step("restart", "aaaa", "api") == 0);

    ApprovalStore& ap = stores.approvals();
    ApprovalRow a;
    a.strategy = "restart";
    a.fingerprint_id = "aaaa";
    a.step = 1;
    a.created_at = t0;
    a.expires_at = t0 + 1000;
    auto a1 = ap.create_approval(a);
    REQUIRE(a1.has_value());
    CHECK(ap.latest_approval("restart", "aaaa", 1)->value().id == *a1);
    CHECK(ap.decide_approval(*a1, true, "dave", t0 + 5000, "").error().code == ErrorCode::conflict);  // expired
    CHECK(ap.approval(*a1)->value().status == "expired");
    a.expires_at = t0 + 100'000;
    auto a2 = ap.create_approval(a);
    REQUIRE(a2.has_value());
    auto decided = ap.decide_approval(*a2, true, "dave", t0 + 10, "go");
    REQUIRE(decided.has_value());
    CHECK(decided->status == "approved");
    CHECK(decided->decided_by == "dave");
    CHECK(ap.decide_approval(*a2, true, "erin", t0 + 11, "").error().code == ErrorCode::conflict);
    REQUIRE(ap.consume_approval(*a2).has_value());
    CHECK(ap.consume_approval(*a2).error().code == ErrorCode::conflict);
    auto a3 = ap.create_approval(a);
    REQUIRE(a3.has_value());
    auto expired = ap.expire_approvals(t0 + 200'000);
    REQUIRE(expired.has_value());
    REQUIRE(expired->size() == 1);
    CHECK(expired->at(0).id == *a3);
    CHECK(ap.approvals("", 10)->size() == 3);
    CHECK(ap.approvals("consumed", 10)->size() == 1);

    HealingViews& views = stores.healing_views();
    auto stats = views.view("healing_stats", 10);
    REQUIRE(stats.has_value());
    REQUIRE(stats->size() == 1);
    CHECK(views.view("sqlite_master", 10).error().code == ErrorCode::bad_input);
  });
}

TEST_CASE("store contract: suggestions, reviews and the daily budget") {
  for_each_backend("suggestions", [](Stores& stores, FakeClock&) {
    SuggestionStore& ss = stores.suggestions();
    StoredSuggestion s;
    s.fingerprint_id = "aaaa";
    s.summary = "disk full";
    s.root_cause = "logs";
    s.suggested_fix = "rotate";
    s.confidence = 0.8;
    s.model_confidence = 0.9;
    s.provider = "p";
    s.model = "m";
    s.context_hash = "h";
    s.cache_key = "k1";
    s.created_at = t0;
    auto id = ss.insert_suggestion(s);
    REQUIRE(id.has_value());
    CHECK(ss.find_cached("k1")->value().id == *id);
    CHECK(ss.latest_for("aaaa")->value().confidence == doctest::Approx(0.8));
    CHECK(ss.review(*id, "apply", "x", "", t0).error().code == ErrorCode::conflict);
    auto acc = ss.review(*id, "accept", "x", "ok", t0);
    REQUIRE(acc.has_value());
    CHECK(acc->status == "accepted");
    CHECK(ss.review(*id, "apply", "x", "", t0)->status == "applied");
    CHECK(ss.reviewed()->size() == 1);
    SuggestionQuery q;
    q.min_confidence = 0.5;
    CHECK(ss.suggestions(q)->size() == 1);
    q.min_confidence = 0.95;
    CHECK(ss.suggestions(q)->empty());
    SuggestionAttempt at;
    at.fingerprint_id = "aaaa";
    at.ts = t0;
    at.provider = "p";
    at.model = "m";
    at.outcome = "ok";
    REQUIRE(ss.record_attempt(at).has_value());
    CHECK(ss.attempts("aaaa", 5)->size() == 1);
    REQUIRE(ss.charge("2023-11-14", 1, 100, 0.25).has_value());
    REQUIRE(ss.charge("2023-11-14", 1, 50, 0.25).has_value());
    auto b = ss.budget("2023-11-14");
    CHECK(b->calls == 2);
    CHECK(b->tokens == 150);
    CHECK(b->cost_usd == doctest::Approx(0.5));
  });
}

TEST_CASE("store contract: both backends store the same rows for the same batches") {
  test::TempDir dir;
  std::vector<std::string> dumps;
  for (const auto& b : backends(dir)) {
    FakeClock clock(t0);
    auto stores = b.open(clock, "same_rows");
    for (int i = 0; i < 20; ++i)
      REQUIRE(stores->store().commit(batch_of("id" + std::to_string(i % 7), 13 + i, t0 + i * 7000)).has_value());
    FingerprintQuery q;
    q.limit = 100;
    q.now = clock.now_ms();
    std::string dump;
    const auto page = stores->store().list(q);
    REQUIRE(page.has_value());
    for (const auto& row : page->rows) {
      dump += row.summary.id + " " + std::to_string(row.total) + " " + std::to_string(row.summary.first_seen) + " " +
              std::to_string(row.summary.last_seen) + " " + row.summary.severity + "\n";
      const auto values = stores->store().values(row.summary.id, 10);
      const auto series = stores->store().series(row.summary.id, 0, INT64_MAX);
      const auto samples = stores->store().samples(row.summary.id, 3);
      REQUIRE((values && series && samples));
      for (const auto& v : *values) dump += " v" + v.value + "=" + std::to_string(v.count);
      for (const auto& m : *series) dump += " m" + std::to_string(m.minute) + "=" + std::to_string(m.count);
      for (const auto& smp : *samples) dump += " s" + smp.kind + ":" + smp.message;
      dump += "\n";
    }
    dumps.push_back(dump);
  }
  REQUIRE(dumps.size() == 2);
  CHECK(!dumps[0].empty());
  CHECK(dumps[0] == dumps[1]);
}

TEST_CASE("store contract: a healer decision lock excludes every other holder sharing the store") {
  test::TempDir dir;
  for (const auto& b : backends(dir)) {
    FakeClock clock(t0);
    INFO("backend: " << b.name);
    auto one = b.open(clock, "decision_lock");
    // A second instance on the same PostgreSQL database; SQLite is one process (the data dir lock),
    // so its second holder is another thread of the same instance.
    std::unique_ptr<Stores> other;
    if (b.name == "postgres") {
      StorageOptions o;
      o.type = "postgres";
      o.postgres_dsn = postgres().dsn("decision_lock");
      auto opened = Stores::open(o, clock);
      REQUIRE(opened.has_value());
      other = std::move(*opened);
    }
    Stores& second = other ? *other : *one;
    auto held = one->policy_state().lock_decision("restart");
    REQUIRE(held.has_value());
    std::atomic<bool> got{false};
    std::thread contender([&second, &got] {
      auto l = second.policy_state().lock_decision("restart");
      got = l.has_value();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK_FALSE(got.load());  // still waiting
    held->reset();            // released
    contender.join();
    CHECK(got.load());
    if (other) {  // PostgreSQL locks per strategy: another strategy's decision goes ahead meanwhile
      auto a = one->policy_state().lock_decision("restart");
      auto c = other->policy_state().lock_decision("page");
      CHECK((a.has_value() && c.has_value()));
    }
  }
}
