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
#include "app/suggestion_views.hpp"
#include "llm/factory.hpp"
#include "llm/worker.hpp"
#include "app/storage.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {

using nlohmann::json;

/// Where the commands go: server, token and CA found as every CLI command finds them
/// (app/cli_client.hpp: flag > environment > config).
struct LlmCliOptions {
  CliState target;
  bool json_out = false;
};

void add_common(CLI::App* cmd, LlmCliOptions& o) {
  add_target_options(cmd, o.target, false);
  cmd->add_flag("--json", o.json_out, "Print JSON");
}

using HttpResult = ApiReply;

HttpResult http_call(const CliTarget& t, const std::string& method, const std::string& path,
                     const std::string& body = {}) {
  return method == "GET" ? api_get(t, path) : api_post_raw(t, path, body);
}

int fail(const std::string& msg, int code = 1) {
  std::cerr << "selfheal: " << terminal_safe(msg, Newlines::keep) << "\n";
  return code;
}

std::string error_text(const HttpResult& r) { return r.error_text(); }

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

Result<std::unique_ptr<LocalStack>> open_local(const CliTarget& t, bool with_provider) {
  const Config& cfg = t.config;
  auto st = std::make_unique<LocalStack>();
  auto stores = open_existing_stores(t);  // a read never creates a database
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
  auto target = resolve_target(o.target);
  if (!target) return fail(target.error().message, target.error().code == ErrorCode::config ? 2 : 1);
  const CliTarget& t = *target;
  if (!t.server.empty()) {
    if (preview) {
      auto r = http_call(t, "GET", "/api/v1/fingerprints/" + id + "/suggest/preview");
      if (r.status != 200) return fail(error_text(r));
      std::cout << r.raw << "\n";
      return 0;
    }
    auto before = http_call(t, "GET", "/api/v1/suggestions?limit=1&fingerprint=" + id);
    std::int64_t newest_before = 0;
    if (before.status == 200) {
      const json& j = before.body;
      if (!j.is_discarded() && !j["items"].empty()) newest_before = j["items"][0].value("id", 0);
    }
    auto r = http_call(t, "POST", "/api/v1/fingerprints/" + id + "/suggest",
                       json{{"force", force}, {"requested_by", "cli"}}.dump());
    if (r.status != 202) return fail(error_text(r));
    // Wait for the worker: the newest suggestion of this fingerprint changes, or one already existed
    // and was reused (then the newest stays, and is printed).
    std::mutex mu;
    std::condition_variable cv;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    json last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto list = http_call(t, "GET", "/api/v1/suggestions?limit=1&fingerprint=" + id);
      if (list.status == 200) {
        const json& j = list.body;
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
  auto st = open_local(t, true);
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
  print_suggestion(suggestion_json(**s, false), o.json_out);
  return 0;
}

int run_review(const LlmCliOptions& o, const std::string& action, const std::string& id, const std::string& who,
               const std::string& comment, const std::string& status_filter) {
  if (action != "list") {
    if (id.empty()) return fail("review " + action + " needs a suggestion ID", 2);
    if (auto e = name_error("--who", who); !e.empty()) return fail(e, 2);
  }
  auto target = resolve_target(o.target);
  if (!target) return fail(target.error().message, target.error().code == ErrorCode::config ? 2 : 1);
  const CliTarget& t = *target;
  if (action == "list") {
    json items;
    if (!t.server.empty()) {
      std::string path = "/api/v1/suggestions?limit=100";
      if (!status_filter.empty()) path += "&status=" + status_filter;
      auto r = http_call(t, "GET", path);
      if (r.status != 200) return fail(error_text(r));
      items = r.body.value("items", json::array());
    } else {
      auto st = open_local(t, false);
      if (!st) return fail(st.error().message);
      SuggestionQuery q;
      q.limit = 100;
      q.status = status_filter;
      auto list = (*st)->suggestions->suggestions(q);
      if (!list) return fail(list.error().message);
      items = json::array();
      for (const auto& s : *list) items.push_back(suggestion_json(s, false));
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
  json result;
  if (!t.server.empty()) {
    auto r = http_call(t, "POST", "/api/v1/suggestions/" + id + "/" + action,
                       json{{"who", who}, {"comment", comment}}.dump());
    if (r.status != 200) return fail(error_text(r));
    result = r.body;
  } else {
    auto st = open_local(t, false);
    if (!st) return fail(st.error().message);
    std::int64_t sid = 0;
    try {
      sid = std::stoll(id);
    } catch (const std::exception&) {
      return fail("suggestion ID must be a number", 2);
    }
    auto s = (*st)->suggestions->review(sid, action, who, comment, (*st)->clock.now_ms());
    if (!s) return fail(s.error().message);
    result = suggestion_json(*s, false);
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
    suggest_opts.json_out = suggest_opts.json_out || st.json;
    st.exit_code = run_suggest(suggest_opts, suggest_id, preview, force);
  });

  auto* review = app.add_subcommand("review", "List and review LLM suggestions (accept, reject, apply).");
  add_common(review, review_opts);
  review->add_option("--who", who, "Reviewer name, offline only (default: $USER); a server records the token's name");
  review->add_option("--comment", comment, "Review comment");
  review->add_option("--status", status_filter, "list: only this status (proposed, accepted, rejected, applied)")
      ->check(CLI::IsMember({"proposed", "accepted", "rejected", "applied"}));
  review->require_subcommand(0, 1);
  // Options of `review` parse after its subcommand too: `review list --json`, `review accept 2 --server URL`.
  review->add_subcommand("list", "List suggestions, newest first.")->fallthrough();
  for (const auto& [action, done] : {std::pair<const char*, const char*>{"accept", "accepted"}, {"reject", "rejected"},
                                     {"apply", "applied"}}) {
    auto* sub = review->add_subcommand(action, std::string("Mark a suggestion as ") + done + ".");
    sub->fallthrough();
    sub->add_option("ID", review_id, "Suggestion id")->required();
    sub->add_option("--comment", comment, "Review comment");
    sub->add_option("--who", who, "Reviewer name, offline only (default: $USER); a server records the token's name");
  }
  review->callback([&st, review] {
    review_opts.json_out = review_opts.json_out || st.json;
    std::string action = "list";
    for (auto* sub : review->get_subcommands()) action = sub->get_name();
    st.exit_code = run_review(review_opts, action, review_id, who, comment, status_filter);
  });
}

}  // namespace selfheal::app
