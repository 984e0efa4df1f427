#pragma once
// Plain config structs for LLM suggestions (parsed and validated in app/config_llm.cpp).
// Secrets are never inline: `api_key_env` is the NAME of an environment variable.
#include <cstdint>
#include <string>
#include <vector>

#include "schema/redact.hpp"

namespace selfheal::llm {

struct ProviderConfig {
  std::string type = "openai";  // openai | github_models | ollama
  std::string base_url;         // "" = the provider's default (see default_base_url)
  std::string model;            // "" = the provider's default model
  std::string api_key_env;      // name of the env var holding the key; "" = no Authorization header
  std::string ca_file;          // https: CA bundle (PEM) that verifies the provider; "" = the system's CAs
  std::int64_t connect_timeout_ms = 5'000;
  std::int64_t request_timeout_ms = 60'000;  // whole request, all retries included
  int max_retries = 2;
  std::int64_t max_retry_delay_ms = 30'000;  // a server asking to wait longer is treated as unavailable
  double temperature = 0.2;                  // reasoning models (o-series, gpt-5) accept only 1
  /// OpenAI shape only: "max_completion_tokens" | "max_tokens" | "" (auto: max_completion_tokens for
  /// api.openai.com, max_tokens for any other base_url, since Ollama /v1, llama.cpp and LocalAI ignore
  /// max_completion_tokens; GitHub Models always max_tokens).
  std::string token_limit_field;
};

struct BudgetConfig {
  std::int64_t daily_calls = 200;       // provider calls per UTC day (0 = no limit)
  std::int64_t daily_tokens = 400'000;  // prompt + completion tokens per UTC day (0 = no limit)
};

struct LlmConfig {
  bool enabled = false;
  ProviderConfig provider;
  std::int64_t max_output_tokens = 800;  // always sent (max_completion_tokens / max_tokens / num_predict)
  std::int64_t context_tokens = 8'192;   // the model's context window: prompt + output must fit
  std::int64_t max_samples = 5;          // 3..5 samples in the context
  BudgetConfig budget;
  double cost_per_1k_input_tokens = 0.0;  // USD, for the stored cost estimate
  double cost_per_1k_output_tokens = 0.0;
  std::int64_t refresh_after_ms = 24 * 3600 * 1000;  // a fingerprint's suggestion is reused this long
  std::int64_t queue_max = 1'000;                    // pending fingerprints; above: overloaded (HTTP 429)
  RedactConfig redact;  // one Redactor for every outbound body (LLM, notify, webhooks, http actions)
};

/// The URL used when base_url is empty.
inline std::string default_base_url(const std::string& type) {
  if (type == "github_models") return "https://models.github.ai/inference";
  if (type == "ollama") return "http://127.0.0.1:11434";
  return "https://api.openai.com/v1";
}

inline std::string default_model(const std::string& type) {
  if (type == "github_models") return "openai/gpt-4o-mini";
  if (type == "ollama") return "llama3.2:3b";
  return "gpt-4o-mini";
}

}  // namespace selfheal::llm
