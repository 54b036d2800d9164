// Routing and administration from chat, end to end: signed slash commands set up routes,
// signed webhooks land in the channels the routes choose, staff are refused and audited,
// muted authors are stored but not posted. Only the generic platform is configured here,
// so routes are told apart by keyword, kind and reach.
#include <doctest/doctest.h>

#include "support/e2e_env.h"

namespace duplex::test {

using nlohmann::json;

namespace {

std::string CommandText(E2eEnv& env, const std::string& text, const std::string& user = "U0ADMIN") {
  auto r = env.SlackCommand(text, user);
  REQUIRE(r.ok());
  REQUIRE(r.response.status == 200);
  json answer = json::parse(r.response.body);
  CHECK(answer["response_type"] == "ephemeral");
  return answer["text"].get<std::string>();
}

bool Has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

json Mention(const std::string& id, const std::string& conversation, const std::string& text,
             const std::string& kind = "direct", const std::string& handle = "ana",
             std::int64_t followers = 100) {
  json m = E2eEnv::GenericMention(id, conversation, text, handle, followers);
  m["kind"] = kind;
  return m;
}

// The channel of the post whose text contains `needle`; empty if none.
std::string ChannelOf(const E2eEnv& env, const std::string& needle) {
  for (const auto& p : env.slack.Posts()) {
    if (Has(p.value("text", ""), needle)) return p.value("channel", "");
  }
  return "";
}

}  // namespace

TEST_CASE("an admin sets up routes by slash command and mentions land in their channels") {
  E2eEnv env;
  CHECK(Has(CommandText(env, "route add vip channel=<#C0VIP|vip> min_followers=10000 priority=1"),
            "Created route `vip` → <#C0VIP>"));
  CHECK(Has(
      CommandText(
          env,
          "route add orders channel=<#C0ORDERS|orders> keywords=\"late order,refund\" priority=10"),
      "Created route `orders` → <#C0ORDERS>"));
  CHECK(Has(CommandText(env, "route add comments channel=C0COMMENTS kind=comment priority=20"),
            "Created route `comments` → <#C0COMMENTS>"));

  REQUIRE(env.PostGeneric(Mention("m1", "c1", "Where is my LATE order?"), "wh-1").response.status ==
          200);
  REQUIRE(env.PostGeneric(Mention("m2", "c2", "Nice product", "comment"), "wh-2").response.status ==
          200);
  REQUIRE(env.PostGeneric(Mention("m3", "c3", "I need a refund", "direct", "star", 250'000), "wh-3")
              .response.status == 200);
  REQUIRE(env.PostGeneric(Mention("m4", "c4", "Just saying hello"), "wh-4").response.status == 200);
  REQUIRE(env.slack.WaitForPosts(4));
  CHECK(ChannelOf(env, "LATE order") == "C0ORDERS");
  CHECK(ChannelOf(env, "Nice product") == "C0COMMENTS");
  CHECK(ChannelOf(env, "I need a refund") == "C0VIP");  // priority 1 beats the keyword route
  CHECK(ChannelOf(env, "Just saying hello") == kDefaultChannel);
  auto conv = env.app().store().GetConversation(1);
  REQUIRE(conv->has_value());
  CHECK((*conv)->route == "orders");
  CHECK((*conv)->channel == "C0ORDERS");

  // A route change applies to new conversations; an existing one stays in its thread.
  CHECK(Has(CommandText(env, "route rm orders"), "Removed route `orders`"));
  REQUIRE(env.PostGeneric(Mention("m5", "c1", "Still waiting for that order"), "wh-5")
              .response.status == 200);
  REQUIRE(env.PostGeneric(Mention("m6", "c6", "Another late order"), "wh-6").response.status ==
          200);
  REQUIRE(env.slack.WaitForPosts(6));
  json root;
  for (const auto& p : env.slack.Posts()) {
    if (Has(p.value("text", ""), "LATE order")) root = p;
  }
  bool threaded = false;
  for (const auto& p : env.slack.Posts()) {
    if (Has(p.value("text", ""), "Still waiting")) {
      threaded = p.value("channel", "") == "C0ORDERS" && p.value("thread_ts", "") == root["_ts"];
    }
  }
  CHECK(threaded);
  CHECK(ChannelOf(env, "Another late order") == kDefaultChannel);
}

TEST_CASE("routes are stored: after a restart they still route") {
  E2eEnv env;
  CommandText(env, "route add orders channel=C0ORDERS keywords=refund");
  env.Restart();
  CHECK(Has(CommandText(env, "route list"), "1. `orders` → <#C0ORDERS>"));
  REQUIRE(env.PostGeneric(Mention("m1", "c1", "refund please"), "wh-1").response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  CHECK(env.slack.Posts()[0]["channel"] == "C0ORDERS");
}

TEST_CASE("a staff member's route add is refused and audited") {
  E2eEnv env;
  std::string refused = CommandText(env, "route add mine channel=C0MINE", "U0STAFF");
  CHECK(Has(refused, "`route` is an admin command and you are not an admin"));
  CHECK(Has(refused, "<@U0ADMIN>"));
  CHECK(Has(CommandText(env, "route list"), "No routes yet"));
  std::string audit = CommandText(env, "audit");
  CHECK(Has(audit, "<@U0STAFF> · *refused* · `route add mine channel=C0MINE` — not an admin"));
  CHECK(Has(audit, "<@U0ADMIN> · *ok* · `route list`"));
  // Another workspace never reaches the command at all.
  CHECK(env.SlackCommand("route list", "U0ADMIN", "T0OTHER").response.status == 403);
}

TEST_CASE("an admin added from chat can administer and, once removed, is refused again") {
  E2eEnv env;
  CHECK(Has(CommandText(env, "admin add <@U0ANA|ana>"), "<@U0ANA> is now an admin."));
  CHECK(Has(CommandText(env, "route add a channel=C1", "U0ANA"), "Created route `a`"));
  CHECK(Has(CommandText(env, "admins"), "<@U0ANA> — added by <@U0ADMIN>"));
  CHECK(Has(CommandText(env, "admin rm <@U0ANA|ana>"), "no longer an admin"));
  CHECK(Has(CommandText(env, "route rm a", "U0ANA"), "you are not an admin"));
}

TEST_CASE("a muted author's mention is stored but not posted") {
  E2eEnv env;
  CHECK(Has(CommandText(env, "mute generic:@Troll"), "Muted `generic:Troll`"));
  auto r = env.PostGeneric(Mention("m1", "c-troll", "spam spam spam", "direct", "troll"), "wh-1");
  REQUIRE(r.response.status == 200);
  CHECK(json::parse(r.response.body)["accepted"] == 1);
  REQUIRE(env.PostGeneric(Mention("m2", "c-ana", "a real question"), "wh-2").response.status ==
          200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.WaitDrained());
  REQUIRE(env.slack.Posts().size() == 1);
  CHECK(Has(env.slack.Posts()[0]["text"].get<std::string>(), "a real question"));
  auto conv = env.app().store().GetConversation(1);
  REQUIRE(conv->has_value());
  CHECK((*conv)->author.handle == "troll");
  auto messages = env.app().store().ListMessages(1);
  REQUIRE(messages->size() == 1);
  CHECK(messages->at(0).muted);
  CHECK(messages->at(0).text == "spam spam spam");
  CHECK(Has(CommandText(env, "mutes"), "`generic:Troll` — by <@U0ADMIN>"));

  CHECK(Has(CommandText(env, "unmute generic:troll"), "Unmuted"));
  REQUIRE(env.PostGeneric(Mention("m3", "c-troll", "now with a real question", "direct", "troll"),
                          "wh-3")
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(Has(env.slack.Posts()[1]["text"].get<std::string>(), "now with a real question"));
}

TEST_CASE("route test answers what routing does, without storing anything") {
  E2eEnv env;
  CommandText(env, "route add vip channel=C0VIP min_followers=10000 priority=1");
  CommandText(env, "route add orders channel=C0ORDERS keywords=\"late order\" priority=10");
  std::string t =
      CommandText(env, "route test generic direct followers=50 my late order &amp; more");
  CHECK(Has(t, "would go to <#C0ORDERS> by route `orders`."));
  CHECK(Has(t,
            "`vip` (priority 1) → <#C0VIP>: rejected by min_followers (needs 10,000, the author "
            "has 50)."));
  std::string vip = CommandText(env, "route test generic direct followers=20000 my late order");
  CHECK(Has(vip, "would go to <#C0VIP> by route `vip`."));
  CHECK(Has(vip, "`orders` (priority 10) → <#C0ORDERS>: matched too, but `vip` comes first."));
  CHECK(Has(CommandText(env, "route test generic dm hello"),
            "would go to <#C0SOCIAL> (the default channel)"));
  CHECK(Has(CommandText(env, "route test generic direct followers=5 hi", "U0STAFF"),
            "you are not an admin"));
  CHECK_FALSE(env.app().store().GetConversation(1)->has_value());
}

}  // namespace duplex::test
