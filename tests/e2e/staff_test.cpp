// The staff workflow end to end: signed slash commands, the fake Slack's thread posts and
// chat.update calls on thread roots, SLA alerts driven by the app's clock.
#include <doctest/doctest.h>

#include "support/e2e_env.h"

namespace duplex::test {

using nlohmann::json;

namespace {

std::string Answer(E2eEnv& env, const std::string& text, const std::string& user = "U0STAFF") {
  auto r = env.SlackCommand(text, user);
  REQUIRE(r.ok());
  REQUIRE(r.response.status == 200);
  json body = json::parse(r.response.body);
  CHECK(body["response_type"] == "ephemeral");
  return body["text"];
}

// The post whose text contains `needle`, waiting for it.
json WaitForPost(E2eEnv& env, const std::string& needle, int timeout_ms = 5000) {
  json found;
  WaitUntil(
      [&] {
        for (const auto& p : env.slack.Posts()) {
          if (p.value("text", "").find(needle) != std::string::npos) {
            found = p;
            return true;
          }
        }
        return false;
      },
      timeout_ms);
  INFO("no post containing: " << needle);
  REQUIRE_FALSE(found.is_null());
  return found;
}

int CountPosts(E2eEnv& env, const std::string& needle) {
  int n = 0;
  for (const auto& p : env.slack.Posts()) {
    n += p.value("text", "").find(needle) != std::string::npos;
  }
  return n;
}

bool Has(const std::string& text, const std::string& needle) {
  if (text.find(needle) != std::string::npos) return true;
  MESSAGE("missing '" << needle << "' in:\n" << text);
  return false;
}

}  // namespace

TEST_CASE(
    "staff run a conversation from Slack: note, assign, queue, show, close, and the customer "
    "reopens it") {
  E2eEnv env;
  REQUIRE(env.PostGeneric(
                 E2eEnv::GenericMention("m1", "conv-1", "My order is late", "vera", 50'000), "wh-1")
              .response.status == 200);
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m2", "conv-2", "Question about sizes", "sam", 10),
                          "wh-2")
              .response.status == 200);
  json root = WaitForPost(env, "My order is late");
  const std::string ts = root["_ts"];
  CHECK(Has(root["blocks"].dump(), "Open · SLA: 20m left"));

  CHECK(Has(Answer(env, "note 1 Checking with the warehouse"), "Note added to #1"));
  json note = WaitForPost(env, "Internal note by <@U0STAFF>");
  CHECK(note["thread_ts"] == ts);
  CHECK(Has(note["text"], "> Checking with the warehouse"));

  CHECK(Has(Answer(env, "assign 1 <@U0BOB|bob>"), "Assigned #1 to <@U0BOB>."));
  REQUIRE(env.slack.WaitForUpdate(ts, "Assigned to <@U0BOB>"));
  json update = env.slack.Updates().back();
  CHECK(update["channel"] == kDefaultChannel);
  CHECK(update["ts"] == ts);
  CHECK_FALSE(update.contains("thread_ts"));
  CHECK(update["_auth"] == std::string("Bearer ") + kBotToken);
  CHECK(Has(update["blocks"].dump(), "Assigned to <@U0BOB> · SLA:"));
  CHECK(Has(update["text"], "My order is late"));
  CHECK(WaitForPost(env, "assigned this conversation to <@U0BOB>")["thread_ts"] == ts);

  std::string queue = Answer(env, "queue");
  const auto first = queue.find("#1 ·");
  const auto second = queue.find("#2 ·");
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  CHECK(first < second);
  CHECK(Has(queue, "50,000 followers · VIP"));
  CHECK(Has(queue, "<@U0BOB>"));

  std::string show = Answer(env, "show #1");
  CHECK(Has(show, "Assigned to <@U0BOB> · SLA:"));
  CHECK(Has(show, "note by <@U0STAFF>\n> Checking with the warehouse"));
  CHECK(Has(show, "> My order is late"));

  CHECK(Has(Answer(env, "close 1"), "Closed #1."));
  REQUIRE(env.slack.WaitForUpdate(ts, "Closed · assigned to <@U0BOB>"));
  CHECK(Answer(env, "queue").find("#1 ·") == std::string::npos);

  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m3", "conv-1", "Still nothing!", "vera", 50'000),
                          "wh-3")
              .response.status == 200);
  json again = WaitForPost(env, "Still nothing!");
  CHECK(again["thread_ts"] == ts);
  CHECK(Has(again["blocks"].dump(), "reopened (it was closed)"));
  REQUIRE(env.slack.WaitForUpdate(ts, "Assigned to <@U0BOB> · SLA: 20m left"));
  CHECK(Has(Answer(env, "queue"), "#1 ·"));
}

TEST_CASE(
    "templates from Slack: reply :name reaches the platform filled in, the root shows replied, "
    "stats count it") {
  E2eEnv env;
  env.receiver.On("/replies", [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"url":"https://crm.example.com/r/9"})"};
  });
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "Hello?", "ana", 120), "wh-1")
              .response.status == 200);
  const std::string ts = WaitForPost(env, "Hello?")["_ts"];

  CHECK(Has(Answer(env, "template add thanks Thanks {author} (@{handle}), we are on {ref}."),
            "Saved template `:thanks`"));
  CHECK(Has(Answer(env, "template list"),
            "`:thanks` — Thanks {author} (@{handle}), we are on {ref}."));
  CHECK(Has(Answer(env, "reply 1 :nope"), "There is no template `:nope`. Templates: `:thanks`."));
  CHECK(Has(Answer(env, "reply 1 :thanks"), "Queued reply to #1"));
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  CHECK(json::parse(env.receiver.Requests("/replies")[0].body)["text"] ==
        "Thanks Name ana (@ana), we are on #1.");
  REQUIRE(env.slack.WaitForUpdate(ts, "Replied · answered in"));
  CHECK(Has(Answer(env, "template rm thanks"), "Removed template `:thanks`."));

  std::string stats = Answer(env, "stats");
  CHECK(Has(stats, "Last 24h: 1 customer message in 1 conversation (1 new)."));
  CHECK(Has(stats, "By platform: Webhook 1"));
  CHECK(Has(stats, "Within SLA: 100% (1 of 1)"));
  CHECK(Has(Answer(env, "stats 7d"), "Last 7d:"));
}

TEST_CASE(
    "SLA alerts in Slack: a reminder before the deadline and a breach after it, each once, and the "
    "root's badge") {
  E2eEnv env(json{{"sla", {{"first_response_minutes", 10}, {"remind_before_minutes", 3}}}});
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "Anyone there?"), "wh-1")
              .response.status == 200);
  const std::string ts = WaitForPost(env, "Anyone there?")["_ts"];
  CHECK(Has(Answer(env, "assign 1 me"), "Assigned #1 to <@U0STAFF>."));

  env.clock.Advance(7 * kMinuteMs + 1000);
  env.app().RunSlaCheck();
  json reminder = WaitForPost(env, "Reminder: #1 has no reply yet");
  CHECK(reminder["thread_ts"] == ts);
  CHECK(Has(reminder["text"], "<@U0STAFF>"));
  REQUIRE(env.slack.WaitForUpdate(ts, "Assigned to <@U0STAFF> · SLA: 3m left"));

  env.clock.Advance(3 * kMinuteMs);
  env.app().RunSlaCheck();
  json breach = WaitForPost(env, "SLA breached: #1 got no reply within 10m");
  CHECK(breach["thread_ts"] == ts);
  REQUIRE(env.slack.WaitForUpdate(ts, "SLA: overdue since"));

  CHECK(env.app().RunSlaCheck() == 0);
  env.clock.Advance(60 * kMinuteMs);
  CHECK(env.app().RunSlaCheck() == 0);
  REQUIRE(env.WaitDrained());
  CHECK(CountPosts(env, "Reminder: #1") == 1);
  CHECK(CountPosts(env, "SLA breached: #1") == 1);
}

TEST_CASE("alerts already sent are not repeated after a restart") {
  E2eEnv env(json{{"sla", {{"first_response_minutes", 10}, {"remind_before_minutes", 3}}}});
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "Hello"), "wh-1").response.status ==
      200);
  WaitForPost(env, "Hello");
  env.clock.Advance(8 * kMinuteMs);
  env.app().RunSlaCheck();
  WaitForPost(env, "Reminder: #1");
  env.Restart();
  CHECK(env.app().RunSlaCheck() == 0);
  env.clock.Advance(3 * kMinuteMs);
  env.app().RunSlaCheck();
  WaitForPost(env, "SLA breached: #1");
  REQUIRE(env.WaitDrained());
  CHECK(CountPosts(env, "Reminder: #1") == 1);
}

}  // namespace duplex::test

namespace duplex::test {

TEST_CASE(
    "a staff reply goes to the customer who started the conversation: a muted spammer or a "
    "stranger answering the VIP's post never receives it") {
  E2eEnv env;
  env.receiver.On("/replies", [](const RecordedRequest&) { return FakeAnswer{200, "{}"}; });
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("vip-1", "order-1042", "Order 1042: where is it?",
                                                 "vera", 50'000),
                          "wh-1")
              .response.status == 200);
  const std::string ts = WaitForPost(env, "Order 1042")["_ts"];
  CHECK(Has(Answer(env, "mute generic:spammer", "U0ADMIN"), "spammer"));
  // The spammer answers the VIP's post: no conversation of its own, so it joins through its
  // parent, muted.
  json spam = E2eEnv::GenericMention("spam-1", "", "send me the details", "spammer", 5);
  spam.erase("conversation");
  spam["in_reply_to"] = "vip-1";
  REQUIRE(env.PostGeneric(spam, "wh-2").response.status == 200);
  Store& store = env.app().store();
  REQUIRE(WaitUntil([&] { return store.ListMessages(1)->size() == 2; }));

  CHECK(Has(Answer(env, "reply 1 Vera, order 1042 ships today to Rua Augusta 12"),
            "in reply to @vera (“Order 1042: where is it?”)"));
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  json sent = json::parse(env.receiver.Requests("/replies")[0].body);
  CHECK(sent["in_reply_to"] == "vip-1");
  CHECK(sent["conversation"] == "order-1042");
  json confirmation = WaitForPost(env, "posted on Webhook");
  CHECK(confirmation["thread_ts"] == ts);
  CHECK(Has(confirmation["text"], "in reply to @vera (“Order 1042: where is it?”)"));

  // A stranger, not muted, answers the VIP's post too: still not the one replied to.
  json other = E2eEnv::GenericMention("bo-1", "", "same problem here", "bo", 10);
  other.erase("conversation");
  other["in_reply_to"] = "vip-1";
  REQUIRE(env.PostGeneric(other, "wh-3").response.status == 200);
  REQUIRE(WaitUntil([&] { return store.ListMessages(1)->size() == 4; }));
  REQUIRE(env.SlackCommand("reply 1 We are on it").response.status == 200);
  REQUIRE(env.receiver.WaitForCount("/replies", 2));
  CHECK(json::parse(env.receiver.Requests("/replies")[1].body)["in_reply_to"] == "vip-1");
  for (const auto& r : env.receiver.Requests("/replies")) {
    CHECK(json::parse(r.body)["in_reply_to"] != "spam-1");
    CHECK(json::parse(r.body)["in_reply_to"] != "bo-1");
  }
}

}  // namespace duplex::test
