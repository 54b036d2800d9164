// X end to end: the real App, a fake Slack and a fake X API on loopback.
#include <doctest/doctest.h>

#include <thread>

#include "core/clock.h"
#include "core/text.h"
#include "security/signatures.h"
#include "support/e2e_env.h"

namespace duplex::test {
namespace {

using nlohmann::json;

constexpr const char* kXSecret = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu";
constexpr const char* kOurId = "1500000000000000001";
constexpr const char* kUserToken = "x-user-token-abc";

json XPatch(const FakeHttpServer& api) {
  return {{"platforms",
           {{"x",
             {{"consumer_secret", kXSecret},
              {"bearer_token", kUserToken},
              {"api_base", api.url()},
              {"account_id", kOurId}}}}}};
}

json Tweet(const std::string& id, const std::string& text, const std::string& in_reply_to = "",
           const std::string& in_reply_to_user = "") {
  return {{"id_str", id},
          {"text", text},
          {"truncated", false},
          {"in_reply_to_status_id_str", in_reply_to.empty() ? json() : json(in_reply_to)},
          {"in_reply_to_user_id_str", in_reply_to_user.empty() ? json() : json(in_reply_to_user)},
          {"user",
           {{"id_str", "2244994945"},
            {"screen_name", "ana_customer"},
            {"name", "Ana Customer"},
            {"followers_count", 12345}}}};
}

HttpResult PostRawX(E2eEnv& env, const std::string& raw, const std::string& secret = kXSecret) {
  HttpRequest req;
  req.url = env.base_url() + "/webhooks/x";
  req.body = raw;
  req.headers = {{"x-twitter-webhooks-signature", security::SignXSignature(secret, raw)}};
  return env.Send(req);
}

HttpResult PostX(E2eEnv& env, const json& body, const std::string& secret = kXSecret) {
  return PostRawX(env, body.dump(), secret);
}

json Events(const json& tweet) {
  return {{"for_user_id", kOurId}, {"tweet_create_events", {tweet}}};
}

FakeAnswer Created(const std::string& id) {
  return FakeAnswer{201, json{{"data", {{"id", id}, {"text", "ok"}}}}.dump()};
}

bool Contains(const json& post, const std::string& needle) {
  return post.dump().find(needle) != std::string::npos;
}

// An X Activity API delivery shaped like docs.x.com's post.mention.create / post.reply.create
// samples: one post by Ana, with her profile in includes unless `with_profile` is false.
json Activity(const std::string& event_type, const std::string& post_id, const std::string& text,
              bool with_profile = true, const std::string& in_reply_to = "") {
  json post = {{"id", post_id},
               {"text", text},
               {"author_id", "2244994945"},
               {"conversation_id", in_reply_to.empty() ? post_id : in_reply_to},
               {"created_at", "2026-12-07T09:21:05.000Z"},
               {"edit_history_tweet_ids", {post_id}},
               {"entities",
                {{"mentions",
                  {{{"start", 0}, {"end", 13}, {"username", "acme_support"}, {"id", kOurId}}}}}}};
  if (!in_reply_to.empty()) {
    post["in_reply_to_tweet_id"] = in_reply_to;
    post["in_reply_to_user_id"] = kOurId;
    post["referenced_tweets"] = {{{"type", "replied_to"}, {"id", in_reply_to}}};
  }
  json data = {{"event_uuid", "-" + post_id + "7"},
               {"filter", {{"user_id", kOurId}}},
               {"event_type", event_type},
               {"tag", "support"},
               {"payload", post}};
  if (with_profile) {
    data["includes"] = {{"users",
                         {{{"id", "2244994945"},
                           {"username", "ana_customer"},
                           {"name", "Ana Customer"},
                           {"public_metrics", {{"followers_count", 12345}}}}}}};
  }
  return {{"data", data}};
}

std::string Answer(const HttpResult& r) {
  return json::parse(r.response.body).dump();
}

}  // namespace

TEST_CASE(
    "X: a signed mention reaches Slack, /duplex reply posts one reply tweet, the thread shows its "
    "link") {
  FakeHttpServer x_api;
  x_api.On("/2/tweets", [](const RecordedRequest&) { return Created("1800000000000000001"); });
  E2eEnv env(XPatch(x_api));

  auto r = PostX(env, Events(Tweet("1790345678901234689", "@acme_support my order never arrived")));
  REQUIRE(r.ok());
  CHECK(r.response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  json root = env.slack.Posts()[0];
  const std::string text = root["text"];
  CHECK(text.find("#1 · X mention") != std::string::npos);
  CHECK(text.find("Ana Customer (@ana_customer) · 12,345 followers") != std::string::npos);
  CHECK(Contains(root["blocks"], "https://x.com/ana_customer/status/1790345678901234689"));

  auto answer = env.SlackCommand("reply 1 Sorry about that! Please DM us the order number.");
  REQUIRE(answer.ok());
  CHECK(json::parse(answer.response.body)["text"].get<std::string>().find(
            "Queued reply to #1 on X") != std::string::npos);
  REQUIRE(x_api.WaitForCount("/2/tweets", 1));
  auto sent = x_api.Requests("/2/tweets")[0];
  CHECK(sent.method == "POST");
  CHECK(sent.Header("Authorization") == std::string("Bearer ") + kUserToken);
  CHECK(json::parse(sent.body) ==
        json{{"text", "Sorry about that! Please DM us the order number."},
             {"reply", {{"in_reply_to_tweet_id", "1790345678901234689"}}}});

  REQUIRE(env.slack.WaitForPosts(2));
  json confirmation = env.slack.Posts()[1];
  CHECK(confirmation["thread_ts"] == root["_ts"]);
  CHECK(Contains(confirmation, "posted on X"));
  CHECK(Contains(confirmation, "https://x.com/i/web/status/1800000000000000001"));
  REQUIRE(env.WaitDrained());
  CHECK(x_api.Count() == 1);
}

TEST_CASE("X: replies to a known tweet, ours included, land in that conversation's thread") {
  FakeHttpServer x_api;
  x_api.On("/2/tweets", [](const RecordedRequest&) { return Created("1790348000000000003"); });
  E2eEnv env(XPatch(x_api));
  REQUIRE(PostX(env, Events(Tweet("1790345678901234689", "@acme_support order 5521 never arrived")))
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  const std::string root_ts = env.slack.Posts()[0]["_ts"];

  // The customer adds to their own tweet.
  REQUIRE(PostX(env, Events(Tweet("1790345678901234999", "@acme_support also: it was paid twice",
                                  "1790345678901234689", "2244994945")))
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(env.slack.Posts()[1]["thread_ts"] == root_ts);

  // Staff answer; the customer answers our reply tweet (1790348000000000003).
  REQUIRE(env.SlackCommand("reply 1 We are on it").response.status == 200);
  REQUIRE(x_api.WaitForCount("/2/tweets", 1));
  CHECK(json::parse(x_api.Requests("/2/tweets")[0].body)["reply"]["in_reply_to_tweet_id"] ==
        "1790345678901234999");
  REQUIRE(env.slack.WaitForPosts(3));
  REQUIRE(PostX(env, Events(Tweet("1790350000000000017", "@acme_support thanks, still waiting",
                                  "1790348000000000003", kOurId)))
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(4));
  json last = env.slack.Posts()[3];
  CHECK(last["thread_ts"] == root_ts);
  CHECK(Contains(last, "X direct"));

  // A tweet about something else starts its own thread.
  REQUIRE(PostX(env, Events(Tweet("1790360000000000001", "@acme_support unrelated question")))
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(5));
  CHECK_FALSE(env.slack.Posts()[4].contains("thread_ts"));
}

TEST_CASE("X: a DM is answered in the customer's DM conversation") {
  FakeHttpServer x_api;
  x_api.On("/2/dm_conversations/with/2244994945/messages", [](const RecordedRequest&) {
    return FakeAnswer{
        201,
        R"({"data":{"dm_conversation_id":"1500000000000000001-2244994945","dm_event_id":"1790370000000000200"}})"};
  });
  E2eEnv env(XPatch(x_api));
  json dm = {
      {"for_user_id", kOurId},
      {"direct_message_events",
       {{{"type", "message_create"},
         {"id", "1790370000000000101"},
         {"message_create",
          {{"target", {{"recipient_id", kOurId}}},
           {"sender_id", "2244994945"},
           {"message_data", {{"text", "Can I change my delivery address?"}}}}}}}},
      {"users",
       {{"2244994945",
         {{"id", "2244994945"}, {"screen_name", "ana_customer"}, {"name", "Ana Customer"}}}}}};
  REQUIRE(PostX(env, dm).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  CHECK(Contains(env.slack.Posts()[0], "X dm"));
  REQUIRE(env.SlackCommand("reply 1 Yes: send us the new address here.").response.status == 200);
  REQUIRE(x_api.WaitForCount("/2/dm_conversations/with/2244994945/messages", 1));
  auto sent = x_api.Requests()[0];
  CHECK(sent.Header("Authorization") == std::string("Bearer ") + kUserToken);
  CHECK(json::parse(sent.body) == json{{"text", "Yes: send us the new address here."}});
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(Contains(env.slack.Posts()[1], "https://x.com/messages/2244994945-1500000000000000001"));
}

TEST_CASE("X Activity API: a signed mention reaches Slack and /duplex reply answers that post") {
  FakeHttpServer x_api;
  x_api.On("/2/tweets", [](const RecordedRequest&) { return Created("1865100000000000001"); });
  E2eEnv env(XPatch(x_api));

  auto r = PostX(env, Activity("post.mention.create", "1865000000000000101",
                               "@acme_support my order never arrived"));
  REQUIRE(r.ok());
  CHECK(r.response.status == 200);
  CHECK(Answer(r) == R"({"accepted":1,"duplicates":0,"ok":true})");
  REQUIRE(env.slack.WaitForPosts(1));
  json root = env.slack.Posts()[0];
  const std::string text = root["text"];
  CHECK(text.find("#1 · X mention") != std::string::npos);
  CHECK(text.find("Ana Customer (@ana_customer) · 12,345 followers") != std::string::npos);
  CHECK(Contains(root["blocks"], "https://x.com/ana_customer/status/1865000000000000101"));

  REQUIRE(env.SlackCommand("reply 1 Sorry about that! Please DM us the order number.")
              .response.status == 200);
  REQUIRE(x_api.WaitForCount("/2/tweets", 1));
  auto sent = x_api.Requests("/2/tweets")[0];
  CHECK(sent.Header("Authorization") == std::string("Bearer ") + kUserToken);
  CHECK(json::parse(sent.body) ==
        json{{"text", "Sorry about that! Please DM us the order number."},
             {"reply", {{"in_reply_to_tweet_id", "1865000000000000101"}}}});

  // A malformed delivery, correctly signed: a 400 naming the field.
  auto bad = PostRawX(
      env,
      R"({"data":{"event_type":"post.mention.create","filter":{"user_id":"1500000000000000001"},"payload":{"id":1865000000000000505}}})");
  CHECK(bad.response.status == 400);
  CHECK(bad.response.body.find("body.data.payload.id must be a string") != std::string::npos);
  CHECK(PostRawX(env, R"({"event_type":"post.mention.create"})").response.status == 400);
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(env.slack.Posts()[1]["thread_ts"] == root["_ts"]);
  CHECK(Contains(env.slack.Posts()[1], "https://x.com/i/web/status/1865100000000000001"));
}

TEST_CASE(
    "X Activity API: one post delivered as a mention, as a reply and by the Account Activity API "
    "is one chat post") {
  FakeHttpServer x_api;
  E2eEnv env(XPatch(x_api));
  const std::string text = "@acme_support the tracking link in your post is broken";
  auto mention = PostX(env, Activity("post.mention.create", "1865000000000000202", text, true,
                                     "1864990000000000007"));
  CHECK(Answer(mention) == R"({"accepted":1,"duplicates":0,"ok":true})");
  auto reply = PostX(
      env, Activity("post.reply.create", "1865000000000000202", text, true, "1864990000000000007"));
  CHECK(Answer(reply) == R"({"accepted":0,"duplicates":1,"ok":true})");
  auto aaa = PostX(env, Events(Tweet("1865000000000000202", text, "1864990000000000007", kOurId)));
  CHECK(Answer(aaa) == R"({"accepted":0,"duplicates":1,"ok":true})");

  // Nothing else was queued: the next, different post is the second chat post.
  REQUIRE(PostX(env, Activity("post.mention.create", "1865000000000000303", "@acme_support other"))
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  auto posts = env.slack.Posts();
  REQUIRE(posts.size() == 2);
  // Two conversations: their cards may reach Slack in either order.
  const bool in_order = Contains(posts[0], "the tracking link in your post is broken");
  const auto& first = posts[in_order ? 0 : 1];
  const auto& second = posts[in_order ? 1 : 0];
  CHECK(Contains(first, "the tracking link in your post is broken"));
  CHECK(Contains(first, "X direct"));
  CHECK(Contains(second, "1865000000000000303"));
  CHECK_FALSE(Contains(second, "the tracking link in your post is broken"));
}

TEST_CASE(
    "X Activity API: an author missing from includes is looked up on X, and a slow X only costs a "
    "second") {
  FakeHttpServer x_api;
  x_api.On("/2/users/2244994945", [](const RecordedRequest&) {
    return FakeAnswer{
        200,
        R"({"data":{"id":"2244994945","name":"Ana Customer","username":"ana_customer","public_metrics":{"followers_count":12345}}})"};
  });
  x_api.On("/2/users/2999999999", [](const RecordedRequest&) {
    return FakeAnswer{
        200, R"({"data":{"id":"2999999999","username":"slow"}})", "application/json", {}, 3000};
  });
  E2eEnv env(XPatch(x_api));
  REQUIRE(
      PostX(env, Activity("post.mention.create", "1865000000000000101", "@acme_support hi", false))
          .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  CHECK(Contains(env.slack.Posts()[0], "Ana Customer (@ana_customer) · 12,345 followers"));
  CHECK(x_api.Count("/2/users/2244994945") == 1);
  CHECK(x_api.Requests("/2/users/2244994945")[0].Header("Authorization") ==
        std::string("Bearer ") + kUserToken);

  json slow =
      Activity("post.mention.create", "1865000000000000404", "@acme_support still there?", false);
  slow["data"]["payload"]["author_id"] = "2999999999";
  const auto start = std::chrono::steady_clock::now();
  auto r = PostX(env, slow);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.response.status == 200);
  CHECK(Answer(r) == R"({"accepted":1,"duplicates":0,"ok":true})");
  CHECK(took < std::chrono::milliseconds(2500));  // the profile endpoint takes 3 s
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(Contains(env.slack.Posts()[1], "still there?"));
  CHECK(Contains(env.slack.Posts()[1], "2999999999"));
}

TEST_CASE(
    "X: an over-long reply is refused when the command is given, with its count, and nothing is "
    "sent") {
  FakeHttpServer x_api;
  x_api.On("/2/tweets", [](const RecordedRequest&) { return Created("1865100000000000002"); });
  E2eEnv env(XPatch(x_api));
  REQUIRE(PostX(env, Activity("post.mention.create", "1865000000000000101", "@acme_support hello"))
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  std::string long_reply;
  for (int i = 0; i < 139; ++i) long_reply += "字";
  long_reply += " 👍🏽 https://example.com/" + std::string(300, 'x');  // 278 + 1 + 2 + 1 + 23
  auto refused = env.SlackCommand("reply 1 " + long_reply);
  REQUIRE(refused.ok());
  const std::string answer = json::parse(refused.response.body)["text"];
  CHECK(answer.find("counts 305") != std::string::npos);
  CHECK(answer.find("280") != std::string::npos);

  REQUIRE(env.SlackCommand("reply 1 Thanks, on it 👍🏽 example.com/track").response.status ==
          200);
  REQUIRE(x_api.WaitForCount("/2/tweets", 1));
  REQUIRE(env.slack.WaitForPosts(2));
  CHECK(x_api.Count("/2/tweets") == 1);
  CHECK(json::parse(x_api.Requests("/2/tweets")[0].body)["text"] ==
        "Thanks, on it 👍🏽 example.com/track");
}

TEST_CASE("X: a 402 (credits used up) fails the reply for good and tells the admins what to do") {
  FakeHttpServer x_api;
  x_api.On("/2/tweets", [](const RecordedRequest&) {
    return FakeAnswer{
        402,
        R"({"title":"CreditsDepleted","detail":"Your enrolled account does not have any credits to fulfill this request.","type":"https://api.twitter.com/2/problems/credits"})"};
  });
  E2eEnv env(XPatch(x_api));
  REQUIRE(PostX(env, Activity("post.mention.create", "1865000000000000101", "@acme_support hello"))
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.SlackCommand("reply 1 Hi Ana").response.status == 200);
  REQUIRE(env.slack.WaitForPosts(3));
  json thread_notice, alert;
  for (const json& p : env.slack.Posts()) {
    if (Contains(p, "was NOT posted")) thread_notice = p;
    if (Contains(p, "duplex cannot use x")) alert = p;
  }
  REQUIRE(thread_notice.is_object());
  CHECK(thread_notice["thread_ts"] == env.slack.Posts()[0]["_ts"]);
  CHECK(Contains(thread_notice, "X answered 402: the app's credits are used up"));
  REQUIRE(alert.is_object());
  CHECK(alert["channel"] == kDefaultChannel);
  CHECK(Contains(alert, "<@U0ADMIN>"));
  CHECK(Contains(alert, "developer console"));
  CHECK_FALSE(Contains(alert, "Check its token"));
  CHECK(x_api.Count("/2/tweets") == 1);
}

TEST_CASE("X: a 429 is retried at x-rate-limit-reset and the reply is posted once") {
  FakeHttpServer x_api;
  x_api.On("/2/tweets", [](const RecordedRequest&) { return Created("1800000000000000002"); });
  E2eEnv env(XPatch(x_api));
  REQUIRE(PostX(env, Events(Tweet("1790345678901234689", "@acme_support hello"))).response.status ==
          200);
  REQUIRE(env.slack.WaitForPosts(1));
  SystemClock clock;
  // Whole seconds: the reset is at most ~1 s away, and duplex waits at least 1 s.
  x_api.Script(
      "/2/tweets",
      FakeAnswer{429,
                 R"({"title":"Too Many Requests","detail":"Too Many Requests","status":429})",
                 "application/json",
                 {{"x-rate-limit-remaining", "0"},
                  {"x-rate-limit-reset", std::to_string(clock.NowSeconds() + 1)}}});
  auto start = std::chrono::steady_clock::now();
  REQUIRE(env.SlackCommand("reply 1 Thanks for your patience").response.status == 200);
  REQUIRE(x_api.WaitForCount("/2/tweets", 2, 8000));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
  REQUIRE(env.slack.WaitForPosts(2));
  REQUIRE(env.WaitDrained());
  CHECK(x_api.Count("/2/tweets") == 2);
  auto posts = env.slack.Posts();
  REQUIRE(posts.size() == 2);
  CHECK(Contains(posts[1], "https://x.com/i/web/status/1800000000000000002"));
}

TEST_CASE(
    "X: replying to a deleted tweet ends in a clear message in the thread, not a retry loop") {
  FakeHttpServer x_api;
  x_api.On("/2/tweets", [](const RecordedRequest&) {
    return FakeAnswer{
        403,
        R"({"detail":"You attempted to reply to a Tweet that is deleted or not visible to you.","type":"about:blank","title":"Forbidden","status":403})"};
  });
  E2eEnv env(XPatch(x_api));
  REQUIRE(PostX(env, Events(Tweet("1790345678901234689", "@acme_support hello"))).response.status ==
          200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.SlackCommand("reply 1 Hi Ana").response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  json notice = env.slack.Posts()[1];
  CHECK(notice["thread_ts"] == env.slack.Posts()[0]["_ts"]);
  CHECK(Contains(notice, "was NOT posted"));
  CHECK(
      Contains(notice, "You attempted to reply to a Tweet that is deleted or not visible to you."));
  REQUIRE(env.WaitDrained());
  CHECK(x_api.Count("/2/tweets") == 1);
  CHECK(env.slack.Posts().size() == 2);
}

TEST_CASE("X: the CRC check through the server, and unsigned or wrongly signed events are 401") {
  FakeHttpServer x_api;
  E2eEnv env(XPatch(x_api));
  auto crc = env.Get("/webhooks/x?crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553");
  CHECK(crc.response.status == 200);
  CHECK(json::parse(crc.response.body)["response_token"] ==
        "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8=");
  CHECK(env.Get("/webhooks/x").response.status == 400);
  const json body = Events(Tweet("1790345678901234689", "@acme_support hello"));
  CHECK(PostX(env, body, "wrong-secret").response.status == 401);
  HttpRequest unsigned_req;
  unsigned_req.url = env.base_url() + "/webhooks/x";
  unsigned_req.body = body.dump();
  CHECK(env.Send(unsigned_req).response.status == 401);
  auto truncated = PostRawX(env, body.dump().substr(0, 30));
  CHECK(truncated.response.status == 400);
  CHECK(truncated.response.body.find("invalid JSON") != std::string::npos);
  REQUIRE(env.WaitDrained());
  CHECK(env.slack.Posts().empty());
}

TEST_CASE("X CRC is no signing oracle: a forged tweet as crc_token is a 400, POSTing it a 401") {
  FakeHttpServer x_api;
  E2eEnv env(XPatch(x_api));
  json vip = Tweet("1790345678901239999", "@acme_support refund me now or I tell everyone");
  vip["user"] = {{"id_str", "44196397"},
                 {"screen_name", "vip"},
                 {"name", "Very Important"},
                 {"followers_count", 200000000}};
  const std::string forged = Events(vip).dump();

  // Step 1: ask the CRC to "answer" the forged body.
  auto crc = env.Get("/webhooks/x?crc_token=" + text::UrlEncode(forged));
  REQUIRE(crc.ok());
  CHECK(crc.response.status == 400);
  const json answer = json::parse(crc.response.body);
  CHECK_FALSE(answer.contains("response_token"));
  CHECK(crc.response.body.find("sha256=") == std::string::npos);

  // Step 2: POST the same bytes with whatever came back as the signature.
  HttpRequest post;
  post.url = env.base_url() + "/webhooks/x";
  post.body = forged;
  post.headers = {{"x-twitter-webhooks-signature", answer.value("response_token", "")}};
  CHECK(env.Send(post).response.status == 401);

  // Other shapes are refused too; X's own shape still works.
  CHECK(env.Get("/webhooks/x?crc_token=" + std::string(129, 'a')).response.status == 400);
  CHECK(env.Get("/webhooks/x?crc_token=%20abc").response.status == 400);
  CHECK(env.Get("/webhooks/x?crc_token=" + std::string(128, 'a')).response.status == 200);

  // Nothing was stored: the next real mention opens conversation #1 and is Slack's only post.
  REQUIRE(PostX(env, Events(Tweet("1790345678901234689", "@acme_support hello"))).response.status ==
          200);
  REQUIRE(env.slack.WaitForPosts(1));
  const std::string first = env.slack.Posts()[0]["text"];
  CHECK(first.find("#1 · X mention") != std::string::npos);
  CHECK(first.find("Ana Customer") != std::string::npos);
  CHECK(env.slack.Posts()[0].dump().find("refund me now") == std::string::npos);
}

}  // namespace duplex::test
