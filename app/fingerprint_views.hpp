#pragma once
// JSON views of fingerprints, shared by the HTTP API and the CLI's offline mode (so both print the same).
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

#include "app/config.hpp"
#include "schema/result.hpp"
#include "schema/sqlite_store.hpp"
#include "schema/trends.hpp"

namespace selfheal::app {

class Fingerprinting;

/// Parses and validates list parameters (service, status, severity, since, q, sort, limit, cursor).
/// Unknown parameters and bad values are errors (bad_input) with a message naming the parameter.
Result<FingerprintQuery> parse_list_params(const std::multimap<std::string, std::string>& params, UnixMs now);

TrendOptions trend_options(const StatsConfig& s);

/// {"fingerprints": [...], "next_cursor": "..."}; every object has id, template, count, first_seen,
/// last_seen (RFC 3339 UTC), status, severity, services, plus rate, flags, forecast and `sparkline` (events
/// per minute of the last 60 minutes, oldest first).
Result<nlohmann::json> list_json(QueryStore& store, const FingerprintQuery& q, const StatsConfig& stats);

/// Detail of one fingerprint with series (per minute, last hour; hourly, last 7 days: the roll-up plus
/// the minutes not rolled up yet), samples, values,
/// distinct counts, explain and merges. nullopt when unknown.
Result<std::optional<nlohmann::json>> detail_json(QueryStore& store, Fingerprinting* fp, const std::string& id,
                                                  UnixMs now, const StatsConfig& stats);

/// Ids accepted by the API: 1-64 of [A-Za-z0-9_-].
bool valid_fingerprint_id(const std::string& id);

}  // namespace selfheal::app
