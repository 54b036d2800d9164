// Small facts about X ids shared by the X connector's files. Pure and header-only.
#pragma once

#include <algorithm>
#include <string>

namespace duplex::x {

// X ids are decimal strings (they exceed 2^53, so never JSON numbers); anything else is
// refused before it can reach a URL path.
inline bool IsNumericId(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// https://x.com/messages/<lower id>-<higher id>: X's address of a one-to-one DM thread;
// empty unless both ids are numeric.
inline std::string DmConversationUrl(const std::string& a, const std::string& b) {
  if (!IsNumericId(a) || !IsNumericId(b)) return {};
  const bool a_first = a.size() != b.size() ? a.size() < b.size() : a < b;
  return "https://x.com/messages/" + (a_first ? a + "-" + b : b + "-" + a);
}

}  // namespace duplex::x
