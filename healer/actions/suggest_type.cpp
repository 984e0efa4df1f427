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

}  // namespace

std::unique_ptr<ActionFactory> suggest_action_factory() {
  return stateless_action_factory(std::make_shared<SuggestAction>(), {});
}

}  // namespace selfheal::healer
