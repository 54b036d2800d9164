#include "core/pacing.h"

#include <algorithm>
#include <cmath>

namespace duplex {

double PaceInterval(const RateLimit& limit) {
  return 1000.0 / limit.per_second;
}

double PaceTolerance(const RateLimit& limit) {
  return (limit.burst - 1.0) * PaceInterval(limit);
}

Admission TakePace(PaceState& state, const RateLimit& limit, UnixMs now) {
  const double start = std::max(state.tat, static_cast<double>(now));
  const bool granted =
      state.blocked_until <= now && start - static_cast<double>(now) <= PaceTolerance(limit);
  if (granted) state.tat = start + PaceInterval(limit);
  return {granted, NextPaceAt(state, limit, now)};
}

UnixMs NextPaceAt(const PaceState& state, const RateLimit& limit, UnixMs now) {
  const auto steady = static_cast<UnixMs>(std::ceil(state.tat - PaceTolerance(limit)));
  return std::max({now, steady, state.blocked_until});
}

}  // namespace duplex
