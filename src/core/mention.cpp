#include "core/mention.h"

namespace duplex {

const char* ToString(MentionKind kind) {
  switch (kind) {
    case MentionKind::kDirect:
      return "direct";
    case MentionKind::kMention:
      return "mention";
    case MentionKind::kComment:
      return "comment";
    case MentionKind::kDm:
      return "dm";
  }
  return "mention";
}

std::optional<MentionKind> ParseMentionKind(const std::string& s) {
  if (s == "direct") return MentionKind::kDirect;
  if (s == "mention") return MentionKind::kMention;
  if (s == "comment") return MentionKind::kComment;
  if (s == "dm") return MentionKind::kDm;
  return std::nullopt;
}

}  // namespace duplex
