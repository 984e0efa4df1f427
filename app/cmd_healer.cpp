// CLI subcommands of the healer module. Owned with healer/.
//   selfheal rules                         the configured strategies (priority order, backstop last)
//   selfheal approvals [--status S]        pending approvals
//   selfheal approve ID [--by NAME] [--note TEXT]
//   selfheal reject ID  [--by NAME] [--note TEXT]
// They talk to a running server (--server URL, else the config's listen address if it answers) and
// fall back to the database file when no server runs. Every call sends the API token ($SELFHEAL_TOKEN,
// app/cli_client.hpp cli_token); the server records the token's name as the approver (--by applies
// only to the database file).
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_client.hpp"
#include "app/config.hpp"
#include "app/hooks.hpp"
#include "app/human_output.hpp"
#include "healer/strategy.hpp"
#include "schema/sqlite_db.hpp"
#include "app/storage.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {

using nlohmann::json;

struct HealerCliOptions {
  std::string config_file;
  std::string data_dir;
  std::string server;
  bool json_out = false;
};

void add_common(CLI::App* cmd, HealerCliOptions& o) {
  cmd->add_option("-c,--config", o.config_file, "YAML config file")->envname("SELFHEAL_CONFIG");
  cmd->add_option("-d,--data-dir", o.data_dir, "Directory holding the SQLite database");
  cmd->add_option("--server", o.server, "Base URL of a running server (default: the config's listen address)");
  cmd->add_flag("--json", o.json_out, "Print JSON");
}

struct Target {
  Config cfg;
  std::string server;  // "" → use the database file
};

int fail(const std::string& msg, int code = 1) {
  std::cerr << "selfheal: " << terminal_safe(msg, Newlines::keep) << "\n";
  return code;
}

/// Loads the config and decides where to go: an explicit --server, else the configured listen address
/// when /healthz answers there, else the DB file.
Result<Target> resolve(HealerCliOptions o, const CliState& st) {
  if (o.config_file.empty()) o.config_file = st.config_file;
  if (o.data_dir.empty()) o.data_dir = st.data_dir;
  if (o.server.empty()) o.server = st.server;
  CliOverrides flags;
  if (!o.data_dir.empty()) flags.data_dir = o.data_dir;
  flags.tokens_need_env = false;  // the server's token variables; the CLI sends its own (cli_token)
  auto cfg = load_config(o.config_file, flags);
  if (!cfg) return cfg.error();
  Target t{std::move(*cfg), o.server};
  if (t.server.empty() && t.cfg.server.port > 0 && o.data_dir.empty()) {
    std::string host = t.cfg.server.host == "0.0.0.0" ? "127.0.0.1" : t.cfg.server.host;
    std::string url = "http://" + host + ":" + std::to_string(t.cfg.server.port);
    httplib::Client cli(url);
    cli.set_connection_timeout(0, 300'000);
    cli.set_read_timeout(1, 0);
    if (auto r = cli.Get("/healthz"); r && r->status == 200) t.server = url;
  }
  return t;
}

struct HttpResult {
  int status = 0;
  std::string body;
};

HttpResult call(const Target& t, const std::string& method, const std::string& path, const std::string& body = {}) {
  httplib::Client cli(t.server);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(30, 0);
  httplib::Headers h;
  if (std::string tok = cli_token(t.cfg); !tok.empty()) h.emplace("Authorization", "Bearer " + tok);
  auto r = method == "GET" ? cli.Get(path.c_str(), h) : cli.Post(path.c_str(), h, body, "application/json");
  if (!r) return {0, "cannot reach " + t.server + ": " + httplib::to_string(r.error())};
  return {r->status, r->body};
}

std::string error_text(const HttpResult& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  return r.body;
}

int print_rules(const json& rules_doc, bool as_json) {
  if (as_json) {
    std::cout << rules_doc.dump(2) << "\n";
    return 0;
  }
  const json rules = terminal_safe_json(rules_doc["rules"]);
  if (rules.empty()) std::cout << "no strategies configured\n";
  for (const auto& r : rules) {
    std::cout << r.value("priority", 0) << "\t" << r.value("name", std::string())
              << (r.value("enabled", true) ? "" : " (disabled)") << (r.value("backstop", false) ? " (backstop)" : "")
              << (r.value("dry_run", false) ? " (dry run)" : "")
              << (r.value("requires_approval", false) ? " (approval)" : "") << "\n";
    std::cout << "\tmatch: " << r["match"].dump() << "\n";
    for (const auto& a : r["actions"]) {
      std::cout << "\taction " << a.value("name", std::string()) << " [" << a.value("type", std::string()) << "]";
      if (a.contains("delivery") && a["delivery"].is_object() && a["delivery"].contains("argv"))
        std::cout << " argv=" << a["delivery"]["argv"].dump();
      if (a.contains("level")) std::cout << " level=" << a["level"].get<std::string>();
      std::cout << "\n";
    }
    const auto& g = r["guards"];
    std::cout << "\tguards: cooldown " << g.value("cooldown_secs", 0) << "s, " << g.value("max_runs", 0) << " runs per "
              << g.value("per_secs", 0) << "s, " << g.value("max_concurrent", 0) << " concurrent, breaker after "
              << g["breaker"].value("failures", 0) << " failures for " << g["breaker"].value("open_secs", 0) << "s\n";
  }
  return 0;
}

json local_rules(const Config& cfg) {
  json rules = json::array();
  auto built = healer::build_strategies(cfg.healer);
  if (!built) return {{"error", built.error().message}};
  for (const auto& s : *built) {
    const auto& c = s->config();
    json actions = json::array();
    for (const auto& a : c.actions) {
      json j = {{"name", a.name}, {"type", a.type}};
      if (a.type == "exec") j["delivery"] = {{"argv", a.delivery.exec.argv}};
      if (a.type == "notify") j["level"] = a.level;
      actions.push_back(j);
    }
    json match = json::object();
    if (!c.match.fingerprint_id.empty()) match["fingerprint_id"] = c.match.fingerprint_id;
    if (!c.match.exception_type.empty()) match["exception_type"] = c.match.exception_type;
    if (!c.match.message_regex.empty()) match["message_regex"] = c.match.message_regex;
    if (!c.match.service.empty()) match["service"] = c.match.service;
    if (!c.match.min_severity.empty()) match["min_severity"] = c.match.min_severity;
    if (!c.match.status.empty()) match["status"] = c.match.status;
    if (c.match.rate_count > 0)
      match["rate"] = {{"count", c.match.rate_count}, {"window_secs", c.match.rate_window_secs}};
    rules.push_back(
        {{"name", c.name},
         {"priority", c.priority},
         {"enabled", c.enabled},
         {"backstop", s->is_backstop()},
         {"dry_run", c.dry_run},
         {"requires_approval", c.requires_approval},
         {"match", match},
         {"actions", actions},
         {"guards",
          {{"cooldown_secs", c.guards.cooldown_secs},
           {"max_runs", c.guards.max_runs},
           {"per_secs", c.guards.per_secs},
           {"max_concurrent", c.guards.max_concurrent},
           {"breaker", {{"failures", c.guards.breaker.failures}, {"open_secs", c.guards.breaker.open_secs}}}}}});
  }
  return {{"enabled", cfg.healer.enabled}, {"dry_run", cfg.healer.dry_run}, {"rules", rules}};
}

std::string default_user() {
  for (const char* v : {"SELFHEAL_USER", "USER", "LOGNAME"})
    if (const char* u = std::getenv(v); u && *u) return u;
  return "cli";
}

void print_approval(const json& raw) {
  const json a = terminal_safe_json(raw);
  std::cout << a.value("id", 0) << "\t" << a.value("status", std::string()) << "\t"
            << a.value("strategy", std::string()) << "\t" << a.value("action", std::string()) << "\t"
            << a.value("fingerprint_id", std::string()) << "\texpires " << a.value("expires_at", std::string());
  if (!a.value("decided_by", std::string()).empty()) std::cout << "\tby " << a["decided_by"].get<std::string>();
  std::cout << "\n";
}

json approval_row_json(const ApprovalRow& a) {
  return {
      {"id", a.id},
      {"strategy", a.strategy},
      {"fingerprint_id", a.fingerprint_id},
      {"action", a.action},
      {"status", a.status},
      {"plan", json::parse(a.plan_json, nullptr, false).is_discarded() ? json(a.plan_json) : json::parse(a.plan_json)},
      {"expires_at", format_rfc3339(a.expires_at)},
      {"decided_by", a.decided_by},
      {"decided_at", a.decided_at ? json(format_rfc3339(a.decided_at)) : json(nullptr)},
      {"note", a.note}};
}

Result<std::unique_ptr<Stores>> open_store(const Config& cfg) {
  static const SystemClock clock;
  return open_stores(cfg, clock);
}

int decide(const HealerCliOptions& o, const CliState& st, std::int64_t id, bool approve, std::string by,
           const std::string& note) {
  auto t = resolve(o, st);
  if (!t) return fail("config error:\n" + t.error().message, 2);
  if (by.empty()) by = default_user();
  if (auto e = name_error("--by", by); !e.empty()) return fail(e, 2);
  if (!t->server.empty()) {
    json body = {{"by", by}, {"note", note}};
    auto r =
        call(*t, "POST", "/api/v1/approvals/" + std::to_string(id) + (approve ? "/approve" : "/reject"), body.dump());
    if (r.status != 200)
      return fail(r.status == 0 ? r.body : error_text(r), r.status == 404 || r.status == 409 ? 1 : 1);
    auto j = json::parse(r.body, nullptr, false);
    if (o.json_out)
      std::cout << r.body << "\n";
    else
      print_approval(j);
    return 0;
  }
  auto store = open_store(t->cfg);
  if (!store) return fail(store.error().message);
  SystemClock clock;
  auto r = (*store)->approvals().decide_approval(id, approve, by, clock.now_ms(), note);
  if (!r) return fail(r.error().message);
  if (o.json_out)
    std::cout << approval_row_json(*r).dump() << "\n";
  else
    print_approval(approval_row_json(*r));
  return 0;
}

}  // namespace

void register_healer_commands(CLI::App& app, CliState& st) {
  auto rules_opts = std::make_shared<HealerCliOptions>();
  auto* rules = app.add_subcommand("rules", "List the healer's strategies (priority order, backstop last).");
  add_common(rules, *rules_opts);
  rules->callback([rules_opts, &st] {
    auto t = resolve(*rules_opts, st);
    if (!t) {
      st.exit_code = fail("config error:\n" + t.error().message, 2);
      return;
    }
    if (!t->server.empty()) {
      auto r = call(*t, "GET", "/api/v1/healing/rules");
      if (r.status != 200) {
        st.exit_code = fail(r.status == 0 ? r.body : error_text(r));
        return;
      }
      st.exit_code = print_rules(json::parse(r.body), rules_opts->json_out || st.json);
      return;
    }
    auto doc = local_rules(t->cfg);
    if (doc.contains("error")) {
      st.exit_code = fail(doc["error"].get<std::string>(), 2);
      return;
    }
    st.exit_code = print_rules(doc, rules_opts->json_out || st.json);
  });

  auto list_opts = std::make_shared<HealerCliOptions>();
  auto status = std::make_shared<std::string>("pending");
  auto* list = app.add_subcommand("approvals", "List healer approvals (default: pending).");
  add_common(list, *list_opts);
  list->add_option("--status", *status, "pending, approved, rejected, expired, consumed or all");
  list->callback([list_opts, status, &st] {
    auto t = resolve(*list_opts, st);
    if (!t) {
      st.exit_code = fail("config error:\n" + t.error().message, 2);
      return;
    }
    json arr = json::array();
    if (!t->server.empty()) {
      auto r = call(*t, "GET", "/api/v1/approvals?status=" + *status);
      if (r.status != 200) {
        st.exit_code = fail(r.status == 0 ? r.body : error_text(r));
        return;
      }
      arr = json::parse(r.body)["approvals"];
    } else {
      auto store = open_store(t->cfg);
      if (!store) {
        st.exit_code = fail(store.error().message);
        return;
      }
      auto rows = (*store)->approvals().approvals(*status == "all" ? "" : *status, 100);
      if (!rows) {
        st.exit_code = fail(rows.error().message);
        return;
      }
      for (const auto& a : *rows) arr.push_back(approval_row_json(a));
    }
    if (list_opts->json_out || st.json) {
      std::cout << json{{"approvals", arr}}.dump(2) << "\n";
    } else {
      if (arr.empty()) std::cout << "no " << *status << " approvals\n";
      for (const auto& a : arr) print_approval(a);
    }
  });

  for (bool approve : {true, false}) {
    auto o = std::make_shared<HealerCliOptions>();
    auto id = std::make_shared<std::int64_t>(0);
    auto by = std::make_shared<std::string>();
    auto note = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(approve ? "approve" : "reject",
                                   approve ? "Approve a pending healing action." : "Reject a pending healing action.");
    add_common(cmd, *o);
    cmd->add_option("id", *id, "Approval id (see `selfheal approvals`)")->required();
    cmd->add_option("--by", *by, "Who decides, offline only (default: $SELFHEAL_USER or $USER); a server records the token's name");
    cmd->add_option("--note", *note, "Why");
    cmd->callback([o, id, by, note, approve, &st] { st.exit_code = decide(*o, st, *id, approve, *by, *note); });
  }
}

}  // namespace selfheal::app
