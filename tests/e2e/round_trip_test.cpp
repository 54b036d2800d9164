// The walking skeleton end to end: signed webhook → Slack thread → /duplex reply → platform.
#include <doctest/doctest.h>

#include "security/signatures.h"
#include "support/e2e_env.h"

namespace duplex::test {

using nlohmann::json;

TEST_CASE("a signed mention becomes a Slack thread root with blocks and fallback text") {
  E2eEnv env;
  auto r = env.PostGeneric(
      E2eEnv::GenericMention("m1", "conv-1", "Where is my <order> & refund?", "ana", 12345),
      "wh-1");
  REQUIRE(r.ok());
  CHECK(r.response.status == 200);
  CHECK(json::parse(r.response.body)["accepted"] == 1);
  REQUIRE(env.slack.WaitForPosts(1));
  json post = env.slack.Posts()[0];
  CHECK(post["channel"] == kDefaultChannel);
  CHECK_FALSE(post.contains("thread_ts"));
  CHECK(post["_auth"] == std::string("Bearer ") + kBotToken);
  std::string text = post["text"];
  CHECK(text.find("#1") != std::string::npos);
  CHECK(text.find("@ana") != std::string::npos);
  CHECK(text.find("12,345 followers") != std::string::npos);
  // Customer text is escaped, never interpreted as Slack markup.
  CHECK(text.find("&lt;order&gt; &amp; refund") != std::string::npos);
  REQUIRE(post["blocks"].is_array());
  std::string blocks = post["blocks"].dump();
  CHECK(blocks.find("https://crm.example.com/m/m1") != std::string::npos);
  CHECK(blocks.find("direct") != std::string::npos);
}

TEST_CASE("a second mention of the same conversation goes into the root's thread") {
  E2eEnv env;
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "first"), "wh-1").response.status ==
      200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m2", "conv-1", "second"), "wh-2").response.status ==
      200);
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m3", "conv-2", "other"), "wh-3").response.status ==
      200);
  REQUIRE(env.slack.WaitForPosts(3));
  auto posts = env.slack.Posts();
  json root = posts[0];
  bool threaded = false, other_is_root = false;
  for (const auto& p : posts) {
    std::string t = p["text"];
    if (t.find("second") != std::string::npos) threaded = p.value("thread_ts", "") == root["_ts"];
    if (t.find("other") != std::string::npos) other_is_root = !p.contains("thread_ts");
  }
  CHECK(threaded);
  CHECK(other_is_root);
}

TEST_CASE("the same webhook-id twice is acknowledged twice and posted once") {
  E2eEnv env;
  auto body = E2eEnv::GenericMention("m1", "conv-1", "hello");
  CHECK(env.PostGeneric(body, "wh-same").response.status == 200);
  auto again = env.PostGeneric(body, "wh-same");
  CHECK(again.response.status == 200);
  CHECK(json::parse(again.response.body)["duplicates"] == 1);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.WaitDrained());
  CHECK(env.slack.Posts().size() == 1);
}

TEST_CASE("bad, missing or stale signatures get 401 and store nothing") {
  E2eEnv env;
  auto body = E2eEnv::GenericMention("m1", "conv-1", "hello");
  SUBCASE("wrong secret") {
    CHECK(env.PostGeneric(body, "wh-1", "whsec_d3Jvbmctc2VjcmV0").response.status == 401);
  }
  SUBCASE("stale timestamp") {
    SystemClock clock;
    CHECK(env.PostGeneric(body, "wh-1", kGenericSecret, clock.NowSeconds() - 301).response.status ==
          401);
  }
  SUBCASE("missing headers") {
    HttpRequest req;
    req.url = env.base_url() + "/webhooks/generic";
    req.body = body.dump();
    auto r = env.Send(req);
    CHECK(r.response.status == 401);
    CHECK(r.response.body.find("webhook-id") != std::string::npos);
  }
  REQUIRE(env.WaitDrained());
  auto conv = env.app().store().GetConversation(1);
  REQUIRE(conv.ok());
  CHECK_FALSE(conv->has_value());
  CHECK(env.slack.Posts().empty());
}

TEST_CASE("a malformed body gets 400 with a reason and stores nothing") {
  E2eEnv env;
  SystemClock clock;
  auto post_raw = [&](const std::string& raw) {
    std::string ts = std::to_string(clock.NowSeconds());
    HttpRequest req;
    req.url = env.base_url() + "/webhooks/generic";
    req.body = raw;
    req.headers = {
        {"webhook-id", "wh-x"},
        {"webhook-timestamp", ts},
        {"webhook-signature", security::SignStandardWebhook(kGenericSecret, "wh-x", ts, raw)}};
    return env.Send(req);
  };
  auto truncated = post_raw("{\"id\":\"m1\",\"text\":\"hel");
  CHECK(truncated.response.status == 400);
  CHECK(truncated.response.body.find("invalid JSON") != std::string::npos);
  auto wrong_type = post_raw(R"({"id":"m1","text":42,"author":{"id":"a"}})");
  CHECK(wrong_type.response.status == 400);
  CHECK(wrong_type.response.body.find("body.text must be a string") != std::string::npos);
  CHECK(env.app().store().GetConversation(1)->has_value() == false);
}

TEST_CASE(
    "/duplex reply reaches the platform signed, in reply to the last message, and is confirmed in "
    "the thread") {
  E2eEnv env;
  env.receiver.On("/replies", [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"url":"https://crm.example.com/r/1"})"};
  });
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "first"), "wh-1").response.status ==
      200);
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m2", "conv-1", "second"), "wh-2").response.status ==
      200);
  REQUIRE(env.slack.WaitForPosts(2));

  auto r = env.SlackCommand("reply #1 Thanks, a fix is on its way");
  REQUIRE(r.ok());
  CHECK(r.response.status == 200);
  json answer = json::parse(r.response.body);
  CHECK(answer["response_type"] == "ephemeral");
  CHECK(answer["text"].get<std::string>().find("Queued reply to #1") != std::string::npos);

  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  auto got = env.receiver.Requests("/replies")[0];
  SystemClock clock;
  CHECK(security::VerifyStandardWebhook(
            kGenericSecret, got.Header("webhook-id"), got.Header("webhook-timestamp"),
            got.Header("webhook-signature"), got.body, clock.NowSeconds())
            .ok());
  json reply = json::parse(got.body);
  CHECK(reply["type"] == "reply");
  CHECK(reply["conversation"] == "conv-1");
  CHECK(reply["in_reply_to"] == "m2");
  CHECK(reply["text"] == "Thanks, a fix is on its way");

  REQUIRE(env.slack.WaitForPosts(3));
  json confirmation = env.slack.Posts()[2];
  CHECK(confirmation["thread_ts"] == env.slack.Posts()[0]["_ts"]);
  std::string text = confirmation["text"];
  CHECK(text.find("<@U0STAFF>") != std::string::npos);
  CHECK(text.find("Thanks, a fix is on its way") != std::string::npos);
  CHECK(text.find("https://crm.example.com/r/1") != std::string::npos);
  REQUIRE(env.WaitDrained());
  CHECK(env.receiver.Count("/replies") == 1);
}

TEST_CASE("reply text typed in Slack reaches the customer unescaped") {
  E2eEnv env;
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "first"), "wh-1").response.status ==
      200);
  REQUIRE(env.SlackCommand("reply 1 Fish &amp; chips &lt;3, see "
                           "<https://shop.example.com/t?a=1&amp;b=2|shop.example.com>")
              .response.status == 200);
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  // The label is not the whole address, so the customer gets both.
  CHECK(json::parse(env.receiver.Requests("/replies")[0].body)["text"] ==
        "Fish & chips <3, see shop.example.com (https://shop.example.com/t?a=1&b=2)");
}

TEST_CASE("/reply is an alias and keeps the reply text verbatim, even over 8 KiB") {
  E2eEnv env;
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "first"), "wh-1").response.status ==
      200);
  std::string long_text = "line one\n  indented \"quote\" 'apostrophe\n" + std::string(9000, 'x');
  auto r = env.SlackCommand("1 " + long_text, "U0STAFF", kTeam, "/reply");
  REQUIRE(r.response.status == 200);
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  CHECK(json::parse(env.receiver.Requests("/replies")[0].body)["text"] == long_text);
}

TEST_CASE("a bad Slack signature is 401, another workspace is 403, and nothing is queued") {
  E2eEnv env;
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "first"), "wh-1").response.status ==
      200);
  REQUIRE(env.slack.WaitForPosts(1));
  CHECK(
      env.SlackCommand("reply 1 hi", "U0STAFF", kTeam, "/duplex", "wrong-secret").response.status ==
      401);
  CHECK(env.SlackCommand("reply 1 hi", "U0STAFF", "T0OTHER").response.status == 403);
  REQUIRE(env.WaitDrained());
  CHECK(env.receiver.Count("/replies") == 0);
  auto stats = env.app().store().GetOutboxStats();
  CHECK(stats->pending == 0);
}

TEST_CASE("unknown verbs and bad refs answer with usage, ephemerally") {
  E2eEnv env;
  auto unknown = json::parse(env.SlackCommand("frobnicate 1").response.body);
  CHECK(unknown["response_type"] == "ephemeral");
  CHECK(unknown["text"].get<std::string>().find("Unknown command `frobnicate`") !=
        std::string::npos);
  auto bad_ref =
      json::parse(env.SlackCommand("reply abc hello").response.body)["text"].get<std::string>();
  CHECK(bad_ref.find("not a conversation ref") != std::string::npos);
  CHECK(bad_ref.find("Usage: `/duplex reply <ref> <text>`") != std::string::npos);
  auto missing =
      json::parse(env.SlackCommand("reply 99 hello").response.body)["text"].get<std::string>();
  CHECK(missing.find("no conversation #99") != std::string::npos);
  auto help = json::parse(env.SlackCommand("help").response.body)["text"].get<std::string>();
  CHECK(help.find("/duplex reply <ref> <text>") != std::string::npos);
}

TEST_CASE("Slack 429 with Retry-After: the post is delivered once after the wait") {
  E2eEnv env;
  env.slack.server.Script("/api/chat.postMessage",
                          FakeAnswer{429,
                                     R"({"ok":false,"error":"ratelimited"})",
                                     "application/json",
                                     {{"Retry-After", "1"}}});
  auto start = std::chrono::steady_clock::now();
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "hello"), "wh-1").response.status ==
      200);
  REQUIRE(env.slack.WaitForPosts(1, 8000));
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= std::chrono::milliseconds(900));
  REQUIRE(env.WaitDrained());
  CHECK(env.slack.Posts().size() == 1);
  CHECK(env.slack.server.Count("/api/chat.postMessage") == 2);
}

TEST_CASE("a restarted server keeps its conversations and finishes pending deliveries") {
  E2eEnv env;
  // Slack is down: the mention is acknowledged and waits in the outbox.
  env.slack.server.Script("/api/chat.postMessage", FakeAnswer{503, "down"}, 1000);
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "while slack was down"), "wh-1")
              .response.status == 200);
  REQUIRE(env.slack.server.WaitForCount("/api/chat.postMessage", 1));
  env.Stop();
  env.slack.server.ClearScripts();  // Slack is back
  env.Start();
  auto conv = env.app().store().GetConversation(1);
  REQUIRE(conv->has_value());
  CHECK((*conv)->conversation_key == "conv-1");
  // The pending retry is due within the schedule's first wait (5 s ± jitter).
  REQUIRE(env.slack.WaitForPosts(1, 9000));
  CHECK(env.slack.Posts()[0]["text"].get<std::string>().find("while slack was down") !=
        std::string::npos);
  CHECK(WaitUntil([&] {
    return (*env.app().store().GetConversation(1))->chat_thread == env.slack.Posts()[0]["_ts"];
  }));
}

}  // namespace duplex::test
