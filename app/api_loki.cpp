// HTTP routes and components of the ingest module. Owned with ingest/.
#include <httplib.h>

#include "app/hooks.hpp"

namespace selfheal::app {

void mount_loki_routes(httplib::Server& svr, AppContext& ctx) {
  (void)svr;
  (void)ctx;
}

Result<void> add_ingest_components(AppContext& ctx) {
  (void)ctx;
  return {};
}

}  // namespace selfheal::app
