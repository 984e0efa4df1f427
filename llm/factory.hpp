#pragma once
// From LlmConfig to a concrete provider: the one place that maps `llm.provider.type`.
#include <memory>

#include "llm/config.hpp"
#include "llm/http_client.hpp"
#include "llm/provider.hpp"
#include "llm/transport.hpp"
#include "schema/clock.hpp"

namespace selfheal::llm {

/// Builds the provider. The key is read from the environment variable named by api_key_env.
/// Errors: config (unknown type, key variable named but empty).
Result<std::unique_ptr<LlmProvider>> make_provider(const LlmConfig& cfg, std::shared_ptr<HttpClient> http,
                                                   std::shared_ptr<RetryWaiter> waiter, const Clock* clock);

}  // namespace selfheal::llm
