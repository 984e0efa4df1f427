#include "app/server.hpp"

#include <sys/socket.h>

#include <httplib.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "app/hooks.hpp"
#include "app/http_util.hpp"
#include "app/pipeline.hpp"
#include "app/tls.hpp"
#include "schema/log.hpp"
#include "schema/time_format.hpp"

#include <filesystem>
#include <sstream>

namespace selfheal::app {

void json_error(httplib::Response& res, int status, std::string_view message) {
  res.status = status;
  nlohmann::json j = {{"error", std::string(message)}, {"status", status}};
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_input: return 400;
    case ErrorCode::unauthorized: return 401;
    case ErrorCode::not_found: return 404;
    case ErrorCode::conflict: return 409;
    case ErrorCode::too_large: return 413;
    case ErrorCode::overloaded: return 429;
    default: return 503;
  }
}

void send_json(httplib::Response& res, const nlohmann::json& j, int status) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

namespace {
AuthDecision decide_access(const AppContext& ctx, const httplib::Request& req) {
  return authorize(ctx.auth, ctx.config.api.open_endpoints, req.method, req.path, req.get_header_value("Authorization"),
                   req.get_header_value("X-Selfheal-Token"));
}

bool answer_denied(const AuthDecision& d, httplib::Response& res) {
  if (d.status == 200) return false;
  if (d.status == 401) res.set_header("WWW-Authenticate", "Bearer, Basic realm=\"selfheal\"");
  json_error(res, d.status, d.error);
  return true;
}
}  // namespace

bool require_token(const AppContext& ctx, const httplib::Request& req, httplib::Response& res) {
  return !answer_denied(decide_access(ctx, req), res);
}

std::string request_actor(const AppContext& ctx, const httplib::Request& req) { return decide_access(ctx, req).actor; }

namespace {
void register_process_metrics(Metrics& m) {
  auto& rss = m.gauge("selfheal_process_resident_memory_bytes", "Resident set size of the process.");
  auto& cpu = m.gauge("selfheal_process_cpu_seconds", "User and system CPU time used by the process.");
  auto& fds = m.gauge("selfheal_process_open_fds", "Open file descriptors.");
  auto& threads = m.gauge("selfheal_process_threads", "Threads of the process.");
  auto& start = m.gauge("selfheal_process_start_time_seconds", "Start time of the process since the Unix epoch.");
  start.set(static_cast<double>(std::time(nullptr)));
  m.on_collect([&rss, &cpu, &fds, &threads] {
    std::ifstream statm("/proc/self/statm");
    long pages_total = 0, pages_rss = 0;
    if (statm >> pages_total >> pages_rss) rss.set(static_cast<double>(pages_rss) * static_cast<double>(sysconf(_SC_PAGESIZE)));
    std::ifstream stat("/proc/self/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close = content.rfind(')');
    if (close != std::string::npos) {
      std::istringstream in(content.substr(close + 2));
      std::vector<std::string> f;
      std::string tok;
      while (in >> tok) f.push_back(tok);
      // fields after ')' start at field 3 (state); utime=14, stime=15, num_threads=20 (1-based)
      if (f.size() > 17) {
        double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
        cpu.set((std::stod(f[11]) + std::stod(f[12])) / ticks);
        threads.set(std::stod(f[17]));
      }
    }
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      ++n;
    fds.set(static_cast<double>(n));
  });
}
}  // namespace

HttpServer::HttpServer(AppContext& ctx) : ctx_(ctx) {
  if (ctx_.config.server.tls.enabled()) {
    creds_ = std::make_unique<TlsCredentials>(ctx_.config.server.tls);
    tls_loaded_ = creds_->load();
    svr_ = std::make_unique<httplib::SSLServer>([this](SSL_CTX& c) { return creds_->configure(c); });
  } else {
    svr_ = std::make_unique<httplib::Server>();
  }
  auto& svr = *svr_;
  svr.new_task_queue = [threads = ctx_.config.server.threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  // Shippers keep connections open; httplib's default of 5 requests per connection causes reconnect storms.
  svr.set_keep_alive_max_count(10'000);
  svr.set_keep_alive_timeout(30);
  // httplib writes a response's headers and body in separate sends; with Nagle on, the body waits for
  // the peer's delayed ACK (~40 ms on Linux), which capped small pushes at ~1.2 k requests/s.
  svr.set_tcp_nodelay(true);
  // httplib's default socket options set SO_REUSEPORT, which lets a second selfheal bind the same port
  // and silently take half the connections. SO_REUSEADDR only: "address in use" stays an error.
  svr.set_socket_options([this](int fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = fd;
  });
  svr.set_payload_max_length(static_cast<std::size_t>(ctx_.config.server.max_body_bytes));
  svr.set_read_timeout(std::chrono::milliseconds(ctx_.config.server.read_timeout_ms));
  register_process_metrics(ctx_.metrics);

  auto& m = ctx_.metrics;
  auto* req_2xx = &m.counter("selfheal_http_requests_total", "HTTP requests answered.", {{"code", "2xx"}});
  auto* req_4xx = &m.counter("selfheal_http_requests_total", "HTTP requests answered.", {{"code", "4xx"}});
  auto* req_5xx = &m.counter("selfheal_http_requests_total", "HTTP requests answered.", {{"code", "5xx"}});
  svr.set_logger([=](const httplib::Request&, const httplib::Response& res) {
    if (res.status >= 500) req_5xx->inc();
    else if (res.status >= 400) req_4xx->inc();
    else req_2xx->inc();
  });
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("HTTP handler failed. error=\"{}\"", what);
    json_error(res, 500, "internal error");
  });

  // Access control before routing, so before any body is read: a request without a valid token gets
  // 401/403, never a 400 about its body. Refusals are counted per reason.
  auto* denied_401 = &m.counter("selfheal_http_denied_total", "Requests refused by access control.", {{"code", "401"}});
  auto* denied_403 = &m.counter("selfheal_http_denied_total", "Requests refused by access control.", {{"code", "403"}});
  svr.set_pre_routing_handler([this, denied_401, denied_403](const httplib::Request& req, httplib::Response& res) {
    auto d = decide_access(ctx_, req);
    if (!answer_denied(d, res)) return httplib::Server::HandlerResponse::Unhandled;
    (d.status == 401 ? denied_401 : denied_403)->inc();
    return httplib::Server::HandlerResponse::Handled;
  });

  // Anything unanswered (unknown path, wrong method) still gets a JSON error body.
  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    // httplib refuses a POST that has neither Content-Length nor chunked encoding (after access control).
    if (res.status == 400 && req.method == "POST" && !req.has_header("Content-Length") &&
        !req.has_header("Transfer-Encoding"))
      return json_error(res, 411, "a POST needs a Content-Length header (Content-Length: 0 for no body)");
    json_error(res, res.status, res.status == 404 ? "no such endpoint" : "request failed");
  });

  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"alive\"}", "application/json");
  });
  svr.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    // Each check is its component's real state: thread alive, last run and last error (ComponentHealth).
    nlohmann::json checks = nlohmann::json::object();
    bool ready = true;
    auto integrity = ctx_.store.fingerprint_count();
    checks["store"] = {{"status", integrity ? "ok" : integrity.error().message}};
    ready = ready && integrity.has_value();
    for (const auto& c : ctx_.components) {
      const auto h = c->health();
      checks[std::string(c->name())] = {
          {"status", h.status},
          {"running", h.running},
          {"last_run", h.last_run_ms ? nlohmann::json(format_rfc3339(h.last_run_ms)) : nlohmann::json(nullptr)},
          {"last_error", h.last_error}};
      ready = ready && h.ok;
    }
    res.status = ready ? 200 : 503;
    res.set_content(nlohmann::json{{"ready", ready}, {"checks", checks}}.dump(), "application/json");
  });
  svr.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(ctx_.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });

  mount_loki_routes(svr, ctx_);
  mount_fingerprint_routes(svr, ctx_);
  mount_healing_routes(svr, ctx_);
  mount_suggestion_routes(svr, ctx_);
  mount_ui_routes(svr, ctx_);
}

HttpServer::~HttpServer() { stop(); }

Result<int> HttpServer::bind(const std::string& host, int port) {
  if (!tls_loaded_) return tls_loaded_.error();
  if (!svr_->is_valid()) return Error{ErrorCode::config, "server.tls: OpenSSL refused the TLS settings"};
  if (creds_) spdlog::info("TLS enabled. min_version={} {}", ctx_.config.server.tls.min_version, creds_->describe());
  int bound = port;
  if (port == 0) {
    bound = svr_->bind_to_any_port(host);
  } else if (!svr_->bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0)
    return Error{ErrorCode::unavailable, "cannot listen on " + host + ":" + std::to_string(port) +
                                             " (address in use or not permitted)"};
  // Debian's libcpp-httplib is compiled with a listen backlog of 5: many shippers connecting at once
  // overflow it and wait for SYN retransmits (1 s, 2 s, ...). listen() again raises it (the kernel
  // caps it at net.core.somaxconn).
  if (listen_fd_ >= 0 && ::listen(listen_fd_, 1024) != 0)
    spdlog::warn("Could not raise the listen backlog; bursts of new connections may wait for SYN retries. backlog=5");
  return bound;
}

void HttpServer::run() { svr_->listen_after_bind(); }

void HttpServer::stop() {
  if (svr_ && svr_->is_running()) svr_->stop();
}

httplib::Server& HttpServer::raw() { return *svr_; }

Result<void> HttpServer::reload_tls() {
  if (!creds_) return Error{ErrorCode::config, "no TLS configured (server.tls)"};
  auto r = creds_->load();
  ctx_.metrics.counter("selfheal_http_tls_reloads_total", "TLS certificate reloads (SIGHUP).", {{"result", r ? "ok" : "error"}}).inc();
  if (r) spdlog::info("TLS certificate reloaded. {}", creds_->describe());
  return r;
}

}  // namespace selfheal::app
