// The X connector: CRC and signature vectors, Account Activity payloads, OAuth 1.0a vectors,
// OAuth 2.0 refresh, and how X's answers map onto delivery outcomes.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/text.h"
#include "platforms/x/x_connector.h"
#include "security/signatures.h"
#include "support/fakes.h"
#include "support/test_util.h"

namespace duplex {
namespace {

using nlohmann::json;
using test::FakeHttpClient;

constexpr const char* kVectorSecret = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu";
constexpr const char* kOurId = "1500000000000000001";
constexpr UnixMs kNow = 1'715'680'000'000;

std::string Fixture(const std::string& name) {
  return test::ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/x/" + name);
}

json BaseConfig() {
  return {{"consumer_secret", kVectorSecret},
          {"bearer_token", "user-token-1"},
          {"api_base", "https://api.x.test"},
          {"account_id", kOurId}};
}

std::unique_ptr<PlatformConnector> Make(const json& config,
                                        std::vector<std::string>* errors_out = nullptr,
                                        HttpClient* http = nullptr) {
  std::vector<std::string> errors;
  auto c = MakeXConnector(config, "platforms.x", errors, http);
  if (errors_out) *errors_out = errors;
  return c;
}

// A connector whose profile lookups go to `http`.
std::unique_ptr<PlatformConnector> MakeWithHttp(const json& config, HttpClient& http) {
  std::vector<std::string> errors;
  auto c = Make(config, &errors, &http);
  REQUIRE_MESSAGE(c != nullptr, (errors.empty() ? std::string() : errors.front()));
  return c;
}

using test::LogCapture;

constexpr const char* kAnaProfile =
    R"({"data":{"id":"2244994945","name":"Ana Customer","username":"ana_customer","public_metrics":{"followers_count":12345,"following_count":321,"tweet_count":4021,"listed_count":4,"like_count":26,"media_count":3}}})";

InboundRequest Signed(const std::string& body, const std::string& secret = kVectorSecret) {
  InboundRequest r;
  r.method = "POST";
  r.path = "/webhooks/x";
  r.body = body;
  r.headers = {{"x-twitter-webhooks-signature", security::SignXSignature(secret, body)}};
  r.now = kNow;
  return r;
}

std::vector<Mention> ParseOk(const PlatformConnector& c, const std::string& body) {
  auto parsed = c.Parse(Signed(body));
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().message());
  return parsed->mentions;
}

std::string ParseError(const PlatformConnector& c, const std::string& body) {
  auto parsed = c.Parse(Signed(body));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
  return parsed.status().message();
}

ReplyRequest TweetReply(const std::string& text = "Sorry! DM us your order number.") {
  ReplyRequest r;
  r.delivery_id = 7;
  r.reply_target = json{{"tweet_id", "1790345678901234689"}}.dump();
  r.in_reply_to = "1790345678901234689";
  r.text = text;
  r.account = kOurId;
  r.now = kNow;
  return r;
}

std::string TokenRequestField(const HttpRequest& req, const std::string& name) {
  for (const auto& part : text::Split(req.body, '&')) {
    auto eq = part.find('=');
    if (text::UrlDecode(part.substr(0, eq)) == name) return text::UrlDecode(part.substr(eq + 1));
  }
  return {};
}

}  // namespace

TEST_CASE("X CRC answers the published vector, and a GET without crc_token is a 400") {
  auto c = Make(BaseConfig());
  REQUIRE(c);
  InboundRequest get;
  get.method = "GET";
  get.query = {{"crc_token", "9b4507b3-9040-4669-9ca3-6b94edb50553"}};
  auto answer = c->Handshake(get);
  REQUIRE(answer.ok());
  CHECK(answer->status == 200);
  CHECK(answer->content_type == "application/json");
  CHECK(json::parse(answer->body)["response_token"] ==
        "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8=");

  get.query.clear();
  auto missing = c->Handshake(get);
  REQUIRE_FALSE(missing.ok());
  CHECK(HttpStatusFor(missing.status().code()) == 400);
  get.query = {{"crc_token", ""}};
  CHECK(HttpStatusFor(c->Handshake(get).status().code()) == 400);
}

InboundRequest Crc(const std::string& token) {
  InboundRequest get;
  get.method = "GET";
  get.path = "/webhooks/x";
  get.query = {{"crc_token", token}};
  return get;
}

TEST_CASE("X CRC: a token that is not a short random string is a 400 and gets no answer") {
  auto c = Make(BaseConfig());
  REQUIRE(c);
  const std::string max_len(security::kMaxChallengeLength, 'a');
  CHECK(c->Handshake(Crc(max_len)).ok());
  CHECK(c->Handshake(Crc("MTUwNzM0OTY1NzYwOTI0ODcxNw==")).ok());  // base64
  CHECK(c->Handshake(Crc("aB3_-x+y/z=")).ok());
  for (const std::string& bad :
       {std::string("{\"for_user_id\":\"1\"}"), std::string("[1]"), std::string("\"quoted\""),
        max_len + "a", std::string("two words"), std::string(" 9b4507b3"),
        std::string("9b4507b3\n"), std::string("\t{}"), std::string("\xEF\xBB\xBF{}"),
        std::string("caf\xC3\xA9"), std::string("a\0b", 3),
        std::string("<script>alert(1)</script>"), std::string("a&b"), std::string("it's"),
        std::string("a.b"), std::string("a%7Bb")}) {
    INFO("token: ", bad);
    auto answer = c->Handshake(Crc(bad));
    REQUIRE_FALSE(answer.ok());
    CHECK(HttpStatusFor(answer.status().code()) == 400);
    CHECK(answer.status().message().find("crc_token must be 1 to 128 characters") == 0);
    // The reason never quotes the token back.
    if (bad.size() > 3) CHECK(answer.status().message().find(bad) == std::string::npos);
  }
}

TEST_CASE("X CRC is no signing oracle: a forged tweet as crc_token gets nothing that verifies") {
  auto c = Make(BaseConfig());
  REQUIRE(c);
  // The attack: the forged webhook's exact bytes as the CRC token; the old answer was the
  // signature of that body, and the forged VIP mention went through.
  const std::string forged = json{{"for_user_id", kOurId},
                                  {"tweet_create_events",
                                   {{{"id_str", "1790345678901239999"},
                                     {"text", "@acme_support refund me now"},
                                     {"user",
                                      {{"id_str", "44196397"},
                                       {"screen_name", "vip"},
                                       {"name", "Very Important"},
                                       {"followers_count", 200000000}}}}}}}
                                 .dump();
  REQUIRE(ParseOk(*c, forged).size() == 1);  // what the attacker wants accepted
  auto answer = c->Handshake(Crc(forged));
  REQUIRE_FALSE(answer.ok());
  CHECK(HttpStatusFor(answer.status().code()) == 400);
  CHECK(answer.status().message().find("sha256=") == std::string::npos);
  CHECK(security::XCrcResponseToken(kVectorSecret, forged) == std::nullopt);
  // The same bytes behind whitespace, a BOM or in an array are no way around it either.
  for (const std::string& wrapped :
       {" " + forged, "\n" + forged, "\xEF\xBB\xBF" + forged, "[" + forged + "]"}) {
    CHECK_FALSE(c->Handshake(Crc(wrapped)).ok());
  }
  // And whatever a valid token gets back never verifies the forged body.
  auto vector = c->Handshake(Crc("9b4507b3-9040-4669-9ca3-6b94edb50553"));
  REQUIRE(vector.ok());
  InboundRequest post = Signed(forged);
  post.headers = {{"x-twitter-webhooks-signature", json::parse(vector->body)["response_token"]}};
  CHECK(c->Verify(post).code() == StatusCode::kUnauthenticated);
}

TEST_CASE("X: a CRC-token-shaped body verifies with its CRC answer but Parse refuses it") {
  // The CRC answer for token T is, by X's design, a valid signature for a POST whose body is T.
  // T is challenge-shaped, so as JSON it can only be a number, true, false or null (or no JSON
  // at all): never the object every X webhook is, so Parse refuses it and nothing is stored.
  auto c = Make(BaseConfig());
  REQUIRE(c);
  for (const std::string token : {"123", "-1", "1e5", "0", "true", "false", "null",
                                  "9b4507b3-9040-4669-9ca3-6b94edb50553", "e30=" /* base64 {} */}) {
    INFO("token: ", token);
    auto answer = c->Handshake(Crc(token));
    REQUIRE(answer.ok());
    InboundRequest post;
    post.method = "POST";
    post.body = token;
    post.headers = {{"x-twitter-webhooks-signature", json::parse(answer->body)["response_token"]}};
    CHECK(c->Verify(post).ok());
    auto parsed = c->Parse(post);
    REQUIRE_FALSE(parsed.ok());
    CHECK(HttpStatusFor(parsed.status().code()) == 400);
  }
}

TEST_CASE("X webhook signature: valid, missing, wrong secret, altered body") {
  auto c = Make(BaseConfig());
  const std::string body = Fixture("tweet_mention.json");
  CHECK(c->Verify(Signed(body)).ok());
  SUBCASE("missing header") {
    InboundRequest r = Signed(body);
    r.headers.clear();
    Status s = c->Verify(r);
    CHECK(s.code() == StatusCode::kUnauthenticated);
    CHECK(s.message().find("x-twitter-webhooks-signature") != std::string::npos);
  }
  SUBCASE("wrong secret") {
    CHECK(c->Verify(Signed(body, "another-secret")).code() == StatusCode::kUnauthenticated);
  }
  SUBCASE("body changed after signing") {
    InboundRequest r = Signed(body);
    r.body[r.body.size() / 2] ^= 1;
    CHECK(c->Verify(r).code() == StatusCode::kUnauthenticated);
  }
}

TEST_CASE(
    "an @-mention tweet becomes a mention with string ids, author, permalink and reply target") {
  auto c = Make(BaseConfig());
  auto mentions = ParseOk(*c, Fixture("tweet_mention.json"));
  REQUIRE(mentions.size() == 1);
  const Mention& m = mentions[0];
  CHECK(m.platform == "x");
  // The JSON number 1790345678901234700 is what a double makes of the id; the string is exact.
  CHECK(m.event_id == "1790345678901234689");
  CHECK(m.message_id == "1790345678901234689");
  CHECK(m.conversation_key == "1790345678901234689");
  CHECK(m.parent_message_id.empty());
  CHECK(m.kind == MentionKind::kMention);
  CHECK(m.author.id == "2244994945");
  CHECK(m.author.handle == "ana_customer");
  CHECK(m.author.name == "Ana Customer");
  CHECK(m.author.followers == 12345);
  CHECK(m.text == "@acme_support my order #5521 never arrived and nobody answers the phone");
  CHECK(m.permalink == "https://x.com/ana_customer/status/1790345678901234689");
  CHECK(json::parse(m.reply_target) == json{{"tweet_id", "1790345678901234689"}});
  CHECK(m.account == kOurId);
}

TEST_CASE("a reply to our tweet is direct and names the tweet it answers as its parent") {
  auto c = Make(BaseConfig());
  auto mentions = ParseOk(*c, Fixture("tweet_reply_to_us.json"));
  REQUIRE(mentions.size() == 1);
  CHECK(mentions[0].kind == MentionKind::kDirect);
  CHECK(mentions[0].parent_message_id == "1790348000000000003");
  CHECK(mentions[0].conversation_key == "1790350000000000017");
}

TEST_CASE("a truncated tweet is read from extended_tweet.full_text") {
  auto c = Make(BaseConfig());
  auto mentions = ParseOk(*c, Fixture("tweet_truncated.json"));
  REQUIRE(mentions.size() == 1);
  CHECK(mentions[0].text.find("wrong size (M6 instead of M8)") != std::string::npos);
  CHECK(mentions[0].text.find("https://t.co/") == std::string::npos);
  CHECK(text::StartsWith(mentions[0].text, "@acme_support I have been"));
}

TEST_CASE("a batch keeps every customer tweet and drops our own tweets and retweets") {
  auto c = Make(BaseConfig());
  auto mentions = ParseOk(*c, Fixture("tweet_batch.json"));
  REQUIRE(mentions.size() == 2);
  CHECK(mentions[0].message_id == "1790360000000000001");
  CHECK(mentions[0].author.followers == 45000);
  CHECK(mentions[1].message_id == "1790360000000000004");
  CHECK(mentions[1].kind == MentionKind::kMention);  // a reply in a thread, not to us
  CHECK(mentions[1].parent_message_id == "1790360000000000001");
  CHECK_FALSE(mentions[1].author.followers.has_value());

  SUBCASE("for_user_id alone identifies us when account_id is not configured") {
    json config = BaseConfig();
    config.erase("account_id");
    auto c2 = Make(config);
    auto again = ParseOk(*c2, Fixture("tweet_batch.json"));
    CHECK(again.size() == 2);
    CHECK(again[0].account == kOurId);
  }
  SUBCASE("account_id alone identifies us when the payload has no for_user_id") {
    json body = json::parse(Fixture("tweet_batch.json"));
    body.erase("for_user_id");
    CHECK(ParseOk(*c, body.dump()).size() == 2);
  }
}

TEST_CASE("direct messages become dm mentions — our own DMs are ignored") {
  auto c = Make(BaseConfig());
  auto mentions = ParseOk(*c, Fixture("dm_events.json"));
  REQUIRE(mentions.size() == 1);
  const Mention& m = mentions[0];
  CHECK(m.kind == MentionKind::kDm);
  CHECK(m.event_id == "1790370000000000101");
  CHECK(m.message_id == "1790370000000000101");
  CHECK(m.conversation_key == "dm:2244994945");
  CHECK(m.author.id == "2244994945");
  CHECK(m.author.handle == "ana_customer");  // from the payload's users map
  CHECK(m.author.name == "Ana Customer");
  CHECK(m.author.followers == 12345);
  CHECK(m.text == "Hi, can I change the delivery address of order 5521?");
  CHECK(m.permalink == "https://x.com/messages/2244994945-1500000000000000001");
  CHECK(json::parse(m.reply_target) == json{{"dm_participant_id", "2244994945"}});

  SUBCASE("without a users map the id stands in for the handle") {
    json body = json::parse(Fixture("dm_events.json"));
    body.erase("users");
    auto bare = ParseOk(*c, body.dump());
    REQUIRE(bare.size() == 1);
    CHECK(bare[0].author.handle == "2244994945");
    CHECK(bare[0].author.name.empty());
  }
}

TEST_CASE(
    "likes, follows, typing indicators, deletes and empty arrays are acknowledged and ignored") {
  auto c = Make(BaseConfig());
  CHECK(ParseOk(*c, Fixture("other_events.json")).empty());
  CHECK(ParseOk(*c, R"({"for_user_id":"1500000000000000001","tweet_create_events":[]})").empty());
  CHECK(ParseOk(*c, R"({"for_user_id":"1500000000000000001","direct_message_events":[]})").empty());
  CHECK(ParseOk(*c, R"({})").empty());
  CHECK(ParseOk(*c, R"({"direct_message_events":[{"type":"message_delete","id":"1"}]})").empty());
}

TEST_CASE("malformed X payloads are refused with a reason that names the field") {
  auto c = Make(BaseConfig());
  const std::string good = Fixture("tweet_mention.json");
  CHECK(ParseError(*c, good.substr(0, good.size() / 2)).find("invalid JSON") != std::string::npos);
  CHECK(ParseError(*c, "[]") == "body must be a JSON object");
  CHECK(ParseError(*c, R"({"tweet_create_events":{}})") ==
        "body.tweet_create_events must be an array");
  CHECK(ParseError(*c, R"({"tweet_create_events":[42]})") ==
        "body.tweet_create_events[0] must be an object");

  json tweet = json::parse(good)["tweet_create_events"][0];
  auto with = [&](const std::function<void(json&)>& change) {
    json t = tweet;
    change(t);
    return ParseError(*c, json{{"for_user_id", kOurId}, {"tweet_create_events", {t}}}.dump());
  };
  CHECK(with([](json& t) { t["id_str"] = 1790345678901234689ULL; }) ==
        "body.tweet_create_events[0].id_str must be a string");
  CHECK(with([](json& t) { t.erase("id_str"); }) ==
        "body.tweet_create_events[0].id_str is required");
  CHECK(with([](json& t) { t["id_str"] = "17903/../../2/users"; }) ==
        "body.tweet_create_events[0].id_str must be a numeric id");
  CHECK(with([](json& t) { t.erase("user"); }) ==
        "body.tweet_create_events[0].user must be an object");
  CHECK(with([](json& t) { t["user"]["id_str"] = nullptr; }) ==
        "body.tweet_create_events[0].user.id_str is required");
  CHECK(with([](json& t) { t["user"]["followers_count"] = "many"; }) ==
        "body.tweet_create_events[0].user.followers_count must be an integer");
  CHECK(with([](json& t) { t.erase("text"); }) == "body.tweet_create_events[0].text is required");
  CHECK(with([](json& t) { t["text"] = json::array(); }) ==
        "body.tweet_create_events[0].text must be a string");
  CHECK(with([](json& t) { t["truncated"] = "yes"; }) ==
        "body.tweet_create_events[0].truncated must be true or false");
  CHECK(with([](json& t) { t["in_reply_to_status_id_str"] = 5; }) ==
        "body.tweet_create_events[0].in_reply_to_status_id_str must be a string");
  CHECK(ParseError(*c, R"({"for_user_id":15})") == "body.for_user_id must be a string");

  json dm = json::parse(Fixture("dm_events.json"));
  dm["direct_message_events"][0]["message_create"]["sender_id"] = 2244994945;
  CHECK(ParseError(*c, dm.dump()) ==
        "body.direct_message_events[0].message_create.sender_id must be a string");
  dm = json::parse(Fixture("dm_events.json"));
  dm["direct_message_events"][0]["message_create"].erase("message_data");
  CHECK(ParseError(*c, dm.dump()) ==
        "body.direct_message_events[0].message_create.message_data must be an object");
  dm = json::parse(Fixture("dm_events.json"));
  dm["users"] = json::array();
  CHECK(ParseError(*c, dm.dump()) == "body.users must be an object");
}

TEST_CASE("a 1 MiB tweet text is kept whole") {
  auto c = Make(BaseConfig());
  json body = json::parse(Fixture("tweet_mention.json"));
  const std::string big(1 << 20, 'a');
  body["tweet_create_events"][0]["text"] = big;
  auto mentions = ParseOk(*c, body.dump());
  REQUIRE(mentions.size() == 1);
  CHECK(mentions[0].text == big);
}

// X Activity API deliveries. The fixtures follow the samples on docs.x.com's "X Activity API
// event payload examples" page (x-api/activity/event-payloads); tests/fixtures/x/README.md
// says which sample each one follows.
TEST_CASE("an X Activity API mention becomes a mention with the author's profile from includes") {
  auto c = Make(BaseConfig());
  auto mentions = ParseOk(*c, Fixture("xaa_mention.json"));  // post.mention.create, with includes
  REQUIRE(mentions.size() == 1);
  const Mention& m = mentions[0];
  CHECK(m.platform == "x");
  CHECK(m.event_id == "1865000000000000101");
  CHECK(m.message_id == "1865000000000000101");
  CHECK(m.conversation_key == "1865000000000000101");
  CHECK(m.parent_message_id.empty());
  CHECK(m.kind == MentionKind::kMention);
  CHECK(m.author.id == "2244994945");
  CHECK(m.author.handle == "ana_customer");
  CHECK(m.author.name == "Ana Customer");
  CHECK(m.author.followers == 12345);
  CHECK(m.text == "@acme_support my order #5521 never arrived and nobody answers the phone");
  CHECK(m.permalink == "https://x.com/ana_customer/status/1865000000000000101");
  CHECK(json::parse(m.reply_target) == json{{"tweet_id", "1865000000000000101"}});
  CHECK(m.account == kOurId);

  SUBCASE("a long post's whole text comes from note_tweet") {
    json body = json::parse(Fixture("xaa_mention.json"));
    body["data"]["payload"]["note_tweet"] = {{"text", "@acme_support " + std::string(400, 'x')}};
    CHECK(ParseOk(*c, body.dump())[0].text == "@acme_support " + std::string(400, 'x'));
  }
  SUBCASE("without account_id, filter.user_id is our account") {
    json config = BaseConfig();
    config.erase("account_id");
    CHECK(ParseOk(*Make(config), Fixture("xaa_mention.json"))[0].account == kOurId);
  }
}

TEST_CASE("an X Activity API reply to our post is direct and names the post it answers") {
  auto c = Make(BaseConfig());
  // post.reply.create; includes.users in the {"data": …} shape X uses in several samples.
  auto mentions = ParseOk(*c, Fixture("xaa_reply.json"));
  REQUIRE(mentions.size() == 1);
  const Mention& m = mentions[0];
  CHECK(m.kind == MentionKind::kDirect);
  CHECK(m.message_id == "1865000000000000202");
  CHECK(m.parent_message_id == "1864990000000000007");
  CHECK(m.conversation_key == "1865000000000000202");
  CHECK(m.author.handle == "ana_customer");
  CHECK(m.author.followers == 12345);
  CHECK(m.text == "@acme_support the tracking link in your post says “unknown parcel”");

  json body = json::parse(Fixture("xaa_reply.json"));
  json& post = body["data"]["payload"];
  post.erase("in_reply_to_tweet_id");
  SUBCASE("the parent from referenced_tweets when in_reply_to_tweet_id is absent") {
    CHECK(ParseOk(*c, body.dump())[0].parent_message_id == "1864990000000000007");
  }
  SUBCASE("referenced_posts, the newer name, is read too") {
    post["referenced_posts"] = post["referenced_tweets"];
    post.erase("referenced_tweets");
    CHECK(ParseOk(*c, body.dump())[0].parent_message_id == "1864990000000000007");
  }
  SUBCASE("a repost is ignored") {
    post["referenced_tweets"] =
        json::array({{{"type", "retweeted"}, {"id", "1864990000000000007"}}});
    CHECK(ParseOk(*c, body.dump()).empty());
  }
}

TEST_CASE(
    "one post delivered as a mention, as a reply and by the Account Activity API has one dedup "
    "id") {
  auto c = Make(BaseConfig());
  json reply = json::parse(Fixture("xaa_reply.json"));
  json mention = reply;
  mention["data"]["event_type"] = "post.mention.create";
  mention["data"]["event_uuid"] = "2090000000000000999";
  json aaa = json::parse(Fixture("tweet_reply_to_us.json"));
  json& tweet = aaa["tweet_create_events"][0];
  tweet["id_str"] = "1865000000000000202";
  tweet["in_reply_to_status_id_str"] = "1864990000000000007";
  std::vector<Mention> all;
  for (const json& body : {reply, mention, aaa}) {
    auto ms = ParseOk(*c, body.dump());
    REQUIRE(ms.size() == 1);
    all.push_back(ms[0]);
  }
  for (const Mention& m : all) {
    CHECK(m.event_id == "1865000000000000202");    // the store's dedup key
    CHECK(m.message_id == "1865000000000000202");  // and its (platform, message id)
    CHECK(m.conversation_key == "1865000000000000202");
    CHECK(m.parent_message_id == "1864990000000000007");
    CHECK(m.kind == MentionKind::kDirect);
    CHECK(m.reply_target == all[0].reply_target);
  }
}

TEST_CASE("an X Activity API DM becomes a dm mention, keyed like an Account Activity one") {
  auto c = Make(BaseConfig());
  auto mentions = ParseOk(*c, Fixture("xaa_dm.json"));  // dm.received, with its users map
  REQUIRE(mentions.size() == 1);
  const Mention& m = mentions[0];
  CHECK(m.kind == MentionKind::kDm);
  CHECK(m.event_id == "1865010000000000101");
  CHECK(m.message_id == "1865010000000000101");
  CHECK(m.conversation_key == "dm:2244994945");
  CHECK(m.author.handle == "ana_customer");
  CHECK(m.author.name == "Ana Customer");
  CHECK(m.author.followers == 12345);
  CHECK(m.text == "Hi, can I change the delivery address of order 5521?");
  CHECK(m.permalink == "https://x.com/messages/2244994945-1500000000000000001");
  CHECK(json::parse(m.reply_target) == json{{"dm_participant_id", "2244994945"}});

  // dm.received without a users map, on a connector that has not seen Ana's profile yet and
  // cannot look it up: the id stands in.
  auto bare = ParseOk(*Make(BaseConfig()), Fixture("xaa_dm_no_users.json"));
  REQUIRE(bare.size() == 1);
  CHECK(bare[0].author.handle == "2244994945");
  CHECK(bare[0].conversation_key == "dm:2244994945");
}

TEST_CASE(
    "X Activity API: our own posts and DMs, and events that are not mentions, are acknowledged and "
    "ignored") {
  auto c = Make(BaseConfig());
  json own = json::parse(Fixture("xaa_mention.json"));
  own["data"]["payload"]["author_id"] = kOurId;
  CHECK(ParseOk(*c, own.dump()).empty());
  json own_dm = json::parse(Fixture("xaa_dm.json"));
  own_dm["data"]["payload"]["direct_message_events"][0]["message_create"]["sender_id"] = kOurId;
  CHECK(ParseOk(*c, own_dm.dump()).empty());
  for (const char* type : {"like.create", "follow.follow", "dm.sent", "dm.indicate_typing",
                           "post.delete", "post.quote.create", "oauth.revoke", "news.new"}) {
    json other = json::parse(Fixture("xaa_mention.json"));
    other["data"]["event_type"] = type;
    other["data"]["payload"] = json::object();
    other["data"].erase("filter");
    CHECK_MESSAGE(ParseOk(*c, other.dump()).empty(), type);
  }
}

TEST_CASE("an X Activity API delivery for another account is acknowledged, ignored and logged") {
  auto c = Make(BaseConfig());
  LogCapture logs;
  json body = json::parse(Fixture("xaa_mention.json"));
  body["data"]["filter"]["user_id"] = "1600000000000000002";
  auto parsed = c->Parse(Signed(body.dump()));
  REQUIRE(parsed.ok());
  CHECK(parsed->mentions.empty());
  CHECK_FALSE(parsed->response.has_value());  // a plain 200
  CHECK(logs.Text().find("delivery for another account ignored") != std::string::npos);
  CHECK(logs.Text().find("1600000000000000002") != std::string::npos);
}

TEST_CASE("malformed X Activity API deliveries are refused with a reason that names the field") {
  auto c = Make(BaseConfig());
  const std::string good = Fixture("xaa_mention.json");
  CHECK(ParseError(*c, good.substr(0, good.size() / 3)).find("invalid JSON") != std::string::npos);
  CHECK(ParseError(*c, R"({"event_type":"post.mention.create","payload":{}})") ==
        "body.data is required");
  CHECK(ParseError(*c, R"({"data":[]})") == "body.data must be an object");
  CHECK(ParseError(*c, R"({"data":"post"})") == "body.data must be an object");
  CHECK(ParseError(*c, R"({"data":{}})") == "body.data.event_type is required");

  auto with = [&](const std::string& fixture, const std::function<void(json&)>& change) {
    json body = json::parse(Fixture(fixture));
    change(body["data"]);
    return ParseError(*c, body.dump());
  };
  const std::string m = "xaa_mention.json";
  CHECK(with(m, [](json& d) { d["event_type"] = 7; }) == "body.data.event_type must be a string");
  CHECK(with(m, [](json& d) { d["event_uuid"] = 2080765813578191303ULL; }) ==
        "body.data.event_uuid must be a string");
  CHECK(with(m, [](json& d) { d.erase("filter"); }) == "body.data.filter must be an object");
  CHECK(with(m, [](json& d) { d["filter"]["user_id"] = 1500000000000000001ULL; }) ==
        "body.data.filter.user_id must be a string");
  CHECK(with(m, [](json& d) { d["filter"] = json::object(); }) ==
        "body.data.filter.user_id is required");
  CHECK(with(m, [](json& d) { d.erase("payload"); }) == "body.data.payload must be an object");
  CHECK(with(m, [](json& d) { d["payload"]["id"] = 1865000000000000101ULL; }) ==
        "body.data.payload.id must be a string");
  CHECK(with(m, [](json& d) { d["payload"]["id"] = "1865/../../2/users"; }) ==
        "body.data.payload.id must be a numeric id");
  CHECK(with(m, [](json& d) { d["payload"].erase("author_id"); }) ==
        "body.data.payload.author_id is required");
  CHECK(with(m, [](json& d) { d["payload"].erase("text"); }) ==
        "body.data.payload.text is required");
  CHECK(with(m, [](json& d) { d["payload"]["text"] = json::array(); }) ==
        "body.data.payload.text must be a string");
  CHECK(with(m, [](json& d) { d["payload"]["note_tweet"] = "long"; }) ==
        "body.data.payload.note_tweet must be an object");
  CHECK(with(m, [](json& d) { d["payload"]["in_reply_to_tweet_id"] = 5; }) ==
        "body.data.payload.in_reply_to_tweet_id must be a string");
  CHECK(with(m, [](json& d) { d["payload"]["referenced_tweets"] = json::object(); }) ==
        "body.data.payload.referenced_tweets must be an array");
  CHECK(with(m, [](json& d) {
          d["payload"]["referenced_posts"] = json::array({{{"type", "quoted"}}});
        }) == "body.data.payload.referenced_posts[0].id is required");
  CHECK(with(m, [](json& d) { d["includes"] = json::array(); }) ==
        "body.data.includes must be an object");
  CHECK(with(m, [](json& d) { d["includes"]["users"] = json::object(); }) ==
        "body.data.includes.users must be an array");
  CHECK(with(m, [](json& d) {
          d["includes"]["users"][0]["public_metrics"]["followers_count"] = "many";
        }) == "body.data.includes.users[0].public_metrics.followers_count must be an integer");

  const std::string dm = "xaa_dm.json";
  CHECK(with(dm, [](json& d) { d["payload"].erase("direct_message_events"); }) ==
        "body.data.payload.direct_message_events must be an array");
  CHECK(with(dm, [](json& d) { d["payload"]["users"] = json::array(); }) ==
        "body.data.payload.users must be an object");
  CHECK(
      with(dm, [](json& d) {
        d["payload"]["direct_message_events"][0]["message_create"]["sender_id"] = 2244994945;
      }) == "body.data.payload.direct_message_events[0].message_create.sender_id must be a string");
}

TEST_CASE(
    "an author missing from includes is looked up once, cached, and shown by id when that fails") {
  test::FakeHttpClient http;
  auto c = MakeWithHttp(BaseConfig(), http);
  json second =
      json::parse(Fixture("xaa_mention_no_includes.json"));  // post.mention.create, no includes
  second["data"]["payload"]["id"] = "1865000000000000303";

  SUBCASE("two posts of one author: one GET, with the user token and a short timeout") {
    http.PushStatus(200, kAnaProfile);
    auto first = ParseOk(*c, Fixture("xaa_mention_no_includes.json"));
    auto next = ParseOk(*c, second.dump());
    const auto reqs = http.requests();
    REQUIRE(reqs.size() == 1);
    const HttpRequest& get = reqs[0];
    CHECK(get.method == "GET");
    CHECK(get.url == "https://api.x.test/2/users/2244994945?user.fields=public_metrics");
    CHECK(FindHeader(get.headers, "Authorization") == "Bearer user-token-1");
    CHECK(get.timeout_ms <= 1000);
    for (const auto& ms : {first, next}) {
      REQUIRE(ms.size() == 1);
      CHECK(ms[0].author.handle == "ana_customer");
      CHECK(ms[0].author.name == "Ana Customer");
      CHECK(ms[0].author.followers == 12345);
    }
    CHECK(next[0].permalink == "https://x.com/ana_customer/status/1865000000000000303");
  }
  SUBCASE("a profile that came in includes is not looked up later") {
    ParseOk(*c, Fixture("xaa_mention.json"));
    CHECK(ParseOk(*c, second.dump())[0].author.handle == "ana_customer");
    CHECK(http.requests().empty());
  }
  SUBCASE("a failed lookup keeps the mention, shows the id, and pauses lookups for a minute") {
    LogCapture logs;
    http.PushError(TransportError::kUnknown, "Read timed out");
    auto first = ParseOk(*c, Fixture("xaa_mention_no_includes.json"));
    REQUIRE(first.size() == 1);
    CHECK(first[0].author.handle == "2244994945");
    CHECK(first[0].author.name.empty());
    CHECK(first[0].permalink == "https://x.com/i/web/status/1865000000000000101");
    CHECK(first[0].text ==
          "@acme_support my order #5521 never arrived and nobody answers the phone");
    CHECK(logs.Text().find("X profile lookup failed") != std::string::npos);

    InboundRequest soon = Signed(second.dump());
    soon.now = kNow + 59'000;
    REQUIRE(c->Parse(soon)->mentions.size() == 1);
    CHECK(http.requests().size() == 1);  // paused

    http.PushStatus(200, kAnaProfile);
    InboundRequest later = Signed(second.dump());
    later.now = kNow + 60'000;
    CHECK(c->Parse(later)->mentions[0].author.handle == "ana_customer");
    CHECK(http.requests().size() == 2);
  }
  SUBCASE("X's answers: credits used up and rate limits pause, an unknown user does not") {
    http.PushStatus(
        402,
        R"({"title":"CreditsDepleted","detail":"Your enrolled account does not have any credits"})");
    CHECK(ParseOk(*c, Fixture("xaa_mention_no_includes.json"))[0].author.handle == "2244994945");
    CHECK(ParseOk(*c, second.dump())[0].author.handle == "2244994945");
    CHECK(http.requests().size() == 1);

    auto fresh = MakeWithHttp(BaseConfig(), http);
    http.PushStatus(
        200,
        R"({"errors":[{"value":"2244994945","detail":"Could not find user with id: [2244994945].","title":"Not Found Error","resource_type":"user","parameter":"id","resource_id":"2244994945","type":"https://api.twitter.com/2/problems/resource-not-found"}]})");
    http.PushStatus(200, kAnaProfile);
    CHECK(ParseOk(*fresh, Fixture("xaa_mention_no_includes.json"))[0].author.handle ==
          "2244994945");
    CHECK(ParseOk(*fresh, second.dump())[0].author.handle == "ana_customer");
    CHECK(http.requests().size() == 3);
  }
  SUBCASE("a cached profile is looked up again after a day") {
    http.PushStatus(200, kAnaProfile);
    ParseOk(*c, Fixture("xaa_mention_no_includes.json"));
    InboundRequest next_day = Signed(second.dump());
    next_day.now = kNow + 24 * 3600 * 1000;
    http.PushStatus(
        200, std::string(kAnaProfile).replace(std::string(kAnaProfile).find("12345"), 5, "12400"));
    CHECK(c->Parse(next_day)->mentions[0].author.followers == 12400);
    CHECK(http.requests().size() == 2);
  }
  SUBCASE("a DM without the users map is looked up the same way") {
    http.PushStatus(200, kAnaProfile);
    auto dm = ParseOk(*c, Fixture("xaa_dm_no_users.json"));  // dm.received, no users map
    CHECK(dm[0].author.handle == "ana_customer");
    CHECK(http.requests().size() == 1);
  }
}

TEST_CASE(
    "the profile cache holds at most its capacity and lets the least recently used go first") {
  x::XUserCache cache(3, 1000);
  for (const char* id : {"1", "2", "3"})
    cache.Put({id, std::string("h") + id, "", std::nullopt}, 0);
  CHECK(cache.Get("1", 10).has_value());  // 1 is now the most recently used
  cache.Put({"4", "h4", "", std::nullopt}, 10);
  CHECK(cache.Size() == 3);
  CHECK_FALSE(cache.Get("2", 10).has_value());
  CHECK(cache.Get("1", 10)->handle == "h1");
  CHECK(cache.Get("4", 10)->handle == "h4");
  CHECK_FALSE(cache.Get("1", 1000).has_value());  // stored at 0, a TTL of 1000 ms
  CHECK(cache.Get("4", 1009).has_value());
}

TEST_CASE("the profile lookup never refreshes the OAuth 2.0 token and signs OAuth 1.0a requests") {
  test::FakeHttpClient http;
  SUBCASE("no current token: no lookup and no refresh on the webhook path") {
    auto c = MakeWithHttp({{"consumer_secret", "consumer-secret-long-enough"},
                           {"client_id", "c1"},
                           {"refresh_token", "r1"},
                           {"api_base", "https://api.x.test"},
                           {"account_id", kOurId}},
                          http);
    CHECK(ParseOk(*c, Fixture("xaa_mention_no_includes.json"))[0].author.handle == "2244994945");
    CHECK(http.requests().empty());
  }
  SUBCASE("OAuth 1.0a: the query is part of the signature") {
    auto c = MakeWithHttp({{"consumer_secret", "consumer-secret-long-enough"},
                           {"consumer_key", "ck"},
                           {"access_token", "at"},
                           {"access_token_secret", "ats"},
                           {"api_base", "https://api.x.test"},
                           {"account_id", kOurId}},
                          http);
    http.PushStatus(200, kAnaProfile);
    CHECK(ParseOk(*c, Fixture("xaa_mention_no_includes.json"))[0].author.handle == "ana_customer");
    REQUIRE(http.requests().size() == 1);
    const std::string header = FindHeader(http.requests()[0].headers, "Authorization");
    REQUIRE(text::StartsWith(header, "OAuth "));
    x::OAuthParams signed_params;
    std::string signature;
    for (const auto& part : text::Split(header.substr(6), ',')) {
      std::string kv = text::Trim(part);
      auto eq = kv.find('=');
      std::string k = kv.substr(0, eq), v = text::UrlDecode(kv.substr(eq + 2, kv.size() - eq - 3));
      if (k == "oauth_signature") {
        signature = v;
      } else {
        signed_params.emplace_back(k, v);
      }
    }
    CHECK(signature ==
          x::OAuth1Signature(
              x::OAuth1SignatureBaseString(
                  "GET", "https://api.x.test/2/users/2244994945?user.fields=public_metrics",
                  signed_params),
              "consumer-secret-long-enough", "ats"));
  }
}

TEST_CASE("X config validation names exactly the keys that are missing or wrong") {
  std::vector<std::string> errors;
  auto has = [&](const std::string& needle) {
    for (const auto& e : errors) {
      if (e.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  SUBCASE("consumer_secret is required") {
    json config = BaseConfig();
    config.erase("consumer_secret");
    CHECK_FALSE(Make(config, &errors));
    CHECK(has("platforms.x.consumer_secret: required"));
  }
  SUBCASE("no reply credentials at all") {
    CHECK_FALSE(Make({{"consumer_secret", kVectorSecret}}, &errors));
    REQUIRE(errors.size() == 1);
    CHECK(has("platforms.x: replies need user-context credentials"));
  }
  SUBCASE("incomplete OAuth 1.0a lists each missing key") {
    CHECK_FALSE(Make({{"consumer_secret", kVectorSecret}, {"consumer_key", "k"}}, &errors));
    CHECK(errors.size() == 2);
    CHECK(has("platforms.x.access_token: required for OAuth 1.0a"));
    CHECK(has("platforms.x.access_token_secret: required for OAuth 1.0a"));
    CHECK_FALSE(has("platforms.x.consumer_key"));
  }
  SUBCASE("OAuth 1.0a and OAuth 2.0 together are ambiguous") {
    json config = BaseConfig();
    config.update({{"consumer_key", "k"}, {"access_token", "t"}, {"access_token_secret", "ts"}});
    CHECK_FALSE(Make(config, &errors));
    CHECK(has("not both"));
  }
  SUBCASE("a refresh token needs its client id") {
    CHECK_FALSE(Make({{"consumer_secret", kVectorSecret}, {"refresh_token", "r"}}, &errors));
    REQUIRE(errors.size() == 1);
    CHECK(has("platforms.x.client_id: required to refresh"));
  }
  SUBCASE("a client id without a refresh token") {
    CHECK_FALSE(Make(
        {{"consumer_secret", kVectorSecret}, {"bearer_token", "b"}, {"client_id", "c"}}, &errors));
    CHECK(has("platforms.x.refresh_token: required when client_id is set"));
  }
  SUBCASE("account_id must be the numeric id, not the handle") {
    json config = BaseConfig();
    config["account_id"] = "@acme_support";
    CHECK_FALSE(Make(config, &errors));
    CHECK(has("platforms.x.account_id"));
  }
  SUBCASE("complete configurations are accepted") {
    CHECK(Make(BaseConfig(), &errors));
    CHECK(Make({{"consumer_secret", kVectorSecret}, {"client_id", "c"}, {"refresh_token", "r"}},
               &errors));
    CHECK(Make({{"consumer_secret", kVectorSecret},
                {"consumer_key", "k"},
                {"access_token", "t"},
                {"access_token_secret", "ts"}},
               &errors));
    CHECK(errors.empty());
  }
}

TEST_CASE("OAuth 1.0a signatures match X's documented example and RFC 5849") {
  const x::OAuthParams params = {
      {"status", "Hello Ladies + Gentlemen, a signed OAuth request!"},
      {"oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"},
      {"oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"},
      {"oauth_signature_method", "HMAC-SHA1"},
      {"oauth_timestamp", "1318622958"},
      {"oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"},
      {"oauth_version", "1.0"}};
  const char* kConsumerSecret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
  const char* kTokenSecret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
  const std::string base = x::OAuth1SignatureBaseString(
      "post", "https://api.x.com/1.1/statuses/update.json?include_entities=true", params);
  CHECK(
      base ==
      "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26"
      "oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%"
      "3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26"
      "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-"
      "GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%"
      "2520%252B%2520"
      "Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521");
  // docs.x.com "Creating a signature" (api.x.com); the same example on api.twitter.com/1.1.
  CHECK(x::OAuth1Signature(base, kConsumerSecret, kTokenSecret) == "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");
  CHECK(x::OAuth1Signature(
            x::OAuth1SignatureBaseString(
                "POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
                params),
            kConsumerSecret, kTokenSecret) == "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");

  // X's "Authorizing a request" header, built from the same example (api.twitter.com/1).
  x::OAuth1Credentials creds{"xvz1evFS4wEEPTGEFPHBog", kConsumerSecret,
                             "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", kTokenSecret};
  CHECK(
      x::OAuth1AuthorizationHeader(
          creds, "POST", "https://api.twitter.com/1/statuses/update.json?include_entities=true",
          {{"status", "Hello Ladies + Gentlemen, a signed OAuth request!"}},
          "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", "1318622958") ==
      "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "
      "oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", "
      "oauth_signature=\"tnnArxj06cWHq44gCs1OSKk%2FjLY%3D\", oauth_signature_method=\"HMAC-SHA1\", "
      "oauth_timestamp=\"1318622958\", "
      "oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", "
      "oauth_version=\"1.0\"");

  // RFC 5849 §1.2: a GET whose query parameters are signed.
  const x::OAuthParams rfc = {{"oauth_consumer_key", "dpf43f3p2l4k3l03"},
                              {"oauth_token", "nnch734d00sl2jdk"},
                              {"oauth_signature_method", "HMAC-SHA1"},
                              {"oauth_timestamp", "137131202"},
                              {"oauth_nonce", "chapoH"}};
  CHECK(x::OAuth1Signature(
            x::OAuth1SignatureBaseString(
                "GET", "http://photos.example.net/photos?file=vacation.jpg&size=original", rfc),
            "kd94hf93k423kf44", "pfkkdhi9sl3r4s00") == "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
  CHECK(x::OAuthPercentEncode("a b+c~é") == "a%20b%2Bc~%C3%A9");
}

// Conformance-style cases written from twitter-text's documented v3 rules (config/v3.json:
// weight 1 for U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F, U+2032–U+2037, else 2; every URL
// 23; every emoji sequence 2), not copied from its conformance files.
TEST_CASE(
    "reply length is weighted the way X counts it, and an over-long reply is refused with its "
    "count") {
  auto c = Make(BaseConfig());
  SUBCASE("ASCII: 280 is fine, 281 is refused with the count") {
    CHECK(WeightedTweetLength(std::string(280, 'a')) == 280);
    CHECK(c->ValidateReply(std::string(280, 'a'), "1234").ok());
    Status over = c->ValidateReply(std::string(281, 'a'), "1234");
    CHECK(over.code() == StatusCode::kInvalidArgument);
    CHECK(over.message().find("counts 281") != std::string::npos);
    CHECK(c->ValidateReply("", "1234").code() == StatusCode::kInvalidArgument);
  }
  SUBCASE("CJK weighs 2; Latin accents and general punctuation 1") {
    CHECK(WeightedTweetLength("日本語") == 6);
    CHECK(WeightedTweetLength("é—’") == 3);
    CHECK(WeightedTweetLength("…") == 2);  // U+2026 is outside the light punctuation ranges
    CHECK(WeightedTweetLength("안녕") == 4);
    std::string cjk;
    for (int i = 0; i < 140; ++i) cjk += "字";
    CHECK(c->ValidateReply(cjk, "1234").ok());
    CHECK(c->ValidateReply(cjk + "a", "1234").message().find("counts 281") != std::string::npos);
  }
  SUBCASE("every URL weighs 23, however long") {
    const std::string url =
        "https://example.com/orders/5521/tracking?ref=support&lang=en&utm=x" + std::string(34, 'y');
    REQUIRE(url.size() == 100);
    CHECK(WeightedTweetLength(url) == 23);
    CHECK(WeightedTweetLength("see " + url) == 4 + 23);
    CHECK(WeightedTweetLength("HTTP://EXAMPLE.COM") == 23);
    CHECK(WeightedTweetLength("http://localhost/x") == 18);  // no TLD: not a link
    CHECK(c->ValidateReply(std::string(250, 'a') + " https://example.com/" + std::string(400, 'x'),
                           "1234")
              .ok());
  }
  SUBCASE("bare domains that X links count 23 too") {
    CHECK(WeightedTweetLength("example.com") == 23);
    CHECK(WeightedTweetLength("help at example.com/help/returns") == 8 + 23);
    CHECK(WeightedTweetLength("status.example.co.uk") == 23);
    CHECK(WeightedTweetLength("hello.world") == 23);  // .world is a generic TLD
    CHECK(WeightedTweetLength("请访问example.com") == 6 + 23);
    CHECK(WeightedTweetLength("file.txt") == 8);   // not a TLD
    CHECK(WeightedTweetLength("e.g. this") == 9);  // one-letter labels are not domains
    CHECK(WeightedTweetLength("v1.2.3") == 6);
  }
  SUBCASE("where a URL starts and ends") {
    CHECK(WeightedTweetLength("(https://example.com/a)") == 1 + 23 + 1);
    CHECK(WeightedTweetLength("https://example.com/a.") == 23 + 1);
    CHECK(WeightedTweetLength("https://example.com/a?") == 23 + 1);
    CHECK(WeightedTweetLength("https://en.wikipedia.org/wiki/Duplex_(telecommunications)") == 23);
    CHECK(WeightedTweetLength("link:https://example.com") == 5 + 23);
    CHECK(WeightedTweetLength("xhttps://not-a-url-start") == 24);
    CHECK(WeightedTweetLength("a/example.com") == 13);  // after "/" a bare domain is a path
    CHECK(WeightedTweetLength("mail@example.com") == 16);
  }
  SUBCASE("domain labels longer than 63 characters (after punycode) are not links") {
    CHECK(WeightedTweetLength("https://" + std::string(63, 'a') + ".com") == 23);
    CHECK(WeightedTweetLength("https://" + std::string(64, 'a') + ".com") == 8 + 64 + 4);
    // 35 kana each; RFC 3492 makes "xn--" + 59 and "xn--" + 60 characters of them.
    const std::string fits =
        "ぃぇりおにぢひぱいぇぢんしよたくぉすでにょそおいにがりめにのみゑなっゐ";
    const std::string too_long =
        "ぢづさぼをれおなこせはさぉぶぽゐはべゅたみぺわぅなひされゑきでぱろろや";
    CHECK(WeightedTweetLength("http://" + fits + ".jp") == 23);
    CHECK(WeightedTweetLength("http://" + too_long + ".jp") == 7 + 70 + 3);
  }
  SUBCASE("an emoji sequence weighs 2 in all") {
    CHECK(WeightedTweetLength("👨‍👩‍👧‍👦") == 2);  // ZWJ sequence of four
    CHECK(WeightedTweetLength("🇯🇵") == 2);                         // flag: two regional indicators
    CHECK(WeightedTweetLength("👍🏽") == 2);                   // skin tone modifier
    CHECK(WeightedTweetLength("1️⃣") == 2);                    // keycap with U+FE0F
    CHECK(WeightedTweetLength("1⃣") == 2);                          // keycap without
    CHECK(WeightedTweetLength("❤️") == 2);                     // U+2764 U+FE0F
    CHECK(WeightedTweetLength("🏴󠁧󠁢󠁳󠁣󠁴󠁿") == 2);  // subdivision flag (tags)
    CHECK(WeightedTweetLength("👩🏽‍💻") == 2);  // modifier inside a ZWJ sequence
    CHECK(WeightedTweetLength("🏳️‍🌈") == 2);
    CHECK(WeightedTweetLength("ok 😀") == 5);
    CHECK(WeightedTweetLength("H🐱☺👨‍👩‍👧‍👦") == 7);
    CHECK(WeightedTweetLength("🇯🇵🇫🇷") == 4);
    CHECK(WeightedTweetLength("©") == 1);  // text unless U+FE0F asks for the emoji
    CHECK(WeightedTweetLength("©️") == 2);
    CHECK(WeightedTweetLength("1") == 1);
    CHECK(WeightedTweetLength("a\u200db") == 3);  // a lone ZWJ is general punctuation
    std::string families;
    for (int i = 0; i < 140; ++i) families += "👨‍👩‍👧‍👦";
    CHECK(c->ValidateReply(families, "1234").ok());
    CHECK_FALSE(c->ValidateReply(families + "!", "1234").ok());
  }
  SUBCASE("bytes that are not UTF-8 weigh 2 each") {
    CHECK(WeightedTweetLength(std::string("a\xff\xfe")) == 5);
  }
  SUBCASE("direct messages allow 10,000 characters") {
    CHECK(c->ValidateReply(std::string(10000, 'a'), "dm:42").ok());
    CHECK(c->ValidateReply(std::string(10001, 'a'), "dm:42")
              .message()
              .find("10000 characters in a direct message") != std::string::npos);
  }
}

TEST_CASE("a tweet reply goes to POST /2/tweets with the user token and the tweet it answers") {
  auto c = Make(BaseConfig());
  FakeHttpClient http;
  http.PushStatus(
      201,
      R"({"data":{"id":"1790400000000000001","edit_history_tweet_ids":["1790400000000000001"],"text":"Sorry!"}})");
  DeliveryOutcome o = c->SendReply(TweetReply(), http);
  CHECK(o.kind == OutcomeKind::kDone);
  CHECK(o.remote_id == "1790400000000000001");
  CHECK(o.url == "https://x.com/i/web/status/1790400000000000001");
  auto reqs = http.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].url == "https://api.x.test/2/tweets");
  CHECK(FindHeader(reqs[0].headers, "Authorization") == "Bearer user-token-1");
  CHECK(reqs[0].content_type == "application/json");
  json body = json::parse(reqs[0].body);
  CHECK(body == json{{"text", "Sorry! DM us your order number."},
                     {"reply", {{"in_reply_to_tweet_id", "1790345678901234689"}}}});
}

TEST_CASE("a DM reply goes to the one-to-one conversation with the customer") {
  auto c = Make(BaseConfig());
  FakeHttpClient http;
  http.PushStatus(
      201,
      R"({"data":{"dm_conversation_id":"1500000000000000001-2244994945","dm_event_id":"1790410000000000009"}})");
  ReplyRequest r = TweetReply("Sure, what is the new address?");
  r.reply_target = json{{"dm_participant_id", "2244994945"}}.dump();
  DeliveryOutcome o = c->SendReply(r, http);
  CHECK(o.kind == OutcomeKind::kDone);
  CHECK(o.remote_id == "1790410000000000009");
  CHECK(o.url == "https://x.com/messages/2244994945-1500000000000000001");
  auto reqs = http.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].url == "https://api.x.test/2/dm_conversations/with/2244994945/messages");
  CHECK(json::parse(reqs[0].body) == json{{"text", "Sure, what is the new address?"}});
}

TEST_CASE("a reply target without usable ids fails for good without calling X") {
  auto c = Make(BaseConfig());
  FakeHttpClient http;
  for (const std::string target :
       {"", "{}", R"({"tweet_id":"12/../3"})", R"({"dm_participant_id":"x"})"}) {
    ReplyRequest r = TweetReply();
    r.reply_target = target;
    CHECK(c->SendReply(r, http).kind == OutcomeKind::kPermanent);
  }
  CHECK(http.requests().empty());
}

TEST_CASE("OAuth 1.0a replies carry a verifiable HMAC-SHA1 Authorization header") {
  auto c = Make({{"consumer_secret", kVectorSecret},
                 {"consumer_key", "ck"},
                 {"access_token", "at"},
                 {"access_token_secret", "ats"},
                 {"api_base", "https://api.x.test"}});
  FakeHttpClient http;
  http.PushStatus(201, R"({"data":{"id":"1"}})");
  REQUIRE(c->SendReply(TweetReply(), http).kind == OutcomeKind::kDone);
  const std::string header = FindHeader(http.requests()[0].headers, "Authorization");
  REQUIRE(text::StartsWith(header, "OAuth "));
  x::OAuthParams fields;
  for (const auto& part : text::Split(header.substr(6), ',')) {
    std::string kv = text::Trim(part);
    auto eq = kv.find('=');
    fields.emplace_back(kv.substr(0, eq), text::UrlDecode(kv.substr(eq + 2, kv.size() - eq - 3)));
  }
  std::string signature, timestamp;
  x::OAuthParams signed_params;
  for (const auto& [k, v] : fields) {
    if (k == "oauth_signature") {
      signature = v;
    } else {
      signed_params.emplace_back(k, v);
    }
    if (k == "oauth_timestamp") timestamp = v;
    if (k == "oauth_consumer_key") CHECK(v == "ck");
    if (k == "oauth_token") CHECK(v == "at");
  }
  CHECK(timestamp == std::to_string(kNow / 1000));
  CHECK(signed_params.size() == 6);
  CHECK(signature == x::OAuth1Signature(x::OAuth1SignatureBaseString(
                                            "POST", "https://api.x.test/2/tweets", signed_params),
                                        kVectorSecret, "ats"));
}

TEST_CASE("X rate limits are retried at X's reset time, which never makes a reply permanent") {
  auto c = Make(BaseConfig());
  FakeHttpClient http;
  const std::string kBody =
      R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})";
  SUBCASE("x-rate-limit-reset is epoch seconds") {
    http.PushStatus(429, kBody,
                    {{"x-rate-limit-limit", "200"},
                     {"x-rate-limit-remaining", "0"},
                     {"x-rate-limit-reset", std::to_string(kNow / 1000 + 90)}});
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    CHECK(o.kind == OutcomeKind::kRetry);
    CHECK(o.retry_after_ms == 90'000);
  }
  SUBCASE("the 24-hour user cap wins when it is the one used up") {
    http.PushStatus(429, kBody,
                    {{"x-rate-limit-reset", std::to_string(kNow / 1000 + 60)},
                     {"x-user-limit-24hour-limit", "100"},
                     {"x-user-limit-24hour-remaining", "0"},
                     {"x-user-limit-24hour-reset", std::to_string(kNow / 1000 + 7200)}});
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    CHECK(o.kind == OutcomeKind::kRetry);
    CHECK(o.retry_after_ms == 7'200'000);
    CHECK(o.error.find("24-hour") != std::string::npos);
  }
  SUBCASE("the app's 24-hour cap") {
    http.PushStatus(429, kBody,
                    {{"x-app-limit-24hour-remaining", "0"},
                     {"x-app-limit-24hour-reset", std::to_string(kNow / 1000 + 600)}});
    CHECK(c->SendReply(TweetReply(), http).retry_after_ms == 600'000);
  }
  SUBCASE("a reset already past still waits a moment") {
    http.PushStatus(429, kBody, {{"x-rate-limit-reset", std::to_string(kNow / 1000 - 5)}});
    CHECK(c->SendReply(TweetReply(), http).retry_after_ms == 1000);
  }
  SUBCASE("no headers: the retry schedule decides") {
    http.PushStatus(429, kBody);
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    CHECK(o.kind == OutcomeKind::kRetry);
    CHECK_FALSE(o.retry_after_ms.has_value());
  }
}

TEST_CASE("X refusals are permanent and carry X's own explanation") {
  auto c = Make(BaseConfig());
  FakeHttpClient http;
  SUBCASE("a deleted tweet") {
    http.PushStatus(
        403,
        R"({"detail":"You attempted to reply to a Tweet that is deleted or not visible to you.","type":"about:blank","title":"Forbidden","status":403})");
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK_FALSE(o.auth_failure);
    CHECK(o.error ==
          "X refused the reply (HTTP 403): You attempted to reply to a Tweet that is deleted or "
          "not visible to you.");
  }
  SUBCASE("errors[].message is more specific than detail") {
    http.PushStatus(
        400,
        R"({"errors":[{"parameters":{"text":[""]},"message":"text must not be empty"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"})");
    CHECK(c->SendReply(TweetReply(), http).error ==
          "X refused the reply (HTTP 400): text must not be empty");
  }
  SUBCASE("bad credentials alert the admins") {
    http.PushStatus(
        401,
        R"({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})");
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK(o.auth_failure);
    CHECK(o.error == "X rejected duplex's credentials (HTTP 401): Unauthorized");
    CHECK(http.requests().size() == 1);  // a bare bearer token cannot be refreshed
  }
  SUBCASE("402, credits used up, alerts the admins with what to do and is not retried") {
    http.PushStatus(
        402,
        R"({"title":"CreditsDepleted","detail":"Your enrolled account [1] does not have any credits to fulfill this request.","type":"https://api.twitter.com/2/problems/credits"})");
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK(o.auth_failure);
    CHECK(text::StartsWith(o.error, "X answered 402: the app's credits are used up"));
    CHECK(o.error.find("does not have any credits") != std::string::npos);
    CHECK(o.admin_advice.find("developer console") != std::string::npos);
    CHECK(http.requests().size() == 1);
  }
  SUBCASE("a body that is not JSON still gives the status") {
    http.PushStatus(404, "<html>nope</html>");
    CHECK(c->SendReply(TweetReply(), http).error == "X refused the reply (HTTP 404)");
  }
}

TEST_CASE("X transport failures: not sent is retried, anything after sending is uncertain") {
  auto c = Make(BaseConfig());
  FakeHttpClient http;
  http.PushError(TransportError::kNotSent, "Connection");
  CHECK(c->SendReply(TweetReply(), http).kind == OutcomeKind::kRetry);
  http.PushError(TransportError::kUnknown, "Read");
  CHECK(c->SendReply(TweetReply(), http).kind == OutcomeKind::kUncertain);
  http.PushStatus(503, R"({"title":"Service Unavailable"})");
  CHECK(c->SendReply(TweetReply(), http).kind == OutcomeKind::kUncertain);
  http.PushStatus(500, "");
  CHECK(c->SendReply(TweetReply(), http).kind == OutcomeKind::kUncertain);
}

TEST_CASE("OAuth 2.0: duplex refreshes the user token before use and before it expires") {
  json config = {{"consumer_secret", kVectorSecret},
                 {"client_id", "client-1"},
                 {"refresh_token", "refresh-A"},
                 {"api_base", "https://api.x.test"}};
  auto c = Make(config);
  FakeHttpClient http;
  http.PushStatus(
      200,
      R"({"token_type":"bearer","expires_in":7200,"access_token":"access-1","scope":"tweet.write offline.access","refresh_token":"refresh-B"})");
  http.PushStatus(201, R"({"data":{"id":"11"}})");
  http.PushStatus(201, R"({"data":{"id":"12"}})");
  REQUIRE(c->SendReply(TweetReply(), http).kind == OutcomeKind::kDone);
  ReplyRequest later = TweetReply();
  later.now = kNow + 60 * 60 * 1000;  // an hour on: still valid
  REQUIRE(c->SendReply(later, http).kind == OutcomeKind::kDone);
  auto reqs = http.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].url == "https://api.x.test/2/oauth2/token");
  CHECK(reqs[0].content_type == "application/x-www-form-urlencoded");
  CHECK(TokenRequestField(reqs[0], "grant_type") == "refresh_token");
  CHECK(TokenRequestField(reqs[0], "refresh_token") == "refresh-A");
  CHECK(TokenRequestField(reqs[0], "client_id") == "client-1");
  CHECK(FindHeader(reqs[0].headers, "Authorization").empty());  // a public client
  CHECK(FindHeader(reqs[1].headers, "Authorization") == "Bearer access-1");
  CHECK(FindHeader(reqs[2].headers, "Authorization") == "Bearer access-1");

  // 1 h 56 min after the refresh the token is inside the 5-minute margin: refresh with the
  // rotated refresh token first.
  http.PushStatus(
      200,
      R"({"token_type":"bearer","expires_in":7200,"access_token":"access-2","refresh_token":"refresh-C"})");
  http.PushStatus(201, R"({"data":{"id":"13"}})");
  ReplyRequest expiring = TweetReply();
  expiring.now = kNow + 116 * 60 * 1000;
  REQUIRE(c->SendReply(expiring, http).kind == OutcomeKind::kDone);
  reqs = http.requests();
  REQUIRE(reqs.size() == 5);
  CHECK(TokenRequestField(reqs[3], "refresh_token") == "refresh-B");
  CHECK(FindHeader(reqs[4].headers, "Authorization") == "Bearer access-2");
}

TEST_CASE("OAuth 2.0: a confidential client authenticates to the token endpoint with HTTP Basic") {
  auto c = Make({{"consumer_secret", kVectorSecret},
                 {"client_id", "Aladdin"},
                 {"client_secret", "open sesame"},
                 {"refresh_token", "r"},
                 {"api_base", "https://api.x.test"}});
  FakeHttpClient http;
  http.PushStatus(200, R"({"access_token":"a","expires_in":7200,"refresh_token":"r2"})");
  http.PushStatus(201, R"({"data":{"id":"1"}})");
  REQUIRE(c->SendReply(TweetReply(), http).kind == OutcomeKind::kDone);
  CHECK(FindHeader(http.requests()[0].headers, "Authorization") ==
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST_CASE("OAuth 2.0: a token X rejects is refreshed and the reply sent once more, once") {
  auto c = Make({{"consumer_secret", kVectorSecret},
                 {"bearer_token", "stale"},
                 {"client_id", "c1"},
                 {"refresh_token", "r1"},
                 {"api_base", "https://api.x.test"}});
  FakeHttpClient http;
  SUBCASE("the fresh token works") {
    http.PushStatus(401, R"({"title":"Unauthorized","status":401,"detail":"Unauthorized"})");
    http.PushStatus(200, R"({"access_token":"fresh","expires_in":7200,"refresh_token":"r2"})");
    http.PushStatus(201, R"({"data":{"id":"21"}})");
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    CHECK(o.kind == OutcomeKind::kDone);
    auto reqs = http.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(FindHeader(reqs[0].headers, "Authorization") == "Bearer stale");
    CHECK(reqs[1].url == "https://api.x.test/2/oauth2/token");
    CHECK(FindHeader(reqs[2].headers, "Authorization") == "Bearer fresh");
    CHECK(reqs[2].body == reqs[0].body);
  }
  SUBCASE("the fresh token is refused too: permanent, no loop") {
    http.PushStatus(401, "{}");
    http.PushStatus(200, R"({"access_token":"fresh","expires_in":7200})");
    http.PushStatus(401, R"({"detail":"Unauthorized"})");
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK(o.auth_failure);
    CHECK(http.requests().size() == 3);
  }
}

TEST_CASE("OAuth 2.0: a failed refresh never sends the reply and says what to do") {
  auto c = Make({{"consumer_secret", kVectorSecret},
                 {"client_id", "c1"},
                 {"refresh_token", "spent"},
                 {"api_base", "https://api.x.test"}});
  FakeHttpClient http;
  SUBCASE("X refuses the refresh token") {
    http.PushStatus(
        400,
        R"({"error":"invalid_request","error_description":"Value passed for the token was invalid."})");
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK(o.auth_failure);
    CHECK(o.error.find("Value passed for the token was invalid.") != std::string::npos);
    CHECK(o.error.find("refresh_token") != std::string::npos);
    CHECK(o.error.find("spent") == std::string::npos);
  }
  SUBCASE("X is unreachable") {
    http.PushError(TransportError::kNotSent, "Connection");
    CHECK(c->SendReply(TweetReply(), http).kind == OutcomeKind::kRetry);
  }
  SUBCASE("the token endpoint times out") {
    http.PushError(TransportError::kUnknown, "Read");
    CHECK(c->SendReply(TweetReply(), http).kind == OutcomeKind::kRetry);
  }
  SUBCASE("the token endpoint is rate limited") {
    http.PushStatus(429, "{}", {{"Retry-After", "30"}});
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    CHECK(o.kind == OutcomeKind::kRetry);
    CHECK(o.retry_after_ms == 30'000);
  }
  CHECK(http.requests().size() == 1);
  CHECK(http.requests()[0].url == "https://api.x.test/2/oauth2/token");
}

TEST_CASE("OAuth 2.0: concurrent replies share one refresh, so a rotating token is spent once") {
  auto c = Make({{"consumer_secret", kVectorSecret},
                 {"client_id", "c1"},
                 {"refresh_token", "r1"},
                 {"api_base", "https://api.x.test"}});
  FakeHttpClient http;
  std::atomic<int> refreshes{0};
  http.fallback = [&](const HttpRequest& req) {
    HttpResult r;
    r.response.status = 201;
    r.response.body = R"({"data":{"id":"1"}})";
    if (req.url.find("/oauth2/token") != std::string::npos) {
      ++refreshes;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      r.response.status = 200;
      r.response.body = R"({"access_token":"a","expires_in":7200,"refresh_token":"r2"})";
    }
    return r;
  };
  std::vector<std::thread> threads;
  std::atomic<int> done{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (c->SendReply(TweetReply(), http).kind == OutcomeKind::kDone) ++done;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(done == 4);
  CHECK(refreshes == 1);
}

TEST_CASE("OAuth 2.0: token_file keeps the rotated refresh token across restarts") {
  test::TempDir dir;
  const std::string file = dir.File("x-token.json");
  json config = {{"consumer_secret", kVectorSecret},
                 {"client_id", "c1"},
                 {"refresh_token", "r1"},
                 {"token_file", file},
                 {"api_base", "https://api.x.test"}};
  {
    auto c = Make(config);
    FakeHttpClient http;
    http.PushStatus(200, R"({"access_token":"a1","expires_in":7200,"refresh_token":"r2"})");
    http.PushStatus(201, R"({"data":{"id":"1"}})");
    REQUIRE(c->SendReply(TweetReply(), http).kind == OutcomeKind::kDone);
  }
  struct stat st {};
  REQUIRE(stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(json::parse(test::ReadFile(file))["refresh_token"] == "r2");

  SUBCASE("a restart with the same config continues with the persisted tokens") {
    auto c = Make(config);
    FakeHttpClient http;
    http.PushStatus(201, R"({"data":{"id":"2"}})");
    REQUIRE(c->SendReply(TweetReply(), http).kind == OutcomeKind::kDone);
    REQUIRE(http.requests().size() == 1);
    CHECK(FindHeader(http.requests()[0].headers, "Authorization") == "Bearer a1");

    ReplyRequest late = TweetReply();
    late.now = kNow + 3 * 3600 * 1000;  // a1 has expired: refresh with r2
    http.PushStatus(200, R"({"access_token":"a3","expires_in":7200,"refresh_token":"r3"})");
    http.PushStatus(201, R"({"data":{"id":"3"}})");
    REQUIRE(c->SendReply(late, http).kind == OutcomeKind::kDone);
    CHECK(TokenRequestField(http.requests()[1], "refresh_token") == "r2");
  }
  SUBCASE("a new refresh_token in the config wins over the old file") {
    config["refresh_token"] = "brand-new";
    auto c = Make(config);
    FakeHttpClient http;
    http.PushStatus(200, R"({"access_token":"b1","expires_in":7200,"refresh_token":"b2"})");
    http.PushStatus(201, R"({"data":{"id":"4"}})");
    REQUIRE(c->SendReply(TweetReply(), http).kind == OutcomeKind::kDone);
    CHECK(TokenRequestField(http.requests()[0], "refresh_token") == "brand-new");
  }
}

TEST_CASE("the X sample webhook is signed and parses into one mention with the given text") {
  auto c = Make(BaseConfig());
  HttpRequest req = c->SampleWebhook("http://127.0.0.1:8080", "is this thing on?", "sim-abc", kNow);
  CHECK(req.url == "http://127.0.0.1:8080/webhooks/x");
  InboundRequest in;
  in.method = "POST";
  in.body = req.body;
  in.headers = req.headers;
  CHECK(c->Verify(in).ok());
  auto parsed = c->Parse(in);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->mentions.size() == 1);
  CHECK(parsed->mentions[0].text.find("is this thing on?") != std::string::npos);
  CHECK(parsed->mentions[0].event_id.size() == 19);
  CHECK(c->SampleWebhook("http://h", "t", "sim-other", kNow).body != req.body);
}

TEST_CASE(
    "X: a reply's remote id is the id its post or DM comes back with, and ours come back "
    "skipped by author in both APIs") {
  auto c = Make(BaseConfig());
  FakeHttpClient http;
  SUBCASE("a post, through the Account Activity API") {
    http.PushStatus(201, R"({"data":{"id":"1790400000000000001","text":"Sorry!"}})");
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    json echo = json::parse(Fixture("tweet_reply_to_us.json"));
    json& tweet = echo["tweet_create_events"][0];
    tweet["id_str"] = o.remote_id;
    tweet["user"]["id_str"] = kOurId;
    CHECK(ParseOk(*c, echo.dump()).empty());
    tweet["user"]["id_str"] = "2244994945";
    auto parsed = ParseOk(*c, echo.dump());
    REQUIRE(parsed.size() == 1);
    CHECK(parsed[0].message_id == o.remote_id);
  }
  SUBCASE("a post, through the X Activity API") {
    http.PushStatus(201, R"({"data":{"id":"1790400000000000001","text":"Sorry!"}})");
    DeliveryOutcome o = c->SendReply(TweetReply(), http);
    json echo = json::parse(Fixture("xaa_reply.json"));
    json& post = echo["data"]["payload"];
    post["id"] = o.remote_id;
    post["edit_history_tweet_ids"] = {o.remote_id};
    post["author_id"] = kOurId;
    CHECK(ParseOk(*c, echo.dump()).empty());
    post["author_id"] = "2244994945";
    auto parsed = ParseOk(*c, echo.dump());
    REQUIRE(parsed.size() == 1);
    CHECK(parsed[0].message_id == o.remote_id);
  }
  SUBCASE("a DM: its dm_event_id") {
    http.PushStatus(201, R"({"data":{"dm_event_id":"1790370000000000102"}})");
    ReplyRequest r = TweetReply("Sure, send us the new address here.");
    r.reply_target = json{{"dm_participant_id", "2244994945"}}.dump();
    DeliveryOutcome o = c->SendReply(r, http);
    json echo = json::parse(Fixture("dm_events.json"));
    CHECK(echo["direct_message_events"][1]["id"] == o.remote_id);  // ours, as X sends it back
    auto parsed = ParseOk(*c, echo.dump());
    REQUIRE(parsed.size() == 1);  // ours is skipped by author
    json& ours = echo["direct_message_events"][1]["message_create"];
    ours["sender_id"] = "2244994945";
    ours["target"]["recipient_id"] = kOurId;
    parsed = ParseOk(*c, echo.dump());
    REQUIRE(parsed.size() == 2);
    CHECK(parsed[1].message_id == o.remote_id);
  }
}

}  // namespace duplex
