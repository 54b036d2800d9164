// SqliteStore: the outbox half (claiming, finishing and recovering deliveries).
#include <algorithm>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "core/conversation_rules.h"
#include "storage/sqlite_store.h"

namespace duplex {
namespace {

// Head of line: no earlier delivery of the same conversation is still pending or sending —
// except that nothing waits for a root update (chat_update), while an update waits for all
// before it, the root post and older updates included.
constexpr const char* kDueFilter =
    " WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
    " AND (o.conversation_id = 0 OR NOT EXISTS (SELECT 1 FROM outbox p"
    " WHERE p.conversation_id = o.conversation_id AND p.id < o.id"
    " AND p.state IN ('pending', 'sending')"
    " AND (o.kind = 'chat_update' OR p.kind <> 'chat_update')))";

}  // namespace

std::vector<Delivery> SqliteStore::DueHeads(UnixMs now, int limit,
                                            const std::vector<std::string>& skip_targets) {
  std::vector<Delivery> out;
  // "... FROM outbox" → "... FROM outbox o": the unqualified column names resolve to o.
  // INDEXED BY: left to itself the planner picks outbox_state (state = ?), reads every
  // pending row and sorts them, so each claim cost O(backlog) with the store locked.
  if (skip_targets.empty()) {
    static const std::string kSql = std::string(storage::kDeliveryColumns) +
                                    " o INDEXED BY outbox_due" + kDueFilter +
                                    " ORDER BY o.next_attempt_at, o.id LIMIT ?";
    auto q = Stmt(kSql.c_str());
    q->bind(1, now);
    q->bind(2, limit);
    while (q->executeStep()) out.push_back(storage::ReadDelivery(*q));
    return out;
  }
  // A skipped (rate-limited) target may hold nearly all of the backlog. Rather than read
  // past its rows, visit the other targets that have pending work, one index seek each
  // (there are few: chat channels and platform accounts), and merge their due heads.
  std::vector<std::string> targets;
  {
    auto first =
        Stmt("SELECT MIN(target) FROM outbox INDEXED BY outbox_target_due WHERE state = 'pending'");
    if (first->executeStep() && !first->getColumn(0).isNull())
      targets.push_back(first->getColumn(0).getString());
  }
  while (!targets.empty()) {
    auto next = Stmt(
        "SELECT MIN(target) FROM outbox INDEXED BY outbox_target_due WHERE state = 'pending' AND "
        "target > ?");
    next->bind(1, targets.back());
    if (!next->executeStep() || next->getColumn(0).isNull()) break;
    targets.push_back(next->getColumn(0).getString());
  }
  static const std::string kPerTarget =
      std::string(storage::kDeliveryColumns) + " o INDEXED BY outbox_target_due" + kDueFilter +
      " AND o.target = ? ORDER BY o.next_attempt_at, o.id LIMIT ?";
  for (const auto& target : targets) {
    if (std::find(skip_targets.begin(), skip_targets.end(), target) != skip_targets.end()) continue;
    auto q = Stmt(kPerTarget.c_str());
    q->bind(1, now);
    q->bind(2, target);
    q->bind(3, limit);
    while (q->executeStep()) out.push_back(storage::ReadDelivery(*q));
  }
  std::sort(out.begin(), out.end(), [](const Delivery& a, const Delivery& b) {
    return a.next_attempt_at != b.next_attempt_at ? a.next_attempt_at < b.next_attempt_at
                                                  : a.id < b.id;
  });
  if (out.size() > static_cast<std::size_t>(limit)) out.resize(static_cast<std::size_t>(limit));
  return out;
}

Result<std::vector<Delivery>> SqliteStore::ClaimDue(
    const std::string& owner, UnixMs now, UnixMs lease_ms, int limit,
    const std::vector<std::string>& skip_targets,
    const std::function<bool(const Delivery&)>& admit) {
  return storage::Guarded(mu_, "claim_due", [&]() -> Result<std::vector<Delivery>> {
    // One write transaction from the start (IMMEDIATE): another connection to the file
    // waits for it (busy timeout) and then sees these rows `sending`, never claims them too.
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    std::vector<Delivery> claimed;
    std::vector<std::string> skip = skip_targets;
    // A refused target may fill the LIMIT: look again without it, a few times at most.
    for (int round = 0; round < 4 && static_cast<int>(claimed.size()) < limit; ++round) {
      const int want = limit - static_cast<int>(claimed.size());
      auto due = DueHeads(now, want, skip);
      bool refused_any = false;
      for (auto& d : due) {
        if (admit && !admit(d)) {
          if (std::find(skip.begin(), skip.end(), d.target) == skip.end()) skip.push_back(d.target);
          refused_any = true;
          continue;
        }
        auto q = Stmt(
            "UPDATE outbox SET state = 'sending', owner = ?, lease_until = ?, updated_at = ?"
            " WHERE id = ? AND state = 'pending'");
        q->bind(1, owner);
        q->bind(2, now + lease_ms);
        q->bind(3, now);
        q->bind(4, d.id);
        if (q->exec() != 1) continue;
        d.state = DeliveryState::kSending;
        d.owner = owner;
        d.lease_until = now + lease_ms;
        claimed.push_back(std::move(d));
      }
      if (!refused_any || static_cast<int>(due.size()) < want) break;
    }
    tx.commit();
    return claimed;
  });
}

Result<int> SqliteStore::RenewLeases(const std::string& owner, UnixMs now, UnixMs lease_ms) {
  return storage::Guarded(mu_, "renew_leases", [&]() -> Result<int> {
    auto q = Stmt("UPDATE outbox SET lease_until = ? WHERE owner = ? AND state = 'sending'");
    q->bind(1, now + lease_ms);
    q->bind(2, owner);
    return q->exec();
  });
}

Status SqliteStore::FinishDelivery(const DeliveryUpdate& u, UnixMs now) {
  return storage::Guarded(mu_, "finish_delivery", [&]() -> Status {
    SQLite::Transaction tx(*db_);
    std::int64_t conversation_id = 0;
    std::int64_t message_id = 0;
    {
      auto q = Stmt(
          "SELECT conversation_id, message_id FROM outbox WHERE id = ? AND state = 'sending'"
          " AND owner = ?");
      q->bind(1, u.id);
      q->bind(2, u.owner);
      if (!q->executeStep()) {
        return Status::NotFound("delivery " + std::to_string(u.id) + " is not claimed by " +
                                u.owner + " (its lease ran out and it was settled elsewhere)");
      }
      conversation_id = q->getColumn(0).getInt64();
      message_id = q->getColumn(1).getInt64();
    }
    {
      auto q = Stmt(
          "UPDATE outbox SET state = ?, attempts = attempts + ?, next_attempt_at = ?,"
          " last_error = ?, updated_at = ?, lease_until = 0 WHERE id = ?");
      q->bind(1, ToString(u.state));
      q->bind(2, u.count_attempt ? 1 : 0);
      q->bind(3, u.state == DeliveryState::kPending ? u.next_attempt_at : now);
      q->bind(4, u.error);
      q->bind(5, now);
      q->bind(6, u.id);
      q->exec();
    }
    if (!u.chat_thread_for_conversation.empty() && conversation_id != 0) {
      auto q = Stmt("UPDATE conversations SET thread_ts = ? WHERE id = ? AND thread_ts = ''");
      q->bind(1, u.chat_thread_for_conversation);
      q->bind(2, conversation_id);
      q->exec();
    }
    if (message_id != 0 && (!u.message_chat_post.empty() || !u.message_remote_id.empty() ||
                            !u.message_url.empty() || !u.message_status.empty())) {
      auto q = Stmt(
          "UPDATE messages SET chat_ts = CASE WHEN ?1 <> '' THEN ?1 ELSE chat_ts END,"
          " platform_message_id = CASE WHEN ?2 <> '' THEN ?2 ELSE platform_message_id END,"
          " permalink = CASE WHEN ?3 <> '' THEN ?3 ELSE permalink END,"
          " status = CASE WHEN ?4 <> '' THEN ?4 ELSE status END WHERE id = ?5");
      q->bind(1, u.message_chat_post);
      q->bind(2, u.message_remote_id);
      q->bind(3, u.message_url);
      q->bind(4, u.message_status);
      q->bind(5, message_id);
      q->exec();
    }
    if (!u.message_remote_id.empty() && message_id != 0) {
      // The reply's id marks the platform's webhook for it as our echo (IngestOne). OR IGNORE:
      // an id some stored message already holds (an echo that arrived before this commit,
      // stored as a customer message) stays with it, and the reply goes without.
      auto q = Stmt(
          "UPDATE OR IGNORE messages SET message_identity = ? WHERE id = ? AND direction = 'out'");
      q->bind(1, u.message_remote_id);
      q->bind(2, message_id);
      q->exec();
    }
    if (!u.parent_reply_target.empty() && message_id != 0) {
      auto q = Stmt(
          "UPDATE messages SET reply_target = ? WHERE id = (SELECT parent_id FROM messages"
          " WHERE id = ?) AND direction = 'in'");
      q->bind(1, u.parent_reply_target);
      q->bind(2, message_id);
      q->exec();
    }
    if (u.first_response && conversation_id != 0) {
      if (auto c = ReadConversationById(conversation_id)) {
        ApplyReplySent(*c, now);
        SaveConversationState(*c);
      }
    }
    for (const auto& f : u.follow_ups) InsertDelivery(f, now);
    if (!u.credential.empty() && u.credential_alert) {
      auto q = Stmt(
          "INSERT INTO credential_alerts (credential, raised_at) VALUES (?, ?)"
          " ON CONFLICT DO NOTHING");
      q->bind(1, u.credential);
      q->bind(2, now);
      if (q->exec() > 0) InsertDelivery(*u.credential_alert, now);
    } else if (!u.credential.empty()) {
      auto q = Stmt("DELETE FROM credential_alerts WHERE credential = ?");
      q->bind(1, u.credential);
      q->exec();
    }
    tx.commit();
    return Status::Ok();
  });
}

Result<std::optional<Delivery>> SqliteStore::GetDelivery(std::int64_t id) {
  return storage::Guarded(mu_, "get_delivery", [&]() -> Result<std::optional<Delivery>> {
    static const std::string kSql = std::string(storage::kDeliveryColumns) + " WHERE id = ?";
    auto q = Stmt(kSql.c_str());
    q->bind(1, id);
    if (!q->executeStep()) return std::optional<Delivery>();
    return std::optional<Delivery>(storage::ReadDelivery(*q));
  });
}

Result<std::optional<UnixMs>> SqliteStore::NextDueAt() {
  return storage::Guarded(mu_, "next_due", [&]() -> Result<std::optional<UnixMs>> {
    auto q = Stmt(
        "SELECT MIN(next_attempt_at) FROM outbox INDEXED BY outbox_due WHERE state = 'pending'");
    if (!q->executeStep() || q->getColumn(0).isNull()) return std::optional<UnixMs>();
    return std::optional<UnixMs>(q->getColumn(0).getInt64());
  });
}

Result<OutboxStats> SqliteStore::GetOutboxStats() {
  return storage::Guarded(mu_, "outbox_stats", [&]() -> Result<OutboxStats> {
    OutboxStats s;
    auto count = [&](const char* state) {
      auto q = Stmt("SELECT COUNT(*) FROM outbox WHERE state = ?");
      q->bind(1, state);
      q->executeStep();
      return q->getColumn(0).getInt64();
    };
    s.pending = count("pending") + count("sending");
    s.dead = count("dead");
    s.unknown = count("unknown");
    auto q = Stmt("SELECT MIN(created_at) FROM outbox WHERE state IN ('pending', 'sending')");
    if (q->executeStep() && !q->getColumn(0).isNull()) {
      s.oldest_pending_created_at = q->getColumn(0).getInt64();
    }
    return s;
  });
}

Result<std::vector<Delivery>> SqliteStore::ListDeliveries(const std::vector<DeliveryState>& states,
                                                          int limit) {
  return storage::Guarded(mu_, "list_deliveries", [&]() -> Result<std::vector<Delivery>> {
    std::string sql = std::string(storage::kDeliveryColumns) + " WHERE state IN (";
    for (std::size_t i = 0; i < states.size(); ++i) sql += i ? ", ?" : "?";
    sql += ") ORDER BY id DESC LIMIT ?";
    SQLite::Statement q(*db_, sql);
    int i = 1;
    for (auto st : states) q.bind(i++, ToString(st));
    q.bind(i, limit);
    std::vector<Delivery> out;
    while (q.executeStep()) out.push_back(storage::ReadDelivery(q));
    return out;
  });
}

Result<Delivery> SqliteStore::RequeueDelivery(std::int64_t id, UnixMs now) {
  return storage::Guarded(mu_, "requeue_delivery", [&]() -> Result<Delivery> {
    SQLite::Transaction tx(*db_);
    Delivery d;
    {
      static const std::string kSql = std::string(storage::kDeliveryColumns) + " WHERE id = ?";
      auto q = Stmt(kSql.c_str());
      q->bind(1, id);
      if (!q->executeStep()) return Status::NotFound("no delivery " + std::to_string(id));
      d = storage::ReadDelivery(*q);
    }
    if (d.state != DeliveryState::kDead && d.state != DeliveryState::kUnknown) {
      return Status::Invalid("delivery " + std::to_string(id) + " is " + ToString(d.state) +
                             ", not dead or unknown");
    }
    {
      auto q = Stmt(
          "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?"
          " WHERE id = ?");
      q->bind(1, now);
      q->bind(2, now);
      q->bind(3, id);
      q->exec();
    }
    if (d.kind == DeliveryKind::kPlatformReply && d.message_id != 0) {
      auto q = Stmt("UPDATE messages SET status = 'queued' WHERE id = ?");
      q->bind(1, d.message_id);
      q->exec();
    }
    tx.commit();
    d.state = DeliveryState::kPending;
    d.attempts = 0;
    d.next_attempt_at = now;
    return d;
  });
}

Result<bool> SqliteStore::ClaimEvent(const std::string& source, const std::string& id, UnixMs now) {
  return storage::Guarded(mu_, "claim_event", [&]() -> Result<bool> {
    return TakeClaim({source, id}, now);
  });
}

Result<int> SqliteStore::RecoverExpired(
    UnixMs now,
    const std::function<std::string(const StoredMessage&, std::int64_t)>& unknown_notice) {
  return storage::Guarded(mu_, "recover_expired", [&]() -> Result<int> {
    SQLite::Transaction tx(*db_);
    int changed = 0;
    std::vector<Delivery> expired;
    {
      static const std::string kSql = std::string(storage::kDeliveryColumns) +
                                      " INDEXED BY outbox_lease WHERE state = 'sending'"
                                      " AND lease_until <= ?";
      auto q = Stmt(kSql.c_str());
      q->bind(1, now);
      while (q->executeStep()) expired.push_back(storage::ReadDelivery(*q));
    }
    std::vector<Delivery> replies;
    for (auto& d : expired) {
      if (OnExpiredClaim(d.kind == DeliveryKind::kPlatformReply) ==
          ExpiredClaimAction::kFlagUnknown) {
        replies.push_back(std::move(d));
        continue;
      }
      auto q =
          Stmt("UPDATE outbox SET state = 'pending', lease_until = 0, updated_at = ? WHERE id = ?");
      q->bind(1, now);
      q->bind(2, d.id);
      changed += q->exec();
    }
    static const std::string kMessageSql = std::string(storage::kMessageColumns) + " WHERE id = ?";
    for (const auto& r : replies) {
      StoredMessage message;
      {
        auto q = Stmt(kMessageSql.c_str());
        q->bind(1, r.message_id);
        if (q->executeStep()) message = storage::ReadMessage(*q);
      }
      std::string channel;
      {
        auto q = Stmt("SELECT channel FROM conversations WHERE id = ?");
        q->bind(1, r.conversation_id);
        if (q->executeStep()) channel = q->getColumn(0).getString();
      }
      {
        auto q = Stmt(
            "UPDATE outbox SET state = 'unknown', last_error = ?, lease_until = 0, updated_at = ?"
            " WHERE id = ?");
        q->bind(1, "interrupted while sending: the platform may or may not have posted it");
        q->bind(2, now);
        q->bind(3, r.id);
        q->exec();
      }
      {
        auto q = Stmt("UPDATE messages SET status = 'unknown' WHERE id = ?");
        q->bind(1, r.message_id);
        q->exec();
      }
      InsertDelivery({DeliveryKind::kChatNotice, r.conversation_id, 0, ChatTarget(channel),
                      unknown_notice(message, r.id)},
                     now);
      ++changed;
    }
    tx.commit();
    return changed;
  });
}

Result<std::vector<FailureOutcome>> SqliteStore::RecordDeliveryFailures(
    const std::string& platform, const std::vector<ReportedFailure>& failures, UnixMs now,
    const std::function<std::string(const StoredMessage&, std::int64_t, const std::string&)>&
        notice) {
  return storage::Guarded(
      mu_, "record_delivery_failures", [&]() -> Result<std::vector<FailureOutcome>> {
        SQLite::Transaction tx(*db_);
        std::vector<FailureOutcome> out;
        static const std::string kReplySql =
            std::string(storage::kMessageColumns) +
            " WHERE platform = ? AND platform_message_id = ? AND direction = 'out'"
            " ORDER BY id DESC LIMIT 1";
        for (const auto& f : failures) {
          std::optional<StoredMessage> reply;
          {
            auto q = Stmt(kReplySql.c_str());
            q->bind(1, platform);
            q->bind(2, f.remote_id);
            if (q->executeStep()) reply = storage::ReadMessage(*q);
          }
          if (!reply) {
            // The platform answered the send, but FinishDelivery has not stored the id yet.
            auto q = Stmt(
                "SELECT 1 FROM outbox WHERE state = 'sending' AND kind = 'platform_reply'"
                " AND substr(target, 1, length(?1) + 1) = ?1 || ':' LIMIT 1");
            q->bind(1, platform);
            out.push_back(q->executeStep() ? FailureOutcome::kPending
                                           : FailureOutcome::kUnknownMessage);
            continue;
          }
          {
            auto q = Stmt(
                "INSERT OR IGNORE INTO processed_events (platform, event_id, received_at)"
                " VALUES (?, ?, ?)");
            q->bind(1, platform);
            q->bind(2, f.event_id);
            q->bind(3, now);
            if (q->exec() == 0) {
              out.push_back(FailureOutcome::kDuplicate);
              continue;
            }
          }
          std::int64_t delivery_id = 0;
          {
            auto q = Stmt(
                "SELECT id FROM outbox WHERE kind = 'platform_reply' AND message_id = ? AND state "
                "= 'done'"
                " ORDER BY id DESC LIMIT 1");
            q->bind(1, reply->id);
            if (q->executeStep()) delivery_id = q->getColumn(0).getInt64();
          }
          if (reply->status != "sent" || delivery_id == 0) {
            out.push_back(FailureOutcome::kNotSent);
            continue;
          }
          {
            auto q = Stmt("UPDATE messages SET status = 'failed' WHERE id = ?");
            q->bind(1, reply->id);
            q->exec();
          }
          {
            auto q = Stmt(
                "UPDATE outbox SET state = 'dead', last_error = ?, updated_at = ? WHERE id = ?");
            q->bind(1, f.reason);
            q->bind(2, now);
            q->bind(3, delivery_id);
            q->exec();
          }
          bool later_reply_sent = false;
          {
            auto q = Stmt(
                "SELECT 1 FROM messages WHERE conversation_id = ? AND direction = 'out'"
                " AND status = 'sent' AND id > ? LIMIT 1");
            q->bind(1, reply->conversation_id);
            q->bind(2, reply->id);
            later_reply_sent = q->executeStep();
          }
          bool reopened = false;
          std::string channel;
          if (auto c = ReadConversationById(reply->conversation_id)) {
            channel = c->channel;
            if (AwaitsAnswerAfterFailedReply(c->state, later_reply_sent)) {
              c->state = ActiveState(c->assignee);
              c->updated_at = now;
              SaveConversationState(*c);
              reopened = true;
            }
          }
          InsertDelivery({DeliveryKind::kChatNotice, reply->conversation_id, 0, ChatTarget(channel),
                          notice(*reply, delivery_id, f.reason)},
                         now);
          if (reopened) {
            InsertDelivery(
                {DeliveryKind::kChatUpdate, reply->conversation_id, 0, ChatTarget(channel), ""},
                now);
          }
          out.push_back(FailureOutcome::kRecorded);
        }
        tx.commit();
        return out;
      });
}

}  // namespace duplex
