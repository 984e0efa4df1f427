#pragma once
// Ingest pieces of app/ shared by the HTTP routes (app/api_loki.cpp) and the CLI (app/cmd_ingest.cpp).
#include <cstdint>

#include "app/context.hpp"
#include "ingest/loki_push.hpp"

namespace selfheal::ingest {
class SourceRunner;
}
namespace httplib {
class Server;
}

namespace selfheal::app {

/// /readyz state of a source's runner: not running until started; not ok while its polls fail.
ComponentHealth runner_health(const ingest::SourceRunner* runner);

struct ReplayOutcome {
  std::int64_t events = 0;   // events after stitching
  std::int64_t entries = 0;  // push entries decoded
};

/// Decodes a stored Loki push dead letter again, ingests it through ctx.pipeline (waiting until it is
/// durable) and marks it replayed. Errors: conflict (already replayed and !force, not a Loki push
/// dead letter, payload kept only in part), bad_input (still undecodable), overloaded/unavailable.
Result<ReplayOutcome> replay_dead_letter_now(AppContext& ctx, const ingest::LokiPushHandler& handler,
                                             const DeadLetter& d, bool force);

/// The stitch limits every source uses, from the fingerprint section of the config.
ingest::StitchLimits stitch_limits(const Config& cfg);

/// The Loki push handler options `selfheal serve` uses, from the config.
ingest::LokiPushOptions loki_push_options(const Config& cfg);

/// The OTLP/HTTP receiver (app/api_otlp.cpp): when ingest.otlp.enabled, mounts its routes and adds
/// a component holding the endpoint, so /readyz shows it (routes are mounted before components start).
void mount_otlp_routes(httplib::Server& svr, AppContext& ctx);

}  // namespace selfheal::app
