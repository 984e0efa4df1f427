#include "app/cli_client.hpp"

#include <httplib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "app/storage.hpp"
#include "schema/clock.hpp"

namespace selfheal::app {

bool stdout_is_tty() { return isatty(STDOUT_FILENO) != 0; }

int terminal_width() {
  winsize w{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 20) return w.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    int n = std::atoi(c);
    if (n > 20) return n;
  }
  return stdout_is_tty() ? 80 : 120;
}

void add_target_options(CLI::App* sub, CliState& st, bool with_json) {
  sub->add_option("-c,--config", st.config_file, "YAML config file")->envname("SELFHEAL_CONFIG");
  sub->add_option("-d,--data-dir", st.data_dir, "Data directory (offline mode reads its database)");
  sub->add_option("-s,--server", st.server,
                  "Base URL of a running server (else $SELFHEAL_SERVER, else the config's listen address)")
      ->envname("SELFHEAL_SERVER");
  sub->add_option("--token-file", st.token_file, "File holding the API token (else $SELFHEAL_TOKEN)");
  if (with_json) sub->add_flag("--json", st.json, "Print JSON");
}

std::string cli_token(const Config& cfg, const std::string& token_file) {
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    std::string tok;
    std::getline(in, tok);
    while (!tok.empty() && (tok.back() == '\r' || tok.back() == ' ')) tok.pop_back();
    return tok;
  }
  if (const char* v = std::getenv("SELFHEAL_TOKEN"); v && *v) return v;
  if (!cfg.api.token_env.empty())
    if (const char* v = std::getenv(cfg.api.token_env.c_str())) return v;
  return {};
}

namespace {
/// A client for the target's base URL: https verifies the server's certificate (SELFHEAL_CA_FILE or
/// the system's CAs), never falls back to plaintext.
std::unique_ptr<httplib::Client> client_for(const std::string& base, const std::string& ca_file) {
  auto c = std::make_unique<httplib::Client>(base);
  c->enable_server_certificate_verification(true);
  if (!ca_file.empty()) c->set_ca_cert_path(ca_file.c_str());
  return c;
}

bool answers(const std::string& base, const std::string& ca_file) {
  auto c = client_for(base, ca_file);
  c->set_connection_timeout(1);
  c->set_read_timeout(3);
  auto r = c->Get("/healthz");
  return r && r->status == 200;
}
}  // namespace

Result<CliTarget> resolve_target(const CliState& st) {
  CliOverrides o;
  if (!st.data_dir.empty()) o.data_dir = st.data_dir;
  o.tokens_need_env = false;
  auto cfg = load_config(st.config_file, o);
  if (!cfg) return cfg.error();
  if (!st.token_file.empty() && !std::filesystem::is_regular_file(st.token_file))
    return Error{ErrorCode::config, "--token-file: no such file " + st.token_file};
  CliTarget t{std::move(*cfg), "", "", "", ""};
  t.token = cli_token(t.config, st.token_file);
  if (const char* v = std::getenv("SELFHEAL_CA_FILE")) t.ca_file = v;
  if (!st.server.empty()) {
    if (!answers(st.server, t.ca_file)) return Error{ErrorCode::unavailable, "no selfheal server answers at " + st.server};
    t.server = st.server;
    return t;
  }
  if (st.data_dir.empty() && t.config.server.port != 0) {
    std::string host = t.config.server.host == "0.0.0.0" ? "127.0.0.1" : t.config.server.host;
    std::string base = std::string(t.config.server.tls.enabled() ? "https://" : "http://") + host + ":" +
                       std::to_string(t.config.server.port);
    if (answers(base, t.ca_file)) t.server = base;
    else t.tried = base;
  }
  return t;
}

Result<std::unique_ptr<Stores>> open_existing_stores(const CliTarget& t) {
  static const SystemClock clock;
  if (t.config.storage.type == "postgres") return open_stores(t.config, clock);
  const std::string path = t.config.storage.db_path();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::string msg = (t.tried.empty() ? std::string() : "no selfheal server answers at " + t.tried + ", and ") +
                      "no database at " + path +
                      "; start `selfheal serve`, or point at one with --server URL (or $SELFHEAL_SERVER), "
                      "--config FILE or --data-dir DIR";
    return Error{ErrorCode::unavailable, msg};
  }
  return open_stores(t.config, clock);
}

std::string source_of(const CliTarget& t) {
  if (!t.server.empty()) return "server " + t.server;
  if (t.config.storage.type == "postgres") return "postgres database (storage.dsn_env " + t.config.storage.dsn_env + ")";
  return "database " + t.config.storage.db_path();
}

std::string ApiReply::error_text() const {
  if (status == 401)
    return "the server refused the request (401): set SELFHEAL_TOKEN (or --token-file) to an API token it accepts";
  if (status == 403) return "the server refused the request (403): the API token's role may not do this";
  if (body.is_object() && body.contains("error") && body["error"].is_string()) return body["error"].get<std::string>();
  return "HTTP " + std::to_string(status) + " " + raw;
}

namespace {
ApiReply convert(const std::string& base, const httplib::Result& r) {
  ApiReply out;
  if (!r) {
    out.body = {{"error", "cannot reach " + base + ": " + httplib::to_string(r.error())}};
    return out;
  }
  out.status = r->status;
  out.raw = r->body;
  out.body = nlohmann::json::parse(r->body, nullptr, false);
  if (out.body.is_discarded()) out.body = {{"error", r->body}};
  return out;
}
// The server records the token's name as the actor; the CLI sends no name of its own.
httplib::Headers headers_for(const CliTarget& t) {
  httplib::Headers h;
  if (!t.token.empty()) h.emplace("Authorization", "Bearer " + t.token);
  return h;
}
std::unique_ptr<httplib::Client> api_client(const CliTarget& t) {
  auto c = client_for(t.server, t.ca_file);
  c->set_connection_timeout(3);
  c->set_read_timeout(60);
  return c;
}
}  // namespace

ApiReply api_get(const CliTarget& t, const std::string& path) {
  return convert(t.server, api_client(t)->Get(path, headers_for(t)));
}

ApiReply api_post_raw(const CliTarget& t, const std::string& path, const std::string& body) {
  return convert(t.server, api_client(t)->Post(path, headers_for(t), body, "application/json"));
}

ApiReply api_post(const CliTarget& t, const std::string& path, const nlohmann::json& body) {
  return api_post_raw(t, path, body.dump());
}

}  // namespace selfheal::app
