// HTTP routes and components of the healer module. Owned with healer/.
#include <httplib.h>

#include "app/hooks.hpp"

namespace selfheal::app {

void mount_healing_routes(httplib::Server& svr, AppContext& ctx) {
  (void)svr;
  (void)ctx;
}

Result<void> add_healer_components(AppContext& ctx) {
  (void)ctx;
  return {};
}

}  // namespace selfheal::app
