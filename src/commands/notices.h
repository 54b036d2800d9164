// The texts duplex posts into a conversation's thread about replies, staff changes and the
// SLA, in the chat's dialect. Customer-visible text is quoted and escaped; people are chat
// mentions.
#pragma once

#include <cstdint>
#include <string>

#include "chat/chat.h"
#include "core/mention.h"
#include "core/sla.h"

namespace duplex::notices {

// "in reply to @vera (“My order is late”)": the customer message a reply answers, by its
// author and its first 80 characters on one line.
std::string InReplyTo(const ChatDialect& d, const Author& author, const std::string& text);
// `answered_by` and `answered` name the customer message the reply answers (InReplyTo);
// nothing is said about it when `answered_by` is empty (not known).
std::string ReplySent(const ChatDialect& d, const std::string& user, const std::string& text,
                      const std::string& platform_display, const std::string& url,
                      const Author& answered_by = {}, const std::string& answered = "");
std::string ReplyFailed(const ChatDialect& d, const std::string& user, const std::string& text,
                        const std::string& reason, std::int64_t delivery_id);
std::string ReplyUnknown(const ChatDialect& d, const std::string& user, const std::string& text,
                         const std::string& reason, std::int64_t delivery_id);
// The platform accepted the reply (the thread said "posted") and reported later that it never
// reached the customer; `reason` says why in plain words.
std::string ReplyUndelivered(const ChatDialect& d, const std::string& user, const std::string& text,
                             const std::string& reason, std::int64_t delivery_id);
// Staff workflow (by = who typed the command).
std::string Note(const ChatDialect& d, const std::string& by, const std::string& text);
std::string Assigned(const ChatDialect& d, const std::string& by, const std::string& to);
std::string Unassigned(const ChatDialect& d, const std::string& by, const std::string& previous);
std::string Closed(const ChatDialect& d, const std::string& by);
std::string Reopened(const ChatDialect& d, const std::string& by, UnixMs due_at);
// SLA alerts; they mention the assignee, or say how to take the conversation.
std::string SlaReminder(const ChatDialect& d, std::int64_t ref, const SlaStatus& s,
                        const std::string& assignee);
std::string SlaBreach(const ChatDialect& d, std::int64_t ref, const SlaStatus& s,
                      const std::string& assignee);

// "> line" quoting for every line of `text`, escaped, truncated to fit a post.
std::string Quote(const ChatDialect& d, const std::string& text);

}  // namespace duplex::notices
