#pragma once
// The HTTP server of `selfheal serve` (cpp-httplib): core routes (/healthz, /readyz, /metrics) and every
// module's routes through the mount_* hooks.
#include <memory>
#include <string>

#include "app/context.hpp"

namespace httplib {
class Server;
}

namespace selfheal::app {

class TlsCredentials;

class HttpServer {
 public:
  /// HTTPS (OpenSSL) when config.server.tls is set, else plain HTTP.
  explicit HttpServer(AppContext& ctx);
  ~HttpServer();
  /// Binds host:port (port 0 picks a free one). Returns the bound port. Errors: unavailable; config when
  /// the TLS certificate or key cannot be loaded.
  Result<int> bind(const std::string& host, int port);
  /// Serves until stop(); blocks. Call on its own thread.
  void run();
  /// Stops accepting and returns when in-flight requests are done. Idempotent.
  void stop();
  httplib::Server& raw();
  bool tls() const { return creds_ != nullptr; }
  /// Reads the TLS certificate and key files again (SIGHUP); new handshakes use them, and on error the
  /// pair in use stays. Errors: config (no TLS configured, or the files are unusable).
  Result<void> reload_tls();

 private:
  AppContext& ctx_;
  std::unique_ptr<TlsCredentials> creds_;
  Result<void> tls_loaded_;
  std::unique_ptr<httplib::Server> svr_;
  int listen_fd_ = -1;  // captured when httplib creates the listening socket
};

}  // namespace selfheal::app
