#pragma once
// A Component that runs one function on its own thread every interval (retention, the learner), and
// reports for /readyz whether that thread is alive, when a run last finished and the last run's error.
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/context.hpp"

namespace selfheal::app {

class PeriodicComponent final : public Component {
 public:
  /// `first_run_now`: run once at start, else only after the first interval. `fn` returns its run's
  /// error (kept as last_error until a run succeeds); an exception is caught and kept the same way.
  PeriodicComponent(std::string name, std::chrono::milliseconds interval, bool first_run_now, const Clock& clock,
                    std::function<Result<void>()> fn)
      : name_(std::move(name)), interval_(interval), first_run_now_(first_run_now), clock_(clock), fn_(std::move(fn)) {}
  ~PeriodicComponent() override { stop(); }
  std::string_view name() const override { return name_; }
  Result<void> start() override {
    {
      std::lock_guard lock(mu_);
      if (running_) return make_error(ErrorCode::conflict, name_ + " already started");
      running_ = true;
      stopping_ = false;
    }
    thread_ = std::thread([this] { loop(); });
    return {};
  }
  void stop() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  ComponentHealth health() const override {
    std::lock_guard lock(mu_);
    ComponentHealth h;
    h.running = running_;
    h.ok = running_;
    h.status = running_ ? "ok" : "thread not running";
    h.last_run_ms = last_run_ms_;
    h.last_error = last_error_;
    return h;
  }

 private:
  void loop() {
    for (bool run = first_run_now_;; run = true) {
      if (run) run_once();
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, interval_, [this] { return stopping_; })) break;
    }
    std::lock_guard lock(mu_);
    running_ = false;
  }
  void run_once() {
    std::string error;
    try {
      if (auto r = fn_(); !r) error = r.error().message;
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown exception";
    }
    std::lock_guard lock(mu_);
    last_run_ms_ = clock_.now_ms();
    last_error_ = std::move(error);
  }
  std::string name_;
  std::chrono::milliseconds interval_;
  bool first_run_now_;
  const Clock& clock_;
  std::function<Result<void>()> fn_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;    // Invariant: guarded by mu_
  bool running_ = false;     // Invariant: guarded by mu_; true from start() until loop() returns
  UnixMs last_run_ms_ = 0;   // Invariant: guarded by mu_
  std::string last_error_;   // Invariant: guarded by mu_
  std::thread thread_;
};

}  // namespace selfheal::app
