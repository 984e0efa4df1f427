#include "healer/actions/notify.hpp"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "healer/actions/http_action.hpp"
#include "healer/outbound.hpp"
#include "schema/time_format.hpp"

namespace selfheal::healer {

namespace {

using nlohmann::json;

std::string get(const Fields& f, std::string_view name) {
  for (const auto& [k, v] : f)
    if (k == name) return v;
  return {};
}

// Cuts at a UTF-8 boundary so a receiver never sees half a character.
std::string clip(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max >= 3 ? max - 3 : 0;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s + "...";
}

bool parse_int(const std::string& s, std::int64_t& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0') return false;
  out = v;
  return true;
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Numbers stay numbers and times become RFC 3339; every other named field stays a string.
json generic(const Notification& n) {
  json j;
  j["version"] = 1;
  j["kind"] = n.kind;
  j["level"] = n.level;
  j["title"] = n.title;
  std::string text = "[" + n.level + "] " + n.title;
  if (!n.text.empty()) text += "\n" + n.text;
  for (const auto& [k, v] : n.fields) {
    if (v.empty()) continue;
    std::int64_t num = 0;
    if (k == "count" || k == "failures") {
      if (parse_int(v, num)) j[k] = num;
    } else if (k == "first_seen" || k == "last_seen") {
      if (parse_int(v, num) && num > 0) j[k] = format_rfc3339(num);
    } else {
      j[k] = v;
    }
    if (k == "template") text += "\n" + v;
  }
  for (const auto& [k, v] : n.extra)
    if (!v.empty()) j[k] = v;
  if (!n.link.empty()) {
    j["link"] = n.link;
    text += "\n" + n.link;
  }
  j["text"] = text;
  j["ts"] = format_rfc3339(n.now);
  j["ts_ms"] = n.now;
  return j;
}

// https://api.slack.com/reference/block-kit/blocks: header text is plain_text (<= 150 chars),
// a section has mrkdwn text (<= 3000) and up to 10 fields (<= 2000 each); `text` is the fallback.
json slack(const Notification& n) {
  json blocks = json::array();
  blocks.push_back({{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", clip(n.title, 150)}}}});
  std::string body;
  if (const auto t = get(n.fields, "template"); !t.empty()) body += "```" + clip(t, 2000) + "```";
  if (!n.text.empty()) body += (body.empty() ? "" : "\n") + clip(n.text, 900);
  if (!body.empty()) blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", clip(body, 3000)}}}});
  json fields = json::array();
  auto add = [&](const char* label, const std::string& v) {
    if (!v.empty() && fields.size() < 10)
      fields.push_back({{"type", "mrkdwn"}, {"text", clip(std::string("*") + label + "*\n" + v, 2000)}});
  };
  add("Level", n.level);
  add("Service", get(n.fields, "service"));
  add("Host", get(n.fields, "host"));
  add("Strategy", get(n.fields, "strategy"));
  add("Action", get(n.fields, "action"));
  add("Events", get(n.fields, "count"));
  add("Fingerprint", get(n.fields, "fingerprint_id"));
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", fields}});
  std::string ctx = "selfheal " + n.kind + " at " + format_rfc3339(n.now);
  if (!n.link.empty()) ctx += " | <" + n.link + "|open fingerprint>";
  blocks.push_back({{"type", "context"}, {"elements", json::array({{{"type", "mrkdwn"}, {"text", clip(ctx, 2000)}}})}});
  std::string fallback = "[" + n.level + "] " + n.title;
  if (!n.link.empty()) fallback += " " + n.link;
  return {{"text", clip(fallback, 3000)}, {"blocks", blocks}};
}

// https://developer.pagerduty.com/docs/events-api-v2/trigger-events/: routing_key, event_action,
// dedup_key (<= 255), payload.summary (<= 1024), payload.source, payload.severity
// (critical|error|warning|info), optional timestamp, component, group, class, custom_details; links.
json pagerduty(const Notification& n, std::string_view routing_key) {
  const std::string sev = n.level == "critical" || n.level == "warning" || n.level == "info" ? n.level : "error";
  const std::string service = get(n.fields, "service");
  const std::string host = get(n.fields, "host");
  json details = generic(n);
  details.erase("text");
  json payload = {{"summary", clip(n.title, 1024)},
                  {"source", !host.empty() ? host : (!service.empty() ? service : std::string("selfheal"))},
                  {"severity", sev},
                  {"timestamp", format_rfc3339(n.now)},
                  {"custom_details", details}};
  if (!service.empty()) payload["component"] = service;
  if (const auto st = get(n.fields, "strategy"); !st.empty()) payload["group"] = st;
  if (const auto et = get(n.fields, "exception_type"); !et.empty()) payload["class"] = et;
  json j = {{"routing_key", std::string(routing_key)}, {"event_action", "trigger"}, {"payload", payload}};
  const std::string fp = get(n.fields, "fingerprint_id");
  if (!fp.empty())
    j["dedup_key"] = clip("selfheal:" + n.kind + ":" + fp + ":" + get(n.fields, "target"), 255);
  if (!n.link.empty()) j["links"] = json::array({{{"href", n.link}, {"text", "fingerprint " + fp}}});
  j["client"] = "selfheal";
  return j;
}

}  // namespace

NotifyGate notify_gate(const LevelConfig& level, std::int64_t fingerprint_count, UnixMs last_sent, UnixMs now) {
  if (fingerprint_count < level.threshold) return {false, "below_threshold"};
  if (level.cooldown_secs > 0 && last_sent > 0 && now < last_sent + level.cooldown_secs * 1000)
    return {false, "notify_cooldown"};
  return {true, {}};
}

std::string notification_title(std::string_view prefix, const Fields& fields) {
  std::string what = get(fields, "exception_type");
  if (what.empty()) what = get(fields, "template");
  if (what.empty()) what = "fingerprint " + get(fields, "fingerprint_id");
  what = clip(what, 100);
  std::string where = get(fields, "service");
  if (const auto h = get(fields, "host"); !h.empty()) where += (where.empty() ? "" : "@") + h;
  std::string t(prefix);
  if (!t.empty()) t += ": ";
  t += what;
  if (!where.empty()) t += " on " + where;
  return clip(t, 150);
}

std::string fingerprint_link(std::string_view base, std::string_view id) {
  if (base.empty() || id.empty()) return {};
  std::string b(base);
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b + "/api/v1/fingerprints/" + std::string(id);
}

std::string render_notification(const Notification& n, std::string_view format, std::string_view routing_key) {
  if (format == "slack") return dump(slack(n));
  if (format == "pagerduty") return dump(pagerduty(n, routing_key));
  return dump(generic(n));
}

LevelConfig Notifier::level(std::string_view name) const {
  for (const auto& l : cfg_.levels)
    if (l.level == name) return l;
  return LevelConfig{std::string(name), 1, 0};
}

std::vector<std::string> Notifier::channels_for(std::string_view level, const std::vector<std::string>& only) const {
  std::vector<std::string> out;
  for (const auto& ch : cfg_.channels) {
    if (std::find(ch.levels.begin(), ch.levels.end(), level) == ch.levels.end()) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), ch.name) == only.end()) continue;
    out.push_back(ch.name);
  }
  return out;
}

namespace {
template <typename Body>
ActionOutcome send_to(const NotifyConfig& cfg, std::string_view level, const std::vector<std::string>& only,
                      bool any_level, Body&& body_for) {
  ActionOutcome total;
  int targeted = 0, delivered = 0;
  for (const auto& ch : cfg.channels) {
    if (!any_level && std::find(ch.levels.begin(), ch.levels.end(), level) == ch.levels.end()) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), ch.name) == only.end()) continue;
    ++targeted;
    auto r = post_json(ch.url, body_for(ch), ch.headers_env, ch.timeout_ms, ch.ca_file);
    total.duration_ms += r ? r->duration_ms : 0;
    if (r && r->success) {
      ++delivered;
      total.delivered.push_back(ch.name);
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
}  // namespace

ActionOutcome Notifier::send(const Notification& original, const std::vector<std::string>& only,
                             bool any_level) const {
  const Notification n = redacted(original, *redactor_);
  return send_to(cfg_, n.level, only, any_level, [&](const ChannelConfig& ch) {
    std::string key;
    if (!ch.routing_key_env.empty())
      if (const char* v = std::getenv(ch.routing_key_env.c_str())) key = v;
    return render_notification(n, ch.format, key);
  });
}

}  // namespace selfheal::healer
