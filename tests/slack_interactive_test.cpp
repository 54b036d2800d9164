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
