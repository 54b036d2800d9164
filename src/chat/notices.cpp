#include "chat/notices.h"

#include "core/text.h"

namespace duplex::notices {

std::string Quote(const ChatDialect& d, const std::string& text) {
  std::string body = d.Escape(text::TruncateUtf8(text, d.MaxPostChars() / 2));
  std::string out = "> ";
  for (char c : body) {
    out.push_back(c);
    if (c == '\n') out += "> ";
  }
  return out;
}

std::string ReplySent(const ChatDialect& d, const std::string& user, const std::string& text,
                      const std::string& platform_display, const std::string& url) {
  std::string out = "Reply by " + d.User(user) + " posted on " + platform_display + ":\n" + Quote(d, text);
  if (!url.empty()) out += "\n" + d.Link(url, "view it on " + platform_display);
  return out;
}

std::string ReplyFailed(const ChatDialect& d, const std::string& user, const std::string& text,
                        const std::string& reason, std::int64_t delivery_id) {
  return "Reply by " + d.User(user) + " was NOT posted: " + d.Escape(reason) + "\n" + Quote(d, text) +
         "\n(delivery " + std::to_string(delivery_id) + "; an admin can send it again with `/duplex retry " +
         std::to_string(delivery_id) + "`)";
}

std::string ReplyUnknown(const ChatDialect& d, const std::string& user, const std::string& text,
                         const std::string& reason, std::int64_t delivery_id) {
  return "Reply by " + d.User(user) + " may or may not have been posted (" + d.Escape(reason) +
         "). It was not re-sent automatically, so the customer cannot get it twice. Check the "
         "platform; to send it again: `/duplex retry " + std::to_string(delivery_id) + "`\n" + Quote(d, text);
}

}  // namespace duplex::notices
