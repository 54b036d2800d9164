#include "delivery/rate_limiter.h"

#include "core/log.h"
#include "storage/memory_pacing.h"

namespace duplex {

namespace {

// How soon a target refused for want of its pacing state is asked about again.
constexpr UnixMs kPacingRetryMs = 1000;

}  // namespace

RateLimiter::RateLimiter() : own_(std::make_unique<storage::MemoryPacing>()), pacing_(*own_) {}

RateLimiter::RateLimiter(PacingStore& pacing) : pacing_(pacing) {}

RateLimiter::~RateLimiter() = default;

void RateLimiter::SetLimit(const std::string& prefix, RateLimit limit) {
  std::lock_guard lock(mu_);
  limits_[prefix] = limit;
}

RateLimit RateLimiter::LimitFor(const std::string& target) const {
  std::lock_guard lock(mu_);
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

Admission RateLimiter::Acquire(const std::string& target, UnixMs now) {
  auto admission = pacing_.TakePace(target, LimitFor(target), now);
  if (admission.ok()) return *admission;
  log::Warn("pacing state unavailable; the target waits",
            {{"target", target}, {"error", admission.status().message()}});
  return {false, now + kPacingRetryMs};
}

void RateLimiter::Penalize(const std::string& target, UnixMs until) {
  if (Status s = pacing_.BlockPace(target, until); !s.ok()) {
    // The delivery that got the hint still waits (its next attempt is set from it); only the
    // target's other deliveries may go before the remote's wait is over.
    log::Warn("could not hold a target back as its remote asked",
              {{"target", target}, {"error", s.message()}});
  }
}

}  // namespace duplex
