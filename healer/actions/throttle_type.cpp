// throttle: applies a delivery now and restores it after duration_secs. The throttle is persisted
// (PolicyStateStore) with the fields its restore runs with; the worker's tick restores it.
#include <nlohmann/json.hpp>

#include "healer/actions/builtin.hpp"

namespace selfheal::healer {
namespace {

std::string fields_json(const Fields& f) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : f) j[k] = v;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class ThrottleAction final : public Action {
 public:
  std::string_view type() const override { return "throttle"; }
  bool remediation() const override { return true; }
  ActionOutcome run(const Plan& p, ActionEnv& env, std::stop_token stop) const override {
    const ActionConfig& a = p.action;
    auto o = as_outcome(run_delivery(a.delivery, p.fields, stop));
    if (!o.success) return o;
    const UnixMs now = env.clock.now_ms();
    ThrottleRow t{0, p.strategy, a.name, p.fingerprint_id, p.target, now, now + a.duration_secs * 1000, "active",
                  fields_json(p.fields), 0};
    if (auto id = env.state.add_throttle(t); id)
      o.output += "\nthrottle " + std::to_string(*id) + " active until restore";
    else if (env.warn)
      env.warn("persist a throttle (it will not be restored automatically)", id.error());
    return o;
  }
  ActionDescription describe(const Plan& p) const override { return describe_delivery(p.action.delivery, p.fields); }
};

Result<void> check_throttle(const ActionConfig& a, const std::string& where) {
  if (a.delivery.empty() || a.restore.empty())
    return make_error(ErrorCode::config, where + ": throttle needs apply and restore");
  if (auto r = check_delivery(a.delivery, where + " apply"); !r) return r;
  if (auto r = check_delivery(a.restore, where + " restore"); !r) return r;
  if (a.duration_secs <= 0) return make_error(ErrorCode::config, where + ": duration_secs must be > 0");
  return {};
}

}  // namespace

std::unique_ptr<ActionFactory> throttle_action_factory() {
  return stateless_action_factory(std::make_shared<ThrottleAction>(),
                                  {{"apply", ConfigKeyKind::delivery, true},
                                   {"restore", ConfigKeyKind::delivery, true},
                                   {"duration_secs", ConfigKeyKind::integer}},
                                  check_throttle);
}

}  // namespace selfheal::healer
