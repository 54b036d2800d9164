// Slack's size limits that duplex's posts, answers and forms can reach, and the cuts that keep
// text within them. docs/chat/slack.md lists each limit with the Slack page that states it.
//
// Slack counts a limit in "characters" without saying which; duplex counts UTF-16 code units
// (SlackLength), which are never fewer than code points, so a text within a limit by this
// count is within it by either reading. A limit applies to the text as sent, after escaping:
// "&" counts as the 5 characters of "&amp;".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace duplex::slack {

inline constexpr std::size_t kSectionTextMax = 3'000;  // a section block's text object
inline constexpr std::size_t kTextObjectMax = 3'000;   // any text object (context elements)
inline constexpr std::size_t kBlocksMax = 50;          // blocks in one message
inline constexpr std::size_t kContextElementsMax = 10;
inline constexpr std::size_t kButtonTextMax = 75;
inline constexpr std::size_t kButtonValueMax = 2'000;
inline constexpr std::size_t kMessageTextMax = 40'000;  // a message's top-level `text`
inline constexpr std::size_t kModalTitleMax = 24;
inline constexpr std::size_t kModalButtonMax = 24;  // a modal's submit and close labels
inline constexpr std::size_t kInputLabelMax = 2'000;
inline constexpr std::size_t kPlainTextInputMax = 3'000;  // plain_text_input max_length
inline constexpr std::size_t kPrivateMetadataMax = 3'000;

// Length as Slack limits it: UTF-16 code units (a code point above U+FFFF counts 2). Bytes
// that are not UTF-8 count 1 each (they go out as U+FFFD).
std::size_t SlackLength(std::string_view text);

// `mrkdwn` (already escaped, possibly with <…> markup) at most `max` long: when it is longer,
// the longest prefix that fits with a trailing "…", cut only between whole units — never
// inside an entity (&amp; &lt; &gt;), a UTF-8 sequence or a <…> span (link, mention, date).
std::string FitMrkdwn(std::string_view mrkdwn, std::size_t max);

// Plain text (a plain_text object, a form field) at most `max` long, cut between code points
// with a trailing "…" when it is longer.
std::string FitPlain(std::string_view text, std::size_t max);

}  // namespace duplex::slack
