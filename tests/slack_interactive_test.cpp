#include <doctest/doctest.h>

#include "handlers/slack_interactive.h"
#include "security/signatures.h"
#include "support/staff_rig.h"

namespace duplex {

TEST_CASE("a thread message whose note cannot be stored answers 500 and Slack's retry stores it") {
  test::StaffRig rig;
  const auto id = rig.Ingest("m1", "conv-1");
  rig.Deliver();
  const std::string ts = rig.Get(id).thread_ts;
  REQUIRE_FALSE(ts.empty());
  test::FailingStore store(*rig.store, /*fail_at=*/1);  // the note, with the event's claim
  SlackInteractiveDeps deps;
  deps.signing_secret = "s3cret";
  deps.team_id = "T1";
  deps.commands = rig.commands.get();
  deps.store = &store;
  deps.dialect = &rig.dialect;
  const std::string body =
      R"({"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"message",)"
      R"("channel":"C1","user":"U9","text":"courier called","ts":"9.1","thread_ts":")" + ts + R"("}})";
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
