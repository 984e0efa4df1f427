#pragma once
#include <memory>

#include "app/context.hpp"

namespace selfheal::app {
/// Retention: rolls per-minute counts older than stats.minute_rollup_after_ms into hours and prunes
/// hours, samples, dead letters and finished healing history older than storage.retention_days (healing
/// history at least 31 days), every stats.prune_interval_ms.
std::unique_ptr<Component> make_maintenance_component(AppContext& ctx);
}  // namespace selfheal::app
