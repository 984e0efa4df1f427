#pragma once
// How CLI commands reach the data: a running server's API (preferred), or the database file when no
// server answers. Shared by every command that reads or changes data (query, healer, LLM, dead letters),
// so all find the server, the token and the CA the same way (issue 19):
//   server: --server URL  >  $SELFHEAL_SERVER  >  the config's listen address (if /healthz answers)
//   token:  --token-file PATH  >  $SELFHEAL_TOKEN  >  the variable named by the config's api.token_env
//   CA:     $SELFHEAL_CA_FILE (an https:// server's certificate is verified, never skipped)
// A read never creates a database: with no server and no database file, the command fails and says
// what it tried.
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

#include "app/config.hpp"
#include "app/hooks.hpp"
#include "schema/result.hpp"
#include "schema/stores.hpp"

namespace selfheal::app {

struct CliTarget {
  Config config;
  std::string server;  // base URL of a running server, "" when offline
  std::string token;   // API token (see above); "" when none is set
  std::string ca_file; // $SELFHEAL_CA_FILE: CA bundle to verify an https:// server (else the system's)
  std::string tried;   // the server address tried and not answering ("" when none was tried)
};

/// The token a CLI sends: the file `token_file` (trimmed) if given, else $SELFHEAL_TOKEN, else the
/// variable named by `api.token_env`. "" when none is set.
std::string cli_token(const Config& cfg, const std::string& token_file = {});

/// Loads the config (st.config_file, st.data_dir) and finds a running server: st.server if given
/// (an error if it does not answer), else the configured listen address if /healthz answers
/// (https:// when server.tls is configured). The API tokens' variables need not be set for the CLI.
Result<CliTarget> resolve_target(const CliState& st);

/// The stores of an offline target (app/storage.hpp). SQLite: opened only if the file exists, a read
/// never creates one; the error names the server tried and the file looked for, and how to point the
/// CLI elsewhere. PostgreSQL: the configured server (storage.dsn_env).
Result<std::unique_ptr<Stores>> open_existing_stores(const CliTarget& t);

/// What a command read: "server URL", "database PATH" or "postgres database (storage.dsn_env VAR)".
std::string source_of(const CliTarget& t);

struct ApiReply {
  int status = 0;       // 0 when unreachable
  nlohmann::json body;  // parsed JSON, or {"error": raw text}
  std::string raw;      // the body as received
  /// A message for a person: the server's "error", "cannot reach URL: why", and for a 401 the
  /// variable to set.
  std::string error_text() const;
};
/// GET/POST against the server.
ApiReply api_get(const CliTarget& t, const std::string& path);
ApiReply api_post(const CliTarget& t, const std::string& path, const nlohmann::json& body);
ApiReply api_post_raw(const CliTarget& t, const std::string& path, const std::string& body);

/// Adds --config, --data-dir, --server, --token-file and (with_json) --json to a subcommand.
void add_target_options(CLI::App* sub, CliState& st, bool with_json = true);

bool stdout_is_tty();
int terminal_width();

}  // namespace selfheal::app
