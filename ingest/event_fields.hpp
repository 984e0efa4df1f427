#pragma once
// Shared by every source: which labels/fields name the service, host and level, and severity
// detection from the text when no level is given.
#include <string_view>

#include "schema/model.hpp"

namespace selfheal::ingest {

/// Reads a structured line first (apply_structured), then fills e.service, e.host, e.level from
/// e.labels (first match in a fixed order of common names: service_name, service, app,
/// application, job, container, component / host, hostname, instance, node, pod / level,
/// severity, detected_level, lvl, loglevel). service defaults to "unknown".
void extract_fields(LogEvent& e);

/// A JSON-object or logfmt line (fingerprint/structured.hpp: pino, Bunyan, winston, zap, logrus,
/// ECS, CLEF) becomes what a person reads: the message is its message field followed by its error
/// (a stack trace held in a string stays a trace), the level comes from its level field, and up to
/// 16 other fields become labels (nested keys joined with '_'; labels already present win).
/// Plain text is left alone at the cost of a byte compare. Never throws.
void apply_structured(LogEvent& e);

/// Severity of an event: its level if set; else the level of its log header ("ERROR x",
/// "[warn] x", klog "E1203 ...", with or without a timestamp; a stack trace raises it to error);
/// else the strongest marker found in the text (stack traces, "panic:", "Traceback",
/// "Exception", ERROR/WARN tokens...). Never throws.
Severity detect_severity(const LogEvent& e);

}  // namespace selfheal::ingest
