// SelfIdentity: who duplex itself is on a platform (a GitHub login, an Instagram username),
// asked of the platform the first time a webhook needs it and then remembered, so that what
// our own account writes, through duplex or not, is recognised as ours.
// Guarantees: thread-safe; one lookup runs at a time (a caller waits at most for that one
// lookup, whose timeout the caller's lookup sets); a value found is kept for the life of the
// process; after a lookup that may work later none is made for `retry_ms`; after one that
// never will (the token may not read it) none is made again for that key.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"

namespace duplex {

class SelfIdentity {
 public:
  static constexpr UnixMs kDefaultRetryMs = 60'000;

  struct Answer {
    std::optional<std::string> value;  // what the platform said; nullopt: no answer
    bool final = false;                // with no value: asking again cannot help
  };
  using Lookup = std::function<Answer()>;

  explicit SelfIdentity(UnixMs retry_ms = kDefaultRetryMs) : retry_ms_(retry_ms) {}

  // The value for `key` (one per account: "" where there is only one), calling `lookup`
  // when none is known and asking is due. nullopt while unknown.
  std::optional<std::string> Get(const std::string& key, UnixMs now, const Lookup& lookup);

 private:
  struct Entry {
    std::optional<std::string> value;
    bool given_up = false;
    UnixMs next_try = 0;
  };
  std::mutex mu_;
  const UnixMs retry_ms_;
  std::map<std::string, Entry> entries_;
};

}  // namespace duplex
