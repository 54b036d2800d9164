#include "storage/sqlite_rows.h"

namespace duplex::storage {
namespace {

std::optional<std::int64_t> OptionalInt(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

}  // namespace

void BindOptionalInt(SQLite::Statement& q, int index, const std::optional<std::int64_t>& v) {
  if (v) {
    q.bind(index, static_cast<std::int64_t>(*v));
  } else {
    q.bind(index);
  }
}

Conversation ReadConversation(SQLite::Statement& q) {
  Conversation c;
  c.id = q.getColumn(0).getInt64();
  c.platform = q.getColumn(1).getString();
  c.conversation_key = q.getColumn(2).getString();
  c.channel = q.getColumn(3).getString();
  c.chat_thread = q.getColumn(4).getString();
  c.route = q.getColumn(5).getString();
  c.state = ParseConversationState(q.getColumn(6).getString());
  c.assignee = q.getColumn(7).getString();
  c.author.id = q.getColumn(8).getString();
  c.author.handle = q.getColumn(9).getString();
  c.author.name = q.getColumn(10).getString();
  c.author.followers = OptionalInt(q.getColumn(11));
  c.account = q.getColumn(12).getString();
  c.created_at = q.getColumn(13).getInt64();
  c.updated_at = q.getColumn(14).getInt64();
  c.first_response_at = OptionalInt(q.getColumn(15));
  c.sla_started_at = q.getColumn(16).getInt64();
  c.sla_stopped_at = OptionalInt(q.getColumn(17));
  c.sla_reminded_at = OptionalInt(q.getColumn(18));
  c.sla_breached_at = OptionalInt(q.getColumn(19));
  return c;
}

StoredMessage ReadMessage(SQLite::Statement& q) {
  StoredMessage m;
  m.id = q.getColumn(0).getInt64();
  m.conversation_id = q.getColumn(1).getInt64();
  m.direction = ParseMessageDirection(q.getColumn(2).getString());
  m.kind = ParseMentionKind(q.getColumn(3).getString()).value_or(MentionKind::kMention);
  m.event_id = q.getColumn(4).getString();
  m.platform_message_id = q.getColumn(5).getString();
  m.author.id = q.getColumn(6).getString();
  m.author.handle = q.getColumn(7).getString();
  m.author.name = q.getColumn(8).getString();
  m.author.followers = OptionalInt(q.getColumn(9));
  m.chat_user = q.getColumn(10).getString();
  m.text = q.getColumn(11).getString();
  m.permalink = q.getColumn(12).getString();
  m.reply_target = q.getColumn(13).getString();
  m.parent_id = q.getColumn(14).getInt64();
  m.status = q.getColumn(15).getString();
  m.muted = q.getColumn(16).getInt() != 0;
  m.created_at = q.getColumn(17).getInt64();
  m.reopened = q.getColumn(18).getInt() != 0;
  m.chat_post = q.getColumn(19).getString();
  return m;
}

Delivery ReadDelivery(SQLite::Statement& q) {
  Delivery d;
  d.id = q.getColumn(0).getInt64();
  d.kind = ParseDeliveryKind(q.getColumn(1).getString());
  d.conversation_id = q.getColumn(2).getInt64();
  d.message_id = q.getColumn(3).getInt64();
  d.target = q.getColumn(4).getString();
  d.payload = q.getColumn(5).getString();
  d.state = ParseDeliveryState(q.getColumn(6).getString());
  d.attempts = q.getColumn(7).getInt();
  d.next_attempt_at = q.getColumn(8).getInt64();
  d.last_error = q.getColumn(9).getString();
  d.created_at = q.getColumn(10).getInt64();
  d.owner = q.getColumn(11).getString();
  d.lease_until = q.getColumn(12).getInt64();
  return d;
}

}  // namespace duplex::storage
