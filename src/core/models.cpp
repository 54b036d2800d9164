#include "core/models.h"

namespace duplex {

const char* ToString(ConversationState state) {
  switch (state) {
    case ConversationState::kOpen:
      return "open";
    case ConversationState::kAssigned:
      return "assigned";
    case ConversationState::kReplied:
      return "replied";
    case ConversationState::kClosed:
      return "closed";
  }
  return "open";
}

ConversationState ParseConversationState(const std::string& s) {
  if (s == "assigned") return ConversationState::kAssigned;
  if (s == "replied") return ConversationState::kReplied;
  if (s == "closed") return ConversationState::kClosed;
  return ConversationState::kOpen;
}

const char* ToString(MessageDirection d) {
  switch (d) {
    case MessageDirection::kIn:
      return "in";
    case MessageDirection::kOut:
      return "out";
    case MessageDirection::kNote:
      return "note";
  }
  return "in";
}

MessageDirection ParseMessageDirection(const std::string& s) {
  if (s == "out") return MessageDirection::kOut;
  if (s == "note") return MessageDirection::kNote;
  return MessageDirection::kIn;
}

}  // namespace duplex
