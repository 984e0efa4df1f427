// `selfheal config check [--explain]`, `config keys`, `config example`: the config and its key table.
#include <yaml-cpp/yaml.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "app/config.hpp"
#include "app/config_section.hpp"
#include "app/config_table.hpp"
#include "app/hooks.hpp"

namespace selfheal::app {
namespace {

// The effective value at `path` (no list in it) in `root`, one line of YAML; "" when absent.
std::string value_at(const YAML::Node& root, const std::string& path) {
  YAML::Node n = node_at(root, path);
  if (!n) return {};
  if (n.IsScalar()) return n.Scalar().empty() ? "\"\"" : n.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << n;
  return out.c_str();
}

// Every key with its doc line; keys outside lists also with their effective value ("*" marks a value
// other than the default).
std::string explain(const Config& cfg) {
  YAML::Node root;
  try {
    root = YAML::Load(cfg.effective_yaml);
  } catch (const YAML::Exception&) {
    root = YAML::Node(YAML::NodeType::Map);
  }
  std::string out = "# every key: path = effective value (* differs from the default)  # doc [unit, range]\n";
  for (const auto& k : config_keys()) {
    std::string line = k.path;
    if (k.type != KeyType::section && k.type != KeyType::items && k.path.find("[]") == std::string::npos) {
      const std::string v = value_at(root, k.path);
      const bool same = v == k.dflt || (k.dflt.empty() && (v == "\"\"" || v == "[]" || v == "{}"));
      if (v.empty())  // in a section that is not written (server.tls, healer.notify.levels)
        line += " (unset, default " + (k.dflt.empty() ? std::string("\"\"") : k.dflt) + ")";
      else
        line += " = " + v + (same || k.derived ? "" : " *");
    }
    std::string extra = k.unit;
    if (auto r = describe_range(k); !r.empty()) extra += (extra.empty() ? "" : ", ") + r;
    line += "  # " + k.doc + (extra.empty() ? "" : " [" + extra + "]");
    out += line + "\n";
  }
  return out;
}

}  // namespace

void register_config_commands(CLI::App& app, CliState& st) {
  auto* config = app.add_subcommand("config", "Inspect the configuration and its keys.");
  config->require_subcommand(1);

  auto* check = config->add_subcommand(
      "check", "Validate the config and print the effective config (secrets as ***); --explain: every key's doc.");
  static CliOverrides check_flags;
  static std::string c_listen, c_data_dir;
  static bool do_explain = false;
  check->add_option("-c,--config", st.config_file, "YAML config file")->envname("SELFHEAL_CONFIG");
  check->add_option("-l,--listen", c_listen, "HOST:PORT override");
  check->add_option("-d,--data-dir", c_data_dir, "data directory override");
  check->add_flag("--explain", do_explain, "print every key with its effective value and doc line");
  check->callback([&st] {
    if (!c_listen.empty()) check_flags.listen = c_listen;
    if (!c_data_dir.empty()) check_flags.data_dir = c_data_dir;
    auto cfg = load_config(st.config_file, check_flags);
    if (!cfg) {
      std::cerr << "selfheal: config error:\n" << cfg.error().message << "\n";
      st.exit_code = 2;
      return;
    }
    for (const auto& w : cfg->warnings) std::cerr << "selfheal: warning: " << w << "\n";
    if (do_explain) {
      std::cout << explain(*cfg);
    } else {
      std::cout << "# effective configuration (" << (cfg->file.empty() ? "built-in defaults" : cfg->file)
                << " + SELFHEAL_* environment + flags)\n"
                << cfg->effective_yaml;
    }
    std::cerr << "config ok\n";
  });

  auto* keys =
      config->add_subcommand("keys", "List every config key: type, default, unit, range, SELFHEAL_* name, doc.");
  keys->callback([] { std::cout << render_config_keys(); });

  auto* example = config->add_subcommand(
      "example", "Print the example config (deploy/selfheal.example.yaml): every key with its default and doc.");
  example->callback([] { std::cout << render_config_example(); });
}

}  // namespace selfheal::app
