#pragma once
// Injected time. Everything time-based takes a Clock& so tests use FakeClock
// (tests/support/fake_clock.hpp) and never sleep.
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

}  // namespace selfheal
