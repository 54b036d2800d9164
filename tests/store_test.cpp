#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include "core/text.h"
#include "storage/migrations.h"
#include "storage/sqlite_store.h"
#include "support/claims.h"
#include "support/store_factory.h"
#include "support/test_util.h"

namespace duplex {

namespace {

std::unique_ptr<SqliteStore> OpenStore(const std::string& path) {
  auto s = SqliteStore::Open({path});
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(*s);
}

}  // namespace

TEST_CASE("migrations: an empty database gets the latest schema, WAL and FULL sync") {
  test::TempDir dir;
  auto store = OpenStore(dir.File("d.db"));
  SQLite::Database db(dir.File("d.db"));
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == storage::LatestSchemaVersion());
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(db.tableExists("conversations"));
  CHECK(db.tableExists("outbox"));
  CHECK(db.tableExists("processed_events"));
}

TEST_CASE("migrations: reopening an existing database keeps its data") {
  test::TempDir dir;
  {
    auto store = OpenStore(dir.File("d.db"));
    REQUIRE(store->Ingest({test::MentionItem("e1", "c1", "hello")}, 1000).ok());
  }
  auto store = OpenStore(dir.File("d.db"));
  auto c = store->GetConversation(1);
  REQUIRE(c->has_value());
  CHECK((*c)->conversation_key == "c1");
}

TEST_CASE("migrations: a database from a newer duplex is refused, not opened") {
  test::TempDir dir;
  {
    SQLite::Database db(dir.File("d.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 999");
  }
  auto s = SqliteStore::Open({dir.File("d.db")});
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == StatusCode::kInvalidArgument);
  CHECK(s.status().message().find("schema version 999, newer than this duplex understands") !=
        std::string::npos);
}

TEST_CASE("an unopenable path names the path") {
  auto s = SqliteStore::Open({"/nonexistent-dir/sub/d.db"});
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().message().find("/nonexistent-dir/sub/d.db") != std::string::npos);
}

TEST_CASE_TEMPLATE("ingest: dedup, conversations, threads and the chat outbox in one transaction",
                   F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  auto r = store->Ingest(
      {test::MentionItem("e1", "c1", "one"), test::MentionItem("e2", "c1", "two"),
       test::MentionItem("e1", "c1", "dup"), test::MentionItem("e3", "c2", "three", "C2")},
      1000);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 4);
  CHECK((*r)[0].new_conversation);
  CHECK((*r)[1].conversation_id == (*r)[0].conversation_id);
  CHECK_FALSE((*r)[1].new_conversation);
  CHECK((*r)[2].duplicate);
  CHECK((*r)[3].conversation_id != (*r)[0].conversation_id);
  CHECK((*(store->GetConversation((*r)[3].conversation_id)))->channel == "C2");
  auto due = test::ClaimDue(*store, 1000, 10);
  // Head of line: only the first post of c1 and the post of c2 are due.
  REQUIRE(due.size() == 2);
  CHECK(due[0].message_id == (*r)[0].message_id);
  CHECK(due[0].target == "chat:C1");
  CHECK(due[1].message_id == (*r)[3].message_id);
  auto messages = store->ListMessages((*r)[0].conversation_id);
  REQUIRE(messages->size() == 2);
  CHECK((*messages)[1].text == "two");
  CHECK((*messages)[1].author.followers == 10);
}

TEST_CASE_TEMPLATE(
    "ingest: a message whose platform id is stored is a duplicate under any event id, while an "
    "edit sharing the id is stored",
    F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  REQUIRE(store->Ingest({test::MentionItem("e1", "c1", "one")}, 1000).ok());
  IngestItem replay = test::MentionItem("e2", "c1", "one");
  replay.mention.message_id = "msg-e1";
  IngestItem other_platform = test::MentionItem("e3", "c9", "same id elsewhere");
  other_platform.mention.platform = "x";
  other_platform.mention.message_id = "msg-e1";
  IngestItem edit = test::MentionItem("e4", "c1", "(edited) one");
  edit.mention.message_id = "msg-e1";
  edit.mention.edited = true;
  auto r = store->Ingest({replay, replay, other_platform, edit}, 2000);
  REQUIRE(r.ok());
  CHECK((*r)[0].duplicate);
  CHECK((*r)[1].duplicate);
  CHECK_FALSE((*r)[2].duplicate);
  CHECK_FALSE((*r)[3].duplicate);
  auto messages = store->ListMessages(1);
  REQUIRE(messages.ok());
  REQUIRE(messages->size() == 2);
  CHECK((*messages)[1].text == "(edited) one");
  SUBCASE("a second edit is stored too, and a replay of the original still is not") {
    IngestItem again = test::MentionItem("e5", "c1", "(edited) one!");
    again.mention.message_id = "msg-e1";
    again.mention.edited = true;
    IngestItem replay2 = test::MentionItem("e6", "c1", "one");
    replay2.mention.message_id = "msg-e1";
    auto r2 = store->Ingest({again, replay2}, 3000);
    REQUIRE(r2.ok());
    CHECK_FALSE((*r2)[0].duplicate);
    CHECK((*r2)[1].duplicate);
    CHECK(store->ListMessages(1)->size() == 3);
  }
}

TEST_CASE_TEMPLATE(
    "ingest: a message with an id of its own is deduplicated by that id, not by the event id "
    "that brought it",
    F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  REQUIRE(store->Ingest({test::MentionItem("e1", "c1", "one")}, 1000).ok());
  // A sender that reuses an event id for another message loses nothing: it is a new message.
  IngestItem other = test::MentionItem("e1", "c1", "two");
  other.mention.message_id = "msg-other";
  auto r = store->Ingest({other, other}, 2000);
  REQUIRE(r.ok());
  CHECK_FALSE((*r)[0].duplicate);
  CHECK((*r)[1].duplicate);  // the same message again is one, by its id
  CHECK(store->ListMessages(1)->size() == 2);
  // A message without an id is deduplicated by its event id, as before.
  IngestItem no_id = test::MentionItem("e9", "c1", "three");
  no_id.mention.message_id.clear();
  auto r2 = store->Ingest({no_id, no_id}, 3000);
  REQUIRE(r2.ok());
  CHECK_FALSE((*r2)[0].duplicate);
  CHECK((*r2)[1].duplicate);
  CHECK(store->ListMessages(1)->size() == 3);
}

TEST_CASE_TEMPLATE("ingest: a message whose parent is known joins the parent's conversation", F,
                   test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  auto first = store->Ingest({test::MentionItem("e1", "tweet-1", "root")}, 1000);
  IngestItem reply = test::MentionItem("e2", "tweet-2", "reply to root");
  reply.mention.parent_message_id = "msg-e1";
  auto second = store->Ingest({reply}, 1001);
  CHECK((*second)[0].conversation_id == (*first)[0].conversation_id);
  CHECK_FALSE((*second)[0].new_conversation);
}

TEST_CASE_TEMPLATE(
    "outbox: finishing a post sets the thread root, releases the next, records errors", F,
    test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  auto r = store->Ingest(
      {test::MentionItem("e1", "c1", "one"), test::MentionItem("e2", "c1", "two")}, 1000);
  auto due = test::ClaimDue(*store, 1000, 10);
  REQUIRE(due.size() == 1);
  CHECK(due[0].state == DeliveryState::kSending);
  CHECK(due[0].owner == test::kTestOwner);
  CHECK(due[0].lease_until == 1000 + test::kTestLeaseMs);
  CHECK(test::ClaimDue(*store, 1000, 10).empty());  // the conversation is busy
  DeliveryUpdate u = test::Finish(due[0].id, DeliveryState::kDone);
  u.chat_thread_for_conversation = "111.222";
  u.message_chat_post = "111.222";
  REQUIRE(store->FinishDelivery(u, 1001).ok());
  CHECK((*store->GetConversation((*r)[0].conversation_id))->chat_thread == "111.222");
  auto next = test::ClaimDue(*store, 1001, 10);
  REQUIRE(next.size() == 1);
  CHECK(next.front().message_id == (*r)[1].message_id);

  DeliveryUpdate retry = test::Finish(next.front().id, DeliveryState::kPending);
  retry.next_attempt_at = 5000;
  retry.error = "Slack server error";
  REQUIRE(store->FinishDelivery(retry, 1002).ok());
  CHECK(test::ClaimDue(*store, 4999, 10).empty());
  CHECK(store->NextDueAt()->value() == 5000);
  CHECK(test::ClaimDue(*store, 5000, 10, {"chat:C1"}).empty());
  auto again = test::ClaimDue(*store, 5000, 10);
  REQUIRE(again.size() == 1);
  CHECK(again.front().attempts == 1);
  CHECK(again.front().last_error == "Slack server error");
}

TEST_CASE_TEMPLATE(
    "outbox: a skipped target's backlog hides no other target's due work, in order, head of line "
    "kept",
    F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  std::vector<IngestItem> backlog;
  for (int i = 0; i < 200; ++i)
    backlog.push_back(test::MentionItem("b" + std::to_string(i), "busy" + std::to_string(i), "x"));
  REQUIRE(store->Ingest(backlog, 1000).ok());
  auto c2 = store->Ingest(
      {test::MentionItem("q1", "q1", "x", "C2"), test::MentionItem("q2", "q2", "x", "C2"),
       test::MentionItem("q3", "q2", "x", "C2")},
      1001);
  auto c3 = store->Ingest({test::MentionItem("l1", "l1", "x", "C3")}, 1002);
  // l1 (the 204th delivery) is rescheduled for later.
  DeliveryUpdate later =
      test::Finish(test::ClaimOne(*store, 204, 1002).id, DeliveryState::kPending);
  later.next_attempt_at = 9000;
  REQUIRE(store->FinishDelivery(later, 1003).ok());

  CHECK(test::ClaimDue(*store, 2000, 10, {"chat:C1", "chat:C2"}).empty());
  auto one = test::ClaimDue(*store, 2000, 1, {"chat:C1"});
  REQUIRE(one.size() == 1);
  CHECK(one.front().message_id == (*c2)[0].message_id);
  auto due = test::ClaimDue(*store, 2000, 10, {"chat:C1"});
  REQUIRE(due.size() == 1);  // q2; q3 waits behind it
  CHECK(due[0].message_id == (*c2)[1].message_id);
  auto all = test::ClaimDue(*store, 9000, 10, {"chat:C1"});
  REQUIRE(all.size() == 1);
  CHECK(all[0].message_id == (*c3)[0].message_id);
  auto busy = test::ClaimDue(*store, 9000, 300, {"chat:C2"});
  REQUIRE(busy.size() == 200);
  CHECK(busy.front().target == "chat:C1");
}

TEST_CASE_TEMPLATE(
    "replies: queued against the customer message given, the newest of an author found — "
    "recovery flags interrupted ones unknown",
    F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  IngestItem other = test::MentionItem("e3", "c1", "three, by someone else");
  other.mention.author = {"b2", "bo", "Bo", 5};
  IngestItem muted = test::MentionItem("e4", "c1", "four, muted");
  REQUIRE(store->AddMute({"generic", "ana-muted", "U1", 900}).ok());
  muted.mention.author = {"ana-muted", "ana-muted", "Ana", 10};
  auto r = store->Ingest(
      {test::MentionItem("e1", "c1", "one"), test::MentionItem("e2", "c1", "two"), other, muted},
      1000);
  REQUIRE(r.ok());
  const auto conv = (*r)[0].conversation_id;
  auto latest = store->LatestMessageFrom(conv, "a1");
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->id == (*r)[1].message_id);
  CHECK((*store->LatestMessageFrom(conv, "b2"))->id == (*r)[2].message_id);
  CHECK_FALSE(store->LatestMessageFrom(conv, "ana-muted")->has_value());
  CHECK_FALSE(store->LatestMessageFrom(conv, "nobody")->has_value());

  CHECK(store->QueueReply({999, (*r)[1].message_id, "U1", "hi", "generic:", {}}, 1000)
            .status()
            .code() == StatusCode::kNotFound);
  auto elsewhere = store->Ingest({test::MentionItem("e5", "c2", "another conversation")}, 1000);
  CHECK(store->QueueReply({conv, (*elsewhere)[0].message_id, "U1", "hi", "generic:", {}}, 1000)
            .status()
            .code() == StatusCode::kNotFound);
  auto q = store->QueueReply({conv, (*r)[1].message_id, "U1", "on its way", "generic:", {}}, 1001);
  REQUIRE(q.ok());
  auto reply = store->GetMessage(q->message_id);
  CHECK((*reply)->parent_id == (*r)[1].message_id);
  CHECK((*reply)->status == "queued");
  CHECK((*reply)->direction == MessageDirection::kOut);

  test::PostAllChat(*store, 1002);
  test::ClaimOne(*store, q->delivery_id, 1002);
  auto changed =
      store->RecoverExpired(1002 + test::kTestLeaseMs, [](const StoredMessage& m, std::int64_t id) {
        return "unknown: " + m.text + " #" + std::to_string(id);
      });
  REQUIRE(changed.ok());
  CHECK(*changed == 1);
  CHECK((*store->GetDelivery(q->delivery_id))->state == DeliveryState::kUnknown);
  CHECK((*store->GetMessage(q->message_id))->status == "unknown");
  auto stats = store->GetOutboxStats();
  CHECK(stats->unknown == 1);
}

TEST_CASE_TEMPLATE("recovery puts chat posts whose claim ran out back to pending", F,
                   test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  REQUIRE(store->Ingest({test::MentionItem("e1", "c1", "one")}, 1000).ok());
  REQUIRE(test::ClaimDue(*store, 1000).size() == 1);
  auto none = [](const StoredMessage&, std::int64_t) { return std::string(); };
  CHECK(*store->RecoverExpired(1000 + test::kTestLeaseMs - 1, none) == 0);  // still claimed
  CHECK(*store->RecoverExpired(1000 + test::kTestLeaseMs, none) == 1);
  auto again = test::ClaimDue(*store, 1000 + test::kTestLeaseMs, 10, {}, "another-owner");
  REQUIRE(again.size() == 1);
  CHECK(again[0].owner == "another-owner");
  CHECK(again[0].attempts == 0);  // an interrupted attempt does not count
}

TEST_CASE("a closed conversation is reopened by a new customer message") {
  test::TempDir dir;
  auto store = OpenStore(dir.File("d.db"));
  REQUIRE(store->Ingest({test::MentionItem("e1", "c1", "one")}, 1000).ok());
  {
    SQLite::Database db(dir.File("d.db"), SQLite::OPEN_READWRITE);
    db.exec("UPDATE conversations SET state = 'closed'");
  }
  auto r = store->Ingest({test::MentionItem("e2", "c1", "again")}, 2000);
  CHECK((*r)[0].reopened);
  CHECK((*store->GetConversation(1))->state == ConversationState::kOpen);
}

TEST_CASE("an edit is posted in the thread but neither reopens nor restarts the SLA clock") {
  test::TempDir dir;
  auto store = OpenStore(dir.File("d.db"));
  REQUIRE(store->Ingest({test::MentionItem("e1", "c1", "one")}, 1000).ok());
  auto edit = [](const std::string& event_id) {
    IngestItem item = test::MentionItem(event_id, "c1", "✏️ edited: one, with more detail");
    item.mention.message_id = "msg-e1";
    item.mention.edited = true;
    return item;
  };
  for (const char* state : {"closed", "replied"}) {
    CAPTURE(state);
    {
      SQLite::Database db(dir.File("d.db"), SQLite::OPEN_READWRITE);
      db.exec(std::string("UPDATE conversations SET state = '") + state +
              "', sla_stopped_at = 1500");
    }
    const Conversation before = **store->GetConversation(1);
    const auto pending = store->GetOutboxStats()->pending;
    auto r = store->Ingest({edit(std::string("msg-e1@edit:") + state)}, 2000);
    REQUIRE(r.ok());
    CHECK_FALSE((*r)[0].duplicate);
    CHECK_FALSE((*r)[0].reopened);
    CHECK((*r)[0].conversation_id == 1);
    const Conversation after = **store->GetConversation(1);
    CHECK(ToString(after.state) == std::string(state));
    CHECK(after.sla_started_at == before.sla_started_at);
    CHECK(after.sla_stopped_at == before.sla_stopped_at);
    CHECK(store->GetOutboxStats()->pending == pending + 1);  // its chat post, no root update
    CHECK_FALSE((*store->GetMessage((*r)[0].message_id))->reopened);
  }
  // The same version again is a duplicate; a later one is posted too.
  CHECK((*store->Ingest({edit("msg-e1@edit:closed")}, 3000))[0].duplicate);
  CHECK(store->ListMessages(1)->size() == 3);
}

namespace {

// Queues a reply to the conversation's first message and finishes its delivery as sent,
// with the id the platform gave it.
std::int64_t SendReply(Store& store, std::int64_t conversation, const std::string& remote_id,
                       UnixMs now) {
  auto messages = store.ListMessages(conversation);
  REQUIRE(messages.ok());
  REQUIRE_FALSE(messages->empty());
  auto q =
      store.QueueReply({conversation, messages->front().id, "U1", "on it", "generic:", {}}, now);
  REQUIRE(q.ok());
  test::PostAllChat(store, now);
  test::ClaimOne(store, q->delivery_id, now);
  DeliveryUpdate done = test::Finish(q->delivery_id, DeliveryState::kDone);
  done.message_status = "sent";
  done.message_remote_id = remote_id;
  done.first_response = true;
  REQUIRE(store.FinishDelivery(done, now).ok());
  return q->message_id;
}

}  // namespace

TEST_CASE_TEMPLATE(
    "ingest: a message whose platform id is a sent reply's is our echo — dropped, the "
    "conversation untouched, while one whose id collides with nothing is stored",
    F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  auto first = store->Ingest({test::MentionItem("e1", "c1", "help")}, 1000);
  REQUIRE(first.ok());
  const auto conv = (*first)[0].conversation_id;
  const auto reply = SendReply(*store, conv, "reply-77", 2000);
  CHECK((*store->GetMessage(reply))->platform_message_id == "reply-77");
  const Conversation before = **store->GetConversation(conv);
  REQUIRE(before.state == ConversationState::kReplied);
  const auto pending = store->GetOutboxStats()->pending;

  IngestItem echo = test::MentionItem("e2", "c1", "on it");
  echo.mention.message_id = "reply-77";
  IngestItem edited_echo = test::MentionItem("reply-77@edit:1", "c1", "✏️ edited: on it!");
  edited_echo.mention.message_id = "reply-77";
  edited_echo.mention.edited = true;
  IngestItem elsewhere = test::MentionItem("e3", "c1", "same id on another platform");
  elsewhere.mention.platform = "x";
  elsewhere.mention.message_id = "reply-77";
  IngestItem fresh = test::MentionItem("e4", "c1", "thanks!");
  auto r = store->Ingest({echo, edited_echo, elsewhere, fresh}, 3000);
  REQUIRE(r.ok());
  CHECK((*r)[0].echo);
  CHECK((*r)[0].duplicate);
  CHECK((*r)[1].echo);
  CHECK_FALSE((*r)[2].echo);
  CHECK_FALSE((*r)[2].duplicate);
  CHECK_FALSE((*r)[3].echo);
  CHECK_FALSE((*r)[3].duplicate);
  CHECK((*r)[3].conversation_id == conv);
  // Only the customer's "thanks!" moved the conversation: it awaits an answer again.
  const Conversation after = **store->GetConversation(conv);
  CHECK(after.state == ConversationState::kOpen);
  CHECK(after.sla_started_at == before.sla_started_at);
  auto messages = store->ListMessages(conv);
  REQUIRE(messages->size() == 3);  // help, our reply, thanks
  CHECK(messages->back().text == "thanks!");
  // The x message's post (its own conversation), and thanks' post and root update.
  CHECK(store->GetOutboxStats()->pending == pending + 3);

  SUBCASE("the echo alone changes nothing at all") {
    IngestItem again = test::MentionItem("e5", "c1", "on it");
    again.mention.message_id = "reply-77";
    const Conversation now_before = **store->GetConversation(conv);
    const auto now_pending = store->GetOutboxStats()->pending;
    auto r2 = store->Ingest({again}, 4000);
    REQUIRE(r2.ok());
    CHECK((*r2)[0].echo);
    const Conversation now_after = **store->GetConversation(conv);
    CHECK(now_after.updated_at == now_before.updated_at);
    CHECK(store->GetOutboxStats()->pending == now_pending);
    CHECK(store->ListMessages(conv)->size() == 3);
  }
}

TEST_CASE_TEMPLATE(
    "outbox: finishing a reply whose platform id an incoming message already holds succeeds, "
    "and the id stays with that message",
    F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  auto first = store->Ingest({test::MentionItem("e1", "c1", "help")}, 1000);
  REQUIRE(first.ok());
  const auto conv = (*first)[0].conversation_id;
  // The platform's webhook for the reply got here before the worker recorded the send.
  IngestItem early = test::MentionItem("e2", "c1", "on it");
  early.mention.message_id = "reply-77";
  REQUIRE_FALSE((*store->Ingest({early}, 1500))[0].duplicate);
  const auto reply = SendReply(*store, conv, "reply-77", 2000);
  auto sent = store->GetMessage(reply);
  CHECK((*sent)->status == "sent");
  CHECK((*sent)->platform_message_id == "reply-77");
  CHECK((*store->GetConversation(conv))->state == ConversationState::kReplied);
  // A replay is the inbound message's duplicate, not an echo: the id was its first.
  IngestItem replay = test::MentionItem("e3", "c1", "on it");
  replay.mention.message_id = "reply-77";
  auto r = store->Ingest({replay}, 3000);
  CHECK((*r)[0].duplicate);
  CHECK_FALSE((*r)[0].echo);
}

TEST_CASE_TEMPLATE(
    "text with bytes that are not UTF-8 or a NUL is stored whole, never refused or cut short", F,
    test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  using namespace std::string_literals;
  // Two ids that differ only after a NUL are two events, not one.
  auto r = f.store->Ingest({test::MentionItem("e\0a"s, "c1", "caf\xe9 \0 au lait"s),
                            test::MentionItem("e\0b"s, "c1", "second")},
                           1000);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK_FALSE((*r)[1].duplicate);
  auto messages = f.store->ListMessages((*r)[0].conversation_id);
  REQUIRE(messages.ok());
  REQUIRE(messages->size() == 2);
  // What the store cannot hold comes back as U+FFFD, which is how it leaves duplex anyway.
  const std::string text = text::SanitizeUtf8((*messages)[0].text);
  CHECK(text.rfind("caf\xef\xbf\xbd ", 0) == 0);
  CHECK(text.size() > 9);
  CHECK(text.substr(text.size() - 8) == " au lait");
  auto q = f.store->QueueReply(
      {(*r)[0].conversation_id, (*r)[0].message_id, "U1", "caf\xe9 au lait", "generic:", {}}, 2000);
  REQUIRE_MESSAGE(q.ok(), q.status().message());
  auto reply = f.store->GetMessage(q->message_id);
  REQUIRE(reply.ok());
  REQUIRE(reply->has_value());
  CHECK(text::SanitizeUtf8((**reply).text) == "caf\xef\xbf\xbd au lait");
}

}  // namespace duplex
