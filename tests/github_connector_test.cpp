// The GitHub connector: signature, the events it answers and those it ignores (GitHub's own
// payload shapes), malformed input, and the REST and GraphQL replies with every error class.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "platforms/github/github_connector.h"
#include "platforms/registry.h"
#include "security/signatures.h"
#include "support/fakes.h"
#include "support/test_util.h"

namespace duplex::test {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "It's a Secret to Everybody";
constexpr const char* kToken = "github_pat_11AAtest";
constexpr const char* kApi = "https://github.test/api/v3";
constexpr UnixMs kNow = 1'717'000'000'000;

json BaseConfig() {
  return {
      {"secret", kSecret}, {"token", kToken}, {"api_base", kApi}, {"bot_login", "duplex-app[bot]"}};
}

std::unique_ptr<PlatformConnector> Make(json config = BaseConfig()) {
  std::vector<std::string> errors;
  auto c = MakeGitHubConnector(config, "platforms.github", errors, nullptr);
  // doctest builds the message even when the check passes (-s): front() only if there is one.
  REQUIRE_MESSAGE(errors.empty(), (errors.empty() ? std::string() : errors.front()));
  return c;
}

std::string Fixture(const std::string& name) {
  return ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/github/" + name);
}

InboundRequest Event(const std::string& event, const std::string& body,
                     const std::string& delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958") {
  InboundRequest r;
  r.method = "POST";
  r.body = body;
  r.headers = {{"X-GitHub-Event", event},
               {"X-GitHub-Delivery", delivery},
               {"X-Hub-Signature-256", security::SignHubSignature256(kSecret, body)}};
  return r;
}

std::vector<Mention> ParseOk(const PlatformConnector& c, const InboundRequest& r) {
  auto parsed = c.Parse(r);
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().message());
  return parsed->mentions;
}

ReplyRequest Reply(const json& target, const std::string& text = "Thanks, a fix is on its way") {
  ReplyRequest r;
  r.delivery_id = 3;
  r.reply_target = target.dump();
  r.text = text;
  r.now = kNow;
  return r;
}

const json kIssueTarget = {{"type", "issue"}, {"repo", "acme/widgets"}, {"number", 42}};

}  // namespace

TEST_CASE("github: X-Hub-Signature-256 on the raw body: the published vector, missing, wrong") {
  auto c = Make();
  InboundRequest r = Event("ping", "Hello, World!");
  CHECK(FindHeader(r.headers, "X-Hub-Signature-256") ==
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  CHECK(c->Verify(r).ok());
  SUBCASE("missing") {
    r.headers = {{"X-GitHub-Event", "ping"}};
    CHECK(c->Verify(r).code() == StatusCode::kUnauthenticated);
  }
  SUBCASE("wrong secret") {
    r.headers.back().second = security::SignHubSignature256("not the secret", r.body);
    CHECK(c->Verify(r).code() == StatusCode::kUnauthenticated);
  }
  SUBCASE("body changed") {
    r.body = "Hello, World?";
    CHECK_FALSE(c->Verify(r).ok());
  }
}

TEST_CASE("github: ping is answered and stores nothing") {
  auto c = Make();
  auto parsed = c->Parse(Event("ping", Fixture("ping.json")));
  REQUIRE(parsed.ok());
  CHECK(parsed->mentions.empty());
  REQUIRE(parsed->response.has_value());
  CHECK(parsed->response->status == 200);
  CHECK(json::parse(parsed->response->body)["pong"] == true);
}

TEST_CASE("github: an opened issue is a direct mention of owner/repo#number") {
  auto c = Make();
  auto mentions = ParseOk(*c, Event("issues", Fixture("issues_opened.json"), "d-1"));
  REQUIRE(mentions.size() == 1);
  const Mention& m = mentions[0];
  CHECK(m.platform == "github");
  CHECK(m.event_id == "d-1");
  CHECK(m.kind == MentionKind::kDirect);
  CHECK(m.author.id == "583231");
  CHECK(m.author.handle == "hana-dev");
  CHECK_FALSE(m.author.followers.has_value());
  CHECK(m.text ==
        "Export fails with a timeout\n\nExporting a 2 GB project stops after 30 s with "
        "`504`.\r\n\r\nSteps: ...");
  CHECK(m.permalink == "https://github.com/acme/widgets/issues/42");
  CHECK(m.conversation_key == "acme/widgets#42");
  CHECK(json::parse(m.reply_target) == kIssueTarget);
  CHECK(c->DisplayNameFor(m.reply_target) == "GitHub");
}

TEST_CASE("github: a new issue or PR comment joins the issue's conversation") {
  auto c = Make();
  auto mentions = ParseOk(*c, Event("issue_comment", Fixture("issue_comment_created.json"), "d-2"));
  REQUIRE(mentions.size() == 1);
  const Mention& m = mentions[0];
  CHECK(m.kind == MentionKind::kComment);
  CHECK(m.event_id == "d-2");
  CHECK(m.text == "Still failing on 2.3.1 for me, any update?");
  CHECK(m.author.handle == "ivan-ops");
  CHECK(m.permalink == "https://github.com/acme/widgets/pull/42#issuecomment-2137465001");
  CHECK(m.conversation_key == "acme/widgets#42");
  CHECK(m.message_id == "issue_comment:2137465001");
  CHECK(json::parse(m.reply_target) == kIssueTarget);
}

TEST_CASE("github: discussions and their comments, threaded") {
  auto c = Make();
  auto opened = ParseOk(*c, Event("discussion", Fixture("discussion_created.json")));
  REQUIRE(opened.size() == 1);
  CHECK(opened[0].kind == MentionKind::kDirect);
  CHECK(opened[0].conversation_key == "acme/widgets/discussions/7");
  CHECK(opened[0].text == "How do I export only one layer?\n\nThe docs only show full exports.");
  CHECK(json::parse(opened[0].reply_target) == json{{"type", "discussion"},
                                                    {"repo", "acme/widgets"},
                                                    {"number", 7},
                                                    {"discussion_id", "D_kwDOABCD5M4AYs8A"}});

  auto reply = ParseOk(*c, Event("discussion_comment", Fixture("discussion_comment_reply.json")));
  REQUIRE(reply.size() == 1);
  CHECK(reply[0].kind == MentionKind::kComment);
  CHECK(reply[0].conversation_key == "acme/widgets/discussions/7");
  CHECK(reply[0].parent_message_id == "discussion_comment:9612300");
  json target = json::parse(reply[0].reply_target);
  CHECK(target["comment_id"] == "DC_kwDOABCD5M4Ak6l5");
  CHECK(target["comment_is_reply"] == true);
}

TEST_CASE("github: a pull request review comment joins the PR's conversation, threaded") {
  auto c = Make();
  // GitHub's own sample (octokit/webhooks): the first comment of a review thread.
  auto first = ParseOk(*c, Event("pull_request_review_comment",
                                 Fixture("pull_request_review_comment_created.json"), "d-3"));
  REQUIRE(first.size() == 1);
  const Mention& m = first[0];
  CHECK(m.kind == MentionKind::kComment);
  CHECK(m.event_id == "d-3");
  CHECK(m.text == "Maybe you should use more emoji on this line.");
  CHECK(m.author.handle == "Codertocat");
  CHECK(m.author.id == "21031067");
  CHECK(m.permalink == "https://github.com/Codertocat/Hello-World/pull/2#discussion_r284312630");
  CHECK(m.conversation_key == "Codertocat/Hello-World#2");  // the PR, like its issue comments
  CHECK(m.message_id == "pull_request_review_comment:284312630");
  CHECK(m.parent_message_id.empty());
  CHECK(json::parse(m.reply_target) == json{{"type", "review_comment"},
                                            {"repo", "Codertocat/Hello-World"},
                                            {"number", 2},
                                            {"comment_id", 284312630}});

  // A reply in that thread: answered in the same thread, whose first comment GitHub wants.
  auto reply = ParseOk(
      *c, Event("pull_request_review_comment", Fixture("pull_request_review_comment_reply.json")));
  REQUIRE(reply.size() == 1);
  CHECK(reply[0].conversation_key == "Codertocat/Hello-World#2");
  CHECK(reply[0].message_id == "pull_request_review_comment:284312777");
  CHECK(reply[0].parent_message_id == "pull_request_review_comment:284312630");
  CHECK(json::parse(reply[0].reply_target)["comment_id"] == 284312630);

  json deleted = json::parse(Fixture("pull_request_review_comment_created.json"));
  deleted["action"] = "deleted";
  CHECK(ParseOk(*c, Event("pull_request_review_comment", deleted.dump())).empty());
  json bad = json::parse(Fixture("pull_request_review_comment_reply.json"));
  bad["comment"]["in_reply_to_id"] = "284312630";
  CHECK(c->Parse(Event("pull_request_review_comment", bad.dump())).status().message() ==
        "body.comment.in_reply_to_id must be an integer");
}

TEST_CASE("github: an edit is the same message again, once per version") {
  auto c = Make();
  struct Case {
    const char* event;
    const char* fixture;
    const char* message_id;
    const char* updated_at;
    const char* text;
  };
  // The last four are GitHub's own samples (octokit/webhooks), unchanged.
  const Case cases[] = {
      {"issue_comment", "issue_comment_edited.json", "issue_comment:2137465001",
       "2024-05-29T17:05:00Z", "Still failing on 2.3.1 and 2.3.2 for me, any update?"},
      {"issues", "issues_edited.json", "issue:444500041", "2019-05-15T15:20:18Z",
       "Spelling error in the README file\n\nIt looks like you accidently spelled 'commit' with "
       "two 't's."},
      {"discussion", "discussion_edited.json", "discussion:3299614", "2021-03-30T20:26:24Z",
       "TEST edit\n\nTEST edit"},
      {"discussion_comment", "discussion_comment_edited.json", "discussion_comment:550062",
       "2021-03-30T20:21:30Z", "ANSWER"},
      {"pull_request_review_comment", "pull_request_review_comment_edited.json",
       "pull_request_review_comment:284312630", "2019-05-15T15:20:38Z",
       "Maybe you should use more emoji on this line."},
  };
  for (const Case& k : cases) {
    CAPTURE(k.fixture);
    auto m = ParseOk(*c, Event(k.event, Fixture(k.fixture), "delivery-1"));
    REQUIRE(m.size() == 1);
    CHECK(m[0].edited);
    CHECK(m[0].message_id == k.message_id);
    // The signed body names the version; a redelivery or a new delivery id changes nothing.
    CHECK(m[0].event_id == std::string(k.message_id) + "@edit:" + k.updated_at);
    CHECK(ParseOk(*c, Event(k.event, Fixture(k.fixture), "delivery-2"))[0].event_id ==
          m[0].event_id);
    CHECK(m[0].text == std::string("✏️ edited: ") + k.text);
  }
  auto created = ParseOk(*c, Event("issue_comment", Fixture("issue_comment_created.json")));
  auto edited = ParseOk(*c, Event("issue_comment", Fixture("issue_comment_edited.json")));
  CHECK_FALSE(created[0].edited);
  CHECK(edited[0].conversation_key == created[0].conversation_key);
  CHECK(edited[0].reply_target == created[0].reply_target);

  json no_time = json::parse(Fixture("issue_comment_edited.json"));
  no_time["comment"].erase("updated_at");
  CHECK(c->Parse(Event("issue_comment", no_time.dump())).status().message() ==
        "body.comment.updated_at is required");
}

TEST_CASE("github: other actions and events and our own bot or app are acknowledged and ignored") {
  auto c = Make();
  CHECK(ParseOk(*c, Event("push", R"({"ref":"refs/heads/main"})")).empty());
  CHECK(ParseOk(*c, Event("issues", R"({"action":"labeled"})")).empty());
  json deleted = json::parse(Fixture("issue_comment_edited.json"));
  deleted["action"] = "deleted";
  CHECK(ParseOk(*c, Event("issue_comment", deleted.dump())).empty());
  SUBCASE("an edit by our own bot") {
    json ours = json::parse(Fixture("issue_comment_edited.json"));
    ours["sender"]["login"] = "duplex-app[bot]";
    CHECK(ParseOk(*c, Event("issue_comment", ours.dump())).empty());
  }
  SUBCASE("by bot_login (case-insensitive)") {
    json config = BaseConfig();
    config["bot_login"] = "Duplex-App[bot]";
    CHECK(ParseOk(*Make(config), Event("issue_comment", Fixture("issue_comment_by_app.json")))
              .empty());
  }
  SUBCASE("by app_id, whatever the login") {
    json config = BaseConfig();
    config.erase("bot_login");
    config["app_id"] = 901234;
    CHECK(ParseOk(*Make(config), Event("issue_comment", Fixture("issue_comment_by_app.json")))
              .empty());
    config["app_id"] = 5;
    CHECK(ParseOk(*Make(config), Event("issue_comment", Fixture("issue_comment_by_app.json")))
              .size() == 1);
  }
}

TEST_CASE("github: malformed events are refused with a reason") {
  auto c = Make();
  auto code = [&](const std::string& event, const std::string& body) {
    return c->Parse(Event(event, body)).status();
  };
  json good = json::parse(Fixture("issue_comment_created.json"));
  CHECK(code("issue_comment", R"({"action":"created","issue":{)").code() ==
        StatusCode::kInvalidArgument);
  CHECK(code("issue_comment", "[]").code() == StatusCode::kInvalidArgument);
  json no_comment = good;
  no_comment.erase("comment");
  CHECK(code("issue_comment", no_comment.dump()).message() == "body.comment must be an object");
  json wrong_type = good;
  wrong_type["comment"]["body"] = 7;
  CHECK(code("issue_comment", wrong_type.dump()).message() == "body.comment.body must be a string");
  json string_number = good;
  string_number["issue"]["number"] = "42";
  CHECK(code("issue_comment", string_number.dump()).message() ==
        "body.issue.number must be an integer");
  json bad_repo = good;
  bad_repo["repository"]["full_name"] = "acme/../../orgs";
  CHECK(code("issue_comment", bad_repo.dump()).code() == StatusCode::kInvalidArgument);
  InboundRequest no_event = Event("issue_comment", good.dump());
  no_event.headers.erase(no_event.headers.begin());
  CHECK(c->Parse(no_event).status().message() == "missing X-GitHub-Event");
  SUBCASE("a null body and a 1 MiB body are fine") {
    json null_body = good;
    null_body["comment"]["body"] = nullptr;
    CHECK(ParseOk(*c, Event("issue_comment", null_body.dump()))[0].text.empty());
    json big = good;
    big["comment"]["body"] = std::string(1 << 20, 'b');
    CHECK(ParseOk(*c, Event("issue_comment", big.dump()))[0].text.size() == (1u << 20));
  }
}

TEST_CASE("github: an issue reply is one REST comment with GitHub's headers") {
  auto c = Make();
  FakeHttpClient http;
  http.PushStatus(
      201,
      R"({"id":2137465999,"html_url":"https://github.com/acme/widgets/issues/42#issuecomment-2137465999"})");
  DeliveryOutcome o = c->SendReply(Reply(kIssueTarget), http);
  CHECK(o.kind == OutcomeKind::kDone);
  CHECK(o.remote_id == "issue_comment:2137465999");
  CHECK(o.url == "https://github.com/acme/widgets/issues/42#issuecomment-2137465999");
  REQUIRE(http.requests().size() == 1);
  const HttpRequest req = http.requests()[0];
  CHECK(req.method == "POST");
  CHECK(req.url == std::string(kApi) + "/repos/acme/widgets/issues/42/comments");
  CHECK(FindHeader(req.headers, "Authorization") == std::string("Bearer ") + kToken);
  CHECK(FindHeader(req.headers, "Accept") == "application/vnd.github+json");
  CHECK(FindHeader(req.headers, "X-GitHub-Api-Version") == "2022-11-28");
  CHECK(FindHeader(req.headers, "User-Agent").find("duplex/") == 0);
  CHECK(json::parse(req.body) == json{{"body", "Thanks, a fix is on its way"}});
}

TEST_CASE("github: a discussion reply is one GraphQL addDiscussionComment in the right thread") {
  auto c = Make();
  FakeHttpClient http;
  const std::string done =
      R"({"data":{"addDiscussionComment":{"comment":{"id":"DC_new","url":"https://github.com/acme/widgets/discussions/7#discussioncomment-1"}}}})";
  SUBCASE("to the discussion itself") {
    http.PushStatus(200, done);
    json target = {
        {"type", "discussion"}, {"repo", "acme/widgets"}, {"number", 7}, {"discussion_id", "D_1"}};
    DeliveryOutcome o = c->SendReply(Reply(target), http);
    CHECK(o.kind == OutcomeKind::kDone);
    CHECK(o.url == "https://github.com/acme/widgets/discussions/7#discussioncomment-1");
    REQUIRE(http.requests().size() == 1);
    // GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql.
    CHECK(http.requests()[0].url == "https://github.test/api/graphql");
    json body = json::parse(http.requests()[0].body);
    CHECK(body["query"].get<std::string>().find("addDiscussionComment") != std::string::npos);
    CHECK(body["variables"] ==
          json{{"discussionId", "D_1"}, {"body", "Thanks, a fix is on its way"}});
  }
  SUBCASE("to a top comment: replyToId is that comment") {
    http.PushStatus(200, done);
    json target = {{"type", "discussion"},   {"repo", "acme/widgets"}, {"number", 7},
                   {"discussion_id", "D_1"}, {"comment_id", "DC_top"}, {"comment_is_reply", false}};
    CHECK(c->SendReply(Reply(target), http).kind == OutcomeKind::kDone);
    CHECK(json::parse(http.requests()[0].body)["variables"]["replyToId"] == "DC_top");
  }
  SUBCASE("to a reply: GitHub is asked for its top comment first") {
    http.PushStatus(200, R"({"data":{"node":{"replyTo":{"id":"DC_top"}}}})");
    http.PushStatus(200, done);
    json target = {
        {"type", "discussion"},   {"repo", "acme/widgets"},   {"number", 7},
        {"discussion_id", "D_1"}, {"comment_id", "DC_child"}, {"comment_is_reply", true}};
    CHECK(c->SendReply(Reply(target), http).kind == OutcomeKind::kDone);
    REQUIRE(http.requests().size() == 2);
    CHECK(json::parse(http.requests()[0].body)["variables"]["id"] == "DC_child");
    CHECK(json::parse(http.requests()[1].body)["variables"]["replyToId"] == "DC_top");
  }
  SUBCASE("the lookup failing is a retry: nothing was posted") {
    http.PushError(TransportError::kUnknown, "timeout");
    json target = {
        {"type", "discussion"},   {"repo", "acme/widgets"},   {"number", 7},
        {"discussion_id", "D_1"}, {"comment_id", "DC_child"}, {"comment_is_reply", true}};
    CHECK(c->SendReply(Reply(target), http).kind == OutcomeKind::kRetry);
    CHECK(http.requests().size() == 1);
  }
  SUBCASE("GraphQL errors: rate limited retries, others are permanent with GitHub's message") {
    json target = {
        {"type", "discussion"}, {"repo", "acme/widgets"}, {"number", 7}, {"discussion_id", "D_1"}};
    http.PushStatus(
        200, R"({"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]})",
        {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(kNow / 1000 + 30)}});
    DeliveryOutcome limited = c->SendReply(Reply(target), http);
    CHECK(limited.kind == OutcomeKind::kRetry);
    CHECK(limited.retry_after_ms == 30'000);
    http.PushStatus(
        200,
        R"({"data":{"addDiscussionComment":null},"errors":[{"type":"FORBIDDEN","message":"Discussion is locked"}]})");
    DeliveryOutcome locked = c->SendReply(Reply(target), http);
    CHECK(locked.kind == OutcomeKind::kPermanent);
    CHECK(locked.error.find("Discussion is locked") != std::string::npos);
  }
}

TEST_CASE("github: a review comment reply goes into its thread through REST") {
  auto c = Make();
  FakeHttpClient http;
  http.PushStatus(
      201,
      R"({"id":284313001,"html_url":"https://github.com/Codertocat/Hello-World/pull/2#discussion_r284313001","in_reply_to_id":284312630})");
  json target = {{"type", "review_comment"},
                 {"repo", "Codertocat/Hello-World"},
                 {"number", 2},
                 {"comment_id", 284312630}};
  DeliveryOutcome o = c->SendReply(Reply(target), http);
  CHECK(o.kind == OutcomeKind::kDone);
  CHECK(o.remote_id == "pull_request_review_comment:284313001");
  CHECK(o.url == "https://github.com/Codertocat/Hello-World/pull/2#discussion_r284313001");
  REQUIRE(http.requests().size() == 1);
  const HttpRequest req = http.requests()[0];
  CHECK(req.method == "POST");
  CHECK(req.url ==
        std::string(kApi) + "/repos/Codertocat/Hello-World/pulls/2/comments/284312630/replies");
  CHECK(FindHeader(req.headers, "Authorization") == std::string("Bearer ") + kToken);
  CHECK(json::parse(req.body) == json{{"body", "Thanks, a fix is on its way"}});

  target.erase("comment_id");
  CHECK(c->SendReply(Reply(target), http).kind == OutcomeKind::kPermanent);
  CHECK(http.requests().size() == 1);
}

TEST_CASE("github: the GraphQL endpoint follows api_base, or graphql_url when set") {
  CHECK(GitHubGraphQlUrl("https://api.github.com") == "https://api.github.com/graphql");
  CHECK(GitHubGraphQlUrl("https://ghe.acme.test/api/v3") == "https://ghe.acme.test/api/graphql");
  CHECK(GitHubGraphQlUrl("http://127.0.0.1:8080/api/v3") == "http://127.0.0.1:8080/api/graphql");
  CHECK(GitHubGraphQlUrl("https://proxy.acme.test/github") ==
        "https://proxy.acme.test/github/graphql");
  CHECK(GitHubGraphQlUrl("https://ghe.acme.test/api/v30") ==
        "https://ghe.acme.test/api/v30/graphql");

  json config = BaseConfig();
  config["graphql_url"] = "https://gql.acme.test/graphql";
  auto c = Make(config);
  FakeHttpClient http;
  http.PushStatus(200, R"({"data":{"addDiscussionComment":{"comment":{"id":"DC_1","url":""}}}})");
  json target = {
      {"type", "discussion"}, {"repo", "acme/widgets"}, {"number", 7}, {"discussion_id", "D_1"}};
  CHECK(c->SendReply(Reply(target), http).kind == OutcomeKind::kDone);
  CHECK(http.requests()[0].url == "https://gql.acme.test/graphql");

  std::vector<std::string> errors;
  config["graphql_url"] = "gql.acme.test";
  MakeGitHubConnector(config, "platforms.github", errors, nullptr);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("platforms.github.graphql_url") == 0);
}

TEST_CASE("github: REST errors map onto retry, permanent and uncertain") {
  auto c = Make();
  FakeHttpClient http;
  auto send = [&] { return c->SendReply(Reply(kIssueTarget), http); };
  SUBCASE("primary rate limit: wait until x-ratelimit-reset") {
    http.PushStatus(
        403, R"({"message":"API rate limit exceeded for user ID 1."})",
        {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(kNow / 1000 + 120)}});
    DeliveryOutcome o = send();
    CHECK(o.kind == OutcomeKind::kRetry);
    CHECK(o.retry_after_ms == 120'000);
  }
  SUBCASE("secondary rate limit: retry-after, else a minute") {
    http.PushStatus(429, R"({"message":"You have exceeded a secondary rate limit."})",
                    {{"retry-after", "1"}});
    CHECK(send().retry_after_ms == 1000);
    http.PushStatus(
        403,
        R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes."})");
    DeliveryOutcome o = send();
    CHECK(o.kind == OutcomeKind::kRetry);
    CHECK(o.retry_after_ms == 60'000);
  }
  SUBCASE("401 is an auth failure") {
    http.PushStatus(401, R"({"message":"Bad credentials"})");
    DeliveryOutcome o = send();
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK(o.auth_failure);
    CHECK(o.error.find("Bad credentials") != std::string::npos);
  }
  SUBCASE("locked, deleted or gone: permanent with GitHub's message") {
    http.PushStatus(403, R"({"message":"Unable to create comment because issue is locked."})");
    DeliveryOutcome locked = send();
    CHECK(locked.kind == OutcomeKind::kPermanent);
    CHECK(locked.error.find("issue is locked") != std::string::npos);
    for (int status : {404, 410, 422}) {
      CAPTURE(status);
      http.PushStatus(status, R"({"message":"Not Found"})");
      DeliveryOutcome o = send();
      CHECK(o.kind == OutcomeKind::kPermanent);
      CHECK(o.error.find("HTTP " + std::to_string(status)) != std::string::npos);
      CHECK_FALSE(o.auth_failure);
    }
  }
  SUBCASE("5xx and timeouts are uncertain; refused connections retry") {
    http.PushStatus(502, "Bad Gateway");
    CHECK(send().kind == OutcomeKind::kUncertain);
    http.PushError(TransportError::kUnknown, "timeout");
    CHECK(send().kind == OutcomeKind::kUncertain);
    http.PushError(TransportError::kNotSent, "refused");
    CHECK(send().kind == OutcomeKind::kRetry);
  }
}

TEST_CASE("github: replies that cannot work are refused before any call") {
  FakeHttpClient http;
  json config = BaseConfig();
  config.erase("token");
  DeliveryOutcome no_token = Make(config)->SendReply(Reply(kIssueTarget), http);
  CHECK(no_token.kind == OutcomeKind::kPermanent);
  CHECK(no_token.error.find("token") != std::string::npos);
  auto c = Make();
  json bad = kIssueTarget;
  bad["repo"] = "acme/widgets/../../user";
  CHECK(c->SendReply(Reply(bad), http).kind == OutcomeKind::kPermanent);
  CHECK(c->SendReply(Reply(json{{"type", "gist"}, {"repo", "a/b"}, {"number", 1}}), http).kind ==
        OutcomeKind::kPermanent);
  CHECK(http.requests().empty());
  CHECK(c->ValidateReply(std::string(65537, 'x'), "o/r#1").code() == StatusCode::kInvalidArgument);
}

TEST_CASE("github: config and registry") {
  std::vector<std::string> errors;
  MakeGitHubConnector(json{{"app_id", "x"}}, "platforms.github", errors, nullptr);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == "platforms.github.secret: required");
  CHECK(errors[1] == "platforms.github.app_id: must be an integer");
  const PlatformEntry* entry = FindPlatform("github");
  REQUIRE(entry != nullptr);
  CHECK(entry->secret_keys == std::vector<std::string>{"secret", "token"});
}

TEST_CASE("github: the sample webhook is signed and parses into one issue comment") {
  auto c = Make();
  HttpRequest sample =
      c->SampleWebhook("http://127.0.0.1:8080", "hello from simulate", "sim-7", kNow);
  InboundRequest r;
  r.body = sample.body;
  r.headers = sample.headers;
  CHECK(sample.url == "http://127.0.0.1:8080/webhooks/github");
  CHECK(c->Verify(r).ok());
  auto mentions = ParseOk(*c, r);
  REQUIRE(mentions.size() == 1);
  CHECK(mentions[0].event_id == "sim-7");
  CHECK(mentions[0].text == "hello from simulate");
}

namespace {

// A copy of a fixture as GitHub would send it for the comment `id`, written by `login`.
json CommentBy(const std::string& fixture, std::int64_t id, const std::string& login) {
  json body = json::parse(Fixture(fixture));
  body["comment"]["id"] = id;
  body["comment"]["user"]["login"] = login;
  body["sender"]["login"] = login;
  return body;
}

InboundRequest At(InboundRequest r, UnixMs now) {
  r.now = now;
  return r;
}

}  // namespace

TEST_CASE("github: a reply's remote id is the message id GitHub's webhook for it parses to") {
  // Without bot_login or a lookup, our own comment parses like anyone's: only its id tells.
  json config = BaseConfig();
  config.erase("bot_login");
  auto c = Make(config);
  FakeHttpClient http;
  SUBCASE("an issue comment") {
    http.PushStatus(201, R"({"id":2137465999,"html_url":"https://github.com/x"})");
    DeliveryOutcome o = c->SendReply(Reply(kIssueTarget), http);
    auto echo = ParseOk(
        *c,
        Event("issue_comment", CommentBy("issue_comment_created.json", 2137465999, "ours").dump()));
    REQUIRE(echo.size() == 1);
    CHECK(o.remote_id == echo[0].message_id);
  }
  SUBCASE("a review comment reply") {
    http.PushStatus(201, R"({"id":284313001,"in_reply_to_id":284312630})");
    json target = {{"type", "review_comment"},
                   {"repo", "Codertocat/Hello-World"},
                   {"number", 2},
                   {"comment_id", 284312630}};
    DeliveryOutcome o = c->SendReply(Reply(target), http);
    auto echo = ParseOk(
        *c, Event("pull_request_review_comment",
                  CommentBy("pull_request_review_comment_reply.json", 284313001, "ours").dump()));
    REQUIRE(echo.size() == 1);
    CHECK(o.remote_id == echo[0].message_id);
  }
  SUBCASE("a discussion comment: its databaseId, not its node id") {
    http.PushStatus(
        200,
        R"({"data":{"addDiscussionComment":{"comment":{"id":"DC_kwDOABCD5M4Ak6zz","databaseId":9612399,"url":"https://github.com/x"}}}})");
    json target = {
        {"type", "discussion"}, {"repo", "acme/widgets"}, {"number", 7}, {"discussion_id", "D_1"}};
    DeliveryOutcome o = c->SendReply(Reply(target), http);
    CHECK(json::parse(http.requests()[0].body)["query"].get<std::string>().find("databaseId") !=
          std::string::npos);
    auto echo =
        ParseOk(*c, Event("discussion_comment",
                          CommentBy("discussion_comment_reply.json", 9612399, "ours").dump()));
    REQUIRE(echo.size() == 1);
    CHECK(o.remote_id == "discussion_comment:9612399");
    CHECK(o.remote_id == echo[0].message_id);
  }
}

TEST_CASE(
    "github: without bot_login our login is learned from GET /user, once, and what it writes is "
    "ignored") {
  json config = BaseConfig();
  config.erase("bot_login");
  FakeHttpClient http;
  std::vector<std::string> errors;
  auto c = MakeGitHubConnector(config, "platforms.github", errors, &http);
  REQUIRE(errors.empty());
  const std::string customer = Fixture("issue_comment_created.json");
  SUBCASE("learned, cached, compared case-insensitively with the sender and the author") {
    http.PushStatus(200, R"({"login":"Acme-Support","id":4242,"type":"User"})");
    CHECK(ParseOk(*c, At(Event("issue_comment",
                               CommentBy("issue_comment_created.json", 1, "acme-support").dump()),
                         kNow))
              .empty());
    json by_sender = json::parse(customer);
    by_sender["sender"]["login"] = "acme-support";
    CHECK(ParseOk(*c, At(Event("issue_comment", by_sender.dump()), kNow)).empty());
    json by_author = json::parse(Fixture("discussion_comment_reply.json"));
    by_author["comment"]["user"]["login"] = "ACME-SUPPORT";
    CHECK(ParseOk(*c, At(Event("discussion_comment", by_author.dump()), kNow)).empty());
    CHECK(ParseOk(*c, At(Event("issue_comment", customer), kNow)).size() == 1);
    REQUIRE(http.requests().size() == 1);
    const HttpRequest req = http.requests()[0];
    CHECK(req.method == "GET");
    CHECK(req.url == std::string(kApi) + "/user");
    CHECK(FindHeader(req.headers, "Authorization") == std::string("Bearer ") + kToken);
    CHECK(req.timeout_ms <= 2000);
  }
  SUBCASE("a failure keeps events flowing and is asked again a minute later") {
    http.PushError(TransportError::kNotSent, "connection refused");
    http.PushStatus(200, R"({"login":"acme-support"})");
    const std::string ours = CommentBy("issue_comment_created.json", 1, "acme-support").dump();
    CHECK(ParseOk(*c, At(Event("issue_comment", ours), kNow)).size() == 1);
    CHECK(ParseOk(*c, At(Event("issue_comment", ours), kNow + 30'000)).size() == 1);
    CHECK(http.requests().size() == 1);
    CHECK(ParseOk(*c, At(Event("issue_comment", ours), kNow + 60'000)).empty());
    CHECK(http.requests().size() == 2);
  }
  SUBCASE("an app installation token (403) is never asked again, with a hint to set bot_login") {
    LogCapture logs;
    http.PushStatus(403, R"({"message":"Resource not accessible by integration"})");
    CHECK(ParseOk(*c, At(Event("issue_comment", customer), kNow)).size() == 1);
    CHECK(ParseOk(*c, At(Event("issue_comment", customer, "d-2"), kNow + 3'600'000)).size() == 1);
    CHECK(http.requests().size() == 1);
    CHECK(logs.Text().find("platforms.github.bot_login") != std::string::npos);
  }
  SUBCASE("bot_login, when set, wins and nothing is asked") {
    config["bot_login"] = "duplex-app[bot]";
    auto configured = MakeGitHubConnector(config, "platforms.github", errors, &http);
    CHECK(ParseOk(*configured, At(Event("issue_comment", customer), kNow)).size() == 1);
    CHECK(http.requests().empty());
  }
}

}  // namespace duplex::test
