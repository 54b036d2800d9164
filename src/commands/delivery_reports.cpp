#include "commands/delivery_reports.h"

#include "commands/notices.h"
#include "core/log.h"

namespace duplex {

Status RecordDeliveryReports(Store& store, const ChatDialect& dialect, const std::string& platform,
                             const std::vector<DeliveryReport>& reports, UnixMs now,
                             const std::function<void()>& wake_delivery) {
  std::vector<ReportedFailure> failures;
  for (const auto& r : reports) {
    if (r.failed) failures.push_back({r.event_id, r.remote_id, r.reason});
  }
  if (failures.empty()) return Status::Ok();
  auto outcomes = store.RecordDeliveryFailures(
      platform, failures, now,
      [&](const StoredMessage& reply, std::int64_t delivery_id, const std::string& reason) {
        return notices::ReplyUndelivered(dialect, reply.chat_user, reply.text, reason, delivery_id);
      });
  if (!outcomes.ok()) return outcomes.status();
  bool recorded = false, pending = false;
  for (std::size_t i = 0; i < outcomes->size(); ++i) {
    const FailureOutcome o = (*outcomes)[i];
    recorded = recorded || o == FailureOutcome::kRecorded;
    pending = pending || o == FailureOutcome::kPending;
    const log::Fields fields = {{"platform", platform},
                                {"remote_id", failures[i].remote_id},
                                {"reason", failures[i].reason}};
    if (o == FailureOutcome::kRecorded) {
      log::Warn("reply reported undelivered", fields);
    } else if (o == FailureOutcome::kUnknownMessage) {
      log::Info("delivery failure for a message duplex did not send: ignored", fields);
    } else if (o == FailureOutcome::kNotSent) {
      log::Info("delivery failure for a reply that no longer stands as sent: ignored", fields);
    }
  }
  if (recorded && wake_delivery) wake_delivery();
  // The others in the batch are committed (or were duplicates): the resent webhook finds them
  // recorded and only this one is looked at again.
  if (pending) {
    return Status::Unavailable("a reply is being sent; send the delivery report again shortly");
  }
  return Status::Ok();
}

}  // namespace duplex
