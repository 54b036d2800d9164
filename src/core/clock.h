// Clock: the only way domain and delivery code learns the time, so tests can drive it.
// Times are unix epoch milliseconds throughout duplex (and in the database).
#pragma once

#include <cstdint>
#include <string>

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

// `at` in UTC as strftime writes it with `format` ("2024-05-01 14:02 UTC" by default).
std::string FormatUtc(UnixMs at, const char* format = "%Y-%m-%d %H:%M UTC");

}  // namespace duplex
