#include "storage/pg_rows.h"

namespace duplex::storage {
namespace {

std::optional<std::int64_t> OptionalInt(const PgResult& r, int row, int col) {
  if (r.IsNull(row, col)) return std::nullopt;
  return r.Int(row, col);
}

}  // namespace

PgResult Q(PGconn* conn, const std::string& sql, const PgParams& params) {
  auto r = PgExec(conn, sql, params);
  if (!r.ok()) throw PgError(r.status().message());
  return std::move(*r);
}

std::optional<std::string> P(const std::optional<std::int64_t>& v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

Conversation ReadConversation(const PgResult& r, int row) {
  Conversation c;
  c.id = r.Int(row, 0);
  c.platform = r.Text(row, 1);
  c.conversation_key = r.Text(row, 2);
  c.channel = r.Text(row, 3);
  c.chat_thread = r.Text(row, 4);
  c.route = r.Text(row, 5);
  c.state = ParseConversationState(r.Text(row, 6));
  c.assignee = r.Text(row, 7);
  c.author.id = r.Text(row, 8);
  c.author.handle = r.Text(row, 9);
  c.author.name = r.Text(row, 10);
  c.author.followers = OptionalInt(r, row, 11);
  c.account = r.Text(row, 12);
  c.created_at = r.Int(row, 13);
  c.updated_at = r.Int(row, 14);
  c.first_response_at = OptionalInt(r, row, 15);
  c.sla_started_at = r.Int(row, 16);
  c.sla_stopped_at = OptionalInt(r, row, 17);
  c.sla_reminded_at = OptionalInt(r, row, 18);
  c.sla_breached_at = OptionalInt(r, row, 19);
  return c;
}

StoredMessage ReadMessage(const PgResult& r, int row) {
  StoredMessage m;
  m.id = r.Int(row, 0);
  m.conversation_id = r.Int(row, 1);
  m.direction = ParseMessageDirection(r.Text(row, 2));
  m.kind = ParseMentionKind(r.Text(row, 3)).value_or(MentionKind::kMention);
  m.event_id = r.Text(row, 4);
  m.platform_message_id = r.Text(row, 5);
  m.author.id = r.Text(row, 6);
  m.author.handle = r.Text(row, 7);
  m.author.name = r.Text(row, 8);
  m.author.followers = OptionalInt(r, row, 9);
  m.chat_user = r.Text(row, 10);
  m.text = r.Text(row, 11);
  m.permalink = r.Text(row, 12);
  m.reply_target = r.Text(row, 13);
  m.parent_id = r.Int(row, 14);
  m.status = r.Text(row, 15);
  m.muted = r.Int(row, 16) != 0;
  m.created_at = r.Int(row, 17);
  m.reopened = r.Int(row, 18) != 0;
  m.chat_post = r.Text(row, 19);
  return m;
}

Delivery ReadDelivery(const PgResult& r, int row) {
  Delivery d;
  d.id = r.Int(row, 0);
  d.kind = ParseDeliveryKind(r.Text(row, 1));
  d.conversation_id = r.Int(row, 2);
  d.message_id = r.Int(row, 3);
  d.target = r.Text(row, 4);
  d.payload = r.Text(row, 5);
  d.state = ParseDeliveryState(r.Text(row, 6));
  d.attempts = static_cast<int>(r.Int(row, 7));
  d.next_attempt_at = r.Int(row, 8);
  d.last_error = r.Text(row, 9);
  d.created_at = r.Int(row, 10);
  d.owner = r.Text(row, 11);
  d.lease_until = r.Int(row, 12);
  return d;
}

}  // namespace duplex::storage
