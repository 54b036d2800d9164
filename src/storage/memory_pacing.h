// MemoryPacing: pacing state (core/pacing.h) in this process's memory, for a store only one
// process uses (SQLite) and for a rate limiter of its own (tests, tools). Nothing is written
// to disk: a restart starts every target with a full burst, as before there were instances.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "storage/store.h"

namespace duplex::storage {

class MemoryPacing final : public PacingStore {
 public:
  Result<Admission> TakePace(const std::string& target, const RateLimit& limit,
                             UnixMs now) override;
  Status BlockPace(const std::string& target, UnixMs until) override;

 private:
  std::mutex mu_;
  std::map<std::string, PaceState> states_;
};

}  // namespace duplex::storage
