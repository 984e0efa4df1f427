#pragma once
// http: a pre-configured request (method, URL, headers whose values come from environment variables,
// a JSON body built from named fields and constants). 2xx is success; 5xx, 429 and connection errors
// are transient; other statuses are permanent failures.
#include <stop_token>
#include <string>

#include "healer/action.hpp"
#include "healer/config.hpp"

namespace selfheal::healer {

/// The JSON body: {"<field>": "<value>", ...} from body_fields, then body_static. Pure.
std::string build_http_body(const HttpSpec& spec, const Fields& fields);

struct ParsedUrl {
  std::string scheme_host_port;  // "http://host:port"
  std::string path;              // "/..." with query
};
/// Errors: config.
Result<ParsedUrl> parse_url(const std::string& url);

/// Sends the request and returns the outcome. Errors: config (bad URL, header env var missing).
Result<ActionOutcome> run_http(const HttpSpec& spec, const Fields& fields, std::stop_token stop = {});

/// Posts a JSON body to a URL (notify channels use this). Same outcome rules as run_http.
/// https:// verifies the server's certificate and host name against `ca_file` (PEM), or the system's
/// CAs when it is empty; a certificate that does not verify is a permanent failure, never plaintext.
Result<ActionOutcome> post_json(const std::string& url, const std::string& body,
                                const std::vector<std::pair<std::string, std::string>>& headers_env,
                                std::int64_t timeout_ms, const std::string& ca_file = {});

}  // namespace selfheal::healer
