#pragma once
// The composition root's extension points. Each module's owner implements its hooks in its own
// app/ file, so adding routes, components or commands never touches server.cpp, service.cpp or cli.cpp.
#include <string>

#include "app/context.hpp"

namespace CLI {
class App;
}
namespace httplib {
class Server;
}

namespace selfheal::app {

/// Shared state of the CLI: common options and the process exit code (0 ok, 1 runtime, 2 usage/config).
struct CliState {
  std::string config_file;
  std::string data_dir;    // overrides storage.data_dir
  std::string server;      // base URL of a running server, e.g. http://127.0.0.1:8080 ("" = auto)
  std::string token_file;  // file holding the API token (else $SELFHEAL_TOKEN; app/cli_client.hpp)
  bool json = false;
  int exit_code = 0;
};

// HTTP routes (called once by app/server.cpp before listening).
void mount_loki_routes(httplib::Server& svr, AppContext& ctx);         // app/api_loki.cpp       (ingest)
void mount_fingerprint_routes(httplib::Server& svr, AppContext& ctx);  // app/api_fingerprints.cpp
void mount_healing_routes(httplib::Server& svr, AppContext& ctx);      // app/api_healing.cpp    (healer)
void mount_suggestion_routes(httplib::Server& svr, AppContext& ctx);   // app/api_suggestions.cpp (llm)
void mount_ui_routes(httplib::Server& svr, AppContext& ctx);           // app/api_ui.cpp         (web UI)

// Background components (called by app/service.cpp after the store and pipeline exist).
Result<void> add_ingest_components(AppContext& ctx);  // app/api_loki.cpp (Kafka: app/kafka_components.cpp)
Result<void> add_healer_components(AppContext& ctx);  // app/api_healing.cpp
Result<void> add_llm_components(AppContext& ctx);     // app/api_suggestions.cpp

// CLI subcommands (called by app/cli.cpp).
void register_fingerprint_command(CLI::App& app, int& exit_code);        // app/cmd_fingerprint.cpp
void register_config_commands(CLI::App& app, CliState& st);              // app/cmd_config.cpp (check, keys, example)
void register_query_commands(CLI::App& app, CliState& st);               // app/cmd_query.cpp (top, show, resolve...)
void register_ingest_commands(CLI::App& app, CliState& st);              // app/cmd_ingest.cpp (dead-letters replay)
void register_healer_commands(CLI::App& app, CliState& st);              // app/cmd_healer.cpp (rules, approve, reject)
void register_llm_commands(CLI::App& app, CliState& st);                 // app/cmd_llm.cpp (suggest, review)

}  // namespace selfheal::app
