#include "app/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cctype>
#include <cstdlib>
#include <set>

namespace selfheal::app {

std::string_view to_string(Role r) {
  switch (r) {
    case Role::viewer: return "viewer";
    case Role::operator_: return "operator";
    case Role::ingest: return "ingest";
    case Role::admin: return "admin";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view s) {
  for (Role r : {Role::viewer, Role::operator_, Role::ingest, Role::admin})
    if (s == to_string(r)) return r;
  return std::nullopt;
}

std::string_view to_string(Access a) {
  switch (a) {
    case Access::open: return "open";
    case Access::read: return "read";
    case Access::ingest: return "ingest";
    case Access::operate: return "operate";
    case Access::admin: return "admin";
  }
  return "admin";
}

bool role_allows(Role role, Access need) {
  switch (need) {
    case Access::open: return true;
    case Access::read: return role == Role::viewer || role == Role::operator_ || role == Role::admin;
    case Access::ingest: return role == Role::ingest || role == Role::admin;
    case Access::operate: return role == Role::operator_ || role == Role::admin;
    case Access::admin: return role == Role::admin;
  }
  return false;
}

Access route_access(std::string_view method, std::string_view path, const std::vector<std::string>& open_endpoints) {
  const bool read_method = method == "GET" || method == "HEAD";
  if (read_method) {
    // The web UI's files (app/api_ui.cpp) hold no data: every page reads through the API with a token.
    if (path == "/" || path == "/ui" || path.starts_with("/ui/")) return Access::open;
    for (const auto& p : open_endpoints)
      if (path == p) return Access::open;
    return Access::read;
  }
  if (method != "POST") return Access::admin;
  if (path == "/loki/api/v1/push" || path == "/api/prom/push") return Access::ingest;
  if (path == "/v1/logs" || path == "/otlp/v1/logs") return Access::ingest;  // OTLP/HTTP (app/api_otlp.cpp)
  // Computes what the healer would do; executes and records nothing.
  if (path == "/api/v1/healing/simulate") return Access::read;
  return Access::operate;
}

namespace {

std::string sha256(std::string_view s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return std::string(reinterpret_cast<const char*>(d), sizeof d);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 8192) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

/// The secret a request presents, or "" when it presents none.
std::string presented_secret(std::string_view authorization, std::string_view x_token) {
  authorization = trim(authorization);
  if (!authorization.empty()) {
    auto sp = authorization.find(' ');
    std::string_view scheme = authorization.substr(0, sp);
    std::string_view value = sp == std::string_view::npos ? std::string_view() : trim(authorization.substr(sp + 1));
    if (iequals(scheme, "Bearer")) return std::string(value);
    if (iequals(scheme, "Basic")) {
      auto decoded = base64_decode(value);
      if (!decoded) return {};
      auto colon = decoded->find(':');
      return colon == std::string::npos ? std::string() : decoded->substr(colon + 1);
    }
    return {};
  }
  return std::string(trim(x_token));
}

}  // namespace

Result<Authenticator> Authenticator::from_secrets(const std::vector<std::pair<ApiTokenConfig, std::string>>& tokens) {
  Authenticator a;
  std::set<std::string> names, digests;
  for (const auto& [cfg, secret] : tokens) {
    if (secret.empty()) return make_error(ErrorCode::config, "api token '" + cfg.name + "' is empty");
    if (!names.insert(cfg.name).second)
      return make_error(ErrorCode::config, "api token name '" + cfg.name + "' is used twice");
    auto d = sha256(secret);
    if (!digests.insert(d).second)
      return make_error(ErrorCode::config, "api token '" + cfg.name +
                                               "' has the same secret as another token; each person or shipper "
                                               "needs its own, or the recorded actor would be ambiguous");
    a.tokens_.push_back({cfg.name, cfg.role, std::move(d)});
  }
  return a;
}

Result<Authenticator> Authenticator::from_env(const std::vector<ApiTokenConfig>& tokens) {
  std::vector<std::pair<ApiTokenConfig, std::string>> with;
  for (const auto& t : tokens) {
    const char* v = std::getenv(t.token_env.c_str());
    if (!v || !*v)
      return make_error(ErrorCode::config, "api token '" + t.name + "': environment variable " + t.token_env +
                                               " is not set or empty");
    with.emplace_back(t, v);
  }
  return from_secrets(with);
}

std::optional<Principal> Authenticator::authenticate(std::string_view authorization, std::string_view x_token) const {
  const std::string secret = presented_secret(authorization, x_token);
  if (secret.empty()) return std::nullopt;
  // Compare digests (fixed length) against every token, without an early exit.
  const std::string d = sha256(secret);
  const Entry* found = nullptr;
  for (const auto& t : tokens_)
    if (CRYPTO_memcmp(d.data(), t.digest.data(), d.size()) == 0) found = &t;
  if (!found) return std::nullopt;
  return Principal{found->name, found->role};
}

AuthDecision authorize(const Authenticator& auth, const std::vector<std::string>& open_endpoints,
                       std::string_view method, std::string_view path, std::string_view authorization,
                       std::string_view x_token) {
  AuthDecision out;
  if (!auth.enabled()) {
    out.actor = std::string(anonymous_actor);
    return out;
  }
  const Access need = route_access(method, path, open_endpoints);
  auto who = auth.authenticate(authorization, x_token);
  if (need == Access::open) {
    out.actor = who ? who->name : std::string(anonymous_actor);
    return out;
  }
  if (!who) {
    out.status = 401;
    const bool none = trim(authorization).empty() && trim(x_token).empty();
    out.error = none ? "this endpoint needs an API token (Authorization: Bearer <token>)" : "invalid API token";
    return out;
  }
  out.actor = who->name;
  if (!role_allows(who->role, need)) {
    out.status = 403;
    out.error = "token '" + who->name + "' has role " + std::string(to_string(who->role)) +
                ", which may not " + (need == Access::read      ? std::string("read")
                                      : need == Access::ingest  ? std::string("push logs")
                                      : need == Access::operate ? std::string("change state (needs operator)")
                                                                : std::string("use this endpoint (needs admin)"));
  }
  return out;
}

}  // namespace selfheal::app
