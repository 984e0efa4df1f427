#pragma once
// `selfheal serve` wiring of the syslog receivers (ingest/syslog_server.hpp): one component per
// ingest.syslog[] entry, health in /readyz as "syslog:<name>".
#include "app/context.hpp"

namespace selfheal::app {

Result<void> add_syslog_components(AppContext& ctx);

}  // namespace selfheal::app
