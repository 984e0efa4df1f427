// The Action seam: a new action type is one file (an Action and its ActionFactory, like the demo
// below) plus one line that registers its factory. The worker runs it, records it, describes it for
// simulate, and never string-switches on its type.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "healer/action_type.hpp"
#include "healer/worker.hpp"
#include "schema/sqlite_db.hpp"
#include "schema/sqlite_healing_store.hpp"
#include "schema/sqlite_store.hpp"
#include "schema/write_batch.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace selfheal::healer;
using namespace std::chrono_literals;

namespace {

// ---- the demo action type: everything a new type needs ----
/// "touch": appends one line (fingerprint and service) to a configured file.
class TouchAction final : public Action {
 public:
  explicit TouchAction(std::string path) : path_(std::move(path)) {}
  std::string_view type() const override { return "touch"; }
  bool remediation() const override { return true; }
  bool verifiable() const override { return false; }
  ActionOutcome run(const Plan& p, ActionEnv&, std::stop_token) const override {
    std::ofstream f(path_, std::ios::app);
    f << p.fingerprint_id << " " << p.service << "\n";
    ActionOutcome o;
    o.success = static_cast<bool>(f);
    o.output = "touched " + path_;
    return o;
  }
  ActionDescription describe(const Plan&) const override {
    ActionDescription d;
    d.targets = {path_};
    return d;
  }

 private:
  std::string path_;
};

class TouchFactory final : public ActionFactory {
 public:
  std::string_view type() const override { return "touch"; }
  std::vector<ConfigKey> config_schema() const override { return {{"path", ConfigKeyKind::text, true}}; }
  Result<std::shared_ptr<const Action>> create(const ActionConfig& cfg, const std::string& where) const override {
    const std::string path = cfg.param("path");
    if (path.empty() || path[0] != '/') return make_error(ErrorCode::config, where + ": path must be absolute");
    return std::shared_ptr<const Action>(std::make_shared<TouchAction>(path));
  }
};
// ---- end of the demo type ----

}  // namespace

TEST_CASE("a new action type is one class plus one factory line, validated and run by the worker") {
  ActionRegistry registry;
  add_builtin_actions(registry);
  REQUIRE(registry.add(std::make_unique<TouchFactory>()));  // the one line

  test::TempDir dir;
  const std::string marker = dir.file("touched.log");
  StrategyConfig s;
  s.name = "touch-it";
  s.match.exception_type = "ConnectException";
  ActionConfig a;
  a.type = "touch";
  a.params = {{"path", marker}};
  s.actions.push_back(a);
  s.guards.cooldown_secs = 0;
  HealerConfig cfg;
  cfg.enabled = true;
  cfg.backstop = false;
  cfg.tick_ms = 10;
  cfg.strategies.push_back(s);

  // Validation goes through the type's factory: a relative path is refused with its place.
  {
    HealerConfig bad = cfg;
    bad.strategies[0].actions[0].params = {{"path", "relative.log"}};
    auto strategies = build_strategies(bad, &registry);
    REQUIRE_FALSE(strategies);
    CHECK(strategies.error().message.find("strategy 'touch-it' action 'touch': path must be absolute") !=
          std::string::npos);
    // Unknown to the built-in registry (the config loader's): refused, listing the known types.
    auto builtin = build_strategies(cfg);
    REQUIRE_FALSE(builtin);
    CHECK(builtin.error().message.find("unknown action type 'touch' (exec, http, notify, throttle, failover, "
                                       "suggest)") != std::string::npos);
  }

  FakeClock clock{1'700'000'000'000};
  Metrics metrics;
  auto db = SqliteDb::open({dir.file("selfheal.db")});
  REQUIRE(db);
  SqliteStore store(*db, clock);
  SqliteHealingStore healing(*db);
  WriteBatch b;
  for (int i = 0; i < 3; ++i) {
    LogEvent e;
    e.ts = clock.now_ms();
    e.message = "Connection refused";
    e.service = "checkout";
    e.host = "h1";
    e.source = "test";
    b.count(e, true);
    b.add(e, FingerprintInfo{"fp1", "Connection refused", "ConnectException", "[]", {}}, Severity::error);
  }
  auto receipt = store.commit(b);
  REQUIRE(receipt);

  auto w = Worker::create(cfg, WorkerDeps{clock, metrics, store, healing, healing, healing, nullptr, &registry});
  REQUIRE(w);
  auto sim = (*w)->simulate("fp1");
  REQUIRE(sim);
  CHECK(sim->strategy == "touch-it");
  CHECK(sim->plan.impl->describe(sim->plan).targets == std::vector<std::string>{marker});
  CHECK_FALSE(std::filesystem::exists(marker));  // simulate runs nothing

  (*w)->start();
  (*w)->enqueue(receipt->touched_scopes);
  REQUIRE(test::wait_until([&] { return std::filesystem::exists(marker) && (*w)->in_flight() == 0; }, 10s));
  CHECK(test::read_file(marker) == "fp1 checkout\n");
  RunQuery q;
  q.decision = "ran";
  auto runs = healing.runs(q);
  REQUIRE(runs);
  REQUIRE(runs->size() == 1);
  CHECK((*runs)[0].action_type == "touch");
  CHECK((*runs)[0].outcome == "success");
  CHECK((*runs)[0].remediation);
  CHECK((*runs)[0].verification == "skipped");  // the type said it is not verifiable
  (*w)->stop();
}
