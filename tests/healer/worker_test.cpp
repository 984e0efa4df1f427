// The worker end to end below the HTTP layer: real SQLite, real processes, a real webhook receiver,
// and a FakeClock for every time window (cooldowns, verification, expiry). No sleeps: wait_until.
#include <doctest/doctest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "healer/worker.hpp"
#include "schema/sqlite_db.hpp"
#include "schema/sqlite_healing_store.hpp"
#include "schema/sqlite_store.hpp"
#include "schema/write_batch.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/recorder.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::healer;
using namespace std::chrono_literals;

namespace {

struct Webhook {
  test::LocalHttpServer http;
  std::mutex mu;
  std::vector<std::string> bodies;
  Webhook() {
    http.server().Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard l(mu);
      bodies.push_back(req.body);
      res.status = 200;
    });
    REQUIRE(http.start() > 0);  // bound to a port
  }
  std::string url() const { return http.url() + "/hook"; }
  std::size_t count(const std::string& level) {
    std::lock_guard l(mu);
    std::size_t n = 0;
    for (const auto& b : bodies)
      if (nlohmann::json::parse(b)["level"] == level) ++n;
    return n;
  }
};

struct Env {
  test::TempDir dir;
  FakeClock clock{1'700'000'000'000};
  Metrics metrics;
  std::shared_ptr<SqliteDb> db;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<SqliteHealingStore> healing;
  test::Recorder rec{dir};
  Env() { open(); }
  void open() {
    auto d = SqliteDb::open({dir.file("selfheal.db")});
    REQUIRE(d);
    db = *d;
    store = std::make_unique<SqliteStore>(db, clock);
    healing = std::make_unique<SqliteHealingStore>(db);
  }
  void exit_code(int c) { rec.exit_with(c); }
  std::vector<std::string> recorded() { return rec.lines(); }
  /// Commits `n` error events of one fingerprint at the fake clock's time.
  void events(const std::string& fp, int n, const std::string& service = "checkout-api",
              const std::string& message = "Connection refused to db:5432") {
    WriteBatch b;
    for (int i = 0; i < n; ++i) {
      LogEvent e;
      e.ts = clock.now_ms();
      e.message = message;
      e.service = service;
      e.host = "h1";
      e.source = "test";
      FingerprintInfo info;
      info.id = fp;
      info.template_text = "Connection refused to <*>";
      info.exception_type = "ConnectException";
      b.count(e, true);
      b.add(e, info, Severity::error);
    }
    REQUIRE(store->commit(b));
  }
  StrategyConfig exec_strategy(const std::string& name) {
    StrategyConfig s;
    s.name = name;
    s.match.exception_type = "ConnectException";
    ActionConfig a;
    a.type = "exec";
    a.delivery.type = "exec";
    a.delivery.exec.argv = rec.argv({"restart", "{service}", "{fingerprint_id}"});
    s.actions.push_back(a);
    s.guards.cooldown_secs = 60;
    s.guards.max_runs = 3;
    s.guards.per_secs = 3600;
    s.guards.breaker = {3, 600};
    s.verification.window_secs = 2;
    return s;
  }
  /// exec_strategy("restart") with a second step, "rollback": the same argv but for its verb.
  StrategyConfig restart_then_rollback() {
    auto s = exec_strategy("restart");
    ActionConfig heavy = s.actions[0];
    heavy.name = "rollback";
    heavy.delivery.exec.argv[3] = "rollback";
    s.actions[0].name = "restart";
    s.actions.push_back(heavy);
    return s;
  }
  std::unique_ptr<Worker> worker(HealerConfig cfg) {
    cfg.enabled = true;
    cfg.tick_ms = 10;
    auto w = Worker::create(cfg, WorkerDeps{clock, metrics, *store, *healing, *healing, *healing, nullptr});
    REQUIRE(w);
    (*w)->start();
    return std::move(*w);
  }
  std::vector<HealingRun> runs(const std::string& decision = "", const std::string& reason = "") {
    RunQuery q;
    q.limit = 10000;
    q.decision = decision;
    q.reason = reason;
    return *healing->runs(q);
  }
  bool settled(Worker& w) { return w.in_flight() == 0; }
  /// `rounds` times: `n` more events of fp1, one evaluation that settles, then the clock moves `step`.
  void storm(Worker& w, int rounds, int n, std::chrono::milliseconds step) {
    for (int i = 0; i < rounds; ++i) {
      events("fp1", n);
      const auto before = w.evaluations();
      w.enqueue({"fp1"});
      REQUIRE(test::wait_until([&] { return w.evaluations() > before && settled(w); }));
      clock.advance(step);
    }
  }
  /// Decisions behind history rows: identical consecutive skips share one row (HealingRun::repeats).
  static std::int64_t decisions(const std::vector<HealingRun>& rows) {
    std::int64_t n = 0;
    for (const auto& r : rows) n += r.repeats;
    return n;
  }
};

HealerConfig base_config(StrategyConfig s) {
  HealerConfig c;
  c.backstop = false;
  c.strategies.push_back(std::move(s));
  return c;
}

}  // namespace

TEST_CASE("a matching fingerprint runs the configured argv once, then verifies after the window") {
  Env env;
  auto w = env.worker(base_config(env.exec_strategy("restart")));
  env.events("fp1", 20);
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] {
    auto r = env.runs("ran");
    return r.size() == 1 && r[0].verification == "pending";
  }));
  CHECK(env.recorded() == std::vector<std::string>{"|restart|checkout-api|fp1"});
  // No new events; the window passes on the fake clock.
  env.clock.advance(3s);
  REQUIRE(test::wait_until([&] { return env.runs("ran")[0].verification == "verified"; }));
  auto r = env.runs("ran")[0];
  CHECK(r.outcome == "success");
  CHECK(r.rate_before > 0);
  CHECK(r.rate_after == 0);
  // Within the cooldown a new burst is skipped and recorded with its reason.
  env.events("fp1", 5);
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] { return env.runs("skipped", "cooldown").size() == 1; }));
  CHECK(env.recorded().size() == 1);
  CHECK(env.metrics.render().find("selfheal_healer_auto_heals_total 1") != std::string::npos);
}

TEST_CASE("errors that keep coming after the action are not verified and escalate to the next action") {
  Env env;
  auto s = env.restart_then_rollback();
  auto w = env.worker(base_config(s));
  env.events("fp1", 10);
  w->enqueue({"fp1"});
  REQUIRE(
      test::wait_until([&] { return env.runs("ran").size() == 1 && env.runs("ran")[0].verification == "pending"; }));
  env.events("fp1", 30);  // the rate does not drop
  env.clock.advance(3s);
  REQUIRE(test::wait_until([&] { return env.runs("ran").size() == 2 && env.settled(*w); }));
  auto runs = env.runs("ran");
  CHECK(runs[1].verification == "not_verified");
  CHECK(runs[0].action == "rollback");
  CHECK(env.recorded() == std::vector<std::string>{"|restart|checkout-api|fp1", "|rollback|checkout-api|fp1"});
}

TEST_CASE("a storm: runs stay within the rate limit, the breaker opens once with one critical notification") {
  Env env;
  Webhook hook;
  auto s = env.exec_strategy("restart");
  s.guards.cooldown_secs = 0;
  s.guards.max_runs = 5;
  s.guards.breaker = {3, 600};
  HealerConfig cfg = base_config(s);
  cfg.notify.channels = {{"ops", hook.url(), {"critical", "warning"}, {}, 2000}};
  auto w = env.worker(cfg);
  env.exit_code(1);
  // 1,000 events over one minute in 100 commits; the worker evaluates after each.
  env.storm(*w, 100, 10, 600ms);
  const auto ran = env.runs("ran");
  std::size_t exec_runs = 0;
  for (const auto& r : ran) exec_runs += r.action_type == "exec";
  CHECK(exec_runs == 3);  // the breaker opened after 3 failures, below the rate limit of 5
  CHECK(env.recorded().size() == 3);
  REQUIRE(test::wait_until([&] { return hook.count("critical") == 1; }));
  CHECK(hook.count("critical") == 1);
  auto b = env.healing->breaker("restart", "checkout-api");
  REQUIRE(b);
  REQUIRE(*b);
  CHECK((*b)->phase == "open");
  const auto skipped = env.runs("skipped");
  CHECK(Env::decisions(skipped) == 97);
  CHECK(skipped.size() <= 8);  // identical consecutive skips share a row
  for (const auto& r : skipped) {
    CHECK_FALSE(r.reason.empty());
    CHECK((r.reason == "breaker_open" || r.reason == "concurrency"));
  }
  CHECK(Env::decisions(env.runs("skipped", "breaker_open")) >= 90);
  CHECK(env.metrics.render().find("selfheal_healer_circuit_breaks_total 1") != std::string::npos);
}

TEST_CASE("the rate limit caps successful runs in a storm") {
  Env env;
  auto s = env.exec_strategy("restart");
  s.guards.cooldown_secs = 0;
  s.guards.max_runs = 3;
  s.verification.enabled = false;
  auto w = env.worker(base_config(s));
  env.storm(*w, 50, 20, 1s);
  CHECK(env.recorded().size() == 3);
  CHECK(Env::decisions(env.runs("skipped", "rate_limited")) == 47);
}

TEST_CASE("approval: requested, granted, run once; an unanswered one expires; both survive a restart") {
  Env env;
  auto s = env.exec_strategy("restart");
  s.requires_approval = true;
  s.approval_ttl_secs = 60;
  auto cfg = base_config(s);
  std::int64_t approval_id = 0;
  {
    auto w = env.worker(cfg);
    env.events("fp1", 5);
    w->enqueue({"fp1"});
    REQUIRE(test::wait_until([&] { return env.runs("approval_requested").size() == 1; }));
    approval_id = env.runs("approval_requested")[0].approval_id;
    CHECK(approval_id > 0);
    env.events("fp1", 5);
    w->enqueue({"fp1"});
    REQUIRE(test::wait_until([&] { return env.runs("skipped", "awaiting_approval").size() == 1; }));
    CHECK(env.recorded().empty());
    w->stop();
  }
  env.open();  // restart: the pending approval is still there
  auto pending = env.healing->approvals("pending", 10);
  REQUIRE(pending);
  REQUIRE(pending->size() == 1);
  CHECK(pending->front().plan_json.find("checkout-api") != std::string::npos);
  auto w = env.worker(cfg);
  REQUIRE(env.healing->decide_approval(approval_id, true, "alice", env.clock.now_ms(), ""));
  w->wake();
  REQUIRE(test::wait_until([&] { return env.recorded().size() == 1 && env.settled(*w); }));
  CHECK((*env.healing->approval(approval_id))->status == "consumed");
  CHECK(env.runs("ran")[0].approval_id == approval_id);

  // Next time (after the cooldown) a new approval is requested, and left to expire.
  env.clock.advance(61s);
  env.events("fp1", 5);
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] { return env.runs("approval_requested").size() == 2; }));
  env.clock.advance(61s);
  REQUIRE(test::wait_until([&] { return env.runs("skipped", "approval_expired").size() == 1; }));
  CHECK(env.recorded().size() == 1);
}

TEST_CASE("an open breaker survives a restart and allows one half-open trial after open_secs") {
  Env env;
  auto s = env.exec_strategy("restart");
  s.guards.cooldown_secs = 0;
  s.guards.max_runs = 0;
  auto cfg = base_config(s);
  env.exit_code(1);
  {
    auto w = env.worker(cfg);
    for (int i = 0; i < 3; ++i) {
      env.events("fp1", 5);
      w->enqueue({"fp1"});
      REQUIRE(test::wait_until(
          [&] { return env.recorded().size() == static_cast<std::size_t>(i + 1) && env.settled(*w); }));
    }
    REQUIRE(test::wait_until([&] {
      auto b = env.healing->breaker("restart", "checkout-api");
      return b && *b && (*b)->phase == "open";
    }));
  }
  env.open();
  auto w = env.worker(cfg);
  env.events("fp1", 5);
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] { return env.runs("skipped", "breaker_open").size() == 1; }));
  CHECK(env.recorded().size() == 3);
  env.exit_code(0);
  env.clock.advance(601s);
  env.events("fp1", 5);
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] { return env.recorded().size() == 4 && env.settled(*w); }));
  env.clock.advance(3s);  // verification window, no new events: the trial succeeds and closes the breaker
  REQUIRE(test::wait_until([&] {
    auto b = env.healing->breaker("restart", "checkout-api");
    return b && *b && (*b)->phase == "closed";
  }));
}

TEST_CASE("dry run records what would happen and runs nothing; simulate executes nothing") {
  Env env;
  auto s = env.exec_strategy("restart");
  s.dry_run = true;
  auto w = env.worker(base_config(s));
  env.events("fp1", 5);
  auto sim = w->simulate("fp1");
  REQUIRE(sim);
  CHECK(sim->found);
  CHECK(sim->strategy == "restart");
  CHECK(sim->argv.back() == "fp1");
  CHECK(sim->decision.reason == SkipReason::dry_run);
  CHECK(env.runs().empty());
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] { return env.runs("skipped", "dry_run").size() == 1; }));
  CHECK(env.recorded().empty());
  auto none = w->simulate("nope");
  REQUIRE(none);
  CHECK_FALSE(none->found);
}

TEST_CASE("a log message with shell metacharacters never reaches argv") {
  Env env;
  auto s = env.exec_strategy("restart");
  s.match.exception_type.clear();
  s.match.message_regex = "rm -rf";
  s.actions[0].delivery.exec.argv = env.rec.argv({"{service}", "{fingerprint_id}"});
  auto w = env.worker(base_config(s));
  const std::string evil = "boom $(touch " + env.dir.file("pwned") + "); `rm -rf /` | nc x 1 && echo";
  // The service name comes from logs too: an unsafe one makes the action refuse to run at all.
  env.events("fp1", 3, "svc;$(id)", evil);
  w->enqueue({"fp1"});
  // Refused before anything runs, and recorded as a decision with its reason.
  REQUIRE(test::wait_until([&] { return env.runs("skipped", "unsafe_argument").size() == 1 && env.settled(*w); }));
  auto r = env.runs("skipped", "unsafe_argument")[0];
  CHECK(r.detail.find("outside [A-Za-z0-9._:-]") != std::string::npos);
  CHECK(env.runs("ran").empty());
  CHECK(env.recorded().empty());
  CHECK_FALSE(std::filesystem::exists(env.dir.file("pwned")));
}

namespace {

struct HealEndpoint {
  test::LocalHttpServer http;
  std::atomic<int> calls{0};
  std::atomic<int> fail_first{0};
  HealEndpoint() {
    http.server().Post(".*", [this](const httplib::Request&, httplib::Response& res) {
      const int n = ++calls;
      res.status = n <= fail_first.load() ? 503 : 200;
    });
    REQUIRE(http.start() > 0);  // bound to a port
  }
  std::string url() const { return http.url() + "/heal"; }
};

// A hand-written fake of the LLM seam: records the fingerprints it was asked about.
class RecordingRequester final : public SuggestionRequester {
 public:
  Result<void> request_suggestion(const std::string& fingerprint_id) override {
    std::lock_guard l(mu);
    ids.push_back(fingerprint_id);
    return {};
  }
  std::size_t size() {
    std::lock_guard l(mu);
    return ids.size();
  }
  std::mutex mu;
  std::vector<std::string> ids;
};

}  // namespace

TEST_CASE("transient failures are retried with backoff until the endpoint recovers") {
  Env env;
  HealEndpoint heal;
  heal.fail_first = 2;
  StrategyConfig s = env.exec_strategy("heal");
  s.actions[0] = ActionConfig{};
  s.actions[0].type = "http";
  s.actions[0].delivery.type = "http";
  s.actions[0].delivery.http.url = heal.url();
  s.actions[0].retries = 3;
  s.actions[0].backoff_initial_ms = 10;
  s.actions[0].backoff_max_ms = 40;
  s.verification.enabled = false;
  auto w = env.worker(base_config(s));
  env.events("fp1", 5);
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] {
    auto r = env.runs("ran");
    return r.size() == 1 && r[0].outcome == "success";
  }));
  auto r = env.runs("ran")[0];
  CHECK(r.attempts == 3);
  CHECK(heal.calls == 3);
  CHECK(r.verification == "skipped");
}

TEST_CASE("throttle applies, is persisted as state, and restores itself after its duration") {
  Env env;
  auto s = env.exec_strategy("slow-down");
  ActionConfig t;
  t.type = "throttle";
  t.delivery.type = "exec";
  t.delivery.exec.argv = env.rec.argv({"throttle", "{service}"});
  t.restore.type = "exec";
  t.restore.exec.argv = env.rec.argv({"unthrottle", "{service}"});
  t.duration_secs = 600;
  s.actions = {t};
  auto w = env.worker(base_config(s));
  env.events("fp1", 5);
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] { return env.recorded().size() == 1 && env.settled(*w); }));
  auto active = env.healing->active_throttles();
  REQUIRE(active);
  REQUIRE(active->size() == 1);
  CHECK(active->front().restore_at == env.clock.now_ms() + 600'000);
  env.clock.advance(599s);
  env.clock.advance(2s);
  REQUIRE(test::wait_until([&] { return env.recorded().size() == 2; }));
  CHECK(env.recorded() == std::vector<std::string>{"|throttle|checkout-api", "|unthrottle|checkout-api"});
  REQUIRE(test::wait_until([&] { return env.healing->active_throttles()->empty(); }));
  CHECK(env.healing->throttles(10)->front().status == "restored");
}

TEST_CASE("failover switches to a healthy backup and persists the active target; reset returns to primary") {
  Env env;
  auto s = env.exec_strategy("db-failover");
  ActionConfig f;
  f.type = "failover";
  f.name = "failover";
  f.targets = {"db-a", "db-b"};
  f.delivery.type = "exec";
  f.delivery.exec.argv = env.rec.argv({"switch", "{target}"});
  f.health_check.type = "exec";
  f.health_check.exec.argv = env.rec.argv({"check", "{target}"});
  s.actions = {f};
  s.verification.enabled = false;
  auto w = env.worker(base_config(s));
  env.events("fp1", 5);
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] { return env.runs("ran").size() == 1 && env.settled(*w); }));
  CHECK(env.recorded() == std::vector<std::string>{"|check|db-b", "|switch|db-b", "|check|db-b"});
  auto st = env.healing->failover("db-failover/failover");
  REQUIRE(st);
  REQUIRE(*st);
  CHECK((*st)->active == "db-b");
  auto reset = w->reset_failover("db-failover", "failover");
  REQUIRE(reset);
  CHECK(reset->success);
  CHECK((*env.healing->failover("db-failover/failover"))->active == "db-a");
  CHECK(env.recorded().back() == "|switch|db-a");
}

TEST_CASE("suggest hands the fingerprint to the LLM seam; notify respects its level's threshold") {
  Env env;
  Webhook hook;
  RecordingRequester llm;
  StrategyConfig s;
  s.name = "ask-and-tell";
  s.match.exception_type = "ConnectException";
  ActionConfig ask;
  ask.type = "suggest";
  ActionConfig tell;
  tell.type = "notify";
  tell.level = "warning";
  s.actions = {ask};
  s.guards.cooldown_secs = 0;
  HealerConfig cfg = base_config(s);
  cfg.notify.channels = {{"chat", hook.url(), {"warning"}, {}, 2000}};
  cfg.notify.levels = {{"warning", 10, 3600}};
  auto w = Worker::create(
      cfg, WorkerDeps{env.clock, env.metrics, *env.store, *env.healing, *env.healing, *env.healing, &llm});
  REQUIRE(w);
  (*w)->start();
  env.events("fp1", 3);
  (*w)->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] { return llm.size() == 1; }));
  CHECK(llm.ids[0] == "fp1");
  (*w)->stop();

  // notify: 3 events are below the warning threshold of 10; 12 pass it once, then the cooldown holds.
  s.actions = {tell};
  cfg = base_config(s);
  cfg.notify.channels = {{"chat", hook.url(), {"warning"}, {}, 2000}};
  cfg.notify.levels = {{"warning", 10, 3600}};
  auto w2 = env.worker(cfg);
  env.events("fp2", 3);
  w2->enqueue({"fp2"});
  REQUIRE(test::wait_until([&] { return env.runs("skipped", "below_threshold").size() == 1; }));
  env.events("fp2", 9);
  w2->enqueue({"fp2"});
  REQUIRE(test::wait_until([&] { return hook.count("warning") == 1 && env.settled(*w2); }));
  env.events("fp2", 9);
  w2->enqueue({"fp2"});
  REQUIRE(test::wait_until([&] { return env.runs("skipped", "notify_cooldown").size() == 1; }));
  CHECK(hook.count("warning") == 1);
}

TEST_CASE("the backstop notifies when no strategy matches, and only then") {
  Env env;
  Webhook hook;
  auto s = env.exec_strategy("restart");
  s.match.service = "payments";  // does not match checkout-api
  HealerConfig cfg = base_config(s);
  cfg.backstop = true;
  cfg.notify.channels = {{"chat", hook.url(), {"warning"}, {}, 2000}};
  cfg.notify.levels = {{"warning", 1, 0}};
  auto w = env.worker(cfg);
  env.events("fp1", 3);
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] { return hook.count("warning") == 1 && env.settled(*w); }));
  auto r = env.runs("ran");
  REQUIRE(r.size() == 1);
  CHECK(r[0].strategy == "backstop");
  CHECK(env.recorded().empty());
  env.events("fp2", 3, "payments");
  w->enqueue({"fp2"});
  REQUIRE(test::wait_until([&] { return env.recorded().size() == 1 && env.settled(*w); }));
  CHECK(hook.count("warning") == 1);
}

TEST_CASE("a run left running by a stopped process is closed as interrupted and releases its breaker trial") {
  Env env;
  HealingRun r;
  r.ts = env.clock.now_ms();
  r.strategy = "restart";
  r.fingerprint_id = "fp1";
  r.target = "checkout-api";
  r.decision = "ran";
  r.outcome = "running";
  auto id = env.healing->append(r);
  REQUIRE(id);
  REQUIRE(env.healing->save_breaker({"restart", "checkout-api", "half_open", 3, 1, true, 1, 1}));
  auto w = env.worker(base_config(env.exec_strategy("restart")));
  auto after = env.healing->run(*id);
  REQUIRE(after);
  REQUIRE(*after);
  CHECK((*after)->outcome == "error");
  CHECK((*after)->error.find("interrupted") != std::string::npos);
  CHECK_FALSE((*env.healing->breaker("restart", "checkout-api"))->trial_in_flight);
  // The released half-open breaker allows one trial again (once the interrupted run's cooldown passed).
  env.clock.advance(61s);
  env.events("fp1", 3);
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] { return env.recorded().size() == 1 && env.settled(*w); }));
}

TEST_CASE("[exec, notify]: a delivered page does not reset the breaker; it opens after N failed fixes") {
  Env env;
  Webhook hook;
  auto s = env.exec_strategy("restart");
  ActionConfig page;
  page.type = "notify";
  page.name = "page";
  page.level = "warning";
  s.actions[0].name = "restart";
  s.actions.push_back(page);
  s.guards.cooldown_secs = 0;
  s.guards.max_runs = 20;
  s.guards.breaker = {3, 600};
  HealerConfig cfg = base_config(s);
  cfg.notify.channels = {{"ops", hook.url(), {"critical", "warning"}, {}, 2000}};
  cfg.notify.page_cooldown_secs = 0;
  cfg.notify.levels = {{"warning", 1, 0}, {"critical", 1, 0}};
  auto w = env.worker(cfg);
  env.exit_code(1);
  env.storm(*w, 10, 5, 1s);
  CHECK(env.recorded().size() == 3);
  auto b = env.healing->breaker("restart", "checkout-api");
  REQUIRE(b);
  REQUIRE(*b);
  CHECK((*b)->phase == "open");
  REQUIRE(test::wait_until([&] { return hook.count("critical") == 1; }));
  CHECK(hook.count("warning") >= 2);  // the pages after the failed fixes were sent
}

TEST_CASE("the escalation step survives a restart: the next evaluation continues the episode") {
  Env env;
  auto s = env.restart_then_rollback();
  s.guards.cooldown_secs = 0;
  s.guards.max_runs = 1;  // the rollback right after the failed restart is rate limited
  s.guards.per_secs = 60;
  s.guards.breaker = {0, 600};
  env.exit_code(1);
  {
    auto w = env.worker(base_config(s));
    env.events("fp1", 10);
    w->enqueue({"fp1"});
    REQUIRE(test::wait_until([&] { return !env.runs("skipped", "rate_limited").empty() && env.settled(*w); }));
    CHECK(env.runs("skipped", "rate_limited")[0].action == "rollback");
    w->stop();
  }
  CHECK(*env.healing->escalation_step("restart", "fp1", "checkout-api") == 1);
  env.clock.advance(61s);  // the rate limit lifts
  auto w = env.worker(base_config(s));
  env.events("fp1", 10);
  w->enqueue({"fp1"});
  REQUIRE(test::wait_until([&] { return env.recorded().size() == 2 && env.settled(*w); }));
  CHECK(env.recorded() == std::vector<std::string>{"|restart|checkout-api|fp1", "|rollback|checkout-api|fp1"});
  CHECK(*env.healing->escalation_step("restart", "fp1", "checkout-api") == 0);  // every step tried
}
