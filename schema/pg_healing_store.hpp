#pragma once
// PostgreSQL implementation of the healer's stores (tables of pg_migrations/0002_healer_llm.sql),
// shared by every instance: runs, breakers, throttles, failovers and approvals are fleet-wide.
#include <memory>

#include "schema/healing_store.hpp"
#include "schema/pg_db.hpp"

namespace selfheal {

class PgHealingStore final : public HealingLog, public PolicyStateStore, public ApprovalStore, public HealingViews {
 public:
  explicit PgHealingStore(std::shared_ptr<PgDb> db);

  Result<std::int64_t> append(const HealingRun& run) override;
  Result<void> update(const HealingRun& run) override;
  Result<std::optional<HealingRun>> run(std::int64_t id) override;
  Result<std::vector<HealingRun>> runs(const RunQuery& q) override;
  Result<std::int64_t> append_skip(const HealingRun& run) override;
  Result<std::vector<UnixMs>> run_times(std::string_view strategy, UnixMs since,
                                        bool remediation_only = false) override;
  Result<UnixMs> last_run(std::string_view strategy, std::string_view target, bool remediation_only = false) override;
  Result<std::vector<HealingRun>> pending_verifications() override;

  Result<std::unique_ptr<DecisionLock>> lock_decision(std::string_view strategy) override;
  Result<std::optional<BreakerRow>> breaker(std::string_view strategy, std::string_view target) override;
  Result<void> save_breaker(const BreakerRow& row) override;
  Result<std::vector<BreakerRow>> breakers() override;
  Result<UnixMs> timestamp(std::string_view key) override;
  Result<void> set_timestamp(std::string_view key, UnixMs value) override;
  Result<std::int64_t> add_throttle(const ThrottleRow& row) override;
  Result<void> finish_throttle(std::int64_t id, std::string_view status, UnixMs at) override;
  Result<std::vector<ThrottleRow>> active_throttles() override;
  Result<std::vector<ThrottleRow>> throttles(std::size_t limit) override;
  Result<std::optional<FailoverRow>> failover(std::string_view key) override;
  Result<void> save_failover(const FailoverRow& row) override;
  Result<std::vector<FailoverRow>> failovers() override;
  Result<int> escalation_step(std::string_view strategy, std::string_view fingerprint_id,
                              std::string_view target) override;
  Result<void> set_escalation_step(std::string_view strategy, std::string_view fingerprint_id, std::string_view target,
                                   int step, UnixMs now) override;

  Result<std::int64_t> create_approval(const ApprovalRow& row) override;
  Result<std::optional<ApprovalRow>> approval(std::int64_t id) override;
  Result<std::optional<ApprovalRow>> latest_approval(std::string_view strategy, std::string_view fingerprint_id,
                                                     int step) override;
  Result<std::vector<ApprovalRow>> approvals(std::string_view status, std::size_t limit) override;
  Result<ApprovalRow> decide_approval(std::int64_t id, bool approve, std::string_view by, UnixMs now,
                                      std::string_view note) override;
  Result<std::vector<ApprovalRow>> expire_approvals(UnixMs now) override;
  Result<void> consume_approval(std::int64_t id) override;

  Result<std::vector<ViewRow>> view(std::string_view name, std::size_t limit) override;

 private:
  std::shared_ptr<PgDb> db_;
};

}  // namespace selfheal
