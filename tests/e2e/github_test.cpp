// GitHub end to end: signed issue_comment webhook → Slack thread → /duplex reply → exactly one
// REST comment on the fake GitHub API → confirmation with link; rate limit and locked issue;
// a discussion answered through GitHub Enterprise Server's GraphQL path; a pull request
// review comment answered in its thread; an edit shown as an edit.
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

}  // namespace duplex::test
