// RateLimiter: one token bucket per target (a chat channel, a platform account), so a flood
// of mentions is paced at what the remote allows instead of being answered with 429s.
// Thread-safe; time comes from the caller so tests are deterministic.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "core/clock.h"

namespace duplex {

struct RateLimit {
  double per_second = 1.0;
  double burst = 3.0;
};

class RateLimiter {
 public:
  // Limits for targets starting with `prefix` ("chat:", "x:"...); the longest prefix wins.
  void SetLimit(const std::string& prefix, RateLimit limit);

  // Takes one token if there is one.
  bool TryAcquire(const std::string& target, UnixMs now);
  // When the next token for `target` will be there (now if one is).
  UnixMs NextAvailable(const std::string& target, UnixMs now);
  // Holds the target back until `until` (the remote said "slow down").
  void Penalize(const std::string& target, UnixMs until);

 private:
  struct Bucket {
    double tokens = 0;
    UnixMs updated = 0;
    UnixMs blocked_until = 0;
    bool initialized = false;
  };
  RateLimit LimitFor(const std::string& target) const;
  Bucket& Refill(const std::string& target, UnixMs now);

  std::mutex mu_;
  std::map<std::string, RateLimit> limits_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace duplex
