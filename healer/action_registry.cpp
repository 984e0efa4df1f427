#include <algorithm>

#include "healer/action_type.hpp"
#include "healer/actions/builtin.hpp"

namespace selfheal::healer {

Result<void> ActionRegistry::add(std::unique_ptr<ActionFactory> f) {
  if (find(f->type())) return make_error(ErrorCode::config, "action type '" + std::string(f->type()) + "' is registered twice");
  factories_.push_back(std::move(f));
  return {};
}

const ActionFactory* ActionRegistry::find(std::string_view type) const {
  for (const auto& f : factories_)
    if (f->type() == type) return f.get();
  return nullptr;
}

std::vector<std::string> ActionRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& f : factories_) out.emplace_back(f->type());
  return out;
}

Result<std::shared_ptr<const Action>> ActionRegistry::create(const ActionConfig& cfg, const std::string& where) const {
  const ActionFactory* f = find(cfg.type);
  if (!f) {
    std::string known;
    for (const auto& t : types()) known += (known.empty() ? "" : ", ") + t;
    return make_error(ErrorCode::config, where + ": unknown action type '" + cfg.type + "' (" + known + ")");
  }
  if (cfg.retries < 0 || cfg.retries > 10) return make_error(ErrorCode::config, where + ": retries must be 0..10");
  return f->create(cfg, where);
}

namespace {

class StatelessFactory final : public ActionFactory {
 public:
  StatelessFactory(std::shared_ptr<const Action> action, std::vector<ConfigKey> schema, ConfigCheck check)
      : action_(std::move(action)), schema_(std::move(schema)), check_(std::move(check)) {}
  std::string_view type() const override { return action_->type(); }
  std::vector<ConfigKey> config_schema() const override { return schema_; }
  Result<std::shared_ptr<const Action>> create(const ActionConfig& cfg, const std::string& where) const override {
    if (check_)
      if (auto r = check_(cfg, where); !r) return r.error();
    return action_;
  }

 private:
  std::shared_ptr<const Action> action_;
  std::vector<ConfigKey> schema_;
  ConfigCheck check_;
};

}  // namespace

std::unique_ptr<ActionFactory> stateless_action_factory(std::shared_ptr<const Action> action,
                                                        std::vector<ConfigKey> schema, ConfigCheck check) {
  return std::make_unique<StatelessFactory>(std::move(action), std::move(schema), std::move(check));
}

void add_builtin_actions(ActionRegistry& reg) {
  // One line per action type.
  (void)reg.add(exec_action_factory());
  (void)reg.add(http_action_factory());
  (void)reg.add(notify_action_factory());
  (void)reg.add(throttle_action_factory());
  (void)reg.add(failover_action_factory());
  (void)reg.add(suggest_action_factory());
}

const ActionRegistry& builtin_actions() {
  static const ActionRegistry r = [] {
    ActionRegistry reg;
    add_builtin_actions(reg);
    return reg;
  }();
  return r;
}

}  // namespace selfheal::healer
