#include "commands/notices.h"

#include "commands/conversation_view.h"
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

std::string InReplyTo(const ChatDialect& d, const Author& author, const std::string& text) {
  constexpr std::size_t kQuotedChars = 80;
  const std::string who = !author.handle.empty() ? "@" + author.handle
                          : !author.name.empty() ? author.name
                                                 : author.id;
  std::string line = text;
  for (char& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return "in reply to " + d.Escape(who) + " (“" + d.Escape(text::TruncateUtf8(line, kQuotedChars)) +
         "”)";
}

std::string ReplySent(const ChatDialect& d, const std::string& user, const std::string& text,
                      const std::string& platform_display, const std::string& url,
                      const Author& answered_by, const std::string& answered) {
  std::string out = "Reply by " + d.User(user) + " posted on " + platform_display;
  const bool known = !answered_by.id.empty() || !answered_by.handle.empty();
  if (known) out += " " + InReplyTo(d, answered_by, answered);
  out += ":\n" + Quote(d, text);
  if (!url.empty()) out += "\n" + d.Link(url, "view it on " + platform_display);
  return out;
}

std::string ReplyFailed(const ChatDialect& d, const std::string& user, const std::string& text,
                        const std::string& reason, std::int64_t delivery_id) {
  return "Reply by " + d.User(user) + " was NOT posted: " + d.Escape(reason) + "\n" +
         Quote(d, text) + "\n(delivery " + std::to_string(delivery_id) +
         "; an admin can send it again with `/duplex retry " + std::to_string(delivery_id) + "`)";
}

std::string ReplyUnknown(const ChatDialect& d, const std::string& user, const std::string& text,
                         const std::string& reason, std::int64_t delivery_id) {
  return "Reply by " + d.User(user) + " may or may not have been posted (" + d.Escape(reason) +
         "). It was not re-sent automatically, so the customer cannot get it twice. Check the "
         "platform; to send it again: `/duplex retry " +
         std::to_string(delivery_id) + "`\n" + Quote(d, text);
}

std::string ReplyUndelivered(const ChatDialect& d, const std::string& user, const std::string& text,
                             const std::string& reason, std::int64_t delivery_id) {
  return "Reply by " + d.User(user) +
         " did NOT reach the customer: it was accepted at first, then reported undelivered. " +
         d.Escape(reason) + "\n" + Quote(d, text) + "\n(delivery " + std::to_string(delivery_id) +
         "; once it can be delivered, an admin can send it again with `/duplex retry " +
         std::to_string(delivery_id) + "`)";
}

std::string Note(const ChatDialect& d, const std::string& by, const std::string& text) {
  return "Internal note by " + d.User(by) + " (not sent to the customer):\n" + Quote(d, text);
}

std::string Assigned(const ChatDialect& d, const std::string& by, const std::string& to) {
  if (by == to) return d.User(by) + " took this conversation.";
  return d.User(by) + " assigned this conversation to " + d.User(to) + ".";
}

std::string Unassigned(const ChatDialect& d, const std::string& by, const std::string& previous) {
  if (by == previous) return d.User(by) + " let go of this conversation; nobody is assigned.";
  return d.User(by) + " unassigned " + d.User(previous) + "; nobody is assigned.";
}

std::string Closed(const ChatDialect& d, const std::string& by) {
  return d.User(by) + " closed this conversation.";
}

std::string Reopened(const ChatDialect& d, const std::string& by, UnixMs due_at) {
  return d.User(by) + " reopened this conversation. A new SLA clock runs: first reply due " +
         d.Time(due_at) + ".";
}

namespace {

std::string Owner(const ChatDialect& d, std::int64_t ref, const std::string& assignee) {
  if (!assignee.empty()) return d.User(assignee);
  return "Nobody is assigned: `/duplex assign " + std::to_string(ref) + " me` takes it.";
}

}  // namespace

std::string SlaReminder(const ChatDialect& d, std::int64_t ref, const SlaStatus& s,
                        const std::string& assignee) {
  return "Reminder: #" + std::to_string(ref) +
         " has no reply yet; its first-response SLA runs out in " + TimeLeft(s.left_ms) + " (" +
         d.Time(s.due_at) + "). " + Owner(d, ref, assignee);
}

std::string SlaBreach(const ChatDialect& d, std::int64_t ref, const SlaStatus& s,
                      const std::string& assignee) {
  return "SLA breached: #" + std::to_string(ref) + " got no reply within " +
         text::FormatDuration(s.target_ms) + " (due " + d.Time(s.due_at) + "). " +
         Owner(d, ref, assignee);
}

}  // namespace duplex::notices
