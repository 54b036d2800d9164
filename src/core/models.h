// Plain records that cross the Store port. No SQL types: a PostgreSQL store returns the same.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/mention.h"

namespace duplex {

// Conversation states shown in chat; "replied" once a staff reply reached the platform.
enum class ConversationState { kOpen, kAssigned, kReplied, kClosed };
const char* ToString(ConversationState state);
ConversationState ParseConversationState(const std::string& s);

struct Conversation {
  std::int64_t id = 0;  // the ref staff type: #42
  std::string platform;
  std::string conversation_key;
  std::string channel;      // chat channel chosen by routing when the conversation began
  std::string chat_thread;  // the thread root's id in chat (Slack ts, Mattermost post id);
                            // empty until posted
  std::string route;        // name of the route that chose the channel; empty = default
  ConversationState state = ConversationState::kOpen;
  std::string assignee;  // chat user id
  Author author;         // who started it
  std::string account;   // our account on the platform
  UnixMs created_at = 0;
  UnixMs updated_at = 0;
  std::optional<UnixMs> first_response_at;  // the first reply that reached the platform, ever
  // The SLA clock of the current cycle (core/sla.h): started at the first customer message
  // or the last reopen; stopped by the cycle's first reply on the platform; the alerts sent.
  UnixMs sla_started_at = 0;
  std::optional<UnixMs> sla_stopped_at;
  std::optional<UnixMs> sla_reminded_at;
  std::optional<UnixMs> sla_breached_at;
};

enum class MessageDirection { kIn, kOut, kNote };
const char* ToString(MessageDirection d);
MessageDirection ParseMessageDirection(const std::string& s);

struct StoredMessage {
  std::int64_t id = 0;
  std::int64_t conversation_id = 0;
  MessageDirection direction = MessageDirection::kIn;
  MentionKind kind = MentionKind::kMention;
  std::string event_id;
  std::string platform_message_id;
  Author author;          // the customer, for incoming messages
  std::string chat_user;  // the staff member, for replies and notes
  std::string text;
  std::string permalink;
  std::string reply_target;
  std::int64_t parent_id = 0;  // for replies: the customer message answered
  std::string status;          // replies: queued | sent | failed | unknown
  bool muted = false;
  bool reopened = false;  // this customer message reopened a closed conversation
  std::string chat_post;  // its post's id in chat once posted (Slack ts, Mattermost post id)
  UnixMs created_at = 0;
};

// What a routed mention needs to be stored: the mention and the channel routing chose.
struct IngestItem {
  Mention mention;
  std::string channel;
  std::string route;
};

// A platform's report that a reply it had accepted never reached the customer.
struct ReportedFailure {
  std::string event_id;   // the platform's dedup key for this report
  std::string remote_id;  // the reply's platform message id, as stored when it was sent
  std::string reason;
};

enum class FailureOutcome {
  kRecorded,        // the reply is now failed, and its thread is told
  kDuplicate,       // this report was recorded before
  kUnknownMessage,  // no reply of duplex's has that id
  kNotSent,         // the reply does not stand as sent (already failed, or queued again)
  kPending,         // unknown id while a reply of the platform is being sent: ask again later
};

struct IngestOutcome {
  bool duplicate = false;
  // The message is one of duplex's own replies (or an edit of one) coming back from the
  // platform: a duplicate that is ours, not the customer's. Implies `duplicate`.
  bool echo = false;
  std::int64_t conversation_id = 0;
  std::int64_t message_id = 0;
  bool new_conversation = false;
  bool reopened = false;
  bool muted = false;
};

}  // namespace duplex
