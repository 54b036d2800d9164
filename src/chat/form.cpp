#include "chat/form.h"

#include "core/text.h"

namespace duplex {

Form Form::Parse(std::string_view body) {
  Form form;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(start, end - start);
    if (!pair.empty()) {
      std::size_t eq = pair.find('=');
      std::string key = text::UrlDecode(pair.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : text::UrlDecode(pair.substr(eq + 1));
      form.fields_.emplace_back(std::move(key), std::move(value));
    }
    start = end + 1;
  }
  return form;
}

std::string Form::Get(const std::string& key) const {
  for (const auto& [k, v] : fields_) {
    if (k == key) return v;
  }
  return {};
}

bool Form::Has(const std::string& key) const {
  for (const auto& [k, v] : fields_) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace duplex
