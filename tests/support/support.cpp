#include "tests/support/support.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace selfheal::test {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  auto base = std::filesystem::temp_directory_path();
  path_ = base / ("selfheal-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
                  std::to_string(rd() % 100000));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

namespace {
std::vector<char*> make_envp(const std::map<std::string, std::string>& extra, std::vector<std::string>& storage) {
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos && extra.count(kv.substr(0, eq))) continue;
    storage.push_back(kv);
  }
  for (const auto& [k, v] : extra) storage.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  return envp;
}
}  // namespace

RunResult run(const std::vector<std::string>& argv, const std::string& stdin_data,
              const std::map<std::string, std::string>& env, std::chrono::milliseconds timeout) {
  int in[2], out[2], err[2];
  if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> env_storage;
  auto envp = make_envp(env, env_storage);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(in[1]);
    close(out[0]);
    close(err[0]);
    execve(cargv[0], cargv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  RunResult r;
  std::size_t written = 0;
  if (stdin_data.empty()) {
    close(in[1]);
    in[1] = -1;
  } else {
    fcntl(in[1], F_SETFL, O_NONBLOCK);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out[0], POLLIN, 0});
    if (err_open) fds.push_back({err[0], POLLIN, 0});
    if (in[1] >= 0) fds.push_back({in[1], POLLOUT, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left.count(), 1000)));
    for (auto& p : fds) {
      if (p.fd == in[1] && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t n = write(in[1], stdin_data.data() + written, stdin_data.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if (n < 0 || written >= stdin_data.size()) {
          close(in[1]);
          in[1] = -1;
        }
      } else if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(p.fd, buf, sizeof buf);
        if (n <= 0) {
          if (p.fd == out[0]) out_open = false;
          else err_open = false;
        } else {
          (p.fd == out[0] ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
        }
      }
    }
  }
  if (in[1] >= 0) close(in[1]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string selfheal_binary() {
  if (const char* p = std::getenv("SELFHEAL_BIN")) return p;
  return SELFHEAL_BINARY_PATH;
}

ServeProcess::ServeProcess(const std::string& data_dir, const std::string& config_file,
                           const std::map<std::string, std::string>& env, std::vector<std::string> extra_args) {
  log_path_ = data_dir + "/serve-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
              ".log";
  std::vector<std::string> args = {selfheal_binary(), "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir};
  if (!config_file.empty()) {
    args.push_back("--config");
    args.push_back(config_file);
  }
  for (auto& a : extra_args) args.push_back(a);
  std::vector<std::string> env_storage;
  auto envp = make_envp(env, env_storage);
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::filesystem::create_directories(data_dir);
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    dup2(fd, 1);
    execve(cargv[0], cargv.data(), envp.data());
    _exit(127);
  }
  static const std::regex listening(R"(Listening\. address=[^ ]*:(\d+))");
  bool ok = wait_until(
      [&] {
        std::smatch m;
        std::string l = log();
        if (std::regex_search(l, m, listening)) {
          port_ = std::stoi(m[1]);
          return true;
        }
        return !running();
      },
      std::chrono::seconds(20));
  if (!ok || port_ == 0) {
    std::string l = log();
    stop(SIGKILL);
    throw std::runtime_error("selfheal serve did not start:\n" + l);
  }
  // A TLS server is probed by its test (with its CA file).
  if (log().find(" tls=on ") == std::string::npos &&
      !wait_until([&] { return http_get(base_url(), "/healthz").status == 200; }, std::chrono::seconds(10))) {
    std::string l = log();
    stop(SIGKILL);
    throw std::runtime_error("selfheal serve did not answer /healthz within 10 s:\n" + l);
  }
}

ServeProcess::~ServeProcess() {
  if (!exit_code_ && pid_ > 0) stop(SIGKILL);
}

bool ServeProcess::running() {
  if (exit_code_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return false;
  }
  return true;
}

int ServeProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (exit_code_) return *exit_code_;
  kill(pid_, sig);
  if (!wait_until([&] { return !running(); }, timeout)) {
    kill(pid_, SIGKILL);
    wait_until([&] { return !running(); }, std::chrono::seconds(5));
  }
  return exit_code_.value_or(-1);
}

std::string ServeProcess::log() const { return read_file(log_path_); }

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return {};
}

namespace {
HttpResponse convert(const httplib::Result& r) {
  HttpResponse out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  for (const auto& [k, v] : r->headers) out.headers.emplace(k, v);
  return out;
}
httplib::Headers to_headers(const std::map<std::string, std::string>& h) {
  httplib::Headers out;
  for (const auto& [k, v] : h) out.emplace(k, v);
  return out;
}
}  // namespace

HttpResponse http_get(const std::string& base_url, const std::string& path,
                      const std::map<std::string, std::string>& headers) {
  httplib::Client c(base_url);
  c.set_connection_timeout(5);
  c.set_read_timeout(30);
  return convert(c.Get(path, to_headers(headers)));
}

HttpResponse http_post(const std::string& base_url, const std::string& path, const std::string& body,
                       const std::string& content_type, const std::map<std::string, std::string>& headers) {
  httplib::Client c(base_url);
  c.set_connection_timeout(5);
  c.set_read_timeout(30);
  return convert(c.Post(path, to_headers(headers), body, content_type));
}

std::int64_t source_lines(const std::string& base_url, const std::string& source) {
  auto r = http_get(base_url, "/api/v1/stats");
  if (r.status != 200) return -1;
  const auto j = nlohmann::json::parse(r.body);
  auto it = j["by_source"].find(source);
  return it == j["by_source"].end() ? 0 : (*it)["lines"].get<std::int64_t>();
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

}  // namespace selfheal::test
