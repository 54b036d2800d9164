// The PostgreSQL store's outbox: the claim contract of tests/claim_test.cpp on PostgreSQL,
// where several instances really do share the database. Rows are seeded with SQL until the
// PostgreSQL store ingests (issue 17). Skipped without a server (scripts/with-postgres).
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "storage/pg_connection.h"
#include "storage/pg_store.h"
#include "support/claims.h"
#include "support/pg_test_db.h"

namespace duplex {
namespace {

constexpr UnixMs kNow = 1'700'000'000'000;

// Conversation `n` (channel C1) with one customer message `n`, and its chat post pending.
std::string SeedConversation(int n) {
  const std::string id = std::to_string(n);
  return "INSERT INTO conversations (id, platform, conversation_key, channel, created_at,"
         " updated_at, sla_started_at) VALUES (" +
         id + ", 'generic', 'c" + id + "', 'C1', " + std::to_string(kNow) + ", " +
         std::to_string(kNow) + ", " + std::to_string(kNow) +
         "); INSERT INTO messages (id, conversation_id, platform, direction, text, created_at)"
         " VALUES (" +
         id + ", " + id + ", 'generic', 'in', 'hello " + id + "', " + std::to_string(kNow) + ");";
}

std::string Outbox(int conversation, const std::string& kind, int message,
                   const std::string& target = "chat:C1") {
  return "INSERT INTO outbox (kind, conversation_id, message_id, target, next_attempt_at,"
         " created_at, updated_at) VALUES ('" +
         kind + "', " + std::to_string(conversation) + ", " + std::to_string(message) + ", '" +
         target + "', " + std::to_string(kNow) + ", " + std::to_string(kNow) + ", " +
         std::to_string(kNow) + ");";
}

std::string Unknown(const StoredMessage& reply, std::int64_t delivery) {
  return "unknown: " + reply.text + " (delivery " + std::to_string(delivery) + ")";
}

}  // namespace

TEST_CASE("postgres outbox: instances claiming at once never claim the same row") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto first = test::OpenPgStore(db.url());
  auto second = test::OpenPgStore(db.url());
  std::string seed;
  for (int i = 1; i <= 300; ++i) seed += SeedConversation(i) + Outbox(i, "chat_post", i);
  test::PgQuery(db.url(), seed);
  std::vector<Delivery> got_a, got_b;
  auto drain = [](PgStore& store, const std::string& owner, std::vector<Delivery>& got) {
    for (int empty = 0; empty < 3;) {
      auto claimed = store.ClaimDue(owner, kNow, 60'000, 7, {}, {});
      REQUIRE(claimed.ok());
      if (claimed->empty()) ++empty;
      got.insert(got.end(), claimed->begin(), claimed->end());
    }
  };
  std::thread a([&] { drain(*first, "owner-a", got_a); });
  std::thread b([&] { drain(*second, "owner-b", got_b); });
  a.join();
  b.join();
  std::set<std::int64_t> ids;
  for (const auto& d : got_a) ids.insert(d.id);
  for (const auto& d : got_b) {
    CHECK(ids.count(d.id) == 0);
    ids.insert(d.id);
    CHECK(d.owner == "owner-b");
    CHECK(d.state == DeliveryState::kSending);
  }
  CHECK(ids.size() == 300);
  CHECK(got_a.size() + got_b.size() == 300);
}

TEST_CASE("postgres outbox: head of line per conversation, skipped and refused targets") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto store = test::OpenPgStore(db.url());
  test::PgQuery(db.url(), SeedConversation(1) + SeedConversation(2) + Outbox(1, "chat_post", 1) +
                              Outbox(1, "chat_notice", 0) + Outbox(1, "chat_update", 0) +
                              Outbox(2, "chat_post", 2, "chat:C2"));
  CHECK(test::ClaimDue(*store, kNow, 10, {"chat:C1", "chat:C2"}).empty());
  std::vector<std::string> asked;
  auto refused = store->ClaimDue("o", kNow, 60'000, 10, {}, [&](const Delivery& d) {
    asked.push_back(d.target);
    return d.target == "chat:C2";
  });
  REQUIRE(refused.ok());
  REQUIRE(refused->size() == 1);
  CHECK(refused->front().id == 4);
  CHECK((**store->GetDelivery(1)).state == DeliveryState::kPending);
  auto heads = test::ClaimDue(*store, kNow);
  REQUIRE(heads.size() == 1);  // delivery 1; the notice and the update wait behind it
  CHECK(heads[0].id == 1);
  DeliveryUpdate done = test::Finish(1, DeliveryState::kDone);
  done.chat_thread_for_conversation = "ts-1";
  done.message_chat_post = "ts-1";
  REQUIRE(store->FinishDelivery(done, kNow).ok());
  auto next = test::ClaimDue(*store, kNow);
  REQUIRE(next.size() == 1);
  CHECK(next[0].id == 2);  // the update waits for the notice before it
  CHECK(store->NextDueAt()->value() == kNow);
  CHECK(store->GetOutboxStats()->pending == 3);
}

TEST_CASE(
    "postgres outbox: a live lease is neither stolen nor finished by another owner — an "
    "expired one is recovered (reply unknown with a notice, chat post pending)") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto store = test::OpenPgStore(db.url());
  test::PgQuery(
      db.url(),
      SeedConversation(1) + SeedConversation(2) +
          "INSERT INTO messages (id, conversation_id, platform, direction, chat_user, text,"
          " parent_id, status, created_at) VALUES (3, 1, 'generic', 'out', 'U1', 'on its way',"
          " 1, 'queued', " +
          std::to_string(kNow) + ");" + Outbox(1, "platform_reply", 3, "generic:") +
          Outbox(2, "chat_post", 2));
  auto claimed = test::ClaimDue(*store, kNow, 10, {}, "dead-owner");
  REQUIRE(claimed.size() == 2);

  const UnixMs live = kNow + test::kTestLeaseMs - 1;
  CHECK(*store->RecoverExpired(live, Unknown) == 0);
  CHECK(test::ClaimDue(*store, live, 10, {}, "restarted").empty());
  DeliveryUpdate stolen = test::Finish(1, DeliveryState::kDone);
  stolen.owner = "restarted";
  CHECK(store->FinishDelivery(stolen, live).code() == StatusCode::kNotFound);
  CHECK(*store->RenewLeases("dead-owner", kNow + 1, test::kTestLeaseMs) == 2);

  const UnixMs expired = kNow + 1 + test::kTestLeaseMs;
  CHECK(*store->RecoverExpired(expired, Unknown) == 2);
  auto reply = **store->GetDelivery(1);
  CHECK(reply.state == DeliveryState::kUnknown);
  CHECK((**store->GetDelivery(2)).state == DeliveryState::kPending);
  auto unknown = store->ListDeliveries({DeliveryState::kUnknown}, 10);
  REQUIRE(unknown->size() == 1);
  CHECK(store->GetOutboxStats()->unknown == 1);
  auto taken = test::ClaimDue(*store, expired, 10, {}, "live-owner");
  std::string notice;
  for (const auto& d : taken) {
    CHECK(d.kind != DeliveryKind::kPlatformReply);
    if (d.kind == DeliveryKind::kChatNotice) notice = d.payload;
  }
  CHECK(notice == "unknown: on its way (delivery 1)");
  DeliveryUpdate late = test::Finish(2, DeliveryState::kDone);
  late.owner = "dead-owner";
  CHECK(store->FinishDelivery(late, expired).code() == StatusCode::kNotFound);
  CHECK((**store->GetDelivery(2)).owner == "live-owner");

  // retry: the unknown reply goes back to pending, its message to queued.
  auto requeued = store->RequeueDelivery(1, expired);
  REQUIRE(requeued.ok());
  CHECK(requeued->state == DeliveryState::kPending);
  CHECK(store->RequeueDelivery(1, expired).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE(
    "postgres outbox: a sent reply stops the SLA clock, marks replied and queues follow-ups") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto store = test::OpenPgStore(db.url());
  test::PgQuery(
      db.url(),
      SeedConversation(1) +
          "INSERT INTO messages (id, conversation_id, platform, direction, chat_user, text,"
          " parent_id, status, created_at) VALUES (2, 1, 'generic', 'out', 'U1', 'hi', 1,"
          " 'queued', " +
          std::to_string(kNow) + ");" + Outbox(1, "platform_reply", 2, "generic:"));
  test::ClaimOne(*store, 1, kNow);
  DeliveryUpdate sent = test::Finish(1, DeliveryState::kDone);
  sent.message_status = "sent";
  sent.message_remote_id = "remote-9";
  sent.first_response = true;
  sent.follow_ups = {{DeliveryKind::kChatNotice, 1, 0, "chat:C1", "sent!"},
                     {DeliveryKind::kChatUpdate, 1, 0, "chat:C1", ""},
                     {DeliveryKind::kChatUpdate, 1, 0, "chat:C1", ""}};
  REQUIRE(store->FinishDelivery(sent, kNow + 5).ok());
  auto pending = store->ListDeliveries({DeliveryState::kPending}, 10);
  CHECK(pending->size() == 2);  // the notice, and one root update (the second reused it)
  // A second finish is refused: the claim ended with the first.
  CHECK(store->FinishDelivery(sent, kNow + 6).code() == StatusCode::kNotFound);
}

}  // namespace duplex
