// Outbox records: every call to another service (chat post, platform reply) is first a row
// committed together with the change that caused it, then delivered by the worker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace duplex {

enum class DeliveryKind {
  kChatPost,       // post an incoming message to chat (root or in thread)
  kChatNotice,     // post a text into a conversation's thread (or a channel)
  kPlatformReply,  // send a staff reply to the customer's platform
  kChatUpdate,     // re-render a conversation's thread root (state, SLA badge) in place;
                   // idempotent, so retried freely; rendered from the store when it runs
};
const char* ToString(DeliveryKind kind);
DeliveryKind ParseDeliveryKind(const std::string& s);

// pending → sending → done | dead | unknown; `pending` with a future next_attempt_at is a
// scheduled retry. A `sending` row is claimed: one instance owns it until its lease ends
// (Store::ClaimDue).
enum class DeliveryState { kPending, kSending, kDone, kDead, kUnknown };
const char* ToString(DeliveryState state);
DeliveryState ParseDeliveryState(const std::string& s);

// Rate-limit key of posts into a chat channel.
inline std::string ChatTarget(const std::string& channel) {
  return "chat:" + channel;
}

struct Delivery {
  std::int64_t id = 0;
  DeliveryKind kind = DeliveryKind::kChatPost;
  std::int64_t conversation_id = 0;  // 0 for channel-level notices
  std::int64_t message_id = 0;       // the message posted or sent, if any
  std::string target;                // rate-limit key: chat channel, or platform:account
  std::string payload;               // notice text
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;  // attempts that count toward the retry schedule
  UnixMs next_attempt_at = 0;
  std::string last_error;
  UnixMs created_at = 0;
  // The claim: the instance that took the row (kept after it finishes: who attempted it
  // last) and, while `sending`, until when the claim stands unless renewed.
  std::string owner;
  UnixMs lease_until = 0;
};

struct NewDelivery {
  DeliveryKind kind = DeliveryKind::kChatNotice;
  std::int64_t conversation_id = 0;
  std::int64_t message_id = 0;
  std::string target;
  std::string payload;
};

// Everything that changes when one attempt ends, applied in one transaction.
struct DeliveryUpdate {
  std::int64_t id = 0;
  // The instance whose claim this attempt ran under (Delivery::owner): the update applies
  // only while that claim stands.
  std::string owner;
  DeliveryState state = DeliveryState::kDone;
  bool count_attempt = true;   // false for rate-limit waits
  UnixMs next_attempt_at = 0;  // for kPending (retry)
  std::string error;
  // Effects of a successful post or send:
  std::string chat_thread_for_conversation;  // set the conversation's thread root if unset
  std::string message_chat_post;             // where the message now stands in chat
  std::string message_remote_id;             // platform id of a sent reply
  std::string message_url;                   // link to it
  std::string message_status;                // new status of the reply message, if any
  bool first_response = false;               // a reply reached the platform: stop the SLA clock
  // Replaces the reply target of the customer message a reply answers (its parent), whatever
  // the attempt's outcome (DeliveryOutcome::new_reply_target).
  std::string parent_reply_target;
  std::vector<NewDelivery> follow_ups;  // e.g. the confirmation in the thread
  // The admins' alert about a failing credential, once for all instances and restarts
  // (DeliveryEngine::NoteCredential). With `credential` set: `credential_alert` given raises
  // the credential's alert and inserts that notice, unless the alert is raised already (then
  // nothing is inserted); not given, it lowers the alert (the credential worked).
  std::string credential;
  std::optional<NewDelivery> credential_alert;
};

struct OutboxStats {
  std::int64_t pending = 0;
  std::int64_t dead = 0;
  std::int64_t unknown = 0;
  UnixMs oldest_pending_created_at = 0;  // 0 when none
};

}  // namespace duplex
