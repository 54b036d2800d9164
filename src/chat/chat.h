// The chat side's ports. ChatPoster posts into the team's chat (Slack, Mattermost, console);
// its dialect says how that chat writes people, links and escaped text, so command answers
// and notices read right in each chat.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/delivery_outcome.h"
#include "core/mention.h"

namespace duplex {

// One incoming customer message as chat shows it.
struct MentionCard {
  std::int64_t ref = 0;          // conversation #ref
  std::string platform;          // connector name
  std::string platform_display;  // "X", "Facebook", "Webhook"
  MentionKind kind = MentionKind::kMention;
  Author author;
  std::string text;
  std::string permalink;
  bool vip = false;        // author reach at or above vip_followers
  bool reopened = false;   // this message reopened a closed conversation
  bool root = false;       // the conversation's thread root (carries the buttons)
  bool closed = false;     // the conversation is closed (roots offer "Reopen")
  std::string state_line;  // e.g. "Open · SLA: 12m left" (thread roots only), in
                           // the chat's dialect (commands/conversation_view.h)
};

struct ChatMessage {
  std::string channel;
  std::string thread;  // empty: a new top-level post (a thread root)
  std::optional<MentionCard> card;
  std::string text;  // for notices: already in the chat's dialect
};

// Whether `url` may become a link in chat: it starts with http:// or https:// and a host, and
// holds no space, control character or | < > " ` \ (characters that end or bend link markup).
// Anything else that arrives as a permalink or a receiver's URL ("!channel",
// "javascript:alert(1)", "https://a|b") is shown as text, never linked.
bool IsLinkTarget(std::string_view url);

// A channel or person as typed in a command: the chat's markup ("<#C024BE7LR|general>" →
// C024BE7LR, "<@U123|ana>" → U123, as Slack writes them), "#id" / "@id", or a raw id.
// Empty when `s` is not an id of that kind.
std::string ParseChannelRef(std::string_view s);
std::string ParseUserRef(std::string_view s);

class ChatDialect {
 public:
  virtual ~ChatDialect() = default;
  // Customer text made inert: no mentions, no links, no markup injection.
  virtual std::string Escape(const std::string& text) const = 0;
  // Text typed by staff, shown literally in a code span (`text`); backticks become ' and line
  // breaks spaces.
  virtual std::string Code(const std::string& text) const;
  virtual std::string User(const std::string& user_id) const = 0;
  virtual std::string Channel(const std::string& channel_id) const = 0;
  // A link to `url` labelled `label` when IsLinkTarget(url); otherwise "label: url" as escaped
  // text, so input never chooses a link's scheme or breaks out of the link markup.
  std::string Link(const std::string& url, const std::string& label) const;
  // Text a person typed in this chat, made plain for the outside world (a customer reply):
  // Slack's &amp;/&lt;/&gt; escapes and <link|label>, <@U|name>, <#C|name> markup undone.
  virtual std::string ToPlain(const std::string& chat_text) const { return chat_text; }
  // Longest text one post may carry (code points).
  virtual std::size_t MaxPostChars() const = 0;
  // An instant as readers should see it; default "2024-05-01 14:02 UTC". Slack shows it in
  // each reader's own time zone.
  virtual std::string Time(UnixMs at) const;
  // Whether `id` (from ParseUserRef) can be a user id of this chat, not a display name.
  virtual bool IsUserId(const std::string& id) const { return !id.empty(); }

 private:
  // The chat's link markup; `url` has passed IsLinkTarget.
  virtual std::string LinkTo(const std::string& url, const std::string& label) const = 0;
};

class ChatPoster {
 public:
  virtual ~ChatPoster() = default;
  virtual const ChatDialect& Dialect() const = 0;
  // Posts and returns the new post's id (Slack ts, Mattermost post id) as remote_id.
  virtual DeliveryOutcome Post(const ChatMessage& message) = 0;
  // Replaces the content of the post `post_id` in `message.channel` (Slack chat.update,
  // Mattermost PUT /api/v4/posts/{id}); `message.thread` is ignored. Idempotent.
  virtual DeliveryOutcome Update(const ChatMessage& message, const std::string& post_id) = 0;
};

// Plain-text rendering of a card in the given dialect (fallback text, console, Mattermost).
std::string RenderCardText(const MentionCard& card, const ChatDialect& dialect,
                           std::size_t max_text_chars);

}  // namespace duplex
