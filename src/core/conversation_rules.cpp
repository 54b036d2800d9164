#include "core/conversation_rules.h"

namespace duplex {

ConversationState ActiveState(const std::string& assignee) {
  return assignee.empty() ? ConversationState::kOpen : ConversationState::kAssigned;
}

CustomerMessageEffect OnCustomerMessage(ConversationState state, bool muted, bool edited) {
  CustomerMessageEffect e;
  if (muted || edited) return e;
  e.reopens = state == ConversationState::kClosed;
  e.awaits_answer_again = state == ConversationState::kReplied;
  return e;
}

namespace {

void StartSlaCycle(Conversation& c, UnixMs now) {
  c.sla_started_at = now;
  c.sla_stopped_at.reset();
  c.sla_reminded_at.reset();
  c.sla_breached_at.reset();
}

}  // namespace

void ApplyCustomerMessage(Conversation& c, const CustomerMessageEffect& effect, UnixMs now) {
  c.updated_at = now;
  if (!effect.changes_state()) return;
  c.state = ActiveState(c.assignee);
  if (effect.reopens) StartSlaCycle(c, now);
}

bool ApplyEdit(Conversation& c, const ConversationEdit& edit, UnixMs now) {
  switch (edit.op) {
    case ConversationOp::kAssign:
      if (c.assignee == edit.assignee) return false;
      c.assignee = edit.assignee;
      if (c.state == ConversationState::kOpen) c.state = ConversationState::kAssigned;
      break;
    case ConversationOp::kUnassign:
      if (c.assignee.empty()) return false;
      c.assignee.clear();
      if (c.state == ConversationState::kAssigned) c.state = ConversationState::kOpen;
      break;
    case ConversationOp::kClose:
      if (c.state == ConversationState::kClosed) return false;
      c.state = ConversationState::kClosed;
      break;
    case ConversationOp::kReopen:
      if (c.state != ConversationState::kClosed) return false;
      c.state = ActiveState(c.assignee);
      StartSlaCycle(c, now);
      break;
  }
  c.updated_at = now;
  return true;
}

void ApplyReplySent(Conversation& c, UnixMs now) {
  if (!c.first_response_at) c.first_response_at = now;
  if (!c.sla_stopped_at) c.sla_stopped_at = now;
  if (c.state == ConversationState::kOpen || c.state == ConversationState::kAssigned) {
    c.state = ConversationState::kReplied;
  }
  c.updated_at = now;
}

bool AwaitsAnswerAfterFailedReply(ConversationState state, bool later_reply_sent) {
  return state == ConversationState::kReplied && !later_reply_sent;
}

bool NeedsNewRootUpdate(bool root_update_pending) {
  return !root_update_pending;
}

std::string MuteKey(const std::string& handle) {
  return !handle.empty() && handle[0] == '@' ? handle.substr(1) : handle;
}

ExpiredClaimAction OnExpiredClaim(bool customer_reply) {
  return customer_reply ? ExpiredClaimAction::kFlagUnknown : ExpiredClaimAction::kRetry;
}

}  // namespace duplex
