// SLA maths and reach (core/sla.h) at chosen instants: phases, alerts, per-route targets,
// VIPs and the queue order.
#include <doctest/doctest.h>

#include <algorithm>

#include "core/sla.h"

namespace duplex {

namespace {

constexpr UnixMs kStart = 1'700'000'000'000;
constexpr std::int64_t kTarget = 20 * kMinuteMs;
constexpr std::int64_t kRemind = 5 * kMinuteMs;

SlaAlert Alert(UnixMs now, bool reminded = false, bool breached = false,
               std::optional<UnixMs> stopped = std::nullopt, std::int64_t remind = kRemind) {
  return DueSlaAlert({kStart, stopped}, kTarget, remind, reminded, breached, now);
}

}  // namespace

TEST_CASE("sla: the deadline is the clock start plus the target, phases follow the time left") {
  SlaClock clock{kStart, std::nullopt};
  auto at = [&](UnixMs now) { return EvaluateSla(clock, kTarget, kRemind, now); };
  CHECK(at(kStart).due_at == kStart + kTarget);
  CHECK(at(kStart).phase == SlaPhase::kRunning);
  CHECK(at(kStart).left_ms == kTarget);
  CHECK(at(kStart + 15 * kMinuteMs - 1).phase == SlaPhase::kRunning);
  CHECK(at(kStart + 15 * kMinuteMs).phase == SlaPhase::kDueSoon);
  CHECK(at(kStart + kTarget).phase == SlaPhase::kDueSoon);  // the deadline itself is still in time
  CHECK(at(kStart + kTarget + 1).phase == SlaPhase::kOverdue);
  CHECK(at(kStart + kTarget + 7 * kMinuteMs).left_ms == -7 * kMinuteMs);
}

TEST_CASE(
    "sla: a reply by the deadline meets it, a later one misses it, and time no longer matters") {
  auto met = EvaluateSla({kStart, kStart + kTarget}, kTarget, kRemind, kStart + 999 * kMinuteMs);
  CHECK(met.phase == SlaPhase::kMet);
  CHECK(met.response_ms == kTarget);
  auto missed = EvaluateSla({kStart, kStart + kTarget + 1}, kTarget, kRemind, kStart);
  CHECK(missed.phase == SlaPhase::kMissed);
  CHECK(missed.response_ms == kTarget + 1);
}

TEST_CASE("sla alerts: a reminder remind_before ahead, once, a breach after the deadline, once") {
  CHECK(Alert(kStart) == SlaAlert::kNone);
  CHECK(Alert(kStart + 15 * kMinuteMs - 1) == SlaAlert::kNone);
  CHECK(Alert(kStart + 15 * kMinuteMs) == SlaAlert::kReminder);
  CHECK(Alert(kStart + 15 * kMinuteMs, /*reminded=*/true) == SlaAlert::kNone);
  CHECK(Alert(kStart + kTarget, /*reminded=*/true) == SlaAlert::kNone);
  CHECK(Alert(kStart + kTarget + 1, /*reminded=*/true) == SlaAlert::kBreach);
  CHECK(Alert(kStart + kTarget + 1, true, /*breached=*/true) == SlaAlert::kNone);
  CHECK(Alert(kStart + 100 * kTarget, true, true) == SlaAlert::kNone);
}

TEST_CASE("sla alerts: a reminder not sent before the deadline is skipped, the breach is owed") {
  CHECK(Alert(kStart + kTarget + 1, /*reminded=*/false) == SlaAlert::kBreach);
}

TEST_CASE(
    "sla alerts: the first reply on the platform stops the clock, before or after the deadline") {
  CHECK(Alert(kStart + 16 * kMinuteMs, false, false, kStart + kMinuteMs) == SlaAlert::kNone);
  CHECK(Alert(kStart + kTarget + 1, false, false, kStart + kMinuteMs) == SlaAlert::kNone);
  CHECK(Alert(kStart + kTarget + 1, true, false, kStart + kTarget) == SlaAlert::kNone);
}

TEST_CASE("sla alerts: no early reminder when remind_before is 0 or not shorter than the target") {
  CHECK(Alert(kStart + 19 * kMinuteMs, false, false, std::nullopt, 0) == SlaAlert::kNone);
  CHECK(Alert(kStart + kTarget + 1, false, false, std::nullopt, 0) == SlaAlert::kBreach);
  CHECK(Alert(kStart, false, false, std::nullopt, kTarget) == SlaAlert::kNone);
  CHECK(EvaluateSla({kStart, std::nullopt}, kTarget, kTarget, kStart).phase == SlaPhase::kRunning);
}

TEST_CASE(
    "sla settings: a route's own target overrides the default, the earliest alert covers all") {
  SlaSettings s;
  s.first_response_ms = 20 * kMinuteMs;
  s.remind_before_ms = 5 * kMinuteMs;
  s.route_first_response_ms = {{"vip", 10 * kMinuteMs}, {"slow", 240 * kMinuteMs}};
  CHECK(s.FirstResponseMs("vip") == 10 * kMinuteMs);
  CHECK(s.FirstResponseMs("slow") == 240 * kMinuteMs);
  CHECK(s.FirstResponseMs("") == 20 * kMinuteMs);
  CHECK(s.FirstResponseMs("unknown") == 20 * kMinuteMs);
  CHECK(s.EarliestAlertMs() == 5 * kMinuteMs);
  s.remind_before_ms = 15 * kMinuteMs;
  CHECK(s.EarliestAlertMs() == 0);
}

TEST_CASE("reach: VIP from vip_followers up, unknown reach is never VIP") {
  CHECK(IsVip({"1", "a", "A", 10'000}, 10'000));
  CHECK_FALSE(IsVip({"1", "a", "A", 9'999}, 10'000));
  CHECK_FALSE(IsVip({"1", "a", "A", std::nullopt}, 0));
}

TEST_CASE("queue order: VIPs first, then the longest waiting, then the lower ref") {
  std::vector<QueueOrderKey> keys = {
      {false, 100, 1}, {true, 300, 2}, {false, 50, 3}, {true, 200, 4}, {false, 50, 5}};
  std::sort(keys.begin(), keys.end(), QueueBefore);
  std::vector<std::int64_t> refs;
  for (const auto& k : keys) refs.push_back(k.ref);
  CHECK(refs == std::vector<std::int64_t>{4, 2, 3, 5, 1});
}

}  // namespace duplex
