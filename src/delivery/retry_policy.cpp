#include "delivery/retry_policy.h"

#include <algorithm>

namespace duplex {

std::optional<UnixMs> RetryPolicy::NextDelay(int attempts_made, std::mt19937_64& rng) const {
  if (attempts_made < 1 || attempts_made >= MaxAttempts()) return std::nullopt;
  UnixMs base = schedule_ms[static_cast<std::size_t>(attempts_made)];
  if (base == 0 || jitter <= 0) return base;
  std::uniform_real_distribution<double> dist(1.0 - jitter, 1.0 + jitter);
  return std::max<UnixMs>(0, static_cast<UnixMs>(static_cast<double>(base) * dist(rng)));
}

UnixMs RetryPolicy::HintDelay(UnixMs hint_ms, std::mt19937_64& rng) const {
  hint_ms = std::max<UnixMs>(hint_ms, 0);
  if (jitter <= 0) return hint_ms;
  std::uniform_real_distribution<double> dist(0.0, jitter);
  return hint_ms +
         static_cast<UnixMs>(static_cast<double>(std::max<UnixMs>(hint_ms, 100)) * dist(rng));
}

}  // namespace duplex
