// RetryPolicy: when to try a failed delivery again. The schedule (Svix's) is the time of
// each attempt after the previous one failed: immediately, 5 s, 5 min, 30 min, 2 h, 5 h,
// 10 h, 10 h; after the last, the delivery is dead-lettered. Each wait gets ±jitter so a
// burst of failures does not retry in lockstep. A remote's own wait hint (Retry-After)
// replaces the schedule for that wait and does not use up an attempt.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "core/clock.h"

namespace duplex {

struct RetryPolicy {
  // Delay before attempt n+1, for n = 1..size (index 0 is the first attempt: immediately).
  std::vector<UnixMs> schedule_ms = {0,         5'000,      300'000,    1'800'000,
                                     7'200'000, 18'000'000, 36'000'000, 36'000'000};
  double jitter = 0.1;  // ± fraction of each wait
  // A delivery older than this is dead-lettered even if rate limits kept it from using up
  // its attempts.
  UnixMs max_age_ms = 48LL * 3600 * 1000;

  int MaxAttempts() const { return static_cast<int>(schedule_ms.size()); }

  // The wait before the next attempt after `attempts_made` counted attempts failed;
  // nullopt when the schedule is used up.
  std::optional<UnixMs> NextDelay(int attempts_made, std::mt19937_64& rng) const;
  // A wait the remote asked for, with a little jitter on top (never less than asked).
  UnixMs HintDelay(UnixMs hint_ms, std::mt19937_64& rng) const;
};

}  // namespace duplex
