#include "storage/outbox.h"

namespace duplex {

const char* ToString(DeliveryKind kind) {
  switch (kind) {
    case DeliveryKind::kChatPost:
      return "chat_post";
    case DeliveryKind::kChatNotice:
      return "chat_notice";
    case DeliveryKind::kPlatformReply:
      return "platform_reply";
    case DeliveryKind::kChatUpdate:
      return "chat_update";
  }
  return "chat_post";
}

DeliveryKind ParseDeliveryKind(const std::string& s) {
  if (s == "chat_notice") return DeliveryKind::kChatNotice;
  if (s == "platform_reply") return DeliveryKind::kPlatformReply;
  if (s == "chat_update") return DeliveryKind::kChatUpdate;
  return DeliveryKind::kChatPost;
}

const char* ToString(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kSending:
      return "sending";
    case DeliveryState::kDone:
      return "done";
    case DeliveryState::kDead:
      return "dead";
    case DeliveryState::kUnknown:
      return "unknown";
  }
  return "pending";
}

DeliveryState ParseDeliveryState(const std::string& s) {
  if (s == "sending") return DeliveryState::kSending;
  if (s == "done") return DeliveryState::kDone;
  if (s == "dead") return DeliveryState::kDead;
  if (s == "unknown") return DeliveryState::kUnknown;
  return DeliveryState::kPending;
}

}  // namespace duplex
