// The conversation state machine and the recovery policy as pure functions
// (core/conversation_rules.h): what every store applies.
#include <doctest/doctest.h>

#include "core/conversation_rules.h"

namespace duplex {
namespace {

Conversation With(ConversationState state, const std::string& assignee = "") {
  Conversation c;
  c.id = 7;
  c.state = state;
  c.assignee = assignee;
  c.sla_started_at = 1000;
  c.sla_stopped_at = 2000;
  c.sla_reminded_at = 1500;
  c.sla_breached_at = 1800;
  c.first_response_at = 2000;
  c.updated_at = 2000;
  return c;
}

}  // namespace

TEST_CASE("rules: the active state is assigned with an assignee, open without") {
  CHECK(ActiveState("") == ConversationState::kOpen);
  CHECK(ActiveState("U2") == ConversationState::kAssigned);
}

TEST_CASE("rules: a customer message reopens a closed conversation with a new SLA cycle") {
  auto e = OnCustomerMessage(ConversationState::kClosed, false, false);
  CHECK(e.reopens);
  CHECK_FALSE(e.awaits_answer_again);
  CHECK(e.changes_state());
  Conversation c = With(ConversationState::kClosed, "U2");
  ApplyCustomerMessage(c, e, 9000);
  CHECK(c.state == ConversationState::kAssigned);
  CHECK(c.sla_started_at == 9000);
  CHECK_FALSE(c.sla_stopped_at);
  CHECK_FALSE(c.sla_reminded_at);
  CHECK_FALSE(c.sla_breached_at);
  CHECK(c.first_response_at == 2000);  // the first response ever stays
  CHECK(c.updated_at == 9000);
}

TEST_CASE("rules: a customer message makes a replied conversation await an answer, clock kept") {
  auto e = OnCustomerMessage(ConversationState::kReplied, false, false);
  CHECK_FALSE(e.reopens);
  CHECK(e.awaits_answer_again);
  Conversation c = With(ConversationState::kReplied);
  ApplyCustomerMessage(c, e, 9000);
  CHECK(c.state == ConversationState::kOpen);
  CHECK(c.sla_started_at == 1000);
  CHECK(c.sla_stopped_at == 2000);
  CHECK(c.sla_breached_at == 1800);
}

TEST_CASE("rules: a muted author's message or an edit moves no state — open ones stay") {
  for (auto state : {ConversationState::kClosed, ConversationState::kReplied}) {
    CHECK_FALSE(OnCustomerMessage(state, true, false).changes_state());
    CHECK_FALSE(OnCustomerMessage(state, false, true).changes_state());
  }
  for (auto state : {ConversationState::kOpen, ConversationState::kAssigned}) {
    auto e = OnCustomerMessage(state, false, false);
    CHECK_FALSE(e.changes_state());
    Conversation c = With(state, "U2");
    ApplyCustomerMessage(c, e, 9000);
    CHECK(c.state == state);
    CHECK(c.sla_started_at == 1000);
    CHECK(c.updated_at == 9000);
  }
}

TEST_CASE("rules: staff edits: assign, unassign, close, reopen, and no-ops") {
  Conversation c = With(ConversationState::kOpen);
  CHECK(ApplyEdit(c, {7, ConversationOp::kAssign, "U2", ""}, 3000));
  CHECK(c.state == ConversationState::kAssigned);
  CHECK(c.updated_at == 3000);
  CHECK_FALSE(ApplyEdit(c, {7, ConversationOp::kAssign, "U2", ""}, 4000));
  CHECK(c.updated_at == 3000);
  CHECK(ApplyEdit(c, {7, ConversationOp::kUnassign, "", ""}, 4000));
  CHECK(c.state == ConversationState::kOpen);
  CHECK_FALSE(ApplyEdit(c, {7, ConversationOp::kUnassign, "", ""}, 4000));
  CHECK_FALSE(ApplyEdit(c, {7, ConversationOp::kReopen, "", ""}, 4000));  // not closed
  CHECK(ApplyEdit(c, {7, ConversationOp::kAssign, "U3", ""}, 4500));
  CHECK(ApplyEdit(c, {7, ConversationOp::kClose, "", ""}, 5000));
  CHECK(c.state == ConversationState::kClosed);
  CHECK(c.assignee == "U3");  // kept
  CHECK_FALSE(ApplyEdit(c, {7, ConversationOp::kClose, "", ""}, 5000));
  CHECK(ApplyEdit(c, {7, ConversationOp::kReopen, "", ""}, 6000));
  CHECK(c.state == ConversationState::kAssigned);
  CHECK(c.sla_started_at == 6000);
  CHECK_FALSE(c.sla_stopped_at);

  Conversation replied = With(ConversationState::kReplied, "U2");
  CHECK(ApplyEdit(replied, {7, ConversationOp::kUnassign, "", ""}, 3000));
  CHECK(replied.state == ConversationState::kReplied);  // only assigned falls back to open
}

TEST_CASE("rules: a reply that reached the platform stops the clock once and marks replied") {
  Conversation c = With(ConversationState::kAssigned, "U2");
  c.first_response_at.reset();
  c.sla_stopped_at.reset();
  ApplyReplySent(c, 5000);
  CHECK(c.state == ConversationState::kReplied);
  CHECK(c.first_response_at == 5000);
  CHECK(c.sla_stopped_at == 5000);
  ApplyReplySent(c, 6000);
  CHECK(c.first_response_at == 5000);
  CHECK(c.sla_stopped_at == 5000);
  Conversation closed = With(ConversationState::kClosed);
  ApplyReplySent(closed, 5000);
  CHECK(closed.state == ConversationState::kClosed);
}

TEST_CASE(
    "rules: a failed reply makes a replied conversation await an answer unless a later one "
    "was sent") {
  CHECK(AwaitsAnswerAfterFailedReply(ConversationState::kReplied, false));
  CHECK_FALSE(AwaitsAnswerAfterFailedReply(ConversationState::kReplied, true));
  CHECK_FALSE(AwaitsAnswerAfterFailedReply(ConversationState::kClosed, false));
  CHECK_FALSE(AwaitsAnswerAfterFailedReply(ConversationState::kOpen, false));
}

TEST_CASE("rules: a mute compares a handle without its leading @") {
  CHECK(MuteKey("@troll") == "troll");
  CHECK(MuteKey("troll") == "troll");
  CHECK(MuteKey("") == "");
  CHECK(MuteKey("a@b") == "a@b");
}

TEST_CASE("rules: a pending root update covers a new one — recovery retries chat, flags replies") {
  CHECK_FALSE(NeedsNewRootUpdate(true));
  CHECK(NeedsNewRootUpdate(false));
  CHECK(OnExpiredClaim(true) == ExpiredClaimAction::kFlagUnknown);
  CHECK(OnExpiredClaim(false) == ExpiredClaimAction::kRetry);
}

}  // namespace duplex
