// The PostgreSQL store's ingest and reads: dedup across instances by unique constraints, the
// conversation rules of core/conversation_rules.h, echoes of our own replies. Skipped without
// a server (scripts/with-postgres).
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "storage/pg_connection.h"
#include "storage/pg_store.h"
#include "support/claims.h"
#include "support/pg_test_db.h"
#include "support/store_factory.h"

namespace duplex {
namespace {

constexpr UnixMs kNow = 1'700'000'000'000;

}  // namespace

TEST_CASE("postgres ingest: dedup, conversations and the chat outbox, head of line kept") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto store = test::OpenPgStore(db.url());
  auto r = store->Ingest(
      {test::MentionItem("e1", "c1", "one"), test::MentionItem("e2", "c1", "two"),
       test::MentionItem("e1", "c1", "dup"), test::MentionItem("e3", "c2", "three", "C2")},
      kNow);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 4);
  CHECK((*r)[0].new_conversation);
  CHECK((*r)[1].conversation_id == (*r)[0].conversation_id);
  CHECK_FALSE((*r)[1].new_conversation);
  CHECK((*r)[2].duplicate);
  CHECK((*(store->GetConversation((*r)[3].conversation_id)))->channel == "C2");
  auto due = test::ClaimDue(*store, kNow);
  REQUIRE(due.size() == 2);
  CHECK(due[0].message_id == (*r)[0].message_id);
  CHECK(due[1].message_id == (*r)[3].message_id);
  auto messages = store->ListMessages((*r)[0].conversation_id);
  REQUIRE(messages->size() == 2);
  CHECK((*messages)[1].text == "two");
  CHECK((*messages)[1].author.followers == 10);
  CHECK((*store->LatestMessageFrom((*r)[0].conversation_id, "a1"))->id == (*r)[1].message_id);
  // A replay under a new event id is a duplicate by its message id.
  IngestItem replay = test::MentionItem("e9", "c1", "one");
  replay.mention.message_id = "msg-e1";
  CHECK((*store->Ingest({replay}, kNow))[0].duplicate);
  // A message whose parent is known joins the parent's conversation.
  IngestItem child = test::MentionItem("e4", "other-key", "reply to one");
  child.mention.parent_message_id = "msg-e1";
  test::PgQuery(db.url(), "UPDATE messages SET platform_message_id = message_identity");
  CHECK((*store->Ingest({child}, kNow))[0].conversation_id == (*r)[0].conversation_id);
}

TEST_CASE("postgres ingest: the same webhooks reaching two instances at once are stored once") {
  if (test::SkipWithoutPostgres()) return;
  // The same message under the same event id (a platform's retry), or under another one (a
  // platform that delivers one message as two events: X's mention and reply events).
  for (const bool same_event : {true, false}) {
    CAPTURE(same_event);
    test::PgTestDatabase db;
    auto first = test::OpenPgStore(db.url());
    auto second = test::OpenPgStore(db.url());
    std::atomic<int> stored{0}, duplicates{0}, failed{0};
    auto send = [&](PgStore& store, const std::string& instance) {
      for (int i = 0; i < 100; ++i) {
        const std::string n = std::to_string(i);
        IngestItem item = test::MentionItem((same_event ? "ev" : instance) + n,
                                            "conv" + std::to_string(i % 10), "x");
        item.mention.message_id = "msg-" + n;
        auto r = store.Ingest({item}, kNow);
        if (!r.ok()) {
          ++failed;
          continue;
        }
        ((*r)[0].duplicate ? duplicates : stored)++;
      }
    };
    std::thread a([&] { send(*first, "a"); });
    std::thread b([&] { send(*second, "b"); });
    a.join();
    b.join();
    CHECK(failed == 0);
    CHECK(stored == 100);
    CHECK(duplicates == 100);
    std::int64_t messages = 0;
    for (std::int64_t c = 1; c <= 10; ++c) {
      auto conv = first->GetConversation(c);
      REQUIRE(conv.ok());
      if (conv->has_value()) messages += static_cast<std::int64_t>(first->ListMessages(c)->size());
    }
    CHECK(messages == 100);  // ten conversations, created once each despite the race
    CHECK(first->GetOutboxStats()->pending == 100);
  }
}

TEST_CASE(
    "postgres ingest: a customer message reopens a closed conversation, makes a replied "
    "one await an answer — muted authors and edits move nothing") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto store = test::OpenPgStore(db.url());
  REQUIRE(store->Ingest({test::MentionItem("e1", "c1", "one")}, kNow).ok());
  test::PgQuery(db.url(), "UPDATE conversations SET state = 'closed', sla_stopped_at = 5");
  auto r = store->Ingest({test::MentionItem("e2", "c1", "again")}, kNow + 10);
  CHECK((*r)[0].reopened);
  auto c = **store->GetConversation(1);
  CHECK(c.state == ConversationState::kOpen);
  CHECK(c.sla_started_at == kNow + 10);
  CHECK_FALSE(c.sla_stopped_at);
  CHECK((*store->GetMessage((*r)[0].message_id))->reopened);

  test::PgQuery(db.url(),
                "UPDATE conversations SET state = 'replied', assignee = 'U2', sla_stopped_at = 7");
  IngestItem edit = test::MentionItem("e3", "c1", "(edited) again");
  edit.mention.message_id = "msg-e2";
  edit.mention.edited = true;
  CHECK_FALSE((*store->Ingest({edit}, kNow + 20))[0].duplicate);
  CHECK((**store->GetConversation(1)).state == ConversationState::kReplied);
  test::PgQuery(db.url(),
                "INSERT INTO mutes (platform, author, created_at) VALUES ('generic', 'ANA', 1)");
  auto muted = store->Ingest({test::MentionItem("e4", "c1", "muted")}, kNow + 30);
  CHECK((*muted)[0].muted);
  CHECK((**store->GetConversation(1)).state == ConversationState::kReplied);
  test::PgQuery(db.url(), "DELETE FROM mutes");
  CHECK_FALSE((*store->Ingest({test::MentionItem("e5", "c1", "hello?")}, kNow + 40))[0].muted);
  c = **store->GetConversation(1);
  CHECK(c.state == ConversationState::kAssigned);
  CHECK(c.sla_stopped_at == 7);  // the cycle's first response is history
}

TEST_CASE("postgres ingest: our own sent reply coming back is an echo — claims are taken once") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto store = test::OpenPgStore(db.url());
  REQUIRE(store->Ingest({test::MentionItem("e1", "c1", "help")}, kNow).ok());
  test::PostAllChat(*store, kNow);
  test::PgQuery(
      db.url(),
      "INSERT INTO messages (conversation_id, platform, direction, chat_user, text, parent_id,"
      " status, created_at) VALUES (1, 'generic', 'out', 'U1', 'on it', 1, 'queued', 1);"
      " INSERT INTO outbox (kind, conversation_id, message_id, target, next_attempt_at,"
      " created_at, updated_at) VALUES ('platform_reply', 1, 2, 'generic:', 1, 1, 1)");
  const Delivery reply = test::ClaimOne(*store, 2, kNow);
  DeliveryUpdate sent = test::Finish(reply.id, DeliveryState::kDone);
  sent.message_status = "sent";
  sent.message_remote_id = "reply-77";
  sent.first_response = true;
  REQUIRE(store->FinishDelivery(sent, kNow + 1).ok());
  CHECK((**store->GetConversation(1)).state == ConversationState::kReplied);
  IngestItem echo = test::MentionItem("e2", "c1", "on it");
  echo.mention.message_id = "reply-77";
  auto r = store->Ingest({echo}, kNow + 2);
  CHECK((*r)[0].duplicate);
  CHECK((*r)[0].echo);
  CHECK((**store->GetConversation(1)).state == ConversationState::kReplied);
  CHECK(*store->ClaimEvent("slack-command", "t1", kNow));
  CHECK_FALSE(*store->ClaimEvent("slack-command", "t1", kNow));

  // The platform reports the reply never arrived: failed, dead, awaiting an answer again.
  auto outcomes = store->RecordDeliveryFailures(
      "generic",
      {{"fail-1", "reply-77", "blocked"},
       {"fail-1", "reply-77", "blocked"},
       {"fail-2", "nobody", "x"}},
      kNow + 3, [](const StoredMessage& m, std::int64_t d, const std::string& why) {
        return "failed: " + m.text + " #" + std::to_string(d) + " " + why;
      });
  REQUIRE(outcomes.ok());
  CHECK((*outcomes)[0] == FailureOutcome::kRecorded);
  CHECK((*outcomes)[1] == FailureOutcome::kDuplicate);
  CHECK((*outcomes)[2] == FailureOutcome::kUnknownMessage);
  CHECK((*store->GetMessage(2))->status == "failed");
  CHECK((**store->GetDelivery(reply.id)).state == DeliveryState::kDead);
  CHECK((**store->GetConversation(1)).state == ConversationState::kOpen);
}

}  // namespace duplex
