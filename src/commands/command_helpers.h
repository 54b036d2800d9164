// Small helpers shared by the command modules (admin, route, ...): answers, escaping of
// user text in answers, list joining, time formatting. Internal to src/commands.
#pragma once

#include <algorithm>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command_service.h"
#include "core/text.h"
#include "platforms/registry.h"

namespace duplex::commands {

inline CommandAnswer Answer(std::string text) {
  return {std::move(text), false, false};
}
inline CommandAnswer Fail(std::string text) {
  return {std::move(text), false, true};
}
inline CommandAnswer UsageFail(const std::string& problem, const char* usage) {
  return Fail(problem + "\nUsage: `/duplex " + usage + "`");
}
inline CommandAnswer Unavailable() {
  return Fail("duplex could not use its database; nothing was changed. Try again.");
}

inline std::string Lower(std::string_view s) {
  return text::ToLowerAscii(text::Trim(s));
}

inline std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

inline std::vector<std::string> KnownPlatformNames() {
  std::vector<std::string> out;
  for (const auto& e : KnownPlatforms()) out.push_back(e.name);
  return out;
}

// User text shown literally, in a code span (ChatDialect::Code), cut at 300 characters.
inline std::string Code(const ChatDialect& d, std::string_view s) {
  return d.Code(text::TruncateUtf8(s, 300));
}

// A token typed by the user, for an error message (escaped by the caller).
inline std::string Quote(std::string_view s) {
  return "`" + text::TruncateUtf8(s, 40) + "`";
}

// A whole number typed with optional "," or "_" separators ("10,000").
inline std::optional<std::int64_t> ParseCount(std::string value) {
  value.erase(
      std::remove_if(value.begin(), value.end(), [](char c) { return c == ',' || c == '_'; }),
      value.end());
  if (value.empty() ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return text::ParseInt64(value);
}

inline Status ParsePlatform(const std::string& raw, const std::vector<std::string>& known,
                            std::string& out) {
  out = Lower(raw);
  if (std::find(known.begin(), known.end(), out) != known.end()) return Status::Ok();
  return Status::Invalid("Unknown platform " + Quote(raw) + ". Platforms: " + Join(known, ", ") +
                         ".");
}

}  // namespace duplex::commands
