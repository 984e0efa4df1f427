#pragma once
// Access control of the HTTP API: named tokens with roles (api.tokens in the config, each secret read
// from an environment variable), what each route needs, and who a request is. Pure: no httplib here,
// so the whole route x role table is unit-tested (tests/app/auth_test.cpp).
//
//   role      may
//   viewer    every read (GET), /api/v1/healing/simulate
//   operator  what viewer may + lifecycle, merges, approvals, reviews, suggestions, replays, resets
//   ingest    the Loki push and OTLP endpoints only (a shipper's credential reads and decides nothing)
//   admin     everything
//
// With no token configured the API is open and every write is recorded as actor "anonymous".
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/result.hpp"

namespace selfheal::app {

enum class Role { viewer, operator_, ingest, admin };
std::string_view to_string(Role r);
std::optional<Role> parse_role(std::string_view s);

/// What a route needs.
enum class Access { open, read, ingest, operate, admin };
std::string_view to_string(Access a);

/// Whether `role` may use a route that needs `need`.
bool role_allows(Role role, Access need);

/// The access `method path` needs. `open_endpoints` lists the probe paths left open ("/healthz",
/// "/readyz", "/metrics" by default); any other path needs a token once one is configured.
/// Unknown POST routes need operate, other methods admin (deny by default).
Access route_access(std::string_view method, std::string_view path, const std::vector<std::string>& open_endpoints);

/// A token as configured (the secret is the value of the environment variable `token_env`).
struct ApiTokenConfig {
  std::string name;       // recorded as the actor of every write made with this token
  Role role = Role::viewer;
  std::string token_env;  // environment variable holding the secret
};

struct Principal {
  std::string name;
  Role role = Role::viewer;
};

/// The actor recorded for writes when no token is configured (the API is open).
inline constexpr std::string_view anonymous_actor = "anonymous";

/// Resolved tokens; cheap to copy. Thread-safe (const after construction).
class Authenticator {
 public:
  Authenticator() = default;  // no tokens: everything is open
  /// Reads every token's secret from its environment variable. Errors (config): a variable unset or
  /// empty, two tokens with the same secret (the actor would be ambiguous).
  static Result<Authenticator> from_env(const std::vector<ApiTokenConfig>& tokens);
  /// For tests: tokens with their secrets given.
  static Result<Authenticator> from_secrets(const std::vector<std::pair<ApiTokenConfig, std::string>>& tokens);

  bool enabled() const { return !tokens_.empty(); }

  /// The token a request carries: `Authorization: Bearer <token>` (scheme in any case),
  /// `Authorization: Basic base64(user:<token>)` (Promtail/Alloy basic_auth: the password is the
  /// token, the user name is not checked), or `X-Selfheal-Token: <token>`. Every configured token is
  /// compared in constant time. nullopt: no token or an unknown one.
  std::optional<Principal> authenticate(std::string_view authorization, std::string_view x_token) const;

 private:
  struct Entry {
    std::string name;
    Role role;
    std::string digest;  // SHA-256 of the secret
  };
  std::vector<Entry> tokens_;
};

/// The outcome of checking one request.
struct AuthDecision {
  int status = 200;         // 200 allowed, 401 no or unknown token, 403 the token's role may not
  std::string error;        // for 401/403
  std::string actor;        // the token's name, or "anonymous" when no token is configured
};
AuthDecision authorize(const Authenticator& auth, const std::vector<std::string>& open_endpoints,
                       std::string_view method, std::string_view path, std::string_view authorization,
                       std::string_view x_token);

}  // namespace selfheal::app
