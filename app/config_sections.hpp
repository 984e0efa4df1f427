#pragma once
// One parser per module section; each lives in app/config_<module>.cpp, owned with that module.
#include <map>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "app/config_section.hpp"

namespace selfheal::app {
void parse_ingest_section(ConfigSection& s, ingest::IngestConfig& out);
void parse_otlp_section(ConfigSection& s, ingest::OtlpConfig& out);  // app/config_otlp.cpp
void parse_healer_section(ConfigSection& s, healer::HealerConfig& out);
void parse_llm_section(ConfigSection& s, llm::LlmConfig& out);
/// ingest.syslog[] (app/config_syslog.cpp); `seen` holds the source names already used -> where.
void parse_syslog_sources(ConfigSection& s, std::vector<ingest::SyslogConfig>& out,
                          std::map<std::string, std::string>& seen);
/// 1-64 of [A-Za-z0-9_.-]: source names key positions, counts and metrics.
bool valid_source_name(const std::string& n);
}  // namespace selfheal::app
