// CLI subcommands of the healer module. Owned with healer/.
//   selfheal rules                         the configured strategies (priority order, backstop last)
//   selfheal approvals [--status S]        pending approvals
//   selfheal approve ID [--by NAME] [--note TEXT]
//   selfheal reject ID  [--by NAME] [--note TEXT]
// They talk to a running server (--server URL, else the config's listen address if it answers) and
// fall back to the database file when no server runs (never creating one). Server, token and CA are
// found as for every command (app/cli_client.hpp); the server records the token's name as the approver
// (--by applies only to the database file).

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_client.hpp"
#include "app/config.hpp"
#include "app/healing_views.hpp"
#include "app/hooks.hpp"
#include "app/human_output.hpp"
#include "healer/strategy.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {

using nlohmann::json;

/// Server, token and CA are found as every CLI command finds them (app/cli_client.hpp).
struct HealerCliOptions {
  CliState target;
  bool json_out = false;
};

void add_common(CLI::App* cmd, HealerCliOptions& o) {
  add_target_options(cmd, o.target, false);
  cmd->add_flag("--json", o.json_out, "Print JSON");
}

int fail(const std::string& msg, int code = 1) {
  std::cerr << "selfheal: " << terminal_safe(msg, Newlines::keep) << "\n";
  return code;
}

/// An explicit --server (or $SELFHEAL_SERVER), else the configured listen address when /healthz answers
/// there, else the DB file.
Result<CliTarget> resolve(const HealerCliOptions& o, const CliState&) { return resolve_target(o.target); }
int resolve_failed(const Error& e) { return fail(e.code == ErrorCode::config ? "config error:\n" + e.message : e.message, e.code == ErrorCode::config ? 2 : 1); }

ApiReply call(const CliTarget& t, const std::string& method, const std::string& path, const std::string& body = {}) {
  return method == "GET" ? api_get(t, path) : api_post_raw(t, path, body);
}

std::string error_text(const ApiReply& r) { return r.error_text(); }

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
  auto built = healer::build_strategies(cfg.healer);
  if (!built) return {{"error", built.error().message}};
  return rules_json(cfg.healer, *built);
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

Result<std::unique_ptr<Stores>> open_store(const CliTarget& t) {
  return open_existing_stores(t);  // a read never creates a database
}

int decide(const HealerCliOptions& o, const CliState& st, std::int64_t id, bool approve, std::string by,
           const std::string& note) {
  auto t = resolve(o, st);
  if (!t) return resolve_failed(t.error());
  if (by.empty()) by = default_user();
  if (auto e = name_error("--by", by); !e.empty()) return fail(e, 2);
  if (!t->server.empty()) {
    json body = {{"by", by}, {"note", note}};
    auto r =
        call(*t, "POST", "/api/v1/approvals/" + std::to_string(id) + (approve ? "/approve" : "/reject"), body.dump());
    if (r.status != 200)
      return fail(error_text(r));
    const json& j = r.body;
    if (o.json_out)
      std::cout << r.raw << "\n";
    else
      print_approval(j);
    return 0;
  }
  auto store = open_store(*t);
  if (!store) return fail(store.error().message);
  SystemClock clock;
  auto r = (*store)->approvals().decide_approval(id, approve, by, clock.now_ms(), note);
  if (!r) return fail(r.error().message);
  if (o.json_out)
    std::cout << approval_json(*r).dump() << "\n";
  else
    print_approval(approval_json(*r));
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
      st.exit_code = resolve_failed(t.error());
      return;
    }
    if (!t->server.empty()) {
      auto r = call(*t, "GET", "/api/v1/healing/rules");
      if (r.status != 200) {
        st.exit_code = fail(error_text(r));
        return;
      }
      st.exit_code = print_rules(r.body, rules_opts->json_out || st.json);
      return;
    }
    auto doc = local_rules(t->config);
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
      st.exit_code = resolve_failed(t.error());
      return;
    }
    json arr = json::array();
    if (!t->server.empty()) {
      auto r = call(*t, "GET", "/api/v1/approvals?status=" + *status);
      if (r.status != 200) {
        st.exit_code = fail(error_text(r));
        return;
      }
      arr = r.body.value("approvals", json::array());
    } else {
      auto store = open_store(*t);
      if (!store) {
        st.exit_code = fail(store.error().message);
        return;
      }
      auto rows = (*store)->approvals().approvals(*status == "all" ? "" : *status, 100);
      if (!rows) {
        st.exit_code = fail(rows.error().message);
        return;
      }
      for (const auto& a : *rows) arr.push_back(approval_json(a));
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
