// `selfheal top`, `show`, `resolve`, `ignore`, `merge`, `unmerge` (issue 6).
#include <CLI/CLI.hpp>

#include "app/hooks.hpp"

namespace selfheal::app {

void register_query_commands(CLI::App& app, CliState& st) {
  (void)app;
  (void)st;
}

}  // namespace selfheal::app
