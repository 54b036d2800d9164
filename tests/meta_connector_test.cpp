// The Meta connector: handshake, signatures on raw bytes, every surface's payloads (from the
// shapes Meta documents), what is skipped, malformed input, the mention fetch, and every reply
// endpoint and error class against a scripted HTTP client.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/text.h"
#include "platforms/meta/meta_connector.h"
#include "platforms/meta/meta_target.h"
#include "platforms/registry.h"
#include "security/signatures.h"
#include "support/fakes.h"
#include "support/test_util.h"

namespace duplex::test {
namespace {

using nlohmann::json;

constexpr const char* kAppSecret = "3f1e0b2c9d8a7f6e5d4c3b2a19081726";
constexpr const char* kVerifyToken = "duplex-verify-7c1d";
constexpr const char* kPageToken = "EAAGpage-token";
constexpr const char* kWaToken = "EAAGwhatsapp-system-user";
constexpr const char* kApi = "https://graph.test/v21.0";
constexpr const char* kPage = "102030405060708";
constexpr const char* kIgUser = "17841400000000001";

json BaseConfig() {
  return {{"app_secret", kAppSecret}, {"verify_token", kVerifyToken},
          {"page_token", kPageToken}, {"whatsapp_token", kWaToken},
          {"api_base", kApi},         {"page_id", kPage},
          {"ig_user_id", kIgUser}};
}

std::unique_ptr<PlatformConnector> Make(HttpClient* http = nullptr, json config = BaseConfig()) {
  std::vector<std::string> errors;
  auto c = MakeMetaConnector(config, "platforms.meta", errors, http);
  // doctest builds the message even when the check passes (-s): front() only if there is one.
  REQUIRE_MESSAGE(errors.empty(), (errors.empty() ? std::string() : errors.front()));
  return c;
}

std::string Fixture(const std::string& name) {
  return ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/meta/" + name);
}

InboundRequest SignedPost(const std::string& body, const std::string& secret = kAppSecret) {
  InboundRequest r;
  r.method = "POST";
  r.path = "/webhooks/meta";
  r.body = body;
  r.headers = {{"X-Hub-Signature-256", security::SignHubSignature256(secret, body)}};
  return r;
}

std::vector<Mention> ParseOk(const PlatformConnector& c, const std::string& body) {
  auto parsed = c.Parse(SignedPost(body));
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().message());
  return parsed->mentions;
}

json Target(const Mention& m) {
  return json::parse(m.reply_target);
}

ReplyRequest Reply(const json& target, const std::string& text = "Thanks, we are on it") {
  ReplyRequest r;
  r.delivery_id = 7;
  r.reply_target = target.dump();
  r.text = text;
  r.now = 1'717'000'000'000;
  return r;
}

json ErrorBody(std::int64_t code, std::int64_t subcode = 0, const std::string& message = "boom") {
  json e = {
      {"message", message}, {"type", "OAuthException"}, {"code", code}, {"fbtrace_id", "AbC"}};
  if (subcode != 0) e["error_subcode"] = subcode;
  return {{"error", e}};
}

const json kCommentTarget = {
    {"type", "fb_comment"},
    {"comment_id", "4455667788_900100200"},
    {"post_id", "102030405060708_4455667788"},
    {"url", "https://www.facebook.com/acme/posts/pfbid02abcDEF?comment_id=900100200"}};
const json kWhatsAppTarget = {{"type", "whatsapp"},
                              {"phone_number_id", "106540352242922"},
                              {"to", "447700900123"},
                              {"message_id", "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQUJDMTIz"}};

}  // namespace

TEST_CASE("meta: the verify handshake echoes hub.challenge only for the configured token") {
  auto c = Make();
  InboundRequest r;
  r.method = "GET";
  SUBCASE("right token: 200 text/plain with the challenge") {
    r.query = {{"hub.mode", "subscribe"},
               {"hub.verify_token", kVerifyToken},
               {"hub.challenge", "1158201444"}};
    auto answer = c->Handshake(r);
    REQUIRE(answer.ok());
    CHECK(answer->status == 200);
    CHECK(answer->content_type == "text/plain");
    CHECK(answer->body == "1158201444");
  }
  SUBCASE("wrong token: 403") {
    r.query = {
        {"hub.mode", "subscribe"}, {"hub.verify_token", "guess"}, {"hub.challenge", "1158201444"}};
    auto answer = c->Handshake(r);
    CHECK(answer.status().code() == StatusCode::kPermissionDenied);
    CHECK(HttpStatusFor(answer.status().code()) == 403);
  }
  SUBCASE("missing parameters: 400") {
    r.query = {{"hub.mode", "subscribe"}, {"hub.challenge", "1158201444"}};
    CHECK(c->Handshake(r).status().code() == StatusCode::kInvalidArgument);
    r.query.clear();
    CHECK(c->Handshake(r).status().code() == StatusCode::kInvalidArgument);
  }
  SUBCASE("a challenge of any other shape: 400, not echoed, even with the right token") {
    for (const std::string& challenge :
         {std::string("<html><script>alert(document.domain)</script></html>"),
          std::string("{\"ok\":true}"), std::string("two words"), std::string(""),
          std::string("1158201444\r\nSet-Cookie: a=b"), std::string("caf\xC3\xA9"),
          std::string(security::kMaxChallengeLength + 1, '7')}) {
      INFO("challenge: ", challenge);
      r.query = {{"hub.mode", "subscribe"},
                 {"hub.verify_token", kVerifyToken},
                 {"hub.challenge", challenge}};
      auto answer = c->Handshake(r);
      REQUIRE_FALSE(answer.ok());
      CHECK(HttpStatusFor(answer.status().code()) == 400);
      CHECK(answer.status().message().find("hub.challenge must be") == 0);
    }
    r.query = {{"hub.mode", "subscribe"},
               {"hub.verify_token", kVerifyToken},
               {"hub.challenge", std::string(security::kMaxChallengeLength, '7')}};
    CHECK(c->Handshake(r).ok());
  }
  SUBCASE("a wrong token is a 403 whatever the challenge") {
    r.query = {{"hub.mode", "subscribe"}, {"hub.verify_token", "guess"}, {"hub.challenge", "<b>"}};
    CHECK(HttpStatusFor(c->Handshake(r).status().code()) == 403);
    // Lengths other than the token's are refused the same way (compared as digests).
    r.query[1].second = std::string(kVerifyToken) + "x";
    CHECK(HttpStatusFor(c->Handshake(r).status().code()) == 403);
    r.query[1].second = std::string(kVerifyToken).substr(1);
    CHECK(HttpStatusFor(c->Handshake(r).status().code()) == 403);
  }
  SUBCASE("a mode other than subscribe: 400") {
    r.query = {
        {"hub.mode", "unsubscribe"}, {"hub.verify_token", kVerifyToken}, {"hub.challenge", "1"}};
    CHECK(c->Handshake(r).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("meta: X-Hub-Signature-256 is checked on the raw bytes, escapes and all") {
  auto c = Make();
  const std::string raw = Fixture("escaped_comment.raw");
  REQUIRE(raw.find("\\u00e9") != std::string::npos);
  REQUIRE(raw.find("\\/") != std::string::npos);
  SUBCASE("signed as received: accepted, and the text is decoded") {
    CHECK(c->Verify(SignedPost(raw)).ok());
    auto mentions = ParseOk(*c, raw);
    REQUIRE(mentions.size() == 1);
    CHECK(mentions[0].author.name == "Jos\xC3\xA9 Ram\xC3\xADrez");
    CHECK(mentions[0].text == "Caf\xC3\xA9 ol\xC3\xA9 / price?");
  }
  SUBCASE("a signature over a re-serialization does not match the raw bytes") {
    InboundRequest r = SignedPost(json::parse(raw).dump());
    r.body = raw;
    CHECK(c->Verify(r).code() == StatusCode::kUnauthenticated);
  }
  SUBCASE("missing header") {
    InboundRequest r = SignedPost(raw);
    r.headers.clear();
    Status s = c->Verify(r);
    CHECK(s.code() == StatusCode::kUnauthenticated);
    CHECK(s.message().find("X-Hub-Signature-256") != std::string::npos);
  }
  SUBCASE("wrong secret") {
    CHECK_FALSE(c->Verify(SignedPost(raw, "another-app-secret")).ok());
  }
  SUBCASE("one byte changed") {
    InboundRequest r = SignedPost(raw);
    r.body[r.body.size() / 2] ^= 1;
    CHECK_FALSE(c->Verify(r).ok());
  }
}

TEST_CASE(
    "meta: a Page feed batch yields one comment per new comment, threads joined, the rest "
    "skipped") {
  auto c = Make();
  auto mentions = ParseOk(*c, Fixture("page_feed_batch.json"));
  // Kept: Ana's comment, Bruno's reply to it, Carla's comment on another post. Skipped: an
  // edit, a removal, a reaction and the Page's own reply.
  REQUIRE(mentions.size() == 3);
  const Mention& ana = mentions[0];
  CHECK(ana.platform == "meta");
  CHECK(ana.event_id == "fb:comment:4455667788_900100200");
  CHECK(ana.kind == MentionKind::kComment);
  CHECK(ana.author.id == "7001002003");
  CHECK(ana.author.name == "Ana Souza");
  CHECK(ana.text == "My order #5521 never arrived, can you check?");
  CHECK(ana.conversation_key == "fb:comment:4455667788_900100200");
  CHECK(ana.message_id == "4455667788_900100200");
  CHECK(ana.parent_message_id.empty());
  CHECK(ana.permalink == "https://www.facebook.com/acme/posts/pfbid02abcDEF?comment_id=900100200");
  CHECK(ana.account == kPage);
  CHECK(Target(ana) ==
        json{{"type", "fb_comment"},
             {"comment_id", "4455667788_900100200"},
             {"post_id", "102030405060708_4455667788"},
             {"url", "https://www.facebook.com/acme/posts/pfbid02abcDEF?comment_id=900100200"}});
  CHECK(c->DisplayNameFor(ana.reply_target) == "Facebook");

  const Mention& bruno = mentions[1];
  CHECK(bruno.conversation_key == ana.conversation_key);
  CHECK(bruno.parent_message_id == "4455667788_900100200");
  CHECK(bruno.permalink ==
        "https://www.facebook.com/acme/posts/"
        "pfbid02abcDEF?comment_id=900100200&reply_comment_id=900100300");
  CHECK(Target(bruno)["comment_id"] == "4455667788_900100300");

  const Mention& carla = mentions[2];
  CHECK(carla.conversation_key == "fb:comment:5566778899_900200100");
  CHECK(carla.permalink ==
        "https://www.facebook.com/102030405060708_5566778899?comment_id=900200100");
}

TEST_CASE("meta: without page_id configured, the entry's id still identifies our own comments") {
  json config = BaseConfig();
  config.erase("page_id");
  auto c = Make(nullptr, config);
  auto mentions = ParseOk(*c, Fixture("page_feed_batch.json"));
  CHECK(mentions.size() == 3);
  for (const auto& m : mentions) CHECK(m.author.id != kPage);
}

TEST_CASE("meta: Messenger messages become dms — echoes, deliveries and reads are skipped") {
  auto c = Make();
  auto mentions = ParseOk(*c, Fixture("messenger.json"));
  REQUIRE(mentions.size() == 2);
  CHECK(mentions[0].event_id == "messenger:m_AbCdEfGhIjKlMnOp1");
  CHECK(mentions[0].kind == MentionKind::kDm);
  CHECK(mentions[0].text == "Hi! Is the store open on Sunday?");
  CHECK(mentions[0].author.id == "24681357902468135");
  CHECK(mentions[0].conversation_key == "messenger:102030405060708:24681357902468135");
  CHECK(Target(mentions[0]) ==
        json{{"type", "messenger"}, {"page_id", kPage}, {"psid", "24681357902468135"}});
  CHECK(c->DisplayNameFor(mentions[0].reply_target) == "Messenger");
  CHECK(mentions[1].text == "[image]");
  CHECK(mentions[1].parent_message_id == "m_OurEcho2");
  CHECK(mentions[1].conversation_key == mentions[0].conversation_key);
}

TEST_CASE("meta: Instagram comments — our own replies and other fields are skipped") {
  auto c = Make();
  auto mentions = ParseOk(*c, Fixture("instagram_comments.json"));
  REQUIRE(mentions.size() == 2);
  CHECK(mentions[0].event_id == "ig:comment:17860000000000111");
  CHECK(mentions[0].kind == MentionKind::kComment);
  CHECK(mentions[0].author.handle == "dana.designs");
  CHECK(mentions[0].text == "Love this! Is it available in blue?");
  CHECK(mentions[0].account == kIgUser);
  CHECK(c->DisplayNameFor(mentions[0].reply_target) == "Instagram");
  // A reply joins its top comment's thread, and answering it replies on that top comment:
  // Instagram only takes replies to top-level comments.
  CHECK(mentions[1].conversation_key == mentions[0].conversation_key);
  CHECK(mentions[1].parent_message_id == "17860000000000111");
  CHECK(Target(mentions[1]) == json{{"type", "ig_comment"},
                                    {"comment_id", "17860000000000111"},
                                    {"media_id", "17900000000000777"}});
}

TEST_CASE("meta: an Instagram @mention is completed with a fetch of its text") {
  FakeHttpClient http;
  auto c = Make(&http);
  const std::string body = Fixture("instagram_mention.json");
  SUBCASE("fetched: text, author and link come from the Graph API") {
    http.PushStatus(200, R"({"mentioned_comment":{"text":"@acme your app logs me out every hour",
        "username":"hugo.r","timestamp":"2024-05-29T16:40:00+0000","id":"17870000000000444",
        "media":{"id":"17920000000000999","permalink":"https://www.instagram.com/p/C7abcDEF/"}},
        "id":"17841400000000001"})");
    auto mentions = ParseOk(*c, body);
    REQUIRE(mentions.size() == 1);
    const Mention& m = mentions[0];
    CHECK(m.kind == MentionKind::kMention);
    CHECK(m.event_id == "ig:mention:17870000000000444");
    CHECK(m.text == "@acme your app logs me out every hour");
    CHECK(m.author.handle == "hugo.r");
    CHECK(m.permalink == "https://www.instagram.com/p/C7abcDEF/");
    CHECK(Target(m) == json{{"type", "ig_mention"},
                            {"ig_user_id", kIgUser},
                            {"media_id", "17920000000000999"},
                            {"comment_id", "17870000000000444"},
                            {"url", "https://www.instagram.com/p/C7abcDEF/"}});
    REQUIRE(http.requests().size() == 1);
    const HttpRequest req = http.requests()[0];
    CHECK(req.method == "GET");
    CHECK(req.url == std::string(kApi) + "/" + kIgUser +
                         "?fields=mentioned_comment.comment_id(17870000000000444)"
                         "{text,username,timestamp,media{id,permalink}}");
    CHECK(FindHeader(req.headers, "Authorization") == std::string("Bearer ") + kPageToken);
  }
  SUBCASE("a caption mention fetches the media instead") {
    http.PushStatus(200, R"({"mentioned_media":{"caption":"New mural by @acme","username":"ivy.art",
        "permalink":"https://www.instagram.com/p/C7xyz/","id":"17920000000000999"}})");
    auto mentions =
        ParseOk(*c, R"({"object":"instagram","entry":[{"id":"17841400000000001","changes":[
        {"field":"mentions","value":{"media_id":"17920000000000999"}}]}]})");
    REQUIRE(mentions.size() == 1);
    CHECK(mentions[0].text == "New mural by @acme");
    CHECK(mentions[0].event_id == "ig:mention:media:17920000000000999");
    CHECK_FALSE(Target(mentions[0]).contains("comment_id"));
    CHECK(http.requests()[0].url.find("fields=mentioned_media.media_id(17920000000000999)") !=
          std::string::npos);
  }
  SUBCASE("a fetch that may work later fails the webhook with 503 so Meta redelivers it") {
    SUBCASE("connection refused") {
      http.PushError(TransportError::kNotSent);
    }
    SUBCASE("timeout") {
      http.PushError(TransportError::kUnknown);
    }
    SUBCASE("server error") {
      http.PushStatus(500, ErrorBody(2).dump());
    }
    SUBCASE("rate limit") {
      http.PushStatus(400, ErrorBody(4).dump());
    }
    auto parsed = c->Parse(SignedPost(body));
    CHECK(parsed.status().code() == StatusCode::kUnavailable);
    CHECK(HttpStatusFor(parsed.status().code()) == 503);
  }
  SUBCASE("a definite refusal stores the mention with a placeholder, still answerable") {
    http.PushStatus(400,
                    ErrorBody(100, 33, "Object with ID '17870000000000444' does not exist").dump());
    auto mentions = ParseOk(*c, body);
    REQUIRE(mentions.size() == 1);
    CHECK(mentions[0].text.find("could not fetch its text") != std::string::npos);
    CHECK(mentions[0].text.find("does not exist") != std::string::npos);
    CHECK(Target(mentions[0])["media_id"] == "17920000000000999");
  }
}

TEST_CASE("meta: without an HTTP client (config checks) a mention gets a placeholder") {
  auto c = Make(nullptr);
  auto mentions = ParseOk(*c, Fixture("instagram_mention.json"));
  REQUIRE(mentions.size() == 1);
  CHECK(mentions[0].text.find("could not fetch") != std::string::npos);
}

TEST_CASE(
    "meta: WhatsApp messages become dms named from contacts — reactions and statuses are skipped") {
  auto c = Make();
  auto mentions = ParseOk(*c, Fixture("whatsapp_messages.json"));
  REQUIRE(mentions.size() == 2);
  const Mention& text = mentions[0];
  CHECK(text.event_id == "wa:wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQUJDMTIz");
  CHECK(text.kind == MentionKind::kDm);
  CHECK(text.author.id == "447700900123");
  CHECK(text.author.handle == "+447700900123");
  CHECK(text.author.name == "Fatima Rahman");
  CHECK(text.text == "Hello, my invoice shows the wrong address");
  CHECK(text.permalink == "https://wa.me/447700900123");
  CHECK(text.conversation_key == "wa:106540352242922:447700900123");
  CHECK(text.account == "106540352242922");
  CHECK(Target(text) == kWhatsAppTarget);
  CHECK(c->DisplayNameFor(text.reply_target) == "WhatsApp");
  CHECK(mentions[1].text == "[image] This is the damaged box");
  CHECK(mentions[1].author.name == "Gil Moreno");
  CHECK(mentions[1].parent_message_id == "wamid.OUR_EARLIER_MESSAGE");

  // sent, delivered and read: neither a mention nor a report.
  auto statuses = c->Parse(SignedPost(Fixture("whatsapp_statuses.json")));
  REQUIRE(statuses.ok());
  CHECK(statuses->mentions.empty());
  CHECK(statuses->delivery_reports.empty());
  auto mixed = c->Parse(SignedPost(Fixture("whatsapp_messages.json")));
  REQUIRE(mixed.ok());
  CHECK(mixed->delivery_reports.empty());
}

TEST_CASE("meta: unknown objects and fields are acknowledged with no mention") {
  auto c = Make();
  CHECK(ParseOk(*c, Fixture("unknown_object.json")).empty());
  CHECK(
      ParseOk(
          *c,
          R"({"object":"page","entry":[{"id":"1","changes":[{"field":"ratings","value":{"verb":"add"}}]}]})")
          .empty());
  CHECK(ParseOk(*c, R"({"object":"page","entry":[]})").empty());
  CHECK(ParseOk(*c, R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
      {"field":"messages","value":{"messages":[]}}]}]})")
            .empty());
}

TEST_CASE(
    "meta: malformed bodies are refused, malformed items skipped without losing their batch") {
  auto c = Make();
  auto parse = [&](const std::string& body) { return c->Parse(SignedPost(body)); };
  SUBCASE("not a notification at all: 400") {
    CHECK(parse(R"({"object":"page","entry":[{"id":"1")").status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(parse("[]").status().code() == StatusCode::kInvalidArgument);
    CHECK(parse(R"({"object":7,"entry":[]})").status().code() == StatusCode::kInvalidArgument);
    CHECK(parse(R"({"object":"page","entry":{"id":"1"}})").status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(parse(R"({"object":"page","entry":["x"]})").status().code() ==
          StatusCode::kInvalidArgument);
  }
  SUBCASE("a bad item next to a good one: the good one is kept") {
    json body = json::parse(Fixture("page_feed_batch.json"));
    auto& changes = body["entry"][0]["changes"];
    changes[0]["value"].erase("comment_id");       // missing field
    changes[1]["value"]["message"] = 42;           // wrong type
    body["entry"][1]["changes"] = "not an array";  // wrong type for a whole entry
    body["entry"].push_back(json::parse(R"({"id":"1","changes":[{"field":"feed","value":{
        "from":{"id":"7"},"item":"comment","verb":"add","post_id":"1_2","comment_id":"2_3","message":"ok"}}]})"));
    auto mentions = ParseOk(*c, body.dump());
    REQUIRE(mentions.size() == 1);
    CHECK(mentions[0].event_id == "fb:comment:2_3");
  }
  SUBCASE("ids that are not Graph ids never reach a reply target") {
    auto mentions =
        ParseOk(*c, R"({"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":{
        "from":{"id":"7"},"item":"comment","verb":"add","post_id":"1_2","comment_id":"../../me/feed","message":"x"}}]}]})");
    CHECK(mentions.empty());
  }
  SUBCASE("a 1 MiB comment is kept whole") {
    const std::string big(1 << 20, 'a');
    json body = {{"object", "page"},
                 {"entry",
                  {{{"id", kPage},
                    {"changes",
                     {{{"field", "feed"},
                       {"value",
                        {{"from", {{"id", "7"}, {"name", "Big"}}},
                         {"item", "comment"},
                         {"verb", "add"},
                         {"post_id", "1_2"},
                         {"comment_id", "2_3"},
                         {"message", big}}}}}}}}}};
    auto mentions = ParseOk(*c, body.dump());
    REQUIRE(mentions.size() == 1);
    CHECK(mentions[0].text.size() == big.size());
  }
}

TEST_CASE("meta: each reply goes to its own endpoint with the right token and body") {
  FakeHttpClient http;
  auto c = Make();
  struct Case {
    const char* name;
    json target;
    std::string url;
    std::string token;
    json body;
    std::string answer;
    std::string remote_id;
    std::string link;
  };
  const std::vector<Case> cases = {
      {"page comment",
       kCommentTarget,
       std::string(kApi) + "/4455667788_900100200/comments",
       kPageToken,
       {{"message", "Thanks, we are on it"}},
       R"({"id":"4455667788_900100555"})",
       "4455667788_900100555",
       "https://www.facebook.com/acme/posts/"
       "pfbid02abcDEF?comment_id=900100200&reply_comment_id=900100555"},
      {"instagram comment",
       {{"type", "ig_comment"},
        {"comment_id", "17860000000000111"},
        {"media_id", "17900000000000777"}},
       std::string(kApi) + "/17860000000000111/replies",
       kPageToken,
       {{"message", "Thanks, we are on it"}},
       R"({"id":"17860000000000999"})",
       "17860000000000999",
       ""},
      {"instagram mention",
       {{"type", "ig_mention"},
        {"ig_user_id", kIgUser},
        {"media_id", "17920000000000999"},
        {"comment_id", "17870000000000444"},
        {"url", "https://www.instagram.com/p/C7abcDEF/"}},
       std::string(kApi) + "/" + kIgUser + "/mentions",
       kPageToken,
       {{"comment_id", "17870000000000444"},
        {"media_id", "17920000000000999"},
        {"message", "Thanks, we are on it"}},
       R"({"id":"17846319838228163"})",
       "17846319838228163",
       "https://www.instagram.com/p/C7abcDEF/"},
      {"messenger",
       {{"type", "messenger"}, {"page_id", kPage}, {"psid", "24681357902468135"}},
       std::string(kApi) + "/" + kPage + "/messages",
       kPageToken,
       {{"recipient", {{"id", "24681357902468135"}}},
        {"messaging_type", "RESPONSE"},
        {"message", {{"text", "Thanks, we are on it"}}}},
       R"({"recipient_id":"24681357902468135","message_id":"m_Reply1"})",
       "m_Reply1",
       ""},
      {"whatsapp",
       kWhatsAppTarget,
       std::string(kApi) + "/106540352242922/messages",
       kWaToken,
       {{"messaging_product", "whatsapp"},
        {"recipient_type", "individual"},
        {"to", "447700900123"},
        {"context", {{"message_id", "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQUJDMTIz"}}},
        {"type", "text"},
        {"text", {{"preview_url", false}, {"body", "Thanks, we are on it"}}}},
       R"({"messaging_product":"whatsapp","contacts":[{"input":"447700900123","wa_id":"447700900123"}],
           "messages":[{"id":"wamid.OURREPLY"}]})",
       "wamid.OURREPLY",
       "https://wa.me/447700900123"},
  };
  for (const auto& k : cases) {
    CAPTURE(k.name);
    http.PushStatus(200, k.answer);
    DeliveryOutcome o = c->SendReply(Reply(k.target), http);
    CHECK(o.kind == OutcomeKind::kDone);
    CHECK(o.remote_id == k.remote_id);
    CHECK(o.url == k.link);
    const HttpRequest req = http.requests().back();
    CHECK(req.method == "POST");
    CHECK(req.url == k.url);
    CHECK(FindHeader(req.headers, "Authorization") == "Bearer " + k.token);
    CHECK(json::parse(req.body) == k.body);
  }
  CHECK(http.requests().size() == cases.size());
}

TEST_CASE("meta: WhatsApp replies use the page token when no WhatsApp token is configured") {
  json config = BaseConfig();
  config.erase("whatsapp_token");
  auto c = Make(nullptr, config);
  FakeHttpClient http;
  http.PushStatus(200, R"({"messages":[{"id":"wamid.X"}]})");
  CHECK(c->SendReply(Reply(kWhatsAppTarget), http).kind == OutcomeKind::kDone);
  CHECK(FindHeader(http.requests()[0].headers, "Authorization") ==
        std::string("Bearer ") + kPageToken);
}

TEST_CASE("meta: Meta's errors map onto retry, permanent and uncertain") {
  auto c = Make();
  FakeHttpClient http;
  auto send = [&](const json& target = kCommentTarget) {
    return c->SendReply(Reply(target), http);
  };
  SUBCASE("rate limits retry later, after Meta's hint or a minute") {
    for (std::int64_t code : {4, 17, 32, 613, 80001, 80002, 80006, 130429, 131056}) {
      CAPTURE(code);
      http.PushStatus(code == 4 ? 403 : 400, ErrorBody(code).dump());
      DeliveryOutcome o = send();
      CHECK(o.kind == OutcomeKind::kRetry);
      CHECK(o.retry_after_ms == 60'000);
      CHECK(o.error.find("rate limit") != std::string::npos);
    }
    http.PushStatus(400, ErrorBody(613).dump(), {{"Retry-After", "1"}});
    CHECK(send().retry_after_ms == 1000);
    http.PushStatus(
        400, ErrorBody(80001).dump(),
        {{"X-Business-Use-Case-Usage",
          R"({"102030405060708":[{"type":"pages","call_count":100,"total_cputime":12,"total_time":30,"estimated_time_to_regain_access":5}]})"}});
    CHECK(send().retry_after_ms == 5 * 60'000);
  }
  SUBCASE("a closed 24-hour window is permanent and says so") {
    http.PushStatus(400, ErrorBody(131047, 0, "Re-engagement message").dump());
    DeliveryOutcome wa = send(kWhatsAppTarget);
    CHECK(wa.kind == OutcomeKind::kPermanent);
    CHECK(wa.error.find("24-hour") != std::string::npos);
    http.PushStatus(
        400, ErrorBody(10, 2018278, "This message is sent outside of allowed window.").dump());
    DeliveryOutcome messenger =
        send(json{{"type", "messenger"}, {"page_id", kPage}, {"psid", "2468"}});
    CHECK(messenger.kind == OutcomeKind::kPermanent);
    CHECK(messenger.error.find("24-hour") != std::string::npos);
    CHECK_FALSE(messenger.auth_failure);
  }
  SUBCASE("an expired token is permanent and an auth failure") {
    http.PushStatus(
        400, ErrorBody(190, 463, "Error validating access token: Session has expired").dump());
    DeliveryOutcome o = send();
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK(o.auth_failure);
    CHECK(o.error.find("Session has expired") != std::string::npos);
  }
  SUBCASE("a deleted comment is permanent with Meta's own reason") {
    http.PushStatus(
        400,
        ErrorBody(100, 33,
                  "Unsupported post request. Object with ID '4455667788_900100200' does not exist")
            .dump());
    DeliveryOutcome o = send();
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK(o.error.find("does not exist") != std::string::npos);
    CHECK(o.error.find("code 100, subcode 33") != std::string::npos);
  }
  SUBCASE("5xx and timeouts are uncertain; a refused connection is a retry") {
    http.PushStatus(
        500, ErrorBody(2, 0, "An unexpected error has occurred. Please retry your request later.")
                 .dump());
    CHECK(send().kind == OutcomeKind::kUncertain);
    http.PushStatus(503, "<html>unavailable</html>");
    CHECK(send().kind == OutcomeKind::kUncertain);
    http.PushError(TransportError::kUnknown, "read timeout");
    CHECK(send().kind == OutcomeKind::kUncertain);
    http.PushError(TransportError::kNotSent, "connection refused");
    CHECK(send().kind == OutcomeKind::kRetry);
  }
}

TEST_CASE("meta: replies that cannot work are refused before any call") {
  auto c = Make();
  FakeHttpClient http;
  SUBCASE("too long for Instagram") {
    json target = {{"type", "ig_comment"}, {"comment_id", "17860000000000111"}};
    DeliveryOutcome o = c->SendReply(Reply(target, std::string(2201, 'x')), http);
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK(o.error.find("2,200") != std::string::npos);
  }
  SUBCASE("a target whose id would leave the Graph path") {
    json target = kCommentTarget;
    target["comment_id"] = "../me/feed";
    CHECK(c->SendReply(Reply(target), http).kind == OutcomeKind::kPermanent);
  }
  SUBCASE("no target, or an unknown type") {
    ReplyRequest r = Reply(kCommentTarget);
    r.reply_target.clear();
    CHECK(c->SendReply(r, http).kind == OutcomeKind::kPermanent);
    CHECK(c->SendReply(Reply(json{{"type", "tiktok"}}), http).kind == OutcomeKind::kPermanent);
  }
  CHECK(http.requests().empty());
  CHECK(c->ValidateReply(std::string(8001, 'x'), "c").code() == StatusCode::kInvalidArgument);
  CHECK(c->ValidateReply("", "c").code() == StatusCode::kInvalidArgument);
  CHECK(c->ValidateReply("ok", "c").ok());
  CHECK(c->DisplayNameFor("") == "Meta");
}

TEST_CASE("meta: config requires the secrets and checks ids — the registry knows meta") {
  std::vector<std::string> errors;
  MakeMetaConnector(json{{"page_id", "our-page"}, {"api_base", "ftp://x"}}, "platforms.meta",
                    errors, nullptr);
  auto has = [&](const std::string& s) {
    for (const auto& e : errors) {
      if (e.find(s) != std::string::npos) return true;
    }
    return false;
  };
  CHECK(has("platforms.meta.app_secret: required"));
  CHECK(has("platforms.meta.verify_token: required"));
  CHECK(has("platforms.meta.page_token: required"));
  CHECK(has("platforms.meta.page_id"));
  CHECK(has("platforms.meta.api_base"));
  const PlatformEntry* entry = FindPlatform("meta");
  REQUIRE(entry != nullptr);
  CHECK(entry->secret_keys ==
        std::vector<std::string>{"app_secret", "verify_token", "page_token", "whatsapp_token"});
}

TEST_CASE("meta: the sample webhook is signed and parses into one Page comment") {
  auto c = Make();
  HttpRequest sample =
      c->SampleWebhook("http://127.0.0.1:8080", "is this thing on?", "sim-1", 1'717'000'000'000);
  CHECK(sample.url == "http://127.0.0.1:8080/webhooks/meta");
  InboundRequest r;
  r.body = sample.body;
  r.headers = sample.headers;
  CHECK(c->Verify(r).ok());
  auto mentions = ParseOk(*c, sample.body);
  REQUIRE(mentions.size() == 1);
  CHECK(mentions[0].text == "is this thing on?");
  // The same event id gives the same dedup id.
  CHECK(ParseOk(*c, c->SampleWebhook("http://x", "again", "sim-1", 1).body)[0].event_id ==
        mentions[0].event_id);
}

TEST_CASE("meta: a failed WhatsApp status is a delivery report in plain words, keyed by wamid") {
  auto c = Make();
  SUBCASE("131047: the 24-hour window") {
    auto parsed = c->Parse(SignedPost(Fixture("whatsapp_status_failed_131047.json")));
    REQUIRE(parsed.ok());
    CHECK(parsed->mentions.empty());
    REQUIRE(parsed->delivery_reports.size() == 1);
    const DeliveryReport& r = parsed->delivery_reports[0];
    CHECK(r.failed);
    CHECK(r.remote_id == "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSRkFJTEVEUkVQTFkxAA==");
    CHECK(r.event_id == "wa:status:wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSRkFJTEVEUkVQTFkxAA==:failed");
    CHECK(r.reason ==
          "WhatsApp could not deliver it: the 24-hour window has closed: the customer must write "
          "first, or a template message is needed (WhatsApp error 131047).");
  }
  SUBCASE("131026: undeliverable, next to a delivered status that is ignored") {
    auto parsed = c->Parse(SignedPost(Fixture("whatsapp_status_failed_131026.json")));
    REQUIRE(parsed.ok());
    REQUIRE(parsed->delivery_reports.size() == 1);
    const DeliveryReport& r = parsed->delivery_reports[0];
    CHECK(r.remote_id == "wamid.HBgUVVMuMTM0OTEyMDg2NTUzMDI3NDE5MTgVAgARGBJVTkRFTElWRVJBQkxFMQA=");
    CHECK(r.reason.find("undeliverable") != std::string::npos);
    CHECK(r.reason.find("not on WhatsApp") != std::string::npos);
    CHECK(r.reason.find("blocked the business") != std::string::npos);
    CHECK(r.reason.find("131026") != std::string::npos);
  }
  SUBCASE("another code keeps Meta's title and details") {
    json body = json::parse(Fixture("whatsapp_status_failed_131047.json"));
    json& error = body["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"][0];
    error = {{"code", "131049"},
             {"title", "This message was not delivered to maintain healthy ecosystem engagement."},
             {"error_data", {{"details", "Marketing message limit reached."}}}};
    auto parsed = c->Parse(SignedPost(body.dump()));
    REQUIRE(parsed.ok());
    REQUIRE(parsed->delivery_reports.size() == 1);
    CHECK(parsed->delivery_reports[0].reason ==
          "WhatsApp could not deliver it: This message was not delivered to maintain healthy "
          "ecosystem engagement: Marketing message limit reached (WhatsApp error 131049).");
  }
  SUBCASE("a failed status without an id is skipped, the batch kept") {
    json body = json::parse(Fixture("whatsapp_status_failed_131047.json"));
    json& statuses = body["entry"][0]["changes"][0]["value"]["statuses"];
    statuses.push_back(statuses[0]);
    statuses[0].erase("id");
    auto parsed = c->Parse(SignedPost(body.dump()));
    REQUIRE(parsed.ok());
    CHECK(parsed->delivery_reports.size() == 1);
  }
}

TEST_CASE("meta: a WhatsApp username user is known by their BSUID and answered with recipient") {
  auto c = Make();
  auto mentions = ParseOk(*c, Fixture("whatsapp_bsuid_messages.json"));
  REQUIRE(mentions.size() == 2);
  const Mention& lena = mentions[0];
  CHECK(lena.event_id ==
        "wa:wamid.HBgUVVMuMTM0OTEyMDg2NTUzMDI3NDE5MTgVAgASGBRCU1VJRE1FU1NBR0UxAA==");
  CHECK(lena.author.id == "US.13491208655302741918");
  CHECK(lena.author.handle == "lena.v");
  CHECK(lena.author.name == "Lena Vogel");
  CHECK(lena.permalink.empty());
  CHECK(lena.conversation_key == "wa:106540352242922:US.13491208655302741918");
  CHECK(Target(lena) == json{{"type", "whatsapp"},
                             {"phone_number_id", "106540352242922"},
                             {"user_id", "US.13491208655302741918"},
                             {"message_id", lena.message_id}});
  // With both, the phone number keeps the conversation it always had.
  const Mention& fatima = mentions[1];
  CHECK(fatima.author.handle == "+447700900123");
  CHECK(fatima.conversation_key == "wa:106540352242922:447700900123");
  CHECK(Target(fatima)["to"] == "447700900123");
  CHECK(Target(fatima)["user_id"] == "GB.20571938465018273645");

  FakeHttpClient http;
  http.PushStatus(200,
                  R"({"messaging_product":"whatsapp","contacts":[{"input":"US.13491208655302741918",
      "user_id":"US.13491208655302741918"}],"messages":[{"id":"wamid.TOLENA"}]})");
  DeliveryOutcome o = c->SendReply(Reply(Target(lena), "A new one ships today"), http);
  CHECK(o.kind == OutcomeKind::kDone);
  CHECK(o.remote_id == "wamid.TOLENA");
  CHECK(o.url.empty());
  json body = json::parse(http.requests()[0].body);
  CHECK(body["recipient"] == "US.13491208655302741918");
  CHECK_FALSE(body.contains("to"));
  CHECK(body["text"]["body"] == "A new one ships today");

  http.PushStatus(200, R"({"messages":[{"id":"wamid.TOFATIMA"}]})");
  CHECK(c->SendReply(Reply(Target(fatima)), http).kind == OutcomeKind::kDone);
  json both = json::parse(http.requests()[1].body);
  CHECK(both["to"] == "447700900123");
  CHECK_FALSE(both.contains("recipient"));

  SUBCASE("a sender that is neither a phone number nor a BSUID is skipped") {
    json bad = json::parse(Fixture("whatsapp_bsuid_messages.json"));
    bad["entry"][0]["changes"][0]["value"]["messages"][0]["from_user_id"] = "../../me";
    CHECK(ParseOk(*c, bad.dump()).size() == 1);
    json target = Target(lena);
    target["user_id"] = "not a bsuid";
    CHECK(c->SendReply(Reply(target), http).kind == OutcomeKind::kPermanent);
    CHECK(http.requests().size() == 2);
  }
}

TEST_CASE("meta: IsBsuid takes Meta's shape only") {
  CHECK(meta::IsBsuid("US.13491208655302741918"));
  CHECK(meta::IsBsuid("US.ENT.11815799212886844830"));
  CHECK(meta::IsBsuid("BR.aB3"));
  CHECK_FALSE(meta::IsBsuid("447700900123"));
  CHECK_FALSE(meta::IsBsuid("us.1349"));
  CHECK_FALSE(meta::IsBsuid("US."));
  CHECK_FALSE(meta::IsBsuid("US.ENT."));
  CHECK_FALSE(meta::IsBsuid("US.12/34"));
  CHECK_FALSE(meta::IsBsuid("US." + std::string(200, '1')));
}

TEST_CASE("meta: Instagram direct messages become dms and are answered through the Send API") {
  auto c = Make();
  auto mentions = ParseOk(*c, Fixture("instagram_dm.json"));
  // Kept: the text and the image. Skipped: our echo, a read, a deletion.
  REQUIRE(mentions.size() == 2);
  const Mention& m = mentions[0];
  CHECK(m.event_id ==
        "ig:dm:aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOjM0MDI4MjM2Njg0MQZDZD");
  CHECK(m.kind == MentionKind::kDm);
  CHECK(m.text == "Hi! Do you ship to Portugal?");
  CHECK(m.author.id == "1254459154682919");
  CHECK(m.conversation_key == std::string("ig:dm:") + kIgUser + ":1254459154682919");
  CHECK(m.account == kIgUser);
  CHECK(Target(m) ==
        json{{"type", "ig_dm"}, {"ig_user_id", kIgUser}, {"igsid", "1254459154682919"}});
  CHECK(c->DisplayNameFor(m.reply_target) == "Instagram");
  CHECK(mentions[1].text == "[image]");
  CHECK(mentions[1].conversation_key == m.conversation_key);
  CHECK(mentions[1].parent_message_id ==
        "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOkVDSE8ZD");

  FakeHttpClient http;
  http.PushStatus(200, R"({"recipient_id":"1254459154682919","message_id":"aWdfREPLY"})");
  DeliveryOutcome o = c->SendReply(Reply(Target(m), "Yes, in 3 to 5 days"), http);
  CHECK(o.kind == OutcomeKind::kDone);
  CHECK(o.remote_id == "aWdfREPLY");
  const HttpRequest req = http.requests()[0];
  CHECK(req.url == std::string(kApi) + "/me/messages");
  CHECK(FindHeader(req.headers, "Authorization") == std::string("Bearer ") + kPageToken);
  CHECK(json::parse(req.body) == json{{"recipient", {{"id", "1254459154682919"}}},
                                      {"message", {{"text", "Yes, in 3 to 5 days"}}}});

  SUBCASE("Instagram's closed window is permanent and says what can be done") {
    http.PushStatus(
        400, ErrorBody(10, 2534022, "This message is sent outside of allowed window.").dump());
    DeliveryOutcome closed = c->SendReply(Reply(Target(m)), http);
    CHECK(closed.kind == OutcomeKind::kPermanent);
    CHECK(closed.error.find("24-hour") != std::string::npos);
    CHECK(closed.error.find("messenger_human_agent") != std::string::npos);
  }
}

TEST_CASE("meta: with messenger_human_agent, a reply after 24 hours carries the HUMAN_AGENT tag") {
  constexpr std::int64_t kHour = 3'600'000;
  const json messenger = {{"type", "messenger"}, {"page_id", kPage}, {"psid", "24681357902468135"}};
  const std::string text = "Sorry for the wait: your refund went out this morning.";
  auto reply_after = [&](const json& target, std::int64_t age_ms) {
    ReplyRequest r = Reply(target, text);
    r.in_reply_to_at = r.now - age_ms;
    return r;
  };
  FakeHttpClient http;
  SUBCASE("switched on") {
    json config = BaseConfig();
    config["messenger_human_agent"] = true;
    auto c = Make(nullptr, config);
    http.PushStatus(200, R"({"recipient_id":"24681357902468135","message_id":"m_1"})");
    CHECK(c->SendReply(reply_after(messenger, 30 * kHour), http).kind == OutcomeKind::kDone);
    CHECK(json::parse(http.requests().back().body) ==
          json::parse(Fixture("messenger_human_agent_send.json")));
    // Within the window it is an ordinary response.
    http.PushStatus(200, R"({"message_id":"m_2"})");
    c->SendReply(reply_after(messenger, 2 * kHour), http);
    CHECK(json::parse(http.requests().back().body)["messaging_type"] == "RESPONSE");
    CHECK_FALSE(json::parse(http.requests().back().body).contains("tag"));
    // Instagram direct messages follow the same rule.
    http.PushStatus(200, R"({"message_id":"aWdf"})");
    c->SendReply(
        reply_after({{"type", "ig_dm"}, {"ig_user_id", kIgUser}, {"igsid", "1254"}}, 30 * kHour),
        http);
    CHECK(json::parse(http.requests().back().body)["tag"] == "HUMAN_AGENT");
    // Beyond 7 days Meta refuses even the tag; the thread says so.
    http.PushStatus(
        400, ErrorBody(10, 2018278, "This message is sent outside of allowed window.").dump());
    DeliveryOutcome late = c->SendReply(reply_after(messenger, 8 * 24 * kHour), http);
    CHECK(late.kind == OutcomeKind::kPermanent);
    CHECK(late.error.find("more than 7 days ago") != std::string::npos);
  }
  SUBCASE("switched off (the default): RESPONSE, and Meta's refusal names the switch") {
    auto c = Make();
    http.PushStatus(
        400, ErrorBody(10, 2018278, "This message is sent outside of allowed window.").dump());
    DeliveryOutcome o = c->SendReply(reply_after(messenger, 30 * kHour), http);
    CHECK(json::parse(http.requests().back().body)["messaging_type"] == "RESPONSE");
    CHECK(o.kind == OutcomeKind::kPermanent);
    CHECK(o.error.find("24-hour reply window has closed") != std::string::npos);
    CHECK(o.error.find("platforms.meta.messenger_human_agent") != std::string::npos);
    CHECK(o.error.find("subcode 2018278") != std::string::npos);
  }
}

TEST_CASE("meta: each surface's length limit is checked when the command is given") {
  auto c = Make();
  struct Case {
    const char* key;
    std::size_t limit;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"fb:comment:4455667788_900100200", 8000, "Facebook comments take at most 8,000"},
      {"ig:comment:17860000000000111", 2200, "Instagram comments take at most 2,200"},
      {"ig:mention:17870000000000444", 2200, "Instagram comments take at most 2,200"},
      {"messenger:102030405060708:2468", 2000, "Messenger messages take at most 2,000"},
      {"wa:106540352242922:447700900123", 4096, "WhatsApp messages take at most 4,096"},
      {"wa:106540352242922:US.13491208655302741918", 4096, "WhatsApp messages take at most 4,096"},
  };
  for (const auto& k : cases) {
    CAPTURE(k.key);
    CHECK(c->ValidateReply(std::string(k.limit, 'x'), k.key).ok());
    Status s = c->ValidateReply(std::string(k.limit + 1, 'x'), k.key);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message().find(k.says) != std::string::npos);
    CHECK(s.message().find("this reply has " + text::FormatThousands(k.limit + 1)) !=
          std::string::npos);
  }
  // Characters are UTF-16 units: an emoji above U+FFFF counts 2, an accented letter 1.
  const std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600
  const std::string e_acute = "\xC3\xA9";
  std::string messenger_emoji;
  for (int i = 0; i < 1000; ++i) messenger_emoji += emoji;
  CHECK(c->ValidateReply(messenger_emoji, "messenger:1:2").ok());
  Status over = c->ValidateReply(messenger_emoji + "x", "messenger:1:2");
  CHECK(over.message().find("this reply has 2,001") != std::string::npos);
  std::string accents;
  for (int i = 0; i < 2000; ++i) accents += e_acute;
  CHECK(c->ValidateReply(accents, "messenger:1:2").ok());
  // Instagram direct messages: 1,000 bytes of UTF-8.
  CHECK(c->ValidateReply(std::string(1000, 'x'), "ig:dm:1:2").ok());
  Status dm = c->ValidateReply(std::string(500, 'x') + accents.substr(0, 502), "ig:dm:1:2");
  CHECK(dm.code() == StatusCode::kInvalidArgument);
  CHECK(dm.message().find("1,000 bytes") != std::string::npos);
  CHECK(dm.message().find("this reply has 1,002 bytes") != std::string::npos);
  // The same check guards the send, for replies queued before a limit applied.
  FakeHttpClient http;
  DeliveryOutcome o =
      c->SendReply(Reply(json{{"type", "messenger"}, {"page_id", kPage}, {"psid", "2468"}},
                         messenger_emoji + "x"),
                   http);
  CHECK(o.kind == OutcomeKind::kPermanent);
  CHECK(http.requests().empty());
}

TEST_CASE("meta: a WhatsApp-only setup needs no page_token, other surfaces then say why not") {
  json config = BaseConfig();
  config.erase("page_token");
  auto c = Make(nullptr, config);
  CHECK(c->ValidateReply("hello", "wa:106540352242922:447700900123").ok());
  for (const char* key :
       {"fb:comment:1_2", "ig:comment:3", "ig:mention:4", "ig:dm:1:2", "messenger:1:2"}) {
    CAPTURE(key);
    Status s = c->ValidateReply("hello", key);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message().find("no page_token configured") != std::string::npos);
  }
  FakeHttpClient http;
  DeliveryOutcome refused = c->SendReply(Reply(kCommentTarget), http);
  CHECK(refused.kind == OutcomeKind::kPermanent);
  CHECK(refused.error.find("no page_token configured, so duplex cannot reply on Facebook") !=
        std::string::npos);
  CHECK(http.requests().empty());
  http.PushStatus(200, R"({"messages":[{"id":"wamid.X"}]})");
  CHECK(c->SendReply(Reply(kWhatsAppTarget), http).kind == OutcomeKind::kDone);
  CHECK(FindHeader(http.requests()[0].headers, "Authorization") ==
        std::string("Bearer ") + kWaToken);
  // A Page event still arrives and is stored: its reply is what cannot be sent.
  CHECK(ParseOk(*c, Fixture("messenger.json")).size() == 2);
  auto fetched = Make(&http, config);
  auto mention = ParseOk(*fetched, Fixture("instagram_mention.json"));
  REQUIRE(mention.size() == 1);
  CHECK(mention[0].text.find("no page_token configured") != std::string::npos);
  CHECK(http.requests().size() == 1);

  std::vector<std::string> errors;
  json neither = BaseConfig();
  neither.erase("page_token");
  neither.erase("whatsapp_token");
  MakeMetaConnector(neither, "platforms.meta", errors, nullptr);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "platforms.meta.page_token: required (or whatsapp_token, for WhatsApp alone)");
}

TEST_CASE("meta: the Graph API version defaults to v27.0 and api_base stays overridable") {
  json config = BaseConfig();
  config.erase("api_base");
  std::vector<std::string> errors;
  auto c = MakeMetaConnector(config, "platforms.meta", errors, nullptr);
  REQUIRE(errors.empty());
  auto* meta = dynamic_cast<MetaConnector*>(c.get());
  REQUIRE(meta != nullptr);
  CHECK(meta->config().api_base == "https://graph.facebook.com/v27.0");
  CHECK_FALSE(meta->config().messenger_human_agent);
  auto custom = Make();
  CHECK(dynamic_cast<MetaConnector*>(custom.get())->config().api_base == kApi);
}

namespace {

// One change or messaging event wrapped as a webhook of `object` for `entry_id`.
std::string Wrap(const std::string& object, const std::string& entry_id, const char* list,
                 const json& item) {
  return json{{"object", object}, {"entry", {{{"id", entry_id}, {"time", 1}, {list, {item}}}}}}
      .dump();
}

json IgComment(const std::string& id, const std::string& from_id, const std::string& username) {
  return {{"field", "comments"},
          {"value",
           {{"from", {{"id", from_id}, {"username", username}}},
            {"media", {{"id", "17900000000000777"}, {"media_product_type", "FEED"}}},
            {"id", id},
            {"parent_id", "17860000000000111"},
            {"text", "Yes, from next week!"}}}};
}

}  // namespace

TEST_CASE("meta: a reply's remote id is the message id its echo parses to, on every surface") {
  FakeHttpClient http;
  auto c = Make();
  SUBCASE("a Facebook comment: its echo is also ours by from.id, the Page") {
    http.PushStatus(200, R"({"id":"4455667788_900100777"})");
    DeliveryOutcome o = c->SendReply(Reply(kCommentTarget), http);
    json echo = json::parse(Fixture("page_feed_batch.json"))["entry"][0]["changes"][1];
    echo["value"]["comment_id"] = "4455667788_900100777";
    echo["value"]["parent_id"] = "4455667788_900100200";
    echo["value"]["from"] = {{"id", kPage}, {"name", "Acme"}};
    CHECK(ParseOk(*c, Wrap("page", kPage, "changes", echo)).empty());
    echo["value"]["from"] = {{"id", "7009998887"}, {"name", "Bruno Lima"}};
    auto parsed = ParseOk(*c, Wrap("page", kPage, "changes", echo));
    REQUIRE(parsed.size() == 1);
    CHECK(o.remote_id == "4455667788_900100777");
    CHECK(parsed[0].message_id == o.remote_id);
  }
  SUBCASE("an Instagram comment: its echo's from.id is an IGSID, only its id tells") {
    http.PushStatus(200, R"({"id":"17860000000000999"})");
    DeliveryOutcome o = c->SendReply(
        Reply({{"type", "ig_comment"}, {"comment_id", "17860000000000111"}, {"media_id", "1"}}),
        http);
    auto parsed = ParseOk(*c, Wrap("instagram", kIgUser, "changes",
                                   IgComment("17860000000000999", "17841499999999999", "acme")));
    REQUIRE(parsed.size() == 1);
    CHECK(o.remote_id == "17860000000000999");
    CHECK(parsed[0].message_id == o.remote_id);
  }
  SUBCASE("Messenger and Instagram direct: the mid, which Meta echoes only as is_echo") {
    for (const char* fixture : {"messenger.json", "instagram_dm.json"}) {
      CAPTURE(fixture);
      json body = json::parse(Fixture(fixture));
      json& events = body["entry"][0]["messaging"];
      const std::string object = body["object"];
      const json target =
          object == "page"
              ? json{{"type", "messenger"}, {"page_id", kPage}, {"psid", "24681357902468135"}}
              : json{{"type", "ig_dm"}, {"ig_user_id", kIgUser}, {"igsid", "1254459154682919"}};
      const std::string mid = events[1]["message"]["mid"];
      http.PushStatus(200, json{{"recipient_id", "1"}, {"message_id", mid}}.dump());
      DeliveryOutcome o = c->SendReply(Reply(target), http);
      CHECK(o.remote_id == mid);
      json echo = events[1];
      CHECK(ParseOk(*c, Wrap(object, body["entry"][0]["id"], "messaging", echo)).empty());
      // Were it delivered as a message, it would carry the same id.
      echo["message"].erase("is_echo");
      std::swap(echo["sender"], echo["recipient"]);
      auto parsed = ParseOk(*c, Wrap(object, body["entry"][0]["id"], "messaging", echo));
      REQUIRE(parsed.size() == 1);
      CHECK(parsed[0].message_id == o.remote_id);
    }
  }
  SUBCASE("WhatsApp: the wamid, which comes back only in statuses") {
    const json status = json::parse(Fixture("whatsapp_status_failed_131047.json"));
    const std::string wamid = status["entry"][0]["changes"][0]["value"]["statuses"][0]["id"];
    http.PushStatus(200,
                    json{{"messaging_product", "whatsapp"},
                         {"contacts", {{{"input", "447700900123"}, {"wa_id", "447700900123"}}}},
                         {"messages", {{{"id", wamid}}}}}
                        .dump());
    DeliveryOutcome o = c->SendReply(Reply(kWhatsAppTarget), http);
    auto parsed = c->Parse(SignedPost(status.dump()));
    REQUIRE(parsed.ok());
    CHECK(parsed->mentions.empty());
    REQUIRE(parsed->delivery_reports.size() == 1);
    CHECK(o.remote_id == wamid);
    CHECK(parsed->delivery_reports[0].remote_id == o.remote_id);
  }
}

TEST_CASE(
    "meta: an Instagram comment by our own account is skipped — from.id the account id, or "
    "from.username ours, learned once") {
  FakeHttpClient http;
  auto c = Make(&http);
  const std::string lookup = std::string(kApi) + "/" + kIgUser + "?fields=id,username";
  const std::string ours = Wrap("instagram", kIgUser, "changes",
                                IgComment("17860000000000444", "17841499999999999", "Acme"));
  const std::string theirs = Wrap("instagram", kIgUser, "changes",
                                  IgComment("17860000000000555", "17841455555555555", "dana"));
  auto at = [&](const std::string& body, UnixMs now) {
    InboundRequest r = SignedPost(body);
    r.now = now;
    auto parsed = c->Parse(r);
    REQUIRE(parsed.ok());
    return parsed->mentions.size();
  };
  SUBCASE("learned with the page token and remembered") {
    http.PushStatus(200, json{{"id", kIgUser}, {"username", "acme"}}.dump());
    CHECK(at(ours, 1000) == 0);
    CHECK(at(theirs, 1000) == 1);
    CHECK(at(ours, 2000) == 0);
    REQUIRE(http.requests().size() == 1);
    CHECK(http.requests()[0].method == "GET");
    CHECK(http.requests()[0].url == lookup);
    CHECK(FindHeader(http.requests()[0].headers, "Authorization") ==
          std::string("Bearer ") + kPageToken);
    CHECK(http.requests()[0].timeout_ms <= 2000);
  }
  SUBCASE("from.id the account id needs no lookup") {
    CHECK(at(Wrap("instagram", kIgUser, "changes", IgComment("17860000000000666", kIgUser, "acme")),
             1000) == 0);
    CHECK(http.requests().empty());
  }
  SUBCASE("a lookup that fails keeps comments flowing and is made again a minute later") {
    http.PushStatus(503, "{}");
    http.PushStatus(200, json{{"id", kIgUser}, {"username", "acme"}}.dump());
    CHECK(at(ours, 1000) == 1);
    CHECK(at(ours, 30'000) == 1);
    CHECK(http.requests().size() == 1);
    CHECK(at(ours, 61'000) == 0);
    CHECK(http.requests().size() == 2);
  }
  SUBCASE("a refusal (a permission missing) is not asked again") {
    http.PushStatus(400, ErrorBody(10, 0, "Application does not have permission").dump());
    CHECK(at(ours, 1000) == 1);
    CHECK(at(ours, 3'600'000) == 1);
    CHECK(http.requests().size() == 1);
  }
}

}  // namespace duplex::test
