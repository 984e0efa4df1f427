// SourceRunner (ingest/runner.hpp) against hand-written fakes: a scripted PullSource and a sink whose
// durability the test controls. Checks the runner's promises: overloaded batches are retried, never
// dropped; commits happen only after durability and in order; stop drains and commits; a crash
// (abort) commits nothing.
#include <doctest/doctest.h>

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ingest/runner.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::ingest;
using namespace std::chrono_literals;

namespace {

/// Returns one scripted batch per poll (then empty batches), records commits.
class ScriptedSource final : public PullSource {
 public:
  std::string_view name() const override { return "scripted"; }
  Result<void> start(const std::vector<SourcePosition>& stored) override {
    std::lock_guard lock(mu);
    started_with = stored;
    return ok();
  }
  Result<Batch> poll(std::chrono::milliseconds) override {
    std::lock_guard lock(mu);
    ++polls;
    if (fail_polls > 0) {
      --fail_polls;
      return make_error(ErrorCode::unavailable, "peer down");
    }
    if (script.empty()) return Batch{};
    Batch b = std::move(script.front());
    script.pop_front();
    return b;
  }
  Result<void> commit(const Batch& b) override {
    std::lock_guard lock(mu);
    for (const auto& p : b.positions) committed.push_back(p.value);
    return ok();
  }
  Batch drain() override {
    std::lock_guard lock(mu);
    return std::move(drain_batch);
  }
  SourceHealth health() const override { return {}; }
  void close() override {
    std::lock_guard lock(mu);
    ++closes;
  }

  std::size_t polls_done() {
    std::lock_guard lock(mu);
    return polls;
  }
  std::vector<std::string> commits() {
    std::lock_guard lock(mu);
    return committed;
  }

  std::mutex mu;
  std::deque<Batch> script;
  Batch drain_batch;
  int fail_polls = 0;
  std::size_t polls = 0;
  int closes = 0;
  std::vector<SourcePosition> started_with;
  std::vector<std::string> committed;
};

/// Refuses the first `refuse` submits as overloaded; durability advances only when the test says so
/// (or immediately with auto_durable).
class ControlledSink final : public EventSink {
 public:
  Result<Ticket> submit(Batch&& b) override {
    std::lock_guard lock(mu);
    if (refuse > 0) {
      --refuse;
      ++refused;
      return make_error(ErrorCode::overloaded, "queue full");
    }
    for (auto& e : b.events) messages.push_back(e.message);
    b.events.clear();
    ++next;
    if (auto_durable) durable = next;
    cv.notify_all();
    return next;
  }
  Result<void> wait_durable(Ticket t, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, timeout, [&] { return durable >= t; })) return make_error(ErrorCode::overloaded, "timeout");
    return ok();
  }
  Ticket durable_ticket() const override {
    std::lock_guard lock(mu);
    return durable;
  }
  void make_durable(Ticket t) {
    std::lock_guard lock(mu);
    durable = t;
    cv.notify_all();
  }
  std::vector<std::string> got() {
    std::lock_guard lock(mu);
    return messages;
  }
  Ticket submitted() {
    std::lock_guard lock(mu);
    return next;
  }

  mutable std::mutex mu;
  std::condition_variable cv;
  int refuse = 0;
  int refused = 0;
  bool auto_durable = false;
  Ticket next = 0;
  Ticket durable = 0;
  std::vector<std::string> messages;
};

class FixedPositions final : public PositionStore {
 public:
  Result<std::vector<SourcePosition>> positions(std::string_view source) override {
    return std::vector<SourcePosition>{{std::string(source), "t:0", "41"}};
  }
};

Batch batch(const std::string& msg, const std::string& pos) {
  Batch b;
  LogEvent e;
  e.message = msg;
  b.events.push_back(e);
  b.positions.push_back({"scripted", "t:0", pos});
  return b;
}

RunnerOptions fast() {
  RunnerOptions o;
  o.poll_max_wait = 1ms;
  o.backoff_initial = 1ms;
  o.backoff_max = 4ms;
  o.durable_timeout = 5s;
  return o;
}

/// A scripted source (`s`; the runner owns it once started), a controlled sink and fixed stored
/// positions, and the runner over them.
struct Rig {
  std::unique_ptr<ScriptedSource> owned = std::make_unique<ScriptedSource>();
  ScriptedSource* s = owned.get();
  ControlledSink sink;
  FixedPositions store;
  Metrics metrics;
  std::optional<SourceRunner> runner;
  /// Hands the source to a runner and starts it.
  SourceRunner& start(RunnerOptions opts = fast()) {
    runner.emplace(std::move(owned), sink, store, metrics, opts);
    REQUIRE(runner->start());
    return *runner;
  }
};

}  // namespace

TEST_CASE_FIXTURE(Rig, "the runner starts its source from the stored positions") {
  auto& r = start();
  r.stop();
  REQUIRE(s->started_with.size() == 1);
  CHECK(s->started_with[0].value == "41");
  CHECK(s->closes == 1);
}

TEST_CASE_FIXTURE(Rig, "an overloaded sink gets the same batch again, nothing is dropped or reordered") {
  s->script.push_back(batch("a", "1"));
  s->script.push_back(batch("b", "2"));
  sink.refuse = 5;
  sink.auto_durable = true;
  auto& r = start();
  CHECK(test::wait_until([&] { return sink.got().size() == 2; }, 5s));
  CHECK(test::wait_until([&] { return s->commits().size() == 2; }, 5s));
  r.stop();
  CHECK(sink.got() == std::vector<std::string>{"a", "b"});
  CHECK(sink.refused == 5);
  CHECK(r.stats().submit_retries == 5);
  CHECK(r.stats().accepted == 2);
  CHECK(metrics.render().find("selfheal_source_submit_retries_total{source=\"scripted\"} 5") != std::string::npos);
}

TEST_CASE_FIXTURE(Rig, "positions are committed to the source only once the sink made them durable, in order") {
  for (int i = 1; i <= 3; ++i) s->script.push_back(batch("m" + std::to_string(i), std::to_string(i)));
  auto& r = start();
  REQUIRE(test::wait_until([&] { return sink.submitted() == 3; }, 5s));
  // Let the runner loop a few more times: without durability nothing may be committed.
  const auto polls = s->polls_done();
  REQUIRE(test::wait_until([&] { return s->polls_done() > polls + 5; }, 5s));
  CHECK(s->commits().empty());
  sink.make_durable(2);
  REQUIRE(test::wait_until([&] { return s->commits().size() == 2; }, 5s));
  CHECK(s->commits() == std::vector<std::string>{"1", "2"});
  sink.make_durable(3);
  REQUIRE(test::wait_until([&] { return s->commits().size() == 3; }, 5s));
  r.stop();
  CHECK(s->commits() == std::vector<std::string>{"1", "2", "3"});
}

TEST_CASE_FIXTURE(Rig, "poll errors back off, mark the source unhealthy, and recover") {
  s->fail_polls = 1'000'000;
  sink.auto_durable = true;
  auto& r = start();
  REQUIRE(test::wait_until([&] { return r.stats().poll_errors >= 3; }, 5s));
  CHECK_FALSE(r.health().ok);
  CHECK(r.health().detail.find("peer down") != std::string::npos);
  {
    std::lock_guard lock(s->mu);
    s->fail_polls = 0;
    s->script.push_back(batch("after", "9"));
  }
  REQUIRE(test::wait_until([&] { return sink.got().size() == 1; }, 5s));
  CHECK(test::wait_until([&] { return r.health().ok; }, 5s));
  r.stop();
}

TEST_CASE_FIXTURE(Rig, "stop drains the source, waits for durability, commits and closes") {
  s->drain_batch = batch("pending multiline event", "7");
  sink.auto_durable = true;
  auto& r = start();
  r.stop();
  CHECK(sink.got() == std::vector<std::string>{"pending multiline event"});
  CHECK(s->commits() == std::vector<std::string>{"7"});
  CHECK(s->closes == 1);
  r.stop();  // idempotent
  CHECK(s->closes == 1);
}

TEST_CASE_FIXTURE(Rig, "settle waits until every submitted batch is durable and commits it") {
  s->script.push_back(batch("x", "3"));
  auto opts = fast();
  opts.durable_timeout = 50ms;
  auto& r = start(opts);
  REQUIRE(test::wait_until([&] { return sink.submitted() == 1; }, 5s));
  r.abort();  // the loop is gone; settle is now safe to call from this thread
  CHECK_FALSE(r.settle());  // not durable within 50 ms
  CHECK(s->commits().empty());
  sink.make_durable(1);
  CHECK(r.settle());
  CHECK(s->commits() == std::vector<std::string>{"3"});
}

TEST_CASE_FIXTURE(Rig, "abort (a crash) neither drains, nor commits, nor closes") {
  s->script.push_back(batch("x", "3"));
  s->drain_batch = batch("never", "4");
  auto& r = start();
  REQUIRE(test::wait_until([&] { return sink.submitted() == 1; }, 5s));
  r.abort();
  CHECK(sink.got() == std::vector<std::string>{"x"});
  CHECK(s->commits().empty());
  CHECK(s->closes == 0);
}
