// HTTP routes and components of the llm module. Owned with llm/.
#include <httplib.h>

#include "app/hooks.hpp"

namespace selfheal::app {

void mount_suggestion_routes(httplib::Server& svr, AppContext& ctx) {
  (void)svr;
  (void)ctx;
}

Result<void> add_llm_components(AppContext& ctx) {
  (void)ctx;
  return {};
}

}  // namespace selfheal::app
