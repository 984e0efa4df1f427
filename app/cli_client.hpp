#pragma once
// How CLI commands reach the data: a running server's API (preferred), or the database file when no
// server answers. Shared by the query, healer and LLM commands.
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

#include "app/config.hpp"
#include "app/hooks.hpp"
#include "schema/result.hpp"

namespace selfheal::app {

struct CliTarget {
  Config config;
  std::string server;  // base URL of a running server, "" when offline
  std::string token;   // API token: $SELFHEAL_TOKEN, else the variable of the older api.token_env
  std::string ca_file; // $SELFHEAL_CA_FILE: CA bundle to verify an https:// server (else the system's)
};

/// The token a CLI sends: $SELFHEAL_TOKEN (each person's own), else the variable named by the older
/// `api.token_env` key. "" when neither is set.
std::string cli_token(const Config& cfg);

/// Loads the config (st.config_file, st.data_dir) and finds a running server: st.server if given
/// (an error if it does not answer), else the configured listen address if /healthz answers
/// (https:// when server.tls is configured). The API tokens' variables need not be set for the CLI.
Result<CliTarget> resolve_target(const CliState& st);

struct ApiReply {
  int status = 0;
  nlohmann::json body;
};
/// GET/POST against the server; status 0 when unreachable.
ApiReply api_get(const CliTarget& t, const std::string& path);
ApiReply api_post(const CliTarget& t, const std::string& path, const nlohmann::json& body);

/// Adds --config, --data-dir, --server, --json to a subcommand.
void add_target_options(CLI::App* sub, CliState& st, bool with_json = true);

bool stdout_is_tty();
int terminal_width();

}  // namespace selfheal::app
