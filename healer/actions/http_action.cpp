#include "healer/actions/http_action.hpp"

#include <httplib.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "healer/actions/exec_action.hpp"

namespace selfheal::healer {

namespace {

constexpr std::size_t max_body_excerpt = 4096;

Result<httplib::Headers> resolve_headers(const std::vector<std::pair<std::string, std::string>>& headers_env) {
  httplib::Headers h;
  for (const auto& [name, env] : headers_env) {
    const char* v = std::getenv(env.c_str());
    if (!v) return make_error(ErrorCode::config, "http: environment variable for header " + name + " is not set");
    h.emplace(name, v);
  }
  return h;
}

ActionOutcome send(const std::string& method, const std::string& url, const std::string& body,
                   const httplib::Headers& headers, std::int64_t timeout_ms, const ParsedUrl& u,
                   const std::string& ca_file) {
  const auto started = std::chrono::steady_clock::now();
  ActionOutcome out;
  httplib::Client cli(u.scheme_host_port);
  cli.enable_server_certificate_verification(true);  // https: chain and host name
  if (!ca_file.empty()) cli.set_ca_cert_path(ca_file.c_str());
  const auto secs = timeout_ms / 1000, usecs = (timeout_ms % 1000) * 1000;
  cli.set_connection_timeout(secs, usecs);
  cli.set_read_timeout(secs, usecs);
  cli.set_write_timeout(secs, usecs);
  httplib::Result r{nullptr, httplib::Error::Unknown};
  const char* ctype = "application/json";
  if (method == "GET")
    r = cli.Get(u.path, headers);
  else if (method == "POST")
    r = cli.Post(u.path, headers, body, ctype);
  else if (method == "PUT")
    r = cli.Put(u.path, headers, body, ctype);
  else if (method == "PATCH")
    r = cli.Patch(u.path, headers, body, ctype);
  else if (method == "DELETE")
    r = cli.Delete(u.path, headers, body, ctype);
  out.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (!r) {
    // A certificate that does not verify will not verify on retry: permanent, with the reason.
    const bool untrusted = r.error() == httplib::Error::SSLServerVerification;
    out.transient = !untrusted;
    out.error = "request failed: " + httplib::to_string(r.error());  // never the URL: it may carry secrets
    if (untrusted)
      out.error += " (TLS certificate not trusted: " +
                   std::string(X509_verify_cert_error_string(cli.get_openssl_verify_result())) + "; set ca_file)";
    return out;
  }
  out.code = r->status;
  out.output = r->body.substr(0, max_body_excerpt);
  out.success = r->status >= 200 && r->status < 300;
  if (!out.success) {
    out.transient = r->status >= 500 || r->status == 429;
    out.error = "HTTP status " + std::to_string(r->status);
  }
  (void)url;
  return out;
}

}  // namespace

std::string build_http_body(const HttpSpec& spec, const Fields& fields) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& name : spec.body_fields) {
    std::string v;
    for (const auto& [k, val] : fields)
      if (k == name) v = val;
    j[name] = v;
  }
  for (const auto& [k, v] : spec.body_static) j[k] = v;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<ParsedUrl> parse_url(const std::string& url) {
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return make_error(ErrorCode::config, "http: URL without scheme");
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return make_error(ErrorCode::config, "http: scheme must be http(s)");
  std::size_t path_start = url.find('/', scheme_end + 3);
  ParsedUrl u;
  u.scheme_host_port = url.substr(0, path_start);
  u.path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (u.scheme_host_port.size() <= scheme_end + 3) return make_error(ErrorCode::config, "http: URL without host");
  return u;
}

Result<ActionOutcome> run_http(const HttpSpec& spec, const Fields& fields, std::stop_token stop) {
  (void)stop;  // bounded by the request timeouts
  auto u = parse_url(spec.url);
  if (!u) return u.error();
  auto h = resolve_headers(spec.headers_env);
  if (!h) return h.error();
  const std::string body = spec.method == "GET" ? std::string() : build_http_body(spec, fields);
  return send(spec.method, spec.url, body, *h, spec.timeout_ms, *u, spec.ca_file);
}

Result<ActionOutcome> post_json(const std::string& url, const std::string& body,
                                const std::vector<std::pair<std::string, std::string>>& headers_env,
                                std::int64_t timeout_ms, const std::string& ca_file) {
  auto u = parse_url(url);
  if (!u) return u.error();
  auto h = resolve_headers(headers_env);
  if (!h) return h.error();
  return send("POST", url, body, *h, timeout_ms, *u, ca_file);
}

Result<ActionOutcome> run_delivery(const Delivery& d, const Fields& fields, std::stop_token stop) {
  if (d.type == "exec") return run_exec(d.exec, fields, stop);
  if (d.type == "http") return run_http(d.http, fields, stop);
  return make_error(ErrorCode::config, "delivery type must be exec or http");
}

}  // namespace selfheal::healer
