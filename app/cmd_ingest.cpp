// CLI subcommands of the ingest module. Owned with ingest/.
//
//   selfheal dead-letters list   [--source S] [--after ID] [--limit N] [--json]
//   selfheal dead-letters replay (--id N | --all) [--force]
//
// Both work on a running server (found as for every command, app/cli_client.hpp), or on the existing
// database file of the config when none answers (`selfheal serve` need not run) (GET /api/v1/dead-letters, POST /api/v1/dead-letters/{id}/replay).
// Replay re-decodes the stored Loki push payload, ingests it through a Pipeline and marks it replayed.
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_client.hpp"
#include "app/fingerprinting.hpp"
#include "app/hooks.hpp"
#include "app/human_output.hpp"
#include "app/ingest_components.hpp"
#include "app/pipeline.hpp"
#include "app/storage.hpp"
#include "app/store_admin.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {

struct DeadLetterArgs {
  CliState target;  // server, token and CA as for every command (app/cli_client.hpp)
  std::string source;
  std::int64_t after = 0;
  std::int64_t limit = 50;
  std::int64_t id = 0;
  bool all = false;
  bool force = false;
  bool json = false;
};

void add_common(CLI::App* cmd, DeadLetterArgs& a) { add_target_options(cmd, a.target, false); }

/// Everything an offline command needs: config, store and a running pipeline on the DB file.
struct Offline {
  Config cfg;
  SystemClock clock;
  Metrics metrics;
  std::unique_ptr<Stores> stores;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<AppContext> ctx;
  ~Offline() {
    if (pipeline) pipeline->stop();
  }
};

Result<std::unique_ptr<Offline>> open_offline(const CliTarget& t, bool with_pipeline) {
  auto o = std::make_unique<Offline>();
  o->cfg = t.config;
  auto stores = open_existing_stores(t);  // never creates a database
  if (!stores) return stores.error();
  o->stores = std::move(*stores);
  auto fp = std::make_shared<Fingerprinting>(o->cfg.fingerprint);
  load_merges(o->stores->lifecycle(), *fp);
  o->pipeline = std::make_unique<Pipeline>(o->cfg, o->stores->store(), o->clock, o->metrics, fp);
  if (with_pipeline) o->pipeline->start();
  o->ctx = std::unique_ptr<AppContext>(new AppContext{o->cfg, o->clock, o->metrics, *o->stores, o->stores->store(), *o->pipeline, {}, {}});
  return o;
}


void print_rows(const nlohmann::json& raw, bool as_json) {
  if (as_json) {
    std::cout << raw.dump(2) << "\n";
    return;
  }
  const nlohmann::json items = terminal_safe_json(raw);
  for (const auto& d : items) {
    std::cout << d["id"].get<std::int64_t>() << "\t" << d["ts"].get<std::string>() << "\t" << d["source"].get<std::string>()
              << "\t" << d["size"].get<std::uint64_t>() << "B\t" << (d["replayed"].get<bool>() ? "replayed" : "pending")
              << "\t" << d["reason"].get<std::string>() << "\n";
  }
}

int list_offline(const DeadLetterArgs& a, const CliTarget& t) {
  auto o = open_offline(t, false);
  if (!o) {
    std::cerr << "selfheal: " << terminal_safe(o.error().message, Newlines::keep) << "\n";
    return o.error().code == ErrorCode::config ? 2 : 1;
  }
  DeadLetterQuery q{a.after, static_cast<std::size_t>(a.limit), a.source};
  auto rows = (*o)->stores->store().dead_letters(q);
  if (!rows) {
    std::cerr << "selfheal: " << terminal_safe(rows.error().message, Newlines::keep) << "\n";
    return 1;
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : *rows)
    items.push_back({{"id", d.id}, {"ts", format_rfc3339(d.ts)}, {"source", d.source}, {"reason", d.reason},
                     {"content_type", d.content_type}, {"size", d.size}, {"replayed", d.replayed}});
  print_rows(items, a.json);
  return 0;
}

int list_remote(const DeadLetterArgs& a, const CliTarget& t) {
  std::string path = "/api/v1/dead-letters?limit=" + std::to_string(a.limit) + "&after=" + std::to_string(a.after);
  if (!a.source.empty()) path += "&source=" + httplib::detail::encode_query_param(a.source);
  auto r = api_get(t, path);
  if (r.status != 200) {
    std::cerr << "selfheal: " << terminal_safe(r.error_text()) << "\n";
    return 1;
  }
  const auto& body = r.body;
  if (!body.is_object() || !body.contains("items")) {
    std::cerr << "selfheal: unexpected answer from the server\n";
    return 1;
  }
  print_rows(body["items"], a.json);
  return 0;
}

int replay_offline(const DeadLetterArgs& a, const CliTarget& t) {
  auto o = open_offline(t, true);
  if (!o) {
    std::cerr << "selfheal: " << terminal_safe(o.error().message, Newlines::keep) << "\n";
    return o.error().code == ErrorCode::config ? 2 : 1;
  }
  ingest::LokiPushHandler handler(loki_push_options((*o)->cfg), (*o)->clock);
  int failures = 0, replayed = 0;
  std::int64_t after = a.all ? 0 : a.id - 1;
  for (;;) {
    auto rows = (*o)->stores->store().dead_letters(DeadLetterQuery{after, a.all ? 200u : 1u, a.source});
    if (!rows) {
      std::cerr << "selfheal: " << terminal_safe(rows.error().message, Newlines::keep) << "\n";
      return 1;
    }
    if (!a.all && (rows->empty() || rows->front().id != a.id)) {
      std::cerr << "selfheal: no dead letter " << a.id << "\n";
      return 1;
    }
    for (const auto& d : *rows) {
      after = d.id;
      if (a.all && d.replayed && !a.force) continue;
      auto r = replay_dead_letter_now(*(*o)->ctx, handler, d, a.force);
      if (r) {
        ++replayed;
        std::cout << "replayed " << d.id << ": " << r->entries << " entries, " << r->events << " events\n";
      } else {
        ++failures;
        std::cerr << "not replayed " << d.id << ": " << terminal_safe(r.error().message) << "\n";
      }
    }
    if (!a.all || rows->empty()) break;
  }
  (*o)->pipeline->stop();
  std::cout << replayed << " replayed, " << failures << " failed\n";
  return failures ? 1 : 0;
}

int replay_remote(const DeadLetterArgs& a, const CliTarget& t) {
  std::vector<std::int64_t> ids;
  if (a.all) {
    std::int64_t after = 0;
    for (;;) {
      auto r = api_get(t, "/api/v1/dead-letters?limit=1000&after=" + std::to_string(after));
      if (r.status != 200) {
        std::cerr << "selfheal: cannot list dead letters: " << terminal_safe(r.error_text()) << "\n";
        return 1;
      }
      const auto& body = r.body;
      if (!body.is_object() || !body.contains("items")) return 1;
      for (const auto& d : body["items"]) {
        after = d["id"].get<std::int64_t>();
        if ((!d["replayed"].get<bool>() || a.force) && (a.source.empty() || d["source"] == a.source)) ids.push_back(after);
      }
      if (body["next"].is_null()) break;
    }
  } else {
    ids.push_back(a.id);
  }
  int failures = 0;
  for (auto id : ids) {
    std::string path = "/api/v1/dead-letters/" + std::to_string(id) + "/replay" + (a.force ? "?force=1" : "");
    auto r = api_post_raw(t, path, "");
    if (r.status == 200) {
      std::cout << "replayed " << id << ": " << terminal_safe(r.raw) << "\n";
    } else {
      ++failures;
      std::cerr << "not replayed " << id << ": " << terminal_safe(r.error_text()) << "\n";
    }
  }
  std::cout << ids.size() - static_cast<std::size_t>(failures) << " replayed, " << failures << " failed\n";
  return failures ? 1 : 0;
}

/// Finds the server (or the database file) as every command does, then runs the matching half.
int run_on_target(const DeadLetterArgs& a, int (*offline)(const DeadLetterArgs&, const CliTarget&),
                  int (*remote)(const DeadLetterArgs&, const CliTarget&)) {
  auto t = resolve_target(a.target);
  if (!t) {
    std::cerr << "selfheal: " << terminal_safe(t.error().message, Newlines::keep) << "\n";
    return t.error().code == ErrorCode::config ? 2 : 1;
  }
  return t->server.empty() ? offline(a, *t) : remote(a, *t);
}

}  // namespace

void register_ingest_commands(CLI::App& app, CliState& st) {
  auto args = std::make_shared<DeadLetterArgs>();
  auto* dl = app.add_subcommand("dead-letters", "List and replay input that could not be decoded.");
  dl->require_subcommand(1);

  auto* list = dl->add_subcommand("list", "List dead letters (oldest first).");
  add_common(list, *args);
  list->add_option("--source", args->source, "Only this source instance");
  list->add_option("--after", args->after, "Start after this id (cursor)");
  list->add_option("--limit", args->limit, "At most this many")->check(CLI::Range(1, 1000));
  list->add_flag("--json", args->json, "Print JSON");
  list->callback([args, &st] { st.exit_code = run_on_target(*args, list_offline, list_remote); });

  auto* replay = dl->add_subcommand("replay", "Decode stored Loki push payloads again and ingest them.");
  add_common(replay, *args);
  auto* id = replay->add_option("--id", args->id, "The dead letter to replay")->check(CLI::PositiveNumber);
  auto* all = replay->add_flag("--all", args->all, "Every dead letter not replayed yet");
  id->excludes(all);
  replay->add_option("--source", args->source, "With --all: only this source instance");
  replay->add_flag("--force", args->force, "Replay even if already replayed");
  replay->callback([args, &st] {
    if (!args->all && args->id == 0) {
      std::cerr << "selfheal: dead-letters replay needs --id N or --all\n";
      st.exit_code = 2;
      return;
    }
    st.exit_code = run_on_target(*args, replay_offline, replay_remote);
  });
}

}  // namespace selfheal::app
