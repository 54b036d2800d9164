// The conversation state machine and the outbox's recovery policy, as pure functions over
// plain records: every store (SQLite, PostgreSQL) applies these same rules, and they are
// tested on their own (tests/conversation_rules_test.cpp). Stores only read, write and lock.
//
// States: open → assigned (assign) ⇄ open (unassign); a reply that reaches the platform makes
// open/assigned `replied`; close makes any state `closed`; reopen, or a new customer message,
// makes a closed conversation active again with a new SLA cycle. An "active" state is
// `assigned` when the conversation has an assignee, else `open`.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/models.h"
#include "core/staff_models.h"

namespace duplex {

// `assigned` with an assignee, `open` without.
ConversationState ActiveState(const std::string& assignee);

// What a stored customer message does to its conversation.
struct CustomerMessageEffect {
  // closed → active, and a new SLA cycle starts (clock restarted, alerts owed again).
  bool reopens = false;
  // replied → active: the customer awaits an answer again. The SLA clock stays as it is (the
  // cycle's first response is history).
  bool awaits_answer_again = false;
  // The state changes, so the thread root must be re-rendered (a root update is queued).
  bool changes_state() const { return reopens || awaits_answer_again; }
};
// A muted author's message changes nothing staff see, and an edit is the same message
// again: neither moves the state.
CustomerMessageEffect OnCustomerMessage(ConversationState state, bool muted, bool edited);
// Applies `effect` to `c` at `now`: state, SLA cycle and updated_at.
void ApplyCustomerMessage(Conversation& c, const CustomerMessageEffect& effect, UnixMs now);

// Applies a staff edit (rules in core/staff_models.h, ConversationEdit) to `c`; false when it
// already was so (nothing changed, `c` untouched). A change sets updated_at.
bool ApplyEdit(Conversation& c, const ConversationEdit& edit, UnixMs now);

// A reply reached the platform at `now`: the first response is recorded once, the cycle's
// clock stops, and an active conversation becomes replied.
void ApplyReplySent(Conversation& c, UnixMs now);

// A platform reports that a reply it had accepted never reached the customer: a replied
// conversation awaits an answer again, unless a later reply of it stands as sent.
bool AwaitsAnswerAfterFailedReply(ConversationState state, bool later_reply_sent);

// A thread root re-render renders the conversation as of when it runs, so one still pending
// covers a new request; one already sending may have read the state before this change.
bool NeedsNewRootUpdate(bool root_update_pending);

// The name a mute of `handle` is stored and compared under: without a leading '@'. An
// author is muted when their id or this form of their handle is (case-insensitively).
std::string MuteKey(const std::string& handle);

// What becomes of a delivery whose claim ran out (its instance died or hung mid-attempt).
enum class ExpiredClaimAction {
  kRetry,        // back to pending: a chat post, notice or root update may repeat
  kFlagUnknown,  // a customer reply may have been posted: `unknown`, flagged in its thread,
                 // never resent by itself
};
ExpiredClaimAction OnExpiredClaim(bool customer_reply);

}  // namespace duplex
