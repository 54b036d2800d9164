// `stats` maths: volume, first-response percentiles, SLA share and reach over the rows the
// store supplies for a window. Pure: the rows and the instants are given.
//
// Definitions (docs/commands-staff.md repeats them for users):
// - volume counts customer messages received in the window, per platform and per route;
// - response times and the SLA share cover conversations that began in the window; the
//   response time is first reply on the platform − first customer message;
// - a conversation meets the SLA when that reply came within its route's target; one still
//   unanswered past its deadline misses it; one unanswered before its deadline is pending;
//   one closed without any reply is left out (staff decided it needed none);
// - percentiles are nearest-rank: the smallest value with at least q of the values at or
//   below it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/mention.h"
#include "core/sla.h"

namespace duplex {

// One conversation that received customer messages in the window.
struct StatsRow {
  std::int64_t conversation_id = 0;
  std::string platform;
  std::string route;  // "" = default channel
  Author author;      // who started it
  UnixMs created_at = 0;
  std::optional<UnixMs> first_response_at;
  bool closed = false;
  std::int64_t messages_in_window = 0;  // customer messages received in the window
};

struct VolumeCount {
  std::string key;  // platform or route name ("" = no route)
  std::int64_t messages = 0;
  std::int64_t conversations = 0;
};

struct AuthorReach {
  std::string platform;
  Author author;
  std::int64_t conversations = 0;
};

struct StatsReport {
  std::int64_t messages = 0;
  std::int64_t new_conversations = 0;
  std::vector<VolumeCount> by_platform;  // most messages first, then by name
  std::vector<VolumeCount> by_route;
  std::int64_t answered = 0;  // of the new conversations
  std::optional<std::int64_t> p50_ms;
  std::optional<std::int64_t> p90_ms;
  std::int64_t sla_met = 0;
  std::int64_t sla_missed = 0;
  std::int64_t sla_pending = 0;
  std::int64_t closed_unanswered = 0;
  std::vector<AuthorReach> top_authors;  // most followers first; unknown reach left out
};

// Nearest-rank percentile, q in (0, 1]; nullopt for no values.
std::optional<std::int64_t> Percentile(std::vector<std::int64_t> values, double q);

StatsReport ComputeStats(const std::vector<StatsRow>& rows, UnixMs since, UnixMs now,
                         const SlaSettings& sla, std::size_t top_authors);

}  // namespace duplex
