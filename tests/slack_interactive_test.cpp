#include <doctest/doctest.h>

#include "handlers/slack_interactive.h"
#include "handlers/slack_messages.h"
#include "security/signatures.h"
#include "support/staff_rig.h"

namespace duplex {

TEST_CASE_TEMPLATE(
    "a thread message whose note cannot be stored answers 500 and Slack's retry stores it", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  const auto id = rig.Ingest("m1", "conv-1");
  rig.Deliver();
  const std::string ts = rig.Get(id).chat_thread;
  REQUIRE_FALSE(ts.empty());
  test::FailingStore store(*rig.store, /*fail_at=*/1);  // the note, with the event's claim
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
  const std::string t = std::to_string(request.now / 1000);
  request.headers = {{"X-Slack-Request-Timestamp", t},
                     {"X-Slack-Signature", security::SignSlackV0("s3cret", t, body)}};
  CHECK(HandleSlackEvent(request, deps).status == 500);
  auto notes = [&] {
    int n = 0;
    auto messages = rig.store->ListMessages(id);
    REQUIRE(messages.ok());
    for (const auto& m : *messages) n += m.direction == MessageDirection::kNote;
    return n;
  };
  CHECK(notes() == 0);
  request.headers.push_back({"X-Slack-Retry-Num", "1"});
  CHECK(HandleSlackEvent(request, deps).status == 200);
  CHECK(notes() == 1);
  CHECK(HandleSlackEvent(request, deps).status == 200);  // and only once
  CHECK(notes() == 1);
}

}  // namespace duplex

namespace duplex {
namespace {

InboundRequest UrlVerification(const std::string& challenge, const std::string& secret,
                               UnixMs now) {
  InboundRequest request;
  request.method = "POST";
  request.path = "/chat/slack/events";
  request.body =
      nlohmann::json{{"token", "unused"}, {"challenge", challenge}, {"type", "url_verification"}}
          .dump();
  request.now = now;
  const std::string t = std::to_string(now / 1000);
  if (!secret.empty()) {
    request.headers = {{"X-Slack-Request-Timestamp", t},
                       {"X-Slack-Signature", security::SignSlackV0(secret, t, request.body)}};
  }
  return request;
}

}  // namespace

TEST_CASE("slack url_verification is answered only when signed, and only for a challenge's shape") {
  constexpr UnixMs kNow = 1'700'000'000'000;
  const std::string challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P";
  SlackInteractiveDeps deps;  // the url_verification branch needs nothing else
  deps.signing_secret = "s3cret";
  SUBCASE("signed: the challenge comes back") {
    HttpAnswer a = HandleSlackEvent(UrlVerification(challenge, "s3cret", kNow), deps);
    CHECK(a.status == 200);
    CHECK(nlohmann::json::parse(a.body) == nlohmann::json{{"challenge", challenge}});
  }
  SUBCASE("unsigned or wrongly signed: 401 and no echo") {
    for (const std::string& secret : {std::string(), std::string("guess")}) {
      HttpAnswer a = HandleSlackEvent(UrlVerification(challenge, secret, kNow), deps);
      CHECK(a.status == 401);
      CHECK(a.body.find(challenge) == std::string::npos);
      CHECK(a.body.find("challenge") == std::string::npos);
    }
  }
  SUBCASE("signed, but not a challenge's shape: 400 and no echo") {
    for (const std::string& bad : {std::string("<script>alert(1)</script>"), std::string(""),
                                   std::string("{\"a\":1}"), std::string(129, 'x')}) {
      HttpAnswer a = HandleSlackEvent(UrlVerification(bad, "s3cret", kNow), deps);
      CHECK(a.status == 400);
      CHECK(nlohmann::json::parse(a.body)["error"] ==
            "challenge must be 1 to 128 characters of A-Z, a-z, 0-9, -, _, =, + and /");
    }
  }
}

}  // namespace duplex

namespace duplex {
namespace {

struct EventRig {
  test::StaffRig rig;
  SlackInteractiveDeps deps;
  std::vector<std::string> told;  // "channel|user|thread_ts|text"

  explicit EventRig(test::StoreKind store) : rig(store) {
    if (!rig.available()) return;
    deps.signing_secret = "s3cret";
    deps.team_id = "T1";
    deps.commands = rig.commands.get();
    deps.threads = {rig.store.get(), rig.commands.get(), &rig.dialect};
    deps.tell_in_channel = [this](const std::string& channel, const std::string& user,
                                  const std::string& thread_ts, const std::string& text) {
      told.push_back(channel + "|" + user + "|" + thread_ts + "|" + text);
    };
  }

  // An event_callback of `type` for the message `ts` (in the thread `thread_ts` if not empty).
  HttpAnswer Send(const std::string& event_id, const std::string& type, const std::string& ts,
                  const std::string& thread_ts, const std::string& text) {
    nlohmann::json ev = {
        {"type", type}, {"channel", "C1"}, {"user", "U9"}, {"text", text}, {"ts", ts}};
    if (!thread_ts.empty()) ev["thread_ts"] = thread_ts;
    nlohmann::json body = {
        {"type", "event_callback"},
        {"team_id", "T1"},
        {"event_id", event_id},
        {"authorizations", {{{"team_id", "T1"}, {"user_id", "U0BOT"}, {"is_bot", true}}}},
        {"event", ev}};
    InboundRequest request;
    request.method = "POST";
    request.body = body.dump();
    request.now = rig.clock.NowMs();
    const std::string t = std::to_string(request.now / 1000);
    request.headers = {{"X-Slack-Request-Timestamp", t},
                       {"X-Slack-Signature", security::SignSlackV0("s3cret", t, request.body)}};
    return HandleSlackEvent(request, deps);
  }

  std::vector<std::string> Notes(std::int64_t id) {
    std::vector<std::string> out;
    auto messages = rig.store->ListMessages(id);
    REQUIRE(messages.ok());
    for (const auto& m : *messages) {
      if (m.direction == MessageDirection::kNote) out.push_back(m.text);
    }
    return out;
  }
};

}  // namespace

TEST_CASE_TEMPLATE(
    "one Slack message is one note, whether it comes as message, app_mention or both, in any "
    "order, resent",
    F, test::SqliteFactory, test::PgFactory) {
  EventRig e(F::kKind);
  if (!e.rig.available()) return;
  const auto id = e.rig.Ingest("m1", "conv-1");
  e.rig.Deliver();
  const std::string root = e.rig.Get(id).chat_thread;
  REQUIRE_FALSE(root.empty());
  CHECK(e.Send("Ev1", "app_mention", "9.1", root, "<@U0BOT> courier called").status == 200);
  CHECK(e.Send("Ev2", "message", "9.1", root, "<@U0BOT> courier called").status == 200);
  CHECK(e.Send("Ev1", "app_mention", "9.1", root, "<@U0BOT> courier called").status == 200);
  CHECK(e.Send("Ev3", "message", "9.2", root, "second message").status == 200);
  CHECK(e.Notes(id) == std::vector<std::string>{"courier called", "second message"});
  CHECK(e.told.empty());
}

TEST_CASE_TEMPLATE(
    "an @mention of duplex outside a conversation's thread is answered once, privately, and stores "
    "nothing",
    F, test::SqliteFactory, test::PgFactory) {
  EventRig e(F::kKind);
  if (!e.rig.available()) return;
  const auto id = e.rig.Ingest("m1", "conv-1");
  e.rig.Deliver();
  CHECK(e.Send("Ev1", "app_mention", "9.1", "", "<@U0BOT> hello?").status == 200);
  CHECK(e.Send("Ev1", "app_mention", "9.1", "", "<@U0BOT> hello?").status == 200);  // resent
  CHECK(e.Send("Ev2", "message", "9.1", "", "<@U0BOT> hello?").status ==
        200);  // top level: not ours
  CHECK(e.Send("Ev3", "app_mention", "9.3", "7.7", "<@U0BOT> hi").status ==
        200);  // a thread not ours
  CHECK(e.told == std::vector<std::string>{std::string("C1|U9||") + kStrayMentionAnswer,
                                           std::string("C1|U9|7.7|") + kStrayMentionAnswer});
  CHECK(e.Notes(id).empty());
}

TEST_CASE("a leading mention of duplex is not part of the message, other mentions are") {
  CHECK(WithoutBotMention("<@U0BOT> reply: hi", "U0BOT") == "reply: hi");
  CHECK(WithoutBotMention("  <@U0BOT|duplex>   reply: hi", "U0BOT") == "reply: hi");
  CHECK(WithoutBotMention("<@U0BOT>", "U0BOT").empty());
  CHECK(WithoutBotMention("<@U0BOTX> reply: hi", "U0BOT") == "<@U0BOTX> reply: hi");
  CHECK(WithoutBotMention("<@U0ANA> reply: hi", "U0BOT") == "<@U0ANA> reply: hi");
  CHECK(WithoutBotMention("ask <@U0BOT> later", "U0BOT") == "ask <@U0BOT> later");
  CHECK(WithoutBotMention("<@U0BOT> hi", "") == "<@U0BOT> hi");
  CHECK(WithoutBotMention("<@U0BOT|unclosed", "U0BOT") == "<@U0BOT|unclosed");
  CHECK(ThreadReplyText(WithoutBotMention("<@U0BOT> reply: On its way", "U0BOT")) ==
        std::optional<std::string>("On its way"));

  using nlohmann::json;
  CHECK(SlackBotUser(json{{"authorizations", {{{"user_id", "U0BOT"}, {"is_bot", true}}}}}) ==
        "U0BOT");
  CHECK(
      SlackBotUser(json{{"authorizations", {{{"user_id", "U0ANA"}, {"is_bot", false}}}}}).empty());
  CHECK(SlackBotUser(json{{"authorizations", "x"}}).empty());
  CHECK(SlackBotUser(json::object()).empty());
  CHECK(SlackMessageClaim("T1", "C1", "9.1") != SlackMessageClaim("T1", "C2", "9.1"));
}

}  // namespace duplex
