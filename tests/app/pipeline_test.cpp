#include <doctest/doctest.h>

#include <thread>

#include "app/fingerprinting.hpp"
#include "app/pipeline.hpp"
#include "ingest/event_fields.hpp"
#include "schema/sqlite_store.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;

namespace {
struct Fixture {
  test::TempDir dir;
  FakeClock clock;
  Metrics metrics;
  app::Config cfg;
  std::shared_ptr<SqliteDb> db;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<app::Pipeline> pipeline;
  explicit Fixture(std::int64_t queue_max = 500'000) {
    cfg.storage.queue_max_events = queue_max;
    cfg.storage.flush_interval_ms = 20;
    db = *SqliteDb::open({dir.file("p.db")});
    store = std::make_unique<SqliteStore>(db, clock);
    pipeline = std::make_unique<app::Pipeline>(cfg, *store, clock, metrics,
                                               std::make_shared<app::Fingerprinting>(cfg.fingerprint));
  }
};
ingest::Batch batch(int n, const std::string& text, const std::string& level = "error") {
  ingest::Batch b;
  for (int i = 0; i < n; ++i) {
    LogEvent e;
    e.ts = 1'700'000'000'000 + i;
    e.message = text + " id=" + std::to_string(i);
    e.labels = {{"level", level}, {"service", "checkout"}};
    e.source = "test";
    ingest::extract_fields(e);  // as every source does before it submits
    b.events.push_back(std::move(e));
  }
  return b;
}
}  // namespace

TEST_CASE("submitted events are durable once wait_durable returns, positions included") {
  Fixture f;
  f.pipeline->start();
  auto b = batch(100, "payment failed");
  b.positions.push_back({"test", "p0", "100"});
  auto t = f.pipeline->submit(std::move(b));
  REQUIRE(t.has_value());
  REQUIRE(f.pipeline->wait_durable(*t, 5s).has_value());
  auto stats = *f.store->source_stats();
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].service == "checkout");
  CHECK(stats[0].kept == 100);
  CHECK(f.store->positions("test")->at(0).value == "100");
  CHECK(*f.store->fingerprint_count() >= 1);
  f.pipeline->stop();
}

TEST_CASE("events below the severity threshold are counted but not fingerprinted") {
  Fixture f;
  f.pipeline->start();
  REQUIRE(f.pipeline->accept(batch(10, "user logged in", "info"), 5s).has_value());
  auto stats = *f.store->source_stats();
  CHECK(stats.at(0).events == 10);
  CHECK(stats.at(0).kept == 0);
  CHECK(*f.store->fingerprint_count() == 0);
  f.pipeline->stop();
}

TEST_CASE("a full queue refuses with overloaded and takes nothing") {
  Fixture f(50);
  // Flusher not started: nothing drains the queue.
  REQUIRE(f.pipeline->submit(batch(40, "x failed")).has_value());
  auto r = f.pipeline->submit(batch(20, "x failed"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::overloaded);
  CHECK(f.pipeline->queued_events() == 40);
  REQUIRE(f.pipeline->flush_now().has_value());
  CHECK(f.pipeline->queued_events() == 0);
  CHECK(f.store->source_stats()->at(0).events == 40);
  CHECK(f.metrics.render().find("selfheal_pipeline_events_rejected_total{reason=\"overloaded\"} 20") !=
        std::string::npos);
}

TEST_CASE("stop commits everything still pending") {
  Fixture f;
  f.pipeline->start();
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p)
    producers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) REQUIRE(f.pipeline->submit(batch(10, "disk full")).has_value());
    });
  for (auto& t : producers) t.join();
  f.pipeline->stop();
  CHECK(f.store->source_stats()->at(0).events == 2000);
}

TEST_CASE("commit listeners see new fingerprints once") {
  Fixture f;
  std::vector<std::string> seen;
  f.pipeline->on_commit([&](const CommitReceipt& r) {
    for (auto& id : r.new_ids) seen.push_back(id);
  });
  REQUIRE(f.pipeline->submit(batch(5, "NullPointerException at Foo")).has_value());
  REQUIRE(f.pipeline->flush_now().has_value());
  REQUIRE(f.pipeline->submit(batch(5, "NullPointerException at Foo")).has_value());
  REQUIRE(f.pipeline->flush_now().has_value());
  CHECK(seen.size() == 1);
}

TEST_CASE("a user fingerprint rule wins over the default algorithm, also after a restart") {
  test::TempDir dir;
  FakeClock clock;
  Metrics metrics;
  app::Config cfg;
  app::FingerprintRule rule;
  rule.name = "db-timeouts";
  rule.message_regex = "(?i)timeout.*(postgres|mysql)";
  rule.fingerprint = "database-timeout";
  cfg.fingerprint.rules.push_back(rule);
  std::string rule_id;
  for (int run = 0; run < 2; ++run) {  // the second run is a restart on the same database
    auto db = *SqliteDb::open({dir.file("r.db")});
    SqliteStore store(db, clock);
    app::Pipeline p(cfg, store, clock, metrics, std::make_shared<app::Fingerprinting>(cfg.fingerprint));
    ingest::Batch b;
    for (const char* m : {"ERROR timeout after 30s talking to postgres at 10.0.0.1:5432",
                          "ERROR Timeout waiting for MySQL connection pool (size=10)",
                          "ERROR timeout calling payment API"}) {
      LogEvent e;
      e.ts = 1000;
      e.message = m;
      e.source = "t";
      ingest::extract_fields(e);
      b.events.push_back(e);
    }
    REQUIRE(p.submit(std::move(b)).has_value());
    REQUIRE(p.flush_now().has_value());
    FingerprintQuery q;
    q.now = 1;
    auto page = store.list(q);
    REQUIRE(page.has_value());
    REQUIRE(page->rows.size() == 2);  // both database timeouts share the rule's fingerprint
    CHECK(page->rows[0].total == 2 * (run + 1));
    CHECK(page->rows[0].summary.template_text.rfind("[rule db-timeouts]", 0) == 0);
    if (run == 0) rule_id = page->rows[0].summary.id;
    CHECK(page->rows[0].summary.id == rule_id);
  }
}

TEST_CASE("events of a merged fingerprint count on the target") {
  Fixture f;
  REQUIRE(f.pipeline->submit(batch(3, "alpha failed")).has_value());
  REQUIRE(f.pipeline->submit(batch(2, "totally different thing exploded")).has_value());
  auto r = f.pipeline->flush_now();
  REQUIRE(r.has_value());
  REQUIRE(r->new_ids.size() == 2);
  const auto source_before = (*f.store->fingerprint(r->new_ids[0]))->count;
  const auto target_before = (*f.store->fingerprint(r->new_ids[1]))->count;
  // Merge by id into the other, through the merge table the pipeline consults.
  auto fp = std::make_shared<app::Fingerprinting>(f.cfg.fingerprint);
  fp->set_merges({{r->new_ids[0], r->new_ids[1]}});
  app::Pipeline p2(f.cfg, *f.store, f.clock, f.metrics, fp);
  REQUIRE(p2.submit(batch(3, "alpha failed")).has_value());
  REQUIRE(p2.submit(batch(2, "totally different thing exploded")).has_value());
  REQUIRE(p2.flush_now().has_value());
  auto a = *f.store->fingerprint(r->new_ids[0]);
  auto b = *f.store->fingerprint(r->new_ids[1]);
  CHECK(a->count + b->count == 10);
  CHECK(a->count == source_before);       // the merged id received nothing new
  CHECK(b->count == target_before + 5);   // everything landed on the target
}

TEST_CASE("events below the threshold leave the queue when committed (no leak into overload)") {
  Fixture f(1000);
  for (int round = 0; round < 20; ++round) {  // 20 x 500 info events through a queue of 1000
    REQUIRE(f.pipeline->submit(batch(500, "user logged in", "info")).has_value());
    REQUIRE(f.pipeline->flush_now().has_value());
    CHECK(f.pipeline->queued_events() == 0);
  }
  CHECK(f.store->source_stats()->at(0).events == 10'000);
}
