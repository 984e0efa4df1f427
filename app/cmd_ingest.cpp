// CLI subcommands of the ingest module. Owned with ingest/.
//
//   selfheal dead-letters list   [--source S] [--after ID] [--limit N] [--json]
//   selfheal dead-letters replay (--id N | --all) [--force]
//
// Both work on the database file of the config (offline: `selfheal serve` need not run), or on a
// running server with --server URL (GET /api/v1/dead-letters, POST /api/v1/dead-letters/{id}/replay).
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
  std::string config_file;
  std::string data_dir;
  std::string server;
  std::string source;
  std::int64_t after = 0;
  std::int64_t limit = 50;
  std::int64_t id = 0;
  bool all = false;
  bool force = false;
  bool json = false;
};

void add_common(CLI::App* cmd, DeadLetterArgs& a) {
  cmd->add_option("-c,--config", a.config_file, "YAML config file (for the data dir)")->envname("SELFHEAL_CONFIG");
  cmd->add_option("-d,--data-dir", a.data_dir, "Directory holding the SQLite database");
  cmd->add_option("--server", a.server, "Base URL of a running selfheal (use its API instead of the file)");
}

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

Result<std::unique_ptr<Offline>> open_offline(const DeadLetterArgs& a, bool with_pipeline) {
  CliOverrides flags;
  if (!a.data_dir.empty()) flags.data_dir = a.data_dir;
  auto cfg = load_config(a.config_file, flags);
  if (!cfg) return cfg.error();
  auto o = std::make_unique<Offline>();
  o->cfg = std::move(*cfg);
  auto stores = open_stores(o->cfg, o->clock);
  if (!stores) return stores.error();
  o->stores = std::move(*stores);
  auto fp = std::make_shared<Fingerprinting>(o->cfg.fingerprint);
  load_merges(o->stores->lifecycle(), *fp);
  o->pipeline = std::make_unique<Pipeline>(o->cfg, o->stores->store(), o->clock, o->metrics, fp);
  if (with_pipeline) o->pipeline->start();
  o->ctx = std::unique_ptr<AppContext>(new AppContext{o->cfg, o->clock, o->metrics, *o->stores, o->stores->store(), *o->pipeline, {}, {}});
  return o;
}

/// Reads and replays need the API token once the server has any (app/cli_client.hpp cli_token).
httplib::Headers token_headers(const DeadLetterArgs& a) {
  CliOverrides flags;
  flags.tokens_need_env = false;
  auto cfg = load_config(a.config_file, flags);
  httplib::Headers h;
  if (std::string t = cfg ? cli_token(*cfg) : cli_token(Config{}); !t.empty()) h.emplace("Authorization", "Bearer " + t);
  return h;
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

int list_offline(const DeadLetterArgs& a) {
  auto o = open_offline(a, false);
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

int list_remote(const DeadLetterArgs& a) {
  httplib::Client cli(a.server);
  cli.set_read_timeout(std::chrono::seconds(30));
  std::string path = "/api/v1/dead-letters?limit=" + std::to_string(a.limit) + "&after=" + std::to_string(a.after);
  if (!a.source.empty()) path += "&source=" + httplib::detail::encode_query_param(a.source);
  auto r = cli.Get(path.c_str(), token_headers(a));
  if (!r || r->status != 200) {
    std::cerr << "selfheal: " << terminal_safe(r ? r->body : httplib::to_string(r.error())) << "\n";
    return 1;
  }
  auto body = nlohmann::json::parse(r->body, nullptr, false);
  if (body.is_discarded() || !body.contains("items")) {
    std::cerr << "selfheal: unexpected answer from the server\n";
    return 1;
  }
  print_rows(body["items"], a.json);
  return 0;
}

int replay_offline(const DeadLetterArgs& a) {
  auto o = open_offline(a, true);
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

int replay_remote(const DeadLetterArgs& a) {
  httplib::Client cli(a.server);
  cli.set_read_timeout(std::chrono::seconds(60));
  const httplib::Headers headers = token_headers(a);
  std::vector<std::int64_t> ids;
  if (a.all) {
    std::int64_t after = 0;
    for (;;) {
      auto r = cli.Get(("/api/v1/dead-letters?limit=1000&after=" + std::to_string(after)).c_str(), headers);
      if (!r || r->status != 200) {
        std::cerr << "selfheal: cannot list dead letters: " << terminal_safe(r ? r->body : httplib::to_string(r.error())) << "\n";
        return 1;
      }
      auto body = nlohmann::json::parse(r->body, nullptr, false);
      if (body.is_discarded()) return 1;
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
    auto r = cli.Post(path.c_str(), headers, "", "application/json");
    if (r && r->status == 200) {
      std::cout << "replayed " << id << ": " << terminal_safe(r->body) << "\n";
    } else {
      ++failures;
      std::cerr << "not replayed " << id << ": " << terminal_safe(r ? r->body : httplib::to_string(r.error())) << "\n";
    }
  }
  std::cout << ids.size() - static_cast<std::size_t>(failures) << " replayed, " << failures << " failed\n";
  return failures ? 1 : 0;
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
  list->callback([args, &st] { st.exit_code = args->server.empty() ? list_offline(*args) : list_remote(*args); });

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
    st.exit_code = args->server.empty() ? replay_offline(*args) : replay_remote(*args);
  });
}

}  // namespace selfheal::app
