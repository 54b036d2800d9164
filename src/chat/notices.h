// The texts duplex posts into a conversation's thread about replies, in the chat's dialect.
// Customer-visible text is quoted and escaped; people are chat mentions.
#pragma once

#include <cstdint>
#include <string>

#include "chat/chat.h"

namespace duplex::notices {

std::string ReplySent(const ChatDialect& d, const std::string& user, const std::string& text,
                      const std::string& platform_display, const std::string& url);
std::string ReplyFailed(const ChatDialect& d, const std::string& user, const std::string& text,
                        const std::string& reason, std::int64_t delivery_id);
std::string ReplyUnknown(const ChatDialect& d, const std::string& user, const std::string& text,
                         const std::string& reason, std::int64_t delivery_id);
// "> line" quoting for every line of `text`, escaped, truncated to fit a post.
std::string Quote(const ChatDialect& d, const std::string& text);

}  // namespace duplex::notices
