#pragma once
// Shared by every source: which labels/fields name the service, host and level, and severity
// detection from the text when no level is given.
#include <string_view>

#include "schema/model.hpp"

namespace selfheal::ingest {

/// Fills e.service, e.host, e.level from e.labels (first match in a fixed order of common names:
/// service_name, service, app, application, job, container, component / host, hostname, instance,
/// node, pod / level, severity, detected_level, lvl, loglevel). service defaults to "unknown".
void extract_fields(LogEvent& e);

/// Severity of an event: its level if set, else the strongest marker found in the text
/// (stack traces, "panic:", "Traceback", "Exception", ERROR/WARN tokens...). Never throws.
Severity detect_severity(const LogEvent& e);

/// True if the text contains a stack trace of a known language shape.
bool has_stack_trace(std::string_view text);

}  // namespace selfheal::ingest
