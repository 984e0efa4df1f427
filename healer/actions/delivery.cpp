// Shared by the action types that run an exec/http delivery (exec, http, throttle, failover).
#include <algorithm>

#include "healer/actions/builtin.hpp"
#include "healer/actions/exec_action.hpp"
#include "healer/actions/http_action.hpp"
#include "healer/strategy.hpp"

namespace selfheal::healer {

Result<void> check_delivery(const Delivery& d, const std::string& where) {
  if (d.type == "exec") {
    if (d.exec.argv.empty()) return make_error(ErrorCode::config, where + ": exec needs a non-empty argv");
    if (d.exec.argv[0].empty() || d.exec.argv[0][0] != '/')
      return make_error(ErrorCode::config, where + ": argv[0] must be an absolute path (no PATH lookup, no shell)");
    for (const auto& el : d.exec.argv) {
      const auto name = placeholder_name(el);
      if (!name.empty()) {
        if (!is_argv_field(name))
          return make_error(ErrorCode::config,
                            where + ": placeholder {" + std::string(name) +
                                "} is not allowed in argv (allowed: fingerprint_id, service, host, strategy, "
                                "target, action, level)");
      } else if (el.find('{') != std::string::npos && el.find('}') != std::string::npos) {
        return make_error(ErrorCode::config, where + ": argv element '" + el +
                                                 "' mixes a placeholder with text; placeholders must be whole "
                                                 "argv elements");
      }
    }
    if (d.exec.timeout_ms <= 0) return make_error(ErrorCode::config, where + ": timeout_ms must be > 0");
    return {};
  }
  if (d.type == "http") {
    if (d.http.url.rfind("http://", 0) != 0 && d.http.url.rfind("https://", 0) != 0)
      return make_error(ErrorCode::config, where + ": url must start with http:// or https://");
    for (const auto& f : d.http.body_fields)
      if (!is_known_field(f)) return make_error(ErrorCode::config, where + ": unknown body field '" + f + "'");
    static const char* methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    if (std::none_of(std::begin(methods), std::end(methods), [&](const char* m) { return d.http.method == m; }))
      return make_error(ErrorCode::config, where + ": method must be GET, POST, PUT, PATCH or DELETE");
    return {};
  }
  if (d.type.empty()) return {};
  return make_error(ErrorCode::config, where + ": delivery type must be exec or http");
}

ActionDescription describe_delivery(const Delivery& d, const Fields& fields) {
  ActionDescription out;
  if (d.type == "exec") {
    auto argv = build_argv(d.exec, fields);
    if (argv) {
      out.argv = *argv;
    } else {
      out.argv = d.exec.argv;
      out.error = argv.error().message;
    }
  } else if (d.type == "http") {
    out.method = d.http.method;
    out.url = d.http.url;
    out.body = build_http_body(d.http, fields);
  }
  return out;
}

ActionOutcome as_outcome(Result<ActionOutcome> r) {
  if (r) return *r;
  ActionOutcome o;
  o.error = r.error().message;
  o.code = -1;
  return o;
}

namespace {

/// exec and http: one pre-configured delivery, run as it is with the plan's fields.
class DeliveryAction final : public Action {
 public:
  explicit DeliveryAction(Delivery d) : d_(std::move(d)) {}
  std::string_view type() const override { return d_.type; }
  bool remediation() const override { return true; }
  ActionOutcome run(const Plan& p, ActionEnv&, std::stop_token stop) const override {
    return as_outcome(run_delivery(d_, p.fields, stop));
  }
  ActionDescription describe(const Plan& p) const override { return describe_delivery(d_, p.fields); }

 private:
  Delivery d_;
};

class DeliveryFactory final : public ActionFactory {
 public:
  DeliveryFactory(std::string type, std::vector<ConfigKey> schema)
      : type_(std::move(type)), schema_(std::move(schema)) {}
  std::string_view type() const override { return type_; }
  std::vector<ConfigKey> config_schema() const override { return schema_; }
  Result<std::shared_ptr<const Action>> create(const ActionConfig& cfg, const std::string& where) const override {
    Delivery d = cfg.delivery;
    d.type = type_;
    if (auto r = check_delivery(d, where); !r) return r.error();
    return std::shared_ptr<const Action>(std::make_shared<DeliveryAction>(std::move(d)));
  }

 private:
  std::string type_;
  std::vector<ConfigKey> schema_;
};

}  // namespace

std::unique_ptr<ActionFactory> delivery_action_factory(std::string type, std::vector<ConfigKey> schema) {
  return std::make_unique<DeliveryFactory>(std::move(type), std::move(schema));
}

}  // namespace selfheal::healer
