#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "chat/mattermost/mattermost_poster.h"
#include "core/text.h"
#include "handlers/mattermost_handler.h"

namespace duplex {

TEST_CASE("Mattermost dialect: no mention can be injected, people by username, Markdown links") {
  MattermostDirectory dir;
  MattermostDialect d(dir);
  CHECK(d.Escape("hi @channel and @all") ==
        "hi @\xE2\x80\x8B"
        "channel and @\xE2\x80\x8B"
        "all");
  CHECK(d.User("u1") == "@u1");
  dir.Learn("u1", "ana");
  CHECK(d.User("u1") == "@ana");
  CHECK(d.Link("https://x.y/a(b)", "see [it]") == "[see \\[it\\]](https://x.y/a%28b%29)");
}

TEST_CASE("Mattermost post body: channel_id, message, root_id for threads") {
  MattermostDirectory dir;
  struct NoHttp : HttpClient {
    HttpResult Send(const HttpRequest&) override { return {}; }
  } http;
  MattermostPoster poster({"https://mm", "t", "", 1000}, http, dir);
  auto root = nlohmann::json::parse(poster.BuildPostBody({"ch1", "", std::nullopt, "notice"}));
  CHECK(root == nlohmann::json{{"channel_id", "ch1"}, {"message", "notice"}});
  auto reply = nlohmann::json::parse(
      poster.BuildPostBody({"ch1", "p1", std::nullopt, std::string(20000, 'x')}));
  CHECK(reply["root_id"] == "p1");
  CHECK(reply["message"].get<std::string>().size() < 16383 * 3);
}

TEST_CASE("Mattermost answers map to outcomes") {
  auto answer = [](int status, const std::string& body, HeaderList h = {}) {
    HttpResult r;
    r.response.status = status;
    r.response.body = body;
    r.response.headers = std::move(h);
    return ClassifyMattermostAnswer(r);
  };
  CHECK(answer(201, R"({"id":"p9"})").remote_id == "p9");
  CHECK(answer(201, "{}").kind == OutcomeKind::kUncertain);
  auto limited = answer(429, "", {{"X-Ratelimit-Reset", "2"}});
  CHECK(limited.kind == OutcomeKind::kRetry);
  CHECK(limited.retry_after_ms == 2000);
  auto denied = answer(401, R"({"message":"Invalid or expired session"})");
  CHECK(denied.kind == OutcomeKind::kPermanent);
  CHECK(denied.auth_failure);
  CHECK(denied.error == "Mattermost refused the post: Invalid or expired session");
  CHECK(answer(503, "").kind == OutcomeKind::kUncertain);
}

TEST_CASE(
    "Mattermost commands run only for the configured team, and with none configured none do") {
  constexpr const char* kToken = "tokduplex00000000000000001";
  MattermostHandlerDeps deps;
  deps.command_tokens = {kToken};
  deps.team_id = "team1";
  auto status = [&](const std::string& team_field) {
    InboundRequest r;
    r.method = "POST";
    r.body =
        std::string("token=") + kToken + team_field + "&user_id=u1&command=%2Fduplex&text=help";
    return HandleMattermostCommand(r, deps).status;
  };
  CHECK(status("&team_id=team2") == 403);
  CHECK(status("&team_id=") == 403);
  CHECK(status("") == 403);
  deps.team_id = "";
  CHECK(status("&team_id=") == 403);
  CHECK(status("") == 403);
  CHECK(status("&team_id=team1") == 403);
}

}  // namespace duplex

namespace duplex {

TEST_CASE("Mattermost command answers: Mattermost's own shape, cut to one post's length") {
  auto body = nlohmann::json::parse(MattermostCommandResponse({"done", true}));
  CHECK(body == nlohmann::json{{"response_type", "in_channel"}, {"text", "done"}});
  auto long_answer =
      nlohmann::json::parse(MattermostCommandResponse({std::string(20'000, 'x'), false}));
  CHECK(long_answer["response_type"] == "ephemeral");
  CHECK(text::CountCodePoints(long_answer["text"].get<std::string>()) == kMattermostPostMax);
}

}  // namespace duplex
