#pragma once
// Injected time. Everything time-based takes a Clock& so tests use FakeClock and never sleep.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace selfheal {

/// Milliseconds since the Unix epoch (UTC). The one time unit stored and passed between modules.
using UnixMs = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time in ms since epoch. Thread-safe.
  virtual UnixMs now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixMs now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

/// Manually advanced clock for tests. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixMs start = 1'700'000'000'000) : now_(start) {}
  UnixMs now_ms() const override { return now_.load(); }
  void set(UnixMs t) { now_.store(t); }
  void advance_ms(std::int64_t d) { now_.fetch_add(d); }
  void advance(std::chrono::milliseconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<UnixMs> now_;
};

}  // namespace selfheal
