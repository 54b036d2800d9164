// XUserCache: X profiles (handle, name, followers) by user id, for X Activity API deliveries
// that do not carry their author's profile.
// Guarantees: thread-safe; at most `capacity` entries, the least recently used one leaves
// first; an entry is served for `ttl_ms` after it was stored, then looked up again (handles
// and follower counts change). Pure apart from the mutex: time comes from the caller.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "core/mention.h"

namespace duplex::x {

class XUserCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 10'000;
  static constexpr UnixMs kDefaultTtlMs = 24LL * 3600 * 1000;

  explicit XUserCache(std::size_t capacity = kDefaultCapacity, UnixMs ttl_ms = kDefaultTtlMs)
      : capacity_(capacity == 0 ? 1 : capacity), ttl_ms_(ttl_ms) {}

  std::optional<Author> Get(const std::string& id, UnixMs now);
  void Put(const Author& author, UnixMs now);
  std::size_t Size() const;

 private:
  struct Entry {
    Author author;
    UnixMs stored_at = 0;
  };
  using Order = std::list<std::string>;  // most recently used first

  mutable std::mutex mu_;
  const std::size_t capacity_;
  const UnixMs ttl_ms_;
  Order order_;
  std::unordered_map<std::string, std::pair<Entry, Order::iterator>> entries_;
};

}  // namespace duplex::x
