// Telegram end to end: the real App, a fake Slack and a fake Bot API on loopback.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "storage/store.h"
#include "support/e2e_env.h"

namespace duplex::test {
namespace {

using nlohmann::json;

constexpr const char* kTgToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
constexpr const char* kTgSecret = "duplex_Webhook-secret_42";
const std::string kSendPath = std::string("/bot") + kTgToken + "/sendMessage";

json TelegramPatch(const std::string& api_base, bool with_username = true) {
  json tg = {{"bot_token", kTgToken}, {"secret_token", kTgSecret}, {"api_base", api_base}};
  if (with_username) tg["bot_username"] = "acme_help_bot";
  return {{"platforms", {{"telegram", tg}}}};
}

HttpResult PostUpdate(E2eEnv& env, const json& update, const std::string& secret = kTgSecret) {
  HttpRequest req;
  req.url = env.base_url() + "/webhooks/telegram";
  req.body = update.dump();
  req.headers = {{"X-Telegram-Bot-Api-Secret-Token", secret}};
  return env.Send(req);
}

// A supergroup message from Bruno that mentions the bot after an emoji (UTF-16 offset 8).
json GroupMention(std::int64_t update_id, std::int64_t message_id) {
  return {
      {"update_id", update_id},
      {"message",
       {{"message_id", message_id},
        {"from",
         {{"id", 700100200}, {"is_bot", false}, {"first_name", "Bruno"}, {"username", "bruno_tg"}}},
        {"chat",
         {{"id", -1001234567890LL},
          {"title", "Acme Community"},
          {"username", "acme_community"},
          {"type", "supergroup"}}},
        {"date", 1715682100},
        {"text", "👋🏽 hi @acme_help_bot — is there an outage in Porto?"},
        {"entities", {{{"offset", 8}, {"length", 14}, {"type", "mention"}}}}}}};
}

json PrivateMessage(std::int64_t update_id, const std::string& text) {
  return {{"update_id", update_id},
          {"message",
           {{"message_id", 4120},
            {"from",
             {{"id", 532178901},
              {"is_bot", false},
              {"first_name", "Ana"},
              {"username", "ana_customer"}}},
            {"chat",
             {{"id", 532178901},
              {"first_name", "Ana"},
              {"username", "ana_customer"},
              {"type", "private"}}},
            {"date", 1715682000},
            {"text", text}}}};
}

FakeAnswer Sent(std::int64_t message_id) {
  return FakeAnswer{
      200,
      json{{"ok", true}, {"result", {{"message_id", message_id}, {"date", 1715682700}}}}.dump()};
}

bool Contains(const json& post, const std::string& needle) {
  return post.dump().find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "Telegram: a group mention reaches Slack, /duplex reply sends one sendMessage, the thread "
    "shows its link") {
  FakeHttpServer tg;
  tg.On(kSendPath, [](const RecordedRequest&) { return Sent(102); });
  E2eEnv env(TelegramPatch(tg.url()));

  auto r = PostUpdate(env, GroupMention(804215334, 88));
  REQUIRE(r.ok());
  CHECK(r.response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  json root = env.slack.Posts()[0];
  CHECK(root["text"].get<std::string>().find("#1 · Telegram mention") != std::string::npos);
  CHECK(Contains(root, "Bruno (@bruno_tg)"));
  CHECK(Contains(root["blocks"], "https://t.me/acme_community/88"));

  REQUIRE(env.SlackCommand("reply 1 No outage: please restart the router").response.status == 200);
  REQUIRE(tg.WaitForCount(kSendPath, 1));
  auto sent = tg.Requests(kSendPath)[0];
  CHECK(sent.method == "POST");
  CHECK(json::parse(sent.body) ==
        json{{"chat_id", -1001234567890LL},
             {"text", "No outage: please restart the router"},
             {"reply_parameters", {{"message_id", 88}, {"allow_sending_without_reply", true}}}});
  REQUIRE(env.slack.WaitForPosts(2));
  json confirmation = env.slack.Posts()[1];
  CHECK(confirmation["thread_ts"] == root["_ts"]);
  CHECK(Contains(confirmation, "posted on Telegram"));
  CHECK(Contains(confirmation, "https://t.me/acme_community/102"));

  // Bruno answers the bot's reply: same conversation, same Slack thread.
  json answer = GroupMention(804215340, 103);
  answer["message"]["text"] = "Restarted, still red";
  answer["message"].erase("entities");
  answer["message"]["reply_to_message"] = {
      {"message_id", 102},
      {"from", {{"id", 123456789}, {"is_bot", true}, {"first_name", "Acme Help"}}},
      {"chat", {{"id", -1001234567890LL}, {"type", "supergroup"}}},
      {"date", 1715682700},
      {"text", "No outage"}};
  REQUIRE(PostUpdate(env, answer).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(3));
  CHECK(env.slack.Posts()[2]["thread_ts"] == root["_ts"]);
  REQUIRE(env.WaitDrained());
  CHECK(tg.Count() == 1);
}

TEST_CASE("Telegram: a private chat is one conversation, answered in that chat") {
  FakeHttpServer tg;
  tg.On(kSendPath, [](const RecordedRequest&) { return Sent(4122); });
  E2eEnv env(TelegramPatch(tg.url()));
  REQUIRE(
      PostUpdate(env, PrivateMessage(804215333, "My router shows a red light")).response.status ==
      200);
  json second = PrivateMessage(804215339, "…and the app says offline");
  second["message"]["message_id"] = 4121;
  REQUIRE(PostUpdate(env, second).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(Contains(env.slack.Posts()[0], "Telegram dm"));
  CHECK(env.slack.Posts()[1]["thread_ts"] == env.slack.Posts()[0]["_ts"]);
  REQUIRE(env.SlackCommand("reply 1 Let's fix it together").response.status == 200);
  REQUIRE(tg.WaitForCount(kSendPath, 1));
  json body = json::parse(tg.Requests(kSendPath)[0].body);
  CHECK(body["chat_id"] == 532178901);
  CHECK(body["reply_parameters"]["message_id"] == 4121);  // the customer's last message
  REQUIRE(env.slack.WaitForPosts(3));
  CHECK(Contains(env.slack.Posts()[2], "posted on Telegram"));
}

TEST_CASE(
    "Telegram: an edit shares its message's id and is posted as an edit, while the message itself "
    "under a new update_id is a duplicate") {
  FakeHttpServer tg;
  E2eEnv env(TelegramPatch(tg.url()));
  const json original = PrivateMessage(804215333, "My router shows a red light");
  REQUIRE(PostUpdate(env, original).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  json edit = {{"update_id", 804215334}, {"edited_message", original["message"]}};
  edit["edited_message"]["text"] = "My router shows a blinking red light";
  edit["edited_message"]["edit_date"] = 1715682060;
  auto edited = PostUpdate(env, edit);
  REQUIRE(edited.response.status == 200);
  CHECK(json::parse(edited.response.body)["accepted"] == 1);
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(Contains(env.slack.Posts()[1], "✏️ edited: My router shows a blinking red light"));
  CHECK(env.slack.Posts()[1]["thread_ts"] == env.slack.Posts()[0]["_ts"]);

  json replay = original;
  replay["update_id"] = 804215399;
  auto again = PostUpdate(env, replay);
  REQUIRE(again.response.status == 200);
  CHECK(json::parse(again.response.body)["duplicates"] == 1);
  CHECK(env.app().store().ListMessages(1)->size() == 2);
}

TEST_CASE("Telegram: a 429 is retried after retry_after and the reply is sent once") {
  FakeHttpServer tg;
  tg.On(kSendPath, [](const RecordedRequest&) { return Sent(4122); });
  E2eEnv env(TelegramPatch(tg.url()));
  REQUIRE(PostUpdate(env, PrivateMessage(804215333, "hello")).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  tg.Script(
      kSendPath,
      FakeAnswer{
          429,
          R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}})"});
  auto start = std::chrono::steady_clock::now();
  REQUIRE(env.SlackCommand("reply 1 On it").response.status == 200);
  REQUIRE(tg.WaitForCount(kSendPath, 2, 8000));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(1000));
  REQUIRE(env.slack.WaitForPosts(2));
  REQUIRE(env.WaitDrained());
  CHECK(tg.Count(kSendPath) == 2);
  CHECK(env.slack.Posts().size() == 2);
  CHECK(Contains(env.slack.Posts()[1], "posted on Telegram"));
}

TEST_CASE("Telegram: an answer to a message the customer deleted still arrives") {
  FakeHttpServer tg;
  // Telegram's rule: replying to a missing message is refused unless the request allows
  // sending without the reply.
  tg.On(kSendPath, [](const RecordedRequest& r) {
    json body = json::parse(r.body);
    if (body["reply_parameters"].value("allow_sending_without_reply", false) != true) {
      return FakeAnswer{
          400,
          R"({"ok":false,"error_code":400,"description":"Bad Request: message to be replied not found"})"};
    }
    return Sent(103);
  });
  E2eEnv env(TelegramPatch(tg.url()));
  REQUIRE(PostUpdate(env, GroupMention(804215334, 88)).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.SlackCommand("reply 1 Hi Bruno").response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  json notice = env.slack.Posts()[1];
  CHECK(notice["thread_ts"] == env.slack.Posts()[0]["_ts"]);
  CHECK(Contains(notice, "posted on Telegram"));
  CHECK(tg.Count(kSendPath) == 1);
}

TEST_CASE("Telegram: another refusal ends in a clear message in the thread, not a retry loop") {
  FakeHttpServer tg;
  tg.On(kSendPath, [](const RecordedRequest&) {
    return FakeAnswer{
        403,
        R"({"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the supergroup chat"})"};
  });
  E2eEnv env(TelegramPatch(tg.url()));
  REQUIRE(PostUpdate(env, GroupMention(804215334, 88)).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.SlackCommand("reply 1 Hi Bruno").response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  json notice = env.slack.Posts()[1];
  CHECK(Contains(notice, "was NOT posted"));
  CHECK(Contains(notice, "bot was kicked from the supergroup chat"));
  REQUIRE(WaitUntil([&] { return env.app().store().GetOutboxStats()->pending == 0; }));
  CHECK(tg.Count(kSendPath) == 1);
}

TEST_CASE("Telegram: a wrong secret is 401, group chatter is acknowledged and not posted") {
  FakeHttpServer tg;
  E2eEnv env(TelegramPatch(tg.url()));
  CHECK(PostUpdate(env, PrivateMessage(1, "hi"), "wrong-secret").response.status == 401);
  CHECK(PostUpdate(env, PrivateMessage(1, "hi"), "").response.status == 401);
  json chatter = GroupMention(2, 90);
  chatter["message"].erase("entities");
  chatter["message"]["text"] = "anyone else seeing slow downloads?";
  auto r = PostUpdate(env, chatter);
  CHECK(r.response.status == 200);
  CHECK(json::parse(r.response.body)["accepted"] == 0);
  REQUIRE(env.WaitDrained());
  CHECK(env.slack.Posts().empty());
}

TEST_CASE(
    "Telegram: without bot_username the bot asks getMe once — the token never reaches the logs") {
  FakeHttpServer tg;
  const std::string get_me = std::string("/bot") + kTgToken + "/getMe";
  tg.On(get_me, [](const RecordedRequest&) {
    return FakeAnswer{
        200,
        R"({"ok":true,"result":{"id":123456789,"is_bot":true,"first_name":"Acme Help","username":"acme_help_bot"}})"};
  });
  E2eEnv env(TelegramPatch(tg.url(), false));
  REQUIRE(PostUpdate(env, GroupMention(804215334, 88)).response.status == 200);
  REQUIRE(PostUpdate(env, GroupMention(804215335, 89)).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(tg.Count(get_me) == 1);

  // Replies now go to a port nobody listens on: the failure is logged, without the token.
  env.Stop();
  env.config["platforms"]["telegram"]["api_base"] = "http://127.0.0.1:1";
  env.Start();
  REQUIRE(env.SlackCommand("reply 1 hello").response.status == 200);
  REQUIRE(WaitUntil([&] { return env.LogText().find("delivery not done") != std::string::npos; }));
  const std::string log = env.LogText();
  CHECK(log.find("Telegram unreachable") != std::string::npos);
  CHECK(log.find("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw") == std::string::npos);
}

TEST_CASE(
    "Telegram: a group upgraded to a supergroup keeps its conversation — the reply follows it "
    "there") {
  constexpr std::int64_t kOldGroup = -4012345678LL;
  constexpr std::int64_t kSupergroup = -1002233445566LL;
  FakeHttpServer tg;
  auto next_id = std::make_shared<std::atomic<int>>(2);  // the supergroup's message ids
  tg.On(kSendPath, [next_id](const RecordedRequest& r) {
    return Sent(json::parse(r.body)["chat_id"] == kSupergroup ? next_id->fetch_add(1) : 999);
  });
  tg.Script(kSendPath,
            FakeAnswer{400, json{{"ok", false},
                                 {"error_code", 400},
                                 {"description",
                                  "Bad Request: group chat was upgraded to a supergroup chat"},
                                 {"parameters", {{"migrate_to_chat_id", kSupergroup}}}}
                                .dump()});
  E2eEnv env(TelegramPatch(tg.url()));
  json mention = GroupMention(804217000, 305);
  mention["message"]["chat"] = {
      {"id", kOldGroup}, {"title", "Acme Beta Testers"}, {"type", "group"}};
  mention["message"]["text"] = "@acme_help_bot the beta app logs me out";
  mention["message"]["entities"] = {{{"offset", 0}, {"length", 14}, {"type", "mention"}}};
  REQUIRE(PostUpdate(env, mention).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  const json root = env.slack.Posts()[0];

  REQUIRE(env.SlackCommand("reply 1 Fixed in beta 7").response.status == 200);
  REQUIRE(tg.WaitForCount(kSendPath, 2));
  auto sent = tg.Requests(kSendPath);
  CHECK(json::parse(sent[0].body)["chat_id"] == kOldGroup);
  // Sent again at once to the supergroup, where the old message does not exist.
  CHECK(json::parse(sent[1].body) == json{{"chat_id", kSupergroup}, {"text", "Fixed in beta 7"}});
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(env.slack.Posts()[1]["thread_ts"] == root["_ts"]);
  CHECK(Contains(env.slack.Posts()[1], "posted on Telegram"));

  // After a restart (nothing remembered in memory) another reply to the old message goes
  // straight to the supergroup: its new target was stored with the message.
  env.Restart();
  REQUIRE(env.SlackCommand("reply 1 Please send us the app log").response.status == 200);
  REQUIRE(tg.WaitForCount(kSendPath, 3));
  CHECK(json::parse(tg.Requests(kSendPath)[2].body)["chat_id"] == kSupergroup);
  REQUIRE(env.slack.WaitForPosts(3));
  CHECK(tg.Count(kSendPath) == 3);

  // Bruno answers the bot's message in the supergroup: the same conversation.
  json answer = GroupMention(804217010, 4);  // after our replies, 2 and 3
  answer["message"]["chat"] = {
      {"id", kSupergroup}, {"title", "Acme Beta Testers"}, {"type", "supergroup"}};
  answer["message"]["text"] = "Still logged out after the update";
  answer["message"].erase("entities");
  answer["message"]["reply_to_message"] = {
      {"message_id", 2},
      {"from", {{"id", 123456789}, {"is_bot", true}, {"first_name", "Acme Help"}}},
      {"chat", answer["message"]["chat"]},
      {"date", 1715690100},
      {"text", "Fixed in beta 7"}};
  auto answered = PostUpdate(env, answer);
  REQUIRE(answered.response.status == 200);
  CHECK(json::parse(answered.response.body)["accepted"] == 1);
  REQUIRE(env.slack.WaitForPosts(4));
  CHECK(env.slack.Posts()[3]["thread_ts"] == root["_ts"]);
  CHECK(env.app().store().GetConversation(2)->has_value() == false);
}

TEST_CASE(
    "Telegram: a photo without a caption says what was sent, and its edit is shown as an edit") {
  FakeHttpServer tg;
  E2eEnv env(TelegramPatch(tg.url()));
  json photo = PrivateMessage(804216001, "");
  photo["message"].erase("text");
  photo["message"]["photo"] = {{{"file_id", "AgACAgQAAxkBAAIBZ2Y"},
                                {"file_unique_id", "AQADx7kxG"},
                                {"width", 1280},
                                {"height", 960}}};
  REQUIRE(PostUpdate(env, photo).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  CHECK(Contains(env.slack.Posts()[0], "[photo]"));
  REQUIRE(env.SlackCommand("close 1").response.status == 200);
  const std::string ts = env.slack.Posts()[0]["_ts"];
  REQUIRE(env.slack.WaitForUpdate(ts, "Closed"));
  REQUIRE(WaitUntil([&] { return env.app().store().GetOutboxStats()->pending == 0; }));
  const std::size_t posts = env.slack.Posts().size();  // the card and the close notice

  json edit = {{"update_id", 804216002}, {"edited_message", photo["message"]}};
  edit["edited_message"]["caption"] = "The router's lights";
  edit["edited_message"]["edit_date"] = 1715683100;
  REQUIRE(PostUpdate(env, edit).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(posts + 1));
  CHECK(Contains(env.slack.Posts()[posts], "✏️ edited: [photo] The router's lights"));
  CHECK(env.slack.Posts()[posts]["thread_ts"] == ts);
  REQUIRE(WaitUntil([&] { return env.app().store().GetOutboxStats()->pending == 0; }));
  CHECK((*env.app().store().GetConversation(1))->state == ConversationState::kClosed);
}

}  // namespace duplex::test
