// PgStore: the outbox (claiming, finishing, recovering and listing deliveries).
#include <algorithm>

#include "core/conversation_rules.h"
#include "storage/pg_listener.h"
#include "storage/pg_rows.h"
#include "storage/pg_store.h"

namespace duplex {

using storage::P;
using storage::Q;

namespace {

// Claimable: pending, due, not a skipped target, and the head of its conversation (see
// SqliteStore's kDueFilter). Read without locking: the claim itself is the conditional
// UPDATE in ClaimDue, which PostgreSQL re-checks under the row lock, so of two instances
// wanting one row exactly one gets it. Locking the candidates here (FOR UPDATE) would make
// every pass a writing transaction, and a pass that claims nothing (the chat's rate limit
// holds a backlog back) would still cost a WAL flush: measured, a hundred fsyncs a second
// beside the ingest commits, which cut durable ingest to a sixth.
constexpr const char* kClaimFilter =
    " WHERE o.state = 'pending' AND o.next_attempt_at <= $1 AND NOT (o.target = ANY($2::text[]))"
    " AND (o.conversation_id = 0 OR NOT EXISTS (SELECT 1 FROM outbox p"
    " WHERE p.conversation_id = o.conversation_id AND p.id < o.id"
    " AND p.state IN ('pending', 'sending')"
    " AND (o.kind = 'chat_update' OR p.kind <> 'chat_update')))";
constexpr const char* kClaimOrder = " ORDER BY o.next_attempt_at, o.id LIMIT $3";

// The same with targets to skip. A skipped (rate-limited) target may hold nearly all of the
// backlog, and reading past its rows would make every claim pass cost O(backlog) while the
// chat's limit holds a flood back. Instead: the targets with pending work (few: chat
// channels and platform accounts), one index seek each on outbox_target_due, and the due
// heads of each target not skipped — as SqliteStore::DueHeads does, in one statement.
const std::string& ClaimCandidatesSkipping() {
  static const std::string sql =
      std::string("WITH RECURSIVE targets(t) AS (") +
      "(SELECT target FROM outbox WHERE state = 'pending' ORDER BY target LIMIT 1)"
      " UNION ALL SELECT (SELECT target FROM outbox WHERE state = 'pending' AND target > t"
      " ORDER BY target LIMIT 1) FROM targets WHERE t IS NOT NULL)"
      " SELECT d.* FROM targets, LATERAL (" +
      storage::kDeliveryColumns + " o" + kClaimFilter + " AND o.target = targets.t" + kClaimOrder +
      ") d WHERE targets.t IS NOT NULL AND NOT (targets.t = ANY($2::text[]))"
      " ORDER BY d.next_attempt_at, d.id LIMIT $3";
  return sql;
}

// Every instance's listener hears of it when the transaction commits (nothing if it rolls
// back); repeats within one transaction are delivered once.
void NotifyOutbox(PGconn* conn) {
  Q(conn, "SELECT pg_notify($1, '')", {storage::kOutboxChannel});
}

}  // namespace

std::int64_t PgStore::InsertDelivery(PGconn* conn, const NewDelivery& d, UnixMs now) {
  if (d.kind == DeliveryKind::kChatUpdate) {
    auto pending = Q(conn,
                     "SELECT id FROM outbox WHERE state = 'pending' AND conversation_id = $1"
                     " AND kind = 'chat_update' LIMIT 1",
                     {P(d.conversation_id)});
    if (!NeedsNewRootUpdate(pending.Rows() > 0)) return pending.Int(0, 0);
  }
  // Due at once, so the listeners are notified, in the same round trip (see NotifyOutbox).
  auto r =
      Q(conn,
        "WITH d AS (INSERT INTO outbox (kind, conversation_id, message_id, target, payload, state,"
        " attempts, next_attempt_at, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6) RETURNING id)"
        " SELECT id, pg_notify($7, '') FROM d",
        {ToString(d.kind), P(d.conversation_id), P(d.message_id), d.target, d.payload, P(now),
         storage::kOutboxChannel});
  return r.Int(0, 0);
}

std::optional<Conversation> PgStore::ReadConversationById(PGconn* conn, std::int64_t id,
                                                          bool for_update) {
  auto r = Q(conn,
             std::string(storage::kConversationColumns) + " WHERE id = $1" +
                 (for_update ? " FOR UPDATE" : ""),
             {P(id)});
  if (r.Rows() == 0) return std::nullopt;
  return storage::ReadConversation(r, 0);
}

void PgStore::SaveConversationState(PGconn* conn, const Conversation& c) {
  Q(conn,
    "UPDATE conversations SET state = $1, assignee = $2, sla_started_at = $3,"
    " sla_stopped_at = $4, sla_reminded_at = $5, sla_breached_at = $6, first_response_at = $7,"
    " updated_at = $8 WHERE id = $9",
    {ToString(c.state), c.assignee, P(c.sla_started_at), P(c.sla_stopped_at), P(c.sla_reminded_at),
     P(c.sla_breached_at), P(c.first_response_at), P(c.updated_at), P(c.id)});
}

Result<std::vector<Delivery>> PgStore::ClaimDue(const std::string& owner, UnixMs now,
                                                UnixMs lease_ms, int limit,
                                                const std::vector<std::string>& skip_targets,
                                                const std::function<bool(const Delivery&)>& admit) {
  return storage::PgGuarded(
      *pool_, "claim_due", [&](PGconn* conn) -> Result<std::vector<Delivery>> {
        storage::PgTx tx(conn);
        std::vector<std::string> skip = skip_targets;
        std::vector<std::int64_t> admitted;
        // A refused target may fill the LIMIT: look again without it, a few times at most. The
        // rows admitted so far are not claimed yet, so they come back first: ask for the whole
        // limit again, not only what is missing, or they would crowd out the rest.
        for (int round = 0; round < 4 && static_cast<int>(admitted.size()) < limit; ++round) {
          auto due = Q(conn,
                       skip.empty() ? std::string(storage::kDeliveryColumns) + " o" + kClaimFilter +
                                          kClaimOrder
                                    : ClaimCandidatesSkipping(),
                       {P(now), storage::TextArray(skip), P(limit)});
          bool refused_any = false;
          for (int i = 0; i < due.Rows() && static_cast<int>(admitted.size()) < limit; ++i) {
            const Delivery d = storage::ReadDelivery(due, i);
            if (std::find(admitted.begin(), admitted.end(), d.id) != admitted.end()) continue;
            if (admit && !admit(d)) {
              if (std::find(skip.begin(), skip.end(), d.target) == skip.end())
                skip.push_back(d.target);
              refused_any = true;
              continue;
            }
            admitted.push_back(d.id);
          }
          if (!refused_any || due.Rows() < limit) break;
        }
        std::vector<Delivery> claimed;
        if (!admitted.empty()) {
          std::string ids = "{";
          for (std::size_t i = 0; i < admitted.size(); ++i) ids += (i ? "," : "") + P(admitted[i]);
          ids += "}";
          auto r =
              Q(conn,
                "UPDATE outbox SET state = 'sending', owner = $1, lease_until = $2,"
                " updated_at = $3 WHERE id = ANY($4::bigint[]) AND state = 'pending' RETURNING " +
                    std::string(storage::kDeliveryFields),
                {owner, P(now + lease_ms), P(now), ids});
          for (int i = 0; i < r.Rows(); ++i) claimed.push_back(storage::ReadDelivery(r, i));
          std::sort(claimed.begin(), claimed.end(), [](const Delivery& a, const Delivery& b) {
            return a.next_attempt_at != b.next_attempt_at ? a.next_attempt_at < b.next_attempt_at
                                                          : a.id < b.id;
          });
        }
        tx.Commit();
        return claimed;
      });
}

Result<int> PgStore::RenewLeases(const std::string& owner, UnixMs now, UnixMs lease_ms) {
  return storage::PgGuarded(*pool_, "renew_leases", [&](PGconn* conn) -> Result<int> {
    return Q(conn, "UPDATE outbox SET lease_until = $1 WHERE owner = $2 AND state = 'sending'",
             {P(now + lease_ms), owner})
        .Affected();
  });
}

Result<int> PgStore::RecoverExpired(
    UnixMs now,
    const std::function<std::string(const StoredMessage&, std::int64_t)>& unknown_notice) {
  return storage::PgGuarded(*pool_, "recover_expired", [&](PGconn* conn) -> Result<int> {
    storage::PgTx tx(conn);
    // SKIP LOCKED: another instance recovering at the same moment takes the other rows.
    auto expired = Q(conn,
                     std::string(storage::kDeliveryColumns) +
                         " WHERE state = 'sending' AND lease_until <= $1 FOR UPDATE SKIP LOCKED",
                     {P(now)});
    int changed = 0;
    bool retried = false;  // pending again, due now
    for (int i = 0; i < expired.Rows(); ++i) {
      const Delivery d = storage::ReadDelivery(expired, i);
      if (OnExpiredClaim(d.kind == DeliveryKind::kPlatformReply) == ExpiredClaimAction::kRetry) {
        changed += Q(conn,
                     "UPDATE outbox SET state = 'pending', lease_until = 0, updated_at = $1"
                     " WHERE id = $2",
                     {P(now), P(d.id)})
                       .Affected();
        retried = true;
        continue;
      }
      StoredMessage message;
      auto m = Q(conn, std::string(storage::kMessageColumns) + " WHERE id = $1", {P(d.message_id)});
      if (m.Rows() > 0) message = storage::ReadMessage(m, 0);
      const auto c = ReadConversationById(conn, d.conversation_id, false);
      Q(conn,
        "UPDATE outbox SET state = 'unknown', last_error = $1, lease_until = 0, updated_at = $2"
        " WHERE id = $3",
        {"interrupted while sending: the platform may or may not have posted it", P(now), P(d.id)});
      Q(conn, "UPDATE messages SET status = 'unknown' WHERE id = $1", {P(d.message_id)});
      InsertDelivery(conn,
                     {DeliveryKind::kChatNotice, d.conversation_id, 0,
                      ChatTarget(c ? c->channel : ""), unknown_notice(message, d.id)},
                     now);
      ++changed;
    }
    if (retried) NotifyOutbox(conn);
    tx.Commit();
    return changed;
  });
}

Status PgStore::FinishDelivery(const DeliveryUpdate& u, UnixMs now) {
  return storage::PgGuarded(*pool_, "finish_delivery", [&](PGconn* conn) -> Status {
    storage::PgTx tx(conn);
    auto row = Q(conn,
                 "SELECT conversation_id, message_id FROM outbox WHERE id = $1"
                 " AND state = 'sending' AND owner = $2 FOR UPDATE",
                 {P(u.id), u.owner});
    if (row.Rows() == 0) {
      return Status::NotFound("delivery " + std::to_string(u.id) + " is not claimed by " + u.owner +
                              " (its lease ran out and it was settled elsewhere)");
    }
    const std::int64_t conversation_id = row.Int(0, 0);
    const std::int64_t message_id = row.Int(0, 1);
    Q(conn,
      "UPDATE outbox SET state = $1, attempts = attempts + $2, next_attempt_at = $3,"
      " last_error = $4, updated_at = $5, lease_until = 0 WHERE id = $6",
      {ToString(u.state), P(u.count_attempt ? 1 : 0),
       P(u.state == DeliveryState::kPending ? u.next_attempt_at : now), u.error, P(now), P(u.id)});
    if (!u.chat_thread_for_conversation.empty() && conversation_id != 0) {
      Q(conn, "UPDATE conversations SET thread_ts = $1 WHERE id = $2 AND thread_ts = ''",
        {u.chat_thread_for_conversation, P(conversation_id)});
    }
    if (message_id != 0 && (!u.message_chat_post.empty() || !u.message_remote_id.empty() ||
                            !u.message_url.empty() || !u.message_status.empty())) {
      Q(conn,
        "UPDATE messages SET chat_ts = CASE WHEN $1 <> '' THEN $1 ELSE chat_ts END,"
        " platform_message_id = CASE WHEN $2 <> '' THEN $2 ELSE platform_message_id END,"
        " permalink = CASE WHEN $3 <> '' THEN $3 ELSE permalink END,"
        " status = CASE WHEN $4 <> '' THEN $4 ELSE status END WHERE id = $5",
        {u.message_chat_post, u.message_remote_id, u.message_url, u.message_status, P(message_id)});
    }
    if (!u.message_remote_id.empty() && message_id != 0) {
      // The reply's id marks the platform's webhook for it as our echo, unless a stored
      // message holds it already (an echo that arrived first): then the reply goes without.
      Q(conn,
        "UPDATE messages SET message_identity = $1 WHERE id = $2 AND direction = 'out'"
        " AND NOT EXISTS (SELECT 1 FROM messages h WHERE h.platform = messages.platform"
        " AND h.message_identity = $1)",
        {u.message_remote_id, P(message_id)});
    }
    if (!u.parent_reply_target.empty() && message_id != 0) {
      Q(conn,
        "UPDATE messages SET reply_target = $1 WHERE id = (SELECT parent_id FROM messages"
        " WHERE id = $2) AND direction = 'in'",
        {u.parent_reply_target, P(message_id)});
    }
    if (u.first_response && conversation_id != 0) {
      if (auto c = ReadConversationById(conn, conversation_id, true)) {
        ApplyReplySent(*c, now);
        SaveConversationState(conn, *c);
      }
    }
    for (const auto& f : u.follow_ups) InsertDelivery(conn, f, now);
    if (!u.credential.empty() && u.credential_alert) {
      // An instance raising the same alert at once waits for this transaction, then finds it
      // raised.
      if (Q(conn,
            "INSERT INTO credential_alerts (credential, raised_at) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            {u.credential, P(now)})
              .Affected() > 0) {
        InsertDelivery(conn, *u.credential_alert, now);
      }
    } else if (!u.credential.empty()) {
      Q(conn, "DELETE FROM credential_alerts WHERE credential = $1", {u.credential});
    }
    // Released unattempted (its worker is stopping): another instance may take it now.
    if (u.state == DeliveryState::kPending && u.next_attempt_at <= now) NotifyOutbox(conn);
    tx.Commit();
    return Status::Ok();
  });
}

Result<std::optional<Delivery>> PgStore::GetDelivery(std::int64_t id) {
  return storage::PgGuarded(
      *pool_, "get_delivery", [&](PGconn* conn) -> Result<std::optional<Delivery>> {
        auto r = Q(conn, std::string(storage::kDeliveryColumns) + " WHERE id = $1", {P(id)});
        if (r.Rows() == 0) return std::optional<Delivery>();
        return std::optional<Delivery>(storage::ReadDelivery(r, 0));
      });
}

Result<std::optional<UnixMs>> PgStore::NextDueAt() {
  return storage::PgGuarded(*pool_, "next_due", [&](PGconn* conn) -> Result<std::optional<UnixMs>> {
    auto r = Q(conn, "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'");
    if (r.IsNull(0, 0)) return std::optional<UnixMs>();
    return std::optional<UnixMs>(r.Int(0, 0));
  });
}

Result<OutboxStats> PgStore::GetOutboxStats() {
  return storage::PgGuarded(*pool_, "outbox_stats", [&](PGconn* conn) -> Result<OutboxStats> {
    auto r = Q(conn,
               "SELECT COUNT(*) FILTER (WHERE state IN ('pending', 'sending')),"
               " COUNT(*) FILTER (WHERE state = 'dead'), COUNT(*) FILTER (WHERE state = 'unknown'),"
               " MIN(created_at) FILTER (WHERE state IN ('pending', 'sending')) FROM outbox");
    OutboxStats s;
    s.pending = r.Int(0, 0);
    s.dead = r.Int(0, 1);
    s.unknown = r.Int(0, 2);
    if (!r.IsNull(0, 3)) s.oldest_pending_created_at = r.Int(0, 3);
    return s;
  });
}

Result<std::vector<Delivery>> PgStore::ListDeliveries(const std::vector<DeliveryState>& states,
                                                      int limit) {
  return storage::PgGuarded(*pool_, "list_deliveries",
                            [&](PGconn* conn) -> Result<std::vector<Delivery>> {
                              std::vector<std::string> names;
                              for (auto st : states) names.push_back(ToString(st));
                              auto r = Q(conn,
                                         std::string(storage::kDeliveryColumns) +
                                             " WHERE state = ANY($1::text[]) ORDER BY id DESC"
                                             " LIMIT $2",
                                         {storage::TextArray(names), P(limit)});
                              std::vector<Delivery> out;
                              for (int i = 0; i < r.Rows(); ++i)
                                out.push_back(storage::ReadDelivery(r, i));
                              return out;
                            });
}

Result<Delivery> PgStore::RequeueDelivery(std::int64_t id, UnixMs now) {
  return storage::PgGuarded(*pool_, "requeue_delivery", [&](PGconn* conn) -> Result<Delivery> {
    storage::PgTx tx(conn);
    auto r = Q(conn, std::string(storage::kDeliveryColumns) + " WHERE id = $1 FOR UPDATE", {P(id)});
    if (r.Rows() == 0) return Status::NotFound("no delivery " + std::to_string(id));
    Delivery d = storage::ReadDelivery(r, 0);
    if (d.state != DeliveryState::kDead && d.state != DeliveryState::kUnknown) {
      return Status::Invalid("delivery " + std::to_string(id) + " is " + ToString(d.state) +
                             ", not dead or unknown");
    }
    Q(conn,
      "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1"
      " WHERE id = $2",
      {P(now), P(id)});
    if (d.kind == DeliveryKind::kPlatformReply && d.message_id != 0) {
      Q(conn, "UPDATE messages SET status = 'queued' WHERE id = $1", {P(d.message_id)});
    }
    NotifyOutbox(conn);
    tx.Commit();
    d.state = DeliveryState::kPending;
    d.attempts = 0;
    d.next_attempt_at = now;
    return d;
  });
}

}  // namespace duplex
