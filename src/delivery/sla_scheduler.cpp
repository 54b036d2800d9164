#include "delivery/sla_scheduler.h"

#include <chrono>

#include "commands/conversation_view.h"
#include "commands/notices.h"
#include "core/log.h"

namespace duplex {

SlaScheduler::SlaScheduler(SlaSchedulerDeps deps) : deps_(std::move(deps)) {}

SlaScheduler::~SlaScheduler() {
  Stop();
}

int SlaScheduler::Tick() {
  // One pass at a time (the timer's and a caller's, such as a test's RunSlaCheck): two at
  // once would race on the lease, and the one that read the clock first could leave it
  // looking expired to the other mid-pass.
  std::lock_guard pass(tick_mu_);
  const UnixMs now = deps_.clock->NowMs();
  if (deps_.lease != nullptr && !deps_.lease->Hold(now)) return 0;
  auto candidates = deps_.store->ListSlaCandidates(now - deps_.sla.EarliestAlertMs(), deps_.batch);
  if (!candidates.ok()) {
    log::Warn("SLA check skipped", {{"error", candidates.status().message()}});
    return 0;
  }
  int queued = 0;
  for (const Conversation& c : *candidates) {
    // A pass longer than the lease must not go on beside the instance that took over.
    if (deps_.lease != nullptr && !deps_.lease->Holding(deps_.clock->NowMs())) break;
    const std::int64_t target = deps_.sla.FirstResponseMs(c.route);
    const SlaAlert alert =
        DueSlaAlert({c.sla_started_at, c.sla_stopped_at}, target, deps_.sla.remind_before_ms,
                    c.sla_reminded_at.has_value(), c.sla_breached_at.has_value(), now);
    if (alert == SlaAlert::kNone) continue;
    const SlaStatus status = ConversationSla(c, deps_.sla, now);
    SlaAlertRecord record;
    record.conversation_id = c.id;
    record.breach = alert == SlaAlert::kBreach;
    record.cycle_started_at = c.sla_started_at;
    record.notice = record.breach ? notices::SlaBreach(*deps_.dialect, c.id, status, c.assignee)
                                  : notices::SlaReminder(*deps_.dialect, c.id, status, c.assignee);
    auto recorded = deps_.store->RecordSlaAlert(record, now);
    if (!recorded.ok()) {
      log::Warn("SLA alert not recorded",
                {{"conversation", c.id}, {"error", recorded.status().message()}});
      break;
    }
    if (*recorded) {
      ++queued;
      log::Info(record.breach ? "SLA breached" : "SLA reminder", {{"conversation", c.id}});
    }
  }
  if (queued > 0 && deps_.wake_delivery) deps_.wake_delivery();
  return queued;
}

void SlaScheduler::Start(int interval_ms) {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this, interval_ms] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      Tick();
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [&] { return stopping_; });
    }
  });
}

void SlaScheduler::Stop() {
  bool running = false;
  {
    std::lock_guard lock(mu_);
    running = thread_.joinable();
    stopping_ = true;
  }
  if (running) {
    cv_.notify_all();
    thread_.join();
  }
  if (deps_.lease != nullptr) deps_.lease->Release();
}

}  // namespace duplex
