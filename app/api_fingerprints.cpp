// Fingerprint query and lifecycle API (issue 6).
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "app/hooks.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {

void mount_fingerprint_routes(httplib::Server& svr, AppContext& ctx) {
  svr.Get("/api/v1/stats", [&ctx](const httplib::Request&, httplib::Response& res) {
    auto stats = ctx.store.source_stats();
    if (!stats) return json_error(res, 503, stats.error().message);
    nlohmann::json arr = nlohmann::json::array();
    std::int64_t lines = 0, events = 0, kept = 0;
    for (const auto& s : *stats) {
      arr.push_back({{"source", s.source}, {"service", s.service}, {"lines", s.lines}, {"events", s.events},
                     {"kept", s.kept}});
      lines += s.lines;
      events += s.events;
      kept += s.kept;
    }
    auto fps = ctx.store.fingerprint_count();
    nlohmann::json j = {{"totals", {{"lines", lines}, {"events", events}, {"kept", kept}}},
                        {"fingerprints", fps ? *fps : 0},
                        {"by_source_service", arr}};
    res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
  });
}

}  // namespace selfheal::app
