#pragma once
#include "app/config.hpp"

namespace selfheal::app {
/// Runs `selfheal serve` until SIGTERM/SIGINT. Returns the process exit code (0 on a clean stop,
/// 1 on a runtime failure such as an unusable data dir or port, 2 on a config error).
int run_serve(const Config& cfg);
}  // namespace selfheal::app
