// http: a configured request whose JSON body is made of named fields (healer/actions/http_action.hpp).
#include "healer/actions/builtin.hpp"

namespace selfheal::healer {
namespace {

class HttpAction final : public Action {
 public:
  explicit HttpAction(Delivery d) : d_(std::move(d)) {}
  std::string_view type() const override { return "http"; }
  bool remediation() const override { return true; }
  ActionOutcome run(const Plan& p, ActionEnv&, std::stop_token stop) const override {
    return as_outcome(run_delivery(d_, p.fields, stop));
  }
  ActionDescription describe(const Plan& p) const override { return describe_delivery(d_, p.fields); }

 private:
  Delivery d_;
};

class HttpFactory final : public ActionFactory {
 public:
  std::string_view type() const override { return "http"; }
  std::vector<ConfigKey> config_schema() const override {
    return {{"url", ConfigKeyKind::text, true},     {"method", ConfigKeyKind::text},
            {"timeout_ms", ConfigKeyKind::integer}, {"headers_env", ConfigKeyKind::mapping},
            {"body_fields", ConfigKeyKind::text_list}, {"body", ConfigKeyKind::mapping},
            {"ca_file", ConfigKeyKind::text}};
  }
  Result<std::shared_ptr<const Action>> create(const ActionConfig& cfg, const std::string& where) const override {
    Delivery d = cfg.delivery;
    d.type = "http";
    if (auto r = check_delivery(d, where); !r) return r.error();
    return std::shared_ptr<const Action>(std::make_shared<HttpAction>(std::move(d)));
  }
};

}  // namespace

std::unique_ptr<ActionFactory> http_action_factory() {
  return std::make_unique<HttpFactory>();
}

}  // namespace selfheal::healer
