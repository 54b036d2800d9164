// SqliteStore: the Store on one SQLite file in WAL mode with synchronous=FULL by default,
// so a committed transaction survives power loss. One connection, serialized by a mutex;
// callers batch writes (see GroupCommitter) to share the cost of each commit's fsync.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/memory_pacing.h"
#include "storage/sqlite_rows.h"
#include "storage/store.h"

namespace SQLite {
class Database;
}  // namespace SQLite

namespace duplex {

struct SqliteOptions {
  std::string path;
  // "FULL" keeps the durability promise; "NORMAL" is offered for benchmarks only.
  std::string synchronous = "FULL";
  int busy_timeout_ms = 5000;
  // Schema steps after the built-in ones, as if released later: tests rehearse upgrades.
  std::vector<std::string> extra_migrations = {};
};

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) and migrates. The database and its -wal and -shm files are
  // made private to their owner first (storage::MakeDatabaseFilePrivate), and so is the
  // backup below. A database at an older schema version is first copied next to itself
  // (storage::UpgradeBackupPath, logged), then upgraded in one transaction. Errors name the path
  // and the cause; a database from a newer duplex is refused with InvalidArgument (a bad setup, not
  // an outage) and left untouched.
  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteOptions& options);
  ~SqliteStore() override;

  Status Ping() override;
  Result<std::vector<IngestOutcome>> Ingest(const std::vector<IngestItem>& items,
                                            UnixMs now) override;
  Result<std::optional<Conversation>> GetConversation(std::int64_t id) override;
  Result<std::optional<StoredMessage>> GetMessage(std::int64_t id) override;
  Result<std::vector<StoredMessage>> ListMessages(std::int64_t conversation_id) override;
  Result<std::optional<Conversation>> FindConversationByThread(const std::string& channel,
                                                               const std::string& thread) override;
  Result<std::optional<StoredMessage>> LatestMessageFrom(std::int64_t conversation_id,
                                                         const std::string& author_id) override;
  Result<QueuedReply> QueueReply(const NewReply& reply, UnixMs now) override;

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
  // Null: only this process writes the file, and it wakes its own worker.
  std::unique_ptr<OutboxWatch> WatchOutbox(std::function<void()>) override { return nullptr; }
  Result<bool> ClaimEvent(const std::string& source, const std::string& id, UnixMs now) override;
  Result<std::vector<FailureOutcome>> RecordDeliveryFailures(
      const std::string& platform, const std::vector<ReportedFailure>& failures, UnixMs now,
      const std::function<std::string(const StoredMessage&, std::int64_t, const std::string&)>&
          notice) override;

  // Administration (sqlite_admin.cpp).
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
  // Staff workflow (sqlite_staff.cpp).
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

  // Pacing in this process's memory (one process owns the file), leases in the database
  // (sqlite_coordination.cpp).
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
  explicit SqliteStore(std::unique_ptr<SQLite::Database> db);

  // A cached prepared statement, reset and unbound, ready for binding.
  storage::StmtHandle Stmt(const char* sql);
  std::int64_t InsertDelivery(const NewDelivery& d, UnixMs now);
  // The claimable heads (see ClaimDue), oldest due first, at most `limit`; reads only.
  std::vector<Delivery> DueHeads(UnixMs now, int limit,
                                 const std::vector<std::string>& skip_targets);
  IngestOutcome IngestOne(const IngestItem& item, UnixMs now);
  // Inside a transaction: takes the claim; false if it had been taken already.
  bool TakeClaim(const EventClaim& claim, UnixMs now);
  bool IsMuted(const Mention& m);
  std::optional<Conversation> ReadConversationById(std::int64_t id);
  // Writes the fields the rules (core/conversation_rules.h) change: state, assignee, the SLA
  // cycle, the first response and updated_at.
  void SaveConversationState(const Conversation& c);

  std::mutex mu_;
  std::unique_ptr<SQLite::Database> db_;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
  storage::MemoryPacing pacing_;
};

}  // namespace duplex
