// Small text helpers shared across modules: pure functions, UTF-8 aware where it matters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace duplex::text {

std::string Trim(std::string_view s);
std::string ToLowerAscii(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
std::vector<std::string> Split(std::string_view s, char sep);

// Whole-string decimal integer; nullopt on anything else (sign allowed, no spaces).
std::optional<std::int64_t> ParseInt64(std::string_view s);

// A JSON string literal for `s`, escaping control characters; invalid UTF-8 bytes become
// U+FFFD so the result is always valid JSON.
std::string JsonQuote(std::string_view s);
// Replaces invalid UTF-8 sequences with U+FFFD.
std::string SanitizeUtf8(std::string_view s);
// At most `max_chars` code points, cut on a code point boundary, with "…" when cut.
std::string TruncateUtf8(std::string_view s, std::size_t max_chars);
std::size_t CountCodePoints(std::string_view s);
// Appends the code point `cp` (at most U+10FFFF) to `out` as UTF-8.
void AppendCodePoint(std::string& out, char32_t cp);

// 12345 → "12,345".
std::string FormatThousands(std::int64_t n);

// A short human duration: "45s", "12m", "3h 5m", "2d 4h" (negative as "-…").
std::string FormatDuration(std::int64_t ms);

// application/x-www-form-urlencoded pieces ('+' is a space).
std::string UrlDecode(std::string_view s);
std::string UrlEncode(std::string_view s);

}  // namespace duplex::text
