// How a conversation's state, SLA and author read in chat: the thread root's state line,
// the SLA badge, author lines for `show` and `queue`. Pure functions of the records, the
// settings and `now`, in the chat's dialect; people are always chat mentions.
#pragma once

#include <string>

#include "chat/chat.h"
#include "core/models.h"
#include "core/sla.h"

namespace duplex {

// Time left on a countdown, rounded up: "20m" for 19m59s, "45s" for 44.2 s.
std::string TimeLeft(std::int64_t ms);

// The SLA of the conversation's current cycle at `now`.
SlaStatus ConversationSla(const Conversation& c, const SlaSettings& sla, UnixMs now);

// "SLA: 12m left · due <time>", "SLA: overdue since <time>", "answered in 8m",
// "answered in 32m, over the 20m SLA". `live` adds how long it has been overdue (for answers
// read right away; a thread root stays up for hours, so it keeps to the stable wording).
std::string SlaBadge(const ChatDialect& d, const SlaStatus& s, bool live);

// "Open · SLA: 12m left · due <time>", "Assigned to <@U1> · …", "Replied · assigned to
// <@U1> · answered in 8m", "Closed · answered in 8m". For the thread root (live = false).
std::string StateLine(const ChatDialect& d, const Conversation& c, const SlaSettings& sla,
                      UnixMs now, bool live = false);

// "Ana (@ana) · 12,300 followers · VIP", escaped.
std::string AuthorLine(const ChatDialect& d, const Author& a, std::int64_t vip_followers);

}  // namespace duplex
