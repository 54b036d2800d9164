// Pacing: how many calls a target (a chat channel, a platform account) may take, as a pure
// rule over one small record per target, so every place that keeps that record — this
// process's memory, or a database row shared by several instances (storage/store.h,
// PacingStore) — paces alike.
//
// The rule is GCRA, the "generic cell rate algorithm": a token bucket of `burst` tokens
// refilled at `per_second`, kept as one number per target, the theoretical arrival time (TAT)
// of the next call at the steady rate. A call at `now` is admitted when the TAT is no further
// ahead of `now` than the burst allows, and then moves the TAT on by one interval. One number
// means one conditional UPDATE in SQL: no read-modify-write, no lost update. A remote's
// "slow down" holds the target back until `blocked_until` on top of that.
#pragma once

#include "core/clock.h"

namespace duplex {

struct RateLimit {
  double per_second = 1.0;  // > 0
  double burst = 3.0;       // >= 1
};

struct PaceState {
  double tat = 0;  // epoch ms, fractional: intervals of 1000 / per_second do not round
  UnixMs blocked_until = 0;
};

struct Admission {
  bool granted = false;
  UnixMs next_at = 0;  // when the next call would be admitted (after this one, if granted)
};

// Milliseconds between calls at the steady rate.
double PaceInterval(const RateLimit& limit);
// How far the TAT may run ahead of now and still admit a call: (burst - 1) intervals.
double PaceTolerance(const RateLimit& limit);
// Admits a call at `now` if the state allows one, updating the state.
Admission TakePace(PaceState& state, const RateLimit& limit, UnixMs now);
// When the next call is admitted, given the state after the last one: whole milliseconds,
// never before `now` or `blocked_until`.
UnixMs NextPaceAt(const PaceState& state, const RateLimit& limit, UnixMs now);

}  // namespace duplex
