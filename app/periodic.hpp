#pragma once
// A Component that runs one function on its own thread every interval (retention, the learner).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/context.hpp"

namespace selfheal::app {

class PeriodicComponent final : public Component {
 public:
  /// `first_run_now`: run once at start, else only after the first interval.
  PeriodicComponent(std::string name, std::chrono::milliseconds interval, bool first_run_now, std::function<void()> fn)
      : name_(std::move(name)), interval_(interval), first_run_now_(first_run_now), fn_(std::move(fn)) {}
  ~PeriodicComponent() override { stop(); }
  std::string_view name() const override { return name_; }
  Result<void> start() override {
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

 private:
  void loop() {
    for (bool run = first_run_now_;; run = true) {
      if (run) fn_();
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    }
  }
  std::string name_;
  std::chrono::milliseconds interval_;
  bool first_run_now_;
  std::function<void()> fn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace selfheal::app
