#include "core/lease.h"

#include <algorithm>

#include "core/log.h"

namespace duplex {

Lease::Lease(LeaseStore& store, std::string name, std::string owner, UnixMs duration_ms)
    : store_(store), name_(std::move(name)), owner_(std::move(owner)), duration_ms_(duration_ms) {}

bool Lease::Hold(UnixMs now) {
  auto taken = store_.TakeLease(name_, owner_, now, duration_ms_);
  std::lock_guard lock(mu_);
  const bool had = held_until_ > now;
  if (!taken.ok()) {
    log::Warn("could not renew a lease; its job stops here until it can",
              {{"lease", name_}, {"error", taken.status().message()}});
  }
  const bool holds = taken.ok() && *taken;
  // Callers on several threads may renew with clocks read at different moments: a renewal
  // from an earlier `now` never shortens what a later one granted.
  held_until_ = holds ? std::max(held_until_, now + duration_ms_) : 0;
  if (holds && !had) log::Info("took the lease: this instance runs its job", {{"lease", name_}});
  if (!holds && had) log::Warn("lost the lease: another instance runs its job", {{"lease", name_}});
  return holds;
}

bool Lease::Holding(UnixMs now) const {
  std::lock_guard lock(mu_);
  return now < held_until_;
}

void Lease::Release() {
  {
    std::lock_guard lock(mu_);
    if (held_until_ == 0) return;
    held_until_ = 0;
  }
  if (Status s = store_.DropLease(name_, owner_); !s.ok()) {
    // It runs out by itself; the next holder only waits longer.
    log::Warn("could not give up a lease", {{"lease", name_}, {"error", s.message()}});
  }
}

Result<std::string> Lease::State() {
  return store_.LeaseState(name_);
}

Result<bool> Lease::SaveState(UnixMs now, const std::string& state) {
  return store_.SaveLeaseState(name_, owner_, now, state);
}

}  // namespace duplex
