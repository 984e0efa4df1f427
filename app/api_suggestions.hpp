#pragma once
// Wiring of the llm module into `selfheal serve` (implemented in app/api_suggestions.cpp).
#include <memory>

#include "app/context.hpp"
#include "healer/suggestion.hpp"
#include "llm/worker.hpp"

namespace selfheal::app {

/// A SuggestionRequester for the healer's `suggest` action. It finds the LLM worker at call time,
/// so it may be created before add_llm_components runs. Without a configured LLM it answers
/// ErrorCode::config. Never blocks: it only queues (deduplicated per fingerprint).
std::unique_ptr<healer::SuggestionRequester> make_suggestion_requester(AppContext& ctx);

/// Earlier healing runs of a fingerprint from the healer's log (schema/healing_store.hpp), for the
/// LLM context and the "did a strategy already succeed?" confidence check. Runs of the `suggest`
/// action itself are left out.
std::unique_ptr<llm::HealingHistorySource> make_healing_history(HealingLog& log);

}  // namespace selfheal::app
