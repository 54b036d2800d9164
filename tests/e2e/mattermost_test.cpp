// Mattermost instead of Slack: posts with root_id threads, slash commands with tokens.
#include <doctest/doctest.h>

#include "core/text.h"
#include "support/e2e_env.h"

namespace duplex::test {

using nlohmann::json;

namespace {

struct FakeMattermost {
  FakeHttpServer server;
  std::mutex mu;
  std::vector<json> posts;
  int next = 1;
  FakeMattermost() {
    server.On("/api/v4/posts", [this](const RecordedRequest& r) {
      json body = json::parse(r.body, nullptr, false);
      std::lock_guard lock(mu);
      std::string id = "post" + std::to_string(next++);
      body["_id"] = id;
      body["_auth"] = r.Header("Authorization");
      posts.push_back(body);
      return FakeAnswer{201, json{{"id", id}, {"channel_id", body.value("channel_id", "")}}.dump()};
    });
  }
  std::vector<json> Posts() {
    std::lock_guard lock(mu);
    return posts;
  }
};

json MattermostPatch(const std::string& api_base) {
  return {{"chat",
           {{"kind", "mattermost"},
            {"api_base", api_base},
            {"bot_token", "mm-bot-token"},
            {"command_token", {"tokduplex00000000000000001", "tokreply000000000000000001"}},
            {"team_id", "team1"},
            {"default_channel", "chan-social"},
            {"signing_secret", nullptr},
            {"admins", {"u-admin"}}}}};
}

HttpResult Command(E2eEnv& env, const std::string& command, const std::string& text,
                   const std::string& token, const std::string& team = "team1",
                   bool token_in_header = false) {
  HttpRequest req;
  req.url = env.base_url() + "/chat/mattermost/commands";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = "channel_id=chan-social&team_id=" + team +
             "&user_id=u-sam&user_name=sam&command=" + text::UrlEncode(command) +
             "&text=" + text::UrlEncode(text) + (token_in_header ? "" : "&token=" + token);
  if (token_in_header) req.headers = {{"Authorization", "Token " + token}};
  return env.Send(req);
}

}  // namespace

TEST_CASE(
    "Mattermost: mentions become root posts and threads, /reply answers with the command's own "
    "token") {
  FakeMattermost mm;
  E2eEnv env(MattermostPatch(mm.server.url()));
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "c1", "hello @channel"), "wh-1")
              .response.status == 200);
  REQUIRE(WaitUntil([&] { return mm.Posts().size() == 1; }));
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m2", "c1", "again"), "wh-2").response.status ==
          200);
  REQUIRE(WaitUntil([&] { return mm.Posts().size() == 2; }));
  auto posts = mm.Posts();
  CHECK(posts[0]["channel_id"] == "chan-social");
  CHECK(posts[0]["_auth"] == "Bearer mm-bot-token");
  CHECK_FALSE(posts[0].contains("root_id"));
  std::string message = posts[0]["message"];
  CHECK(message.find("#1") != std::string::npos);
  // The customer's @channel must not notify the whole channel.
  CHECK(message.find("@channel") == std::string::npos);
  CHECK(message.find("[open on Webhook](https://crm.example.com/m/m1)") != std::string::npos);
  CHECK(posts[1]["root_id"] == posts[0]["_id"]);

  auto r = Command(env, "/reply", "1 Thanks, on it", "tokreply000000000000000001");
  REQUIRE(r.response.status == 200);
  json answer = json::parse(r.response.body);
  CHECK(answer["response_type"] == "ephemeral");
  CHECK(answer["text"].get<std::string>().find("Queued reply to #1") != std::string::npos);
  REQUIRE(env.receiver.WaitForCount("/replies", 1));
  CHECK(json::parse(env.receiver.Requests("/replies")[0].body)["text"] == "Thanks, on it");
  REQUIRE(WaitUntil([&] { return mm.Posts().size() == 3; }));
  json confirmation = mm.Posts()[2];
  CHECK(confirmation["root_id"] == posts[0]["_id"]);
  CHECK(confirmation["message"].get<std::string>().find("@sam") != std::string::npos);
}

TEST_CASE(
    "Mattermost: token in the Authorization header works — wrong token is 401, another team 403") {
  FakeMattermost mm;
  E2eEnv env(MattermostPatch(mm.server.url()));
  CHECK(Command(env, "/duplex", "help", "tokduplex00000000000000001", "team1", true)
            .response.status == 200);
  CHECK(Command(env, "/duplex", "help", "tok-wrong").response.status == 401);
  CHECK(Command(env, "/duplex", "help", "").response.status == 401);
  CHECK(Command(env, "/duplex", "help", "tokduplex00000000000000001", "team2").response.status ==
        403);
  // The Slack endpoint does not exist in Mattermost mode.
  CHECK(env.SlackCommand("help").response.status == 404);
}

TEST_CASE("Mattermost: API errors map to retries and dead letters") {
  FakeMattermost mm;
  mm.server.Script("/api/v4/posts",
                   FakeAnswer{429, "{}", "application/json", {{"X-Ratelimit-Reset", "1"}}});
  E2eEnv env(MattermostPatch(mm.server.url()));
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "c1", "hi"), "wh-1").response.status == 200);
  REQUIRE(WaitUntil([&] { return mm.Posts().size() == 1; }, 8000));
  mm.server.Script("/api/v4/posts", FakeAnswer{404, R"({"message":"Unable to find the channel"})"});
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m2", "c2", "hi"), "wh-2").response.status == 200);
  REQUIRE(WaitUntil([&] { return env.app().store().GetOutboxStats()->dead == 1; }));
  auto dead = env.app().store().ListDeliveries({DeliveryState::kDead}, 5);
  CHECK(dead->front().last_error == "Mattermost refused the post: Unable to find the channel");
}

}  // namespace duplex::test
