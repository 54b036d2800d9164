// Reliability seen from chat: unknown outcomes, dead letters, retries on purpose, repeats.
#include <doctest/doctest.h>

#include "support/e2e_env.h"

namespace duplex::test {

using nlohmann::json;

namespace {

std::string Answer(const HttpResult& r) {
  return json::parse(r.response.body)["text"].get<std::string>();
}

}  // namespace

TEST_CASE(
    "a reply interrupted mid-send is flagged unknown after restart, listed, and re-sent only on "
    "purpose") {
  E2eEnv env;
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "c1", "hello"), "wh-1").response.status ==
          200);
  REQUIRE(env.slack.WaitForPosts(1));
  env.Stop();
  // What a crash between "sending" and the platform's answer leaves behind.
  {
    auto store = env.database.Open();
    auto q = store->QueueReply({1, 1, "U0STAFF", "the interrupted reply", "generic:", {}}, 1);
    REQUIRE(q.ok());
    // Claimed by an instance long gone: its lease ran out long ago.
    auto claimed = store->ClaimDue("gone-host-1-00000000", 2, 60'000, 10, {},
                                   [&](const Delivery& d) { return d.id == q->delivery_id; });
    REQUIRE(claimed.ok());
    REQUIRE(claimed->size() == 1);
  }
  env.Start();
  REQUIRE(env.slack.WaitForPosts(2));
  std::string notice = env.slack.Posts()[1]["text"];
  CHECK(notice.find("may or may not have been posted") != std::string::npos);
  CHECK(notice.find("the interrupted reply") != std::string::npos);
  CHECK(notice.find("/duplex retry 2") != std::string::npos);
  REQUIRE(env.WaitDrained());
  CHECK(env.receiver.Count("/replies") == 0);

  std::string list = Answer(env.SlackCommand("deadletters", "U0ADMIN"));
  CHECK(list.find("`2` reply to #1 — *unknown*") != std::string::npos);

  std::string retried = Answer(env.SlackCommand("retry 2", "U0ADMIN"));
  CHECK(retried.find("Delivery 2 (reply to #1) is queued again") != std::string::npos);
  CHECK(retried.find("see the reply twice") != std::string::npos);
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  CHECK(json::parse(env.receiver.Requests("/replies")[0].body)["text"] == "the interrupted reply");
  REQUIRE(WaitUntil(
      [&] { return (*env.app().store().GetDelivery(2))->state == DeliveryState::kDone; }));
  CHECK(Answer(env.SlackCommand("retry 2", "U0ADMIN"))
            .find("delivery 2 is done, not dead or unknown") != std::string::npos);
  CHECK(Answer(env.SlackCommand("retry 999", "U0ADMIN")).find("no delivery 999") !=
        std::string::npos);
  CHECK(
      Answer(env.SlackCommand("retry x", "U0ADMIN")).find("Usage: `/duplex retry <delivery-id>`") !=
      std::string::npos);
}

TEST_CASE("a permanent platform error dead-letters the reply with its reason in the thread") {
  E2eEnv env;
  env.receiver.On("/replies", [](const RecordedRequest&) { return FakeAnswer{410, "gone"}; });
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "c1", "hello"), "wh-1").response.status ==
          200);
  REQUIRE(env.slack.WaitForPosts(1));
  env.SlackCommand("reply 1 will fail");
  REQUIRE(env.slack.WaitForPosts(2));
  std::string notice = env.slack.Posts()[1]["text"];
  CHECK(notice.find("was NOT posted") != std::string::npos);
  CHECK(notice.find("410 Gone") != std::string::npos);
  REQUIRE(env.WaitDrained());
  CHECK(env.receiver.Count("/replies") == 1);
  CHECK(Answer(env.SlackCommand("deadletters", "U0ADMIN")).find("*dead*") != std::string::npos);
}

TEST_CASE(
    "a reply typed with bytes that are not UTF-8 reaches the platform with U+FFFD, and the server "
    "goes on delivering") {
  E2eEnv env;
  env.receiver.On("/replies", [](const RecordedRequest&) { return FakeAnswer{200, "{}"}; });
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "c1", "hello"), "wh-1").response.status ==
          200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.SlackCommand("reply 1 caf\xe9 au lait").response.status == 200);
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  CHECK(json::parse(env.receiver.Requests("/replies")[0].body)["text"] ==
        "caf\xef\xbf\xbd au lait");
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m2", "c2", "next one"), "wh-2").response.status ==
          200);
  REQUIRE(env.SlackCommand("reply 2 and this one").response.status == 200);
  REQUIRE(env.receiver.WaitForCount("/replies", 2));
  REQUIRE(WaitUntil([&] {
    for (const auto& p : env.slack.Posts()) {
      if (p.value("text", "").find("posted on Webhook") != std::string::npos &&
          p.value("text", "").find("and this one") != std::string::npos) {
        return true;
      }
    }
    return false;
  }));
}

TEST_CASE("a repeated slash command (same trigger_id) is answered but not run twice") {
  E2eEnv env;
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "c1", "hello"), "wh-1").response.status ==
          200);
  REQUIRE(env.slack.WaitForPosts(1));
  auto first =
      env.SlackCommand("reply 1 only once", "U0STAFF", kTeam, "/duplex", kSigningSecret, "trig-7");
  auto again =
      env.SlackCommand("reply 1 only once", "U0STAFF", kTeam, "/duplex", kSigningSecret, "trig-7");
  CHECK(Answer(first).find("Queued reply") != std::string::npos);
  CHECK(Answer(again).find("was not run twice") != std::string::npos);
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  REQUIRE(env.WaitDrained());
  CHECK(env.receiver.Count("/replies") == 1);
}

TEST_CASE("a revoked chat token alerts the admins once, not once per message") {
  E2eEnv env;
  env.slack.server.On("/api/chat.postMessage", [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"ok":false,"error":"token_revoked"})"};
  });
  for (int i = 0; i < 5; ++i) {
    env.PostGeneric(E2eEnv::GenericMention("m" + std::to_string(i), "c" + std::to_string(i), "x"),
                    "wh-" + std::to_string(i));
  }
  // 5 posts + 1 alert attempt, each failing for good.
  REQUIRE(env.slack.server.WaitForCount("/api/chat.postMessage", 6));
  REQUIRE(env.WaitDrained());
  auto requests = env.slack.server.Requests("/api/chat.postMessage");
  CHECK(requests.size() == 6);
  int alerts = 0;
  for (const auto& r : requests) {
    if (r.body.find("cannot authenticate with the chat") != std::string::npos) {
      ++alerts;
      CHECK(r.body.find("<@U0ADMIN>") != std::string::npos);
      CHECK(json::parse(r.body)["channel"] == kDefaultChannel);
    }
  }
  CHECK(alerts == 1);
  CHECK(env.app().store().GetOutboxStats()->dead == 6);
}

}  // namespace duplex::test

namespace duplex::test {

TEST_CASE("a flood is paced at the channel's rate and /metrics shows the backlog's size and age") {
  E2eEnv env(json{{"chat", {{"rate_limit", {{"per_second", 2}, {"burst", 1}}}}}});
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    REQUIRE(env.PostGeneric(
                   E2eEnv::GenericMention("m" + std::to_string(i), "c" + std::to_string(i), "x"),
                   "wh-" + std::to_string(i))
                .response.status == 200);
  }
  // Paced at 2 a second, the five need about 2 s: the backlog shows in /metrics meanwhile,
  // its size and its age in the same scrape.
  auto value = [](const std::string& m, const std::string& name) {
    auto pos = m.find("\n" + name + " ");
    return pos == std::string::npos ? -1.0 : std::stod(m.substr(pos + name.size() + 2));
  };
  std::string m;
  CHECK(WaitUntil([&] {
    m = env.Get("/metrics").response.body;
    return value(m, "duplex_outbox_oldest_pending_seconds") > 0.3;
  }));
  CHECK(value(m, "duplex_outbox_pending") >= 2);
  REQUIRE(env.slack.WaitForPosts(5, 10'000));
  // 1 at once, then one every 500 ms: the fifth no earlier than ~2 s after the first.
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(1800));
  CHECK(env.slack.server.Count("/api/chat.postMessage") == 5);  // paced, never refused with 429
}

}  // namespace duplex::test
