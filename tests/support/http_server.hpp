#pragma once
// A real HTTP server on 127.0.0.1, port 0, for tests: register routes on server(), then start().
// The one fixture every suite uses instead of its own bind/listen/stop/join boilerplate.
#include <httplib.h>

#include <string>
#include <thread>

namespace selfheal::test {

class LocalHttpServer {
 public:
  LocalHttpServer() = default;
  ~LocalHttpServer() { stop(); }
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  httplib::Server& server() { return svr_; }
  /// Binds port 0 and runs the accept loop on a thread. bind_to_any_port already listens, so a
  /// request sent right after start() queues until the loop runs. Returns the port.
  int start() {
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    return port_;
  }
  /// Idempotent; joins the accept loop.
  void stop() {
    if (!thread_.joinable()) return;
    svr_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server svr_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace selfheal::test
