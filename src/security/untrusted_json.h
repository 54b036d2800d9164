// Parsing JSON that arrives from the internet. nlohmann::json recurses once per nesting
// level, so a body of a million '[' would overflow the stack: depth is checked first, with
// a linear scan, and parse errors become a short 400 reason instead of an exception.
// Writing JSON whose strings came from anywhere: DumpJson never throws.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace duplex::security {

inline constexpr int kMaxJsonDepth = 64;

// The deepest nesting of arrays/objects in `text` (strings are skipped), stopping early once
// `limit` is exceeded.
int JsonNestingDepth(std::string_view text, int limit);

// Parses `body`; InvalidArgument("invalid JSON …" / "JSON nested too deeply") on failure.
Result<nlohmann::json> ParseUntrustedJson(std::string_view body, int max_depth = kMaxJsonDepth);

// Typed field access for untrusted objects: each returns InvalidArgument naming `path` when
// the field has the wrong type. Absent fields give the default (or nullopt).
Status GetString(const nlohmann::json& obj, const char* key, const std::string& path,
                 std::string& out);
Status GetInt(const nlohmann::json& obj, const char* key, const std::string& path,
              std::optional<std::int64_t>& out);

// `j` as JSON text (compact, or indented by `indent` spaces). nlohmann's own dump() throws on
// a string that is not valid UTF-8, and strings here come from customers, chats, headers and
// files; this one writes each invalid byte as U+FFFD instead. duplex dumps with it.
std::string DumpJson(const nlohmann::json& j, int indent = -1);
std::string DumpJson(const nlohmann::ordered_json& j, int indent = -1);

}  // namespace duplex::security
