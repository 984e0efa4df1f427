#include "app/config_sections.hpp"

namespace selfheal::app {

void parse_llm_section(ConfigSection& s, llm::LlmConfig& out) {
  s.allow_only({"enabled"});
  s.get("enabled", out.enabled);
}

}  // namespace selfheal::app
