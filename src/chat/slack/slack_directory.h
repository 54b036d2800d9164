// SlackDirectory: the name Slack shows for a user id, so staff text made plain for customers
// says "Ana" where staff wrote <@U0ANA> (SlackDialect::ToPlain).
// Guarantees: thread-safe; at most `capacity` ids are remembered, the least recently used
// leaves first; a name is served for `ttl_ms` after it was looked up, an id Slack did not name
// (unknown, refused, unreachable) is not asked about again for `miss_ttl_ms`; a lookup never
// waits longer than the timeout its caller gives.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace duplex {

class SlackDirectory {
 public:
  // Asks Slack (users.info) for the name of `user_id` within `timeout_ms`; nullopt when Slack
  // did not give one.
  using Lookup =
      std::function<std::optional<std::string>(const std::string& user_id, int timeout_ms)>;

  struct Options {
    std::size_t capacity = 1'000;
    UnixMs ttl_ms = 60LL * 60 * 1000;  // people rename themselves; an hour is fresh enough
    UnixMs miss_ttl_ms = 60 * 1000;    // a failing Slack is not asked for every message
  };

  SlackDirectory(Lookup lookup, const Clock& clock)
      : SlackDirectory(std::move(lookup), clock, Options{}) {}
  SlackDirectory(Lookup lookup, const Clock& clock, Options options);

  // The remembered name, or Slack's answer within `timeout_ms` (0: only what is remembered).
  std::optional<std::string> NameOf(const std::string& user_id, int timeout_ms);

 private:
  struct Entry {
    std::optional<std::string> name;
    UnixMs expires_at = 0;
  };
  using Order = std::list<std::string>;  // most recently used first

  // nullopt when `user_id` is not remembered (or no longer fresh).
  std::optional<Entry> Remembered(const std::string& user_id, UnixMs now);
  void Remember(const std::string& user_id, Entry entry);

  Lookup lookup_;
  const Clock& clock_;
  Options options_;
  std::mutex mu_;
  Order order_;
  std::unordered_map<std::string, std::pair<Entry, Order::iterator>> entries_;
};

}  // namespace duplex
