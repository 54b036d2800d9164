// The chat side's ports. ChatPoster posts into the team's chat (Slack, Mattermost, console);
// its dialect says how that chat writes people, links and escaped text, so command answers
// and notices read right in each chat.
#pragma once

#include <optional>
#include <string>

#include "core/delivery_outcome.h"
#include "core/mention.h"

namespace duplex {

// One incoming customer message as chat shows it.
struct MentionCard {
  std::int64_t ref = 0;            // conversation #ref
  std::string platform;            // connector name
  std::string platform_display;    // "X", "Facebook", "Webhook"
  MentionKind kind = MentionKind::kMention;
  Author author;
  std::string text;
  std::string permalink;
  bool vip = false;                // author reach at or above vip_followers
  bool reopened = false;           // this message reopened a closed conversation
  std::string state_line;          // e.g. "open" / "assigned to <@U1>" (thread roots only)
};

struct ChatMessage {
  std::string channel;
  std::string thread;  // empty: a new top-level post (a thread root)
  std::optional<MentionCard> card;
  std::string text;    // for notices: already in the chat's dialect
};

class ChatDialect {
 public:
  virtual ~ChatDialect() = default;
  // Customer text made inert: no mentions, no markup injection.
  virtual std::string Escape(const std::string& text) const = 0;
  virtual std::string User(const std::string& user_id) const = 0;
  virtual std::string Channel(const std::string& channel_id) const = 0;
  virtual std::string Link(const std::string& url, const std::string& label) const = 0;
  // Text a person typed in this chat, made plain for the outside world (a customer reply):
  // Slack's &amp;/&lt;/&gt; escapes and <link|label>, <@U|name>, <#C|name> markup undone.
  virtual std::string ToPlain(const std::string& chat_text) const { return chat_text; }
  // Longest text one post may carry (code points).
  virtual std::size_t MaxPostChars() const = 0;
};

class ChatPoster {
 public:
  virtual ~ChatPoster() = default;
  virtual const ChatDialect& Dialect() const = 0;
  // Posts and returns the new post's id (Slack ts, Mattermost post id) as remote_id.
  virtual DeliveryOutcome Post(const ChatMessage& message) = 0;
};

// Plain-text rendering of a card in the given dialect (fallback text, console, Mattermost).
std::string RenderCardText(const MentionCard& card, const ChatDialect& dialect,
                           std::size_t max_text_chars);

}  // namespace duplex
