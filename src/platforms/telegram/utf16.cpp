#include "platforms/telegram/utf16.h"

namespace duplex::telegram {
namespace {

// Byte length of the UTF-8 sequence at s[i] (1 for a stray byte) and its UTF-16 width.
void Step(std::string_view s, std::size_t i, std::size_t& bytes, std::size_t& units) {
  const auto c = static_cast<unsigned char>(s[i]);
  bytes = c < 0x80             ? 1
          : (c & 0xE0) == 0xC0 ? 2
          : (c & 0xF0) == 0xE0 ? 3
          : (c & 0xF8) == 0xF0 ? 4
                               : 1;
  if (i + bytes > s.size()) bytes = 1;
  units = bytes == 4 ? 2 : 1;
}

}  // namespace

std::size_t Utf16Length(std::string_view utf8) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    std::size_t b = 0, u = 0;
    Step(utf8, i, b, u);
    i += b;
    units += u;
  }
  return units;
}

std::optional<std::string> Utf16Slice(std::string_view utf8, std::int64_t offset,
                                      std::int64_t length) {
  if (offset < 0 || length < 0) return std::nullopt;
  const auto begin_unit = static_cast<std::uint64_t>(offset);
  const std::uint64_t end_unit = begin_unit + static_cast<std::uint64_t>(length);
  std::optional<std::size_t> begin_byte, end_byte;
  std::uint64_t unit = 0;
  std::size_t i = 0;
  while (true) {
    if (unit == begin_unit && !begin_byte) begin_byte = i;
    if (unit == end_unit) {
      end_byte = i;
      break;
    }
    if (i >= utf8.size() || unit > end_unit) break;
    std::size_t b = 0, u = 0;
    Step(utf8, i, b, u);
    i += b;
    unit += u;
  }
  if (!begin_byte || !end_byte) return std::nullopt;
  return std::string(utf8.substr(*begin_byte, *end_byte - *begin_byte));
}

}  // namespace duplex::telegram
