// Records of the staff workflow that cross the Store port: conversation edits (assign,
// close, reopen), the queue, SLA alerts and reply templates. No SQL types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/models.h"

namespace duplex {

enum class ConversationOp { kAssign, kUnassign, kClose, kReopen };

// One staff change to a conversation. State rules (docs/commands-staff.md):
// - assign sets the assignee; an open conversation becomes assigned;
// - unassign clears it; an assigned conversation becomes open;
// - close makes it closed (the assignee is kept);
// - reopen makes a closed one assigned or open (by whether it has an assignee) and starts a
//   new SLA clock at `now`.
struct ConversationEdit {
  std::int64_t conversation_id = 0;
  ConversationOp op = ConversationOp::kAssign;
  std::string assignee;  // kAssign: the chat user id
  std::string notice;    // posted in the thread if the edit changed something ("" = none)
};

struct EditOutcome {
  bool changed = false;  // false: it already was so (same assignee, already closed, …)
  Conversation before;
  Conversation after;
};

// An open conversation as `queue` lists it.
struct QueueEntry {
  Conversation conversation;
  UnixMs waiting_since = 0;  // the oldest customer message not yet followed by a sent reply
};

struct SlaAlertRecord {
  std::int64_t conversation_id = 0;
  bool breach = false;          // false: the early reminder
  UnixMs cycle_started_at = 0;  // the clock this alert belongs to (a reopen starts another)
  std::string notice;           // posted in the thread
};

struct ReplyTemplate {
  std::string name;
  std::string text;
  std::string created_by;  // chat user id
  UnixMs updated_at = 0;
};

}  // namespace duplex
