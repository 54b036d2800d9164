// PgStore: the staff workflow (replies, assignment and state, notes, the queue, SLA alerts,
// stats rows, reply templates). The rules are core/conversation_rules.h's, as in SQLite.
#include "core/conversation_rules.h"
#include "storage/pg_rows.h"
#include "storage/pg_store.h"

namespace duplex {

using storage::P;
using storage::Q;

namespace {

// A customer message staff can see (muted authors' messages are stored but never shown).
constexpr const char* kHasVisibleMessage =
    " EXISTS (SELECT 1 FROM messages v WHERE v.conversation_id = conversations.id"
    " AND v.direction = 'in' AND v.muted = 0)";

ReplyTemplate ReadTemplate(const storage::PgResult& r, int row) {
  return {r.Text(row, 0), r.Text(row, 1), r.Text(row, 2), r.Int(row, 3)};
}

}  // namespace

Result<QueuedReply> PgStore::QueueReply(const NewReply& reply, UnixMs now) {
  return storage::PgGuarded(*pool_, "queue_reply", [&](PGconn* conn) -> Result<QueuedReply> {
    storage::PgTx tx(conn);
    if (reply.claim && !TakeClaim(conn, reply.claim->source, reply.claim->id, now)) {
      QueuedReply repeat;
      repeat.repeat = true;
      return repeat;
    }
    auto c = ReadConversationById(conn, reply.conversation_id, true);
    if (!c) return Status::NotFound("no conversation #" + std::to_string(reply.conversation_id));
    if (Q(conn,
          "SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2 AND direction = 'in'",
          {P(reply.parent_id), P(reply.conversation_id)})
            .Rows() == 0) {
      return Status::NotFound("message " + std::to_string(reply.parent_id) +
                              " is not a customer message of conversation #" +
                              std::to_string(reply.conversation_id));
    }
    QueuedReply out;
    out.message_id = Q(conn,
                       "INSERT INTO messages (conversation_id, platform, direction, chat_user,"
                       " text, parent_id, status, created_at)"
                       " VALUES ($1, $2, 'out', $3, $4, $5, 'queued', $6) RETURNING id",
                       {P(reply.conversation_id), c->platform, reply.chat_user, reply.text,
                        P(reply.parent_id), P(now)})
                         .Int(0, 0);
    out.delivery_id = InsertDelivery(
        conn,
        {DeliveryKind::kPlatformReply, reply.conversation_id, out.message_id, reply.target, ""},
        now);
    Q(conn, "UPDATE conversations SET updated_at = $1 WHERE id = $2",
      {P(now), P(reply.conversation_id)});
    tx.Commit();
    return out;
  });
}

Result<EditOutcome> PgStore::EditConversation(const ConversationEdit& edit, UnixMs now) {
  return storage::PgGuarded(*pool_, "edit_conversation", [&](PGconn* conn) -> Result<EditOutcome> {
    storage::PgTx tx(conn);
    auto found = ReadConversationById(conn, edit.conversation_id, true);
    if (!found) return Status::NotFound("no conversation #" + std::to_string(edit.conversation_id));
    EditOutcome out;
    out.before = *found;
    out.after = *found;
    out.changed = ApplyEdit(out.after, edit, now);
    if (!out.changed) return out;
    const Conversation& c = out.after;
    SaveConversationState(conn, c);
    if (!edit.notice.empty()) {
      InsertDelivery(conn, {DeliveryKind::kChatNotice, c.id, 0, ChatTarget(c.channel), edit.notice},
                     now);
    }
    InsertDelivery(conn, {DeliveryKind::kChatUpdate, c.id, 0, ChatTarget(c.channel), ""}, now);
    tx.Commit();
    return out;
  });
}

Result<std::int64_t> PgStore::AddNote(const NewNote& note, UnixMs now) {
  return storage::PgGuarded(*pool_, "add_note", [&](PGconn* conn) -> Result<std::int64_t> {
    storage::PgTx tx(conn);
    if (note.claim && !TakeClaim(conn, note.claim->source, note.claim->id, now)) {
      return std::int64_t{0};
    }
    auto c = ReadConversationById(conn, note.conversation_id, true);
    if (!c) return Status::NotFound("no conversation #" + std::to_string(note.conversation_id));
    const std::int64_t id =
        Q(conn,
          "INSERT INTO messages (conversation_id, platform, direction,"
          " chat_user, text, created_at) VALUES ($1, $2, 'note', $3, $4, $5)"
          " RETURNING id",
          {P(note.conversation_id), c->platform, note.chat_user, note.text, P(now)})
            .Int(0, 0);
    if (!note.notice.empty()) {
      InsertDelivery(
          conn,
          {DeliveryKind::kChatNotice, note.conversation_id, 0, ChatTarget(c->channel), note.notice},
          now);
    }
    Q(conn, "UPDATE conversations SET updated_at = $1 WHERE id = $2",
      {P(now), P(note.conversation_id)});
    tx.Commit();
    return id;
  });
}

Result<std::vector<QueueEntry>> PgStore::ListQueue(const std::string& channel, int limit) {
  return storage::PgGuarded(
      *pool_, "list_queue", [&](PGconn* conn) -> Result<std::vector<QueueEntry>> {
        // Waiting since the oldest visible customer message after the last reply that reached
        // the platform; a conversation reopened by staff with none waits since its reopening.
        std::string columns = storage::kConversationColumns;
        columns.insert(columns.rfind(" FROM conversations"),
                       ", COALESCE((SELECT MIN(m.created_at) FROM messages m"
                       " WHERE m.conversation_id = conversations.id AND m.direction = 'in'"
                       " AND m.muted = 0 AND m.id > (SELECT COALESCE(MAX(o.id), 0) FROM messages o"
                       " WHERE o.conversation_id = conversations.id AND o.direction = 'out'"
                       " AND o.status = 'sent')), sla_started_at) AS waiting_since");
        auto r = Q(conn,
                   "SELECT * FROM (" + columns +
                       " WHERE state IN ('open', 'assigned') AND ($1 = '' OR channel = $1) AND" +
                       kHasVisibleMessage + ") q ORDER BY waiting_since, id LIMIT $2",
                   {channel, P(limit)});
        std::vector<QueueEntry> out;
        for (int i = 0; i < r.Rows(); ++i) {
          QueueEntry e;
          e.conversation = storage::ReadConversation(r, i);
          e.waiting_since = r.Int(i, 20);
          out.push_back(std::move(e));
        }
        return out;
      });
}

Result<std::vector<Conversation>> PgStore::ListSlaCandidates(UnixMs started_before, int limit) {
  return storage::PgGuarded(
      *pool_, "sla_candidates", [&](PGconn* conn) -> Result<std::vector<Conversation>> {
        auto r = Q(conn,
                   std::string(storage::kConversationColumns) +
                       " WHERE state <> 'closed' AND sla_stopped_at IS NULL"
                       " AND sla_breached_at IS NULL AND sla_started_at <= $1 AND" +
                       kHasVisibleMessage + " ORDER BY sla_started_at, id LIMIT $2",
                   {P(started_before), P(limit)});
        std::vector<Conversation> out;
        for (int i = 0; i < r.Rows(); ++i) out.push_back(storage::ReadConversation(r, i));
        return out;
      });
}

Result<bool> PgStore::RecordSlaAlert(const SlaAlertRecord& alert, UnixMs now) {
  return storage::PgGuarded(*pool_, "record_sla_alert", [&](PGconn* conn) -> Result<bool> {
    storage::PgTx tx(conn);
    // The row lock makes two instances' alerts for one cycle record once: the second sees
    // the first's sla_reminded_at when the lock is released, and changes nothing.
    auto updated =
        Q(conn,
          "UPDATE conversations SET sla_reminded_at = COALESCE(sla_reminded_at, $1),"
          " sla_breached_at = CASE WHEN $2 <> 0 THEN $1 ELSE sla_breached_at END"
          " WHERE id = $3 AND sla_started_at = $4 AND sla_stopped_at IS NULL"
          " AND state <> 'closed' AND sla_breached_at IS NULL"
          " AND ($2 <> 0 OR sla_reminded_at IS NULL) RETURNING channel",
          {P(now), P(alert.breach ? 1 : 0), P(alert.conversation_id), P(alert.cycle_started_at)});
    if (updated.Rows() == 0) return false;
    const std::string target = ChatTarget(updated.Text(0, 0));
    InsertDelivery(
        conn, {DeliveryKind::kChatNotice, alert.conversation_id, 0, target, alert.notice}, now);
    InsertDelivery(conn, {DeliveryKind::kChatUpdate, alert.conversation_id, 0, target, ""}, now);
    tx.Commit();
    return true;
  });
}

Result<std::vector<StatsRow>> PgStore::ListStatsRows(UnixMs since) {
  return storage::PgGuarded(
      *pool_, "stats_rows", [&](PGconn* conn) -> Result<std::vector<StatsRow>> {
        auto r = Q(conn,
                   "SELECT * FROM (SELECT c.id, c.platform, c.route, c.author_id, c.author_handle,"
                   " c.author_name, c.author_followers, c.created_at, c.first_response_at, c.state,"
                   " (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id"
                   " AND m.direction = 'in' AND m.muted = 0 AND m.created_at >= $1) AS n"
                   " FROM conversations c WHERE c.updated_at >= $1) q WHERE n > 0 ORDER BY id",
                   {P(since)});
        std::vector<StatsRow> out;
        for (int i = 0; i < r.Rows(); ++i) {
          StatsRow row;
          row.conversation_id = r.Int(i, 0);
          row.platform = r.Text(i, 1);
          row.route = r.Text(i, 2);
          row.author.id = r.Text(i, 3);
          row.author.handle = r.Text(i, 4);
          row.author.name = r.Text(i, 5);
          if (!r.IsNull(i, 6)) row.author.followers = r.Int(i, 6);
          row.created_at = r.Int(i, 7);
          if (!r.IsNull(i, 8)) row.first_response_at = r.Int(i, 8);
          row.closed = r.Text(i, 9) == "closed";
          row.messages_in_window = r.Int(i, 10);
          out.push_back(std::move(row));
        }
        return out;
      });
}

Result<std::vector<ReplyTemplate>> PgStore::ListTemplates() {
  return storage::PgGuarded(*pool_, "list_templates",
                            [&](PGconn* conn) -> Result<std::vector<ReplyTemplate>> {
                              auto r = Q(conn,
                                         "SELECT name, text, created_by, updated_at"
                                         " FROM reply_templates ORDER BY name");
                              std::vector<ReplyTemplate> out;
                              for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadTemplate(r, i));
                              return out;
                            });
}

Result<std::optional<ReplyTemplate>> PgStore::GetTemplate(const std::string& name) {
  return storage::PgGuarded(
      *pool_, "get_template", [&](PGconn* conn) -> Result<std::optional<ReplyTemplate>> {
        auto r = Q(conn,
                   "SELECT name, text, created_by, updated_at FROM reply_templates WHERE name = $1",
                   {name});
        if (r.Rows() == 0) return std::optional<ReplyTemplate>();
        return std::optional<ReplyTemplate>(ReadTemplate(r, 0));
      });
}

Result<bool> PgStore::PutTemplate(const ReplyTemplate& t) {
  return storage::PgGuarded(*pool_, "put_template", [&](PGconn* conn) -> Result<bool> {
    // xmax <> 0: the row was updated (it existed), not inserted.
    return Q(conn,
             "INSERT INTO reply_templates (name, text, created_by, updated_at)"
             " VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET text = excluded.text,"
             " created_by = excluded.created_by, updated_at = excluded.updated_at"
             " RETURNING xmax <> 0",
             {t.name, t.text, t.created_by, P(t.updated_at)})
               .Text(0, 0) == "t";
  });
}

Result<bool> PgStore::DeleteTemplate(const std::string& name) {
  return storage::PgGuarded(*pool_, "delete_template", [&](PGconn* conn) -> Result<bool> {
    return Q(conn, "DELETE FROM reply_templates WHERE name = $1", {name}).Affected() > 0;
  });
}

}  // namespace duplex
