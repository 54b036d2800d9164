// Route: one admin-defined rule that sends matching mentions to a chat channel.
// Pure data plus its validation; matching lives in Router. A route matches a mention when
// it is enabled and every filter it sets matches (an unset filter matches everything).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/mention.h"
#include "core/status.h"

namespace duplex {

struct Route {
  std::string name;                           // lower-case [a-z0-9_.-], 1..64 chars
  std::string channel;                        // chat channel id
  std::set<std::string> platforms;            // connector names; empty = any
  std::set<MentionKind> kinds;                // empty = any
  std::vector<std::string> keywords;          // normalized (NormalizeKeyword); any one matches
  std::string regex;                          // RE2 syntax, on the original text; empty = none
  std::optional<std::int64_t> min_followers;  // an author whose reach is unknown fails it
  int priority = 100;                         // lower wins; ties broken by name
  bool enabled = true;

  bool operator==(const Route& o) const;
};

inline constexpr int kMaxRoutePriority = 1'000'000;
inline constexpr std::size_t kMaxKeywordsPerRoute = 200;
inline constexpr std::size_t kMaxKeywordBytes = 100;
inline constexpr std::size_t kMaxRegexBytes = 1000;

// "Support" → "support"; empty when `name` cannot be a route name.
std::string NormalizeRouteName(const std::string& name);

// Ok, or InvalidArgument naming the first problem: bad name, no channel, an empty or
// over-long keyword, too many keywords, a regex RE2 rejects (with RE2's message), a negative
// min_followers or a priority outside 0..kMaxRoutePriority.
Status ValidateRoute(const Route& route);

// Compiles `pattern` the way routing will; Ok or InvalidArgument with RE2's reason.
Status CheckRouteRegex(const std::string& pattern);

}  // namespace duplex
