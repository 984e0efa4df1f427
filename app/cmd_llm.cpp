// CLI subcommands of the llm module. Owned with llm/.
#include <CLI/CLI.hpp>

#include "app/hooks.hpp"

namespace selfheal::app {

void register_llm_commands(CLI::App& app, CliState& st) {
  (void)app;
  (void)st;
}

}  // namespace selfheal::app
