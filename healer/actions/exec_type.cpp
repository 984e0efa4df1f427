// exec: a pre-configured argv, no shell (healer/actions/exec_action.hpp does the fork/execve).
#include "healer/actions/builtin.hpp"

namespace selfheal::healer {
namespace {

class ExecAction final : public Action {
 public:
  explicit ExecAction(Delivery d) : d_(std::move(d)) {}
  std::string_view type() const override { return "exec"; }
  bool remediation() const override { return true; }
  ActionOutcome run(const Plan& p, ActionEnv&, std::stop_token stop) const override {
    return as_outcome(run_delivery(d_, p.fields, stop));
  }
  ActionDescription describe(const Plan& p) const override { return describe_delivery(d_, p.fields); }

 private:
  Delivery d_;
};

class ExecFactory final : public ActionFactory {
 public:
  std::string_view type() const override { return "exec"; }
  std::vector<ConfigKey> config_schema() const override {
    return {{"argv", ConfigKeyKind::text_list, true},
            {"timeout_ms", ConfigKeyKind::integer},
            {"env_allow", ConfigKeyKind::text_list},
            {"max_output_bytes", ConfigKeyKind::integer}};
  }
  Result<std::shared_ptr<const Action>> create(const ActionConfig& cfg, const std::string& where) const override {
    Delivery d = cfg.delivery;
    d.type = "exec";
    if (auto r = check_delivery(d, where); !r) return r.error();
    return std::shared_ptr<const Action>(std::make_shared<ExecAction>(std::move(d)));
  }
};

}  // namespace

std::unique_ptr<ActionFactory> exec_action_factory() {
  return std::make_unique<ExecFactory>();
}

}  // namespace selfheal::healer
