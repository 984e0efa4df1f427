// CLI subcommands of the llm module. Owned with llm/.
//   selfheal suggest ID [--preview] [--force]      --preview prints the exact request body; sends nothing
//   selfheal review [list|accept ID|reject ID|apply ID] [--comment TEXT] [--who NAME]
// Both work against a running server (--server URL) or directly on the database file (-c / -d).
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "app/api_suggestions.hpp"
#include "app/cli_client.hpp"
#include "app/config.hpp"
#include "app/hooks.hpp"
#include "app/human_output.hpp"
#include "llm/factory.hpp"
#include "llm/worker.hpp"
#include "app/storage.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {

using nlohmann::json;

struct LlmCliOptions {
  std::string config_file;
  std::string data_dir;
  std::string server;
  bool json_out = false;
};

void add_common(CLI::App* cmd, LlmCliOptions& o) {
  cmd->add_option("-c,--config", o.config_file, "YAML config file")->envname("SELFHEAL_CONFIG");
  cmd->add_option("-d,--data-dir", o.data_dir, "Directory holding the SQLite database");
  cmd->add_option("--server", o.server,
                  "Base URL of a running server (e.g. http://127.0.0.1:8080); default: the DB file");
  cmd->add_flag("--json", o.json_out, "Print JSON");
}

Result<Config> load(const LlmCliOptions& o) {
  CliOverrides flags;
  if (!o.data_dir.empty()) flags.data_dir = o.data_dir;
  flags.tokens_need_env = false;  // the server's token variables; the CLI sends its own (cli_token)
  return load_config(o.config_file, flags);
}

/// The API token of every call (app/cli_client.hpp cli_token).
std::string api_token(const LlmCliOptions& o) {
  if (!o.config_file.empty())
    if (auto cfg = load(o)) return cli_token(*cfg);
  return cli_token(Config{});
}

struct HttpResult {
  int status = 0;
  std::string body;
};

HttpResult http_call(const LlmCliOptions& o, const std::string& method, const std::string& path,
                     const std::string& body = {}) {
  httplib::Client cli(o.server);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(30, 0);
  httplib::Headers h;
  if (std::string t = api_token(o); !t.empty()) h.emplace("Authorization", "Bearer " + t);
  auto r = method == "GET" ? cli.Get(path.c_str(), h) : cli.Post(path.c_str(), h, body, "application/json");
  if (!r) return {0, "cannot reach " + o.server + ": " + httplib::to_string(r.error())};
  return {r->status, r->body};
}

int fail(const std::string& msg, int code = 1) {
  std::cerr << "selfheal: " << terminal_safe(msg, Newlines::keep) << "\n";
  return code;
}

std::string error_text(const HttpResult& r) {
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"];
  return "HTTP " + std::to_string(r.status) + " " + r.body;
}

void print_suggestion(const json& raw, bool as_json) {
  if (as_json) {
    std::cout << raw.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return;
  }
  const json s = terminal_safe_json(raw);
  std::cout << "suggestion " << s.value("id", 0) << " for " << s.value("fingerprint_id", "") << " ["
            << s.value("status", "") << "] confidence " << s.value("confidence", 0.0) << " (model "
            << s.value("model_confidence", 0.0) << ")\n"
            << "summary:    " << s.value("summary", "") << "\n"
            << "root cause: " << s.value("root_cause", "") << "\n"
            << "fix:        " << s.value("suggested_fix", "") << "\n";
  if (s.contains("evidence") && s["evidence"].is_array()) {
    for (const auto& e : s["evidence"]) {
      std::cout << "evidence:   " << (e.value("supported", false) ? "[found] " : "[not found] ") << e.value("text", "")
                << "\n";
    }
  }
}

json stored_json(const StoredSuggestion& s) {
  return {{"id", s.id},
          {"fingerprint_id", s.fingerprint_id},
          {"status", s.status},
          {"summary", s.summary},
          {"root_cause", s.root_cause},
          {"suggested_fix", s.suggested_fix},
          {"evidence", json::parse(s.evidence_json, nullptr, false)},
          {"confidence", s.confidence},
          {"model_confidence", s.model_confidence},
          {"provider", s.provider},
          {"model", s.model},
          {"usage",
           {{"prompt_tokens", s.prompt_tokens},
            {"completion_tokens", s.completion_tokens},
            {"cost_usd", s.cost_usd},
            {"latency_ms", s.latency_ms}}},
          {"created_at", format_rfc3339(s.created_at)},
          {"review", {{"by", s.reviewed_by}, {"comment", s.review_comment}}}};
}

/// Everything a direct (no server) suggestion needs, opened on the DB file.
struct LocalStack {
  SystemClock clock;
  std::unique_ptr<Stores> stores;
  SuggestionStore* suggestions = nullptr;
  std::unique_ptr<Redactor> redactor;
  std::unique_ptr<llm::LlmProvider> provider;
  std::unique_ptr<llm::HealingHistorySource> history;
  std::unique_ptr<llm::SuggestionService> service;
};

Result<std::unique_ptr<LocalStack>> open_local(const Config& cfg, bool with_provider) {
  auto st = std::make_unique<LocalStack>();
  auto stores = open_stores(cfg, st->clock);
  if (!stores) return stores.error();
  st->stores = std::move(*stores);
  st->suggestions = &st->stores->suggestions();
  if (with_provider) {
    auto r = Redactor::create(cfg.llm.redact);
    if (!r) return r.error();
    st->redactor = std::move(r).value();
    auto p = llm::make_provider(cfg.llm, llm::make_curl_http_client(cfg.llm.provider.ca_file), nullptr, &st->clock);
    if (!p) return p.error();
    st->provider = std::move(p).value();
    st->history = make_healing_history(st->stores->healing_log());
    st->service = std::make_unique<llm::SuggestionService>(st->stores->store(), *st->suggestions, *st->provider, *st->redactor,
                                                           st->clock, llm::service_options(cfg.llm), st->history.get());
  }
  return st;
}

int run_suggest(const LlmCliOptions& o, const std::string& id, bool preview, bool force) {
  if (!o.server.empty()) {
    if (preview) {
      auto r = http_call(o, "GET", "/api/v1/fingerprints/" + id + "/suggest/preview");
      if (r.status != 200) return fail(error_text(r));
      std::cout << r.body << "\n";
      return 0;
    }
    auto before = http_call(o, "GET", "/api/v1/suggestions?limit=1&fingerprint=" + id);
    std::int64_t newest_before = 0;
    if (before.status == 200) {
      json j = json::parse(before.body, nullptr, false);
      if (!j.is_discarded() && !j["items"].empty()) newest_before = j["items"][0].value("id", 0);
    }
    auto r = http_call(o, "POST", "/api/v1/fingerprints/" + id + "/suggest",
                       json{{"force", force}, {"requested_by", "cli"}}.dump());
    if (r.status != 202) return fail(error_text(r));
    // Wait for the worker: the newest suggestion of this fingerprint changes, or one already existed
    // and was reused (then the newest stays, and is printed).
    std::mutex mu;
    std::condition_variable cv;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    json last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto list = http_call(o, "GET", "/api/v1/suggestions?limit=1&fingerprint=" + id);
      if (list.status == 200) {
        json j = json::parse(list.body, nullptr, false);
        if (!j.is_discarded() && !j["items"].empty()) {
          last = j["items"][0];
          if (last.value("id", 0) != newest_before || (!force && newest_before != 0)) {
            print_suggestion(last, o.json_out);
            return 0;
          }
        }
      }
      std::unique_lock lock(mu);
      cv.wait_for(lock, std::chrono::milliseconds(250));
    }
    return fail("no suggestion within 120 s; see GET /api/v1/suggestions/{id} attempts or the server log");
  }
  auto cfg = load(o);
  if (!cfg) return fail("config error:\n" + cfg.error().message, 2);
  auto st = open_local(*cfg, true);
  if (!st) return fail(st.error().message, st.error().code == ErrorCode::config ? 2 : 1);
  if (preview) {
    auto body = (*st)->service->preview(id);
    if (!body) return fail(body.error().message);
    std::cout << *body << "\n";
    return 0;
  }
  auto r = (*st)->service->run(id, force, "cli");
  if (!r) return fail(r.error().message);
  if (r->outcome == llm::RunOutcome::failed || r->outcome == llm::RunOutcome::over_budget) {
    return fail(std::string(llm::to_string(r->outcome)) + ": " + r->error);
  }
  auto s = (*st)->suggestions->suggestion(r->suggestion_id);
  if (!s || !s->has_value()) return fail("suggestion vanished");
  print_suggestion(stored_json(**s), o.json_out);
  return 0;
}

int run_review(const LlmCliOptions& o, const std::string& action, const std::string& id, const std::string& who,
               const std::string& comment, const std::string& status_filter) {
  if (action == "list") {
    json items;
    if (!o.server.empty()) {
      std::string path = "/api/v1/suggestions?limit=100";
      if (!status_filter.empty()) path += "&status=" + status_filter;
      auto r = http_call(o, "GET", path);
      if (r.status != 200) return fail(error_text(r));
      items = json::parse(r.body, nullptr, false)["items"];
    } else {
      auto cfg = load(o);
      if (!cfg) return fail("config error:\n" + cfg.error().message, 2);
      auto st = open_local(*cfg, false);
      if (!st) return fail(st.error().message);
      SuggestionQuery q;
      q.limit = 100;
      q.status = status_filter;
      auto list = (*st)->suggestions->suggestions(q);
      if (!list) return fail(list.error().message);
      items = json::array();
      for (const auto& s : *list) items.push_back(stored_json(s));
    }
    if (o.json_out) {
      std::cout << items.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
      return 0;
    }
    for (const auto& s : terminal_safe_json(items)) {
      std::cout << s.value("id", 0) << "\t" << s.value("status", "") << "\t" << s.value("confidence", 0.0) << "\t"
                << s.value("fingerprint_id", "") << "\t" << s.value("summary", "") << "\n";
    }
    return 0;
  }
  if (id.empty()) return fail("review " + action + " needs a suggestion ID", 2);
  if (auto e = name_error("--who", who); !e.empty()) return fail(e, 2);
  json result;
  if (!o.server.empty()) {
    auto r = http_call(o, "POST", "/api/v1/suggestions/" + id + "/" + action,
                       json{{"who", who}, {"comment", comment}}.dump());
    if (r.status != 200) return fail(error_text(r));
    result = json::parse(r.body, nullptr, false);
  } else {
    auto cfg = load(o);
    if (!cfg) return fail("config error:\n" + cfg.error().message, 2);
    auto st = open_local(*cfg, false);
    if (!st) return fail(st.error().message);
    std::int64_t sid = 0;
    try {
      sid = std::stoll(id);
    } catch (const std::exception&) {
      return fail("suggestion ID must be a number", 2);
    }
    auto s = (*st)->suggestions->review(sid, action, who, comment, (*st)->clock.now_ms());
    if (!s) return fail(s.error().message);
    result = stored_json(*s);
  }
  if (o.json_out) {
    std::cout << result.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    std::cout << terminal_safe("suggestion " + id + " is now " + result.value("status", "")) << "\n";
  }
  return 0;
}

}  // namespace

void register_llm_commands(CLI::App& app, CliState& st) {
  // Options live as long as `app` (CLI11 keeps references); static storage keeps them alive.
  static LlmCliOptions suggest_opts, review_opts;
  static std::string suggest_id, review_id,
      who =
          [] {
            const char* u = std::getenv("USER");
            return std::string(u && *u ? u : "cli");
          }(),
      comment, status_filter;
  static bool preview = false, force = false;

  auto* suggest = app.add_subcommand("suggest", "Ask the LLM for a fix suggestion for one fingerprint.");
  suggest->add_option("ID", suggest_id, "Fingerprint id")->required();
  suggest->add_flag("--preview", preview, "Print the exact request body that would be sent; send nothing");
  suggest->add_flag("--force", force, "Ask again even if a recent or cached suggestion exists");
  add_common(suggest, suggest_opts);
  suggest->callback([&st] {
    if (suggest_opts.config_file.empty()) suggest_opts.config_file = st.config_file;
    if (suggest_opts.server.empty()) suggest_opts.server = st.server;
    st.exit_code = run_suggest(suggest_opts, suggest_id, preview, force);
  });

  auto* review = app.add_subcommand("review", "List and review LLM suggestions (accept, reject, apply).");
  add_common(review, review_opts);
  review->add_option("--who", who, "Reviewer name, offline only (default: $USER); a server records the token's name");
  review->add_option("--comment", comment, "Review comment");
  review->add_option("--status", status_filter, "list: only this status (proposed, accepted, rejected, applied)");
  review->require_subcommand(0, 1);
  auto* list = review->add_subcommand("list", "List suggestions, newest first.");
  (void)list;
  for (const char* action : {"accept", "reject", "apply"}) {
    auto* sub = review->add_subcommand(action, std::string("Mark a suggestion as ") + action + "ed.");
    sub->add_option("ID", review_id, "Suggestion id")->required();
    sub->add_option("--comment", comment, "Review comment");
    sub->add_option("--who", who, "Reviewer name, offline only (default: $USER); a server records the token's name");
  }
  review->callback([&st, review] {
    if (review_opts.config_file.empty()) review_opts.config_file = st.config_file;
    if (review_opts.server.empty()) review_opts.server = st.server;
    std::string action = "list";
    for (auto* sub : review->get_subcommands()) action = sub->get_name();
    st.exit_code = run_review(review_opts, action, review_id, who, comment, status_filter);
  });
}

}  // namespace selfheal::app
