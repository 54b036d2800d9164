// GitHub end to end: signed issue_comment webhook → Slack thread → /duplex reply → exactly one
// REST comment on the fake GitHub API → confirmation with link; rate limit and locked issue;
// a discussion answered through GitHub Enterprise Server's GraphQL path; a pull request
// review comment answered in its thread; an edit shown as an edit; our own comments coming
// back (a reply's echo, a comment the bot account wrote outside duplex) ignored.
#include <doctest/doctest.h>

#include "core/clock.h"
#include "security/signatures.h"
#include "storage/store.h"
#include "support/e2e_env.h"

namespace duplex::test {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "gh-webhook-secret-e2e";
constexpr const char* kToken = "github_pat_11AAe2e";
constexpr const char* kCommentsPath = "/api/v3/repos/acme/widgets/issues/42/comments";

json GitHubPatch(const FakeHttpServer& api) {
  return {{"platforms",
           {{"github",
             {{"secret", kSecret},
              {"token", kToken},
              {"api_base", api.url() + "/api/v3"},
              {"bot_login", "duplex-app[bot]"}}}}}};
}

HttpResult PostGitHub(E2eEnv& env, const std::string& event, const std::string& body,
                      const std::string& delivery) {
  HttpRequest req;
  req.url = env.base_url() + "/webhooks/github";
  req.body = body;
  req.headers = {{"X-GitHub-Event", event},
                 {"X-GitHub-Delivery", delivery},
                 {"X-Hub-Signature-256", security::SignHubSignature256(kSecret, body)}};
  return env.Send(req);
}

std::string Fixture(const std::string& name) {
  return ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/github/" + name);
}

FakeAnswer Created() {
  return FakeAnswer{
      201,
      R"({"id":2137465999,"html_url":"https://github.com/acme/widgets/pull/42#issuecomment-2137465999"})"};
}

}  // namespace

TEST_CASE("github e2e: ping, our own bot's comment and a redelivery post nothing new") {
  FakeHttpServer api;
  E2eEnv env(GitHubPatch(api));
  auto ping = PostGitHub(env, "ping", Fixture("ping.json"), "p-1");
  CHECK(ping.response.status == 200);
  CHECK(json::parse(ping.response.body)["pong"] == true);
  CHECK(PostGitHub(env, "issue_comment", Fixture("issue_comment_by_app.json"), "b-1")
            .response.status == 200);
  CHECK(PostGitHub(env, "issue_comment", Fixture("issue_comment_created.json"), "c-1")
            .response.status == 200);
  auto again = PostGitHub(env, "issue_comment", Fixture("issue_comment_created.json"), "c-1");
  CHECK(json::parse(again.response.body)["duplicates"] == 1);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.WaitDrained());
  CHECK(env.slack.Posts().size() == 1);
}

TEST_CASE(
    "github e2e: the same signed comment sent under three delivery ids is one message and one "
    "chat post, and does not reopen the conversation") {
  FakeHttpServer api;
  E2eEnv env(GitHubPatch(api));
  const std::string body = Fixture("issue_comment_created.json");
  auto first = PostGitHub(env, "issue_comment", body, "c-1");
  REQUIRE(first.response.status == 200);
  CHECK(json::parse(first.response.body)["accepted"] == 1);
  REQUIRE(env.slack.WaitForPosts(1));
  const std::string ts = env.slack.Posts()[0]["_ts"];
  REQUIRE(env.SlackCommand("close 1").response.status == 200);
  REQUIRE(env.slack.WaitForUpdate(ts, "Closed"));
  Store& store = env.app().store();
  const Conversation closed = **store.GetConversation(1);
  // X-GitHub-Delivery is not signed: anyone holding one signed body can send it again.
  for (const char* delivery : {"c-2", "c-3"}) {
    auto again = PostGitHub(env, "issue_comment", body, delivery);
    CHECK(again.response.status == 200);
    CHECK(json::parse(again.response.body)["duplicates"] == 1);
    CHECK(json::parse(again.response.body)["accepted"] == 0);
  }
  CHECK(store.ListMessages(1)->size() == 1);
  const Conversation after = **store.GetConversation(1);
  CHECK(after.state == ConversationState::kClosed);
  CHECK(after.sla_started_at == closed.sla_started_at);
  CHECK(after.updated_at == closed.updated_at);
  REQUIRE(WaitUntil([&] { return store.GetOutboxStats()->pending == 0; }));
  int cards = 0;
  for (const auto& p : env.slack.Posts()) cards += p.contains("blocks");
  CHECK(cards == 1);
}

TEST_CASE("github e2e: an issue comment round trip") {
  FakeHttpServer api;
  api.On(kCommentsPath, [](const RecordedRequest&) { return Created(); });
  E2eEnv env(GitHubPatch(api));
  REQUIRE(PostGitHub(env, "issue_comment", Fixture("issue_comment_created.json"), "c-1")
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  json card = env.slack.Posts()[0];
  std::string text = card["text"];
  CHECK(text.find("#1 · GitHub comment") != std::string::npos);
  CHECK(text.find("ivan-ops") != std::string::npos);
  CHECK(card["blocks"].dump().find(
            "https://github.com/acme/widgets/pull/42#issuecomment-2137465001") !=
        std::string::npos);

  REQUIRE(env.SlackCommand("reply 1 Fixed in 2.3.2, released today").response.status == 200);
  REQUIRE(api.WaitForCount(kCommentsPath, 1));
  auto got = api.Requests(kCommentsPath)[0];
  CHECK(got.method == "POST");
  CHECK(got.Header("Authorization") == std::string("Bearer ") + kToken);
  CHECK(got.Header("Accept") == "application/vnd.github+json");
  CHECK(got.Header("X-GitHub-Api-Version") == "2022-11-28");
  CHECK_FALSE(got.Header("User-Agent").empty());
  CHECK(json::parse(got.body) == json{{"body", "Fixed in 2.3.2, released today"}});

  REQUIRE(env.slack.WaitForPosts(2));
  json confirmation = env.slack.Posts()[1];
  CHECK(confirmation["thread_ts"] == card["_ts"]);
  std::string said = confirmation["text"];
  CHECK(said.find("posted on GitHub") != std::string::npos);
  CHECK(said.find("https://github.com/acme/widgets/pull/42#issuecomment-2137465999") !=
        std::string::npos);
  REQUIRE(env.WaitDrained());
  CHECK(api.Count(kCommentsPath) == 1);
}

TEST_CASE("github e2e: a rate-limited reply waits for x-ratelimit-reset and is posted once") {
  FakeHttpServer api;
  api.On(kCommentsPath, [](const RecordedRequest&) { return Created(); });
  SystemClock clock;
  api.Script(kCommentsPath,
             FakeAnswer{403,
                        R"({"message":"API rate limit exceeded for user ID 1."})",
                        "application/json",
                        {{"x-ratelimit-remaining", "0"},
                         {"x-ratelimit-reset", std::to_string(clock.NowSeconds() + 1)}}});
  E2eEnv env(GitHubPatch(api));
  REQUIRE(PostGitHub(env, "issue_comment", Fixture("issue_comment_created.json"), "c-1")
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  auto start = std::chrono::steady_clock::now();
  REQUIRE(env.SlackCommand("reply 1 On it").response.status == 200);
  REQUIRE(api.WaitForCount(kCommentsPath, 2, 8000));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
  REQUIRE(env.slack.WaitForPosts(2));
  REQUIRE(env.WaitDrained());
  REQUIRE(env.slack.Posts().size() == 2);
  CHECK(env.slack.Posts()[1]["text"].get<std::string>().find("posted on GitHub") !=
        std::string::npos);
  CHECK(api.Count(kCommentsPath) == 2);
}

TEST_CASE("github e2e: a locked issue ends in a clear message in the thread, not a retry loop") {
  FakeHttpServer api;
  api.On(kCommentsPath, [](const RecordedRequest&) {
    return FakeAnswer{
        403,
        R"({"message":"Unable to create comment because issue is locked.","documentation_url":"https://docs.github.com/rest"})"};
  });
  E2eEnv env(GitHubPatch(api));
  REQUIRE(PostGitHub(env, "issue_comment", Fixture("issue_comment_created.json"), "c-1")
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.SlackCommand("reply 1 On it").response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  std::string said = env.slack.Posts()[1]["text"];
  CHECK(said.find("was NOT posted") != std::string::npos);
  CHECK(said.find("issue is locked") != std::string::npos);
  REQUIRE(env.WaitDrained());
  CHECK(api.Count(kCommentsPath) == 1);
  CHECK(env.slack.Posts().size() == 2);
}

TEST_CASE(
    "github e2e: with a GitHub Enterprise Server api_base, a discussion reply goes to "
    "/api/graphql") {
  FakeHttpServer ghes;  // api_base http://127.0.0.1:P/api/v3, as GHES serves REST
  ghes.On("/api/graphql", [](const RecordedRequest&) {
    return FakeAnswer{
        200,
        R"({"data":{"addDiscussionComment":{"comment":{"id":"DC_kwDOABCD5M4AkAAA","url":"https://ghe.acme.test/acme/widgets/discussions/7#discussioncomment-1"}}}})"};
  });
  E2eEnv env(GitHubPatch(ghes));
  REQUIRE(
      PostGitHub(env, "discussion", Fixture("discussion_created.json"), "d-1").response.status ==
      200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.SlackCommand("reply 1 Use File → Export → Layer").response.status == 200);
  REQUIRE(ghes.WaitForCount("/api/graphql", 1));
  auto got = ghes.Requests("/api/graphql")[0];
  CHECK(got.method == "POST");
  CHECK(got.Header("Authorization") == std::string("Bearer ") + kToken);
  json mutation = json::parse(got.body);
  CHECK(mutation["query"].get<std::string>().find("addDiscussionComment") != std::string::npos);
  CHECK(mutation["variables"] ==
        json{{"discussionId", "D_kwDOABCD5M4AYs8A"}, {"body", "Use File → Export → Layer"}});
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(env.slack.Posts()[1]["text"].get<std::string>().find("posted on GitHub") !=
        std::string::npos);
  CHECK(ghes.Count("/api/v3/graphql") == 0);
  CHECK(ghes.Count() == 1);
}

TEST_CASE("github e2e: a pull request review comment is answered in its review thread") {
  FakeHttpServer api;
  const std::string replies =
      "/api/v3/repos/Codertocat/Hello-World/pulls/2/comments/284312630/replies";
  api.On(replies, [](const RecordedRequest&) {
    return FakeAnswer{
        201,
        R"({"id":284313001,"in_reply_to_id":284312630,"html_url":"https://github.com/Codertocat/Hello-World/pull/2#discussion_r284313001"})"};
  });
  E2eEnv env(GitHubPatch(api));
  // GitHub's sample payload (octokit/webhooks), then a reply in the same review thread.
  REQUIRE(PostGitHub(env, "pull_request_review_comment",
                     Fixture("pull_request_review_comment_created.json"), "r-1")
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  const json root = env.slack.Posts()[0];
  CHECK(root["text"].get<std::string>().find("#1 · GitHub comment") != std::string::npos);
  CHECK(root.dump().find("Maybe you should use more emoji on this line.") != std::string::npos);
  REQUIRE(PostGitHub(env, "pull_request_review_comment",
                     Fixture("pull_request_review_comment_reply.json"), "r-2")
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(env.slack.Posts()[1]["thread_ts"] == root["_ts"]);  // the PR is one conversation

  REQUIRE(env.SlackCommand("reply 1 Done: 🎉 added").response.status == 200);
  REQUIRE(api.WaitForCount(replies, 1));
  auto got = api.Requests(replies)[0];
  CHECK(got.method == "POST");
  CHECK(json::parse(got.body) == json{{"body", "Done: 🎉 added"}});
  REQUIRE(env.slack.WaitForPosts(3));
  const std::string said = env.slack.Posts()[2]["text"];
  CHECK(said.find("posted on GitHub") != std::string::npos);
  CHECK(said.find("https://github.com/Codertocat/Hello-World/pull/2#discussion_r284313001") !=
        std::string::npos);
  CHECK(api.Count() == 1);
}

TEST_CASE(
    "github e2e: an edited comment is shown in its thread as an edit, once, without reopening "
    "the conversation or restarting its SLA") {
  FakeHttpServer api;
  E2eEnv env(GitHubPatch(api));
  REQUIRE(PostGitHub(env, "issue_comment", Fixture("issue_comment_created.json"), "c-1")
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  const std::string ts = env.slack.Posts()[0]["_ts"];
  REQUIRE(env.SlackCommand("close 1").response.status == 200);
  REQUIRE(env.slack.WaitForUpdate(ts, "Closed"));
  Store& store = env.app().store();
  REQUIRE(WaitUntil([&] { return store.GetOutboxStats()->pending == 0; }));
  const Conversation closed = **store.GetConversation(1);
  const std::size_t posts = env.slack.Posts().size();
  const std::size_t updates = env.slack.Updates().size();

  auto edited = PostGitHub(env, "issue_comment", Fixture("issue_comment_edited.json"), "c-2");
  REQUIRE(edited.response.status == 200);
  CHECK(json::parse(edited.response.body)["accepted"] == 1);
  REQUIRE(env.slack.WaitForPosts(posts + 1));
  const json edit_post = env.slack.Posts()[posts];
  CHECK(edit_post["thread_ts"] == ts);
  CHECK(edit_post.dump().find(
            "✏️ edited: Still failing on 2.3.1 and 2.3.2 for me, any update?") !=
        std::string::npos);
  // The same version delivered again (a redelivery, or a new delivery id) is not posted again.
  for (const char* delivery : {"c-2", "c-3"}) {
    auto again = PostGitHub(env, "issue_comment", Fixture("issue_comment_edited.json"), delivery);
    CHECK(json::parse(again.response.body)["duplicates"] == 1);
  }
  REQUIRE(WaitUntil([&] { return store.GetOutboxStats()->pending == 0; }));
  const Conversation after = **store.GetConversation(1);
  CHECK(after.state == ConversationState::kClosed);
  CHECK(after.sla_started_at == closed.sla_started_at);
  CHECK(env.slack.Posts().size() == posts + 1);
  CHECK(env.slack.Updates().size() == updates);  // the root still says closed
  CHECK(store.ListMessages(1)->size() == 2);
}

namespace {

constexpr const char* kUserPath = "/api/v3/user";

// GitHubPatch without bot_login: who we are comes from GET /user, or from nothing.
json GitHubPatchWithoutLogin(const FakeHttpServer& api) {
  json patch = GitHubPatch(api);
  patch["platforms"]["github"].erase("bot_login");
  return patch;
}

// GitHub's issue_comment webhook for comment `id` on acme/widgets#42 written by `login`.
std::string CommentEvent(std::int64_t id, const std::string& login, const std::string& text) {
  json body = json::parse(Fixture("issue_comment_created.json"));
  body["comment"]["id"] = id;
  body["comment"]["html_url"] =
      "https://github.com/acme/widgets/pull/42#issuecomment-" + std::to_string(id);
  body["comment"]["body"] = text;
  body["comment"]["user"]["login"] = login;
  body["sender"]["login"] = login;
  return body.dump();
}

// The conversation #1 answered on GitHub: the customer's comment, the reply posted by the
// fake (comment 2137465999) and its confirmation; everything delivered.
Conversation Answered(E2eEnv& env, FakeHttpServer& api) {
  REQUIRE(PostGitHub(env, "issue_comment", Fixture("issue_comment_created.json"), "c-1")
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.SlackCommand("reply 1 Fixed in 2.3.2, released today").response.status == 200);
  REQUIRE(api.WaitForCount(kCommentsPath, 1));
  REQUIRE(env.slack.WaitForPosts(2));
  Store& store = env.app().store();
  REQUIRE(WaitUntil([&] { return store.GetOutboxStats()->pending == 0; }));
  const Conversation answered = **store.GetConversation(1);
  REQUIRE(answered.state == ConversationState::kReplied);
  REQUIRE(answered.sla_stopped_at.has_value());
  return answered;
}

// Nothing changed since `before`: no post, no update, the conversation as it was.
void CheckUntouched(E2eEnv& env, const Conversation& before, std::size_t posts, std::size_t updates,
                    std::size_t messages) {
  Store& store = env.app().store();
  REQUIRE(WaitUntil([&] { return store.GetOutboxStats()->pending == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a wrong post would show
  const Conversation after = **store.GetConversation(1);
  CHECK(after.state == ConversationState::kReplied);
  CHECK(after.sla_started_at == before.sla_started_at);
  CHECK(after.sla_stopped_at == before.sla_stopped_at);
  CHECK(after.updated_at == before.updated_at);
  CHECK(env.slack.Posts().size() == posts);
  CHECK(env.slack.Updates().size() == updates);
  CHECK(store.ListMessages(1)->size() == messages);
}

}  // namespace

TEST_CASE(
    "github e2e: the webhook GitHub sends for our own reply is its echo: acknowledged, not "
    "posted, the conversation stays replied and its SLA stopped") {
  FakeHttpServer api;
  api.On(kCommentsPath, [](const RecordedRequest&) { return Created(); });
  // An app installation token: /user refused, no bot_login, so only the reply's id can tell.
  api.On(kUserPath, [](const RecordedRequest&) {
    return FakeAnswer{403, R"({"message":"Resource not accessible by integration"})"};
  });
  E2eEnv env(GitHubPatchWithoutLogin(api));
  const Conversation answered = Answered(env, api);
  const std::size_t posts = env.slack.Posts().size(), updates = env.slack.Updates().size();

  auto echo = PostGitHub(
      env, "issue_comment",
      CommentEvent(2137465999, "acme-support[bot]", "Fixed in 2.3.2, released today"), "c-echo");
  REQUIRE(echo.response.status == 200);
  CHECK(json::parse(echo.response.body)["accepted"] == 0);
  CHECK(json::parse(echo.response.body)["echoes"] == 1);
  CheckUntouched(env, answered, posts, updates, 2);
  CHECK(env.LogText().find("echo of our own reply") != std::string::npos);
  CHECK(env.Get("/metrics")
            .response.body.find("duplex_webhooks_total{platform=\"github\",result=\"echo\"} 1") !=
        std::string::npos);
  CHECK(api.Count(kUserPath) == 1);  // refused once, never asked again
  // A customer's next comment still counts: the conversation awaits an answer again.
  auto next = PostGitHub(env, "issue_comment",
                         CommentEvent(2137466000, "ivan-ops", "Works now, thanks!"), "c-next");
  CHECK(json::parse(next.response.body)["accepted"] == 1);
  REQUIRE(env.slack.WaitForPosts(posts + 1));
  REQUIRE(WaitUntil(
      [&] { return (*env.app().store().GetConversation(1))->state == ConversationState::kOpen; }));
}

TEST_CASE(
    "github e2e: a comment the bot account writes on GitHub outside duplex is ignored, its login "
    "learned from GET /user") {
  FakeHttpServer api;
  api.On(kCommentsPath, [](const RecordedRequest&) { return Created(); });
  api.On(kUserPath, [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"login":"acme-support","id":4242,"type":"User"})"};
  });
  E2eEnv env(GitHubPatchWithoutLogin(api));
  const Conversation answered = Answered(env, api);
  const std::size_t posts = env.slack.Posts().size(), updates = env.slack.Updates().size();

  auto own = PostGitHub(
      env, "issue_comment",
      CommentEvent(2137465777, "acme-support", "Also: 2.3.2 needs a restart after updating."),
      "c-own");
  REQUIRE(own.response.status == 200);
  CHECK(json::parse(own.response.body)["accepted"] == 0);
  CheckUntouched(env, answered, posts, updates, 2);
  REQUIRE(api.Count(kUserPath) == 1);  // asked on the first webhook, then remembered
  const RecordedRequest user = api.Requests(kUserPath)[0];
  CHECK(user.method == "GET");
  CHECK(user.Header("Authorization") == std::string("Bearer ") + kToken);
}

}  // namespace duplex::test
