#pragma once
// One parser per module section; each lives in app/config_<module>.cpp, owned with that module.
#include "app/config.hpp"
#include "app/config_section.hpp"

namespace selfheal::app {
void parse_ingest_section(ConfigSection& s, ingest::IngestConfig& out);
void parse_otlp_section(ConfigSection& s, ingest::OtlpConfig& out);  // app/config_otlp.cpp
void parse_healer_section(ConfigSection& s, healer::HealerConfig& out);
void parse_llm_section(ConfigSection& s, llm::LlmConfig& out);
}  // namespace selfheal::app
