// Meta end to end: signed webhook → Slack thread naming the surface, author and link →
// signed /duplex reply → exactly one Graph API call on the right path with the right token
// and reply target → confirmation with link in the thread. The Graph API is a fake server.
// Instagram: our reply's echo and a comment our account writes outside duplex are ignored.
#include <doctest/doctest.h>

#include "core/text.h"
#include "security/signatures.h"
#include "support/e2e_env.h"

namespace duplex::test {
namespace {

using nlohmann::json;

constexpr const char* kAppSecret = "3f1e0b2c9d8a7f6e5d4c3b2a19081726";
constexpr const char* kVerifyToken = "duplex-verify-7c1d";
constexpr const char* kPageToken = "EAAGpage-token";
constexpr const char* kWaToken = "EAAGwhatsapp-system-user";

json MetaPatch(const FakeHttpServer& graph) {
  return {{"platforms",
           {{"meta",
             {{"app_secret", kAppSecret},
              {"verify_token", kVerifyToken},
              {"page_token", kPageToken},
              {"whatsapp_token", kWaToken},
              {"api_base", graph.url() + "/v27.0"},
              {"page_id", "102030405060708"},
              {"ig_user_id", "17841400000000001"}}}}}};
}

HttpResult PostMeta(E2eEnv& env, const std::string& body, const std::string& secret = kAppSecret) {
  HttpRequest req;
  req.url = env.base_url() + "/webhooks/meta";
  req.body = body;
  req.headers = {{"X-Hub-Signature-256", security::SignHubSignature256(secret, body)}};
  return env.Send(req);
}

std::string Fixture(const std::string& name) {
  return ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/meta/" + name);
}

// One new comment by Ana on the Page's post.
std::string AnaComment() {
  json body = json::parse(Fixture("page_feed_batch.json"));
  body["entry"].erase(1);
  body["entry"][0]["changes"].erase(1);
  return body.dump();
}

std::string ErrorBody(std::int64_t code, std::int64_t subcode, const std::string& message) {
  return json{{"error",
               {{"message", message},
                {"type", "OAuthException"},
                {"code", code},
                {"error_subcode", subcode},
                {"fbtrace_id", "AbC"}}}}
      .dump();
}

constexpr const char* kCommentPath = "/v27.0/4455667788_900100200/comments";
constexpr const char* kWhatsAppPath = "/v27.0/106540352242922/messages";

// The first post whose text contains `needle` (null if none yet).
json PostWith(E2eEnv& env, const std::string& needle) {
  for (const auto& p : env.slack.Posts()) {
    if (p.value("text", "").find(needle) != std::string::npos) return p;
  }
  return nullptr;
}

json WaitForPostWith(E2eEnv& env, const std::string& needle) {
  json found;
  WaitUntil([&] { return !(found = PostWith(env, needle)).is_null(); });
  return found;
}

// "#12 · …" → "12"
std::string RefOf(const json& card) {
  const std::string text = card["text"];
  return text.substr(1, text.find(' ') - 1);
}

std::string CommandAnswer(const HttpResult& r) {
  REQUIRE(r.ok());
  REQUIRE(r.response.status == 200);
  return json::parse(r.response.body)["text"];
}

}  // namespace

TEST_CASE("meta e2e: the verify handshake, and unsigned posts are refused") {
  FakeHttpServer graph;
  E2eEnv env(MetaPatch(graph));
  auto ok = env.Get(std::string("/webhooks/meta?hub.mode=subscribe&hub.verify_token=") +
                    kVerifyToken + "&hub.challenge=1158201444");
  CHECK(ok.response.status == 200);
  CHECK(ok.response.body == "1158201444");
  CHECK(env.Get("/webhooks/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
            .response.status == 403);
  CHECK(env.Get("/webhooks/meta").response.status == 400);
  CHECK(PostMeta(env, AnaComment(), "wrong-secret").response.status == 401);
  REQUIRE(env.WaitDrained());
  CHECK(env.slack.Posts().empty());
}

TEST_CASE("meta e2e: hub.challenge is echoed as text/plain only in Meta's shape, never as markup") {
  FakeHttpServer graph;
  E2eEnv env(MetaPatch(graph));
  const std::string verify = std::string("/webhooks/meta?hub.mode=subscribe&hub.verify_token=");
  auto ok = env.Get(verify + kVerifyToken + "&hub.challenge=1158201444");
  CHECK(ok.response.status == 200);
  CHECK(ok.response.Header("Content-Type").find("text/plain") == 0);
  const std::string page = "<html><script>fetch('/x?'+document.cookie)</script></html>";
  for (const std::string& challenge : {page, std::string("{\"a\":1}"), std::string(129, '1')}) {
    INFO("challenge: ", challenge);
    auto refused = env.Get(verify + kVerifyToken + "&hub.challenge=" + text::UrlEncode(challenge));
    CHECK(refused.response.status == 400);
    CHECK(refused.response.body.find(challenge) == std::string::npos);
    CHECK(refused.response.Header("Content-Type").find("application/json") == 0);
    auto forbidden = env.Get(verify + "nope&hub.challenge=" + text::UrlEncode(challenge));
    CHECK(forbidden.response.status == 403);
    CHECK(forbidden.response.body.find(challenge) == std::string::npos);
  }
}

TEST_CASE("meta e2e: a Page comment round trip") {
  FakeHttpServer graph;
  graph.On(kCommentPath, [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"id":"4455667788_900100555"})"};
  });
  E2eEnv env(MetaPatch(graph));
  auto r = PostMeta(env, AnaComment());
  REQUIRE(r.response.status == 200);
  CHECK(json::parse(r.response.body)["accepted"] == 1);
  REQUIRE(env.slack.WaitForPosts(1));
  json card = env.slack.Posts()[0];
  std::string text = card["text"];
  CHECK(text.find("#1 · Facebook comment") != std::string::npos);
  CHECK(text.find("Ana Souza") != std::string::npos);
  CHECK(card["blocks"].dump().find(
            "https://www.facebook.com/acme/posts/pfbid02abcDEF?comment_id=900100200") !=
        std::string::npos);

  auto cmd = env.SlackCommand("reply 1 Hi Ana, checking your order now");
  REQUIRE(cmd.response.status == 200);
  REQUIRE(graph.WaitForCount(kCommentPath, 1));
  auto got = graph.Requests(kCommentPath)[0];
  CHECK(got.method == "POST");
  CHECK(got.Header("Authorization") == std::string("Bearer ") + kPageToken);
  CHECK(json::parse(got.body) == json{{"message", "Hi Ana, checking your order now"}});

  REQUIRE(env.slack.WaitForPosts(2));
  json confirmation = env.slack.Posts()[1];
  CHECK(confirmation["thread_ts"] == card["_ts"]);
  std::string said = confirmation["text"];
  CHECK(said.find("posted on Facebook") != std::string::npos);
  CHECK(said.find("comment_id=900100200&reply_comment_id=900100555") != std::string::npos);
  REQUIRE(env.WaitDrained());
  CHECK(graph.Count(kCommentPath) == 1);
}

TEST_CASE(
    "meta e2e: a WhatsApp message round trip uses the WhatsApp token and quotes the message") {
  FakeHttpServer graph;
  const std::string path = "/v27.0/106540352242922/messages";
  graph.On(path, [](const RecordedRequest&) {
    return FakeAnswer{
        200,
        R"({"messaging_product":"whatsapp","contacts":[{"input":"447700900123","wa_id":"447700900123"}],"messages":[{"id":"wamid.REPLY1"}]})"};
  });
  E2eEnv env(MetaPatch(graph));
  REQUIRE(PostMeta(env, Fixture("whatsapp_messages.json")).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  json fatima;
  for (const auto& p : env.slack.Posts()) {
    if (p["text"].get<std::string>().find("Fatima Rahman") != std::string::npos) fatima = p;
  }
  REQUIRE(fatima.is_object());
  std::string text = fatima["text"];
  CHECK(text.find("WhatsApp dm") != std::string::npos);
  CHECK(text.find("+447700900123") != std::string::npos);
  CHECK(fatima["blocks"].dump().find("https://wa.me/447700900123") != std::string::npos);
  const std::string ref = text.substr(1, text.find(' ') - 1);

  REQUIRE(env.SlackCommand("reply " + ref + " We have corrected the address").response.status ==
          200);
  REQUIRE(graph.WaitForCount(path, 1));
  auto got = graph.Requests(path)[0];
  CHECK(got.Header("Authorization") == std::string("Bearer ") + kWaToken);
  json body = json::parse(got.body);
  CHECK(body["to"] == "447700900123");
  CHECK(body["context"]["message_id"] == "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQUJDMTIz");
  CHECK(body["text"]["body"] == "We have corrected the address");
  REQUIRE(env.slack.WaitForPosts(3));
  std::string said = env.slack.Posts()[2]["text"];
  CHECK(said.find("posted on WhatsApp") != std::string::npos);
  CHECK(said.find("https://wa.me/447700900123") != std::string::npos);
  REQUIRE(env.WaitDrained());
  CHECK(graph.Count(path) == 1);
}

TEST_CASE(
    "meta e2e: an Instagram mention is fetched, posted and answered through the mentions edge") {
  FakeHttpServer graph;
  const std::string user_path = "/v27.0/17841400000000001";
  const std::string reply_path = user_path + "/mentions";
  graph.On(user_path, [](const RecordedRequest&) {
    return FakeAnswer{
        200,
        R"({"mentioned_comment":{"text":"@acme your app logs me out every hour","username":"hugo.r",
        "timestamp":"2024-05-29T16:40:00+0000","id":"17870000000000444",
        "media":{"id":"17920000000000999","permalink":"https://www.instagram.com/p/C7abcDEF/"}},"id":"17841400000000001"})"};
  });
  graph.On(reply_path, [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"id":"17846319838228163"})"};
  });
  E2eEnv env(MetaPatch(graph));
  SUBCASE("the fetch failing first: 503, then Meta's redelivery is stored") {
    graph.Script(user_path, FakeAnswer{500, R"({"error":{"message":"unexpected","code":2}})"});
    auto first = PostMeta(env, Fixture("instagram_mention.json"));
    CHECK(first.response.status == 503);
  }
  REQUIRE(PostMeta(env, Fixture("instagram_mention.json")).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  json card = env.slack.Posts()[0];
  std::string text = card["text"];
  CHECK(text.find("#1 · Instagram mention") != std::string::npos);
  CHECK(text.find("hugo.r") != std::string::npos);
  CHECK(text.find("logs me out every hour") != std::string::npos);
  CHECK(card["blocks"].dump().find("https://www.instagram.com/p/C7abcDEF/") != std::string::npos);
  auto fetch = graph.Requests(user_path).back();
  CHECK(fetch.method == "GET");
  CHECK(fetch.Header("Authorization") == std::string("Bearer ") + kPageToken);

  REQUIRE(env.SlackCommand("reply 1 Sorry Hugo, a fix ships tomorrow").response.status == 200);
  REQUIRE(graph.WaitForCount(reply_path, 1));
  json body = json::parse(graph.Requests(reply_path)[0].body);
  CHECK(body == json{{"comment_id", "17870000000000444"},
                     {"media_id", "17920000000000999"},
                     {"message", "Sorry Hugo, a fix ships tomorrow"}});
  REQUIRE(env.slack.WaitForPosts(2));
  std::string said = env.slack.Posts()[1]["text"];
  CHECK(said.find("posted on Instagram") != std::string::npos);
  CHECK(said.find("https://www.instagram.com/p/C7abcDEF/") != std::string::npos);
  REQUIRE(env.WaitDrained());
  CHECK(graph.Count(reply_path) == 1);
}

TEST_CASE("meta e2e: a rate-limited reply is retried after Meta's hint and posted once") {
  FakeHttpServer graph;
  graph.On(kCommentPath, [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"id":"4455667788_900100555"})"};
  });
  graph.Script(kCommentPath, FakeAnswer{400,
                                        ErrorBody(32, 0, "Page request limit reached"),
                                        "application/json",
                                        {{"Retry-After", "1"}}});
  E2eEnv env(MetaPatch(graph));
  REQUIRE(PostMeta(env, AnaComment()).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  auto start = std::chrono::steady_clock::now();
  REQUIRE(env.SlackCommand("reply 1 Checking now").response.status == 200);
  REQUIRE(graph.WaitForCount(kCommentPath, 2, 8000));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
  REQUIRE(env.slack.WaitForPosts(2));
  REQUIRE(env.WaitDrained());
  auto posts = env.slack.Posts();
  REQUIRE(posts.size() == 2);
  CHECK(posts[1]["text"].get<std::string>().find("posted on Facebook") != std::string::npos);
  CHECK(graph.Count(kCommentPath) == 2);
}

TEST_CASE("meta e2e: a deleted comment ends in a clear message in the thread, not a retry loop") {
  FakeHttpServer graph;
  graph.On(kCommentPath, [](const RecordedRequest&) {
    return FakeAnswer{
        400, ErrorBody(
                 100, 33,
                 "Unsupported post request. Object with ID '4455667788_900100200' does not exist")};
  });
  E2eEnv env(MetaPatch(graph));
  REQUIRE(PostMeta(env, AnaComment()).response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.SlackCommand("reply 1 Checking now").response.status == 200);
  REQUIRE(env.slack.WaitForPosts(2));
  json notice = env.slack.Posts()[1];
  CHECK(notice["thread_ts"] == env.slack.Posts()[0]["_ts"]);
  std::string said = notice["text"];
  CHECK(said.find("was NOT posted") != std::string::npos);
  CHECK(said.find("does not exist") != std::string::npos);
  REQUIRE(env.WaitDrained());
  CHECK(graph.Count(kCommentPath) == 1);
  CHECK(env.slack.Posts().size() == 2);
}

TEST_CASE(
    "meta e2e: a WhatsApp reply accepted with a wamid, then reported failed, turns failed in the "
    "thread and in show") {
  FakeHttpServer graph;
  const std::string wamid = "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSRkFJTEVEUkVQTFkxAA==";
  graph.On(kWhatsAppPath, [&](const RecordedRequest&) {
    return FakeAnswer{200,
                      json{{"messaging_product", "whatsapp"},
                           {"contacts", {{{"input", "447700900123"}, {"wa_id", "447700900123"}}}},
                           {"messages", {{{"id", wamid}}}}}
                          .dump()};
  });
  E2eEnv env(MetaPatch(graph));
  REQUIRE(PostMeta(env, Fixture("whatsapp_messages.json")).response.status == 200);
  const json root = WaitForPostWith(env, "Fatima Rahman");
  REQUIRE(root.is_object());
  const std::string ref = RefOf(root);
  REQUIRE(env.SlackCommand("reply " + ref + " We have corrected the address").response.status ==
          200);
  // "posted" is written after the wamid is stored with the reply.
  REQUIRE(WaitForPostWith(env, "posted on WhatsApp").is_object());

  const std::string status = Fixture("whatsapp_status_failed_131047.json");
  auto r = PostMeta(env, status);
  REQUIRE(r.response.status == 200);
  const json notice = WaitForPostWith(env, "did NOT reach the customer");
  REQUIRE(notice.is_object());
  CHECK(notice["thread_ts"] == root["_ts"]);
  const std::string said = notice["text"];
  CHECK(said.find("the 24-hour window has closed: the customer must write first, or a template "
                  "message is needed") != std::string::npos);
  CHECK(said.find("We have corrected the address") != std::string::npos);

  const std::string show = CommandAnswer(env.SlackCommand("show " + ref));
  CHECK(show.find("reply by <@U0STAFF> · failed") != std::string::npos);
  CHECK(show.find("· sent") == std::string::npos);
  auto conversation = env.app().store().GetConversation(std::stoll(ref));
  REQUIRE(conversation.ok());
  CHECK((*conversation)->state == ConversationState::kOpen);  // the customer still awaits us

  // Meta sends the same status again: acknowledged, and the thread is not told twice (the
  // answer comes after the commit, so the outbox already holds everything it will).
  REQUIRE(PostMeta(env, status).response.status == 200);
  auto deliveries = env.app().store().ListDeliveries(
      {DeliveryState::kPending, DeliveryState::kSending, DeliveryState::kDone}, 100);
  REQUIRE(deliveries.ok());
  int notices = 0;
  for (const auto& d : *deliveries) {
    if (d.payload.find("did NOT reach the customer") != std::string::npos) ++notices;
  }
  CHECK(notices == 1);
  // The unsigned copy of a status is refused like any other webhook.
  CHECK(PostMeta(env, status, "another-app-secret").response.status == 401);
}

TEST_CASE("meta e2e: a WhatsApp customer known only by their BSUID is answered with recipient") {
  FakeHttpServer graph;
  graph.On(kWhatsAppPath, [](const RecordedRequest&) {
    return FakeAnswer{
        200, R"({"messaging_product":"whatsapp","contacts":[{"input":"US.13491208655302741918",
        "user_id":"US.13491208655302741918"}],"messages":[{"id":"wamid.TOLENA"}]})"};
  });
  E2eEnv env(MetaPatch(graph));
  REQUIRE(PostMeta(env, Fixture("whatsapp_bsuid_messages.json")).response.status == 200);
  const json lena = WaitForPostWith(env, "Lena Vogel");
  REQUIRE(lena.is_object());
  CHECK(lena["text"].get<std::string>().find("WhatsApp dm") != std::string::npos);
  CHECK(lena["text"].get<std::string>().find("lena.v") != std::string::npos);

  REQUIRE(env.SlackCommand("reply " + RefOf(lena) + " A new one ships today").response.status ==
          200);
  REQUIRE(graph.WaitForCount(kWhatsAppPath, 1));
  const auto got = graph.Requests(kWhatsAppPath)[0];
  CHECK(got.Header("Authorization") == std::string("Bearer ") + kWaToken);
  json body = json::parse(got.body);
  CHECK(body["recipient"] == "US.13491208655302741918");
  CHECK_FALSE(body.contains("to"));
  CHECK(WaitForPostWith(env, "posted on WhatsApp").is_object());
}

TEST_CASE("meta e2e: an Instagram direct message round trip goes through /me/messages") {
  FakeHttpServer graph;
  const std::string path = "/v27.0/me/messages";
  graph.On(path, [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"recipient_id":"1254459154682919","message_id":"aWdfREPLY"})"};
  });
  E2eEnv env(MetaPatch(graph));
  REQUIRE(PostMeta(env, Fixture("instagram_dm.json")).response.status == 200);
  const json card = WaitForPostWith(env, "Do you ship to Portugal?");
  REQUIRE(card.is_object());
  CHECK(card["text"].get<std::string>().find("Instagram dm") != std::string::npos);
  REQUIRE(env.SlackCommand("reply " + RefOf(card) + " Yes, in 3 to 5 days").response.status == 200);
  REQUIRE(graph.WaitForCount(path, 1));
  const auto got = graph.Requests(path)[0];
  CHECK(got.Header("Authorization") == std::string("Bearer ") + kPageToken);
  CHECK(json::parse(got.body) == json{{"recipient", {{"id", "1254459154682919"}}},
                                      {"message", {{"text", "Yes, in 3 to 5 days"}}}});
  CHECK(WaitForPostWith(env, "posted on Instagram").is_object());
}

TEST_CASE("meta e2e: an over-long Messenger reply is refused at the command, nothing queued") {
  FakeHttpServer graph;
  E2eEnv env(MetaPatch(graph));
  REQUIRE(PostMeta(env, Fixture("messenger.json")).response.status == 200);
  const json card = WaitForPostWith(env, "Is the store open on Sunday?");
  REQUIRE(card.is_object());
  const std::string ref = RefOf(card);
  const std::string answer =
      CommandAnswer(env.SlackCommand("reply " + ref + " " + std::string(2001, 'x')));
  CHECK(answer.find("Not queued: Messenger messages take at most 2,000 characters") !=
        std::string::npos);
  CHECK(answer.find("this reply has 2,001") != std::string::npos);
  auto messages = env.app().store().ListMessages(std::stoll(ref));
  REQUIRE(messages.ok());
  for (const auto& m : *messages) CHECK(m.direction != MessageDirection::kOut);
  CHECK(graph.Count() == 0);
  // 2,000 is fine.
  const std::string ok =
      CommandAnswer(env.SlackCommand("reply " + ref + " " + std::string(2000, 'x')));
  CHECK(ok.find("Queued reply") != std::string::npos);
}

namespace {

constexpr const char* kIgUser = "17841400000000001";
constexpr const char* kIgRepliesPath = "/v27.0/17860000000000111/replies";
constexpr const char* kIgLookupPath = "/v27.0/17841400000000001";  // ?fields=id,username

// Instagram's comments webhook for one comment on our media in the thread of 17860000000000111
// (itself when `id` is that), from the Instagram-scoped id `from_id` with `username`.
std::string IgComment(const std::string& id, const std::string& from_id,
                      const std::string& username, const std::string& text) {
  json value = {{"from", {{"id", from_id}, {"username", username}}},
                {"media", {{"id", "17900000000000777"}, {"media_product_type", "FEED"}}},
                {"id", id},
                {"text", text}};
  if (id != "17860000000000111") value["parent_id"] = "17860000000000111";
  return json{{"object", "instagram"},
              {"entry",
               {{{"id", kIgUser},
                 {"time", 1717000300},
                 {"changes", {{{"field", "comments"}, {"value", value}}}}}}}}
      .dump();
}

// Dana's comment answered on Instagram: the fake gives the reply the id 17860000000000999.
Conversation AnsweredOnInstagram(E2eEnv& env, FakeHttpServer& graph) {
  REQUIRE(PostMeta(env, IgComment("17860000000000111", "17841455555555555", "dana.designs",
                                  "Love this! Is it available in blue?"))
              .response.status == 200);
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(env.SlackCommand("reply 1 Yes, from next week!").response.status == 200);
  REQUIRE(graph.WaitForCount(kIgRepliesPath, 1));
  REQUIRE(WaitForPostWith(env, "posted on Instagram").is_object());
  Store& store = env.app().store();
  REQUIRE(WaitUntil([&] { return store.GetOutboxStats()->pending == 0; }));
  const Conversation answered = **store.GetConversation(1);
  REQUIRE(answered.state == ConversationState::kReplied);
  return answered;
}

void CheckStillAnswered(E2eEnv& env, const Conversation& before, std::size_t posts) {
  Store& store = env.app().store();
  REQUIRE(WaitUntil([&] { return store.GetOutboxStats()->pending == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a wrong post would show
  const Conversation after = **store.GetConversation(1);
  CHECK(after.state == ConversationState::kReplied);
  CHECK(after.sla_started_at == before.sla_started_at);
  CHECK(after.sla_stopped_at == before.sla_stopped_at);
  CHECK(after.updated_at == before.updated_at);
  CHECK(env.slack.Posts().size() == posts);
  CHECK(store.ListMessages(1)->size() == 2);
}

}  // namespace

TEST_CASE(
    "meta e2e: Instagram's webhook for our own reply is its echo even though from.id is not our "
    "account's id: not posted, the conversation stays replied") {
  FakeHttpServer graph;
  graph.On(kIgRepliesPath, [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"id":"17860000000000999"})"};
  });
  // The page token may not read our username: only the reply's id can tell.
  graph.On(kIgLookupPath, [](const RecordedRequest&) {
    return FakeAnswer{400, ErrorBody(10, 0, "Application does not have permission")};
  });
  E2eEnv env(MetaPatch(graph));
  const Conversation answered = AnsweredOnInstagram(env, graph);
  const std::size_t posts = env.slack.Posts().size();
  auto echo = PostMeta(
      env, IgComment("17860000000000999", "17841499999999999", "acme", "Yes, from next week!"));
  REQUIRE(echo.response.status == 200);
  CHECK(json::parse(echo.response.body)["echoes"] == 1);
  CheckStillAnswered(env, answered, posts);
  CHECK(env.LogText().find("echo of our own reply") != std::string::npos);
}

TEST_CASE(
    "meta e2e: an Instagram comment our account writes outside duplex is ignored, by the "
    "username the Graph API gives") {
  FakeHttpServer graph;
  graph.On(kIgRepliesPath, [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"id":"17860000000000999"})"};
  });
  graph.On(kIgLookupPath, [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"id":"17841400000000001","username":"acme"})"};
  });
  E2eEnv env(MetaPatch(graph));
  const Conversation answered = AnsweredOnInstagram(env, graph);
  const std::size_t posts = env.slack.Posts().size();
  auto own = PostMeta(env, IgComment("17860000000000888", "17841499999999999", "acme",
                                     "PS: blue ships on Monday."));
  REQUIRE(own.response.status == 200);
  CHECK(json::parse(own.response.body)["accepted"] == 0);
  CheckStillAnswered(env, answered, posts);
  REQUIRE(graph.Count(kIgLookupPath) == 1);
  const RecordedRequest lookup = graph.Requests(kIgLookupPath)[0];
  CHECK(lookup.method == "GET");
  CHECK(lookup.Param("fields") == "id,username");
  CHECK(lookup.Header("Authorization") == std::string("Bearer ") + kPageToken);
}

}  // namespace duplex::test
