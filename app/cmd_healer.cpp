// CLI subcommands of the healer module. Owned with healer/.
#include <CLI/CLI.hpp>

#include "app/hooks.hpp"

namespace selfheal::app {

void register_healer_commands(CLI::App& app, CliState& st) {
  (void)app;
  (void)st;
}

}  // namespace selfheal::app
