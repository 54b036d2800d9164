// Internal to the stores: the columns every row reader expects, in order. Plain SQL that
// SQLite and PostgreSQL both read the same way.
#pragma once

namespace duplex::storage {

inline constexpr const char* kConversationColumns =
    "SELECT id, platform, conversation_key, channel, thread_ts, route, state, assignee,"
    " author_id, author_handle, author_name, author_followers, account, created_at, updated_at,"
    " first_response_at, sla_started_at, sla_stopped_at, sla_reminded_at, sla_breached_at"
    " FROM conversations";

inline constexpr const char* kMessageColumns =
    "SELECT id, conversation_id, direction, kind, event_id, platform_message_id, author_id,"
    " author_handle, author_name, author_followers, chat_user, text, permalink, reply_target,"
    " parent_id, status, muted, created_at, reopened, chat_ts FROM messages";

#define DUPLEX_DELIVERY_FIELDS                                                                \
  "id, kind, conversation_id, message_id, target, payload, state, attempts, next_attempt_at," \
  " last_error, created_at, owner, lease_until"
// For RETURNING.
inline constexpr const char* kDeliveryFields = DUPLEX_DELIVERY_FIELDS;
inline constexpr const char* kDeliveryColumns = "SELECT " DUPLEX_DELIVERY_FIELDS " FROM outbox";
#undef DUPLEX_DELIVERY_FIELDS

}  // namespace duplex::storage
