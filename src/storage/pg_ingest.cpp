// PgStore: ingest, claims of repeatable requests, reported delivery failures, and reading
// conversations and messages. The rules are core/conversation_rules.h's, as in SQLite.
#include "core/conversation_rules.h"
#include "storage/pg_listener.h"
#include "storage/pg_rows.h"
#include "storage/pg_store.h"

namespace duplex {

using storage::P;
using storage::Q;

bool PgStore::TakeClaim(PGconn* conn, const std::string& source, const std::string& id,
                        UnixMs now) {
  // Another instance taking the same claim waits for this transaction, then does nothing.
  return Q(conn,
           "INSERT INTO processed_events (platform, event_id, received_at) VALUES ($1, $2, $3)"
           " ON CONFLICT DO NOTHING",
           {source, id, P(now)})
             .Affected() > 0;
}

namespace {

// Dedup, the claim and the mute check in one round trip (a store across the network pays for
// each one, per message, inside the batch's transaction). The same decisions as
// SqliteStore::IngestOne, in its order: a message already stored under its identity is a
// duplicate (or our echo) unless this is an edit of a customer's message; otherwise the
// claim decides, and an instance taking the same claim at once waits for this transaction,
// then finds it taken. $1 platform, $2 message id, $3 edited, $4/$5 the claim's source and
// id, $6 now, $7/$8 the author as mutes name them.
constexpr const char* kDedupClaimMute =
    "WITH seen AS (SELECT direction FROM messages WHERE platform = $1 AND message_identity = $2"
    " AND message_identity <> '' LIMIT 1),"
    " claim AS (INSERT INTO processed_events (platform, event_id, received_at)"
    " SELECT $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM seen WHERE direction = 'out'"
    " OR NOT $3::boolean) ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT (SELECT direction FROM seen), EXISTS (SELECT 1 FROM claim),"
    " EXISTS (SELECT 1 FROM mutes WHERE platform = $1 AND lower(author) IN (lower($7), lower($8)))";

// The message, the conversation's updated_at (unless $17 says its state is saved anyway) and
// the chat post (unless muted, $18) with its notification to the listeners on channel $20
// (see PgStore::InsertDelivery) in one round trip; the message's id comes back.
constexpr const char* kInsertMessage =
    "WITH m AS (INSERT INTO messages (conversation_id, platform, direction, kind, event_id,"
    " platform_message_id, author_id, author_handle, author_name, author_followers, text,"
    " permalink, reply_target, muted, created_at, reopened, message_identity)"
    " VALUES ($1, $2, 'in', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    " RETURNING id),"
    " touch AS (UPDATE conversations SET updated_at = $14 WHERE id = $1 AND $17::boolean),"
    " post AS (INSERT INTO outbox (kind, conversation_id, message_id, target, payload, state,"
    " attempts, next_attempt_at, created_at, updated_at)"
    " SELECT 'chat_post', $1, m.id, $19, '', 'pending', 0, $14, $14, $14 FROM m"
    " WHERE NOT $18::boolean RETURNING id)"
    " SELECT m.id, (SELECT pg_notify($20, '') FROM post) FROM m";

std::string Bool(bool b) {
  return b ? "true" : "false";
}

}  // namespace

IngestOutcome PgStore::IngestOne(PGconn* conn, const IngestItem& item, UnixMs now) {
  const Mention& m = item.mention;
  IngestOutcome out;
  // See SqliteStore::IngestOne: the message's own id catches a replay under a new event id,
  // and a sent reply's id marks its webhook as our echo. A message with an identity is
  // deduplicated by it, not by the event id that brought it: the claim row is keyed by the
  // identity, so the same message reaching two instances at once is settled by the claim
  // rather than by a unique-index error on the message.
  const std::string identity = m.edited ? "" : m.message_id;
  const bool by_identity = !identity.empty();
  auto gate = Q(
      conn, kDedupClaimMute,
      {m.platform, m.message_id, Bool(m.edited), by_identity ? m.platform + ":message" : m.platform,
       by_identity ? identity : m.event_id, P(now), MuteKey(m.author.handle), m.author.id});
  if (!gate.IsNull(0, 0)) {
    out.echo = gate.Text(0, 0) == "out";
    if (out.echo || !m.edited) {
      out.duplicate = true;
      return out;
    }
  }
  if (gate.Text(0, 1) != "t") {
    out.duplicate = true;
    return out;
  }
  out.muted = gate.Text(0, 2) == "t";

  std::optional<Conversation> found;
  {
    auto r = Q(conn,
               std::string(storage::kConversationColumns) +
                   " WHERE platform = $1 AND conversation_key = $2 FOR UPDATE",
               {m.platform, m.conversation_key});
    if (r.Rows() > 0) found = storage::ReadConversation(r, 0);
  }
  if (!found && !m.parent_message_id.empty()) {
    auto r = Q(conn,
               "SELECT conversation_id FROM messages WHERE platform = $1"
               " AND platform_message_id = $2 AND platform_message_id <> '' LIMIT 1",
               {m.platform, m.parent_message_id});
    if (r.Rows() > 0) found = ReadConversationById(conn, r.Int(0, 0), true);
  }
  if (!found) {
    // ON CONFLICT: an instance that created it a moment ago wins; this one joins it.
    auto created = Q(conn,
                     "INSERT INTO conversations (platform, conversation_key, channel, route,"
                     " state, author_id, author_handle, author_name, author_followers, account,"
                     " created_at, updated_at, sla_started_at)"
                     " VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, $10, $10)"
                     " ON CONFLICT (platform, conversation_key) DO NOTHING RETURNING id",
                     {m.platform, m.conversation_key, item.channel, item.route, m.author.id,
                      m.author.handle, m.author.name, P(m.author.followers), m.account, P(now)});
    if (created.Rows() > 0) {
      out.new_conversation = true;
      found = ReadConversationById(conn, created.Int(0, 0), false);
    } else {
      auto r = Q(conn,
                 std::string(storage::kConversationColumns) +
                     " WHERE platform = $1 AND conversation_key = $2 FOR UPDATE",
                 {m.platform, m.conversation_key});
      found = storage::ReadConversation(r, 0);
    }
  }
  Conversation c = *found;
  out.conversation_id = c.id;

  const CustomerMessageEffect effect = out.new_conversation
                                           ? CustomerMessageEffect{}
                                           : OnCustomerMessage(c.state, out.muted, m.edited);
  out.reopened = effect.reopens;
  const bool touch = !effect.changes_state() && !out.new_conversation;
  auto msg = Q(conn, kInsertMessage,
               {P(c.id),
                m.platform,
                ToString(m.kind),
                m.event_id,
                m.message_id,
                m.author.id,
                m.author.handle,
                m.author.name,
                P(m.author.followers),
                m.text,
                m.permalink,
                m.reply_target,
                P(out.muted ? 1 : 0),
                P(now),
                P(out.reopened ? 1 : 0),
                identity,
                Bool(touch),
                Bool(out.muted),
                ChatTarget(c.channel),
                storage::kOutboxChannel});
  out.message_id = msg.Int(0, 0);
  if (effect.changes_state()) {
    ApplyCustomerMessage(c, effect, now);
    SaveConversationState(conn, c);
    if (!out.muted) {
      InsertDelivery(conn, {DeliveryKind::kChatUpdate, c.id, 0, ChatTarget(c.channel), ""}, now);
    }
  }
  return out;
}

Result<std::vector<IngestOutcome>> PgStore::Ingest(const std::vector<IngestItem>& items,
                                                   UnixMs now) {
  return storage::PgGuarded(*pool_, "ingest",
                            [&](PGconn* conn) -> Result<std::vector<IngestOutcome>> {
                              storage::PgTx tx(conn);
                              std::vector<IngestOutcome> out;
                              out.reserve(items.size());
                              for (const auto& item : items)
                                out.push_back(IngestOne(conn, item, now));
                              tx.Commit();
                              return out;
                            });
}

Result<bool> PgStore::ClaimEvent(const std::string& source, const std::string& id, UnixMs now) {
  return storage::PgGuarded(*pool_, "claim_event", [&](PGconn* conn) -> Result<bool> {
    return TakeClaim(conn, source, id, now);
  });
}

Result<std::vector<FailureOutcome>> PgStore::RecordDeliveryFailures(
    const std::string& platform, const std::vector<ReportedFailure>& failures, UnixMs now,
    const std::function<std::string(const StoredMessage&, std::int64_t, const std::string&)>&
        notice) {
  return storage::PgGuarded(
      *pool_, "record_delivery_failures", [&](PGconn* conn) -> Result<std::vector<FailureOutcome>> {
        storage::PgTx tx(conn);
        std::vector<FailureOutcome> out;
        for (const auto& f : failures) {
          auto r = Q(conn,
                     std::string(storage::kMessageColumns) +
                         " WHERE platform = $1 AND platform_message_id = $2 AND direction = 'out'"
                         " ORDER BY id DESC LIMIT 1",
                     {platform, f.remote_id});
          if (r.Rows() == 0) {
            // The platform answered the send, but FinishDelivery has not stored the id yet.
            const bool sending =
                Q(conn,
                  "SELECT 1 FROM outbox WHERE state = 'sending' AND kind = 'platform_reply'"
                  " AND starts_with(target, $1 || ':') LIMIT 1",
                  {platform})
                    .Rows() > 0;
            out.push_back(sending ? FailureOutcome::kPending : FailureOutcome::kUnknownMessage);
            continue;
          }
          const StoredMessage reply = storage::ReadMessage(r, 0);
          if (!TakeClaim(conn, platform, f.event_id, now)) {
            out.push_back(FailureOutcome::kDuplicate);
            continue;
          }
          auto d = Q(conn,
                     "SELECT id FROM outbox WHERE kind = 'platform_reply' AND message_id = $1"
                     " AND state = 'done' ORDER BY id DESC LIMIT 1",
                     {P(reply.id)});
          if (reply.status != "sent" || d.Rows() == 0) {
            out.push_back(FailureOutcome::kNotSent);
            continue;
          }
          const std::int64_t delivery_id = d.Int(0, 0);
          Q(conn, "UPDATE messages SET status = 'failed' WHERE id = $1", {P(reply.id)});
          Q(conn,
            "UPDATE outbox SET state = 'dead', last_error = $1, updated_at = $2 WHERE id = $3",
            {f.reason, P(now), P(delivery_id)});
          const bool later_reply_sent =
              Q(conn,
                "SELECT 1 FROM messages WHERE conversation_id = $1 AND direction = 'out'"
                " AND status = 'sent' AND id > $2 LIMIT 1",
                {P(reply.conversation_id), P(reply.id)})
                  .Rows() > 0;
          bool reopened = false;
          std::string channel;
          if (auto c = ReadConversationById(conn, reply.conversation_id, true)) {
            channel = c->channel;
            if (AwaitsAnswerAfterFailedReply(c->state, later_reply_sent)) {
              c->state = ActiveState(c->assignee);
              c->updated_at = now;
              SaveConversationState(conn, *c);
              reopened = true;
            }
          }
          InsertDelivery(conn,
                         {DeliveryKind::kChatNotice, reply.conversation_id, 0, ChatTarget(channel),
                          notice(reply, delivery_id, f.reason)},
                         now);
          if (reopened) {
            InsertDelivery(
                conn,
                {DeliveryKind::kChatUpdate, reply.conversation_id, 0, ChatTarget(channel), ""},
                now);
          }
          out.push_back(FailureOutcome::kRecorded);
        }
        tx.Commit();
        return out;
      });
}

Result<std::optional<Conversation>> PgStore::GetConversation(std::int64_t id) {
  return storage::PgGuarded(*pool_, "get_conversation",
                            [&](PGconn* conn) -> Result<std::optional<Conversation>> {
                              return ReadConversationById(conn, id, false);
                            });
}

Result<std::optional<Conversation>> PgStore::FindConversationByThread(const std::string& channel,
                                                                      const std::string& thread) {
  return storage::PgGuarded(*pool_, "find_conversation",
                            [&](PGconn* conn) -> Result<std::optional<Conversation>> {
                              if (thread.empty()) return std::optional<Conversation>();
                              auto r = Q(conn,
                                         std::string(storage::kConversationColumns) +
                                             " WHERE channel = $1 AND thread_ts = $2 LIMIT 1",
                                         {channel, thread});
                              if (r.Rows() == 0) return std::optional<Conversation>();
                              return std::optional<Conversation>(storage::ReadConversation(r, 0));
                            });
}

Result<std::optional<StoredMessage>> PgStore::GetMessage(std::int64_t id) {
  return storage::PgGuarded(
      *pool_, "get_message", [&](PGconn* conn) -> Result<std::optional<StoredMessage>> {
        auto r = Q(conn, std::string(storage::kMessageColumns) + " WHERE id = $1", {P(id)});
        if (r.Rows() == 0) return std::optional<StoredMessage>();
        return std::optional<StoredMessage>(storage::ReadMessage(r, 0));
      });
}

Result<std::vector<StoredMessage>> PgStore::ListMessages(std::int64_t conversation_id) {
  return storage::PgGuarded(
      *pool_, "list_messages", [&](PGconn* conn) -> Result<std::vector<StoredMessage>> {
        auto r = Q(
            conn, std::string(storage::kMessageColumns) + " WHERE conversation_id = $1 ORDER BY id",
            {P(conversation_id)});
        std::vector<StoredMessage> out;
        for (int i = 0; i < r.Rows(); ++i) out.push_back(storage::ReadMessage(r, i));
        return out;
      });
}

Result<std::optional<StoredMessage>> PgStore::LatestMessageFrom(std::int64_t conversation_id,
                                                                const std::string& author_id) {
  return storage::PgGuarded(
      *pool_, "latest_message_from", [&](PGconn* conn) -> Result<std::optional<StoredMessage>> {
        auto r = Q(conn,
                   std::string(storage::kMessageColumns) +
                       " WHERE conversation_id = $1 AND direction = 'in' AND author_id = $2"
                       " AND muted = 0 ORDER BY id DESC LIMIT 1",
                   {P(conversation_id), author_id});
        if (r.Rows() == 0) return std::optional<StoredMessage>();
        return std::optional<StoredMessage>(storage::ReadMessage(r, 0));
      });
}

}  // namespace duplex
