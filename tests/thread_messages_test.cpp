// A person's message in a conversation's chat thread (commands/thread_messages.h): a note or a
// reply, once per chat event, with the event's claim in the same transaction as either.
#include <doctest/doctest.h>

#include "commands/thread_messages.h"
#include "handlers/slack_interactive.h"
#include "security/signatures.h"
#include "support/staff_rig.h"

namespace duplex {
namespace {

// Switched on by a row in test_fail: notes, or platform replies' outbox rows, fail to insert
// after whatever their transaction wrote before them (the event's claim first of all). The
// same switch in each store's SQL.
const std::vector<std::string> kSqliteFaultInjection = {R"sql(
CREATE TABLE test_fail (what TEXT);
CREATE TRIGGER test_fail_note BEFORE INSERT ON messages
  WHEN NEW.direction = 'note' AND EXISTS (SELECT 1 FROM test_fail WHERE what = 'note')
  BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
CREATE TRIGGER test_fail_reply BEFORE INSERT ON outbox
  WHEN NEW.kind = 'platform_reply' AND EXISTS (SELECT 1 FROM test_fail WHERE what = 'reply')
  BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
)sql"};
const std::vector<std::string> kPgFaultInjection = {R"sql(
CREATE TABLE test_fail (what TEXT);
CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM test_fail WHERE what = TG_ARGV[0]) THEN
    RAISE EXCEPTION 'injected failure';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER test_fail_note BEFORE INSERT ON messages FOR EACH ROW
  WHEN (NEW.direction = 'note') EXECUTE FUNCTION test_fail('note');
CREATE TRIGGER test_fail_reply BEFORE INSERT ON outbox FOR EACH ROW
  WHEN (NEW.kind = 'platform_reply') EXECUTE FUNCTION test_fail('reply');
)sql"};

struct Thread {
  test::StaffRig rig;
  std::int64_t id = 0;
  std::string ts;

  explicit Thread(test::StoreKind store) : rig(Options(store)) {
    if (!rig.available()) return;
    id = rig.Ingest("m1", "conv-1");
    rig.Deliver();
    ts = rig.Get(id).chat_thread;
    REQUIRE_FALSE(ts.empty());
  }
  static test::StaffRigOptions Options(test::StoreKind store) {
    test::StaffRigOptions o;
    o.store = store;
    o.extra_migrations =
        store == test::StoreKind::kPostgres ? kPgFaultInjection : kSqliteFaultInjection;
    return o;
  }
  ThreadMessageResult Write(const std::string& event, const std::string& text,
                            const std::string& user = "U9") {
    ThreadMessage m{{"slack-event", "T1:" + event}, "T1", "C1", ts, user, text};
    return HandleThreadMessage(m, rig.clock.NowMs(),
                               {rig.store.get(), rig.commands.get(), &rig.dialect})
        .result;
  }
  // Rows of the database itself, past the Store port: what a crash would leave.
  std::int64_t Count(const std::string& sql) { return std::stoll(rig.Sql(sql)); }
  void Fail(const std::string& what, bool on) {
    rig.Sql(on ? "INSERT INTO test_fail VALUES ('" + what + "')" : "DELETE FROM test_fail");
  }
  bool HasNotice(const std::string& needle) {
    for (const auto& n : rig.Notices()) {
      if (n.find(needle) != std::string::npos) return true;
    }
    MESSAGE("no notice containing '" << needle << "'");
    return false;
  }
  std::int64_t Claims() {
    return Count("SELECT COUNT(*) FROM processed_events WHERE platform = 'slack-event'");
  }
  std::int64_t Notes() { return Count("SELECT COUNT(*) FROM messages WHERE direction = 'note'"); }
  std::int64_t Replies() { return Count("SELECT COUNT(*) FROM messages WHERE direction = 'out'"); }
  std::int64_t Outbox() { return Count("SELECT COUNT(*) FROM outbox WHERE state = 'pending'"); }
};

}  // namespace

TEST_CASE("a thread message is a reply for the customer only when it starts with reply:") {
  CHECK(ThreadReplyText("reply: Thanks!") == std::optional<std::string>("Thanks!"));
  CHECK(ThreadReplyText("  Reply :  two\nlines ") == std::optional<std::string>("two\nlines"));
  CHECK(ThreadReplyText("REPLY:x") == std::optional<std::string>("x"));
  CHECK(ThreadReplyText("reply:") == std::optional<std::string>(""));  // refused later: empty
  CHECK(ThreadReplyText("reply") == std::nullopt);
  CHECK(ThreadReplyText("reply: ") == std::optional<std::string>(""));
  CHECK(ThreadReplyText("replying: soon") == std::nullopt);
  CHECK(ThreadReplyText("reply to them tomorrow") == std::nullopt);
  CHECK(ThreadReplyText("we should reply: yes") == std::nullopt);
  CHECK(ThreadReplyText("") == std::nullopt);
}

TEST_CASE_TEMPLATE("thread messages: a note, a reply, a refused reply — each event acted on once",
                   F, test::SqliteFactory, test::PgFactory) {
  Thread t(F::kKind);
  if (!t.rig.available()) return;
  CHECK(t.Write("Ev1", "courier called, <@U2|ana> knows") == ThreadMessageResult::kNoteStored);
  CHECK(t.Write("Ev1", "courier called, <@U2|ana> knows") == ThreadMessageResult::kRepeat);
  CHECK(t.Notes() == 1);
  // Chat markup is made plain as for a reply: a person by their name, never a raw id.
  CHECK(t.rig.store->ListMessages(t.id)->back().text == "courier called, ana knows");

  CHECK(t.Write("Ev2", "reply: It ships today") == ThreadMessageResult::kReplyQueued);
  CHECK(t.Write("Ev2", "reply: It ships today") == ThreadMessageResult::kRepeat);
  CHECK(t.Replies() == 1);
  CHECK(t.Notes() == 1);

  // Refused (empty): kept as a note, the reason posted in the thread.
  CHECK(t.Write("Ev3", "reply:") == ThreadMessageResult::kNoteStored);
  CHECK(t.Write("Ev3", "reply:") == ThreadMessageResult::kRepeat);
  CHECK(t.Notes() == 2);
  CHECK(t.Replies() == 1);
  t.rig.Deliver();
  CHECK(t.HasNotice("<@U9> your `reply:` was not sent: The reply text is empty."));

  ThreadMessage elsewhere{{"slack-event", "T1:Ev4"}, "T1", "C1", "999.999", "U9", "hello"};
  CHECK(HandleThreadMessage(elsewhere, 0, {t.rig.store.get(), t.rig.commands.get(), &t.rig.dialect})
            .result == ThreadMessageResult::kNotOurs);
  CHECK(t.Claims() == 3);
}

TEST_CASE_TEMPLATE(
    "a failure between a thread message's claim and its note leaves neither, and the chat's "
    "retry stores the note once",
    F, test::SqliteFactory, test::PgFactory) {
  Thread t(F::kKind);
  if (!t.rig.available()) return;
  t.Fail("note", true);
  CHECK(t.Write("Ev1", "courier called") == ThreadMessageResult::kUnavailable);
  CHECK(t.Claims() == 0);
  CHECK(t.Notes() == 0);
  t.Fail("note", false);
  CHECK(t.Write("Ev1", "courier called") == ThreadMessageResult::kNoteStored);
  CHECK(t.Write("Ev1", "courier called") == ThreadMessageResult::kRepeat);
  CHECK(t.Notes() == 1);
  CHECK(t.Claims() == 1);
}

TEST_CASE_TEMPLATE(
    "a failure between a reply: message's claim and its outbox row leaves no reply: it is kept "
    "as a note saying so, and the retry changes nothing",
    F, test::SqliteFactory, test::PgFactory) {
  Thread t(F::kKind);
  if (!t.rig.available()) return;
  const auto outbox_before = t.Outbox();
  t.Fail("reply", true);
  CHECK(t.Write("Ev1", "reply: It ships today") == ThreadMessageResult::kNoteStored);
  CHECK(t.Replies() == 0);
  CHECK(t.Notes() == 1);
  CHECK(t.Claims() == 1);                  // taken by the note
  CHECK(t.Outbox() == outbox_before + 1);  // the note's notice, no reply
  t.Fail("reply", false);
  CHECK(t.Write("Ev1", "reply: It ships today") == ThreadMessageResult::kRepeat);
  CHECK(t.Replies() == 0);
  t.rig.Deliver();
  CHECK(t.HasNotice("your `reply:` was not sent: duplex could not save the reply"));
}

TEST_CASE_TEMPLATE(
    "Slack thread message: a crash where its note is written loses nothing — Slack's retry "
    "after the restart stores it, once",
    F, test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  const auto id = rig.Ingest("m1", "conv-1");
  rig.Deliver();
  const std::string ts = rig.Get(id).chat_thread;
  test::FailingStore store(*rig.store, /*fail_at=*/0);
  store.crash_on_note = true;
  SlackInteractiveDeps deps;
  deps.signing_secret = "s3cret";
  deps.team_id = "T1";
  deps.commands = rig.commands.get();
  deps.threads = {&store, rig.commands.get(), &rig.dialect};
  const std::string body =
      R"({"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"message",)"
      R"("channel":"C1","user":"U9","text":"courier called","ts":"9.1","thread_ts":")" +
      ts + R"("}})";
  InboundRequest request;
  request.method = "POST";
  request.body = body;
  request.now = rig.clock.NowMs();
  const std::string stamp = std::to_string(request.now / 1000);
  request.headers = {{"X-Slack-Request-Timestamp", stamp},
                     {"X-Slack-Signature", security::SignSlackV0("s3cret", stamp, body)}};
  auto notes = [&] {
    int n = 0;
    auto messages = rig.store->ListMessages(id);
    REQUIRE(messages.ok());
    for (const auto& m : *messages) n += m.direction == MessageDirection::kNote;
    return n;
  };
  CHECK(HandleSlackEvent(request, deps).status == 500);
  store.Restart();
  CHECK(notes() == 0);
  request.headers.push_back({"X-Slack-Retry-Num", "1"});
  CHECK(HandleSlackEvent(request, deps).status == 200);
  CHECK(notes() == 1);
  CHECK(HandleSlackEvent(request, deps).status == 200);
  CHECK(notes() == 1);
}

}  // namespace duplex
