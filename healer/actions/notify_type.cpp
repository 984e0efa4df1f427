// notify: a message to the channels subscribed to a level. After a remediation step it is a page
// (escalation to a human): the worker's per-channel page cooldown applies instead of the level's.
#include "healer/actions/builtin.hpp"
#include "schema/time_format.hpp"

namespace selfheal::healer {
namespace {

Notification make(const Plan& p, const ActionEnv& env) {
  Notification n;
  n.kind = p.page ? "page" : "notify";
  n.level = p.action.level;
  n.title = notification_title(p.page ? "Fix did not work" : "", p.fields);
  if (p.page)
    n.text = "strategy " + p.strategy + " step " + std::to_string(p.step + 1) + " of " +
             std::to_string(p.total_steps) + ": the previous remediation failed or was not verified";
  n.fields = p.fields;
  n.now = env.clock.now_ms();
  n.link = fingerprint_link(env.link_base_url, p.fingerprint_id);
  return n;
}

class NotifyAction final : public Action {
 public:
  std::string_view type() const override { return "notify"; }
  bool remediation() const override { return false; }
  ActionOutcome run(const Plan& p, ActionEnv& env, std::stop_token) const override {
    const Notification n = make(p, env);
    if (p.page && env.page) return env.page(n, p.action.channels, p);
    auto o = env.notifier.send(n, p.action.channels);
    if (o.success)
      if (auto w = env.state.set_timestamp("notify:" + p.action.level + ":" + p.fingerprint_id, n.now); !w && env.warn)
        env.warn("persist a notify cooldown", w.error());
    return o;
  }
  ActionDescription describe(const Plan& p) const override {
    ActionDescription d;
    d.level = p.action.level;
    Notification n;
    n.kind = p.page ? "page" : "notify";
    n.level = p.action.level;
    n.title = notification_title("", p.fields);
    n.fields = p.fields;
    d.body = render_notification(n, "json");
    return d;
  }
};

Result<void> check_notify(const ActionConfig& a, const std::string& where) {
  if (a.level != "critical" && a.level != "warning" && a.level != "info")
    return make_error(ErrorCode::config, where + ": level must be critical, warning or info");
  return {};
}

}  // namespace

std::unique_ptr<ActionFactory> notify_action_factory() {
  return stateless_action_factory(std::make_shared<NotifyAction>(),
                                  {{"level", ConfigKeyKind::text}, {"channels", ConfigKeyKind::text_list}},
                                  check_notify);
}

}  // namespace selfheal::healer
