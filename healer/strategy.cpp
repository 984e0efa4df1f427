#include "healer/strategy.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <climits>

#include "healer/action_type.hpp"
#include "healer/policy.hpp"
#include "schema/model.hpp"

namespace selfheal::healer {

namespace {
constexpr std::string_view argv_fields[] = {"fingerprint_id", "service", "host", "strategy", "target", "action", "level"};
constexpr std::string_view body_only_fields[] = {"template", "exception_type", "severity",
                                                 "count",    "first_seen",     "last_seen"};

}  // namespace

bool is_argv_field(std::string_view name) {
  return std::find(std::begin(argv_fields), std::end(argv_fields), name) != std::end(argv_fields);
}

bool is_known_field(std::string_view name) {
  return is_argv_field(name) ||
         std::find(std::begin(body_only_fields), std::end(body_only_fields), name) != std::end(body_only_fields);
}

std::string unsafe_value_reason(std::string_view v) {
  if (v.empty()) return "is empty";
  if (v.size() > 128) return "is longer than 128 bytes";
  if (v.front() == '-') return "starts with '-' (it would be read as an option)";
  const bool charset = std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == ':' || c == '-';
  });
  if (!charset) return "has characters outside [A-Za-z0-9._:-]";
  return {};
}

bool is_safe_field_value(std::string_view v) {
  return unsafe_value_reason(v).empty();
}



std::string_view placeholder_name(std::string_view element) {
  if (element.size() < 3 || element.front() != '{' || element.back() != '}') return {};
  auto inner = element.substr(1, element.size() - 2);
  if (inner.find_first_of("{}") != std::string_view::npos) return {};
  return inner;
}

std::string top_service(const FingerprintSummary& s) {
  const NamedCount* best = nullptr;
  for (const auto& n : s.services)
    if (!n.name.empty() && n.name != "unknown" && (!best || n.count > best->count)) best = &n;
  return best ? best->name : std::string();
}

ConfiguredStrategy::ConfiguredStrategy(StrategyConfig cfg, MatchContext mctx, bool backstop)
    : cfg_(std::move(cfg)), mctx_(mctx), backstop_(backstop) {}

ConfiguredStrategy::~ConfiguredStrategy() = default;

Result<std::unique_ptr<ConfiguredStrategy>> ConfiguredStrategy::create(StrategyConfig cfg, MatchContext mctx,
                                                                       bool global_dry_run, bool backstop) {
  const ActionRegistry& registry = mctx.actions ? *mctx.actions : builtin_actions();
  const std::string where = "strategy '" + cfg.name + "'";
  if (cfg.name.empty()) return make_error(ErrorCode::config, "a strategy needs a name");
  if (cfg.actions.empty()) return make_error(ErrorCode::config, where + ": needs at least one action");
  if (global_dry_run) cfg.dry_run = true;
  std::unique_ptr<ConfiguredStrategy> s(new ConfiguredStrategy(std::move(cfg), mctx, backstop));
  const auto& m = s->cfg_.match;
  if (!m.message_regex.empty()) {
    s->re_ = std::make_unique<re2::RE2>(m.message_regex, re2::RE2::Quiet);
    if (!s->re_->ok()) return make_error(ErrorCode::config, where + ": invalid message_regex: " + s->re_->error());
  }
  if (!m.min_severity.empty()) {
    auto sev = parse_severity(m.min_severity);
    if (!sev) return make_error(ErrorCode::config, where + ": unknown min_severity '" + m.min_severity + "'");
    s->min_severity_ = static_cast<int>(*sev);
  }
  if (!m.status.empty() && m.status != "new" && m.status != "regressed" && m.status != "escalating")
    return make_error(ErrorCode::config, where + ": status must be new, regressed or escalating");
  if (m.rate_count < 0 || m.rate_window_secs <= 0)
    return make_error(ErrorCode::config, where + ": rate needs count >= 0 and window_secs > 0");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < s->cfg_.actions.size(); ++i) {
    auto& a = s->cfg_.actions[i];
    if (a.name.empty()) a.name = s->cfg_.actions.size() == 1 ? a.type : a.type + "#" + std::to_string(i + 1);
    if (std::find(names.begin(), names.end(), a.name) != names.end())
      return make_error(ErrorCode::config, where + ": duplicate action name '" + a.name + "'");
    names.push_back(a.name);
    const std::string aw = where + " action '" + a.name + "'";
    if (a.type == "exec" || a.type == "http") a.delivery.type = a.type;  // the delivery keys sit on the action
    auto impl = registry.create(a, aw);
    if (!impl) return impl.error();
    s->impls_.push_back(std::move(*impl));
  }
  const auto& g = s->cfg_.guards;
  if (g.cooldown_secs < 0 || g.max_runs < 0 || g.per_secs < 0 || g.max_concurrent < 0 || g.breaker.failures < 0 ||
      g.breaker.open_secs < 0)
    return make_error(ErrorCode::config, where + ": guards must not be negative");
  if (s->cfg_.requires_approval && s->cfg_.approval_ttl_secs <= 0)
    return make_error(ErrorCode::config, where + ": approval_ttl_secs must be > 0");
  const auto& v = s->cfg_.verification;
  if (v.window_secs <= 0 || v.min_drop_ratio < 0 || v.min_drop_ratio > 1)
    return make_error(ErrorCode::config, where + ": verification needs window_secs > 0 and min_drop_ratio in [0,1]");
  return s;
}

bool ConfiguredStrategy::matches(const FingerprintFacts& f) const {
  const auto& m = cfg_.match;
  const auto& s = f.summary;
  if (!s.merged_into.empty() || s.status == "ignored") return false;
  if (!m.fingerprint_id.empty() && m.fingerprint_id != s.id) return false;
  if (!m.exception_type.empty() && m.exception_type != s.exception_type) return false;
  if (!m.service.empty() && m.service != f.service) return false;
  if (min_severity_ >= 0) {
    auto sev = parse_severity(s.severity);
    if (!sev || static_cast<int>(*sev) < min_severity_) return false;
  }
  if (re_) {
    bool hit = RE2::PartialMatch(s.template_text, *re_);
    for (std::size_t i = 0; !hit && i < f.samples.size(); ++i) hit = RE2::PartialMatch(f.samples[i], *re_);
    if (!hit) return false;
  }
  if (m.status == "new" && !(s.first_seen > 0 && f.now - s.first_seen <= mctx_.new_window_ms)) return false;
  if (m.status == "regressed" && !(s.regressed_at > 0 && f.now - s.regressed_at <= mctx_.regressed_window_ms))
    return false;
  if (m.status == "escalating") {
    if (!escalation(f.series, f.now, mctx_.escalation).escalating) return false;
  }
  if (m.rate_count > 0 && count_in_window(f.series, f.now, m.rate_window_secs * 1000) < m.rate_count) return false;
  return true;
}

Plan ConfiguredStrategy::plan(const FingerprintFacts& f, int step) const {
  Plan p;
  step = std::clamp(step, 0, steps() - 1);
  p.strategy = cfg_.name;
  p.fingerprint_id = f.summary.id;
  p.service = f.service == "unknown" ? std::string() : f.service;
  p.host = f.host == "unknown" ? std::string() : f.host;
  p.target = p.service.empty() ? "fingerprint:" + f.summary.id : p.service;
  p.step = step;
  p.total_steps = steps();
  p.action = cfg_.actions[static_cast<std::size_t>(step)];
  p.impl = impls_[static_cast<std::size_t>(step)];
  p.remediation = p.impl->remediation();
  // A notify step after a remediation step pages a human about a fix that did not work: the
  // remediation guards (breaker, concurrency, cooldown, rate limit) never hold it back.
  for (int i = 0; i < step && !p.remediation; ++i)
    if (impls_[static_cast<std::size_t>(i)]->remediation()) p.page = p.action.type == "notify";
  p.enabled = cfg_.enabled;
  p.dry_run = cfg_.dry_run;
  p.requires_approval = cfg_.requires_approval;
  p.approval_ttl_ms = cfg_.approval_ttl_secs * 1000;
  p.guards = cfg_.guards;
  p.verification = cfg_.verification;
  p.fields = {{"fingerprint_id", f.summary.id},
              {"service", p.service},
              {"host", p.host},
              {"strategy", cfg_.name},
              {"target", p.target},
              {"action", p.action.name},
              {"level", p.action.type == "notify" ? p.action.level : std::string()},
              {"template", f.summary.template_text},
              {"exception_type", f.summary.exception_type},
              {"severity", f.summary.severity},
              {"count", std::to_string(std::max(f.summary.total, f.summary.count))},
              {"first_seen", std::to_string(f.summary.first_seen)},
              {"last_seen", std::to_string(f.summary.last_seen)}};
  return p;
}

Result<std::vector<std::unique_ptr<Strategy>>> build_strategies(const HealerConfig& cfg, const ActionRegistry* actions) {
  MatchContext mctx{actions, cfg.new_window_secs * 1000, cfg.regressed_window_secs * 1000, cfg.escalation};
  std::vector<std::unique_ptr<Strategy>> out;
  for (const auto& sc : cfg.strategies) {
    auto s = ConfiguredStrategy::create(sc, mctx, cfg.dry_run);
    if (!s) return s.error();
    out.push_back(std::move(s.value()));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->priority() < b->priority(); });
  if (cfg.backstop && !cfg.notify.channels.empty()) {  // without a channel it could never tell anyone
    StrategyConfig b;
    b.name = "backstop";
    b.priority = INT_MAX;
    b.match.min_severity = cfg.backstop_min_severity;
    ActionConfig n;
    n.type = "notify";
    n.name = "notify";
    n.level = cfg.backstop_level;
    b.actions.push_back(n);
    b.guards.cooldown_secs = 3600;
    b.guards.max_runs = 0;
    b.guards.max_concurrent = 0;
    b.guards.breaker.failures = 0;
    b.verification.enabled = false;
    auto s = ConfiguredStrategy::create(b, mctx, cfg.dry_run, true);
    if (!s) return s.error();
    out.push_back(std::move(s.value()));
  }
  return out;
}

const Strategy* select_strategy(const std::vector<std::unique_ptr<Strategy>>& strategies,
                                const FingerprintFacts& facts) {
  const Strategy* backstop = nullptr;
  for (const auto& s : strategies) {
    if (s->is_backstop()) {
      if (!backstop) backstop = s.get();
      continue;
    }
    if (s->config().enabled && s->matches(facts)) return s.get();
  }
  if (backstop && backstop->matches(facts)) return backstop;
  return nullptr;
}

}  // namespace selfheal::healer
