#pragma once
// `selfheal fingerprint`: stdin -> "<id>\t<template>[\t<explain json>]" per line (or per event
// with --multiline). Contract of ../shared/bench/loghub_ga.py and trace_grouping.py.

namespace CLI {
class App;
}

namespace selfheal::app {

/// Adds the `fingerprint` subcommand; its result is written to exit_code (0 ok, 1 I/O error).
void register_fingerprint_command(CLI::App& app, int& exit_code);

}  // namespace selfheal::app
