// SqliteStore: the staff workflow half (assignment and state, notes, the queue, SLA alerts,
// stats rows, reply templates).
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "core/conversation_rules.h"
#include "storage/sqlite_store.h"

namespace duplex {
namespace {

// kConversationColumns with more columns and a tail after "FROM conversations".
std::string ConversationQuery(const std::string& extra_columns, const std::string& tail) {
  std::string sql = storage::kConversationColumns;
  const std::string from = " FROM conversations";
  sql.insert(sql.rfind(from), extra_columns);
  return sql + tail;
}

// A customer message staff can see (muted authors' messages are stored but never shown).
constexpr const char* kHasVisibleMessage =
    " EXISTS (SELECT 1 FROM messages v WHERE v.conversation_id = conversations.id"
    " AND v.direction = 'in' AND v.muted = 0)";

void BindOptional(SQLite::Statement& q, int index, const std::optional<UnixMs>& v) {
  storage::BindOptionalInt(q, index, v);
}

}  // namespace

void SqliteStore::SaveConversationState(const Conversation& c) {
  auto q = Stmt(
      "UPDATE conversations SET state = ?, assignee = ?, sla_started_at = ?, sla_stopped_at = ?,"
      " sla_reminded_at = ?, sla_breached_at = ?, first_response_at = ?, updated_at = ?"
      " WHERE id = ?");
  q->bind(1, ToString(c.state));
  q->bind(2, c.assignee);
  q->bind(3, c.sla_started_at);
  BindOptional(*q, 4, c.sla_stopped_at);
  BindOptional(*q, 5, c.sla_reminded_at);
  BindOptional(*q, 6, c.sla_breached_at);
  BindOptional(*q, 7, c.first_response_at);
  q->bind(8, c.updated_at);
  q->bind(9, c.id);
  q->exec();
}

std::optional<Conversation> SqliteStore::ReadConversationById(std::int64_t id) {
  static const std::string kSql = std::string(storage::kConversationColumns) + " WHERE id = ?";
  auto q = Stmt(kSql.c_str());
  q->bind(1, id);
  if (!q->executeStep()) return std::nullopt;
  return storage::ReadConversation(*q);
}

Result<EditOutcome> SqliteStore::EditConversation(const ConversationEdit& edit, UnixMs now) {
  return storage::Guarded(mu_, "edit_conversation", [&]() -> Result<EditOutcome> {
    SQLite::Transaction tx(*db_);
    auto found = ReadConversationById(edit.conversation_id);
    if (!found) return Status::NotFound("no conversation #" + std::to_string(edit.conversation_id));
    EditOutcome out;
    out.before = *found;
    Conversation& c = out.after;
    c = *found;
    out.changed = ApplyEdit(c, edit, now);
    if (!out.changed) return out;
    SaveConversationState(c);
    if (!edit.notice.empty()) {
      InsertDelivery({DeliveryKind::kChatNotice, c.id, 0, ChatTarget(c.channel), edit.notice}, now);
    }
    InsertDelivery({DeliveryKind::kChatUpdate, c.id, 0, ChatTarget(c.channel), ""}, now);
    tx.commit();
    return out;
  });
}

Result<std::int64_t> SqliteStore::AddNote(const NewNote& note, UnixMs now) {
  return storage::Guarded(mu_, "add_note", [&]() -> Result<std::int64_t> {
    SQLite::Transaction tx(*db_);
    if (note.claim && !TakeClaim(*note.claim, now)) return std::int64_t{0};
    auto c = ReadConversationById(note.conversation_id);
    if (!c) return Status::NotFound("no conversation #" + std::to_string(note.conversation_id));
    auto ins = Stmt(
        "INSERT INTO messages (conversation_id, platform, direction, chat_user, text, created_at)"
        " VALUES (?, ?, 'note', ?, ?, ?)");
    ins->bind(1, note.conversation_id);
    ins->bind(2, c->platform);
    ins->bind(3, note.chat_user);
    ins->bind(4, note.text);
    ins->bind(5, now);
    ins->exec();
    const std::int64_t id = db_->getLastInsertRowid();
    if (!note.notice.empty()) {
      InsertDelivery(
          {DeliveryKind::kChatNotice, note.conversation_id, 0, ChatTarget(c->channel), note.notice},
          now);
    }
    auto touch = Stmt("UPDATE conversations SET updated_at = ? WHERE id = ?");
    touch->bind(1, now);
    touch->bind(2, note.conversation_id);
    touch->exec();
    tx.commit();
    return id;
  });
}

Result<std::vector<QueueEntry>> SqliteStore::ListQueue(const std::string& channel, int limit) {
  return storage::Guarded(mu_, "list_queue", [&]() -> Result<std::vector<QueueEntry>> {
    // Waiting since the oldest visible customer message after the last reply that reached
    // the platform; a conversation reopened by staff with none waits since its reopening.
    static const std::string kSql =
        "SELECT * FROM (" +
        ConversationQuery(
            ", COALESCE((SELECT MIN(m.created_at) FROM messages m"
            " WHERE m.conversation_id = conversations.id AND m.direction = 'in' AND m.muted = 0"
            " AND m.id > (SELECT COALESCE(MAX(o.id), 0) FROM messages o"
            " WHERE o.conversation_id = conversations.id AND o.direction = 'out'"
            " AND o.status = 'sent')), sla_started_at) AS waiting_since",
            " WHERE state IN ('open', 'assigned') AND (?1 = '' OR channel = ?1) AND" +
                std::string(kHasVisibleMessage)) +
        ") ORDER BY waiting_since, id LIMIT ?2";
    auto q = Stmt(kSql.c_str());
    q->bind(1, channel);
    q->bind(2, limit);
    std::vector<QueueEntry> out;
    while (q->executeStep()) {
      QueueEntry e;
      e.conversation = storage::ReadConversation(*q);
      e.waiting_since = q->getColumn(20).getInt64();
      out.push_back(std::move(e));
    }
    return out;
  });
}

Result<std::vector<Conversation>> SqliteStore::ListSlaCandidates(UnixMs started_before, int limit) {
  return storage::Guarded(mu_, "sla_candidates", [&]() -> Result<std::vector<Conversation>> {
    static const std::string kSql = ConversationQuery(
        "",
        " WHERE state <> 'closed' AND sla_stopped_at IS NULL AND sla_breached_at IS NULL"
        " AND sla_started_at <= ? AND" +
            std::string(kHasVisibleMessage) + " ORDER BY sla_started_at, id LIMIT ?");
    auto q = Stmt(kSql.c_str());
    q->bind(1, started_before);
    q->bind(2, limit);
    std::vector<Conversation> out;
    while (q->executeStep()) out.push_back(storage::ReadConversation(*q));
    return out;
  });
}

Result<bool> SqliteStore::RecordSlaAlert(const SlaAlertRecord& alert, UnixMs now) {
  return storage::Guarded(mu_, "record_sla_alert", [&]() -> Result<bool> {
    SQLite::Transaction tx(*db_);
    auto q = Stmt(
        "UPDATE conversations SET sla_reminded_at = COALESCE(sla_reminded_at, ?1),"
        " sla_breached_at = CASE WHEN ?2 <> 0 THEN ?1 ELSE sla_breached_at END"
        " WHERE id = ?3 AND sla_started_at = ?4 AND sla_stopped_at IS NULL AND state <> 'closed'"
        " AND sla_breached_at IS NULL AND (?2 <> 0 OR sla_reminded_at IS NULL)");
    q->bind(1, now);
    q->bind(2, alert.breach ? 1 : 0);
    q->bind(3, alert.conversation_id);
    q->bind(4, alert.cycle_started_at);
    if (q->exec() == 0) return false;
    auto c = ReadConversationById(alert.conversation_id);
    const std::string target = ChatTarget(c ? c->channel : "");
    InsertDelivery({DeliveryKind::kChatNotice, alert.conversation_id, 0, target, alert.notice},
                   now);
    InsertDelivery({DeliveryKind::kChatUpdate, alert.conversation_id, 0, target, ""}, now);
    tx.commit();
    return true;
  });
}

Result<std::vector<StatsRow>> SqliteStore::ListStatsRows(UnixMs since) {
  return storage::Guarded(mu_, "stats_rows", [&]() -> Result<std::vector<StatsRow>> {
    // updated_at moves with every customer message, so it bounds the scan from below.
    auto q = Stmt(
        "SELECT * FROM (SELECT c.id, c.platform, c.route, c.author_id, c.author_handle,"
        " c.author_name, c.author_followers, c.created_at, c.first_response_at, c.state,"
        " (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in'"
        " AND m.muted = 0 AND m.created_at >= ?1) AS n FROM conversations c"
        " WHERE c.updated_at >= ?1) WHERE n > 0 ORDER BY id");
    q->bind(1, since);
    std::vector<StatsRow> out;
    while (q->executeStep()) {
      StatsRow r;
      r.conversation_id = q->getColumn(0).getInt64();
      r.platform = q->getColumn(1).getString();
      r.route = q->getColumn(2).getString();
      r.author.id = q->getColumn(3).getString();
      r.author.handle = q->getColumn(4).getString();
      r.author.name = q->getColumn(5).getString();
      if (!q->getColumn(6).isNull()) r.author.followers = q->getColumn(6).getInt64();
      r.created_at = q->getColumn(7).getInt64();
      if (!q->getColumn(8).isNull()) r.first_response_at = q->getColumn(8).getInt64();
      r.closed = q->getColumn(9).getString() == "closed";
      r.messages_in_window = q->getColumn(10).getInt64();
      out.push_back(std::move(r));
    }
    return out;
  });
}

Result<std::vector<ReplyTemplate>> SqliteStore::ListTemplates() {
  return storage::Guarded(mu_, "list_templates", [&]() -> Result<std::vector<ReplyTemplate>> {
    auto q = Stmt("SELECT name, text, created_by, updated_at FROM reply_templates ORDER BY name");
    std::vector<ReplyTemplate> out;
    while (q->executeStep()) {
      out.push_back({q->getColumn(0).getString(), q->getColumn(1).getString(),
                     q->getColumn(2).getString(), q->getColumn(3).getInt64()});
    }
    return out;
  });
}

Result<std::optional<ReplyTemplate>> SqliteStore::GetTemplate(const std::string& name) {
  return storage::Guarded(mu_, "get_template", [&]() -> Result<std::optional<ReplyTemplate>> {
    auto q = Stmt("SELECT name, text, created_by, updated_at FROM reply_templates WHERE name = ?");
    q->bind(1, name);
    if (!q->executeStep()) return std::optional<ReplyTemplate>();
    return std::optional<ReplyTemplate>(
        ReplyTemplate{q->getColumn(0).getString(), q->getColumn(1).getString(),
                      q->getColumn(2).getString(), q->getColumn(3).getInt64()});
  });
}

Result<bool> SqliteStore::PutTemplate(const ReplyTemplate& t) {
  return storage::Guarded(mu_, "put_template", [&]() -> Result<bool> {
    SQLite::Transaction tx(*db_);
    bool existed = false;
    {
      auto q = Stmt("SELECT 1 FROM reply_templates WHERE name = ?");
      q->bind(1, t.name);
      existed = q->executeStep();
    }
    auto q = Stmt(
        "INSERT INTO reply_templates (name, text, created_by, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET text = excluded.text, created_by = excluded.created_by,"
        " updated_at = excluded.updated_at");
    q->bind(1, t.name);
    q->bind(2, t.text);
    q->bind(3, t.created_by);
    q->bind(4, t.updated_at);
    q->exec();
    tx.commit();
    return existed;
  });
}

Result<bool> SqliteStore::DeleteTemplate(const std::string& name) {
  return storage::Guarded(mu_, "delete_template", [&]() -> Result<bool> {
    auto q = Stmt("DELETE FROM reply_templates WHERE name = ?");
    q->bind(1, name);
    return q->exec() > 0;
  });
}

}  // namespace duplex
