// `selfheal serve`: the composition root. Opens the store, builds the pipeline, mounts the HTTP API,
// starts every component and shuts down in order on SIGTERM/SIGINT:
//   stop accepting HTTP -> stop components (sources drain and hand over) -> final flush -> exit 0.
#include "app/service.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

#include "app/context.hpp"
#include "app/fingerprinting.hpp"
#include "app/hooks.hpp"
#include "app/maintenance.hpp"
#include "app/pipeline.hpp"
#include "app/server.hpp"
#include "app/storage.hpp"
#include "app/learner.hpp"
#include "app/store_admin.hpp"
#include "app/upgrade.hpp"
#include "fingerprint/fingerprint.hpp"
#include "schema/log.hpp"

namespace selfheal::app {

namespace {

// One data directory, one process: two healers and learners on one store would act twice. An
// exclusive flock on <data_dir>/selfheal.lock, held (fd open, close-on-exec so no action's child
// inherits it) until the process ends; the kernel releases it on any exit, kill -9 included.
class DataDirLock {
 public:
  static Result<DataDirLock> take(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(ErrorCode::unavailable, "cannot create data dir " + dir + ": " + ec.message());
    const std::string path = dir + "/selfheal.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return make_error(ErrorCode::unavailable, "cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char buf[32] = {};
      const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
      ::close(fd);
      std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      if (err == EWOULDBLOCK)
        return make_error(ErrorCode::conflict, "data dir " + dir + " is in use by another selfheal serve" +
                                             (holder.empty() ? std::string() : " (pid " + holder + ")") +
                                             "; one data directory serves one process (lock " + path + ")");
      return make_error(ErrorCode::unavailable, "cannot lock " + path + ": " + std::strerror(err));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      // The lock is what counts; the pid is only for the message of a second process.
    }
    return DataDirLock(fd);
  }
  DataDirLock(DataDirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  DataDirLock& operator=(DataDirLock&&) = delete;
  ~DataDirLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace

int run_serve(const Config& cfg) {
  // Block the stop signals in every thread; the main thread waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);  // reloads the TLS certificate (server.tls)
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // glibc gives every thread that allocates its own arena (up to 8 per core); with hundreds of HTTP
  // threads, memory freed after a push stays spread over them (measured: 228 MB vs 108 MB RSS at
  // 100,000 fingerprints, bench/serve_memory.py). Two arenas per core keep that bounded.
  mallopt(M_ARENA_MAX, static_cast<int>(2 * std::max(1u, std::thread::hardware_concurrency())));
  auto lock = DataDirLock::take(cfg.storage.data_dir);
  if (!lock) {
    spdlog::error("Cannot take the data dir. error=\"{}\"", lock.error().message);
    return 1;
  }
  SystemClock clock;
  Metrics metrics;
  auto opened = open_stores(cfg, clock);
  if (!opened) {
    spdlog::error("Cannot open the store. error=\"{}\"", opened.error().message);
    return opened.error().code == ErrorCode::config ? 2 : 1;
  }
  Stores& stores = **opened;
  Store& store = stores.store();
  auto fp = std::make_shared<Fingerprinting>(cfg.fingerprint);
  // Before any event: ids an older fingerprint algorithm made keep their fingerprints (app/upgrade.hpp).
  if (auto up = upgrade_fingerprint_ids(stores, *fp, fingerprint::algorithm_version); !up) {
    spdlog::error("Cannot upgrade fingerprint ids. error=\"{}\"", up.error().message);
    return 1;
  } else if (up->rows > 0) {
    spdlog::info("Upgraded fingerprint ids. algorithm={} rows={} same={} mapped={} joined={} unmapped={}",
                 fingerprint::algorithm_version, up->rows, up->same, up->mapped, up->joined, up->unmapped);
  }
  load_merges(stores.lifecycle(), *fp);
  Pipeline pipeline(cfg, store, clock, metrics, fp);

  auto auth = Authenticator::from_env(cfg.api.tokens);
  if (!auth) {
    spdlog::error("Cannot set up API access control. error=\"{}\"", auth.error().message);
    return 2;
  }
  AppContext ctx{cfg, clock, metrics, stores, store, pipeline, std::move(*auth), {}, fp};
  auto redactor = Redactor::create(cfg.llm.redact);  // validated by the config loader
  if (!redactor) {
    spdlog::error("Cannot build the redactor. error=\"{}\"", redactor.error().message);
    return 2;
  }
  ctx.redactor = std::move(redactor).value();

  auto& fps_known = metrics.gauge("selfheal_store_fingerprints", "Distinct fingerprints known to the store.");
  auto& dead = metrics.gauge("selfheal_store_dead_letters", "Dead letters kept in the store.");
  metrics.on_collect([&store, &fps_known, &dead] {
    if (auto n = store.fingerprint_count()) fps_known.set(static_cast<double>(*n));
    if (auto n = store.dead_letter_count()) dead.set(static_cast<double>(*n));
  });

  HttpServer server(ctx);
  auto bound = server.bind(cfg.server.host, cfg.server.port);
  if (!bound) {
    spdlog::error("Cannot start the HTTP server. error=\"{}\"", bound.error().message);
    return 1;
  }
  ctx.components.push_back(make_maintenance_component(ctx));
  if (cfg.fingerprint.learn_interval_ms > 0) ctx.components.push_back(make_learner_component(ctx));
  for (auto* add : {&add_ingest_components, &add_healer_components, &add_llm_components}) {
    auto r = add(ctx);
    if (!r) {
      spdlog::error("Cannot build a component. error=\"{}\"", r.error().message);
      return r.error().code == ErrorCode::config ? 2 : 1;
    }
  }
  pipeline.start();
  std::size_t started = 0;
  for (auto& c : ctx.components) {
    auto r = c->start();
    if (!r) {
      spdlog::error("Cannot start a component. component={} error=\"{}\"", c->name(), r.error().message);
      for (std::size_t i = started; i-- > 0;) ctx.components[i]->stop();
      pipeline.stop();
      return 1;
    }
    ++started;
  }
  std::thread http([&server] { server.run(); });
  spdlog::info("Listening. address={}:{} tls={} data_dir={} store=\"{}\" schema_version={} components={}",
               cfg.server.host, *bound, server.tls() ? "on" : "off", cfg.storage.data_dir, storage_location(stores),
               stores.schema_version(), ctx.components.size());

  int sig = 0;
  for (;;) {
    sigwait(&stop_signals, &sig);
    if (sig != SIGHUP) break;
    if (auto r = server.reload_tls(); !r)
      spdlog::error("TLS certificate not reloaded; the previous one stays in use. error=\"{}\"", r.error().message);
  }
  spdlog::info("Stopping. signal={}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  server.stop();
  if (http.joinable()) http.join();
  for (auto it = ctx.components.rbegin(); it != ctx.components.rend(); ++it) (*it)->stop();
  pipeline.stop();
  spdlog::info("Stopped cleanly. committed_ticket={}", pipeline.durable_ticket());
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace selfheal::app
