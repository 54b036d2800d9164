#include "chat/chat.h"

#include <ctime>

#include "core/text.h"

namespace duplex {

namespace {

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && text::ToLowerAscii(s.substr(0, prefix.size())) == prefix;
}

bool IsIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

bool IsId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!IsIdChar(c)) return false;
  }
  return true;
}

std::string ParseEscapedRef(std::string_view s, std::string_view sigil) {
  if (s.size() > 2 && s.front() == '<' && s.back() == '>') {
    s = s.substr(1, s.size() - 2);
    if (s.substr(0, sigil.size()) != sigil) return {};
    s.remove_prefix(sigil.size());
    s = s.substr(0, s.find('|'));
  } else if (!s.empty() && (s[0] == '#' || s[0] == '@')) {
    s.remove_prefix(1);
  }
  return IsId(s) ? std::string(s) : std::string();
}

}  // namespace

std::string ParseChannelRef(std::string_view s) {
  return ParseEscapedRef(s, "#");
}
std::string ParseUserRef(std::string_view s) {
  return ParseEscapedRef(s, "@");
}

bool IsLinkTarget(std::string_view url) {
  std::size_t host = 0;
  if (StartsWithIgnoreCase(url, "https://")) {
    host = 8;
  } else if (StartsWithIgnoreCase(url, "http://")) {
    host = 7;
  } else {
    return false;
  }
  if (url.size() <= host || url[host] == '/') return false;
  constexpr std::string_view kMarkup = "|<>\"`\\";
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F || kMarkup.find(c) != std::string_view::npos) return false;
  }
  return true;
}

std::string ChatDialect::Link(const std::string& url, const std::string& label) const {
  if (IsLinkTarget(url)) return LinkTo(url, label);
  return Escape(label) + ": " + Escape(text::TruncateUtf8(url, 200));
}

std::string ChatDialect::Code(const std::string& text) const {
  std::string clean = text;
  for (char& c : clean) {
    if (c == '`') c = '\'';
    if (c == '\n' || c == '\r') c = ' ';
  }
  return "`" + Escape(clean) + "`";
}

std::string ChatDialect::Time(UnixMs at) const {
  return FormatUtc(at);
}

std::string RenderCardText(const MentionCard& card, const ChatDialect& d,
                           std::size_t max_text_chars) {
  std::string head =
      "#" + std::to_string(card.ref) + " · " + card.platform_display + " " + ToString(card.kind);
  if (card.vip) head += " · VIP";
  if (card.reopened) head += " · reopened (it was closed)";
  std::string who = d.Escape(card.author.name.empty() ? card.author.handle : card.author.name);
  if (!card.author.name.empty() && !card.author.handle.empty() &&
      card.author.handle != card.author.name) {
    // The @ is escaped with the handle: a handle "here" must not become "@here".
    who += " (" + d.Escape("@" + card.author.handle) + ")";
  }
  if (card.author.followers)
    who += " · " + text::FormatThousands(*card.author.followers) + " followers";
  std::string out =
      head + "\n" + who + "\n" + d.Escape(text::TruncateUtf8(card.text, max_text_chars));
  if (!card.permalink.empty())
    out += "\n" + d.Link(card.permalink, "open on " + card.platform_display);
  if (!card.state_line.empty()) out += "\n" + card.state_line;
  return out;
}

}  // namespace duplex
