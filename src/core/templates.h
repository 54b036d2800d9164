// Canned replies: template names, the `reply <ref> :<name>` form, and filling in the
// placeholders {author} (display name), {handle} and {ref}. Pure.
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
  std::string author;  // display name (the handle when the platform gives none)
  std::string handle;
  std::string ref;  // "#42"
};

// Replaces each {author}, {handle} and {ref}; other braces are kept as written.
std::string FillTemplate(std::string_view text, const TemplateVars& vars);

}  // namespace duplex
