// suggest: hands the fingerprint to the LLM module (SuggestionRequester). Its output is a suggestion
// for people to review; it is never executed.
#include "healer/actions/builtin.hpp"

namespace selfheal::healer {
namespace {

class SuggestAction final : public Action {
 public:
  std::string_view type() const override { return "suggest"; }
  bool remediation() const override { return false; }
  ActionOutcome run(const Plan& p, ActionEnv& env, std::stop_token) const override {
    ActionOutcome o;
    if (!env.suggester) {
      o.error = "no LLM suggestion requester is wired (llm disabled?)";
      return o;
    }
    auto r = env.suggester->request_suggestion(p.fingerprint_id);
    o.success = r.has_value();
    if (!r) {
      o.error = r.error().message;
      o.transient = r.error().code == ErrorCode::unavailable;
    } else {
      o.output = "suggestion requested";
    }
    return o;
  }
  ActionDescription describe(const Plan&) const override { return {}; }
};

class SuggestFactory final : public ActionFactory {
 public:
  std::string_view type() const override { return "suggest"; }
  std::vector<ConfigKey> config_schema() const override { return {}; }
  Result<std::shared_ptr<const Action>> create(const ActionConfig&, const std::string&) const override {
    return std::shared_ptr<const Action>(std::make_shared<SuggestAction>());
  }
};

}  // namespace

std::unique_ptr<ActionFactory> suggest_action_factory() {
  return std::make_unique<SuggestFactory>();
}

}  // namespace selfheal::healer
