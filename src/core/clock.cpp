#include "core/clock.h"

#include <chrono>
#include <ctime>

namespace duplex {

UnixMs SystemClock::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatUtc(UnixMs at, const char* format) {
  const std::time_t seconds = static_cast<std::time_t>(at / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, format, &utc);
  return std::string(buf, n);
}

}  // namespace duplex
