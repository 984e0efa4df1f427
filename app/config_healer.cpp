#include "app/config_sections.hpp"

namespace selfheal::app {

void parse_healer_section(ConfigSection& s, healer::HealerConfig& out) {
  s.allow_only({"enabled"});
  s.get("enabled", out.enabled);
}

}  // namespace selfheal::app
