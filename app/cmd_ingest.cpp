// CLI subcommands of the ingest module. Owned with ingest/.
#include <CLI/CLI.hpp>

#include "app/hooks.hpp"

namespace selfheal::app {

void register_ingest_commands(CLI::App& app, CliState& st) {
  (void)app;
  (void)st;
}

}  // namespace selfheal::app
