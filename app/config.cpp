#include "app/config.hpp"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "app/config_section.hpp"
#include "app/config_sections.hpp"
#include "schema/model.hpp"

extern char** environ;

namespace selfheal::app {
namespace {

const std::vector<std::string> top_level_keys = {"server", "storage", "api", "pipeline", "fingerprint", "stats",
                                                 "log", "ingest", "healer", "llm"};

// SELFHEAL_<SECTION>_<KEY>=value overrides scalar keys of these sections; a few short aliases too.
void apply_env(YAML::Node& root) {
  static const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> aliases = {
      {"SELFHEAL_LISTEN", {"server", "listen"}},
      {"SELFHEAL_DATA_DIR", {"storage", "data_dir"}},
      {"SELFHEAL_LOG_LEVEL", {"log", "level"}},
  };
  for (const auto& [env, target] : aliases) {
    if (const char* v = std::getenv(env.c_str()); v && *v) root[target.first][target.second] = std::string(v);
  }
  static const std::vector<std::string> flat = {"server", "storage", "api", "pipeline", "log", "fingerprint", "stats"};
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    if (kv.rfind("SELFHEAL_", 0) != 0) continue;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string name = kv.substr(9, eq - 9);
    for (const auto& section : flat) {
      std::string upper;
      for (char c : section) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (name.rfind(upper + "_", 0) != 0) continue;
      std::string key = name.substr(upper.size() + 1);
      for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!key.empty()) root[section][key] = kv.substr(eq + 1);
    }
  }
}

std::string mask_secrets(const std::string& yaml) {
  // Every `*_env: NAME` line gets a comment saying whether the variable is set; values never shown.
  std::istringstream in(yaml);
  std::ostringstream out;
  static const std::regex env_line(R"(^(\s*-?\s*[A-Za-z0-9_]+_env:\s*)([A-Za-z_][A-Za-z0-9_]*)\s*$)");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, env_line)) {
      const char* v = std::getenv(m[2].str().c_str());
      out << line << "  # " << m[2].str() << "=" << (v && *v ? "*** (set)" : "(unset)") << "\n";
    } else {
      out << line << "\n";
    }
  }
  return out.str();
}

void parse_core(ConfigSection& root, Config& c, const CliOverrides& flags) {
  auto server = root.child("server");
  server.allow_only({"listen", "threads", "max_body_bytes", "read_timeout_ms", "tls"});
  server.get_listen("listen", c.server.host, c.server.port);
  server.get("threads", c.server.threads, 1, 4096);
  server.get("max_body_bytes", c.server.max_body_bytes, 1024, 1LL << 31);
  server.get("read_timeout_ms", c.server.read_timeout_ms, 100, 600'000);
  if (server.has("tls")) {
    auto tls = server.child("tls");
    tls.allow_only({"cert_file", "key_file", "min_version"});
    tls.get("cert_file", c.server.tls.cert_file);
    tls.get("key_file", c.server.tls.key_file);
    tls.get_enum("min_version", c.server.tls.min_version, {"1.2", "1.3"});
    if (c.server.tls.cert_file.empty() != c.server.tls.key_file.empty())
      tls.error(c.server.tls.cert_file.empty() ? "cert_file" : "key_file", "TLS needs both cert_file and key_file");
    for (const auto& [key, path] : {std::pair<const char*, std::string>{"cert_file", c.server.tls.cert_file},
                                    {"key_file", c.server.tls.key_file}})
      if (!path.empty() && !std::ifstream(path)) tls.error(key, "cannot read " + path);
  }

  auto storage = root.child("storage");
  storage.allow_only({"data_dir", "flush_interval_ms", "queue_max_events", "regression_grace_ms", "retention_days",
                      "synchronous_full", "type", "dsn_env", "pool"});
  storage.get("data_dir", c.storage.data_dir);
  storage.get("flush_interval_ms", c.storage.flush_interval_ms, 1, 250);
  storage.get("queue_max_events", c.storage.queue_max_events, 100, 100'000'000);
  storage.get("regression_grace_ms", c.storage.regression_grace_ms, 0, 86'400'000);
  storage.get("retention_days", c.storage.retention_days, 1, 3650);
  storage.get("synchronous_full", c.storage.synchronous_full);
  storage.get_enum("type", c.storage.type, {"sqlite", "postgres"});
  storage.get("dsn_env", c.storage.dsn_env);
  storage.get("pool", c.storage.pool, 1, 64);
  if (c.storage.type == "postgres" && c.storage.dsn_env.empty())
    storage.error("dsn_env", "type postgres needs dsn_env: the environment variable holding the connection string");
  if (c.storage.data_dir.empty()) storage.error("data_dir", "must not be empty");

  auto api = root.child("api");
  if (api.has("token"))
    api.error("token", "secrets are never written inline; put the token in an environment variable and name it "
                       "with token_env (e.g. tokens: [{name: alice, role: operator, token_env: SELFHEAL_TOKEN_ALICE}])");
  api.allow_only({"tokens", "token_env", "open_endpoints", "token"});
  api.get("token_env", c.api.token_env);
  if (!c.api.token_env.empty()) c.api.tokens.push_back({"default", Role::admin, c.api.token_env});
  static const std::regex token_name(R"([A-Za-z0-9][A-Za-z0-9_.@-]{0,63})");
  for (auto& t : api.list("tokens")) {
    t.allow_only({"name", "role", "token_env"});
    ApiTokenConfig tc;
    std::string role = "viewer";
    t.get("name", tc.name);
    t.get_enum("role", role, {"viewer", "operator", "ingest", "admin"});
    t.get("token_env", tc.token_env);
    tc.role = parse_role(role).value_or(Role::viewer);
    if (!std::regex_match(tc.name, token_name))
      t.error("name", "a token needs a name: 1-64 of A-Z a-z 0-9 _ . @ - (it is recorded as the actor)");
    if (tc.token_env.empty()) t.error("token_env", "names the environment variable holding this token's secret");
    for (const auto& other : c.api.tokens)
      if (other.name == tc.name)
        t.error("name", "token name '" + tc.name + "' is used twice" +
                            (tc.name == "default" ? " (api.token_env is the token named default)" : ""));
    c.api.tokens.push_back(std::move(tc));
  }
  api.get("open_endpoints", c.api.open_endpoints);
  for (const auto& p : c.api.open_endpoints)
    if (p != "/healthz" && p != "/readyz" && p != "/metrics")
      api.error("open_endpoints", "'" + p + "' cannot be left open; accepted: /healthz, /readyz, /metrics");
  if (flags.tokens_need_env)
    for (const auto& t : c.api.tokens) {
      const char* v = std::getenv(t.token_env.c_str());
      if (!v || !*v)
        api.error(t.name == "default" && !c.api.token_env.empty() ? "token_env" : "tokens",
                  "token '" + t.name + "' names environment variable " + t.token_env +
                      ", which is not set or empty; refusing to start with the API open");
    }

  auto pipeline = root.child("pipeline");
  pipeline.allow_only({"min_severity", "keep_stack_traces", "max_new_fingerprints_per_service_per_hour"});
  pipeline.get_enum("min_severity", c.pipeline.min_severity, {"debug", "info", "warning", "error", "critical"});
  pipeline.get("keep_stack_traces", c.pipeline.keep_stack_traces);
  pipeline.get("max_new_fingerprints_per_service_per_hour", c.pipeline.max_new_fingerprints_per_service_per_hour, 1,
               100'000'000);

  auto fp = root.child("fingerprint");
  fp.allow_only({"user_masks", "rules", "stitch_max_lines", "stitch_max_wait_ms", "max_event_bytes", "learn_interval_ms",
                 "learn_min_distinct"});
  fp.get("learn_interval_ms", c.fingerprint.learn_interval_ms, 0, 86'400'000);
  fp.get("learn_min_distinct", c.fingerprint.learn_min_distinct, 2, 1'000'000);
  fp.get("stitch_max_lines", c.fingerprint.stitch_max_lines, 1, 100'000);
  fp.get("stitch_max_wait_ms", c.fingerprint.stitch_max_wait_ms, 0, 600'000);
  fp.get("max_event_bytes", c.fingerprint.max_event_bytes, 256, 64LL << 20);
  for (auto& m : fp.list("user_masks")) {
    m.allow_only({"name", "regex"});
    std::string name, regex;
    m.get("name", name);
    m.get("regex", regex);
    if (name.empty() || regex.empty()) m.error("", "a user mask needs name and regex");
    std::regex_constants::syntax_option_type flags{};
    (void)flags;
    c.fingerprint.user_masks.emplace_back(name, regex);
  }
  for (auto& r : fp.list("rules")) {
    r.allow_only({"name", "message_regex", "exception_type", "service", "labels", "fingerprint"});
    FingerprintRule rule;
    r.get("name", rule.name);
    r.get("message_regex", rule.message_regex);
    r.get("exception_type", rule.exception_type);
    r.get("service", rule.service);
    r.get("fingerprint", rule.fingerprint);
    auto labels = r.child("labels");
    if (labels.node().IsMap())
      for (auto it = labels.node().begin(); it != labels.node().end(); ++it)
        rule.labels.emplace_back(it->first.Scalar(), it->second.IsScalar() ? it->second.Scalar() : "");
    if (rule.name.empty()) r.error("name", "a fingerprint rule needs a name");
    if (rule.message_regex.empty() && rule.exception_type.empty() && rule.service.empty() && rule.labels.empty())
      r.error("", "a fingerprint rule needs at least one of message_regex, exception_type, service, labels");
    c.fingerprint.rules.push_back(std::move(rule));
  }

  auto stats = root.child("stats");
  stats.allow_only({"new_window_ms", "regression_window_ms", "escalation_window_min", "escalation_baseline_min",
                    "escalation_factor", "escalation_min_events", "forecast_threshold_per_min",
                    "minute_rollup_after_ms", "prune_interval_ms"});
  stats.get("new_window_ms", c.stats.new_window_ms, 60'000, 30LL * 86'400'000);
  stats.get("regression_window_ms", c.stats.regression_window_ms, 60'000, 30LL * 86'400'000);
  stats.get("escalation_window_min", c.stats.escalation_window_min, 1, 120);
  stats.get("escalation_baseline_min", c.stats.escalation_baseline_min, 5, 1440);
  stats.get("escalation_factor", c.stats.escalation_factor, 1.0, 1000.0);
  stats.get("escalation_min_events", c.stats.escalation_min_events, 1, 1'000'000);
  stats.get("forecast_threshold_per_min", c.stats.forecast_threshold_per_min, 0.0, 1e9);
  stats.get("minute_rollup_after_ms", c.stats.minute_rollup_after_ms, 3'600'000, 30LL * 86'400'000);
  stats.get("prune_interval_ms", c.stats.prune_interval_ms, 1'000, 86'400'000);
  if (c.stats.escalation_baseline_min <= c.stats.escalation_window_min)
    stats.error("escalation_baseline_min", "must be longer than escalation_window_min");

  auto log = root.child("log");
  log.allow_only({"level", "format"});
  log.get_enum("level", c.log.level, {"trace", "debug", "info", "warn", "error", "critical", "off"});
  log.get_enum("format", c.log.format, {"text", "json"});
}

}  // namespace

Result<Config> load_config(const std::string& file, const CliOverrides& flags) {
  Config c;
  c.file = file;
  YAML::Node root;
  const std::string display = file.empty() ? "<defaults>" : file;
  if (!file.empty()) {
    std::ifstream probe(file);
    if (!probe) return Error{ErrorCode::config, file + ":1:1: cannot read config file"};
    try {
      root = YAML::LoadFile(file);
    } catch (const YAML::ParserException& e) {
      return Error{ErrorCode::config, file + ":" + std::to_string(e.mark.line + 1) + ":" +
                                          std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg};
    } catch (const YAML::Exception& e) {
      return Error{ErrorCode::config, file + ":1:1: cannot load config: " + e.what()};
    }
  }
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    auto m = root.Mark();
    return Error{ErrorCode::config, display + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) +
                                        ": the config must be a mapping of sections"};
  }
  apply_env(root);
  if (flags.listen) root["server"]["listen"] = *flags.listen;
  if (flags.data_dir) root["storage"]["data_dir"] = *flags.data_dir;
  if (flags.log_level) root["log"]["level"] = *flags.log_level;

  Diagnostics diag;
  ConfigSection top(root, display, "", diag);
  top.allow_only(top_level_keys);
  try {
    parse_core(top, c, flags);
    auto ingest = top.child("ingest");
    parse_ingest_section(ingest, c.ingest);
    auto healer = top.child("healer");
    parse_healer_section(healer, c.healer);
    c.healer.escalation = escalation_options(c.stats);  // one definition of "escalating" (issue 14)
    auto llm = top.child("llm");
    parse_llm_section(llm, c.llm);
  } catch (const std::exception& e) {
    diag.add(display + ": invalid config: " + e.what());
  }
  if (!diag.ok()) return Error{ErrorCode::config, diag.joined()};

  YAML::Emitter out;
  out << root;
  c.effective_yaml = mask_secrets(out.c_str());
  return c;
}

}  // namespace selfheal::app
