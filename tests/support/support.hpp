#pragma once
// Test fixtures shared by every suite: temp dirs, waiting on conditions (never bare sleeps),
// running the real `selfheal` binary, and small HTTP helpers.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace selfheal::test {

/// A fresh directory under $TMPDIR, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// Polls `pred` every 10 ms until it is true or `timeout` passes. Returns the last value of pred.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));

void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);

/// Result of running a command to completion.
struct RunResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};
/// Runs argv (no shell) with optional stdin and extra environment; waits up to timeout.
RunResult run(const std::vector<std::string>& argv, const std::string& stdin_data = {},
              const std::map<std::string, std::string>& env = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// Path of the built selfheal binary.
std::string selfheal_binary();

/// `selfheal serve` as a child process on 127.0.0.1 port 0, its data in `data_dir`.
class ServeProcess {
 public:
  /// Starts and waits until the bound port is logged and /healthz answers. Throws on failure.
  explicit ServeProcess(const std::string& data_dir, const std::string& config_file = {},
                        const std::map<std::string, std::string>& env = {}, std::vector<std::string> extra_args = {});
  ~ServeProcess();
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }
  /// Sends a signal and waits for exit; returns the exit code (-1 if killed by a signal).
  int stop(int sig = 15, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool running();
  /// Everything the process wrote to stderr so far.
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
  std::optional<int> exit_code_;
};

struct HttpResponse {
  int status = 0;  // 0: connection failed
  std::string body;
  std::multimap<std::string, std::string> headers;
  std::string header(const std::string& name) const;
};
HttpResponse http_get(const std::string& base_url, const std::string& path,
                      const std::map<std::string, std::string>& headers = {});
HttpResponse http_post(const std::string& base_url, const std::string& path, const std::string& body,
                       const std::string& content_type = "application/json",
                       const std::map<std::string, std::string>& headers = {});

/// The lines a running `selfheal serve` counted for `source` (its /api/v1/stats): 0 while it has
/// none, -1 when the server does not answer 200.
std::int64_t source_lines(const std::string& base_url, const std::string& source);

/// Binds 127.0.0.1:0, returns a free port number (closing the socket); prefer port 0 where possible.
int free_port();

}  // namespace selfheal::test
