// Canned replies: template names, the `reply <ref> :<name>` form, and filling in the
// placeholders {author} (display name), {handle} and {ref}, customer values made harmless
// for a public reply. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace duplex {

inline constexpr std::size_t kMaxTemplateNameChars = 32;

// 1–32 characters of a-z, 0-9, '-' and '_', starting with a letter or digit.
bool IsTemplateName(std::string_view name);

// The template a reply text asks for: the whole text is `:<name>` (case-insensitive, so
// `:Thanks` is `thanks`). Anything else — ":)", ":wave:", ":thanks and more" — is an
// ordinary reply and nullopt.
std::optional<std::string> TemplateReference(std::string_view reply_text);

struct TemplateVars {
  std::string author;  // display name (the handle when the platform gives none), as received
  std::string handle;  // as received
  std::string ref;     // "#42"
};

// A customer's display name as the brand may say it in public: it reads the same but cannot
// mention, tag or link anyone on X, GitHub, Telegram, Instagram or Facebook. Leading @ # $
// (and their full-width forms) are dropped; a U+2060 WORD JOINER, which renders as nothing,
// follows every other @ # $, every '<', a ':' or '.' that something follows, and a ']'
// before '(' or '['. So "@victim is a scammer" reads "victim is a scammer", and neither
// "Ana @victim", "#scam", "evil.com", "https://phish" nor "[x](https://phish)" becomes a
// mention, hashtag, cashtag, link or Markdown/HTML markup. Line breaks become spaces;
// control and bidirectional-override characters are dropped.
std::string InertName(std::string_view name);

// The handle for "@{handle}": a plain handle (letters, digits, '_', '.', '-'), without a
// leading @, is kept so the reply addresses the customer; anything else is made inert and
// starts with a word joiner, so "@{handle}" cannot mention someone else.
std::string InertHandle(std::string_view handle);

// Replaces each {author} (InertName), {handle} (InertHandle) and {ref}; other braces are
// kept as written, and filled-in values are not filled again.
std::string FillTemplate(std::string_view text, const TemplateVars& vars);

}  // namespace duplex
