#include "chat/slack/slack_limits.h"

namespace duplex::slack {
namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // "…", 1 UTF-16 unit

struct Unit {
  std::size_t bytes = 0;
  std::size_t length = 0;  // UTF-16 code units
};

// One code point at `i` (or one byte that does not start a whole UTF-8 sequence).
Unit CodePointAt(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t need = lead < 0x80           ? 1
                     : (lead >> 5) == 0x6  ? 2
                     : (lead >> 4) == 0xE  ? 3
                     : (lead >> 3) == 0x1E ? 4
                                           : 0;
  if (need == 0 || i + need > s.size()) return {1, 1};
  for (std::size_t k = 1; k < need; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return {1, 1};
  }
  return {need, need == 4 ? 2u : 1u};
}

// Cuts `s` to the longest prefix of whole units that fits `max` with the ellipsis. `next_unit`
// gives the unit at a position.
template <typename NextUnit>
std::string Fit(std::string_view s, std::size_t max, NextUnit next_unit) {
  if (SlackLength(s) <= max) return std::string(s);
  if (max == 0) return {};
  const std::size_t budget = max - 1;  // the ellipsis
  std::size_t i = 0, used = 0;
  while (i < s.size()) {
    Unit u = next_unit(i);
    if (used + u.length > budget) break;
    used += u.length;
    i += u.bytes;
  }
  return std::string(s.substr(0, i)) + std::string(kEllipsis);
}

}  // namespace

std::size_t SlackLength(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    Unit u = CodePointAt(s, i);
    n += u.length;
    i += u.bytes;
  }
  return n;
}

std::string FitPlain(std::string_view s, std::size_t max) {
  return Fit(s, max, [&](std::size_t i) { return CodePointAt(s, i); });
}

std::string FitMrkdwn(std::string_view s, std::size_t max) {
  // The first '>' at or after the current position, found once per run of text: positions
  // only grow, so every '<' before it shares it (a text of many '<' stays linear).
  std::size_t close = 0;
  bool close_known = false;
  return Fit(s, max, [&](std::size_t i) -> Unit {
    if (s[i] == '&') {
      for (std::string_view entity : {"&amp;", "&lt;", "&gt;"}) {
        if (s.compare(i, entity.size(), entity) == 0) return {entity.size(), entity.size()};
      }
    }
    if (s[i] == '<') {
      if (!close_known || (close != std::string_view::npos && close < i)) {
        close = s.find('>', i);
        close_known = true;
      }
      if (close != std::string_view::npos) {
        std::string_view span = s.substr(i, close + 1 - i);
        return {span.size(), SlackLength(span)};
      }
    }
    return CodePointAt(s, i);
  });
}

}  // namespace duplex::slack
