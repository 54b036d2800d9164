// The Telegram connector: secret-token check, which updates become mentions (UTF-16 entity
// offsets included), sendMessage replies and how Telegram's answers map onto outcomes.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "platforms/telegram/telegram_connector.h"
#include "platforms/telegram/telegram_media.h"
#include "platforms/telegram/utf16.h"
#include "support/fakes.h"
#include "support/test_util.h"

namespace duplex {
namespace {

using nlohmann::json;
using test::FakeHttpClient;

constexpr const char* kToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
constexpr const char* kSecret = "duplex_Webhook-secret_42";
constexpr UnixMs kNow = 1'715'682'000'000;

std::string Fixture(const std::string& name) {
  return test::ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/telegram/" + name);
}

json Config() {
  return {{"bot_token", kToken},
          {"secret_token", kSecret},
          {"api_base", "https://tg.test"},
          {"bot_username", "acme_help_bot"}};
}

std::unique_ptr<PlatformConnector> Make(const json& config = Config(), HttpClient* http = nullptr,
                                        std::vector<std::string>* errors_out = nullptr) {
  std::vector<std::string> errors;
  auto c = MakeTelegramConnector(config, "platforms.telegram", errors, http);
  if (errors_out) *errors_out = errors;
  return c;
}

InboundRequest Update(const std::string& body, const std::string& secret = kSecret) {
  InboundRequest r;
  r.method = "POST";
  r.path = "/webhooks/telegram";
  r.body = body;
  if (!secret.empty()) r.headers = {{"X-Telegram-Bot-Api-Secret-Token", secret}};
  r.now = kNow;
  return r;
}

std::vector<Mention> ParseOk(const PlatformConnector& c, const std::string& body) {
  auto parsed = c.Parse(Update(body));
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().message());
  return parsed->mentions;
}

std::string ParseError(const PlatformConnector& c, const std::string& body) {
  auto parsed = c.Parse(Update(body));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
  return parsed.status().message();
}

ReplyRequest Reply(json target, const std::string& text = "Please restart the router.") {
  ReplyRequest r;
  r.delivery_id = 3;
  r.reply_target = target.dump();
  r.text = text;
  r.account = "123456789";
  r.now = kNow;
  return r;
}

const json kGroupTarget = {
    {"chat_id", -1001234567890LL}, {"message_id", 88}, {"chat_username", "acme_community"}};

}  // namespace

TEST_CASE("UTF-16 slices follow Telegram's units: emoji are two, pairs are never split") {
  const std::string s = "👋🏽 hi @bot é";
  CHECK(telegram::Utf16Length(s) == 14);
  CHECK(telegram::Utf16Slice(s, 8, 4) == "@bot");
  CHECK(telegram::Utf16Slice(s, 0, 2) == "👋");
  CHECK(telegram::Utf16Slice(s, 13, 1) == "é");
  CHECK(telegram::Utf16Slice(s, 14, 0) == "");
  CHECK_FALSE(telegram::Utf16Slice(s, 1, 2).has_value());   // starts inside a pair
  CHECK_FALSE(telegram::Utf16Slice(s, 0, 1).has_value());   // ends inside a pair
  CHECK_FALSE(telegram::Utf16Slice(s, 13, 2).has_value());  // runs past the end
  CHECK_FALSE(telegram::Utf16Slice(s, -1, 2).has_value());
  CHECK_FALSE(telegram::Utf16Slice(s, 2, -1).has_value());
  CHECK(telegram::Utf16Length("日本") == 2);
}

TEST_CASE("Telegram config: the token's shape, the secret_token's alphabet and length") {
  std::vector<std::string> errors;
  CHECK(Make(Config(), nullptr, &errors));
  CHECK(errors.empty());
  SUBCASE("both keys are required") {
    CHECK_FALSE(Make(json::object(), nullptr, &errors));
    REQUIRE(errors.size() == 2);
    CHECK(errors[0] == "platforms.telegram.bot_token: required");
    CHECK(errors[1] == "platforms.telegram.secret_token: required");
  }
  SUBCASE("a token that is not <id>:<secret>") {
    json c = Config();
    c["bot_token"] = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
    CHECK_FALSE(Make(c, nullptr, &errors));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("platforms.telegram.bot_token: must look like") == 0);
    CHECK(errors[0].find("AAHdq") == std::string::npos);  // never echo the secret
  }
  SUBCASE("secret_token characters and length") {
    json c = Config();
    c["secret_token"] = "has space";
    CHECK_FALSE(Make(c, nullptr, &errors));
    CHECK(errors[0].find("platforms.telegram.secret_token") == 0);
    c["secret_token"] = std::string(257, 'a');
    CHECK_FALSE(Make(c, nullptr, &errors));
    c["secret_token"] = std::string(256, 'a');
    CHECK(Make(c, nullptr, &errors));
  }
  SUBCASE("bot_username may carry its @") {
    json c = Config();
    c["bot_username"] = "@acme_help_bot";
    auto conn = Make(c);
    REQUIRE(conn);
    CHECK(ParseOk(*conn, Fixture("group_mention_emoji.json")).size() == 1);
  }
}

TEST_CASE("the secret-token header is checked: right, missing, wrong") {
  auto c = Make();
  CHECK(c->Verify(Update("{}")).ok());
  CHECK(c->Verify(Update("{}", "")).code() == StatusCode::kUnauthenticated);
  CHECK(c->Verify(Update("{}", "duplex_Webhook-secret_43")).code() == StatusCode::kUnauthenticated);
  CHECK(c->Verify(Update("{}", std::string(kSecret) + "x")).code() == StatusCode::kUnauthenticated);
}

TEST_CASE("a private message becomes a dm in the chat's conversation") {
  auto c = Make();
  auto mentions = ParseOk(*c, Fixture("private_message.json"));
  REQUIRE(mentions.size() == 1);
  const Mention& m = mentions[0];
  CHECK(m.platform == "telegram");
  CHECK(m.event_id == "804215333");
  CHECK(m.kind == MentionKind::kDm);
  CHECK(m.author.id == "532178901");
  CHECK(m.author.handle == "ana_customer");
  CHECK(m.author.name == "Ana Customer");
  CHECK_FALSE(m.author.followers.has_value());
  CHECK(m.text == "Olá! My router shows a red light since the update. What should I do?");
  CHECK(m.message_id == "532178901:4120");
  CHECK(m.conversation_key == "532178901");
  CHECK(m.permalink.empty());
  CHECK(m.account == "123456789");
  CHECK(json::parse(m.reply_target) == json{{"chat_id", 532178901}, {"message_id", 4120}});
}

TEST_CASE("a group mention is found by its UTF-16 offsets, after emoji") {
  auto c = Make();
  auto mentions = ParseOk(*c, Fixture("group_mention_emoji.json"));
  REQUIRE(mentions.size() == 1);
  const Mention& m = mentions[0];
  CHECK(m.kind == MentionKind::kMention);
  CHECK(m.message_id == "-1001234567890:88");
  CHECK(m.conversation_key == "-1001234567890:88");
  CHECK(m.parent_message_id.empty());
  CHECK(m.author.handle == "bruno_tg");
  CHECK(m.author.name == "Bruno");
  CHECK(m.permalink == "https://t.me/acme_community/88");
  CHECK(json::parse(m.reply_target) == kGroupTarget);

  SUBCASE("the same entity read as bytes or code points would miss: offsets are checked") {
    json body = json::parse(Fixture("group_mention_emoji.json"));
    body["message"]["entities"][0]["offset"] = 6;  // code-point offset of the mention
    CHECK(ParseOk(*c, body.dump()).empty());
  }
}

TEST_CASE("group messages that do not address the bot are ignored") {
  auto c = Make();
  CHECK(ParseOk(*c, Fixture("group_other_mention.json")).empty());
  CHECK(ParseOk(*c, Fixture("group_chatter.json")).empty());
}

TEST_CASE("a reply to the bot's message is a mention that joins the replied-to conversation") {
  auto c = Make();
  auto mentions = ParseOk(*c, Fixture("group_reply_to_bot.json"));
  REQUIRE(mentions.size() == 1);
  CHECK(mentions[0].kind == MentionKind::kMention);
  CHECK(mentions[0].text == "Restarted, still red");
  CHECK(mentions[0].parent_message_id == "-1001234567890:91");
  CHECK(mentions[0].conversation_key == "-1001234567890:95");

  SUBCASE("a reply to someone else is not addressed to us") {
    json body = json::parse(Fixture("group_reply_to_bot.json"));
    body["message"]["reply_to_message"]["from"] = {
        {"id", 700100201}, {"is_bot", false}, {"first_name", "Carla"}};
    CHECK(ParseOk(*c, body.dump()).empty());
  }
}

TEST_CASE("captions, /command@bot and text_mention address the bot — forum topics are kept") {
  auto c = Make();
  json updates = json::parse(Fixture("caption_and_command.json"));
  std::vector<Mention> all;
  for (const auto& u : updates) {
    auto m = ParseOk(*c, u.dump());
    all.insert(all.end(), m.begin(), m.end());
  }
  REQUIRE(all.size() == 4);
  CHECK(all[0].text == "[photo] Is this cable right? @ACME_HELP_BOT");
  CHECK(all[0].permalink == "https://t.me/c/5550001111/99");  // private supergroup: members' link
  CHECK(all[1].text == "/status@acme_help_bot");
  CHECK(all[1].permalink.empty());  // a basic group has no links
  CHECK(all[2].text == "Help bot, the app crashes on start");
  CHECK(json::parse(all[3].reply_target)["message_thread_id"] == 5);
}

TEST_CASE("an edit is its own event in the original message's conversation, marked as edited") {
  auto c = Make();
  auto original = ParseOk(*c, Fixture("group_mention_emoji.json"));
  auto edit = ParseOk(*c, Fixture("edited_message.json"));
  REQUIRE(edit.size() == 1);
  // Each version once, whatever update carries it: the message and its edit_date.
  CHECK(edit[0].event_id == "-1001234567890:88@edit:1715682160");
  CHECK(edit[0].message_id == original[0].message_id);
  CHECK(edit[0].edited);
  CHECK_FALSE(original[0].edited);
  CHECK(edit[0].conversation_key == original[0].conversation_key);
  CHECK(edit[0].text ==
        "✏️ edited: 👋🏽 hi @acme_help_bot — is there an outage in Porto or Braga? 🙏");
  json again = json::parse(Fixture("edited_message.json"));
  again["update_id"] = 804215399;
  CHECK(ParseOk(*c, again.dump())[0].event_id == edit[0].event_id);

  SUBCASE("an edit in a private chat") {
    json body = json::parse(Fixture("private_message.json"));
    body["edited_message"] = body["message"];
    body.erase("message");
    auto m = ParseOk(*c, body.dump());
    REQUIRE(m.size() == 1);
    CHECK(m[0].conversation_key == "532178901");
    CHECK(m[0].text.rfind("✏️ edited: Olá!", 0) == 0);
  }
  SUBCASE("a live location moving is not an edit anyone wrote") {
    json body = json::parse(Fixture("media.json"))[8];  // a location
    body["edited_message"] = body["message"];
    body["edited_message"]["location"]["live_period"] = 900;
    body["edited_message"]["edit_date"] = 1715683100;
    body.erase("message");
    CHECK(ParseOk(*c, body.dump()).empty());
  }
}

TEST_CASE("attachments without text say what was sent, with the caption when there is one") {
  auto c = Make();
  std::vector<std::string> texts;
  for (const auto& u : json::parse(Fixture("media.json"))) {
    auto m = ParseOk(*c, u.dump());
    REQUIRE_MESSAGE(m.size() == 1, u.dump());
    CHECK(m[0].kind == MentionKind::kDm);
    texts.push_back(m[0].text);
  }
  CHECK(texts == std::vector<std::string>{
                     "[photo]",
                     "[photo] The light is red since Monday",
                     "[document: invoice.pdf]",
                     "[voice message 0:07]",
                     "[video 0:12]",
                     "[sticker 😢]",
                     "[audio: Acme Support – Hold music 3:25]",
                     "[video message 0:05]",
                     "[location 38.72225, -9.13934]",
                     "[contact: Rui Tech +351912345678]",
                     "[poll: Which router do you have? (AX3000 / AX6000)]",
                     "[GIF 0:03]",
                     "[venue: Acme Store Chiado, Rua Garrett 12, Lisboa]",
                 });
  CHECK(telegram::FormatDuration(3723) == "1:02:03");
  CHECK(telegram::FormatDuration(0) == "0:00");

  SUBCASE("in a group, a photo answering the bot is a mention; one nobody addressed is not") {
    json photo = json::parse(Fixture("media.json"))[0];
    photo["message"]["chat"] = {
        {"id", -1001234567890LL}, {"title", "Acme Community"}, {"type", "supergroup"}};
    CHECK(ParseOk(*c, photo.dump()).empty());
    photo["message"]["reply_to_message"] = {
        {"message_id", 91},
        {"from", {{"id", 123456789}, {"is_bot", true}, {"first_name", "Acme Help"}}},
        {"chat", photo["message"]["chat"]},
        {"date", 1715682700},
        {"text", "Can you send a photo?"}};
    auto m = ParseOk(*c, photo.dump());
    REQUIRE(m.size() == 1);
    CHECK(m[0].text == "[photo]");
    CHECK(m[0].parent_message_id == "-1001234567890:91");
  }
  SUBCASE("a caption's mention is found by the caption's own offsets") {
    json photo = json::parse(Fixture("media.json"))[1];
    photo["message"]["chat"] = {
        {"id", -1001234567890LL}, {"title", "Acme Community"}, {"type", "supergroup"}};
    photo["message"]["caption"] = "@acme_help_bot red light";
    photo["message"]["caption_entities"] = {{{"offset", 0}, {"length", 14}, {"type", "mention"}}};
    auto m = ParseOk(*c, photo.dump());
    REQUIRE(m.size() == 1);
    CHECK(m[0].text == "[photo] @acme_help_bot red light");
  }
}

TEST_CASE("a group's upgrade to a supergroup, announced in either chat, moves replies there") {
  for (int which : {0, 1}) {
    CAPTURE(which);
    auto c = Make();
    FakeHttpClient http;
    CHECK(ParseOk(*c, json::parse(Fixture("supergroup_migration.json"))[which].dump()).empty());
    http.PushStatus(200, R"({"ok":true,"result":{"message_id":2}})");
    DeliveryOutcome o =
        c->SendReply(Reply({{"chat_id", -4012345678LL}, {"message_id", 305}}), http);
    CHECK(o.kind == OutcomeKind::kDone);
    REQUIRE(http.requests().size() == 1);
    CHECK(json::parse(http.requests()[0].body) ==
          json{{"chat_id", -1002233445566LL}, {"text", "Please restart the router."}});
    CHECK(json::parse(o.new_reply_target) == json{{"chat_id", -1002233445566LL}});
  }
  auto c = Make();
  json bad = json::parse(Fixture("supergroup_migration.json"))[0];
  bad["message"]["migrate_to_chat_id"] = "-1002233445566";
  CHECK(ParseError(*c, bad.dump()) == "body.message.migrate_to_chat_id must be an integer");
}

TEST_CASE(
    "channel posts, other bots, unaddressed group stickers, joins, callbacks and bare commands are "
    "ignored") {
  auto c = Make();
  for (const auto& u : json::parse(Fixture("ignored_updates.json"))) {
    INFO(u.dump());
    CHECK(ParseOk(*c, u.dump()).empty());
  }
}

TEST_CASE("malformed Telegram updates are refused with a reason naming the field") {
  auto c = Make();
  const std::string good = Fixture("private_message.json");
  CHECK(ParseError(*c, good.substr(0, 40)).find("invalid JSON") != std::string::npos);
  CHECK(ParseError(*c, "\"update\"") == "body must be a JSON object");
  CHECK(ParseError(*c, R"({"message":{}})") == "body.update_id is required");
  CHECK(ParseError(*c, R"({"update_id":"804215333"})") == "body.update_id must be an integer");
  CHECK(ParseError(*c, R"({"update_id":1,"message":[]})") == "body.message must be an object");
  json body = json::parse(good);
  auto with = [&](const std::function<void(json&)>& change, json base) {
    change(base);
    return ParseError(*c, base.dump());
  };
  CHECK(with([](json& b) { b["message"].erase("chat"); }, body) ==
        "body.message.chat must be an object");
  CHECK(with([](json& b) { b["message"]["chat"]["id"] = "532178901"; }, body) ==
        "body.message.chat.id must be an integer");
  CHECK(with([](json& b) { b["message"].erase("message_id"); }, body) ==
        "body.message.message_id is required");
  CHECK(with([](json& b) { b["message"]["text"] = 5; }, body) ==
        "body.message.text must be a string");
  CHECK(with([](json& b) { b["message"]["from"]["is_bot"] = "no"; }, body) ==
        "body.message.from.is_bot must be true or false");
  json group = json::parse(Fixture("group_mention_emoji.json"));
  CHECK(with([](json& b) { b["message"]["entities"] = "mention"; }, group) ==
        "body.message.entities must be an array");
  CHECK(with([](json& b) { b["message"]["entities"][0]["offset"] = 500; }, group) ==
        "body.message.entities[0] lies outside the text");
  CHECK(with([](json& b) { b["message"]["entities"][0].erase("length"); }, group) ==
        "body.message.entities[0].length is required");
}

TEST_CASE("a 1 MiB private message and an empty entity list are accepted") {
  auto c = Make();
  json body = json::parse(Fixture("private_message.json"));
  const std::string big(1 << 20, 'x');
  body["message"]["text"] = big;
  body["message"]["entities"] = json::array();
  auto m = ParseOk(*c, body.dump());
  REQUIRE(m.size() == 1);
  CHECK(m[0].text == big);
}

TEST_CASE("without bot_username the bot's name is learned from getMe once, and only when needed") {
  json config = Config();
  config.erase("bot_username");
  FakeHttpClient http;
  auto c = Make(config, &http);
  CHECK(ParseOk(*c, Fixture("private_message.json")).size() == 1);
  CHECK(ParseOk(*c, Fixture("group_chatter.json")).empty());
  CHECK(ParseOk(*c, Fixture("group_reply_to_bot.json")).size() == 1);
  CHECK(http.requests().empty());  // none of these needed the name

  SUBCASE("getMe answers") {
    http.PushStatus(
        200,
        R"({"ok":true,"result":{"id":123456789,"is_bot":true,"first_name":"Acme Help","username":"acme_help_bot","can_join_groups":true}})");
    CHECK(ParseOk(*c, Fixture("group_mention_emoji.json")).size() == 1);
    CHECK(ParseOk(*c, Fixture("group_other_mention.json")).empty());
    auto reqs = http.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == "GET");
    CHECK(reqs[0].url == std::string("https://tg.test/bot") + kToken + "/getMe");
  }
  SUBCASE("getMe fails: 503, so Telegram sends the update again") {
    http.PushError(TransportError::kNotSent,
                   std::string("could not connect to https://tg.test/bot") + kToken);
    auto parsed = c->Parse(Update(Fixture("group_mention_emoji.json")));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == StatusCode::kUnavailable);
    CHECK(parsed.status().message().find("bot_username") != std::string::npos);
  }
}

TEST_CASE("a reply is sendMessage to the chat, in reply to the customer's message") {
  auto c = Make();
  FakeHttpClient http;
  http.PushStatus(
      200,
      R"({"ok":true,"result":{"message_id":102,"from":{"id":123456789,"is_bot":true},"chat":{"id":-1001234567890,"type":"supergroup"},"date":1715682700,"text":"Please restart the router."}})");
  DeliveryOutcome o = c->SendReply(Reply(kGroupTarget), http);
  CHECK(o.kind == OutcomeKind::kDone);
  CHECK(o.remote_id == "-1001234567890:102");
  CHECK(o.url == "https://t.me/acme_community/102");
  auto reqs = http.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].url == std::string("https://tg.test/bot") + kToken + "/sendMessage");
  json body = json::parse(reqs[0].body);
  CHECK(body ==
        json{{"chat_id", -1001234567890LL},
             {"text", "Please restart the router."},
             {"reply_parameters", {{"message_id", 88}, {"allow_sending_without_reply", true}}}});
  CHECK(o.new_reply_target.empty());

  SUBCASE("a private chat has no link; a forum topic keeps its thread") {
    http.PushStatus(200, R"({"ok":true,"result":{"message_id":4122}})");
    DeliveryOutcome dm = c->SendReply(Reply({{"chat_id", 532178901}, {"message_id", 4120}}), http);
    CHECK(dm.remote_id == "532178901:4122");
    CHECK(dm.url.empty());
    http.PushStatus(200, R"({"ok":true,"result":{"message_id":8}})");
    c->SendReply(
        Reply({{"chat_id", -1005550002222LL}, {"message_id", 7}, {"message_thread_id", 5}}), http);
    CHECK(json::parse(http.requests().back().body)["message_thread_id"] == 5);
  }
}

TEST_CASE("Telegram errors: 429 waits retry_after, refusals are permanent with the description") {
  auto c = Make();
  FakeHttpClient http;
  SUBCASE("flood control") {
    http.PushStatus(
        429,
        R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}})");
    DeliveryOutcome o = c->SendReply(Reply(kGroupTarget), http);
    CHECK(o.kind == OutcomeKind::kRetry);
    CHECK(o.retry_after_ms == 3000);
  }
  SUBCASE("the customer's message was deleted") {
    http.PushStatus(
        400,
        R"({"ok":false,"error_code":400,"description":"Bad Request: message to be replied not found"})");
    DeliveryOutcome o = c->SendReply(Reply(kGroupTarget), http);
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK_FALSE(o.auth_failure);
    CHECK(o.error ==
          "Telegram refused the reply (HTTP 400): Bad Request: message to be replied not found");
  }
  SUBCASE("the user blocked the bot") {
    http.PushStatus(
        403,
        R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})");
    DeliveryOutcome o = c->SendReply(Reply(kGroupTarget), http);
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK_FALSE(o.auth_failure);
    CHECK(o.error.find("bot was blocked by the user") != std::string::npos);
  }
  SUBCASE("a group that became a supergroup: at once to the new chat, whose target is stored") {
    const json old_group = {{"chat_id", -4012345678LL}, {"message_id", 310}};
    http.PushStatus(
        400,
        R"({"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1002233445566}})");
    DeliveryOutcome o = c->SendReply(Reply(old_group), http);
    CHECK(o.kind == OutcomeKind::kRetry);  // refused, so certainly not posted
    CHECK(o.retry_after_ms == 0);
    CHECK(o.error.find("became a supergroup") != std::string::npos);
    CHECK(json::parse(o.new_reply_target) == json{{"chat_id", -1002233445566LL}});
    // The retry reads the stored target: a plain message in the supergroup, where the old
    // message does not exist.
    http.PushStatus(200, R"({"ok":true,"result":{"message_id":2}})");
    DeliveryOutcome sent = c->SendReply(Reply(json::parse(o.new_reply_target)), http);
    CHECK(sent.kind == OutcomeKind::kDone);
    CHECK(sent.remote_id == "-1002233445566:2");
    CHECK(json::parse(http.requests().back().body) ==
          json{{"chat_id", -1002233445566LL}, {"text", "Please restart the router."}});
    // Another message of the old group: straight to the new chat, no second 400.
    http.PushStatus(200, R"({"ok":true,"result":{"message_id":3}})");
    DeliveryOutcome other =
        c->SendReply(Reply({{"chat_id", -4012345678LL}, {"message_id", 305}}), http);
    CHECK(other.kind == OutcomeKind::kDone);
    CHECK(json::parse(http.requests().back().body)["chat_id"] == -1002233445566LL);
    CHECK(json::parse(other.new_reply_target) == json{{"chat_id", -1002233445566LL}});
    CHECK(http.requests().size() == 3);
  }
  SUBCASE("a migration answer naming the same chat is an ordinary refusal") {
    http.PushStatus(
        400,
        R"({"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234567890}})");
    CHECK(c->SendReply(Reply(kGroupTarget), http).kind == OutcomeKind::kPermanent);
  }
  SUBCASE("a revoked or wrong token alerts the admins") {
    http.PushStatus(401, R"({"ok":false,"error_code":401,"description":"Unauthorized"})");
    DeliveryOutcome o = c->SendReply(Reply(kGroupTarget), http);
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK(o.auth_failure);
    http.PushStatus(404, R"({"ok":false,"error_code":404,"description":"Not Found"})");
    CHECK(c->SendReply(Reply(kGroupTarget), http).auth_failure);
  }
  SUBCASE("server errors and lost answers are uncertain; a refused connection is retried") {
    http.PushStatus(502, "<html>Bad Gateway</html>");
    CHECK(c->SendReply(Reply(kGroupTarget), http).kind == OutcomeKind::kUncertain);
    http.PushError(TransportError::kUnknown, "Read");
    CHECK(c->SendReply(Reply(kGroupTarget), http).kind == OutcomeKind::kUncertain);
    http.PushError(TransportError::kNotSent, "Connection");
    CHECK(c->SendReply(Reply(kGroupTarget), http).kind == OutcomeKind::kRetry);
  }
  SUBCASE("a broken reply target fails without calling Telegram") {
    CHECK(c->SendReply(Reply(json{{"chat_id", "x"}}), http).kind == OutcomeKind::kPermanent);
    CHECK(http.requests().empty());
  }
}

TEST_CASE("the bot token never appears in an error, even when the transport quotes the URL") {
  auto c = Make();
  FakeHttpClient http;
  const std::string url = std::string("https://tg.test/bot") + kToken + "/sendMessage";
  http.PushError(TransportError::kNotSent, "connect to " + url + " failed");
  DeliveryOutcome o = c->SendReply(Reply(kGroupTarget), http);
  CHECK(o.error.find("connect to https://tg.test/bot<bot-token>/sendMessage failed") !=
        std::string::npos);
  CHECK(o.error.find(kToken) == std::string::npos);
  http.PushStatus(400, std::string(R"({"ok":false,"description":"bad token )") + kToken + "\"}");
  CHECK(c->SendReply(Reply(kGroupTarget), http).error.find(kToken) == std::string::npos);
  http.PushStatus(503, "{}");
  CHECK(c->SendReply(Reply(kGroupTarget), http).error.find(kToken) == std::string::npos);
}

TEST_CASE("Telegram reply length is 4096 UTF-16 units") {
  auto c = Make();
  CHECK(c->ValidateReply(std::string(4096, 'a'), "42").ok());
  Status over = c->ValidateReply(std::string(4097, 'a'), "42");
  CHECK(over.code() == StatusCode::kInvalidArgument);
  CHECK(over.message().find("4097") != std::string::npos);
  std::string emoji;
  for (int i = 0; i < 2048; ++i) emoji += "😀";
  CHECK(c->ValidateReply(emoji, "42").ok());
  CHECK_FALSE(c->ValidateReply(emoji + "a", "42").ok());
  CHECK_FALSE(c->ValidateReply("", "42").ok());
}

TEST_CASE("the Telegram sample update carries the secret and parses into one dm") {
  auto c = Make();
  HttpRequest req = c->SampleWebhook("http://127.0.0.1:8080", "hello from simulate", "sim-1", kNow);
  CHECK(req.url == "http://127.0.0.1:8080/webhooks/telegram");
  InboundRequest in;
  in.body = req.body;
  in.headers = req.headers;
  CHECK(c->Verify(in).ok());
  auto parsed = c->Parse(in);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->mentions.size() == 1);
  CHECK(parsed->mentions[0].text == "hello from simulate");
  CHECK(parsed->mentions[0].kind == MentionKind::kDm);
  CHECK(c->SampleWebhook("http://h", "t", "sim-2", kNow).body != req.body);
}

TEST_CASE("a Telegram reply's remote id is the message id its message parses to") {
  auto c = Make();
  FakeHttpClient http;
  http.PushStatus(200, R"({"ok":true,"result":{"message_id":4121,"chat":{"id":532178901}}})");
  DeliveryOutcome o = c->SendReply(Reply({{"chat_id", 532178901}, {"message_id", 4120}}), http);
  // Telegram never sends a bot its own messages; were it to, this is the id they would have.
  json echo = json::parse(Fixture("private_message.json"));
  echo["message"]["message_id"] = 4121;
  auto parsed = ParseOk(*c, echo.dump());
  REQUIRE(parsed.size() == 1);
  CHECK(o.remote_id == "532178901:4121");
  CHECK(parsed[0].message_id == o.remote_id);
}

}  // namespace duplex
