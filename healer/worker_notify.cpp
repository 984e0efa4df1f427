// Telling people: escalation pages with their per-channel cooldown, pending approvals.
#include "healer/worker.hpp"

#include <algorithm>

#include "healer/detail/worker_util.hpp"
#include "healer/history.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

namespace selfheal::healer {

using namespace detail;

Notification Worker::notification(const Plan& p, std::string kind, std::string title) const {
  Notification n;
  n.kind = std::move(kind);
  n.level = p.action.type == "notify" ? p.action.level : "warning";
  n.title = std::move(title);
  n.fields = p.fields;
  n.now = deps_.clock.now_ms();
  n.link = fingerprint_link(cfg_.notify.link_base_url, p.fingerprint_id);
  return n;
}

ActionOutcome Worker::send_page(const Notification& n, const std::vector<std::string>& only, const std::string& fp,
                                const std::string& target) {
  const std::string& level = n.level;
  const UnixMs now = deps_.clock.now_ms();
  const std::int64_t cooldown_ms = cfg_.notify.page_cooldown_secs * 1000;
  std::vector<std::string> due;
  for (const auto& ch : notifier_.channels_for(level, only)) {
    auto last = deps_.state.timestamp("page:" + ch + ":" + fp + ":" + target);
    if (cooldown_ms > 0 && last && *last > 0 && now < *last + cooldown_ms) continue;
    due.push_back(ch);
  }
  ActionOutcome o;
  if (due.empty()) {
    o.error = notifier_.channels_for(level, only).empty() ? "no notify channel subscribed to level " + level
                                                          : "page_cooldown";
    return o;
  }
  o = notifier_.send(n, due);
  for (const auto& ch : o.delivered)
    if (auto w = deps_.state.set_timestamp("page:" + ch + ":" + fp + ":" + target, now); !w)
      warn_store("persist a page cooldown", w.error());
  return o;
}

ActionOutcome Worker::notify_approval(const ApprovalRow& a, const Plan& plan) {
  if (!cfg_.notify.notify_approvals || cfg_.notify.channels.empty()) {
    ActionOutcome none;
    none.success = true;
    none.output = "no notify channel configured";
    return none;
  }
  Notification n = notification(plan, "approval_request",
                                "Approval needed: " + plan.action.name + " (" + plan.action.type + ") on " + plan.target);
  n.level = "warning";
  const ActionDescription desc = plan.impl->describe(plan);
  std::string what = plan.action.type;
  if (!desc.argv.empty()) {
    what.clear();
    for (const auto& el : desc.argv) what += (what.empty() ? "" : " ") + el;
  } else if (!desc.url.empty()) {
    what = desc.method + " " + desc.url;
  }
  const std::string expires = format_rfc3339(a.expires_at);
  n.text = "who: strategy " + plan.strategy + " on " + plan.target + (plan.host.empty() ? "" : "@" + plan.host) +
           "\nwhat: " + what + "\nwhy: fingerprint " + plan.fingerprint_id + " (" + plan.field("count") +
           " events): " + plan.field("template") + "\nexpires: " + expires + "\napprove: selfheal approve " +
           std::to_string(a.id) + "  |  reject: selfheal reject " + std::to_string(a.id);
  n.extra = {{"approval_id", std::to_string(a.id)},
             {"expires_at", expires},
             {"command", what},
             {"approve", "POST /api/v1/approvals/" + std::to_string(a.id) + "/approve"},
             {"reject", "POST /api/v1/approvals/" + std::to_string(a.id) + "/reject"}};
  return notifier_.send(n, cfg_.notify.approval_channels, true);
}

}  // namespace selfheal::healer
