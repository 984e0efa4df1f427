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

struct Offline {
  SystemClock clock;
  std::unique_ptr<Stores> stores;
};
/// The stores of an offline target; never created by a read (app/cli_client.hpp open_existing_stores).
Result<std::unique_ptr<Offline>> open_offline(const CliTarget& t) {
  auto o = std::make_unique<Offline>();
  auto stores = open_existing_stores(t);
  if (!stores) return stores.error();
  o->stores = std::move(*stores);
  return o;
}

int fail(const std::string& msg, int code = 1) {
  std::cerr << "selfheal: " << terminal_safe(msg, Newlines::keep) << "\n";
  return code;
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
    if (r.status != 200) return fail(r.error_text());
    std::cout << (st.json ? r.body.dump(2)
                          : terminal_safe(action + " " + id + ": ok, by " + r.body.value("by", "?") + " (" + source_of(*t) + ")"))
              << "\n";
    return 0;
  }
  auto o = open_offline(*t);
  if (!o) return fail(o.error().message);
  LifecycleStore& lc = (*o)->stores->lifecycle();
  const char* user = std::getenv("SELFHEAL_USER") && *std::getenv("SELFHEAL_USER") ? std::getenv("SELFHEAL_USER")
                                                                                   : std::getenv("USER");
  std::string actor = std::string("cli:") + (user && *user ? user : "unknown");
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
  if (st.json) std::cout << json{{"id", id}, {"action", action}, {"by", actor}}.dump(2) << "\n";
  else std::cout << terminal_safe(action + " " + id + ": ok, by " + actor + " (" + source_of(*t) + ")") << "\n";
  return 0;
}
}  // namespace

void register_query_commands(CLI::App& app, CliState& st) {
  // top
  auto* top = app.add_subcommand("top", "Ranked list of fingerprints (what is breaking now).");
  add_target_options(top, st);
  static int limit = 0;
  static bool all = false;
  static std::string sort = "count", status, service, severity, since, q;
  top->add_option("-n,--limit", limit, "Rows, 1-1000 (default: 25 on a terminal, else 50)")->check(CLI::Range(1, 1000));
  top->add_option("--sort", sort, "count, last_seen or rate")->check(CLI::IsMember({"count", "last_seen", "rate"}));
  auto* status_opt = top->add_option("--status", status, "unresolved (the default), resolved or ignored")
                         ->check(CLI::IsMember({"unresolved", "resolved", "ignored"}));
  top->add_flag("--all", all, "Every status: resolved and ignored too (default: unresolved only)")->excludes(status_opt);
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
    if (!all) params.emplace("status", status.empty() ? "unresolved" : status);
    if (!service.empty()) params.emplace("service", service);
    if (!severity.empty()) params.emplace("severity", severity);
    if (!since.empty()) params.emplace("since", since);
    if (!q.empty()) params.emplace("q", q);
    json list;
    if (!t->server.empty()) {
      auto r = api_get(*t, "/api/v1/fingerprints" + query_string(params));
      if (r.status != 200) {
        st.exit_code = fail(r.error_text());
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
    if (st.json) {
      std::cout << list.dump(2) << "\n";
      return;
    }
    const std::string shown = all ? "fingerprints" : (status.empty() ? "unresolved" : status) + " fingerprints";
    std::cout << render_top(list, terminal_width(), stdout_is_tty(), source_of(*t),
                            "(no " + shown + (all ? "" : "; --all lists every status") + ")");
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
    json detail, audit = json::array();
    if (!t->server.empty()) {
      auto r = api_get(*t, "/api/v1/fingerprints/" + show_id);
      if (r.status != 200) {
        st.exit_code = fail(r.error_text());
        return;
      }
      detail = r.body;
      if (auto a = api_get(*t, "/api/v1/audit?subject=" + show_id); a.status == 200) audit = a.body.value("entries", json::array());
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
      if (auto entries = (*o)->stores->lifecycle().audit_of(show_id, 100))
        for (const auto& e : *entries)
          audit.push_back({{"ts", format_rfc3339(e.ts)}, {"actor", e.actor}, {"action", e.action}, {"detail", e.detail}});
    }
    if (st.json) std::cout << detail.dump(2) << "\n";
    else std::cout << render_detail(detail, audit, stdout_is_tty());
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
