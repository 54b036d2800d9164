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

std::string FillTemplate(std::string_view text, const TemplateVars& vars) {
  const std::pair<std::string_view, const std::string*> kPlaceholders[] = {
      {"{author}", &vars.author}, {"{handle}", &vars.handle}, {"{ref}", &vars.ref}};
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
