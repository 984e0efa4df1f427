// Parser of the `llm:` section (owned with llm/). Example:
//   llm:
//     provider: {type: openai, model: gpt-4o-mini, api_key_env: OPENAI_API_KEY}
//     max_output_tokens: 800
//     context_tokens: 8192
//     budget: {daily_calls: 200, daily_tokens: 400000}
//     redact: {ips: true, patterns: ['cust-[0-9]{6}']}
#include <re2/re2.h>

#include <cstdlib>
#include <fstream>

#include "app/config_sections.hpp"

namespace selfheal::app {

void parse_llm_section(ConfigSection& s, llm::LlmConfig& out) {
  s.allow_only();
  // Configuring a provider enables suggestions unless `enabled: false` says otherwise.
  out.enabled = s.has("provider");
  s.get("enabled", out.enabled);

  auto p = s.child("provider");
  for (const char* inline_secret : {"api_key", "key", "token"}) {
    if (p.has(inline_secret)) {
      p.error(inline_secret,
              "secrets are never written inline; put the key in an environment variable and name it "
              "with api_key_env (e.g. api_key_env: OPENAI_API_KEY)");
    }
  }
  p.allow_only({"api_key", "key", "token"});
  p.get("type", out.provider.type);
  p.get("base_url", out.provider.base_url);
  p.get("model", out.provider.model);
  p.get("api_key_env", out.provider.api_key_env);
  p.get("ca_file", out.provider.ca_file);
  if (!out.provider.ca_file.empty() && !std::ifstream(out.provider.ca_file))
    p.error("ca_file", "cannot read " + out.provider.ca_file);
  p.get("connect_timeout_ms", out.provider.connect_timeout_ms);
  p.get("request_timeout_ms", out.provider.request_timeout_ms);
  p.get("max_retries", out.provider.max_retries);
  p.get("max_retry_delay_ms", out.provider.max_retry_delay_ms);
  p.get("temperature", out.provider.temperature);
  if (p.has("token_limit_field")) {
    p.get("token_limit_field", out.provider.token_limit_field);
  }
  if (!out.provider.base_url.empty() && out.provider.base_url.rfind("http://", 0) != 0 &&
      out.provider.base_url.rfind("https://", 0) != 0) {
    p.error("base_url", "must start with http:// or https://");
  }
  if (out.enabled && !out.provider.api_key_env.empty()) {
    const char* v = std::getenv(out.provider.api_key_env.c_str());
    if (!v || !*v) {
      p.error("api_key_env", "names environment variable " + out.provider.api_key_env + ", which is not set or empty");
    }
  }
  if (out.enabled && out.provider.api_key_env.empty() && out.provider.type != "ollama" &&
      out.provider.base_url.empty()) {
    p.error("api_key_env", "the " + out.provider.type +
                               " API needs a key: name the environment variable holding it (api_key_env), or set "
                               "base_url to a gateway that needs none");
  }

  s.get("max_output_tokens", out.max_output_tokens);
  s.get("context_tokens", out.context_tokens);
  s.get("max_samples", out.max_samples);
  if (out.context_tokens - out.max_output_tokens < 768) {
    s.error("max_output_tokens",
            "leaves less than 768 of context_tokens (" + std::to_string(out.context_tokens) + ") for the prompt");
  }
  auto b = s.child("budget");
  b.allow_only();
  b.get("daily_calls", out.budget.daily_calls);
  b.get("daily_tokens", out.budget.daily_tokens);
  s.get("cost_per_1k_input_tokens", out.cost_per_1k_input_tokens);
  s.get("cost_per_1k_output_tokens", out.cost_per_1k_output_tokens);
  s.get("refresh_after_ms", out.refresh_after_ms);
  s.get("queue_max", out.queue_max);

  auto r = s.child("redact");
  r.allow_only();
  r.get("ips", out.redact.ips);
  r.get("emails", out.redact.emails);
  r.get("patterns", out.redact.patterns);
  for (std::size_t i = 0; i < out.redact.patterns.size(); ++i) {
    RE2::Options o;
    o.set_log_errors(false);
    RE2 re(out.redact.patterns[i], o);
    if (!re.ok()) r.error("patterns", "pattern " + std::to_string(i) + " is not valid RE2: " + re.error());
  }
}

}  // namespace selfheal::app
