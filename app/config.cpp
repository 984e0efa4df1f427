#include "app/config.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "app/config_section.hpp"
#include "app/config_sections.hpp"
#include "app/config_table.hpp"
#include "schema/model.hpp"

extern char** environ;

namespace selfheal::app {
namespace {

// Variables selfheal reads that are not config keys (CLI clients, the config file's name).
constexpr std::string_view process_variables[] = {"SELFHEAL_CONFIG", "SELFHEAL_TOKEN", "SELFHEAL_CA_FILE",
                                                  "SELFHEAL_SERVER", "SELFHEAL_USER"};

void set_path(YAML::Node node, const std::vector<std::string>& parts, std::size_t i, const std::string& value) {
  if (i + 1 == parts.size()) {
    node[parts[i]] = value;
    return;
  }
  if (!node[parts[i]] || !node[parts[i]].IsMap()) node[parts[i]] = YAML::Node(YAML::NodeType::Map);
  set_path(node[parts[i]], parts, i + 1, value);
}

void collect_scalars(const YAML::Node& n, std::set<std::string>& out) {
  if (n.IsScalar()) {
    out.insert(n.Scalar());
  } else if (n.IsSequence() || n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) collect_scalars(n.IsMap() ? it->second : *it, out);
  }
}

// SELFHEAL_<PATH>=value sets any scalar key outside lists (the key table names them: `config keys`),
// e.g. SELFHEAL_HEALER_DRY_RUN=true; a few short aliases too. Any other SELFHEAL_* variable that the
// config does not name (as a *_env secret) is reported in `warnings`.
void apply_env(YAML::Node& root, Diagnostics& diag, std::vector<std::string>& warnings) {
  static const std::map<std::string, std::string> names = [] {
    std::map<std::string, std::string> m = {{"SELFHEAL_LISTEN", "server.listen"},
                                            {"SELFHEAL_DATA_DIR", "storage.data_dir"},
                                            {"SELFHEAL_LOG_LEVEL", "log.level"}};
    for (const auto& k : config_keys())
      if (auto env = env_name(k); !env.empty()) m.emplace(env, k.path);
    return m;
  }();
  std::set<std::string> referenced;
  collect_scalars(root, referenced);
  for (char** e = environ; e && *e; ++e) {
    const std::string_view kv = *e;
    if (!kv.starts_with("SELFHEAL_")) continue;
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string name(kv.substr(0, eq));
    const std::string value(kv.substr(eq + 1));
    auto it = names.find(name);
    if (it == names.end()) {
      bool known = referenced.count(name) > 0;
      for (auto p : process_variables) known = known || p == name;
      if (!known)
        warnings.push_back("environment variable " + name +
                           " is not a config key nor named by the config; ignored (`selfheal config keys` lists "
                           "the SELFHEAL_* names)");
      continue;
    }
    if (value.empty()) continue;
    std::vector<std::string> parts;
    for (std::string_view rest = it->second; !rest.empty();) {
      auto dot = rest.find('.');
      parts.emplace_back(rest.substr(0, dot));
      rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    }
    set_path(root, parts, 0, value);
    diag.origin[it->second] = name + " (environment)";
  }
}

// A key written twice in one mapping is an error (YAML parsers keep one of them silently).
void check_duplicates(const YAML::Node& n, const std::string& file, Diagnostics& diag) {
  if (n.IsMap()) {
    std::map<std::string, YAML::Mark> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const auto m = it->first.Mark();
      if (it->first.IsScalar()) {
        auto [first, inserted] = seen.emplace(it->first.Scalar(), m);
        if (!inserted)
          diag.add(file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": duplicate key '" +
                   it->first.Scalar() + "' (first at line " + std::to_string(first->second.line + 1) + ")");
      }
      check_duplicates(it->second, file, diag);
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n) check_duplicates(item, file, diag);
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
  server.allow_only();
  server.get_listen("listen", c.server.host, c.server.port);
  server.get("threads", c.server.threads);
  server.get("max_body_bytes", c.server.max_body_bytes);
  server.get("read_timeout_ms", c.server.read_timeout_ms);
  if (server.has("tls")) {
    auto tls = server.child("tls");
    tls.allow_only();
    tls.get("cert_file", c.server.tls.cert_file);
    tls.get("key_file", c.server.tls.key_file);
    tls.get("min_version", c.server.tls.min_version);
    if (c.server.tls.cert_file.empty() != c.server.tls.key_file.empty())
      tls.error(c.server.tls.cert_file.empty() ? "cert_file" : "key_file", "TLS needs both cert_file and key_file");
    for (const auto& [key, path] : {std::pair<const char*, std::string>{"cert_file", c.server.tls.cert_file},
                                    {"key_file", c.server.tls.key_file}})
      if (!path.empty() && !std::ifstream(path)) tls.error(key, "cannot read " + path);
  }

  auto storage = root.child("storage");
  storage.allow_only();
  storage.get("data_dir", c.storage.data_dir);
  storage.get("flush_interval_ms", c.storage.flush_interval_ms);
  storage.get("queue_max_events", c.storage.queue_max_events);
  storage.get("regression_grace_ms", c.storage.regression_grace_ms);
  storage.get("retention_days", c.storage.retention_days);
  storage.get("synchronous_full", c.storage.synchronous_full);
  storage.get("type", c.storage.type);
  storage.get("dsn_env", c.storage.dsn_env);
  storage.get("pool", c.storage.pool);
  if (c.storage.type == "postgres" && c.storage.dsn_env.empty())
    storage.error("dsn_env", "type postgres needs dsn_env: the environment variable holding the connection string");
  if (c.storage.data_dir.empty()) storage.error("data_dir", "must not be empty");

  auto api = root.child("api");
  if (api.has("token"))
    api.error("token", "secrets are never written inline; put the token in an environment variable and name it "
                       "with token_env (e.g. tokens: [{name: alice, role: operator, token_env: SELFHEAL_TOKEN_ALICE}])");
  api.allow_only({"token"});
  api.get("token_env", c.api.token_env);
  if (!c.api.token_env.empty()) c.api.tokens.push_back({"default", Role::admin, c.api.token_env});
  static const std::regex token_name(R"([A-Za-z0-9][A-Za-z0-9_.@-]{0,63})");
  for (auto& t : api.list("tokens")) {
    t.allow_only();
    ApiTokenConfig tc;
    std::string role = "viewer";
    t.get("name", tc.name);
    t.get("role", role);
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
  pipeline.allow_only();
  pipeline.get("min_severity", c.pipeline.min_severity);
  pipeline.get("keep_stack_traces", c.pipeline.keep_stack_traces);
  pipeline.get("max_new_fingerprints_per_service_per_hour", c.pipeline.max_new_fingerprints_per_service_per_hour);

  auto fp = root.child("fingerprint");
  fp.allow_only();
  fp.get("learn_interval_ms", c.fingerprint.learn_interval_ms);
  fp.get("learn_min_distinct", c.fingerprint.learn_min_distinct);
  fp.get("stitch_max_lines", c.fingerprint.stitch_max_lines);
  fp.get("stitch_max_wait_ms", c.fingerprint.stitch_max_wait_ms);
  fp.get("max_event_bytes", c.fingerprint.max_event_bytes);
  for (auto& m : fp.list("user_masks")) {
    m.allow_only();
    std::string name, regex;
    m.get("name", name);
    m.get("regex", regex);
    if (name.empty() || regex.empty()) m.error("", "a user mask needs name and regex");
    std::regex_constants::syntax_option_type flags{};
    (void)flags;
    c.fingerprint.user_masks.emplace_back(name, regex);
  }
  for (auto& r : fp.list("rules")) {
    r.allow_only();
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
  stats.allow_only();
  stats.get("new_window_ms", c.stats.new_window_ms);
  stats.get("regression_window_ms", c.stats.regression_window_ms);
  stats.get("escalation_window_min", c.stats.escalation_window_min);
  stats.get("escalation_baseline_min", c.stats.escalation_baseline_min);
  stats.get("escalation_factor", c.stats.escalation_factor);
  stats.get("escalation_min_events", c.stats.escalation_min_events);
  stats.get("forecast_threshold_per_min", c.stats.forecast_threshold_per_min);
  stats.get("minute_rollup_after_ms", c.stats.minute_rollup_after_ms);
  stats.get("prune_interval_ms", c.stats.prune_interval_ms);
  if (c.stats.escalation_baseline_min <= c.stats.escalation_window_min)
    stats.error("escalation_baseline_min", "must be longer than escalation_window_min");

  auto log = root.child("log");
  log.allow_only();
  log.get("level", c.log.level);
  log.get("format", c.log.format);
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
  Diagnostics diag;
  check_duplicates(root, display, diag);
  if (!diag.ok()) return Error{ErrorCode::config, diag.joined()};
  apply_env(root, diag, c.warnings);
  if (flags.listen) root["server"]["listen"] = *flags.listen;
  if (flags.data_dir) root["storage"]["data_dir"] = *flags.data_dir;
  if (flags.log_level) root["log"]["level"] = *flags.log_level;

  ConfigSection top(root, display, "", diag);
  top.allow_only();
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
