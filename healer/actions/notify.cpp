#include "healer/actions/notify.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "healer/actions/http_action.hpp"
#include "schema/time_format.hpp"

namespace selfheal::healer {

NotifyGate notify_gate(const LevelConfig& level, std::int64_t fingerprint_count, UnixMs last_sent, UnixMs now) {
  if (fingerprint_count < level.threshold) return {false, "below_threshold"};
  if (level.cooldown_secs > 0 && last_sent > 0 && now < last_sent + level.cooldown_secs * 1000)
    return {false, "notify_cooldown"};
  return {true, {}};
}

std::string build_notification(std::string_view level, std::string_view title, const Fields& fields, UnixMs now) {
  nlohmann::json j;
  j["level"] = level;
  j["title"] = title;
  std::string text = "[" + std::string(level) + "] " + std::string(title);
  for (const auto& [k, v] : fields) {
    if (v.empty()) continue;
    j[k] = v;
    if (k == "template") text += "\n" + v;
  }
  j["text"] = text;
  j["ts"] = now;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

LevelConfig Notifier::level(std::string_view name) const {
  for (const auto& l : cfg_.levels)
    if (l.level == name) return l;
  return LevelConfig{std::string(name), 1, 0};
}

ActionOutcome Notifier::send(std::string_view level, const std::vector<std::string>& only,
                             const std::string& body) const {
  ActionOutcome total;
  int targeted = 0, delivered = 0;
  for (const auto& ch : cfg_.channels) {
    if (std::find(ch.levels.begin(), ch.levels.end(), level) == ch.levels.end()) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), ch.name) == only.end()) continue;
    ++targeted;
    auto r = post_json(ch.url, body, ch.headers_env, ch.timeout_ms);
    total.duration_ms += r ? r->duration_ms : 0;
    if (r && r->success) {
      ++delivered;
      continue;
    }
    if (!total.error.empty()) total.error += "; ";
    total.error += ch.name + ": " + (r ? r->error : r.error().message);
    if (r && r->transient) total.transient = true;
  }
  if (targeted == 0) {
    total.error = "no notify channel subscribed to level " + std::string(level);
    return total;
  }
  total.success = delivered == targeted;
  total.code = delivered;
  total.output = "delivered to " + std::to_string(delivered) + "/" + std::to_string(targeted) + " channel(s)";
  return total;
}

}  // namespace selfheal::healer
