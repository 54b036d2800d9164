// PgStore: the store on PostgreSQL, for several duplex instances sharing one database
// (docs/postgresql.md). Every role of storage/store.h, with the rules of
// core/conversation_rules.h; the schema is migrated at open (storage/pg_migrations.h).
// Claims use FOR UPDATE SKIP LOCKED, so instances never claim the same row; dedup uses
// unique constraints (ON CONFLICT DO NOTHING), so a repeat reaching another instance is a
// duplicate once the first is committed. Every transaction that makes a delivery due at once
// also NOTIFYs the outbox channel (storage/pg_listener.h), so every instance's worker hears
// of it on commit (WatchOutbox).
// Thread-safe: each call takes a connection of its own from the pool.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/pg_connection.h"
#include "storage/store.h"

namespace duplex {

struct PgStoreOptions {
  storage::PgOptions connection;
  // Schema steps after the built-in ones, as if released later: tests rehearse upgrades.
  std::vector<std::string> extra_migrations = {};
};

class PgStore final : public Store {
 public:
  // Connects and migrates. Unavailable when the server cannot be reached; InvalidArgument
  // for a database from a newer duplex (left untouched).
  static Result<std::unique_ptr<PgStore>> Open(const PgStoreOptions& options);

  Status Ping() override;

  // Ingest and reading conversations (pg_ingest.cpp). Repeats are caught across instances by
  // unique constraints (INSERT … ON CONFLICT DO NOTHING), so whichever instance a resent
  // webhook reaches, it is a duplicate once the first is committed.
  Result<std::vector<IngestOutcome>> Ingest(const std::vector<IngestItem>& items,
                                            UnixMs now) override;
  Result<bool> ClaimEvent(const std::string& source, const std::string& id, UnixMs now) override;
  Result<std::vector<FailureOutcome>> RecordDeliveryFailures(
      const std::string& platform, const std::vector<ReportedFailure>& failures, UnixMs now,
      const std::function<std::string(const StoredMessage&, std::int64_t, const std::string&)>&
          notice) override;
  Result<std::optional<Conversation>> GetConversation(std::int64_t id) override;
  Result<std::optional<StoredMessage>> GetMessage(std::int64_t id) override;
  Result<std::vector<StoredMessage>> ListMessages(std::int64_t conversation_id) override;
  Result<std::optional<Conversation>> FindConversationByThread(const std::string& channel,
                                                               const std::string& thread) override;
  Result<std::optional<StoredMessage>> LatestMessageFrom(std::int64_t conversation_id,
                                                         const std::string& author_id) override;

  // Administration (pg_admin.cpp).
  Result<std::vector<Route>> ListRoutes() override;
  Result<bool> PutRoute(const Route& route, UnixMs now) override;
  Result<bool> DeleteRoute(const std::string& name) override;
  Result<bool> SetRouteEnabled(const std::string& name, bool enabled, UnixMs now) override;
  Result<bool> AddMute(const Mute& mute) override;
  Result<bool> RemoveMute(const std::string& platform, const std::string& author) override;
  Result<std::vector<Mute>> ListMutes() override;
  Result<bool> AddAdmin(const StoredAdmin& admin) override;
  Result<bool> RemoveAdmin(const std::string& user_id, bool keep_last) override;
  Result<std::vector<StoredAdmin>> ListAdmins() override;
  Result<std::int64_t> AppendAudit(const AuditEntry& entry) override;
  Status FinishAudit(std::int64_t id, AuditResult result, const std::string& detail) override;
  Result<std::vector<AuditEntry>> RecentAudit(int limit) override;

  // Staff workflow (pg_staff.cpp).
  Result<QueuedReply> QueueReply(const NewReply& reply, UnixMs now) override;
  Result<EditOutcome> EditConversation(const ConversationEdit& edit, UnixMs now) override;
  Result<std::int64_t> AddNote(const NewNote& note, UnixMs now) override;
  Result<std::vector<QueueEntry>> ListQueue(const std::string& channel, int limit) override;
  Result<std::vector<Conversation>> ListSlaCandidates(UnixMs started_before, int limit) override;
  Result<bool> RecordSlaAlert(const SlaAlertRecord& alert, UnixMs now) override;
  Result<std::vector<StatsRow>> ListStatsRows(UnixMs since) override;
  Result<std::vector<ReplyTemplate>> ListTemplates() override;
  Result<std::optional<ReplyTemplate>> GetTemplate(const std::string& name) override;
  Result<bool> PutTemplate(const ReplyTemplate& t) override;
  Result<bool> DeleteTemplate(const std::string& name) override;

  // Outbox (pg_outbox.cpp).
  Result<std::vector<Delivery>> ClaimDue(
      const std::string& owner, UnixMs now, UnixMs lease_ms, int limit,
      const std::vector<std::string>& skip_targets,
      const std::function<bool(const Delivery&)>& admit) override;
  Result<int> RenewLeases(const std::string& owner, UnixMs now, UnixMs lease_ms) override;
  Result<int> RecoverExpired(UnixMs now,
                             const std::function<std::string(const StoredMessage&, std::int64_t)>&
                                 unknown_notice) override;
  Status FinishDelivery(const DeliveryUpdate& update, UnixMs now) override;
  Result<std::optional<Delivery>> GetDelivery(std::int64_t id) override;
  Result<std::optional<UnixMs>> NextDueAt() override;
  Result<OutboxStats> GetOutboxStats() override;
  Result<std::vector<Delivery>> ListDeliveries(const std::vector<DeliveryState>& states,
                                               int limit) override;
  Result<Delivery> RequeueDelivery(std::int64_t id, UnixMs now) override;
  // A connection of its own LISTENing for the NOTIFY that every transaction making a
  // delivery due sends (storage/pg_listener.h).
  std::unique_ptr<OutboxWatch> WatchOutbox(std::function<void()> on_change) override;

  // Pacing and leases (pg_coordination.cpp), each one statement on a small pool of their own:
  // the rate limiter is asked from inside ClaimDue, which holds a connection of the main pool,
  // so its question must never wait for the main pool, nor queue behind webhook commits.
  Result<Admission> TakePace(const std::string& target, const RateLimit& limit,
                             UnixMs now) override;
  Status BlockPace(const std::string& target, UnixMs until) override;
  Result<bool> TakeLease(const std::string& name, const std::string& owner, UnixMs now,
                         UnixMs lease_ms) override;
  Status DropLease(const std::string& name, const std::string& owner) override;
  Result<std::string> LeaseState(const std::string& name) override;
  Result<bool> SaveLeaseState(const std::string& name, const std::string& owner, UnixMs now,
                              const std::string& state) override;

 private:
  PgStore(std::unique_ptr<storage::PgPool> pool, std::unique_ptr<storage::PgPool> coordination)
      : pool_(std::move(pool)), coordination_(std::move(coordination)) {}
  // Inside a transaction on `conn` (they throw storage::PgError).
  static std::int64_t InsertDelivery(PGconn* conn, const NewDelivery& d, UnixMs now);
  static std::optional<Conversation> ReadConversationById(PGconn* conn, std::int64_t id,
                                                          bool for_update);
  static void SaveConversationState(PGconn* conn, const Conversation& c);
  static IngestOutcome IngestOne(PGconn* conn, const IngestItem& item, UnixMs now);
  static bool TakeClaim(PGconn* conn, const std::string& source, const std::string& id, UnixMs now);

  std::unique_ptr<storage::PgPool> pool_;
  std::unique_ptr<storage::PgPool> coordination_;  // pacing and leases
};

}  // namespace duplex
