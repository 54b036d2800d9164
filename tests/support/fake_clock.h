// FakeClock: a Clock for tests that moves only when the test says so.
#pragma once

#include <atomic>

#include "core/clock.h"

namespace duplex {

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixMs start = 1'700'000'000'000) : now_(start) {}
  UnixMs NowMs() const override { return now_.load(); }
  void Advance(UnixMs ms) { now_ += ms; }
  void Set(UnixMs ms) { now_ = ms; }

 private:
  std::atomic<UnixMs> now_;
};

}  // namespace duplex
