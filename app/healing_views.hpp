#pragma once
// JSON views of the healer, shared by the HTTP API and the CLI (as app/fingerprint_views.hpp is for
// fingerprints): `selfheal rules --json` and GET /api/v1/healing/rules print the same object.
#include <nlohmann/json.hpp>

#include <memory>
#include <vector>

#include "healer/config.hpp"
#include "healer/strategy.hpp"
#include "schema/healing_store.hpp"
#include "schema/sqlite_healing_store.hpp"

namespace selfheal::app {

/// One history row (GET /api/v1/healing/runs).
nlohmann::json run_json(const HealingRun& r);
/// One approval (GET /api/v1/approvals, `selfheal approvals`).
nlohmann::json approval_json(const ApprovalRow& a);
/// An exec/http delivery; env var names only, never their values. null when empty.
nlohmann::json delivery_json(const healer::Delivery& d);
/// One strategy as configured (match, actions, guards, verification).
nlohmann::json rule_json(const healer::Strategy& s);
/// {"enabled", "dry_run", "rules": [rule_json...], "notify": {"channels", "levels"}}.
nlohmann::json rules_json(const healer::HealerConfig& cfg,
                          const std::vector<std::unique_ptr<healer::Strategy>>& strategies);
/// Rows of a healing view (overview, activity, stats) as objects.
nlohmann::json view_json(const std::vector<SqliteHealingStore::ViewRow>& rows);

}  // namespace selfheal::app
