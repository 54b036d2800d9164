#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "platforms/generic/generic_connector.h"
#include "security/signatures.h"
#include "support/fakes.h"

namespace duplex {

namespace {

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr UnixMs kNow = 1'700'000'000'000;

GenericConnector Connector() {
  GenericConfig c;
  c.secret = kSecret;
  c.reply_url = "https://crm.example.com/replies";
  return GenericConnector(c);
}

InboundRequest Signed(const std::string& body, const std::string& id = "wh-1") {
  InboundRequest r;
  r.method = "POST";
  r.body = body;
  r.now = kNow;
  std::string ts = std::to_string(kNow / 1000);
  r.headers = {{"Webhook-Id", id},
               {"webhook-timestamp", ts},
               {"webhook-signature", security::SignStandardWebhook(kSecret, id, ts, body)}};
  return r;
}

}  // namespace

TEST_CASE("generic: a documented mention body parses into a normalized mention") {
  auto c = Connector();
  auto r = Signed(R"({"id":"m1","conversation":"order-7","kind":"comment",
      "author":{"id":"u1","handle":"ana","name":"Ana","followers":1234},"text":"héllo","url":"https://x/m1"})");
  REQUIRE(c.Verify(r).ok());
  auto p = c.Parse(r);
  REQUIRE(p.ok());
  REQUIRE(p->mentions.size() == 1);
  const Mention& m = p->mentions[0];
  CHECK(m.platform == "generic");
  CHECK(m.event_id == "wh-1");
  CHECK(m.message_id == "m1");
  CHECK(m.conversation_key == "order-7");
  CHECK(m.kind == MentionKind::kComment);
  CHECK(m.author.followers == 1234);
  CHECK(m.text == "héllo");
  CHECK(m.permalink == "https://x/m1");
  auto target = nlohmann::json::parse(m.reply_target);
  CHECK(target["in_reply_to"] == "m1");
}

TEST_CASE("generic: defaults fill what a minimal body leaves out") {
  auto p = Connector().Parse(Signed(R"({"author":{"handle":"bo"},"text":""})", "wh-9"));
  REQUIRE(p.ok());
  const Mention& m = p->mentions[0];
  CHECK(m.kind == MentionKind::kMention);
  CHECK(m.message_id == "wh-9");
  CHECK(m.conversation_key == "wh-9");
  CHECK(m.author.id == "bo");
  CHECK_FALSE(m.author.followers.has_value());
}

TEST_CASE("generic: malformed bodies are 400 with a reason") {
  auto c = Connector();
  auto reason = [&](const std::string& body) { return c.Parse(Signed(body)).status().message(); };
  CHECK(reason("{\"text\":\"x\",") == "invalid JSON body");
  CHECK(reason("[1,2]") == "body must be a JSON object");
  CHECK(reason(R"({"author":{"id":"a"}})") == "body.text is required");
  CHECK(reason(R"({"text":"x"})") == "body.author must be an object");
  CHECK(reason(R"({"text":"x","author":"ana"})") == "body.author must be an object");
  CHECK(reason(R"({"text":"x","author":{}})") == "body.author needs an id or a handle");
  CHECK(reason(R"({"text":["x"],"author":{"id":"a"}})") == "body.text must be a string");
  CHECK(reason(R"({"text":"x","author":{"id":"a","followers":"many"}})") ==
        "body.author.followers must be an integer");
  CHECK(reason(R"({"text":"x","kind":"shout","author":{"id":"a"}})") ==
        "body.kind must be direct, mention, comment or dm");
  CHECK(reason(std::string(5000, '{')) == "JSON nested too deeply");
}

TEST_CASE("generic: a 1 MiB text is accepted whole") {
  std::string text(1 << 20, 'a');
  auto p =
      Connector().Parse(Signed(nlohmann::json{{"text", text}, {"author", {{"id", "a"}}}}.dump()));
  REQUIRE(p.ok());
  CHECK(p->mentions[0].text.size() == text.size());
}

TEST_CASE("generic: replies are signed, keep their webhook-id across attempts, and map errors") {
  auto c = Connector();
  test::FakeHttpClient http;
  ReplyRequest req;
  req.delivery_id = 17;
  req.conversation_key = "order-7";
  req.reply_target = R"({"conversation":"order-7","in_reply_to":"m2"})";
  req.text = "on its way";
  req.now = kNow;
  http.PushStatus(200, R"({"url":"https://crm/r/17"})");
  auto ok = c.SendReply(req, http);
  CHECK(ok.kind == OutcomeKind::kDone);
  CHECK(ok.url == "https://crm/r/17");
  auto sent = http.requests().at(0);
  CHECK(sent.url == "https://crm.example.com/replies");
  CHECK(FindHeader(sent.headers, "webhook-id") == "duplex-reply-17");
  CHECK(security::VerifyStandardWebhook(
            kSecret, "duplex-reply-17", FindHeader(sent.headers, "webhook-timestamp"),
            FindHeader(sent.headers, "webhook-signature"), sent.body, kNow / 1000)
            .ok());
  auto body = nlohmann::json::parse(sent.body);
  CHECK(body == nlohmann::json{{"type", "reply"},
                               {"conversation", "order-7"},
                               {"in_reply_to", "m2"},
                               {"text", "on its way"},
                               {"id", "duplex-reply-17"}});

  req.now = kNow + 5000;
  http.PushStatus(503, "busy", {{"Retry-After", "7"}});
  auto busy = c.SendReply(req, http);
  CHECK(busy.kind == OutcomeKind::kRetry);
  CHECK(busy.retry_after_ms == 7000);
  CHECK(FindHeader(http.requests().at(1).headers, "webhook-id") == "duplex-reply-17");
  CHECK(FindHeader(http.requests().at(1).headers, "webhook-timestamp") ==
        std::to_string((kNow + 5000) / 1000));

  http.PushStatus(410, "");
  CHECK(c.SendReply(req, http).kind == OutcomeKind::kPermanent);
  http.PushStatus(400, "");
  CHECK(c.SendReply(req, http).kind == OutcomeKind::kPermanent);
  http.PushError(TransportError::kUnknown);
  CHECK(c.SendReply(req, http).kind ==
        OutcomeKind::kRetry);  // safe: the receiver dedups on webhook-id
  http.PushError(TransportError::kNotSent);
  CHECK(c.SendReply(req, http).kind == OutcomeKind::kRetry);
}

TEST_CASE("generic: without reply_url a reply fails for good with a clear reason") {
  GenericConfig cfg;
  cfg.secret = kSecret;
  GenericConnector c(cfg);
  test::FakeHttpClient http;
  auto o = c.SendReply({}, http);
  CHECK(o.kind == OutcomeKind::kPermanent);
  CHECK(o.error == "platforms.generic.reply_url is not configured");
  CHECK(http.requests().empty());
}

TEST_CASE("generic: the simulate sample is correctly signed") {
  auto c = Connector();
  HttpRequest sample = c.SampleWebhook("http://127.0.0.1:8080", "hi", "sim-1", kNow);
  CHECK(sample.url == "http://127.0.0.1:8080/webhooks/generic");
  InboundRequest in;
  in.headers = sample.headers;
  in.body = sample.body;
  in.now = kNow;
  CHECK(c.Verify(in).ok());
  CHECK(c.Parse(in)->mentions.at(0).text == "hi");
}

}  // namespace duplex

namespace duplex {

TEST_CASE(
    "generic: a correctly signed webhook-id that is not UTF-8 is refused as malformed, not thrown "
    "on") {
  auto c = Connector();
  auto r = Signed(R"({"text":"hi","author":{"handle":"bo"}})",
                  "\xa9"
                  "2");
  REQUIRE(c.Verify(r).ok());
  auto parsed = c.Parse(r);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
  CHECK(parsed.status().message() == "webhook-id must be UTF-8");
}

TEST_CASE("generic: a reply's remote id is the message id of a webhook carrying it as its id") {
  auto c = Connector();
  test::FakeHttpClient http;
  ReplyRequest req;
  req.delivery_id = 17;
  req.reply_target = R"({"conversation":"order-7","in_reply_to":"m2"})";
  req.text = "on its way";
  req.now = kNow;
  http.PushStatus(200, "{}");
  DeliveryOutcome o = c.SendReply(req, http);
  REQUIRE(o.kind == OutcomeKind::kDone);
  // A receiver that mirrors its messages back sends ours with the id duplex gave it.
  auto p = c.Parse(Signed(R"({"id":"duplex-reply-17","conversation":"order-7",
      "author":{"id":"agent"},"text":"on its way"})",
                          "wh-echo"));
  REQUIRE(p.ok());
  CHECK(o.remote_id == "duplex-reply-17");
  CHECK(p->mentions.at(0).message_id == o.remote_id);
}

}  // namespace duplex
