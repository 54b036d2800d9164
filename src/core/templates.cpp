#include "core/templates.h"

#include "core/text.h"

namespace duplex {

bool IsTemplateName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTemplateNameChars) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '-' && c != '_'))) return false;
  }
  return true;
}

std::optional<std::string> TemplateReference(std::string_view reply_text) {
  std::string t = text::Trim(reply_text);
  if (t.size() < 2 || t[0] != ':') return std::nullopt;
  std::string name = text::ToLowerAscii(std::string_view(t).substr(1));
  if (!IsTemplateName(name)) return std::nullopt;
  return name;
}

namespace {

constexpr char32_t kWordJoiner = 0x2060;

// `s` (valid UTF-8, see text::SanitizeUtf8) as code points.
std::u32string Decode(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

// @ # $ and their full-width forms: mentions, hashtags (and issue refs), cashtags.
bool IsSigil(char32_t c) {
  return c == '@' || c == '#' || c == '$' || c == 0xFF20 || c == 0xFF03 || c == 0xFF04;
}

bool IsSpace(char32_t c) {
  return c == ' ' || c == 0x3000 || c == 0xA0;
}

bool IsDropped(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c < 0xA0) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069) || c == kWordJoiner;
}

}  // namespace

std::string InertName(std::string_view name) {
  std::u32string in;
  for (char32_t c : Decode(text::SanitizeUtf8(name))) {
    if (c == '\n' || c == '\r' || c == '\t') {
      in.push_back(' ');
    } else if (!IsDropped(c)) {
      in.push_back(c);
    }
  }
  std::size_t start = 0;
  while (start < in.size() && (IsSigil(in[start]) || IsSpace(in[start]))) ++start;
  std::size_t end = in.size();
  while (end > start && IsSpace(in[end - 1])) --end;

  std::string out;
  for (std::size_t i = start; i < end; ++i) {
    const char32_t c = in[i];
    const char32_t next = i + 1 < end ? in[i + 1] : 0;
    text::AppendCodePoint(out, c);
    const bool breaks = IsSigil(c) || c == '<' ||
                        ((c == ':' || c == '.') && next != 0 && !IsSpace(next)) ||
                        (c == ']' && (next == '(' || next == '['));
    if (breaks) text::AppendCodePoint(out, kWordJoiner);
  }
  return out;
}

std::string InertHandle(std::string_view handle) {
  std::size_t start = 0;
  while (start < handle.size() && handle[start] == '@') ++start;
  const std::string_view bare = handle.substr(start);
  bool plain = !bare.empty();
  for (char c : bare) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-');
  }
  if (plain) return std::string(bare);
  std::string inert = InertName(handle);
  if (inert.empty()) return inert;
  std::string out;
  text::AppendCodePoint(out, kWordJoiner);
  return out + inert;
}

std::string FillTemplate(std::string_view text, const TemplateVars& vars) {
  const std::string author = InertName(vars.author);
  const std::string handle = InertHandle(vars.handle);
  const std::pair<std::string_view, const std::string*> kPlaceholders[] = {
      {"{author}", &author}, {"{handle}", &handle}, {"{ref}", &vars.ref}};
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const auto& [placeholder, value] : kPlaceholders) {
        if (text.substr(i, placeholder.size()) == placeholder) {
          out += *value;
          i += placeholder.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out.push_back(text[i++]);
  }
  return out;
}

}  // namespace duplex
