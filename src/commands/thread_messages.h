// ThreadMessages: what a person writes in a conversation's chat thread, for any chat (the
// Slack Events API today; a Mattermost thread can call the same). A message starting with
// `reply:` goes to the customer as the `reply` command would; any other message, and a
// `reply:` that cannot go (with the reason posted in the thread), is kept as an internal
// note. Each message is handled once: the chat's event id is claimed in the same transaction
// as the reply or the note it produces, so a repeat of the event changes nothing and a
// failure (or a crash) leaves nothing half-done — the chat's retry does the work.
// Callers have verified the request and the workspace, and ignored bots and edits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "commands/command_service.h"
#include "storage/store.h"

namespace duplex {

struct ThreadMessage {
  EventClaim claim;  // the chat's id of this event: {"slack-event", "<team>:<event_id>"}
  std::string team_id;
  std::string channel;
  std::string thread;  // the thread root's id in the chat (Slack ts, Mattermost post id)
  std::string user;    // the writer's chat user id
  std::string text;    // as the chat sent it, markup included
};

enum class ThreadMessageResult {
  kNotOurs,      // not the thread of a conversation: nothing done
  kReplyQueued,  // `reply:` queued for the customer
  kNoteStored,   // kept as a note (a `reply:` that could not go included)
  kRepeat,       // the event was handled before: nothing done
  kUnavailable,  // the database failed: nothing stored, the chat should send it again
};

struct ThreadMessageOutcome {
  ThreadMessageResult result = ThreadMessageResult::kNotOurs;
  std::int64_t conversation_id = 0;
  std::string error;  // kUnavailable: why
};

struct ThreadMessageDeps {
  Store* store = nullptr;
  CommandService* commands = nullptr;  // runs `reply`; its wake_delivery is called for notes
  const ChatDialect* dialect = nullptr;
};

ThreadMessageOutcome HandleThreadMessage(const ThreadMessage& message, UnixMs now,
                                         const ThreadMessageDeps& deps);

// A message for duplex outside any conversation's thread (an @mention elsewhere), which the
// chat answers once: true the first time its event is claimed, false for a repeat, an error
// when the database fails (the chat should send it again).
Result<bool> ClaimStrayMessage(const EventClaim& claim, UnixMs now, const ThreadMessageDeps& deps);

// The text after "reply:" when a thread message is a reply for the customer ("reply: Thanks!",
// any case, spaces allowed before the colon); nullopt otherwise.
std::optional<std::string> ThreadReplyText(const std::string& message);

}  // namespace duplex
