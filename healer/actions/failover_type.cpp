// failover: switches between configured targets (healer/actions/failover.hpp does the health checks
// and the rollback); the active target is persisted per (strategy, action).
#include <algorithm>

#include "healer/actions/builtin.hpp"
#include "healer/actions/failover.hpp"
#include "healer/strategy.hpp"

namespace selfheal::healer {
namespace {

class FailoverAction final : public Action {
 public:
  std::string_view type() const override { return "failover"; }
  bool remediation() const override { return true; }
  ActionOutcome run(const Plan& p, ActionEnv& env, std::stop_token stop) const override {
    const ActionConfig& a = p.action;
    const std::string key = p.strategy + "/" + a.name;
    auto cur = env.state.failover(key);
    const std::string active = cur && *cur ? (*cur)->active : a.targets.front();
    auto res = run_failover(a, active, p.fields,
                            [&](const Delivery& d, const Fields& f) { return run_delivery(d, f, stop); });
    FailoverRow row{key, res.active, res.previous, env.clock.now_ms(),
                    res.outcome.success ? "switched" : (res.rolled_back ? "rolled_back" : "failed")};
    if (res.switched || res.rolled_back || !cur || !*cur)
      if (auto w = env.state.save_failover(row); !w && env.warn) env.warn("persist the failover state", w.error());
    env.metrics
        .gauge("selfheal_healer_failover_active_index", "Index of the active failover target (0 = primary).",
               {{"strategy", p.strategy}, {"action", a.name}})
        .set(static_cast<double>(std::find(a.targets.begin(), a.targets.end(), res.active) - a.targets.begin()));
    return res.outcome;
  }
  ActionDescription describe(const Plan& p) const override {
    ActionDescription d = describe_delivery(p.action.delivery, p.fields);
    d.targets = p.action.targets;
    return d;
  }
};

Result<void> check_failover(const ActionConfig& a, const std::string& where) {
  if (a.targets.size() < 2) return make_error(ErrorCode::config, where + ": failover needs at least two targets");
  for (const auto& t : a.targets)
    if (!is_safe_field_value(t))
      return make_error(ErrorCode::config,
                        where + ": target '" + t + "' must match [A-Za-z0-9._:-]+ and not start with '-'");
  if (a.delivery.empty()) return make_error(ErrorCode::config, where + ": failover needs switch");
  if (auto r = check_delivery(a.delivery, where + " switch"); !r) return r;
  return check_delivery(a.health_check, where + " health_check");
}

}  // namespace

std::unique_ptr<ActionFactory> failover_action_factory() {
  return stateless_action_factory(std::make_shared<FailoverAction>(),
                                  {{"targets", ConfigKeyKind::text_list, true},
                                   {"switch", ConfigKeyKind::delivery, true},
                                   {"health_check", ConfigKeyKind::delivery}},
                                  check_failover);
}

}  // namespace selfheal::healer
