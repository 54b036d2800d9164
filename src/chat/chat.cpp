#include "chat/chat.h"

#include <ctime>

#include "core/text.h"

namespace duplex {

std::string ChatDialect::Time(UnixMs at) const {
  std::time_t seconds = static_cast<std::time_t>(at / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &utc);
  return buf;
}

std::string RenderCardText(const MentionCard& card, const ChatDialect& d,
                           std::size_t max_text_chars) {
  std::string head = "#" + std::to_string(card.ref) + " · " + card.platform_display + " " +
                     ToString(card.kind);
  if (card.vip) head += " · VIP";
  if (card.reopened) head += " · reopened (it was closed)";
  std::string who = d.Escape(card.author.name.empty() ? card.author.handle : card.author.name);
  if (!card.author.name.empty() && !card.author.handle.empty() && card.author.handle != card.author.name) {
    who += " (@" + d.Escape(card.author.handle) + ")";
  }
  if (card.author.followers) who += " · " + text::FormatThousands(*card.author.followers) + " followers";
  std::string out = head + "\n" + who + "\n" + d.Escape(text::TruncateUtf8(card.text, max_text_chars));
  if (!card.permalink.empty()) out += "\n" + d.Link(card.permalink, "open on " + card.platform_display);
  if (!card.state_line.empty()) out += "\n" + card.state_line;
  return out;
}

}  // namespace duplex
