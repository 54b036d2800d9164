#include "support/claims.h"

#include <doctest/doctest.h>

namespace duplex::test {

std::vector<Delivery> ClaimDue(OutboxStore& store, UnixMs now, int limit,
                               const std::vector<std::string>& skip_targets,
                               const std::string& owner) {
  auto claimed = store.ClaimDue(owner, now, kTestLeaseMs, limit, skip_targets, {});
  REQUIRE_MESSAGE(claimed.ok(), claimed.status().message());
  return std::move(*claimed);
}

Delivery ClaimOne(OutboxStore& store, std::int64_t id, UnixMs now, const std::string& owner) {
  auto claimed = store.ClaimDue(owner, now, kTestLeaseMs, 1000, {},
                                [&](const Delivery& d) { return d.id == id; });
  REQUIRE_MESSAGE(claimed.ok(), claimed.status().message());
  REQUIRE_MESSAGE(claimed->size() == 1, "delivery " << id << " was not claimable");
  REQUIRE(claimed->front().id == id);
  return claimed->front();
}

void PostAllChat(OutboxStore& store, UnixMs now) {
  for (;;) {
    auto claimed = store.ClaimDue(kTestOwner, now, kTestLeaseMs, 100, {}, [](const Delivery& d) {
      return d.kind != DeliveryKind::kPlatformReply;
    });
    REQUIRE_MESSAGE(claimed.ok(), claimed.status().message());
    if (claimed->empty()) return;
    for (const auto& d : *claimed) {
      DeliveryUpdate u = Finish(d.id, DeliveryState::kDone);
      u.chat_thread_for_conversation = "ts-" + std::to_string(d.conversation_id);
      u.message_chat_post = "ts-" + std::to_string(d.id);
      REQUIRE(store.FinishDelivery(u, now).ok());
    }
  }
}

DeliveryUpdate Finish(std::int64_t id, DeliveryState state) {
  DeliveryUpdate u;
  u.id = id;
  u.owner = kTestOwner;
  u.state = state;
  return u;
}

}  // namespace duplex::test
