// Store: the persistence port. Everything duplex must not lose goes through it, and every
// method that changes state is one transaction: it happens entirely or not at all.
// Implementations are thread-safe. Nothing here exposes SQL or SQLite types, so a
// PostgreSQL implementation can stand in (SPEC.md, Configuration).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/routing/route.h"
#include "core/status.h"
#include "storage/admin_models.h"
#include "storage/models.h"
#include "storage/outbox.h"

namespace duplex {

struct QueuedReply {
  std::int64_t message_id = 0;
  std::int64_t delivery_id = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Cheap check that the database answers (for /readyz).
  virtual Status Ping() = 0;

  // --- Ingest -----------------------------------------------------------------------------
  // Stores each routed mention with its conversation and its chat outbox entry, in one
  // transaction for the whole batch. A mention from a muted author (see AddMute) is stored
  // with muted=true and gets no chat outbox entry. A mention whose (platform, event_id) was seen before is
  // reported duplicate and changes nothing. A mention whose conversation is unknown but whose
  // parent message is known joins the parent's conversation. A new message reopens a closed
  // conversation. Returns one outcome per item, in order.
  virtual Result<std::vector<IngestOutcome>> Ingest(const std::vector<IngestItem>& items,
                                                    UnixMs now) = 0;

  // --- Conversations -----------------------------------------------------------------------
  virtual Result<std::optional<Conversation>> GetConversation(std::int64_t id) = 0;
  virtual Result<std::optional<StoredMessage>> GetMessage(std::int64_t id) = 0;
  virtual Result<std::vector<StoredMessage>> ListMessages(std::int64_t conversation_id) = 0;
  // The conversation whose chat thread root is (channel, thread_ts).
  virtual Result<std::optional<Conversation>> FindConversationByThread(
      const std::string& channel, const std::string& thread_ts) = 0;

  // Stores a staff reply to the conversation's last customer message and its outbox entry.
  // NotFound if the conversation does not exist or has no customer message.
  virtual Result<QueuedReply> QueueReply(std::int64_t conversation_id,
                                         const std::string& chat_user, const std::string& text,
                                         const std::string& target, UnixMs now) = 0;

  // --- Outbox ------------------------------------------------------------------------------
  // Deliveries that may be attempted now: pending, due, and first in their conversation
  // (no earlier delivery of the same conversation is pending or sending). Deliveries whose
  // target is in `skip_targets` are passed over. Oldest due first.
  virtual Result<std::vector<Delivery>> DueDeliveries(UnixMs now, int limit,
                                                      const std::vector<std::string>& skip_targets) = 0;
  // Marks these deliveries `sending` (durably, before any call is made).
  virtual Status MarkSending(const std::vector<std::int64_t>& ids, UnixMs now) = 0;
  // Applies the end of one attempt with all its effects.
  virtual Status FinishDelivery(const DeliveryUpdate& update, UnixMs now) = 0;
  virtual Result<std::optional<Delivery>> GetDelivery(std::int64_t id) = 0;
  // The earliest next_attempt_at among pending deliveries, if any.
  virtual Result<std::optional<UnixMs>> NextDueAt() = 0;
  virtual Result<OutboxStats> GetOutboxStats() = 0;
  // After a restart: chat deliveries left `sending` go back to pending (chat is at least
  // once); platform replies left `sending` become `unknown` (they may have been posted) and
  // get a notice in their thread built by `unknown_notice(text)`. Returns how many changed.
  // The latest deliveries in any of `states`, newest first.
  virtual Result<std::vector<Delivery>> ListDeliveries(const std::vector<DeliveryState>& states,
                                                       int limit) = 0;
  // Puts a dead or unknown delivery back to pending, due now, with a fresh retry schedule
  // (a reply's message goes back to "queued"). NotFound if there is no such delivery;
  // InvalidArgument if it is not dead or unknown.
  virtual Result<Delivery> RequeueDelivery(std::int64_t id, UnixMs now) = 0;

  // Records that (source, id) was handled; false if it had been already. For requests that
  // a sender may repeat (Slack command retries, Events API event ids).
  virtual Result<bool> ClaimEvent(const std::string& source, const std::string& id, UnixMs now) = 0;

  virtual Result<int> RecoverInterrupted(
      UnixMs now, const std::function<std::string(const StoredMessage& reply, std::int64_t delivery_id)>& unknown_notice) = 0;

  // --- Administration: routes, mutes, admins added from chat, audit log -------------------
  // Routes by name, in name order. PutRoute creates or replaces the whole route and returns
  // true when it replaced one. Delete/SetRouteEnabled return false for an unknown name.
  virtual Result<std::vector<Route>> ListRoutes() = 0;
  virtual Result<bool> PutRoute(const Route& route, UnixMs now) = 0;
  virtual Result<bool> DeleteRoute(const std::string& name) = 0;
  virtual Result<bool> SetRouteEnabled(const std::string& name, bool enabled, UnixMs now) = 0;
  // False when that author was already muted / was not muted. Platform order.
  virtual Result<bool> AddMute(const Mute& mute) = 0;
  virtual Result<bool> RemoveMute(const std::string& platform, const std::string& author) = 0;
  virtual Result<std::vector<Mute>> ListMutes() = 0;
  // False when already an admin / not one. With `keep_last`, removing the only stored admin
  // is refused with InvalidArgument and changes nothing. Oldest first.
  virtual Result<bool> AddAdmin(const StoredAdmin& admin) = 0;
  virtual Result<bool> RemoveAdmin(const std::string& user_id, bool keep_last) = 0;
  virtual Result<std::vector<StoredAdmin>> ListAdmins() = 0;
  // Appends an entry and returns its id; FinishAudit sets the result of a started entry.
  virtual Result<std::int64_t> AppendAudit(const AuditEntry& entry) = 0;
  virtual Status FinishAudit(std::int64_t id, AuditResult result, const std::string& detail) = 0;
  // The latest `limit` entries, newest first.
  virtual Result<std::vector<AuditEntry>> RecentAudit(int limit) = 0;
};

}  // namespace duplex
