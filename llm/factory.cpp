#include "llm/factory.hpp"

#include <cstdlib>

#include "llm/ollama.hpp"
#include "llm/openai_compatible.hpp"

namespace selfheal::llm {

Result<std::unique_ptr<LlmProvider>> make_provider(const LlmConfig& cfg, std::shared_ptr<HttpClient> http,
                                                   std::shared_ptr<RetryWaiter> waiter, const Clock* clock) {
  const auto& p = cfg.provider;
  std::string key;
  if (!p.api_key_env.empty()) {
    const char* v = std::getenv(p.api_key_env.c_str());
    if (!v || !*v) {
      return make_error(ErrorCode::config, "llm.provider.api_key_env names " + p.api_key_env + ", which is not set");
    }
    key = v;
  }
  TransportOptions t;
  t.provider_name = p.type;
  t.retry.max_retries = p.max_retries;
  t.retry.max_server_delay = std::chrono::milliseconds(p.max_retry_delay_ms);
  t.connect_timeout = std::chrono::milliseconds(p.connect_timeout_ms);
  t.waiter = std::move(waiter);
  t.clock = clock;
  if (p.type == "openai" || p.type == "github_models") {
    auto c =
        p.type == "openai" ? openai_config(p.base_url, p.model, key) : github_models_config(p.base_url, p.model, key);
    if (!p.token_limit_field.empty()) {
      c.token_limit_field = p.token_limit_field;
    } else if (p.type == "openai" && !p.base_url.empty() && p.base_url.find("://api.openai.com") == std::string::npos) {
      c.token_limit_field = "max_tokens";
    }
    c.transport = t;
    std::unique_ptr<LlmProvider> out = std::make_unique<OpenAiCompatibleProvider>(std::move(c), std::move(http));
    return out;
  }
  if (p.type == "ollama") {
    OllamaConfig c;
    if (!p.base_url.empty()) c.base_url = p.base_url;
    if (!p.model.empty()) c.model = p.model;
    c.api_key = key;
    c.num_ctx = cfg.context_tokens;
    c.transport = t;
    std::unique_ptr<LlmProvider> out = std::make_unique<OllamaProvider>(std::move(c), std::move(http));
    return out;
  }
  return make_error(ErrorCode::config, "llm.provider.type '" + p.type + "' is unknown (openai, github_models, ollama)");
}

}  // namespace selfheal::llm
