#include <doctest/doctest.h>

#include <thread>

#include "app/fingerprinting.hpp"
#include "app/pipeline.hpp"
#include "schema/sqlite_store.hpp"
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
