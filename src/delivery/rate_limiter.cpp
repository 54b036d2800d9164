#include "delivery/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace duplex {

void RateLimiter::SetLimit(const std::string& prefix, RateLimit limit) {
  std::lock_guard lock(mu_);
  limits_[prefix] = limit;
}

RateLimit RateLimiter::LimitFor(const std::string& target) const {
  RateLimit best{1.0, 3.0};
  std::size_t best_len = 0;
  bool found = false;
  for (const auto& [prefix, limit] : limits_) {
    if (target.compare(0, prefix.size(), prefix) == 0 && (!found || prefix.size() > best_len)) {
      best = limit;
      best_len = prefix.size();
      found = true;
    }
  }
  return best;
}

RateLimiter::Bucket& RateLimiter::Refill(const std::string& target, UnixMs now) {
  Bucket& b = buckets_[target];
  RateLimit limit = LimitFor(target);
  if (!b.initialized) {
    b.tokens = limit.burst;
    b.updated = now;
    b.initialized = true;
  } else if (now > b.updated) {
    b.tokens = std::min(
        limit.burst, b.tokens + static_cast<double>(now - b.updated) / 1000.0 * limit.per_second);
    b.updated = now;
  }
  return b;
}

bool RateLimiter::TryAcquire(const std::string& target, UnixMs now) {
  std::lock_guard lock(mu_);
  Bucket& b = Refill(target, now);
  if (now < b.blocked_until || b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

UnixMs RateLimiter::NextAvailable(const std::string& target, UnixMs now) {
  std::lock_guard lock(mu_);
  Bucket& b = Refill(target, now);
  UnixMs at = now;
  if (b.tokens < 1.0) {
    RateLimit limit = LimitFor(target);
    at = now + static_cast<UnixMs>(std::ceil((1.0 - b.tokens) / limit.per_second * 1000.0));
  }
  return std::max(at, b.blocked_until);
}

void RateLimiter::Penalize(const std::string& target, UnixMs until) {
  std::lock_guard lock(mu_);
  Bucket& b = buckets_[target];
  b.blocked_until = std::max(b.blocked_until, until);
}

}  // namespace duplex
