// Telegram measures text in UTF-16 code units (entity offsets and lengths, message limits),
// while duplex holds UTF-8. These helpers translate between the two.
// Guarantees: pure; a code point above U+FFFF counts 2 units (a surrogate pair); a range that
// starts or ends inside a pair, or runs past the end, gives nullopt instead of a guess.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace duplex::telegram {

// Number of UTF-16 code units `utf8` encodes to.
std::size_t Utf16Length(std::string_view utf8);

// The UTF-8 text covering UTF-16 units [offset, offset + length).
std::optional<std::string> Utf16Slice(std::string_view utf8, std::int64_t offset,
                                      std::int64_t length);

}  // namespace duplex::telegram
