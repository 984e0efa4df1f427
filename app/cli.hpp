#pragma once
namespace selfheal::app {
/// Parses the command line and runs the subcommand. Exit codes: 0 ok, 1 runtime failure, 2 usage/config.
int run_cli(int argc, char** argv);
}  // namespace selfheal::app
