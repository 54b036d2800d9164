#include "security/source_rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace duplex::security {

SourceRateLimiter::SourceRateLimiter(SourceLimit limit, std::size_t max_sources)
    : limit_(limit), max_sources_(std::max<std::size_t>(1, max_sources)) {}

SourceRateLimiter::Decision SourceRateLimiter::Take(const std::string& source, UnixMs now) {
  if (limit_.per_second <= 0) return {};
  std::lock_guard lock(mu_);
  auto it = buckets_.find(source);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_sources_) MakeRoom(now);
    it = buckets_.emplace(source, Bucket{limit_.burst, now}).first;
  }
  Bucket& b = it->second;
  if (now > b.updated) {
    b.tokens = std::min(
        limit_.burst, b.tokens + static_cast<double>(now - b.updated) / 1000.0 * limit_.per_second);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  const double wait_ms = (1.0 - b.tokens) / limit_.per_second * 1000.0;
  return {false, std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait_ms)))};
}

void SourceRateLimiter::MakeRoom(UnixMs now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed_s = static_cast<double>(now - it->second.updated) / 1000.0;
    const bool full = it->second.tokens + elapsed_s * limit_.per_second >= limit_.burst;
    it = full ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() >= max_sources_) buckets_.clear();
}

std::size_t SourceRateLimiter::sources() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace duplex::security
