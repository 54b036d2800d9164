// The normalized mention: what every platform connector turns its webhook into, and what
// routing, storage and chat work with. Platform specifics live only in `reply_target`, an
// opaque string (JSON) that the same connector reads back when it sends a reply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace duplex {

enum class MentionKind { kDirect, kMention, kComment, kDm };

// How an edit reads in chat: the marker, then the message's new text.
inline constexpr const char* kEditedMarker = "✏️ edited: ";

const char* ToString(MentionKind kind);
std::optional<MentionKind> ParseMentionKind(const std::string& s);

struct Author {
  std::string id;
  std::string handle;
  std::string name;
  std::optional<std::int64_t> followers;  // absent where the platform does not say
};

struct Mention {
  std::string platform;  // connector name: "generic", "x", "meta", ...
  std::string event_id;  // the platform's id for this event: the dedup key
  MentionKind kind = MentionKind::kMention;
  Author author;
  std::string text;
  std::string permalink;         // may be empty
  std::string conversation_key;  // the platform thread this message belongs to
  // The platform's id of this message (for in-reply-to), taken from the signed payload: a
  // second message with the same id is a repeat of the first, whatever its event_id.
  std::string message_id;
  // A new version of the message `message_id` names (a Telegram edited_message, a GitHub
  // `edited` action), delivered as an event of its own: it shares the original's id and is
  // stored next to it, not refused; it is shown in the thread as an edit and, not being a new
  // message, neither reopens the conversation nor restarts its SLA. Its event_id is
  // "<message_id>@edit:<edit time>", so each version is posted once.
  bool edited = false;
  std::string parent_message_id;  // the message it answers, if the platform says
  std::string reply_target;       // connector-owned JSON: what the reply API needs
  std::string account;            // our account on the platform (page, bot...) for pacing
};

}  // namespace duplex
