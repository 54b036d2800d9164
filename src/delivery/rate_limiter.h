// RateLimiter: paces each target (a chat channel, a platform account) at what the remote
// allows, so a flood of mentions is spread out instead of answered with 429s. The limits are
// set here by target prefix; the state of each target's bucket (core/pacing.h) lives in a
// PacingStore, as shared as the store: in memory for SQLite, a row per target on PostgreSQL,
// so several instances on one database pace together at the configured rate, not a multiple
// of it. Thread-safe; time comes from the caller so tests are deterministic.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/pacing.h"
#include "storage/store.h"

namespace duplex {

class RateLimiter {
 public:
  // Pacing state of its own, in memory.
  RateLimiter();
  // Pacing state in `pacing` (the store's), shared with whoever else uses it.
  explicit RateLimiter(PacingStore& pacing);
  ~RateLimiter();

  // Limits for targets starting with `prefix` ("chat:", "x:"...); the longest prefix wins.
  void SetLimit(const std::string& prefix, RateLimit limit);

  // Takes one token for `target` if there is one, and says when the next one will be: one
  // look-up of the pacing state. When the state cannot be read (the database is away), the
  // target is refused and asked about again in a second.
  Admission Acquire(const std::string& target, UnixMs now);
  // Holds the target back until `until` (the remote said "slow down").
  void Penalize(const std::string& target, UnixMs until);

 private:
  RateLimit LimitFor(const std::string& target) const;

  std::unique_ptr<PacingStore> own_;
  PacingStore& pacing_;
  mutable std::mutex mu_;  // guards limits_
  std::map<std::string, RateLimit> limits_;
};

}  // namespace duplex
