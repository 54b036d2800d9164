// Customer text that escaping makes long still reaches Slack: a section's 3,000 characters
// count after escaping, and blocks Slack refuses fall back to plain text.
#include <doctest/doctest.h>

#include "support/e2e_env.h"

namespace duplex::test {

using nlohmann::json;

namespace {

std::size_t Utf16Length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += ((c & 0xC0) != 0x80) + (c >= 0xF0);
  return n;
}

}  // namespace

TEST_CASE(
    "Slack: a 2,990-character mention full of & < > is posted with its blocks, the section within "
    "3,000 characters") {
  E2eEnv env;
  std::string text = "<!-- issue template -->\nStack trace: a < b && c > d\n";
  while (text.size() < 2990) text += "<&>";
  text.resize(2990);
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", text, "vera"), "wh-1")
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  json root = env.slack.Posts()[0];
  REQUIRE(root.contains("blocks"));
  const std::string quoted = root["blocks"][1]["text"]["text"];
  CHECK(Utf16Length(quoted) <= 3000);
  CHECK(quoted.rfind("&lt;!-- issue template --&gt;\nStack trace: a &lt; b &amp;&amp; c &gt; d\n",
                     0) == 0);
  CHECK(env.slack.Refused().empty());
  CHECK(env.app().metrics().Get("duplex_slack_plain_fallbacks_total",
                                {{"method", "chat.postMessage"}, {"error", "invalid_blocks"}}) ==
        0);
}

TEST_CASE(
    "Slack refuses a card's blocks: the message still reaches the channel as plain text, and is "
    "counted") {
  E2eEnv env;
  env.slack.server.Script(
      "/api/chat.postMessage",
      FakeAnswer{200, R"({"ok":false,"error":"invalid_blocks","errors":["unsupported type"]})"});
  REQUIRE(
      env.PostGeneric(E2eEnv::GenericMention("m1", "conv-1", "Where is my parcel?", "vera"), "wh-1")
          .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  json root = env.slack.Posts()[0];
  CHECK_FALSE(root.contains("blocks"));
  CHECK(root["text"].get<std::string>().find("Where is my parcel?") != std::string::npos);
  // The root's ts is kept: the conversation's thread works as with blocks.
  REQUIRE(WaitUntil([&] {
    auto c = env.app().store().GetConversation(1);
    return c.ok() && c->has_value() && (*c)->chat_thread == root["_ts"];
  }));
  CHECK(env.app().metrics().Get("duplex_slack_plain_fallbacks_total",
                                {{"method", "chat.postMessage"}, {"error", "invalid_blocks"}}) ==
        1);
  CHECK(env.LogText().find("slack refused the blocks; sending the message as plain text") !=
        std::string::npos);
  auto metrics = env.Get("/metrics");
  REQUIRE(metrics.ok());
  CHECK(metrics.response.body.find("duplex_slack_plain_fallbacks_total{method=\"chat.postMessage\","
                                   "error=\"invalid_blocks\"} 1") != std::string::npos);
}

}  // namespace duplex::test
