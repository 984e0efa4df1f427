// Issue 18, acceptance 2: healer decisions happen once for the fleet. Three healer workers, each on
// its own Stores (its own PostgreSQL connections: what three `selfheal serve` instances hold), decide
// on the same fingerprints at the same moment. The moment is forced, not hoped for: every worker's
// first guard read (HealingLog::last_run) waits at a rendezvous until all three have read or 300 ms
// have passed. Without the fleet-wide decision lock all three read "no runs, no approval" and all
// three act; with it the readers queue on the lock (each waits out the rendezvous alone) and every
// decision sees the ones before it.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "healer/worker.hpp"
#include "schema/metrics.hpp"
#include "schema/stores.hpp"
#include "schema/write_batch.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/support.hpp"

namespace selfheal {
namespace {

using namespace std::chrono_literals;
using healer::ActionConfig;
using healer::HealerConfig;
using healer::StrategyConfig;
using healer::Worker;
using healer::WorkerDeps;

constexpr int kInstances = 3;

/// Holds each arriving reader of one strategy until `parties` readers have arrived in its round, or
/// `patience` has passed.
class Rendezvous {
 public:
  explicit Rendezvous(int parties, std::chrono::milliseconds patience) : parties_(parties), patience_(patience) {}
  void arrive() {
    std::unique_lock l(mu_);
    const int goal = (arrived_ / parties_ + 1) * parties_;
    ++arrived_;
    cv_.notify_all();
    cv_.wait_for(l, patience_, [&] { return arrived_ >= goal; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
  const int parties_;
  const std::chrono::milliseconds patience_;
};

/// The instance's real HealingLog; run_times (the rate limit's read) meets the other instances'.
class RacingLog final : public HealingLog {
 public:
  RacingLog(HealingLog& inner, std::map<std::string, Rendezvous>& meet) : inner_(inner), meet_(meet) {}
  Result<std::int64_t> append(const HealingRun& run) override { return inner_.append(run); }
  Result<void> update(const HealingRun& run) override { return inner_.update(run); }
  Result<std::optional<HealingRun>> run(std::int64_t id) override { return inner_.run(id); }
  Result<std::vector<HealingRun>> runs(const RunQuery& q) override { return inner_.runs(q); }
  Result<std::int64_t> append_skip(const HealingRun& run) override { return inner_.append_skip(run); }
  Result<std::vector<UnixMs>> run_times(std::string_view strategy, UnixMs since, bool remediation_only) override {
    meet_.at(std::string(strategy)).arrive();
    return inner_.run_times(strategy, since, remediation_only);
  }
  Result<UnixMs> last_run(std::string_view strategy, std::string_view target, bool remediation_only) override {
    return inner_.last_run(strategy, target, remediation_only);
  }
  Result<std::vector<HealingRun>> pending_verifications() override { return inner_.pending_verifications(); }

 private:
  HealingLog& inner_;
  std::map<std::string, Rendezvous>& meet_;
};

/// The instance's real ApprovalStore; latest_approval meets the other instances'.
class RacingApprovals final : public ApprovalStore {
 public:
  RacingApprovals(ApprovalStore& inner, std::map<std::string, Rendezvous>& meet) : inner_(inner), meet_(meet) {}
  Result<std::int64_t> create_approval(const ApprovalRow& row) override { return inner_.create_approval(row); }
  Result<std::optional<ApprovalRow>> approval(std::int64_t id) override { return inner_.approval(id); }
  Result<std::optional<ApprovalRow>> latest_approval(std::string_view strategy, std::string_view fingerprint_id,
                                                     int step) override {
    meet_.at(std::string(strategy)).arrive();
    return inner_.latest_approval(strategy, fingerprint_id, step);
  }
  Result<std::vector<ApprovalRow>> approvals(std::string_view status, std::size_t limit) override {
    return inner_.approvals(status, limit);
  }
  Result<ApprovalRow> decide_approval(std::int64_t id, bool approve, std::string_view by, UnixMs now,
                                      std::string_view note) override {
    return inner_.decide_approval(id, approve, by, now, note);
  }
  Result<std::vector<ApprovalRow>> expire_approvals(UnixMs now) override { return inner_.expire_approvals(now); }
  Result<void> consume_approval(std::int64_t id) override { return inner_.consume_approval(id); }

 private:
  ApprovalStore& inner_;
  std::map<std::string, Rendezvous>& meet_;
};

StrategyConfig strategy(const std::string& name, const std::string& exception_type) {
  StrategyConfig s;
  s.name = name;
  s.match.exception_type = exception_type;
  ActionConfig a;
  a.type = "exec";
  a.delivery.type = "exec";
  a.delivery.exec.argv = {"/bin/true", name, "{service}"};
  s.actions.push_back(a);
  s.guards.cooldown_secs = 0;
  s.verification.enabled = false;
  return s;
}

/// `n` error events of one fingerprint, committed through `store`.
void storm(Store& store, const Clock& clock, const std::string& id, const std::string& service,
           const std::string& exception_type, int n) {
  WriteBatch b;
  for (int i = 0; i < n; ++i) {
    LogEvent e;
    e.ts = clock.now_ms();
    e.message = "ERROR " + exception_type + " on " + service;
    e.service = service;
    e.host = "h1";
    e.source = "test";
    FingerprintInfo info;
    info.id = id;
    info.template_text = "ERROR " + exception_type + " on <*>";
    info.exception_type = exception_type;
    b.count(e, true);
    b.add(e, info, Severity::error);
  }
  REQUIRE(store.commit(b));
}

struct Instance {
  std::unique_ptr<Stores> stores;
  Metrics metrics;
  std::unique_ptr<RacingLog> log;
  std::unique_ptr<RacingApprovals> approvals;
  std::unique_ptr<Worker> worker;
};

}  // namespace

TEST_CASE("fleet: three healers deciding at the same moment run within the fleet-wide limit and ask one approval") {
  REQUIRE_MESSAGE(test::postgres_installed(), "install PostgreSQL (scripts/install-deps.sh)");
  test::PostgresServer pg;
  StorageOptions o;
  o.type = "postgres";
  o.postgres_dsn = pg.fresh_database("decisions");
  o.postgres_pool = 4;
  FakeClock clock;

  HealerConfig cfg;
  cfg.enabled = true;
  cfg.backstop = false;
  cfg.tick_ms = 10;
  StrategyConfig restart = strategy("restart-orders", "DeadlockException");
  restart.guards.max_runs = 2;  // per hour, for the fleet: three instances may not make it three
  restart.guards.per_secs = 3600;
  StrategyConfig rollback = strategy("rollback-billing", "InvoiceException");
  rollback.requires_approval = true;
  rollback.approval_ttl_secs = 600;
  cfg.strategies = {restart, rollback};

  std::map<std::string, Rendezvous> meet;
  for (const auto* name : {"restart-orders", "rollback-billing"})
    meet.emplace(std::piecewise_construct, std::forward_as_tuple(name), std::forward_as_tuple(kInstances, 300ms));

  std::vector<std::unique_ptr<Instance>> fleet;
  for (int i = 0; i < kInstances; ++i) {
    auto in = std::make_unique<Instance>();
    auto s = Stores::open(o, clock);
    REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
    in->stores = std::move(*s);
    in->log = std::make_unique<RacingLog>(in->stores->healing_log(), meet);
    in->approvals = std::make_unique<RacingApprovals>(in->stores->approvals(), meet);
    auto w = Worker::create(cfg, WorkerDeps{clock, in->metrics, in->stores->store(), *in->log,
                                            in->stores->policy_state(), *in->approvals});
    REQUIRE_MESSAGE(w.has_value(), (w ? "" : w.error().message));
    in->worker = std::move(*w);
    in->worker->start();
    fleet.push_back(std::move(in));
  }

  // Three rounds of the storm; in each, every instance sees both fingerprints at once.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kInstances; ++i) {
      storm(fleet[i]->stores->store(), clock, "fp-orders", "orders", "DeadlockException", 10);
      storm(fleet[i]->stores->store(), clock, "fp-billing", "billing", "InvoiceException", 10);
    }
    std::vector<std::uint64_t> before;
    for (auto& in : fleet) before.push_back(in->worker->evaluations());
    for (auto& in : fleet) in->worker->enqueue(std::vector<std::string>{"fp-orders", "fp-billing"});
    REQUIRE(test::wait_until(
        [&] {
          for (int i = 0; i < kInstances; ++i)
            if (fleet[i]->worker->evaluations() < before[i] + 2 || fleet[i]->worker->in_flight() != 0) return false;
          return true;
        },
        30s));
    clock.advance(1s);
  }
  for (auto& in : fleet) in->worker->stop();

  RunQuery q;
  q.limit = 1000;
  q.strategy = "restart-orders";
  q.decision = "ran";
  auto ran = fleet[0]->stores->healing_log().runs(q);
  REQUIRE(ran);
  auto approvals = fleet[0]->stores->approvals().approvals("", 100);
  REQUIRE(approvals);
  MESSAGE("3 instances deciding at once, 3 rounds: " << ran->size() << " runs (limit 2/hour fleet-wide), "
                                                     << approvals->size() << " approval(s)");
  CHECK(ran->size() == 2);
  CHECK(approvals->size() == 1);
}

}  // namespace selfheal
