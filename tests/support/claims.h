// Claiming deliveries in store tests the way the delivery engine does (Store::ClaimDue), as
// one test owner with a long lease and no rate limit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/store.h"

namespace duplex::test {

inline constexpr const char* kTestOwner = "test-owner";
inline constexpr UnixMs kTestLeaseMs = 60'000;

// Claims whatever is due at `now` (REQUIREs success).
std::vector<Delivery> ClaimDue(OutboxStore& store, UnixMs now, int limit = 100,
                               const std::vector<std::string>& skip_targets = {},
                               const std::string& owner = kTestOwner);

// Claims delivery `id`, which must be claimable at `now`, and nothing else.
Delivery ClaimOne(OutboxStore& store, std::int64_t id, UnixMs now,
                  const std::string& owner = kTestOwner);

// Claims every due chat delivery (not platform replies) and finishes it as posted, until
// none is left, so a reply queued behind them becomes its conversation's head.
void PostAllChat(OutboxStore& store, UnixMs now);

// An update of a delivery claimed by kTestOwner.
DeliveryUpdate Finish(std::int64_t id, DeliveryState state);

}  // namespace duplex::test
