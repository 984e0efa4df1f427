#include "healer/actions/exec_action.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "healer/strategy.hpp"

namespace selfheal::healer {

namespace {

std::string field_value(const Fields& fields, std::string_view name, bool& found) {
  for (const auto& [k, v] : fields)
    if (k == name) {
      found = true;
      return v;
    }
  found = false;
  return {};
}

struct Fd {
  int fd = -1;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

Result<std::vector<std::string>> build_argv(const ExecSpec& spec, const Fields& fields) {
  if (spec.argv.empty()) return make_error(ErrorCode::config, "exec: empty argv");
  std::vector<std::string> out;
  out.reserve(spec.argv.size());
  for (const auto& el : spec.argv) {
    const auto name = placeholder_name(el);
    if (name.empty()) {
      out.push_back(el);
      continue;
    }
    if (!is_argv_field(name))
      return make_error(ErrorCode::bad_input, "exec: field {" + std::string(name) + "} may not be used in argv");
    bool found = false;
    std::string v = field_value(fields, name, found);
    if (const std::string why = unsafe_value_reason(v); !why.empty())
      return make_error(ErrorCode::bad_input,
                        "exec: value of {" + std::string(name) + "} " + why + "; nothing was run");
    out.push_back(std::move(v));
  }
  return out;
}

Result<ActionOutcome> run_exec(const ExecSpec& spec, const Fields& fields, std::stop_token stop) {
  auto argv = build_argv(spec, fields);
  if (!argv) return argv.error();
  const auto started = std::chrono::steady_clock::now();
  ActionOutcome out;

  // Everything the child needs is prepared before fork: after fork only async-signal-safe calls.
  std::vector<char*> cargv;
  for (auto& a : *argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> env;
  for (const auto& name : spec.env_allow)
    if (const char* v = std::getenv(name.c_str())) env.push_back(name + "=" + v);
  std::vector<char*> cenv;
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  struct rlimit rl {};
  int max_fd = 1024;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    max_fd = static_cast<int>(std::min<rlim_t>(rl.rlim_cur, 65536));

  int outp[2], errp[2];
  if (::pipe2(outp, O_CLOEXEC) != 0) {
    out.transient = true;
    out.error = std::string("pipe: ") + std::strerror(errno);
    return out;
  }
  Fd out_r{outp[0]}, out_w{outp[1]};
  if (::pipe2(errp, O_CLOEXEC) != 0) {
    out.transient = true;
    out.error = std::string("pipe: ") + std::strerror(errno);
    return out;
  }
  Fd err_r{errp[0]}, err_w{errp[1]};

  const pid_t pid = ::fork();
  if (pid < 0) {
    out.transient = true;
    out.error = std::string("fork: ") + std::strerror(errno);
    return out;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(outp[1], 1);
    ::dup2(outp[1], 2);
    for (int fd = 3; fd < max_fd; ++fd)
      if (fd != errp[1]) ::close(fd);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(cargv[0], cargv.data(), cenv.data());
    int e = errno;
    ssize_t ignored = ::write(errp[1], &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so the kill below cannot race the child's own call
  out_w.reset();
  err_w.reset();

  // Did execve succeed? The CLOEXEC error pipe closes on success, or carries errno.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_r.fd, &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    out.transient = false;
    out.code = 127;
    out.error = "cannot execute " + (*argv)[0] + ": " + std::strerror(exec_errno);
    out.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    return out;
  }

  const auto deadline = started + std::chrono::milliseconds(spec.timeout_ms);
  const std::size_t cap = static_cast<std::size_t>(std::max<std::int64_t>(spec.max_output_bytes, 0));
  bool truncated = false, timed_out = false, stopped = false;
  char buf[4096];
  while (out_r.fd >= 0) {
    if (stop.stop_requested()) {
      stopped = true;
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    pollfd p{out_r.fd, POLLIN, 0};
    int pr = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, 50)));
    if (pr < 0 && errno != EINTR) break;
    if (pr <= 0) continue;
    n = ::read(out_r.fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      out_r.reset();
      break;
    }
    const std::size_t room = cap > out.output.size() ? cap - out.output.size() : 0;
    if (static_cast<std::size_t>(n) > room) truncated = true;
    out.output.append(buf, std::min<std::size_t>(room, static_cast<std::size_t>(n)));  // keep draining
  }

  int status = 0;
  if (timed_out || stopped) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  } else {
    // Output closed: the child exited or closed its stdout. Wait for it within the deadline.
    while (true) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) break;
      if (stop.stop_requested() || std::chrono::steady_clock::now() >= deadline) {
        timed_out = !stop.stop_requested();
        stopped = stop.stop_requested();
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        break;
      }
      pollfd none{-1, 0, 0};
      ::poll(&none, 0, 10);
    }
  }
  if (truncated) out.output += "\n[output truncated]";
  out.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (timed_out) {
    out.code = -SIGKILL;
    out.transient = true;
    out.error = "timed out after " + std::to_string(spec.timeout_ms) + " ms; killed";
    return out;
  }
  if (stopped) {
    out.code = -SIGKILL;
    out.transient = true;
    out.error = "stopped (shutdown); killed";
    return out;
  }
  if (WIFEXITED(status)) {
    out.code = WEXITSTATUS(status);
    out.success = out.code == 0;
    if (!out.success) out.error = "exit status " + std::to_string(out.code);
  } else if (WIFSIGNALED(status)) {
    out.code = -WTERMSIG(status);
    out.error = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return out;
}

}  // namespace selfheal::healer
