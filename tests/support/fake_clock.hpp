#pragma once
// Manually advanced clock for tests: time-based code takes a Clock& (schema/clock.hpp), so tests move
// time by hand and never sleep.
#include <atomic>
#include <chrono>
#include <cstdint>

#include "schema/clock.hpp"

namespace selfheal {

/// Thread-safe.
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
