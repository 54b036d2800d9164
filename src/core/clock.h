// Clock: the only way domain and delivery code learns the time, so tests can drive it.
// Times are unix epoch milliseconds throughout duplex (and in the database).
#pragma once

#include <atomic>
#include <cstdint>

namespace duplex {

using UnixMs = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMs NowMs() const = 0;
  UnixMs NowSeconds() const { return NowMs() / 1000; }
};

class SystemClock final : public Clock {
 public:
  UnixMs NowMs() const override;
};

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
