// Slack buttons, the reply modal and thread messages (Events API) end to end: signed
// requests as Slack sends them, the fake Slack's views.open and response_url, the fake
// receiver for replies, and the thread posts and root updates that follow.
#include <doctest/doctest.h>

#include <thread>

#include "security/signatures.h"
#include "support/e2e_env.h"

namespace duplex::test {

using nlohmann::json;

namespace {

json WaitForPost(E2eEnv& env, const std::string& needle) {
  json found;
  WaitUntil([&] {
    for (const auto& p : env.slack.Posts()) {
      if (p.value("text", "").find(needle) != std::string::npos) {
        found = p;
        return true;
      }
    }
    return false;
  });
  INFO("no post containing: " << needle);
  REQUIRE_FALSE(found.is_null());
  return found;
}

std::vector<std::string> ActionIds(const json& message) {
  std::vector<std::string> ids;
  for (const auto& block : message["blocks"]) {
    if (block["type"] != "actions") continue;
    for (const auto& e : block["elements"]) ids.push_back(e["action_id"]);
  }
  return ids;
}

std::string Show(E2eEnv& env, const std::string& ref) {
  auto r = env.SlackCommand("show " + ref);
  REQUIRE(r.ok());
  return json::parse(r.response.body)["text"];
}

// A conversation #1 from "vera" whose root is posted; returns the root's ts.
std::string StartConversation(E2eEnv& env) {
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "Where is my parcel?", "vera"), "wh-1")
          .response.status == 200);
  const std::string ts = WaitForPost(env, "Where is my parcel?")["_ts"];
  // Slack has the post a moment before duplex has stored its ts; no one can answer in a
  // thread before then.
  REQUIRE(WaitUntil([&] {
    auto c = env.app().store().GetConversation(1);
    return c.ok() && c->has_value() && (*c)->chat_thread == ts;
  }));
  return ts;
}

json ViewSubmission(const std::string& ref, const std::string& text) {
  json value = text.empty() ? json{{"type", "plain_text_input"}, {"value", nullptr}}
                            : json{{"type", "plain_text_input"}, {"value", text}};
  return {{"type", "view_submission"},
          {"view",
           {{"id", "V0001"},
            {"type", "modal"},
            {"callback_id", "duplex_reply_modal"},
            {"private_metadata", ref},
            {"state", {{"values", {{"duplex_reply_block", {{"duplex_reply_text", value}}}}}}}}}};
}

}  // namespace

TEST_CASE(
    "Slack buttons: the root offers Reply, Assign to me and Close, each acts as the clicker, and a "
    "closed root offers Reopen") {
  E2eEnv env;
  const std::string ts = StartConversation(env);
  json root = env.slack.Posts()[0];
  CHECK(ActionIds(root) ==
        std::vector<std::string>{"duplex_reply", "duplex_assign_me", "duplex_close"});

  auto r = env.SlackButton("duplex_assign_me", 1, "U0ANA");
  REQUIRE(r.ok());
  CHECK(r.response.status == 200);
  CHECK(WaitForPost(env, "<@U0ANA> took this conversation.")["thread_ts"] == ts);
  REQUIRE(env.slack.WaitForUpdate(ts, "Assigned to <@U0ANA>"));

  REQUIRE(env.SlackButton("duplex_close", 1, "U0ANA").response.status == 200);
  REQUIRE(env.slack.WaitForUpdate(ts, "Closed"));
  CHECK(ActionIds(env.slack.Updates().back()) == std::vector<std::string>{"duplex_reopen"});
  CHECK(WaitForPost(env, "<@U0ANA> closed this conversation.")["thread_ts"] == ts);

  const auto updates = env.slack.Updates().size();
  REQUIRE(env.SlackButton("duplex_reopen", 1, "U0BOB").response.status == 200);
  CHECK(WaitForPost(env, "<@U0BOB> reopened this conversation.")["thread_ts"] == ts);
  REQUIRE(WaitUntil([&] { return env.slack.Updates().size() > updates; }));
  CHECK(ActionIds(env.slack.Updates().back()) ==
        std::vector<std::string>{"duplex_reply", "duplex_assign_me", "duplex_close"});
  CHECK(env.slack.Responses().empty());  // success shows in the thread, not as a private answer

  // A button on a conversation that is gone: the clicker is told privately.
  REQUIRE(env.SlackButton("duplex_close", 99).response.status == 200);
  REQUIRE(WaitUntil([&] { return env.slack.Responses().size() == 1; }));
  json told = env.slack.Responses()[0];
  CHECK(told["response_type"] == "ephemeral");
  CHECK(told["text"].get<std::string>().find("no conversation #99") != std::string::npos);
}

TEST_CASE(
    "Slack Reply button opens a modal whose submission reaches the customer exactly as typed") {
  E2eEnv env;
  const std::string ts = StartConversation(env);
  REQUIRE(env.SlackButton("duplex_reply", 1).response.status == 200);
  REQUIRE(env.slack.Views().size() == 1);
  json open = env.slack.Views()[0];
  CHECK(open["trigger_id"].get<std::string>().rfind("trigger-", 0) == 0);
  CHECK(open["view"]["callback_id"] == "duplex_reply_modal");
  CHECK(open["view"]["private_metadata"] == "1");
  CHECK(open["view"]["blocks"][0]["label"]["text"].get<std::string>().find("vera") !=
        std::string::npos);
  auto views = env.slack.server.Requests("/api/views.open");
  CHECK(views[0].Header("Authorization") == std::string("Bearer ") + kBotToken);

  // Typed into a plain-text field: "&amp;" and "<b>" are what the customer gets, verbatim.
  const std::string typed = "Found it & it's \"on the way\" <b>today</b> &amp; no escapes\nBye";
  auto r = env.SlackInteraction(ViewSubmission("1", typed));
  REQUIRE(r.ok());
  CHECK(r.response.status == 200);
  CHECK(r.response.body.empty());  // an empty 200 closes the modal
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  CHECK(json::parse(env.receiver.Requests("/replies")[0].body)["text"] == typed);
  CHECK(WaitForPost(env, "Reply by <@U0STAFF> posted on")["thread_ts"] == ts);
  REQUIRE(env.slack.WaitForUpdate(ts, "Replied"));

  // Refusals stay in the modal, under the input.
  auto empty = env.SlackInteraction(ViewSubmission("1", ""));
  json errors = json::parse(empty.response.body);
  CHECK(errors["response_action"] == "errors");
  CHECK(errors["errors"]["duplex_reply_block"].get<std::string>().find("The reply text is empty") !=
        std::string::npos);
  auto gone = json::parse(env.SlackInteraction(ViewSubmission("77", "hello")).response.body);
  CHECK(gone["errors"]["duplex_reply_block"].get<std::string>().find("no conversation #77") !=
        std::string::npos);
  CHECK(env.receiver.Count("/replies") == 1);

  // Slack refuses to open the modal (the trigger expired): the clicker is told what to type.
  env.slack.server.Script("/api/views.open",
                          FakeAnswer{200, R"({"ok":false,"error":"expired_trigger_id"})"});
  REQUIRE(env.SlackButton("duplex_reply", 1).response.status == 200);
  REQUIRE(WaitUntil([&] { return env.slack.Responses().size() == 1; }));
  CHECK(env.slack.Responses()[0]["text"].get<std::string>().find("/duplex reply 1") !=
        std::string::npos);
}

TEST_CASE("Slack url_verification: unsigned is a 401 with no echo, a bad challenge a 400") {
  E2eEnv env;
  const std::string challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P";
  const json body = {{"token", "unused"}, {"challenge", challenge}, {"type", "url_verification"}};
  HttpRequest unsigned_req;
  unsigned_req.url = env.base_url() + "/chat/slack/events";
  unsigned_req.content_type = "application/json";
  unsigned_req.body = body.dump();
  auto refused = env.Send(unsigned_req);
  REQUIRE(refused.ok());
  CHECK(refused.response.status == 401);
  CHECK(refused.response.body.find(challenge) == std::string::npos);
  auto wrong = env.SlackEvent(body, "not-the-signing-secret");
  CHECK(wrong.response.status == 401);
  CHECK(wrong.response.body.find(challenge) == std::string::npos);

  json markup = body;
  markup["challenge"] = "<img src=x onerror=alert(1)>";
  auto bad = env.SlackEvent(markup);
  CHECK(bad.response.status == 400);
  CHECK(bad.response.body.find("<img") == std::string::npos);
  CHECK(env.SlackEvent(body).response.status == 200);
}

TEST_CASE(
    "Slack thread messages: reply: goes to the customer, other words become internal notes, bots "
    "and edits are ignored") {
  E2eEnv env;
  const std::string ts = StartConversation(env);

  auto challenge =
      env.SlackEvent({{"token", "unused"},
                      {"challenge", "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"},
                      {"type", "url_verification"}});
  REQUIRE(challenge.ok());
  CHECK(challenge.response.status == 200);
  CHECK(json::parse(challenge.response.body)["challenge"] ==
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");

  // Slack's markup is undone for the customer: &amp; is &, a link is its address.
  auto r = env.SlackEvent(E2eEnv::ThreadMessageEvent(
      "Ev01", ts, "reply: Sorry &amp; thanks, see <https://acme.example/track|tracking>"));
  CHECK(r.response.status == 200);
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  CHECK(json::parse(env.receiver.Requests("/replies")[0].body)["text"] ==
        "Sorry & thanks, see tracking (https://acme.example/track)");
  WaitForPost(env, "Reply by <@U0STAFF> posted on");

  const auto posts = env.slack.Posts().size();
  CHECK(env.SlackEvent(
               E2eEnv::ThreadMessageEvent("Ev02", ts, "Asked the warehouse &amp; waiting", "U0BOB"))
            .response.status == 200);
  json bot = E2eEnv::ThreadMessageEvent("Ev03", ts, "reply: from a bot");
  bot["event"]["bot_id"] = "B0001";
  CHECK(env.SlackEvent(bot).response.status == 200);
  json edit = E2eEnv::ThreadMessageEvent("Ev04", ts, "an edit");
  edit["event"]["subtype"] = "message_changed";
  CHECK(env.SlackEvent(edit).response.status == 200);
  json root_itself = E2eEnv::ThreadMessageEvent("Ev05", ts, "reply: top level");
  root_itself["event"]["ts"] = ts;
  CHECK(env.SlackEvent(root_itself).response.status == 200);
  CHECK(env.SlackEvent(E2eEnv::ThreadMessageEvent("Ev06", "1600000000.000001", "reply: elsewhere"))
            .response.status == 200);

  // A member of another organisation in a shared channel (Slack Connect) cannot answer.
  json foreign = E2eEnv::ThreadMessageEvent("Ev08", ts, "reply: from outside", "U0EXT");
  foreign["event"]["user_team"] = "T0OTHER";
  CHECK(env.SlackEvent(foreign).response.status == 200);
  // "Also send to #channel" and a file with a comment are still a person writing.
  json broadcast = E2eEnv::ThreadMessageEvent("Ev09", ts, "reply: Also on the channel");
  broadcast["event"]["subtype"] = "thread_broadcast";
  CHECK(env.SlackEvent(broadcast).response.status == 200);
  json file = E2eEnv::ThreadMessageEvent("Ev10", ts, "photo of the label", "U0BOB");
  file["event"]["subtype"] = "file_share";
  CHECK(env.SlackEvent(file).response.status == 200);

  // A reply: that cannot go is kept as a note and the thread says why.
  CHECK(env.SlackEvent(E2eEnv::ThreadMessageEvent("Ev07", ts, "reply:")).response.status == 200);
  json why = WaitForPost(env, "your `reply:` was not sent");
  CHECK(why["thread_ts"] == ts);
  CHECK(why["text"].get<std::string>().find("The reply text is empty") != std::string::npos);

  // Posts and replies of one conversation go out in order, so by the time these arrived
  // anything wrongly queued by the events above would have arrived too.
  REQUIRE(env.receiver.WaitForCount("/replies", 2));
  WaitForPost(env, "Also on the channel");
  std::vector<std::string> sent;
  for (const auto& r : env.receiver.Requests("/replies"))
    sent.push_back(json::parse(r.body)["text"]);
  CHECK(sent ==
        std::vector<std::string>{"Sorry & thanks, see tracking (https://acme.example/track)",
                                 "Also on the channel"});
  int echoes = 0;
  for (const auto& p : env.slack.Posts()) {
    const std::string text = p.value("text", "");
    echoes += text.find("Asked the warehouse") != std::string::npos ||
              text.find("photo of the label") != std::string::npos;
  }
  CHECK(echoes == 0);  // a note written in the thread is not posted back into it
  CHECK(env.slack.Posts().size() == posts + 2);  // the reply confirmation and the refusal

  std::string show = Show(env, "1");
  CHECK(show.find("note by <@U0BOB>\n> Asked the warehouse &amp; waiting") != std::string::npos);
  CHECK(show.find("note by <@U0BOB>\n> photo of the label") != std::string::npos);
  CHECK(show.find("from a bot") == std::string::npos);
  CHECK(show.find("an edit") == std::string::npos);
  CHECK(show.find("top level") == std::string::npos);
  CHECK(show.find("from outside") == std::string::npos);
}

TEST_CASE("Slack events are handled once: a retried event_id changes nothing") {
  E2eEnv env;
  const std::string ts = StartConversation(env);
  json reply = E2eEnv::ThreadMessageEvent("EvR1", ts, "reply: On its way");
  json note = E2eEnv::ThreadMessageEvent("EvN1", ts, "internal: courier called");
  for (int i = 0; i < 3; ++i) {
    CHECK(env.SlackEvent(reply).response.status == 200);
    CHECK(env.SlackEvent(note).response.status == 200);
  }
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  WaitForPost(env, "Reply by <@U0STAFF> posted on");
  // What is stored is what counts: one reply and one note, whatever the timing of delivery.
  std::string show = Show(env, "1");
  auto count = [&](const std::string& needle) {
    int n = 0;
    for (auto at = show.find(needle); at != std::string::npos; at = show.find(needle, at + 1)) ++n;
    return n;
  };
  CHECK(count("On its way") == 1);
  CHECK(count("internal: courier called") == 1);
  CHECK(env.receiver.Count("/replies") == 1);
}

TEST_CASE(
    "Slack interactions and events refuse bad signatures, stale timestamps, other workspaces and "
    "garbage") {
  E2eEnv env;
  const std::string ts = StartConversation(env);
  CHECK(env.SlackEvent(E2eEnv::ThreadMessageEvent("Ev1", ts, "reply: hi"), "wrong-secret")
            .response.status == 401);
  CHECK(env.SlackInteraction(ViewSubmission("1", "hi"), "wrong-secret").response.status == 401);

  json other = E2eEnv::ThreadMessageEvent("Ev2", ts, "reply: hi");
  other["team_id"] = "T0OTHER";
  auto refused = env.SlackEvent(other);
  CHECK(refused.response.status == 403);
  CHECK(refused.response.Header("X-Slack-No-Retry") == "1");
  json other_click = ViewSubmission("1", "hi");
  other_click["team"] = {{"id", "T0OTHER"}};
  CHECK(env.SlackInteraction(other_click).response.status == 403);
  json foreign_member = ViewSubmission("1", "hi");
  foreign_member["user"] = {{"id", "U0EXT"}, {"team_id", "T0OTHER"}};
  CHECK(env.SlackInteraction(foreign_member).response.status == 403);

  auto signed_event = [&](const std::string& body, std::int64_t age_seconds) {
    HttpRequest req;
    req.url = env.base_url() + "/chat/slack/events";
    const std::string t = std::to_string(env.clock.NowSeconds() - age_seconds);
    req.headers = {{"X-Slack-Request-Timestamp", t},
                   {"X-Slack-Signature", security::SignSlackV0(kSigningSecret, t, body)}};
    req.body = body;
    return env.Send(req).response.status;
  };
  // Stale: correctly signed six minutes ago (the window is five).
  CHECK(signed_event(E2eEnv::ThreadMessageEvent("Ev3", ts, "reply: hi").dump(), 6 * 60) == 401);
  // Signed but not what Slack sends.
  for (const std::string body : {"{\"type\":\"event_callback\",", "[1,2]", "\"text\""}) {
    CHECK(signed_event(body, 0) == 400);
  }
  json no_event = {
      {"type", "event_callback"}, {"team_id", kTeam}, {"event_id", "Ev4"}, {"event", "text"}};
  CHECK(env.SlackEvent(no_event).response.status == 400);
  json wrong_types = E2eEnv::ThreadMessageEvent("Ev5", ts, "reply: hi");
  wrong_types["event"]["thread_ts"] =
      12345;  // a number where Slack sends a string: not a thread message
  CHECK(env.SlackEvent(wrong_types).response.status == 200);
  CHECK(
      env.SlackInteraction(json{{"type", "block_actions"}, {"actions", "none"}}).response.status ==
      400);
  CHECK(env.SlackInteraction(json{{"type", "block_actions"}, {"user", {{"id", 7}}}})
            .response.status == 400);
  CHECK(env.SlackInteraction(json{{"type", "shortcut"}}).response.status == 200);

  HttpRequest not_json;
  not_json.url = env.base_url() + "/chat/slack/interactions";
  not_json.content_type = "application/x-www-form-urlencoded";
  const std::string t = std::to_string(env.clock.NowSeconds());
  not_json.body = "payload=%7B%22type";
  not_json.headers = {
      {"X-Slack-Request-Timestamp", t},
      {"X-Slack-Signature", security::SignSlackV0(kSigningSecret, t, not_json.body)}};
  CHECK(env.Send(not_json).response.status == 400);

  // Nothing of the above reached the customer or the conversation.
  REQUIRE(env.WaitDrained());
  CHECK(env.receiver.Count("/replies") == 0);
  CHECK(Show(env, "1").find("hi") == std::string::npos);
}

}  // namespace duplex::test

namespace duplex::test {

namespace {

// The same Slack message as `message_event`, delivered as app_mention (its own event_id).
json AsAppMention(json message_event, const std::string& event_id) {
  message_event["event_id"] = event_id;
  message_event["event"]["type"] = "app_mention";
  message_event["event"].erase("channel_type");
  return message_event;
}

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "Slack @duplex in a conversation's thread: a note, or with reply: a reply, once although Slack "
    "sends message and app_mention") {
  E2eEnv env;
  const std::string ts = StartConversation(env);
  const std::string mention = std::string("<@") + kBotUser + ">";

  // message first, then app_mention, then both again (retries): one note, without the @duplex.
  json note =
      E2eEnv::ThreadMessageEvent("EvM1", ts, mention + " courier called, parcel at depot", "U0BOB");
  json note_mention = AsAppMention(note, "EvA1");
  for (int i = 0; i < 2; ++i) {
    CHECK(env.SlackEvent(note).response.status == 200);
    CHECK(env.SlackEvent(note_mention).response.status == 200);
  }
  // app_mention first this time: "reply:" after the mention answers the customer, once.
  json reply = E2eEnv::ThreadMessageEvent("EvM2", ts, mention + " reply: On its way!");
  CHECK(env.SlackEvent(AsAppMention(reply, "EvA2")).response.status == 200);
  CHECK(env.SlackEvent(reply).response.status == 200);
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  WaitForPost(env, "Reply by <@U0STAFF> posted on");
  CHECK(json::parse(env.receiver.Requests("/replies")[0].body)["text"] == "On its way!");

  const std::string show = Show(env, "1");
  CHECK(Count(show, "courier called, parcel at depot") == 1);
  CHECK(show.find("note by <@U0BOB>\n> courier called") !=
        std::string::npos);  // no "@duplex" in it
  CHECK(Count(show, "On its way!") == 1);
  CHECK(env.receiver.Count("/replies") == 1);
  CHECK(env.slack.Ephemerals().empty());
}

TEST_CASE("Slack @duplex outside a conversation's thread gets one short private answer") {
  E2eEnv env;
  StartConversation(env);
  json top =
      E2eEnv::ThreadMessageEvent("EvM1", "", std::string("<@") + kBotUser + "> hello?", "U0BOB");
  top["event"].erase("thread_ts");
  json top_mention = AsAppMention(top, "EvA1");
  CHECK(env.SlackEvent(top).response.status == 200);  // a top-level message: not duplex's
  for (int i = 0; i < 2; ++i) CHECK(env.SlackEvent(top_mention).response.status == 200);
  REQUIRE(WaitUntil([&] { return env.slack.Ephemerals().size() == 1; }));
  json answer = env.slack.Ephemerals()[0];
  CHECK(answer["channel"] == kDefaultChannel);
  CHECK(answer["user"] == "U0BOB");
  CHECK_FALSE(answer.contains("thread_ts"));
  CHECK(answer["text"].get<std::string>().find("/duplex help") != std::string::npos);
  CHECK(env.slack.server.Requests("/api/chat.postEphemeral")[0].Header("Authorization") ==
        std::string("Bearer ") + kBotToken);

  // In a thread duplex did not start: the answer goes to that thread.
  json foreign = AsAppMention(
      E2eEnv::ThreadMessageEvent("EvM2", "1600000000.000001", "<@U0DUPLEX> hi"), "EvA2");
  CHECK(env.SlackEvent(foreign).response.status == 200);
  REQUIRE(WaitUntil([&] { return env.slack.Ephemerals().size() == 2; }));
  CHECK(env.slack.Ephemerals()[1]["thread_ts"] == "1600000000.000001");
  CHECK(env.receiver.Count("/replies") == 0);
  CHECK(Show(env, "1").find("hello?") == std::string::npos);
}

TEST_CASE(
    "Slack: a person staff mention in a reply reaches the customer by name, looked up once for two "
    "replies") {
  E2eEnv env;
  const std::string ts = StartConversation(env);
  env.slack.AddUser("U0ANA", "Ana", "Ana Lopez");
  env.slack.AddUser("U0BOB", "", "Bob Stone");
  auto r = env.SlackCommand(
      "reply 1 <@U0ANA|ana> and <@U0BOB> will call you, <!here> <#C0OPS|ops>. <@U0NOBODY> knows.");
  REQUIRE(r.ok());
  CHECK(json::parse(r.response.body)["text"].get<std::string>().find("Queued reply") !=
        std::string::npos);
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  CHECK(json::parse(env.receiver.Requests("/replies")[0].body)["text"] ==
        "ana and Bob Stone will call you, here ops. knows.");
  // The thread confirmation shows what the customer got.
  WaitForPost(env, "Bob Stone will call you");

  REQUIRE(env.SlackEvent(E2eEnv::ThreadMessageEvent("EvR2", ts, "reply: <@U0BOB> again"))
              .response.status == 200);
  REQUIRE(env.receiver.WaitForCount("/replies", 2));
  CHECK(json::parse(env.receiver.Requests("/replies")[1].body)["text"] == "Bob Stone again");
  auto lookups = env.slack.server.Requests("/api/users.info");
  std::vector<std::string> asked;
  for (const auto& l : lookups) asked.push_back(l.Param("user"));
  CHECK(asked == std::vector<std::string>{"U0BOB", "U0NOBODY"});  // U0BOB once for both replies
  CHECK(lookups[0].Header("Authorization") == std::string("Bearer ") + kBotToken);
}

}  // namespace duplex::test
