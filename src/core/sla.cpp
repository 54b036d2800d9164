#include "core/sla.h"

#include <algorithm>
#include <tuple>

namespace duplex {
namespace {

// A reminder as long as the target itself would fire the moment the mention arrives: noise.
bool RemindsEarly(std::int64_t target_ms, std::int64_t remind_before_ms) {
  return remind_before_ms > 0 && remind_before_ms < target_ms;
}

}  // namespace

std::int64_t SlaSettings::FirstResponseMs(const std::string& route) const {
  auto it = route_first_response_ms.find(route);
  return it == route_first_response_ms.end() ? first_response_ms : it->second;
}

std::int64_t SlaSettings::EarliestAlertMs() const {
  std::int64_t shortest = first_response_ms;
  for (const auto& [route, ms] : route_first_response_ms) shortest = std::min(shortest, ms);
  return std::max<std::int64_t>(0, shortest - remind_before_ms);
}

SlaStatus EvaluateSla(const SlaClock& clock, std::int64_t target_ms, std::int64_t remind_before_ms,
                      UnixMs now) {
  SlaStatus s;
  s.target_ms = target_ms;
  s.due_at = clock.started_at + target_ms;
  if (clock.stopped_at) {
    s.response_ms = *clock.stopped_at - clock.started_at;
    s.phase = *clock.stopped_at <= s.due_at ? SlaPhase::kMet : SlaPhase::kMissed;
    return s;
  }
  s.left_ms = s.due_at - now;
  if (s.left_ms < 0) {
    s.phase = SlaPhase::kOverdue;
  } else if (RemindsEarly(target_ms, remind_before_ms) && s.left_ms <= remind_before_ms) {
    s.phase = SlaPhase::kDueSoon;
  } else {
    s.phase = SlaPhase::kRunning;
  }
  return s;
}

SlaAlert DueSlaAlert(const SlaClock& clock, std::int64_t target_ms, std::int64_t remind_before_ms,
                     bool reminder_sent, bool breach_sent, UnixMs now) {
  if (clock.stopped_at || breach_sent) return SlaAlert::kNone;
  const UnixMs due_at = clock.started_at + target_ms;
  // "Once when it passes": the breach is owed from the first instant after the deadline.
  if (now > due_at) return SlaAlert::kBreach;
  if (reminder_sent || !RemindsEarly(target_ms, remind_before_ms)) return SlaAlert::kNone;
  return now >= due_at - remind_before_ms ? SlaAlert::kReminder : SlaAlert::kNone;
}

bool IsVip(const Author& author, std::int64_t vip_followers) {
  return author.followers.has_value() && *author.followers >= vip_followers;
}

bool QueueBefore(const QueueOrderKey& a, const QueueOrderKey& b) {
  return std::make_tuple(!a.vip, a.waiting_since, a.ref) <
         std::make_tuple(!b.vip, b.waiting_since, b.ref);
}

}  // namespace duplex
