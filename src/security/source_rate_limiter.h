// SourceRateLimiter: a token bucket per request source (security::SourceKey), so one address
// cannot flood the webhook endpoints. Memory is bounded: past `max_sources` buckets, those
// that have refilled completely (they carry no state) are dropped, and if that frees nothing
// every bucket starts over: under an attack from that many addresses, limiting each of them
// precisely matters less than staying up. Thread-safe; time comes from the caller.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace duplex::security {

struct SourceLimit {
  double per_second = 50;  // 0: no limit
  double burst = 200;
};

class SourceRateLimiter {
 public:
  explicit SourceRateLimiter(SourceLimit limit, std::size_t max_sources = 100'000);

  struct Decision {
    bool allowed = true;
    std::int64_t retry_after_ms = 0;  // when refused: until the next token
  };
  Decision Take(const std::string& source, UnixMs now);

  std::size_t sources() const;

 private:
  struct Bucket {
    double tokens = 0;
    UnixMs updated = 0;
  };
  void MakeRoom(UnixMs now);

  const SourceLimit limit_;
  const std::size_t max_sources_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace duplex::security
