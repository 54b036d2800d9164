// Replays and secrets, end to end. A replayed request is refused where the scheme signs a
// timestamp (Standard Webhooks; Slack commands, buttons and events) and acknowledged and
// dropped where dedup is the defence (X, Meta, Telegram, GitHub, and a Standard Webhook
// resent inside its window). Secrets: a full round trip through every platform with
// distinctive secrets, after which none of them is in a log line, an HTTP answer, /metrics,
// a chat post or the database files.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/text.h"
#include "security/crypto.h"
#include "security/signatures.h"
#include "support/e2e_env.h"

namespace duplex::test {
namespace {

using nlohmann::json;

std::string Fixture(const std::string& name) {
  return ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/" + name);
}

HttpResult Post(E2eEnv& env, const std::string& path, const std::string& body, HeaderList headers) {
  HttpRequest r;
  r.url = env.base_url() + path;
  r.body = body;
  r.headers = std::move(headers);
  return env.Send(r);
}

HttpResult SignedGeneric(E2eEnv& env, const std::string& id, const std::string& body,
                         std::int64_t ts, const std::string& secret = kGenericSecret) {
  const std::string t = std::to_string(ts);
  return Post(env, "/webhooks/generic", body,
              {{"webhook-id", id},
               {"webhook-timestamp", t},
               {"webhook-signature", security::SignStandardWebhook(secret, id, t, body)}});
}

HttpResult SlackCommandAt(E2eEnv& env, const std::string& text, std::int64_t ts,
                          const std::string& secret = kSigningSecret) {
  const std::string form =
      "team_id=" + std::string(kTeam) + "&channel_id=" + kDefaultChannel +
      "&user_id=U0ADMIN&user_name=staff&command=%2Fduplex&text=" + text::UrlEncode(text) +
      "&trigger_id=t-" + std::to_string(ts) + text::UrlEncode(text);
  HttpRequest r;
  r.url = env.base_url() + "/chat/slack/commands";
  r.content_type = "application/x-www-form-urlencoded";
  r.body = form;
  const std::string t = std::to_string(ts);
  r.headers = {{"X-Slack-Request-Timestamp", t},
               {"X-Slack-Signature", security::SignSlackV0(secret, t, form)}};
  return env.Send(r);
}

std::int64_t Now() {
  return SystemClock().NowSeconds();
}

// A second past the 5-minute window, each way. Ahead, one more: the second may tick over
// between signing here and the server's check, which would bring the time back inside.
constexpr std::int64_t kTooOld = 301;
constexpr std::int64_t kTooNew = 302;

// A request to one of the Slack endpoints, signed (correctly) for the time `ts` in seconds.
HttpResult SlackAt(E2eEnv& env, const std::string& path, const std::string& content_type,
                   const std::string& body, std::int64_t ts) {
  HttpRequest r;
  r.url = env.base_url() + path;
  r.content_type = content_type;
  r.body = body;
  const std::string t = std::to_string(ts);
  r.headers = {{"X-Slack-Request-Timestamp", t},
               {"X-Slack-Signature", security::SignSlackV0(kSigningSecret, t, body)}};
  return env.Send(r);
}

}  // namespace

TEST_CASE(
    "replay: a signed Standard Webhook or Slack command older or newer than 5 minutes is refused") {
  E2eEnv env;
  const std::string body = E2eEnv::GenericMention("m1", "c1", "hello").dump();
  auto old = SignedGeneric(env, "wh-old", body, Now() - kTooOld);
  CHECK(old.response.status == 401);
  CHECK(old.response.body == "{\"error\":\"timestamp outside the 5-minute window\"}");
  CHECK(SignedGeneric(env, "wh-future", body, Now() + kTooNew).response.status == 401);
  CHECK(SignedGeneric(env, "wh-edge", body, Now() - 250).response.status == 200);

  auto old_command = SlackCommandAt(env, "route add r1 channel=#C0X", Now() - kTooOld);
  CHECK(old_command.response.status == 401);
  CHECK(SlackCommandAt(env, "route list", Now() + kTooNew).response.status == 401);
  CHECK(env.app().store().ListRoutes()->empty());
  CHECK(env.app().store().GetConversation(1)->has_value());
  CHECK_FALSE(env.app().store().GetConversation(2)->has_value());
}

TEST_CASE(
    "replay: a Slack button click or thread message signed more than 5 minutes away is refused") {
  E2eEnv env;
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "Where is my parcel?"), "wh-1")
              .response.status == 200);
  const json click = {{"type", "block_actions"},
                      {"team", {{"id", kTeam}}},
                      {"user", {{"id", "U0STAFF"}, {"username", "staff"}}},
                      {"trigger_id", "trigger-click"},
                      {"actions", json::array({{{"action_id", "duplex_close"}, {"value", "1"}}})}};
  const std::string form = "payload=" + text::UrlEncode(click.dump());
  const std::string form_type = "application/x-www-form-urlencoded";
  const std::string event =
      E2eEnv::ThreadMessageEvent("Ev-late", "1700000000.000100", "checking the warehouse").dump();
  for (std::int64_t ts : {Now() - kTooOld, Now() + kTooNew}) {
    auto old_click = SlackAt(env, "/chat/slack/interactions", form_type, form, ts);
    CHECK(old_click.response.status == 401);
    CHECK(old_click.response.body == "{\"error\":\"timestamp outside the 5-minute window\"}");
    CHECK(SlackAt(env, "/chat/slack/events", "application/json", event, ts).response.status == 401);
  }
  auto conv = env.app().store().GetConversation(1);
  REQUIRE(conv.ok());
  REQUIRE(conv->has_value());
  CHECK((*conv)->state == ConversationState::kOpen);
  // The same click signed now is accepted and closes #1: the timestamp was the only reason.
  CHECK(SlackAt(env, "/chat/slack/interactions", form_type, form, Now()).response.status == 200);
  CHECK(WaitUntil([&] {
    auto c = env.app().store().GetConversation(1);
    return c.ok() && c->has_value() && (*c)->state == ConversationState::kClosed;
  }));
}

TEST_CASE("replay: a signed webhook sent again inside its window is acknowledged and dropped") {
  E2eEnv env;
  const std::string body = E2eEnv::GenericMention("m1", "c1", "hello").dump();
  const std::int64_t ts = Now();
  CHECK(SignedGeneric(env, "wh-1", body, ts).response.body ==
        "{\"ok\":true,\"accepted\":1,\"duplicates\":0}");
  CHECK(SignedGeneric(env, "wh-1", body, ts).response.body ==
        "{\"ok\":true,\"accepted\":0,\"duplicates\":1}");
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.WaitDrained());
  CHECK(env.slack.Posts().size() == 1);
}

TEST_CASE(
    "replay: X, Meta, Telegram and GitHub have no signed timestamp so a replayed delivery is "
    "acknowledged and dropped") {
  FakeHttpServer api;
  E2eEnv env(json{
      {"platforms",
       {{"x",
         {{"consumer_secret", "x-consumer-secret-16"},
          {"bearer_token", "x-bearer"},
          {"api_base", api.url()}}},
        {"meta",
         {{"app_secret", "meta-app-secret-16"},
          {"verify_token", "meta-verify"},
          {"page_token", "meta-page"},
          {"api_base", api.url()}}},
        {"telegram",
         {{"bot_token", "123456789:AAtelegram"},
          {"secret_token", "tg-secret-token-16"},
          {"bot_username", "acme_help_bot"},
          {"api_base", api.url()}}},
        {"github",
         {{"secret", "gh-secret-webhook-16"}, {"token", "gh-token"}, {"api_base", api.url()}}}}}});
  struct Case {
    const char* name;
    std::string path;
    std::string body;
    HeaderList headers;
  };
  const std::string tweet = Fixture("x/tweet_mention.json");
  const std::string page = Fixture("meta/messenger.json");
  const std::string update = Fixture("telegram/private_message.json");
  const std::string issue = Fixture("github/issues_opened.json");
  const std::vector<Case> cases = {
      {"x",
       "/webhooks/x",
       tweet,
       {{"x-twitter-webhooks-signature", security::SignXSignature("x-consumer-secret-16", tweet)}}},
      {"meta",
       "/webhooks/meta",
       page,
       {{"X-Hub-Signature-256", security::SignHubSignature256("meta-app-secret-16", page)}}},
      {"telegram",
       "/webhooks/telegram",
       update,
       {{"X-Telegram-Bot-Api-Secret-Token", "tg-secret-token-16"}}},
      {"github",
       "/webhooks/github",
       issue,
       {{"X-GitHub-Event", "issues"},
        {"X-GitHub-Delivery", "d-1"},
        {"X-Hub-Signature-256", security::SignHubSignature256("gh-secret-webhook-16", issue)}}},
  };
  std::size_t posts = 0;
  for (const auto& c : cases) {
    INFO("platform: ", c.name);
    auto first = Post(env, c.path, c.body, c.headers);
    REQUIRE(first.response.status == 200);
    auto accepted = json::parse(first.response.body).value("accepted", 0);
    CHECK(accepted >= 1);
    auto again = Post(env, c.path, c.body, c.headers);
    CHECK(again.response.status == 200);
    CHECK(json::parse(again.response.body).value("accepted", -1) == 0);
    CHECK(json::parse(again.response.body).value("duplicates", 0) == accepted);
    posts += static_cast<std::size_t>(accepted);
  }
  REQUIRE(env.slack.WaitForPosts(posts));
  REQUIRE(env.WaitDrained());
  CHECK(env.slack.Posts().size() == posts);
}

TEST_CASE(
    "secrets: a round trip through every platform leaves no secret in logs, answers, metrics, chat "
    "or the database") {
  const std::string generic_secret = "whsec_" + security::Base64Encode("SECRET-generic-4d1b");
  const std::map<std::string, std::string> secrets = {
      {"chat.bot_token", "xoxb-SECRET-chatbot-7f3a9"},
      {"chat.signing_secret", "SECRET-slacksign-91c2e"},
      {"generic.secret", generic_secret},
      {"x.consumer_secret", "SECRET-xconsumer-52ad"},
      {"x.bearer_token", "SECRET-xbearer-8e1f"},
      {"meta.app_secret", "SECRET-metaapp-0b7c"},
      {"meta.verify_token", "SECRET-metaverify-3c9d"},
      {"meta.page_token", "SECRET-metapage-6a2e"},
      {"meta.whatsapp_token", "SECRET-metawa-11f0"},
      {"telegram.bot_token", "123456789:SECRETtelegrambot5e7a"},
      {"telegram.secret_token", "SECRET-tgsecret-9d4c"},
      {"github.secret", "SECRET-ghhook-77b1"},
      {"github.token", "SECRET-ghtoken-2f8e"},
  };
  FakeHttpServer api;
  // Every platform API answers success in a shape each connector accepts, except the
  // first Telegram and X calls, which fail, so error paths are covered too.
  api.OnAny([](const RecordedRequest&) {
    return FakeAnswer{200,
                      json{{"ok", true},
                           {"id", "1790000000000000009"},
                           {"result", {{"message_id", 77}}},
                           {"data", {{"id", "1790000000000000010"}}},
                           {"html_url", "https://github.com/acme/widgets/issues/42#issuecomment-1"}}
                          .dump()};
  });
  api.Script("/bot123456789:SECRETtelegrambot5e7a/sendMessage",
             FakeAnswer{401, "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}"});
  api.Script("/2/tweets",
             FakeAnswer{403, "{\"detail\":\"You are not permitted to perform this action.\"}"});

  E2eEnv env(json{{"chat",
                   {{"bot_token", secrets.at("chat.bot_token")},
                    {"signing_secret", secrets.at("chat.signing_secret")}}},
                  {"platforms",
                   {{"generic", {{"secret", generic_secret}}},
                    {"x",
                     {{"consumer_secret", secrets.at("x.consumer_secret")},
                      {"bearer_token", secrets.at("x.bearer_token")},
                      {"api_base", api.url()}}},
                    {"meta",
                     {{"app_secret", secrets.at("meta.app_secret")},
                      {"verify_token", secrets.at("meta.verify_token")},
                      {"page_token", secrets.at("meta.page_token")},
                      {"whatsapp_token", secrets.at("meta.whatsapp_token")},
                      {"api_base", api.url()}}},
                    {"telegram",
                     {{"bot_token", secrets.at("telegram.bot_token")},
                      {"secret_token", secrets.at("telegram.secret_token")},
                      {"bot_username", "acme_help_bot"},
                      {"api_base", api.url()}}},
                    {"github",
                     {{"secret", secrets.at("github.secret")},
                      {"token", secrets.at("github.token")},
                      {"api_base", api.url()}}}}}});

  std::string answers;  // every status line, header and body duplex sent back
  auto record = [&](const HttpResult& r) {
    answers +=
        std::to_string(r.response.status) + "\n" + r.response.body + "\n" + r.error_message + "\n";
    for (const auto& [k, v] : r.response.headers) answers += k + ": " + v + "\n";
    return r;
  };
  const std::string tweet = Fixture("x/tweet_mention.json");
  const std::string wa = Fixture("meta/whatsapp_messages.json");
  const std::string comment = Fixture("meta/page_feed_batch.json");
  const std::string update = Fixture("telegram/private_message.json");
  const std::string issue = Fixture("github/issues_opened.json");
  const std::string generic = E2eEnv::GenericMention("m1", "c1", "hello from the CRM").dump();
  const std::int64_t ts = Now();
  const std::string t = std::to_string(ts);

  // In, signed correctly...
  CHECK(record(SignedGeneric(env, "wh-1", generic, ts, generic_secret)).response.status == 200);
  CHECK(record(Post(env, "/webhooks/x", tweet,
                    {{"x-twitter-webhooks-signature",
                      security::SignXSignature(secrets.at("x.consumer_secret"), tweet)}}))
            .response.status == 200);
  CHECK(record(Post(env, "/webhooks/meta", comment,
                    {{"X-Hub-Signature-256",
                      security::SignHubSignature256(secrets.at("meta.app_secret"), comment)}}))
            .response.status == 200);
  CHECK(record(Post(env, "/webhooks/meta", wa,
                    {{"X-Hub-Signature-256",
                      security::SignHubSignature256(secrets.at("meta.app_secret"), wa)}}))
            .response.status == 200);
  CHECK(record(Post(env, "/webhooks/telegram", update,
                    {{"X-Telegram-Bot-Api-Secret-Token", secrets.at("telegram.secret_token")}}))
            .response.status == 200);
  CHECK(record(Post(env, "/webhooks/github", issue,
                    {{"X-GitHub-Event", "issues"},
                     {"X-GitHub-Delivery", "d-1"},
                     {"X-Hub-Signature-256",
                      security::SignHubSignature256(secrets.at("github.secret"), issue)}}))
            .response.status == 200);
  // ...and wrongly: a wrong secret, a secret sent in the clear where a signature belongs.
  CHECK(record(SignedGeneric(env, "wh-2", generic, ts, "whsec_d3Jvbmc=")).response.status == 401);
  CHECK(record(Post(env, "/webhooks/github", issue,
                    {{"X-GitHub-Event", "issues"},
                     {"X-GitHub-Delivery", "d-2"},
                     {"X-Hub-Signature-256", secrets.at("github.secret")}}))
            .response.status == 401);
  CHECK(record(
            Post(env, "/webhooks/telegram", update, {{"X-Telegram-Bot-Api-Secret-Token", "wrong"}}))
            .response.status == 401);
  HttpRequest handshake;
  handshake.method = "GET";
  handshake.url = env.base_url() + "/webhooks/meta?hub.mode=subscribe&hub.verify_token=" +
                  secrets.at("meta.verify_token") + "&hub.challenge=1158201444";
  CHECK(record(env.Send(handshake)).response.body == "1158201444");
  handshake.url = env.base_url() + "/webhooks/x?crc_token=abc";
  CHECK(record(env.Send(handshake)).response.status == 200);

  // Out: a reply to every conversation, from Slack (signed with the signing secret).
  std::int64_t conversations = 0;
  while (env.app().store().GetConversation(conversations + 1)->has_value()) ++conversations;
  REQUIRE(conversations >= 6);
  REQUIRE(env.slack.WaitForPosts(static_cast<std::size_t>(conversations)));
  for (std::int64_t ref = 1; ref <= conversations; ++ref) {
    CHECK(record(env.SlackCommand("reply " + std::to_string(ref) + " Thanks, on it", "U0STAFF",
                                  kTeam, "/duplex", secrets.at("chat.signing_secret")))
              .response.status == 200);
  }
  CHECK(record(env.SlackCommand("help", "U0STAFF", kTeam, "/duplex", "wrong-secret"))
            .response.status == 401);
  // Buttons, the reply modal (views.open with the bot token) and thread messages.
  const std::string& signing = secrets.at("chat.signing_secret");
  REQUIRE(WaitUntil([&] {
    auto c = env.app().store().GetConversation(1);
    return c.ok() && c->has_value() && !(*c)->chat_thread.empty();
  }));
  const std::string thread = (*env.app().store().GetConversation(1))->chat_thread;
  auto click = [](const char* action) {
    return json{{"type", "block_actions"},
                {"channel", {{"id", kDefaultChannel}}},
                {"actions", json::array({{{"action_id", action}, {"value", "1"}}})}};
  };
  CHECK(record(env.SlackInteraction(click("duplex_assign_me"), signing)).response.status == 200);
  CHECK(record(env.SlackInteraction(click("duplex_reply"), signing)).response.status == 200);
  const json typed = {{"type", "plain_text_input"}, {"value", "Sent from the form"}};
  const json submission = {
      {"type", "view_submission"},
      {"view",
       {{"callback_id", "duplex_reply_modal"},
        {"private_metadata", "1"},
        {"state", {{"values", {{"duplex_reply_block", {{"duplex_reply_text", typed}}}}}}}}}};
  CHECK(record(env.SlackInteraction(submission, signing)).response.status == 200);
  CHECK(record(env.SlackEvent(E2eEnv::ThreadMessageEvent("Ev-1", thread, "reply: from the thread"),
                              signing))
            .response.status == 200);
  CHECK(record(env.SlackEvent(E2eEnv::ThreadMessageEvent("Ev-2", thread, "a note"), signing))
            .response.status == 200);
  CHECK(env.slack.Views().size() == 1);
  CHECK((*env.app().store().GetConversation(1))->assignee == "U0STAFF");
  auto messages = env.app().store().ListMessages(1);
  REQUIRE(messages.ok());
  std::set<std::string> texts;
  for (const auto& m : *messages) texts.insert(m.text);
  CHECK(texts.count("Sent from the form") == 1);
  CHECK(texts.count("from the thread") == 1);
  CHECK(texts.count("a note") == 1);
  CHECK(record(env.SlackInteraction(click("duplex_close"), "wrong-secret")).response.status == 401);
  CHECK(record(env.SlackEvent(E2eEnv::ThreadMessageEvent("Ev-3", thread, "x"), "wrong-secret"))
            .response.status == 401);
  // Every reply reaches its platform or fails for good, and the thread says so.
  REQUIRE(WaitUntil(
      [&] { return env.receiver.Count() + api.Count() >= static_cast<std::size_t>(conversations); },
      15'000));
  REQUIRE(env.slack.WaitForPosts(static_cast<std::size_t>(2 * conversations), 15'000));
  record(env.Get("/healthz"));
  record(env.Get("/readyz"));
  const std::string metrics = record(env.Get("/metrics")).response.body;

  std::string chat;
  for (json post : env.slack.Posts()) {
    post.erase("_auth");  // the bot token belongs in the Authorization header, and only there
    chat += post.dump() + "\n";
  }
  const std::string db_running = env.database.Contents();
  env.Stop();
  const std::string db_stopped = env.database.Contents();
  const std::string logs = env.LogText();
  CHECK(logs.find("delivery not done") != std::string::npos);  // the failures were logged
  for (const auto& [key, secret] : secrets) {
    INFO("secret: ", key);
    CHECK(logs.find(secret) == std::string::npos);
    CHECK(answers.find(secret) == std::string::npos);
    CHECK(metrics.find(secret) == std::string::npos);
    CHECK(chat.find(secret) == std::string::npos);
    CHECK(db_running.find(secret) == std::string::npos);
    CHECK(db_stopped.find(secret) == std::string::npos);
  }
  // The secret that signs generic webhooks is also absent decoded (the HMAC key bytes).
  CHECK(logs.find("SECRET-generic-4d1b") == std::string::npos);
  CHECK(db_stopped.find("SECRET-generic-4d1b") == std::string::npos);
}

}  // namespace duplex::test
