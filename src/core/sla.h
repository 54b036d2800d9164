// First-response SLA and author reach: pure functions over explicit instants (no clock
// reads), so every rule is tested with chosen times.
//
// A conversation's SLA clock starts at its first customer message, and again whenever it is
// reopened (by a customer message or by staff): each cycle gets its own deadline,
// start + first_response (the route's override if configured). The first staff reply of the
// cycle that reached the platform stops the clock. Each cycle owes at most two alerts: a
// reminder `remind_before` ahead of the deadline and a breach notice once the deadline has
// passed; a reminder that was not sent before the deadline is skipped, never sent late, and
// there is none when remind_before is 0 or not shorter than the target.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/mention.h"

namespace duplex {

inline constexpr std::int64_t kMinuteMs = 60'000;

struct SlaSettings {
  std::int64_t first_response_ms = 20 * kMinuteMs;
  std::int64_t remind_before_ms = 5 * kMinuteMs;  // 0: no early reminder, only the breach
  std::map<std::string, std::int64_t> route_first_response_ms;  // by route name

  // The target for conversations of `route` ("" = no route, the default channel).
  std::int64_t FirstResponseMs(const std::string& route) const;
  // The least time from a clock's start to its first alert, over every route: a clock
  // started later than now minus this owes nothing yet.
  std::int64_t EarliestAlertMs() const;
};

struct SlaClock {
  UnixMs started_at = 0;
  std::optional<UnixMs> stopped_at;  // the cycle's first reply reached the platform
};

enum class SlaPhase {
  kRunning,  // no reply yet, deadline ahead, not yet within remind_before of it
  kDueSoon,  // no reply yet, within remind_before of the deadline
  kOverdue,  // no reply yet, deadline passed
  kMet,      // answered by the deadline (inclusive)
  kMissed,   // answered after the deadline
};

struct SlaStatus {
  SlaPhase phase = SlaPhase::kRunning;
  std::int64_t target_ms = 0;
  UnixMs due_at = 0;
  std::int64_t left_ms = 0;      // running phases: due_at - now (negative when overdue)
  std::int64_t response_ms = 0;  // kMet / kMissed: how long the first reply took
};

SlaStatus EvaluateSla(const SlaClock& clock, std::int64_t target_ms, std::int64_t remind_before_ms,
                      UnixMs now);

enum class SlaAlert { kNone, kReminder, kBreach };

// What the cycle is owed at `now`, given what was already sent in it.
SlaAlert DueSlaAlert(const SlaClock& clock, std::int64_t target_ms, std::int64_t remind_before_ms,
                     bool reminder_sent, bool breach_sent, UnixMs now);

// Authors with at least `vip_followers` followers; unknown reach is never VIP.
bool IsVip(const Author& author, std::int64_t vip_followers);

// The order of `queue`: VIPs first, then the longest waiting, then the lower ref.
struct QueueOrderKey {
  bool vip = false;
  UnixMs waiting_since = 0;
  std::int64_t ref = 0;
};
bool QueueBefore(const QueueOrderKey& a, const QueueOrderKey& b);

}  // namespace duplex
