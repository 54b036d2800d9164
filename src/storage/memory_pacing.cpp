#include "storage/memory_pacing.h"

#include <algorithm>

namespace duplex::storage {

Result<Admission> MemoryPacing::TakePace(const std::string& target, const RateLimit& limit,
                                         UnixMs now) {
  std::lock_guard lock(mu_);
  return duplex::TakePace(states_[target], limit, now);
}

Status MemoryPacing::BlockPace(const std::string& target, UnixMs until) {
  std::lock_guard lock(mu_);
  PaceState& s = states_[target];
  s.blocked_until = std::max(s.blocked_until, until);
  return Status::Ok();
}

}  // namespace duplex::storage
