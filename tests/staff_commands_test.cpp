// Staff commands against a real store with a FakeClock: parsing, answers, effects in the
// store, and what the thread and its root then show.
#include <doctest/doctest.h>

#include "support/staff_rig.h"

namespace duplex {

namespace {

bool Has(const std::string& text, const std::string& needle) {
  if (text.find(needle) != std::string::npos) return true;
  MESSAGE("missing '" << needle << "' in:\n" << text);
  return false;
}

}  // namespace

TEST_CASE_TEMPLATE(
    "note: stored as an internal note, posted in the thread by its author, never sent", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  CHECK(Has(rig.Command("note #1 Called them; refund approved <tomorrow>", "U7"),
            "Note added to #1. It appears in the thread and is never sent to the customer."));
  auto messages = *rig.store->ListMessages(id);
  REQUIRE(messages.size() == 2);
  CHECK(messages[1].direction == MessageDirection::kNote);
  CHECK(messages[1].chat_user == "U7");
  CHECK(messages[1].text == "Called them; refund approved <tomorrow>");
  rig.Deliver();
  auto notices = rig.Notices();
  REQUIRE(notices.size() == 1);
  CHECK(Has(notices[0],
            "Internal note by <@U7> (not sent to the customer):\n> Called them; refund approved "
            "&lt;tomorrow&gt;"));
  CHECK(rig.chat.posts().back().thread == "ts-1");
  CHECK(rig.http.requests().empty());
  CHECK(rig.chat.updates().empty());  // a note changes nothing the root shows
}

TEST_CASE_TEMPLATE("note: usage errors name the problem and change nothing", F, test::SqliteFactory,
                   test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  CHECK(Has(rig.Command("note"), "Which conversation?"));
  CHECK(Has(rig.Command("note"), "Usage: `/duplex note <ref> <text>`"));
  CHECK(Has(rig.Command("note abc hi"), "`abc` is not a conversation ref"));
  CHECK(Has(rig.Command("note 9 hi"), "There is no conversation #9."));
  CHECK(Has(rig.Command("note 1   "), "The note is empty."));
  CHECK(rig.store->ListMessages(1)->size() == 1);
}

TEST_CASE_TEMPLATE(
    "assign: me by default, or a mention in any form Slack sends, the thread and root say who", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  SUBCASE("default is me") {
    CHECK(Has(rig.Command("assign 1", "U7"), "Assigned #1 to <@U7>."));
    CHECK(rig.Get(id).assignee == "U7");
    rig.Deliver();
    CHECK(Has(rig.Notices().at(0), "<@U7> took this conversation."));
  }
  SUBCASE("me") {
    rig.Command("assign #1 ME", "U7");
    CHECK(rig.Get(id).assignee == "U7");
  }
  SUBCASE("escaped mention") {
    CHECK(Has(rig.Command("assign 1 <@U0BOB|bob>", "U7"), "Assigned #1 to <@U0BOB>."));
    rig.Deliver();
    CHECK(Has(rig.Notices().at(0), "<@U7> assigned this conversation to <@U0BOB>."));
  }
  SUBCASE("@id and bare id") {
    rig.Command("assign 1 @U0BOB");
    CHECK(rig.Get(id).assignee == "U0BOB");
    rig.Command("assign 1 W0ENT");
    CHECK(rig.Get(id).assignee == "W0ENT");
  }
  SUBCASE("a display name is refused") {
    CHECK(Has(rig.Command("assign 1 @bob"), "`@bob` is not a person duplex can assign"));
    CHECK(rig.Get(id).assignee.empty());
  }
  SUBCASE("one person at a time") {
    CHECK(Has(rig.Command("assign 1 U0A U0B"), "Assign to one person at a time."));
  }
  SUBCASE("reassigning says who had it; the same again changes nothing") {
    rig.Command("assign 1 U0A");
    CHECK(Has(rig.Command("assign 1 U0B"), "Assigned #1 to <@U0B> (it was <@U0A>)."));
    CHECK(Has(rig.Command("assign 1 U0B"), "#1 is already assigned to <@U0B>."));
  }
  SUBCASE("the root shows the assignee") {
    rig.Command("assign 1 U0BOB");
    rig.Deliver();
    auto updates = rig.chat.updates();
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].first == "ts-1");
    CHECK(updates[0].second.channel == "C1");
    CHECK(Has(updates[0].second.card->state_line, "Assigned to <@U0BOB> · SLA: 20m left"));
  }
}

TEST_CASE_TEMPLATE("unassign: back to open and into nobody's hands", F, test::SqliteFactory,
                   test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  CHECK(Has(rig.Command("unassign 1"), "#1 is not assigned to anyone."));
  rig.Command("assign 1 U0A");
  CHECK(Has(rig.Command("unassign 1", "U7"), "Unassigned <@U0A> from #1; nobody owns it now."));
  CHECK(rig.Get(id).state == ConversationState::kOpen);
  rig.Deliver();
  CHECK(Has(rig.Notices().back(), "<@U7> unassigned <@U0A>; nobody is assigned."));
  CHECK(Has(rig.LastStateLine(), "Open · SLA:"));
}

TEST_CASE_TEMPLATE("close and reopen: state, notices, a new SLA clock on reopen, and the root", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  CHECK(
      Has(rig.Command("close 1", "U7"), "Closed #1. A new message from the customer reopens it."));
  CHECK(rig.Get(id).state == ConversationState::kClosed);
  CHECK(Has(rig.Command("close 1"), "#1 is already closed."));
  rig.Deliver();
  CHECK(Has(rig.Notices().back(), "<@U7> closed this conversation."));
  CHECK(rig.LastStateLine() == "Closed");
  CHECK(Has(rig.Command("assign 1 U0A"), "It is closed; `/duplex reopen 1` opens it again."));

  rig.clock.Advance(3'600'000);
  CHECK(Has(rig.Command("reopen 1", "U7"),
            "Reopened #1. Its SLA clock starts again: first reply due <!date^"));
  Conversation c = rig.Get(id);
  CHECK(c.state == ConversationState::kAssigned);
  CHECK(c.sla_started_at == rig.clock.NowMs());
  CHECK(Has(rig.Command("reopen 1"), "#1 is not closed (it is assigned)."));
  rig.Deliver();
  CHECK(Has(rig.Notices().back(), "<@U7> reopened this conversation. A new SLA clock runs"));
  CHECK(Has(rig.LastStateLine(), "Assigned to <@U0A> · SLA: 20m left"));
}

TEST_CASE_TEMPLATE(
    "show: platform, author with reach, state and SLA, then every kind of message in order", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1", "ana", 25'000);
  rig.Deliver();
  rig.clock.Advance(3 * kMinuteMs);
  rig.Command("note 1 checking the order", "U2");
  rig.http.PushStatus(200, R"({"url":"https://crm.example.com/r/1"})");
  rig.ReplyAndDeliver(id, "U3");
  REQUIRE(test::QueueReplyToOpener(*rig.store, id, "U3", "follow-up, not out yet",
                                   "generic:", rig.clock.NowMs())
              .ok());
  rig.Command("assign 1 U3");

  std::string text = rig.Command("show #1");
  CHECK(Has(text, "#1 · Webhook · Name ana (@ana) · 25,000 followers · VIP"));
  CHECK(Has(text, "Replied · assigned to <@U3> · answered in 3m"));
  CHECK(Has(text, "default channel <#C1> · started <!date^"));
  CHECK(Has(text, "4 messages, oldest first:"));
  const auto customer = text.find("customer Name ana (@ana)");
  const auto note = text.find("note by <@U2>\n> checking the order");
  const auto sent =
      text.find("reply by <@U3> · sent · <https://crm.example.com/r/1|view on Webhook>\n> a reply");
  const auto queued = text.find("reply by <@U3> · queued\n> follow-up, not out yet");
  CHECK(customer != std::string::npos);
  CHECK(note != std::string::npos);
  CHECK(sent != std::string::npos);
  CHECK(queued != std::string::npos);
  CHECK(customer < note);
  CHECK(note < sent);
  CHECK(sent < queued);
  CHECK(Has(text, "<https://crm.example.com/m/e1|open>"));
  CHECK(text.find("left out") == std::string::npos);
}

TEST_CASE_TEMPLATE(
    "show: a long conversation keeps the first and the latest messages and says how many are left "
    "out",
    F, test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e0", "c1");
  for (int i = 1; i <= 40; ++i) {
    rig.Command("note 1 note number " + std::to_string(i) + " " + std::string(200, 'x'));
  }
  std::string text = rig.Command("show 1");
  CHECK(text.size() <= rig.dialect.MaxPostChars() + 200);  // code points ≈ bytes here
  CHECK(text.find("text e0") != std::string::npos);
  CHECK(text.find("note number 40 ") != std::string::npos);
  CHECK(text.find("note number 1 ") == std::string::npos);
  const auto pos = text.find(" messages in between left out to fit");
  REQUIRE(pos != std::string::npos);
  int shown = 0;
  for (int i = 1; i <= 40; ++i) {
    shown += text.find("note number " + std::to_string(i) + " ") != std::string::npos;
  }
  CHECK(Has(text, "… " + std::to_string(40 - shown) + " messages in between left out to fit"));
  CHECK(Has(text, "41 messages, oldest first:"));
}

TEST_CASE_TEMPLATE("show: an open conversation's SLA reads live, an overdue one says by how much",
                   F, test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  rig.clock.Advance(8 * kMinuteMs);
  CHECK(Has(rig.Command("show 1"), "Open · SLA: 12m left · due <!date^"));
  rig.clock.Advance(17 * kMinuteMs);
  CHECK(Has(rig.Command("show 1"), "Open · SLA: overdue since <!date^"));
  CHECK(Has(rig.Command("show 1"), "(5m)"));
}

TEST_CASE_TEMPLATE(
    "queue: this channel by default, VIPs first then oldest, with SLA, reach and owner", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("a", "A", "ana", 50, "C1");
  rig.clock.Advance(kMinuteMs);
  rig.Ingest("b", "B", "bob", 20'000, "C1");
  rig.clock.Advance(kMinuteMs);
  rig.Ingest("c", "C", "cy", 10, "C2");
  rig.clock.Advance(kMinuteMs);
  rig.Ingest("d", "D", "di", 10, "C1");
  rig.Command("assign 4 U0DI");
  rig.Command("close 1");
  rig.clock.Advance(kMinuteMs);

  std::string here = rig.Command("queue", "U1", "C1");
  CHECK(Has(here, "2 waiting in <#C1> (VIPs first, then the longest waiting):"));
  const auto b = here.find(
      "• #2 · Webhook · Name bob (@bob) · 20,000 followers · VIP · waiting 3m · SLA: 17m left");
  const auto d =
      here.find("• #4 · Webhook · Name di (@di) · 10 followers · waiting 1m · SLA: 19m left");
  REQUIRE(b != std::string::npos);
  REQUIRE(d != std::string::npos);
  CHECK(b < d);
  CHECK(Has(here, "unassigned"));
  CHECK(Has(here, "<@U0DI>"));
  CHECK(here.find("#1 ·") == std::string::npos);  // closed
  CHECK(here.find("#3 ·") == std::string::npos);  // other channel

  CHECK(Has(rig.Command("queue <#C2|support>"), "1 waiting in <#C2>"));
  std::string all = rig.Command("queue all");
  CHECK(Has(all, "3 waiting in any channel"));
  CHECK(Has(all, "· <#C2>"));
  CHECK(Has(rig.Command("queue", "U1", "C9"),
            "Nothing is waiting in <#C9>. `/duplex queue all` looks in every channel."));
  CHECK(Has(rig.Command("queue <@U1>"), "is not a channel"));
}

TEST_CASE_TEMPLATE("queue: at most 25 lines, and how many more", F, test::SqliteFactory,
                   test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  for (int i = 0; i < 30; ++i) rig.Ingest("e" + std::to_string(i), "c" + std::to_string(i));
  std::string text = rig.Command("queue");
  CHECK(Has(text, "30 waiting in <#C1>"));
  CHECK(Has(text, "…and 5 more."));
  CHECK(text.find("#25 ·") != std::string::npos);
  CHECK(text.find("#26 ·") == std::string::npos);
}

TEST_CASE_TEMPLATE("template: add, list, replace, remove, names are checked", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  CHECK(Has(rig.Command("template list"), "No reply templates yet."));
  CHECK(Has(rig.Command("template add Thanks Thank you, {author}!\nWe are on it.", "U7"),
            "Saved template `:thanks`"));
  CHECK(Has(rig.Command("template add sorry Sorry about {ref}"), "Saved template `:sorry`"));
  CHECK(Has(rig.Command("template add sorry Sorry, @{handle}"), "Replaced template `:sorry`"));
  std::string list = rig.Command("template");
  CHECK(Has(list, "2 reply templates"));
  CHECK(Has(list, "• `:sorry` — Sorry, @{handle}"));
  CHECK(Has(list, "• `:thanks` — Thank you, {author}! We are on it. (by <@U7>)"));
  CHECK(Has(rig.Command("template add bad:name hi"), "is not a template name"));
  CHECK(Has(rig.Command("template add empty"), "The template text is empty."));
  CHECK(Has(rig.Command("template frob x"), "`frob` is not list, add or rm."));
  CHECK(Has(rig.Command("template rm nope"),
            "There is no template `:nope`. Templates: `:sorry`, `:thanks`."));
  CHECK(Has(rig.Command("template rm sorry"), "Removed template `:sorry`."));
  CHECK(rig.store->ListTemplates()->size() == 1);
}

TEST_CASE_TEMPLATE(
    "reply :name sends the template filled in for the customer answered: the conversation's "
    "opener, not a later writer in its thread",
    F, test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1", "ana");  // the reply answers this one
  rig.Ingest("e2", "c1", "bea");
  rig.Deliver();
  rig.Command("template add thanks Thanks {author} (@{handle}), about {ref}: {nothing}");
  CHECK(Has(rig.Command("reply 1 :Thanks"), "Queued reply to #1"));
  auto messages = *rig.store->ListMessages(id);
  CHECK(messages.back().text == "Thanks Name ana (@ana), about #1: {nothing}");
  rig.Deliver();
  REQUIRE(rig.http.requests().size() == 1);
  CHECK(rig.http.requests()[0].body.find("Thanks Name ana (@ana), about #1") != std::string::npos);

  SUBCASE("an unknown template queues nothing and lists the names") {
    CHECK(
        Has(rig.Command("reply 1 :thnks"), "There is no template `:thnks`. Templates: `:thanks`."));
    CHECK(rig.store->ListMessages(id)->size() == 3);
  }
  SUBCASE("text that only looks like one is sent as written") {
    rig.Command("reply 1 :)");
    CHECK(rig.store->ListMessages(id)->back().text == ":)");
  }
}

TEST_CASE_TEMPLATE("help lists the staff verbs with their usage", F, test::SqliteFactory,
                   test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  std::string help = rig.Command("help");
  for (const char* usage :
       {"note <ref> <text>", "assign <ref> [@user|me]", "unassign <ref>", "close <ref>",
        "reopen <ref>", "show <ref>", "queue [#channel|all]", "stats [24h|7d|30d]",
        "template list | template add <name> <text> | template rm <name>"}) {
    CHECK(Has(help, usage));
  }
}

TEST_CASE_TEMPLATE("a database failure changes nothing and says so", F, test::SqliteFactory,
                   test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  test::FailingStore failing(*rig.store, 1);
  CommandDeps cd;
  cd.store = &failing;
  cd.clock = &rig.clock;
  cd.dialect = &rig.dialect;
  cd.connectors = &rig.connectors;
  CommandService svc(cd);
  auto run = [&](const std::string& text) {
    CommandContext ctx;
    ctx.user_id = "U1";
    ctx.channel_id = "C1";
    ctx.command = "/duplex";
    ctx.text = text;
    return svc.Execute(ctx).text;
  };
  SUBCASE("assign") {
    CHECK(Has(run("assign 1"), "nothing was changed"));
  }
  SUBCASE("note") {
    CHECK(Has(run("note 1 hi"), "nothing was changed"));
  }
  SUBCASE("template") {
    CHECK(Has(run("template add a b"), "nothing was changed"));
  }
  CHECK(rig.Get(1).assignee.empty());
  CHECK(rig.store->ListMessages(1)->size() == 1);
  CHECK(rig.store->ListTemplates()->empty());
}

}  // namespace duplex

namespace duplex {
namespace {

// A generic message by `handle` in its own conversation, answering `parent` (it joins the
// parent's conversation through it when the parent is stored).
IngestItem Answering(const std::string& id, const std::string& parent, const std::string& handle) {
  Mention m;
  m.platform = "generic";
  m.event_id = m.message_id = m.conversation_key = id;
  m.parent_message_id = parent;
  m.kind = MentionKind::kDirect;
  m.text = "text " + id;
  m.author = {"id-" + handle, handle, "Name " + handle, 10};
  m.reply_target = nlohmann::json{{"conversation", id}, {"in_reply_to", id}}.dump();
  return {m, "C1", ""};
}

std::string InReplyToSent(test::StaffRig& rig, std::size_t n) {
  REQUIRE(rig.http.requests().size() == n);
  return nlohmann::json::parse(rig.http.requests()[n - 1].body)["in_reply_to"];
}

}  // namespace

TEST_CASE_TEMPLATE(
    "reply answers the opener's newest message: a muted author or a stranger answering in the "
    "thread never receives it, and the thread says which message it answered",
    F, test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  const auto id = rig.Ingest("vip-1", "order-1042", "vera", 50'000);
  REQUIRE(rig.store->AddMute({"generic", "spammer", "U0ADMIN", 0}).ok());
  auto joined = rig.store->Ingest({Answering("spam-1", "vip-1", "spammer")}, rig.clock.NowMs());
  REQUIRE(joined.ok());
  REQUIRE((*joined)[0].conversation_id == id);
  REQUIRE((*joined)[0].muted);
  rig.Deliver();

  CHECK(Has(rig.Command("reply 1 Your order 1042 ships today"),
            "Queued reply to #1 on Webhook (delivery 2), in reply to @vera (“text vip-1”)"));
  rig.Deliver();
  CHECK(InReplyToSent(rig, 1) == "vip-1");
  CHECK(Has(rig.Notices().back(),
            "Reply by <@U1> posted on Webhook in reply to @vera (“text vip-1”):\n> Your order"));

  // Someone else, not muted, answers the VIP's post: still the VIP's conversation.
  REQUIRE(rig.store->Ingest({Answering("bo-1", "vip-1", "bo")}, rig.clock.NowMs()).ok());
  rig.Deliver();
  CHECK(Has(rig.Command("reply 1 See above"), "in reply to @vera"));
  rig.Deliver();
  CHECK(InReplyToSent(rig, 2) == "vip-1");

  // The VIP writes again: the reply answers that newer message.
  rig.Ingest("vip-2", "order-1042", "vera", 50'000);
  rig.Deliver();
  rig.Command("reply 1 Tracking link sent");
  rig.Deliver();
  CHECK(InReplyToSent(rig, 3) == "vip-2");
}

TEST_CASE_TEMPLATE(
    "reply is refused, nothing queued, when the conversation's opener has no message to answer", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  REQUIRE(rig.store->AddMute({"generic", "mallory", "U0ADMIN", 0}).ok());
  const auto id = rig.Ingest("m-1", "thread-9", "mallory");  // muted: never posted
  REQUIRE(rig.store->Ingest({Answering("bo-1", "m-1", "bo")}, rig.clock.NowMs()).ok());
  rig.Deliver();
  CHECK(Has(rig.Command("reply 1 hello"),
            "Not queued: #1 has no message from @mallory, who started it, that duplex may answer"));
  auto messages = rig.store->ListMessages(id);
  REQUIRE(messages.ok());
  for (const auto& m : *messages) CHECK(m.direction == MessageDirection::kIn);
  CHECK(rig.store->GetOutboxStats()->pending == 0);
}

}  // namespace duplex
