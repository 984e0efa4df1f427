#pragma once
// JSON view of an LLM suggestion, shared by the HTTP API and the CLI (as app/fingerprint_views.hpp is
// for fingerprints): `selfheal suggestions --json` offline and GET /api/v1/suggestions print the same.
#include <nlohmann/json.hpp>

#include "schema/suggestion_store.hpp"

namespace selfheal::app {

/// id, fingerprint_id, status, summary, root_cause, suggested_fix, evidence, confidence (and its
/// detail), provider, model, context_hash, usage, requested_by, created_at, review, applied; `raw`
/// (the provider's answer) when `with_raw`.
nlohmann::json suggestion_json(const StoredSuggestion& s, bool with_raw);

}  // namespace selfheal::app
