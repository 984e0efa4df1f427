#include "app/human_output.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>

namespace selfheal::app {
using nlohmann::json;

nlohmann::json terminal_safe_json(const nlohmann::json& j) {
  if (j.is_string()) return escape_control(j.get_ref<const std::string&>());
  if (j.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : j) out.push_back(terminal_safe_json(v));
    return out;
  }
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[escape_control(it.key())] = terminal_safe_json(it.value());
    return out;
  }
  return j;
}

std::string name_error(std::string_view field, std::string_view value) {
  if (printable_name(value)) return {};
  return std::string(field) + " must not contain control characters, newlines or invalid UTF-8 (got \"" +
         escape_control(value.substr(0, 64)) + "\")";
}

std::string terminal_safe(std::string_view text, Newlines newlines) {
  return escape_control(text, newlines);
}

namespace {
/// Decodes one UTF-8 sequence at s[i]; returns its length (1 for an invalid byte, taken as one column).
std::size_t next_cp(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
  if (i + len > s.size()) len = 1;
  cp = len == 1 ? b : b & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return len;
}
int cp_width(char32_t c) {
  if ((c >= 0x300 && c <= 0x36F) || (c >= 0x200B && c <= 0x200F) || (c >= 0xFE00 && c <= 0xFE0F)) return 0;
  const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF) ||
                    (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
                    (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
                    (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
                    (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
  return wide ? 2 : 1;
}
std::string pad(const std::string& s, std::size_t width, bool right) {
  const std::size_t w = display_width(s);
  if (w >= width) return s;
  return right ? std::string(width - w, ' ') + s : s + std::string(width - w, ' ');
}
std::string rtrim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}
const char* colour_for(const std::string& sev, bool tty) {
  if (!tty) return "";
  if (sev == "critical") return "\033[1;31m";
  if (sev == "error") return "\033[31m";
  if (sev == "warning") return "\033[33m";
  return "\033[2m";
}
const char* reset(bool tty) { return tty ? "\033[0m" : ""; }
std::string short_severity(const std::string& s) {
  if (s == "critical") return "crit";
  if (s == "error") return "err";
  if (s == "warning") return "warn";
  if (s == "debug") return "dbg";
  return s.substr(0, 4);
}
std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
/// "2026-12-04T14:12:03.120Z" → "2026-12-04 14:12:03 UTC"; other text unchanged.
std::string readable_time(const std::string& rfc3339) {
  if (rfc3339.size() < 19 || rfc3339[10] != 'T') return rfc3339;
  return rfc3339.substr(0, 10) + " " + rfc3339.substr(11, 8) + " UTC";
}
/// Audit details: `until_ms=1795464000000 more_events=0 rate_per_min=0` → "until 2026-... UTC"; zero
/// bounds left out.
std::string readable_detail(const std::string& detail) {
  std::istringstream in(detail);
  std::string word, out;
  while (in >> word) {
    const auto eq = word.find('=');
    std::string key = eq == std::string::npos ? "" : word.substr(0, eq), val = eq == std::string::npos ? "" : word.substr(eq + 1);
    std::string piece = word;
    if (!key.empty() && (val == "0" || val.empty())) continue;
    if (key.size() > 3 && key.compare(key.size() - 3, 3, "_ms") == 0 && val.find_first_not_of("0123456789") == std::string::npos) {
      const long long ms = std::stoll(val);
      const std::time_t secs = static_cast<std::time_t>(ms / 1000);
      std::tm tm{};
      gmtime_r(&secs, &tm);
      char buf[40];
      std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
      piece = key.substr(0, key.size() - 3) + " " + buf;
    } else if (!key.empty()) {
      std::replace(key.begin(), key.end(), '_', ' ');
      piece = key + " " + val;
    }
    out += (out.empty() ? "" : ", ") + piece;
  }
  return out;
}
}  // namespace

std::size_t display_width(std::string_view s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    i += next_cp(s, i, cp);
    w += static_cast<std::size_t>(cp_width(cp));
  }
  return w;
}

std::string clip(std::string_view s, std::size_t width) {
  if (display_width(s) <= width) return std::string(s);
  if (width == 0) return {};
  std::string out;
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t len = next_cp(s, i, cp);
    const auto cw = static_cast<std::size_t>(cp_width(cp));
    if (w + cw > width - 1) break;  // room for "…"
    out.append(s.substr(i, len));
    w += cw;
    i += len;
  }
  return out + "…";
}

std::string compact_count(std::int64_t n) {
  if (n < 0) n = 0;
  if (n < 1'000'000) return std::to_string(n);
  const char* units[] = {"M", "G", "T", "P"};
  double v = static_cast<double>(n) / 1e6;
  int u = 0;
  while (v >= 999.5 && u < 3) {
    v /= 1000;
    ++u;
  }
  return fixed(v, v < 9.995 ? 2 : v < 99.95 ? 1 : 0) + units[u];
}

std::string compact_rate(double r) {
  if (!(r > 0)) return "0.0";
  if (r < 99.95) return fixed(r, 1);
  if (r < 999'999.5) return fixed(r, 0);
  return compact_count(static_cast<std::int64_t>(r + 0.5));
}

std::string render_top(const json& raw, int width, bool tty, const std::string& source, const std::string& empty_note) {
  const json list = terminal_safe_json(raw);
  const auto W = static_cast<std::size_t>(std::max(width, 40));
  // Columns grow with the terminal: 80 shows the essentials, 100+ adds STATUS and SERVICES.
  const bool wide = W >= 100;
  const std::size_t sev_w = wide ? 8 : 4, services_w = W >= 160 ? 24 : 14;
  std::size_t used = 16 + 1 + 7 + 1 + 7 + 1 + sev_w + 1 + 4 + 1;
  if (wide) used += 10 + 1 + services_w + 1;
  const std::size_t template_w = W > used + 10 ? W - used : 10;
  auto row = [&](const std::string& id, const std::string& count, const std::string& rate, const std::string& sev,
                 const std::string& sev_colour, const std::string& flags, const std::string& status,
                 const std::string& services, const std::string& tmpl) {
    std::string line = pad(clip(id, 16), 16, false) + " " + pad(count, 7, true) + " " + pad(rate, 7, true) + " " +
                       sev_colour + pad(clip(sev, sev_w), sev_w, false) + (sev_colour.empty() ? "" : reset(tty)) + " " +
                       pad(flags, 4, false) + " ";
    if (wide) line += pad(clip(status, 10), 10, false) + " " + pad(clip(services, services_w), services_w, false) + " ";
    return rtrim(line + clip(tmpl, template_w));
  };
  std::string out;
  out += std::string(tty ? "\033[1m" : "") +
         row("ID", "COUNT", "RATE/m", "SEV", "", "FLAG", "STATUS", "SERVICES", "TEMPLATE") + reset(tty) + "\n";
  for (const auto& f : list["fingerprints"]) {
    std::string flags;
    flags += f.value("is_new", false) ? "N" : "-";
    flags += f.value("regressed", false) ? "R" : "-";
    flags += f.value("escalating", false) ? "E" : "-";
    const json& fc = f.contains("forecast") ? f["forecast"] : json(nullptr);
    flags += fc.is_object() ? (fc.value("above_threshold", false) ? "A" : "F") : "-";
    std::string services;
    if (f.contains("services"))
      for (const auto& s : f["services"]) services += (services.empty() ? "" : ",") + s.value("name", "");
    const std::string sev = f.value("severity", "");
    out += row(f.value("id", ""), compact_count(f.value("count", std::int64_t{0})), compact_rate(f.value("rate_per_min", 0.0)),
               wide ? sev : short_severity(sev), colour_for(sev, tty), flags, f.value("status", ""), services,
               f.value("template", "")) +
           "\n";
  }
  if (list["fingerprints"].empty()) out += clip(empty_note, W) + "\n";
  const std::string dim = tty ? "\033[2m" : "";
  out += dim + clip("flags: N new, R regressed, E escalating, F forecast to cross, A above threshold", W) + reset(tty) + "\n";
  if (!source.empty()) out += dim + clip("read from " + escape_control(source), W) + reset(tty) + "\n";
  return out;
}

std::string render_detail(const json& raw, const json& audit_raw, bool tty) {
  const json f = terminal_safe_json(raw);
  std::ostringstream o;
  const std::string sev = f.value("severity", "");
  o << (tty ? "\033[1m" : "") << f.value("id", "") << reset(tty) << "  " << colour_for(sev, tty) << sev << reset(tty)
    << "  " << f.value("status", "") << "\n";
  if (f.contains("merged_into") && f["merged_into"].is_string())
    o << "merged into " << f["merged_into"].get<std::string>() << " (its events count there; `selfheal show "
      << f["merged_into"].get<std::string>() << "`)\n";
  o << "template:   " << f.value("template", "") << "\n";
  if (!f.value("exception_type", "").empty()) o << "exception:  " << f.value("exception_type", "") << "\n";
  o << "count:      " << f.value("count", 0);
  if (f.value("own_count", f.value("count", 0)) != f.value("count", 0))
    o << " (" << f.value("own_count", 0) << " own, the rest from merged fingerprints)";
  o << "   rate: " << compact_rate(f.value("rate_per_min", 0.0)) << "/min   baseline: "
    << compact_rate(f.value("baseline_per_min", 0.0)) << "/min\n";
  o << "first seen: " << readable_time(f.value("first_seen", "")) << "   last seen: " << readable_time(f.value("last_seen", ""))
    << "\n";
  std::string flags;
  if (f.value("is_new", false)) flags += " new";
  if (f.value("regressed", false)) flags += " regressed";
  if (f.value("escalating", false)) flags += " escalating";
  if (!flags.empty()) o << "flags:     " << flags << "\n";
  if (f.contains("forecast") && f["forecast"].is_object()) {
    const auto& fc = f["forecast"];
    if (fc.value("above_threshold", false))
      o << "forecast:   above threshold (" << compact_rate(fc.value("threshold_per_min", 0.0)) << "/min) now\n";
    else if (fc["crosses_at"].is_string())
      o << "forecast:   crosses " << compact_rate(fc.value("threshold_per_min", 0.0)) << "/min at "
        << readable_time(fc["crosses_at"].get<std::string>()) << " (fit R² " << fixed(fc.value("fit_r2", 0.0), 2) << ")\n";
  }
  auto names = [](const json& arr) {
    std::string out;
    if (arr.is_array())
      for (const auto& s : arr) out += (out.empty() ? "" : ", ") + s.value("name", "") + " (" + std::to_string(s.value("count", 0)) + ")";
    return out.empty() ? std::string("-") : out;
  };
  o << "services:   " << names(f.value("services", json::array())) << "\n";
  o << "hosts:      " << names(f.value("hosts", json::array())) << "\n";
  if (f.contains("merged_from") && f["merged_from"].is_array() && !f["merged_from"].empty()) {
    std::string m;
    for (const auto& id : f["merged_from"]) m += (m.empty() ? "" : ", ") + id.get<std::string>();
    o << "merged in:  " << m << "\n";
  }
  if (f.contains("series")) {
    static const char* bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    std::int64_t max = 0;
    for (const auto& p : f["series"]) max = std::max<std::int64_t>(max, p.value("count", 0));
    std::string spark;
    for (const auto& p : f["series"]) {
      const std::int64_t c = p.value("count", 0);
      spark += c == 0 ? " " : bars[max ? std::min<std::int64_t>(7, c * 7 / max) : 0];
    }
    o << "last hour:  |" << spark << "| max " << max << "/min\n";
  }
  if (f.contains("explain") && f["explain"].is_object()) {
    const auto& e = f["explain"];
    o << "grouped as: " << e.value("kind", "message");
    if (e.contains("structured")) o << " (" << e.value("structured", "") << " fields)";
    if (e.contains("masks") && e["masks"].is_array() && !e["masks"].empty()) {
      std::map<std::string, int> kinds;
      for (const auto& m : e["masks"]) kinds[m.is_string() ? m.get<std::string>() : m.dump()]++;
      o << "; variables masked:";
      for (const auto& [k, n] : kinds) o << " " << k << (n > 1 ? "×" + std::to_string(n) : "");
    }
    if (e.value("kind", "") == "trace" && e.contains("components") && e["components"].is_array()) {
      o << "; from";
      for (const auto& c : e["components"]) o << " " << (c.is_string() ? c.get<std::string>() : c.dump());
    }
    o << "\n";
  }
  if (f.contains("values"))
    for (const auto& v : f["values"]) {
      const bool estimate = v.value("estimate", false);
      o << "<*>#" << v.value("position", 0) << " (" << (estimate ? "~" : "") << v.value("distinct_estimate", 0)
        << " distinct" << (estimate ? ", estimated" : "") << "):";
      int n = 0;
      for (const auto& t : v["top"]) {
        if (n++ == 5) break;
        o << " " << t.value("value", "") << (estimate ? " ≤" : "×") << t.value("count", 0);
      }
      o << "\n";
    }
  if (f.contains("frames") && f["frames"].is_array() && !f["frames"].empty()) {
    o << "frames:\n";
    int n = 0;
    for (const auto& fr : f["frames"]) {
      if (n++ == 8) break;
      o << "  " << (fr.value("in_app", false) ? "* " : "  ") << fr.value("module", "")
        << (fr.value("module", "").empty() ? "" : ".") << fr.value("function", "") << "\n";
    }
  }
  if (f.contains("samples") && f["samples"].is_array()) {
    // One entry per distinct occurrence; the kinds that kept it, named for a person: the earliest
    // "first seen", other early ones "early", the latest per second "recent", the reservoir "random".
    std::vector<std::pair<json, std::string>> shown;
    bool first_named = false;
    for (const auto& s : f["samples"]) {
      const std::string kind = s.value("kind", "");
      std::string label = kind == "recent" ? "recent" : kind == "reservoir" ? "random" : "early";
      if (kind == "first" && !first_named) {
        label = "first seen";
        first_named = true;
      }
      auto same = std::find_if(shown.begin(), shown.end(), [&](const auto& p) {
        return p.first.value("ts", "") == s.value("ts", "") && p.first.value("message", "") == s.value("message", "");
      });
      if (same == shown.end()) shown.emplace_back(s, label);
      else if (same->second.find(label) == std::string::npos) same->second += ", " + label;
    }
    for (const auto& [s, label] : shown) {
      std::string where = s.value("service", "");
      if (!s.value("host", "").empty()) where += (where.empty() ? "" : "@") + s.value("host", "");
      o << "sample (" << label << ") " << readable_time(s.value("ts", "")) << (where.empty() ? "" : " " + where) << ": "
        << clip(s.value("message", ""), 300) << "\n";
    }
  }
  const json audit = terminal_safe_json(audit_raw);
  if (audit.is_array() && !audit.empty()) {
    o << "history (newest first):\n";
    for (const auto& a : audit) {
      const std::string d = readable_detail(a.value("detail", ""));
      o << "  " << readable_time(a.value("ts", "")) << "  " << a.value("action", "") << " by " << a.value("actor", "")
        << (d.empty() ? "" : " (" + d + ")") << "\n";
    }
  }
  return o.str();
}

}  // namespace selfheal::app
