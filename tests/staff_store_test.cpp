// The staff half of the store, on both stores (support/staff_rig.h): edits and their state
// rules, notes, root updates (queued, reused, never blocking), reopening, the queue, SLA
// alerts, templates; and the SQLite migration that added them.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include "storage/migrations.h"
#include "support/claims.h"
#include "support/staff_rig.h"

namespace duplex {

namespace {

std::vector<Delivery> Pending(Store& store) {
  auto list = store.ListDeliveries({DeliveryState::kPending}, 1000);
  REQUIRE(list.ok());
  std::reverse(list->begin(), list->end());  // oldest first
  return *list;
}

int CountKind(const std::vector<Delivery>& list, DeliveryKind kind) {
  return static_cast<int>(
      std::count_if(list.begin(), list.end(), [&](const Delivery& d) { return d.kind == kind; }));
}

EditOutcome Edit(test::StaffRig& rig, std::int64_t id, ConversationOp op,
                 const std::string& who = "", const std::string& notice = "") {
  auto out = rig.store->EditConversation({id, op, who, notice}, rig.clock.NowMs());
  REQUIRE(out.ok());
  return *out;
}

}  // namespace

TEST_CASE_TEMPLATE("edits follow the state rules and report when nothing changed", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  auto a = Edit(rig, id, ConversationOp::kAssign, "U2");
  CHECK(a.changed);
  CHECK(a.before.state == ConversationState::kOpen);
  CHECK(a.after.state == ConversationState::kAssigned);
  CHECK(rig.Get(id).assignee == "U2");
  CHECK_FALSE(Edit(rig, id, ConversationOp::kAssign, "U2").changed);
  CHECK(Edit(rig, id, ConversationOp::kAssign, "U3").after.state == ConversationState::kAssigned);
  auto u = Edit(rig, id, ConversationOp::kUnassign);
  CHECK(u.before.assignee == "U3");
  CHECK(u.after.state == ConversationState::kOpen);
  CHECK_FALSE(Edit(rig, id, ConversationOp::kUnassign).changed);
  Edit(rig, id, ConversationOp::kAssign, "U2");
  CHECK(Edit(rig, id, ConversationOp::kClose).after.state == ConversationState::kClosed);
  CHECK(rig.Get(id).assignee == "U2");  // kept for the record
  CHECK_FALSE(Edit(rig, id, ConversationOp::kClose).changed);
  rig.clock.Advance(60'000);
  auto r = Edit(rig, id, ConversationOp::kReopen);
  CHECK(r.after.state == ConversationState::kAssigned);
  CHECK(rig.Get(id).sla_started_at == rig.clock.NowMs());
  CHECK_FALSE(Edit(rig, id, ConversationOp::kReopen).changed);
  CHECK(rig.store->EditConversation({99, ConversationOp::kClose, "", ""}, 0).status().code() ==
        StatusCode::kNotFound);
}

TEST_CASE_TEMPLATE(
    "assigning a replied or closed conversation keeps its state, unassigning keeps replied", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  rig.ReplyAndDeliver(id);
  REQUIRE(rig.Get(id).state == ConversationState::kReplied);
  CHECK(Edit(rig, id, ConversationOp::kAssign, "U2").after.state == ConversationState::kReplied);
  CHECK(Edit(rig, id, ConversationOp::kUnassign).after.state == ConversationState::kReplied);
  Edit(rig, id, ConversationOp::kClose);
  CHECK(Edit(rig, id, ConversationOp::kAssign, "U2").after.state == ConversationState::kClosed);
}

TEST_CASE_TEMPLATE("a change queues its notice and a root update, a pending root update is reused",
                   F, test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  CHECK(Pending(*rig.store).empty());
  Edit(rig, id, ConversationOp::kAssign, "U2", "assigned notice");
  Edit(rig, id, ConversationOp::kClose, "", "closed notice");
  auto pending = Pending(*rig.store);
  REQUIRE(pending.size() == 3);
  CHECK(pending[0].kind == DeliveryKind::kChatNotice);
  CHECK(pending[0].payload == "assigned notice");
  CHECK(pending[0].target == "chat:C1");
  CHECK(pending[1].kind == DeliveryKind::kChatUpdate);
  CHECK(pending[2].payload == "closed notice");
  SUBCASE("no change: no notice, no update") {
    Edit(rig, id, ConversationOp::kClose, "", "again");
    CHECK(Pending(*rig.store).size() == 3);
  }
  SUBCASE("an update already sending is not reused") {
    // The update waits for the notice before it.
    DeliveryUpdate posted = test::Finish(
        test::ClaimOne(*rig.store, pending[0].id, rig.clock.NowMs()).id, DeliveryState::kDone);
    REQUIRE(rig.store->FinishDelivery(posted, rig.clock.NowMs()).ok());
    test::ClaimOne(*rig.store, pending[1].id, rig.clock.NowMs());
    Edit(rig, id, ConversationOp::kReopen, "", "");
    auto now_pending = Pending(*rig.store);
    CHECK(CountKind(now_pending, DeliveryKind::kChatUpdate) == 1);
    CHECK(now_pending.back().id > pending[2].id);
  }
}

TEST_CASE_TEMPLATE("root updates wait for what was queued before them and hold back nothing", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");  // the root post, not delivered yet
  Edit(rig, id, ConversationOp::kAssign, "U2", "");
  rig.Ingest("e2", "c1");  // a second message in the thread
  auto due = test::ClaimDue(*rig.store, rig.clock.NowMs(), 10, {}, rig.engine->owner());
  REQUIRE(due.size() == 1);
  CHECK(due.at(0).kind == DeliveryKind::kChatPost);  // the root first
  rig.engine->Execute(due.at(0));
  due = test::ClaimDue(*rig.store, rig.clock.NowMs(), 10, {}, rig.engine->owner());
  REQUIRE(due.size() == 2);  // the update and the later message, side by side
  CHECK(due.at(0).kind == DeliveryKind::kChatUpdate);
  CHECK(due.at(1).kind == DeliveryKind::kChatPost);
  for (const auto& d : due) rig.engine->Release(d);
  // A failing update retries later without holding back the conversation.
  rig.chat.PushOutcome(DeliveryOutcome::Fail(OutcomeKind::kRetry, "Slack unreachable"));
  rig.engine->RunDue(1);
  rig.Deliver();
  CHECK(rig.chat.posts().size() == 2);
  CHECK(rig.chat.updates().empty());
  rig.clock.Advance(5'000);
  rig.Deliver();
  CHECK(rig.chat.updates().size() == 1);
}

TEST_CASE_TEMPLATE(
    "a customer message reopens a closed conversation with a new SLA clock and says so", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  rig.clock.Advance(60'000);
  rig.ReplyAndDeliver(id);
  Edit(rig, id, ConversationOp::kAssign, "U2");
  Edit(rig, id, ConversationOp::kClose);
  rig.Deliver();
  rig.clock.Advance(3'600'000);
  auto r = rig.store->Ingest({{[] {
                                 Mention m;
                                 m.platform = "generic";
                                 m.event_id = "e2";
                                 m.conversation_key = "c1";
                                 m.text = "me again";
                                 return m;
                               }(),
                               "C1", ""}},
                             rig.clock.NowMs());
  REQUIRE(r.ok());
  CHECK(r->at(0).reopened);
  Conversation c = rig.Get(id);
  CHECK(c.state == ConversationState::kAssigned);  // it still has its owner
  CHECK(c.sla_started_at == rig.clock.NowMs());
  CHECK_FALSE(c.sla_stopped_at.has_value());
  CHECK(c.first_response_at.has_value());  // the first response ever stays for stats
  CHECK((*rig.store->GetMessage(r->at(0).message_id))->reopened);
  auto pending = Pending(*rig.store);
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].kind == DeliveryKind::kChatPost);
  CHECK(pending[1].kind == DeliveryKind::kChatUpdate);
}

TEST_CASE_TEMPLATE("a customer message after a reply makes the conversation the team's move again",
                   F, test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  rig.ReplyAndDeliver(id);
  const auto stopped = rig.Get(id).sla_stopped_at;
  REQUIRE(stopped.has_value());
  rig.clock.Advance(60'000);
  rig.Ingest("e2", "c1");
  Conversation c = rig.Get(id);
  CHECK(c.state == ConversationState::kOpen);
  CHECK(c.sla_stopped_at == stopped);  // the first-response clock is history
  CHECK(CountKind(Pending(*rig.store), DeliveryKind::kChatUpdate) == 1);
  rig.Ingest("e3", "c1");  // open already: no state change, no update
  CHECK(CountKind(Pending(*rig.store), DeliveryKind::kChatUpdate) == 1);
}

TEST_CASE_TEMPLATE("a follow-up in a conversation the team already owes moves only its time", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  Edit(rig, id, ConversationOp::kAssign, "U2");
  const Conversation before = rig.Get(id);
  rig.clock.Advance(60'000);
  rig.Ingest("e2", "c1");
  Conversation c = rig.Get(id);
  CHECK(c.state == ConversationState::kAssigned);
  CHECK(c.assignee == "U2");
  CHECK(c.updated_at == rig.clock.NowMs());
  CHECK(c.sla_started_at == before.sla_started_at);
  CHECK(c.sla_stopped_at == before.sla_stopped_at);
  CHECK(c.sla_reminded_at == before.sla_reminded_at);
  CHECK(c.sla_breached_at == before.sla_breached_at);
  CHECK(CountKind(Pending(*rig.store), DeliveryKind::kChatPost) == 2);
}

TEST_CASE_TEMPLATE("notes are stored as notes, the notice is posted only when given", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  auto note = rig.store->AddNote({id, "U1", "call them back", "the notice", {}}, rig.clock.NowMs());
  REQUIRE(note.ok());
  auto m = *rig.store->GetMessage(*note);
  CHECK(m->direction == MessageDirection::kNote);
  CHECK(m->chat_user == "U1");
  CHECK(m->text == "call them back");
  auto pending = Pending(*rig.store);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].payload == "the notice");
  REQUIRE(rig.store->AddNote({id, "U1", "from a thread message", "", {}}, rig.clock.NowMs()).ok());
  CHECK(Pending(*rig.store).size() == 1);
  CHECK(rig.store->AddNote({42, "U1", "x", "", {}}, 0).status().code() == StatusCode::kNotFound);
}

TEST_CASE_TEMPLATE(
    "the queue: open and assigned conversations, per channel or all, longest waiting first", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto a = rig.Ingest("a1", "A", "ana", 10, "C1");
  rig.clock.Advance(60'000);
  auto b = rig.Ingest("b1", "B", "bob", 10, "C2");
  rig.clock.Advance(60'000);
  auto c = rig.Ingest("c1", "C", "cy", 10, "C1");
  rig.clock.Advance(60'000);
  auto d = rig.Ingest("d1", "D", "di", 10, "C1");
  rig.Deliver();
  Edit(rig, c, ConversationOp::kAssign, "U2");
  Edit(rig, d, ConversationOp::kClose);
  auto ids = [&](const std::string& channel) {
    std::vector<std::int64_t> out;
    auto queue = rig.store->ListQueue(channel, 100);
    REQUIRE(queue.ok());
    for (const auto& e : *queue) out.push_back(e.conversation.id);
    return out;
  };
  CHECK(ids("C1") == std::vector<std::int64_t>{a, c});
  CHECK(ids("") == std::vector<std::int64_t>{a, b, c});
  CHECK(ids("C9").empty());
  CHECK(rig.store->ListQueue("", 2)->size() == 2);

  // Answered: out of the queue; a newer customer message brings it back, waiting since then.
  rig.ReplyAndDeliver(a);
  CHECK(ids("C1") == std::vector<std::int64_t>{c});
  rig.clock.Advance(60'000);
  const UnixMs again = rig.clock.NowMs();
  rig.Ingest("a2", "A", "ana", 10, "C1");
  rig.clock.Advance(60'000);
  rig.Ingest("a3", "A", "ana", 10, "C1");
  auto queue = *rig.store->ListQueue("C1", 100);
  REQUIRE(queue.size() == 2);
  CHECK(queue[1].conversation.id == a);
  CHECK(queue[1].waiting_since == again);
  // Reopened by staff: a never-answered one still waits since its first message; one whose
  // messages were all answered waits since the reopening.
  rig.ReplyAndDeliver(b);
  Edit(rig, b, ConversationOp::kClose);
  rig.clock.Advance(60'000);
  Edit(rig, d, ConversationOp::kReopen);
  Edit(rig, b, ConversationOp::kReopen);
  queue = *rig.store->ListQueue("", 100);
  REQUIRE(queue.size() == 4);
  CHECK(queue[1].conversation.id == d);
  CHECK(queue[1].waiting_since == rig.Get(d).created_at);
  CHECK(queue[3].conversation.id == b);
  CHECK(queue[3].waiting_since == rig.clock.NowMs());
}

TEST_CASE_TEMPLATE(
    "SLA alerts are recorded once per cycle, and not after a reply, a close or a reopen", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  const UnixMs started = rig.Get(id).sla_started_at;
  auto candidates = [&] { return rig.store->ListSlaCandidates(rig.clock.NowMs(), 100)->size(); };
  CHECK(candidates() == 1);
  CHECK(rig.store->ListSlaCandidates(started - 1, 100)->empty());
  auto record = [&](bool breach, UnixMs cycle) {
    return *rig.store->RecordSlaAlert({id, breach, cycle, breach ? "breach" : "reminder"},
                                      rig.clock.NowMs());
  };
  CHECK(record(false, started));
  CHECK_FALSE(record(false, started));
  CHECK(rig.Get(id).sla_reminded_at.has_value());
  CHECK(candidates() == 1);                // the breach is still owed
  CHECK_FALSE(record(true, started - 1));  // another cycle's alert
  CHECK(record(true, started));
  CHECK_FALSE(record(true, started));
  CHECK(candidates() == 0);
  auto pending = Pending(*rig.store);
  REQUIRE(pending.size() == 3);  // reminder, root update (reused), breach
  CHECK(pending[0].payload == "reminder");
  CHECK(pending[1].kind == DeliveryKind::kChatUpdate);
  CHECK(pending[2].payload == "breach");

  SUBCASE("a reopen starts a cycle that owes its own alerts") {
    Edit(rig, id, ConversationOp::kClose);
    CHECK(candidates() == 0);
    rig.clock.Advance(1000);
    Edit(rig, id, ConversationOp::kReopen);
    CHECK(candidates() == 1);
    CHECK(record(true, rig.clock.NowMs()));
  }
  SUBCASE("a breach without a reminder counts as both") {
    auto other = rig.Ingest("e2", "c2");
    CHECK(*rig.store->RecordSlaAlert({other, true, rig.Get(other).sla_started_at, "b"},
                                     rig.clock.NowMs()));
    CHECK(rig.Get(other).sla_reminded_at.has_value());
    CHECK_FALSE(*rig.store->RecordSlaAlert({other, false, rig.Get(other).sla_started_at, "r"},
                                           rig.clock.NowMs()));
  }
  SUBCASE("the clock stops at the first reply on the platform") {
    auto other = rig.Ingest("e2", "c2");
    rig.Deliver();
    rig.ReplyAndDeliver(other);
    CHECK(rig.Get(other).sla_stopped_at == rig.clock.NowMs());
    CHECK_FALSE(*rig.store->RecordSlaAlert({other, true, rig.Get(other).sla_started_at, "b"},
                                           rig.clock.NowMs()));
  }
}

TEST_CASE_TEMPLATE(
    "templates: put creates or replaces, delete reports unknown names, list in name order", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  CHECK_FALSE(*rig.store->PutTemplate({"thanks", "Thank you", "U1", 1}));
  CHECK(*rig.store->PutTemplate({"thanks", "Thank you, {author}", "U2", 2}));
  CHECK_FALSE(*rig.store->PutTemplate({"apology", "Sorry", "U1", 3}));
  auto list = *rig.store->ListTemplates();
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "apology");
  CHECK(list[1].text == "Thank you, {author}");
  CHECK(list[1].created_by == "U2");
  CHECK((*rig.store->GetTemplate("thanks"))->updated_at == 2);
  CHECK_FALSE(rig.store->GetTemplate("nope")->has_value());
  CHECK(*rig.store->DeleteTemplate("thanks"));
  CHECK_FALSE(*rig.store->DeleteTemplate("thanks"));
}

// SQLite only: it rebuilds a schema-2 SQLite file by hand, and no PostgreSQL database predates
// step 3 (the PostgreSQL store came after it).
TEST_CASE(
    "migration 3: conversations from before it owe no SLA alerts and keep their answer time") {
  test::TempDir dir;
  const std::string path = dir.File("old.db");
  { REQUIRE(SqliteStore::Open({path}).ok()); }
  {
    // Back to schema 2: what the staff step (3), the outbox index (4), unique message ids
    // (5), claims (6), leases (7) and credential alerts (8) add is removed, and two
    // conversations are stored.
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE singletons; DROP TABLE credential_alerts");
    db.exec(
        "DROP INDEX outbox_lease; DROP INDEX outbox_owner; ALTER TABLE outbox DROP COLUMN owner;"
        " ALTER TABLE outbox DROP COLUMN lease_until;");
    db.exec(
        "DROP TABLE reply_templates; DROP INDEX conversations_sla; DROP INDEX conversations_state;"
        " DROP INDEX conversations_updated; DROP INDEX outbox_target_due;"
        " DROP INDEX messages_identity; ALTER TABLE messages DROP COLUMN message_identity;");
    for (const char* column :
         {"sla_started_at", "sla_stopped_at", "sla_reminded_at", "sla_breached_at"}) {
      db.exec(std::string("ALTER TABLE conversations DROP COLUMN ") + column);
    }
    db.exec("ALTER TABLE messages DROP COLUMN reopened");
    db.exec(
        "INSERT INTO conversations (platform, conversation_key, channel, state, created_at,"
        " updated_at, first_response_at) VALUES ('generic', 'k1', 'C1', 'replied', 1000, 61000,"
        " 61000), ('generic', 'k2', 'C1', 'open', 2000, 2000, NULL)");
    db.exec(
        "INSERT INTO messages (conversation_id, platform, direction, text, status, created_at)"
        " VALUES (1, 'generic', 'in', 'a', '', 1000), (1, 'generic', 'out', 'r', 'sent', 60000),"
        " (2, 'generic', 'in', 'b', '', 2000)");
    db.exec("PRAGMA user_version = 2");
  }
  auto store = SqliteStore::Open({path});
  REQUIRE_MESSAGE(store.ok(), store.status().message());
  auto answered = **(*store)->GetConversation(1);
  CHECK(answered.sla_started_at == 1000);
  CHECK(answered.sla_stopped_at == 61000);
  auto waiting = **(*store)->GetConversation(2);
  CHECK(waiting.sla_breached_at.has_value());
  CHECK((*store)->ListSlaCandidates(INT64_MAX, 10)->empty());
  auto queue = (*store)->ListQueue("", 10);
  REQUIRE(queue->size() == 1);
  CHECK(queue->at(0).conversation.id == 2);
  CHECK((*store)->ListTemplates()->empty());
}

}  // namespace duplex
