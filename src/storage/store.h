// Store: the persistence port. Everything duplex must not lose goes through it, and every
// method that changes state is one transaction: it happens entirely or not at all.
// Implementations are thread-safe. Nothing here exposes SQL or SQLite types, so a
// PostgreSQL implementation can stand in for SQLite.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/admin_models.h"
#include "core/clock.h"
#include "core/lease.h"
#include "core/models.h"
#include "core/pacing.h"
#include "core/routing/route.h"
#include "core/staff_models.h"
#include "core/stats.h"
#include "core/status.h"
#include "storage/outbox.h"

namespace duplex {

// A request a sender may repeat (a Slack event), claimed in the same transaction as the
// change it causes: both are on disk or neither is, so a repeat changes nothing and a
// failure leaves the sender's retry to do the work (see ClaimEvent).
struct EventClaim {
  std::string source;  // "slack-event"
  std::string id;      // unique within the source
};

// A staff reply to store and send. The caller chooses the customer message it answers
// (commands/command_service.h, ReplyParent); the store only checks it is one of the
// conversation's incoming messages.
struct NewReply {
  std::int64_t conversation_id = 0;
  std::int64_t parent_id = 0;  // the customer message answered
  std::string chat_user;       // who wrote the reply
  std::string text;
  std::string target;               // the delivery's rate-limit key: "<platform>:<account>"
  std::optional<EventClaim> claim;  // the chat event the reply came from, if any
};

struct QueuedReply {
  std::int64_t message_id = 0;
  std::int64_t delivery_id = 0;
  bool repeat = false;  // the claim had been taken already: nothing was stored
};

// An internal note (never sent to the platform), posted in the thread as `notice` unless
// that is empty.
struct NewNote {
  std::int64_t conversation_id = 0;
  std::string chat_user;
  std::string text;
  std::string notice;
  std::optional<EventClaim> claim;  // the chat event the note came from, if any
};

// The store is split by role: each caller takes the narrowest one it needs (GroupCommitter
// takes an IngestStore; the commands and the delivery engine take several, through Store).

// What webhooks write: mentions, repeatable requests' claims, reported delivery failures.
class IngestStore {
 public:
  virtual ~IngestStore() = default;
  // Stores each routed mention with its conversation and its chat outbox entry, in one
  // transaction for the whole batch. A mention from a muted author (see AddMute) is stored
  // with muted=true and gets no chat outbox entry. A mention whose (platform, event_id) was
  // seen before, or whose (platform, message_id) is a stored message's (edits aside, see
  // Mention::edited), is reported duplicate and changes nothing; when that stored message is
  // a reply duplex sent (its platform id, see FinishDelivery), the mention, or an edit of it,
  // is our own reply coming back and is reported `echo` as well. A mention whose conversation
  // is unknown but whose parent message is known joins the parent's conversation. A new message
  // reopens a closed conversation (with a new SLA clock) and makes a replied one open again (the
  // customer awaits an answer; the first-response clock stays stopped); either change also queues a
  // root update after the chat post. An edit (Mention::edited) is stored and posted like any
  // message but changes neither state nor SLA. Returns one outcome per item, in order.
  virtual Result<std::vector<IngestOutcome>> Ingest(const std::vector<IngestItem>& items,
                                                    UnixMs now) = 0;

  // Records that (source, id) was handled; false if it had been already. For requests that
  // a sender may repeat (Slack command retries); where the work is a reply or a note, the
  // claim goes with it instead (EventClaim), so no crash can separate them.
  virtual Result<bool> ClaimEvent(const std::string& source, const std::string& id, UnixMs now) = 0;

  // Records reports that replies a platform had accepted never reached the customer, in one
  // transaction, one outcome per report in order. A recorded report marks the reply (found by
  // (platform, its platform message id)) failed and its delivery dead with `reason`, so
  // `retry` can send it again; makes a `replied` conversation await an answer again unless a
  // later reply of it stands as sent (a root update is queued); and queues the thread notice
  // built by `notice`. Only a reply standing as sent is changed. An unknown id while a reply
  // of the platform is `sending` is kPending: its id may not be stored yet.
  virtual Result<std::vector<FailureOutcome>> RecordDeliveryFailures(
      const std::string& platform, const std::vector<ReportedFailure>& failures, UnixMs now,
      const std::function<std::string(const StoredMessage& reply, std::int64_t delivery_id,
                                      const std::string& reason)>& notice) = 0;
};

// Reading conversations and their messages.
class ConversationReader {
 public:
  virtual ~ConversationReader() = default;
  virtual Result<std::optional<Conversation>> GetConversation(std::int64_t id) = 0;
  virtual Result<std::optional<StoredMessage>> GetMessage(std::int64_t id) = 0;
  virtual Result<std::vector<StoredMessage>> ListMessages(std::int64_t conversation_id) = 0;
  // The conversation whose chat thread root is the post `thread` in `channel`.
  virtual Result<std::optional<Conversation>> FindConversationByThread(
      const std::string& channel, const std::string& thread) = 0;

  // The newest incoming message of the conversation written by `author_id` and not muted.
  virtual Result<std::optional<StoredMessage>> LatestMessageFrom(std::int64_t conversation_id,
                                                                 const std::string& author_id) = 0;
};

// Work committed to the outbox by any process sharing the database, as it happens (see
// OutboxStore::WatchOutbox). Watching ends when this is destroyed.
class OutboxWatch {
 public:
  virtual ~OutboxWatch() = default;
};

// The outbox: claiming, finishing, recovering and listing deliveries.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;
  // Calls `on_change` soon after any process sharing the database commits a delivery that is
  // due at once (queued, requeued, released or recovered), and once after every connection
  // of the watch, the first included: changes may have passed unseen while it was away. A
  // watch whose database goes away keeps trying to reconnect until it is destroyed.
  // `on_change` runs on the watch's own thread, must be quick, and may be called when there
  // is nothing new. Null where no other process can share the database (SQLite): a process's
  // own commits are all there is, and it wakes its worker itself.
  virtual std::unique_ptr<OutboxWatch> WatchOutbox(std::function<void()> on_change) = 0;
  // Claims up to `limit` deliveries that may be attempted now, atomically, and returns exactly
  // the rows claimed: each is now `sending`, owned by `owner` (an instance id, core/instance_id.h)
  // until now + `lease_ms` (Delivery::owner, lease_until). No other claim, from this process or
  // another sharing the database, returns a row while its claim stands; it ends when the
  // delivery finishes (FinishDelivery) or its lease runs out (RecoverExpired).
  // Claimable: pending, due, and first in their conversation (no earlier delivery of the same
  // conversation is pending or sending; root updates hold back nothing but later root updates,
  // so a failing one never delays a message). Deliveries whose target is in `skip_targets` are
  // passed over. Oldest due first. `admit`, unless empty, is asked about each candidate in that
  // order before it is claimed (the caller's rate limiter); a refused candidate stays pending,
  // and its target is left out of any further look-up this claim makes.
  virtual Result<std::vector<Delivery>> ClaimDue(
      const std::string& owner, UnixMs now, UnixMs lease_ms, int limit,
      const std::vector<std::string>& skip_targets,
      const std::function<bool(const Delivery&)>& admit) = 0;
  // Extends every claim `owner` holds to now + `lease_ms`: a live instance's heartbeat, so an
  // attempt slower than the lease keeps its claim. Returns how many claims it extended.
  virtual Result<int> RenewLeases(const std::string& owner, UnixMs now, UnixMs lease_ms) = 0;
  // Settles deliveries whose claim's lease ran out by `now` (their instance died or hung): chat
  // deliveries go back to pending (chat is at least once); platform replies become `unknown`
  // (they may have been posted; never resent by themselves) and get a notice in their thread
  // built by `unknown_notice(reply, delivery_id)`. Claims still standing are left alone.
  // Returns how many changed.
  virtual Result<int> RecoverExpired(
      UnixMs now,
      const std::function<std::string(const StoredMessage& reply, std::int64_t delivery_id)>&
          unknown_notice) = 0;
  // Applies the end of one attempt with all its effects, ending its claim. A reply's
  // message_remote_id also becomes its message id for Ingest's dedup, unless a stored message
  // holds that id already (the reply then goes without; the attempt still finishes).
  // Applies only while `update.owner` holds the delivery's claim: otherwise (the lease ran out
  // and the delivery was settled or claimed again) nothing changes and the answer is NotFound.
  virtual Status FinishDelivery(const DeliveryUpdate& update, UnixMs now) = 0;
  virtual Result<std::optional<Delivery>> GetDelivery(std::int64_t id) = 0;
  // The earliest next_attempt_at among pending deliveries, if any.
  virtual Result<std::optional<UnixMs>> NextDueAt() = 0;
  virtual Result<OutboxStats> GetOutboxStats() = 0;
  // The latest deliveries in any of `states`, newest first.
  virtual Result<std::vector<Delivery>> ListDeliveries(const std::vector<DeliveryState>& states,
                                                       int limit) = 0;
  // Puts a dead or unknown delivery back to pending, due now, with a fresh retry schedule
  // (a reply's message goes back to "queued"). NotFound if there is no such delivery;
  // InvalidArgument if it is not dead or unknown.
  virtual Result<Delivery> RequeueDelivery(std::int64_t id, UnixMs now) = 0;
};

// The staff workflow: replies, assignment and state, notes, the queue, SLA alerts, stats,
// reply templates.
class StaffStore {
 public:
  virtual ~StaffStore() = default;
  // Stores a staff reply to `reply.parent_id` and its outbox entry, and takes `reply.claim`,
  // in one transaction; `repeat` and nothing stored when the claim had been taken. NotFound
  // if the conversation does not exist or the parent is not one of its incoming messages.
  virtual Result<QueuedReply> QueueReply(const NewReply& reply, UnixMs now) = 0;

  // A chat_update delivery (a thread root re-rendered from the conversation's state) is
  // queued by every method below that changes what the root shows; one still pending for
  // the conversation is reused rather than queued twice, since it renders when it runs.

  // Applies one staff change (see ConversationEdit) with its thread notice and root update.
  // NotFound if there is no such conversation.
  virtual Result<EditOutcome> EditConversation(const ConversationEdit& edit, UnixMs now) = 0;
  // Stores the note (direction note) with its notice's outbox entry and takes `note.claim`,
  // in one transaction. Returns the note's message id, or 0 when the claim had been taken
  // (nothing stored); NotFound as above.
  virtual Result<std::int64_t> AddNote(const NewNote& note, UnixMs now) = 0;
  // Open or assigned conversations with a customer message (not muted), in `channel` or in
  // every channel when it is empty; longest waiting first, at most `limit`.
  virtual Result<std::vector<QueueEntry>> ListQueue(const std::string& channel, int limit) = 0;
  // Conversations whose SLA clock runs (not closed, no reply in this cycle, no breach noted,
  // a customer message not muted) and started at or before `started_before`; oldest first.
  virtual Result<std::vector<Conversation>> ListSlaCandidates(UnixMs started_before, int limit) = 0;
  // Marks the alert sent and queues its notice and a root update, in one transaction. False
  // (and nothing queued) if it was sent already, the clock stopped or was restarted, or the
  // conversation was closed meanwhile. A breach also counts as the reminder.
  virtual Result<bool> RecordSlaAlert(const SlaAlertRecord& alert, UnixMs now) = 0;
  // One row per conversation with customer messages (not muted) received at or after `since`.
  virtual Result<std::vector<StatsRow>> ListStatsRows(UnixMs since) = 0;

  // Reply templates, by name. PutTemplate creates or replaces (true when it replaced);
  // DeleteTemplate is false for an unknown name.
  virtual Result<std::vector<ReplyTemplate>> ListTemplates() = 0;
  virtual Result<std::optional<ReplyTemplate>> GetTemplate(const std::string& name) = 0;
  virtual Result<bool> PutTemplate(const ReplyTemplate& t) = 0;
  virtual Result<bool> DeleteTemplate(const std::string& name) = 0;
};

// Administration from chat: routes, mutes, admins, the audit log.
class AdminStore {
 public:
  virtual ~AdminStore() = default;
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

// Operating the database itself.
class MaintenanceStore {
 public:
  virtual ~MaintenanceStore() = default;
  // Cheap check that the database answers (for /readyz).
  virtual Status Ping() = 0;
};

// The pacing state of each delivery target (core/pacing.h), for the rate limiter
// (delivery/rate_limiter.h). It is as shared as the store: SQLite keeps it in this process's
// memory (one process owns the file) and writes nothing; PostgreSQL keeps a row per target, so
// the limits hold for all instances together.
class PacingStore {
 public:
  virtual ~PacingStore() = default;
  // Admits one call to `target` at `now` under `limit` if its state allows (core/pacing.h,
  // TakePace), in one atomic step.
  virtual Result<Admission> TakePace(const std::string& target, const RateLimit& limit,
                                     UnixMs now) = 0;
  // Holds `target` back until `until` (or later, if it is held longer already).
  virtual Status BlockPace(const std::string& target, UnixMs until) = 0;
};

// Every role, as one implementation (SqliteStore) provides them. Leases (core/lease.h) are
// a role too.
class Store : public IngestStore,
              public ConversationReader,
              public OutboxStore,
              public StaffStore,
              public AdminStore,
              public MaintenanceStore,
              public PacingStore,
              public LeaseStore {
 public:
  ~Store() override = default;
};

}  // namespace duplex
