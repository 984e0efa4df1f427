#pragma once
// TLS of the HTTP server (OpenSSL through cpp-httplib's SSLServer): the certificate and key, loaded
// from PEM files, are handed to every handshake by a certificate callback, so SIGHUP can swap them
// while connections are served (a failed reload keeps the previous pair).
#include <memory>
#include <mutex>
#include <string>

#include "app/config.hpp"
#include "schema/result.hpp"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace selfheal::app {

class TlsCredentials {
 public:
  explicit TlsCredentials(ServerTlsConfig cfg);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

  /// Reads cert_file (leaf first, then its chain) and key_file, and checks that they match. On error
  /// the pair in use stays. Thread-safe. Errors: config.
  Result<void> load();
  /// Sets the protocol floor (min_version), safe options and the certificate callback on `ctx`.
  /// False if OpenSSL refuses.
  bool configure(SSL_CTX& ctx);
  /// Subject and expiry of the certificate in use, for the log.
  std::string describe() const;

 private:
  struct Pair;
  static int on_certificate(SSL* ssl, void* self);
  ServerTlsConfig cfg_;
  mutable std::mutex mu_;
  std::shared_ptr<Pair> current_;  // guarded by mu_
};

}  // namespace selfheal::app
