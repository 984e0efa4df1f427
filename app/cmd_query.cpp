// `selfheal top`, `show`, `resolve`, `unresolve`, `ignore`, `merge`, `unmerge` (issue 6): against a running
// server's API, or the database file when no server runs (same JSON views either way).
#include <CLI/CLI.hpp>
#include <httplib.h>

#include <iostream>

#include "app/cli_client.hpp"
#include "app/fingerprint_views.hpp"
#include "app/fingerprinting.hpp"
#include "app/human_output.hpp"
#include "app/storage.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {
using nlohmann::json;

const char* colour_for(const std::string& sev, bool tty) {
  if (!tty) return "";
  if (sev == "critical") return "\033[1;31m";
  if (sev == "error") return "\033[31m";
  if (sev == "warning") return "\033[33m";
  return "\033[2m";
}
const char* reset(bool tty) { return tty ? "\033[0m" : ""; }

std::string fit(std::string s, std::size_t w) {
  for (auto& c : s)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  if (s.size() <= w) return s + std::string(w - s.size(), ' ');
  if (w <= 1) return s.substr(0, w);
  return s.substr(0, w - 1) + "~";
}

std::string sparkline(const json& series) {
  static const char* bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  std::int64_t max = 0;
  for (const auto& p : series) max = std::max<std::int64_t>(max, p.value("count", 0));
  std::string out;
  for (const auto& p : series) {
    std::int64_t c = p.value("count", 0);
    if (c == 0) out += " ";
    else out += bars[max ? std::min<std::int64_t>(7, c * 7 / max) : 0];
  }
  return out;
}

struct Offline {
  SystemClock clock;
  std::unique_ptr<Stores> stores;
};
Result<std::unique_ptr<Offline>> open_offline(const CliTarget& t) {
  auto o = std::make_unique<Offline>();
  auto stores = open_stores(t.config, o->clock);
  if (!stores) return stores.error();
  o->stores = std::move(*stores);
  return o;
}

int fail(const std::string& msg, int code = 1) {
  std::cerr << "selfheal: " << terminal_safe(msg, Newlines::keep) << "\n";
  return code;
}

void print_table(const json& raw, bool tty) {
  const json list = terminal_safe_json(raw);
  const int width = terminal_width();
  const auto& fps = list["fingerprints"];
  std::cout << (tty ? "\033[1m" : "") << fit("ID", 16) << "  " << fit("COUNT", 9) << " " << fit("RATE/m", 7) << " "
            << fit("STATUS", 10) << " " << fit("SEV", 8) << " " << fit("FLAGS", 5) << " " << fit("SERVICES", 16) << " "
            << "TEMPLATE" << reset(tty) << "\n";
  const int used = 16 + 2 + 9 + 1 + 7 + 1 + 10 + 1 + 8 + 1 + 5 + 1 + 16 + 1;
  const std::size_t tw = static_cast<std::size_t>(std::max(20, width - used));
  for (const auto& f : fps) {
    std::string flags;
    flags += f.value("is_new", false) ? "N" : "-";
    flags += f.value("regressed", false) ? "R" : "-";
    flags += f.value("escalating", false) ? "E" : "-";
    flags += f["forecast"].is_null() ? "-" : "F";
    std::string services;
    for (const auto& s : f["services"]) services += (services.empty() ? "" : ",") + s.value("name", "");
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", f.value("rate_per_min", 0.0));
    const std::string sev = f.value("severity", "");
    std::cout << fit(f.value("id", ""), 16) << "  " << fit(std::to_string(f.value("count", 0)), 9) << " " << fit(rate, 7)
              << " " << fit(f.value("status", ""), 10) << " " << colour_for(sev, tty) << fit(sev, 8) << reset(tty)
              << " " << fit(flags, 5) << " " << fit(services, 16) << " " << fit(f.value("template", ""), tw) << "\n";
  }
  if (fps.empty()) std::cout << "(no fingerprints yet)\n";
  std::cout << (tty ? "\033[2m" : "") << "flags: N new, R regressed, E escalating, F forecast to cross the threshold"
            << reset(tty) << "\n";
}

void print_detail(const json& raw, bool tty) {
  const json f = terminal_safe_json(raw);
  std::cout << (tty ? "\033[1m" : "") << f.value("id", "") << reset(tty) << "  " << colour_for(f.value("severity", ""), tty)
            << f.value("severity", "") << reset(tty) << "  " << f.value("status", "") << "\n";
  std::cout << "template:   " << f.value("template", "") << "\n";
  if (!f.value("exception_type", "").empty()) std::cout << "exception:  " << f.value("exception_type", "") << "\n";
  std::cout << "count:      " << f.value("count", 0) << "   rate: " << f.value("rate_per_min", 0.0)
            << "/min   baseline: " << f.value("baseline_per_min", 0.0) << "/min\n";
  std::cout << "first seen: " << f.value("first_seen", "") << "   last seen: " << f.value("last_seen", "") << "\n";
  std::string flags;
  if (f.value("is_new", false)) flags += " new";
  if (f.value("regressed", false)) flags += " regressed";
  if (f.value("escalating", false)) flags += " escalating";
  if (!flags.empty()) std::cout << "flags:     " << flags << "\n";
  if (!f["forecast"].is_null())
    std::cout << "forecast:   crosses " << f["forecast"].value("threshold_per_min", 0.0) << "/min at "
              << f["forecast"].value("crosses_at", "") << "\n";
  std::string services;
  for (const auto& s : f["services"]) services += (services.empty() ? "" : ", ") + s.value("name", "") + " (" + std::to_string(s.value("count", 0)) + ")";
  std::cout << "services:   " << services << "\n";
  std::cout << "last hour:  |" << sparkline(f["series"]) << "|\n";
  if (f.contains("values"))
    for (const auto& v : f["values"]) {
      std::cout << "<*>#" << v.value("position", 0) << " (~" << v.value("distinct_estimate", 0) << " distinct):";
      int n = 0;
      for (const auto& t : v["top"]) {
        if (n++ == 5) break;
        std::cout << " " << t.value("value", "") << "×" << t.value("count", 0);
      }
      std::cout << "\n";
    }
  if (f.contains("frames") && f["frames"].is_array() && !f["frames"].empty()) {
    std::cout << "frames:\n";
    int n = 0;
    for (const auto& fr : f["frames"]) {
      if (n++ == 8) break;
      std::cout << "  " << (fr.value("in_app", false) ? "* " : "  ") << fr.value("module", "")
                << (fr.value("module", "").empty() ? "" : ".") << fr.value("function", "") << "\n";
    }
  }
  if (f.contains("samples"))
    for (const auto& s : f["samples"]) {
      std::string m = s.value("message", "");
      if (m.size() > 300) m = m.substr(0, 300) + "…";
      std::cout << "sample " << s.value("kind", "") << " " << s.value("ts", "") << ": " << m << "\n";
    }
}

std::string query_string(const std::multimap<std::string, std::string>& params) {
  std::string out;
  for (const auto& [k, v] : params) out += (out.empty() ? "?" : "&") + k + "=" + httplib::detail::encode_query_param(v);
  return out;
}

int lifecycle(CliState& st, const std::string& id, const std::string& action, const json& body) {
  auto t = resolve_target(st);
  if (!t) return fail(t.error().message, t.error().code == ErrorCode::config ? 2 : 1);
  if (!t->server.empty()) {
    auto r = api_post(*t, "/api/v1/fingerprints/" + id + "/" + action, body);
    if (r.status != 200) return fail(r.status == 0 ? "server unreachable" : r.body.value("error", "request failed"));
    std::cout << (st.json ? r.body.dump(2) : terminal_safe(action + " " + id + ": ok")) << "\n";
    return 0;
  }
  auto o = open_offline(*t);
  if (!o) return fail(o.error().message);
  LifecycleStore& lc = (*o)->stores->lifecycle();
  std::string actor = std::string("cli:") + (std::getenv("USER") ? std::getenv("USER") : "unknown");
  Result<void> r;
  if (action == "resolve") r = lc.resolve(id, actor);
  else if (action == "unresolve") r = lc.unresolve(id, actor);
  else if (action == "merge") r = lc.merge(id, body.value("into", ""), actor);
  else if (action == "unmerge") r = lc.unmerge(id, actor);
  else if (action == "ignore") {
    IgnoreSpec spec;
    if (body.contains("for")) spec.until_ms = (*o)->clock.now_ms() + *parse_duration_ms(body["for"].get<std::string>());
    spec.more_events = body.value("more_events", 0);
    spec.rate_per_min = body.value("rate_per_min", 0);
    r = lc.ignore(id, spec, actor);
  }
  if (!r) return fail(r.error().message);
  std::cout << terminal_safe(action + " " + id + ": ok (" + storage_location(*(*o)->stores) + ")") << "\n";
  return 0;
}
}  // namespace

void register_query_commands(CLI::App& app, CliState& st) {
  // top
  auto* top = app.add_subcommand("top", "Ranked list of fingerprints (what is breaking now).");
  add_target_options(top, st);
  static int limit = 0;
  static std::string sort = "count", status, service, severity, since, q;
  top->add_option("-n,--limit", limit, "Rows (default: fits the terminal)");
  top->add_option("--sort", sort, "count, last_seen or rate")->check(CLI::IsMember({"count", "last_seen", "rate"}));
  top->add_option("--status", status, "unresolved, resolved or ignored");
  top->add_option("--service", service, "Only this service");
  top->add_option("--severity", severity, "Minimum severity");
  top->add_option("--since", since, "Last seen since (RFC 3339 or a duration like 1h)");
  top->add_option("-q,--query", q, "Substring of the template or id prefix");
  top->callback([&st] {
    auto t = resolve_target(st);
    if (!t) {
      st.exit_code = fail(t.error().message, t.error().code == ErrorCode::config ? 2 : 1);
      return;
    }
    std::multimap<std::string, std::string> params;
    int rows = limit > 0 ? limit : (stdout_is_tty() ? 25 : 50);
    params.emplace("limit", std::to_string(std::min(rows, 1000)));
    params.emplace("sort", sort);
    if (!status.empty()) params.emplace("status", status);
    if (!service.empty()) params.emplace("service", service);
    if (!severity.empty()) params.emplace("severity", severity);
    if (!since.empty()) params.emplace("since", since);
    if (!q.empty()) params.emplace("q", q);
    json list;
    if (!t->server.empty()) {
      auto r = api_get(*t, "/api/v1/fingerprints" + query_string(params));
      if (r.status != 200) {
        st.exit_code = fail(r.status == 0 ? "server unreachable" : r.body.value("error", "request failed"));
        return;
      }
      list = r.body;
    } else {
      auto o = open_offline(*t);
      if (!o) {
        st.exit_code = fail(o.error().message);
        return;
      }
      auto fq = parse_list_params(params, (*o)->clock.now_ms());
      if (!fq) {
        st.exit_code = fail(fq.error().message, 2);
        return;
      }
      auto j = list_json((*o)->stores->store(), *fq, t->config.stats);
      if (!j) {
        st.exit_code = fail(j.error().message);
        return;
      }
      list = *j;
    }
    if (st.json) std::cout << list.dump(2) << "\n";
    else print_table(list, stdout_is_tty());
  });

  // show
  auto* show = app.add_subcommand("show", "Details of one fingerprint, with a sparkline of the last hour.");
  add_target_options(show, st);
  static std::string show_id;
  show->add_option("id", show_id, "Fingerprint id")->required();
  show->callback([&st] {
    if (!valid_fingerprint_id(show_id)) {
      st.exit_code = fail("invalid fingerprint id", 2);
      return;
    }
    auto t = resolve_target(st);
    if (!t) {
      st.exit_code = fail(t.error().message, t.error().code == ErrorCode::config ? 2 : 1);
      return;
    }
    json detail;
    if (!t->server.empty()) {
      auto r = api_get(*t, "/api/v1/fingerprints/" + show_id);
      if (r.status != 200) {
        st.exit_code = fail(r.status == 0 ? "server unreachable" : r.body.value("error", "request failed"));
        return;
      }
      detail = r.body;
    } else {
      auto o = open_offline(*t);
      if (!o) {
        st.exit_code = fail(o.error().message);
        return;
      }
      Fingerprinting fp(t->config.fingerprint);
      auto j = detail_json((*o)->stores->store(), &fp, show_id, (*o)->clock.now_ms(), t->config.stats);
      if (!j) {
        st.exit_code = fail(j.error().message);
        return;
      }
      if (!*j) {
        st.exit_code = fail("fingerprint " + show_id + " not found");
        return;
      }
      detail = **j;
    }
    if (st.json) std::cout << detail.dump(2) << "\n";
    else print_detail(detail, stdout_is_tty());
  });

  // lifecycle
  static std::string life_id, into, ignore_for;
  static std::int64_t more_events = 0, rate_per_min = 0;
  for (const char* action : {"resolve", "unresolve", "unmerge"}) {
    auto* sub = app.add_subcommand(action, std::string(action) == "resolve"     ? "Mark a fingerprint resolved (an event after it is a regression)."
                                           : std::string(action) == "unmerge" ? "Undo a merge: the fingerprint counts on its own again."
                                                                              : "Mark a fingerprint unresolved.");
    add_target_options(sub, st);
    sub->add_option("id", life_id, "Fingerprint id")->required();
    std::string a = action;
    sub->callback([&st, a] { st.exit_code = lifecycle(st, life_id, a, json::object()); });
  }
  auto* ignore = app.add_subcommand("ignore", "Ignore a fingerprint until a duration, N more events or a rate.");
  add_target_options(ignore, st);
  ignore->add_option("id", life_id, "Fingerprint id")->required();
  ignore->add_option("--for", ignore_for, "Duration, e.g. 2h");
  ignore->add_option("--more", more_events, "Until N more events");
  ignore->add_option("--rate", rate_per_min, "Until a minute has more than this many events");
  ignore->callback([&st] {
    json body = json::object();
    if (!ignore_for.empty()) {
      if (!parse_duration_ms(ignore_for)) {
        st.exit_code = fail("--for: a duration like 30m, 2h, 7d", 2);
        return;
      }
      body["for"] = ignore_for;
    }
    if (more_events > 0) body["more_events"] = more_events;
    if (rate_per_min > 0) body["rate_per_min"] = rate_per_min;
    st.exit_code = lifecycle(st, life_id, "ignore", body);
  });
  auto* merge = app.add_subcommand("merge", "Merge fingerprint SOURCE into TARGET (future events count on TARGET).");
  add_target_options(merge, st);
  merge->add_option("source", life_id, "Fingerprint to merge")->required();
  merge->add_option("target", into, "Fingerprint to merge into")->required();
  merge->callback([&st] { st.exit_code = lifecycle(st, life_id, "merge", json{{"into", into}}); });
}

}  // namespace selfheal::app
