#include "healer/actions/failover.hpp"

#include <algorithm>

namespace selfheal::healer {

namespace {

Fields with_target(Fields f, const std::string& target) {
  bool set = false;
  for (auto& [k, v] : f)
    if (k == "target") {
      v = target;
      set = true;
    }
  if (!set) f.emplace_back("target", target);
  return f;
}

ActionOutcome attempt(const DeliveryRunner& run, const Delivery& d, const Fields& f) {
  auto r = run(d, f);
  if (r) return *r;
  ActionOutcome o;
  o.error = r.error().message;
  return o;
}

bool healthy(const ActionConfig& a, const std::string& target, const Fields& f, const DeliveryRunner& run,
             std::string& log) {
  if (a.health_check.empty()) return true;
  auto o = attempt(run, a.health_check, with_target(f, target));
  log += "health_check " + target + ": " + (o.success ? "healthy" : "unhealthy (" + o.error + ")") + "\n";
  return o.success;
}

}  // namespace

FailoverResult run_failover(const ActionConfig& a, const std::string& active_in, const Fields& fields,
                            const DeliveryRunner& run) {
  FailoverResult res;
  const std::string active = active_in.empty() ? a.targets.front() : active_in;
  res.active = active;
  res.previous = active;
  auto it = std::find(a.targets.begin(), a.targets.end(), active);
  std::size_t next = it == a.targets.end() ? 1 : static_cast<std::size_t>(it - a.targets.begin()) + 1;
  std::string log;
  std::int64_t ms = 0;
  for (; next < a.targets.size(); ++next) {
    const std::string& cand = a.targets[next];
    if (!healthy(a, cand, fields, run, log)) continue;
    auto sw = attempt(run, a.delivery, with_target(fields, cand));
    ms += sw.duration_ms;
    log += "switch to " + cand + ": " + (sw.success ? "ok" : "failed (" + sw.error + ")") + "\n";
    if (!sw.success) {
      res.outcome = sw;
      res.outcome.error = "switch to " + cand + " failed: " + sw.error;
      res.outcome.output = log;
      return res;
    }
    if (!healthy(a, cand, fields, run, log)) {
      auto back = attempt(run, a.delivery, with_target(fields, active));
      log += "rollback to " + active + ": " + (back.success ? "ok" : "failed (" + back.error + ")") + "\n";
      res.rolled_back = true;
      res.active = back.success ? active : cand;
      res.outcome.error = "target " + cand + " unhealthy after the switch; rolled back";
      res.outcome.output = log;
      return res;
    }
    res.switched = true;
    res.active = cand;
    res.outcome.success = true;
    res.outcome.output = log;
    res.outcome.duration_ms = ms;
    return res;
  }
  res.outcome.error = "no healthy target after " + active;
  res.outcome.output = log;
  return res;
}

FailoverResult reset_failover(const ActionConfig& a, const std::string& active, const Fields& fields,
                              const DeliveryRunner& run) {
  FailoverResult res;
  res.previous = active;
  res.active = active;
  const std::string& primary = a.targets.front();
  if (active.empty() || active == primary) {
    res.active = primary;
    res.outcome.success = true;
    res.outcome.output = "already on the primary " + primary;
    return res;
  }
  auto sw = attempt(run, a.delivery, with_target(fields, primary));
  res.outcome = sw;
  if (sw.success) {
    res.active = primary;
    res.switched = true;
  }
  return res;
}

}  // namespace selfheal::healer
