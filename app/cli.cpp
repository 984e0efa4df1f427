#include "app/cli.hpp"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/config.hpp"
#include "app/hooks.hpp"
#include "app/service.hpp"
#include "app/version.hpp"
#include "fingerprint/fingerprint.hpp"
#include "schema/log.hpp"
#include "schema/sqlite_db.hpp"
#include "schema/text.hpp"

namespace selfheal::app {

int run_cli(int argc, char** argv) {
  log::escape_default_logger();  // every command: log text in a log line is shown escaped
  CLI::App app{"selfheal: turns a firehose of logs into a short, ranked list of distinct errors, and helps fix them."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(version_string));
  CliState st;
  int exit_code = 0;

  // serve
  CliOverrides serve_flags;
  std::string listen, data_dir, log_level;
  auto* serve = app.add_subcommand("serve", "Run the server: HTTP API, Loki push, configured sources, healer, LLM.");
  serve->add_option("-c,--config", st.config_file, "YAML config file (default: built-in defaults)")
      ->envname("SELFHEAL_CONFIG");
  serve->add_option("-l,--listen", listen, "HOST:PORT to listen on (port 0 picks a free port)");
  serve->add_option("-d,--data-dir", data_dir, "Directory holding the SQLite database");
  serve->add_option("--log-level", log_level, "trace, debug, info, warn, error");
  serve->callback([&] {
    if (!listen.empty()) serve_flags.listen = listen;
    if (!data_dir.empty()) serve_flags.data_dir = data_dir;
    if (!log_level.empty()) serve_flags.log_level = log_level;
    auto cfg = load_config(st.config_file, serve_flags);
    if (!cfg) {
      std::cerr << "selfheal: config error:\n" << cfg.error().message << "\n";
      exit_code = 2;
      return;
    }
    log::setup(cfg->log.level, cfg->log.format);
    for (const auto& w : cfg->warnings) spdlog::warn("Config: {}", w);
    exit_code = run_serve(*cfg);
  });

  auto* version = app.add_subcommand("version", "Print version, fingerprint algorithm and schema versions.");
  version->callback([&] {
    std::cout << "selfheal " << version_string << "\nfingerprint algorithm " << fingerprint::algorithm_version
              << "\nstore schema " << SqliteDb::latest_schema_version() << "\n";
  });

  register_fingerprint_command(app, exit_code);
  register_config_commands(app, st);
  register_query_commands(app, st);
  register_ingest_commands(app, st);
  register_healer_commands(app, st);
  register_llm_commands(app, st);

  // An unknown first word is an unknown subcommand, not "a subcommand is required" (issue 19).
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
      known = known || sub->check_name(argv[1]);
    if (!known) {
      std::cerr << "selfheal: unknown subcommand '" << escape_control(argv[1])
                << "'; run `selfheal --help` for the list\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return exit_code != 0 ? exit_code : st.exit_code;
}

}  // namespace selfheal::app
