// Handshakes are not oracles: whatever an unauthenticated caller sends to X's CRC, Meta's
// hub.challenge or Slack's url_verification, nothing that comes back is a signature duplex
// would accept on a webhook it stores. A seeded property test over many generated inputs,
// and the one place duplex signs for someone else (a generic reply) replayed as a webhook.
#include <doctest/doctest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "handlers/slack_interactive.h"
#include "platforms/generic/generic_connector.h"
#include "platforms/meta/meta_connector.h"
#include "platforms/x/x_connector.h"
#include "security/signatures.h"
#include "support/fakes.h"
#include "support/test_util.h"

namespace duplex {
namespace {

using nlohmann::json;

constexpr const char* kXSecret = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu";
constexpr const char* kMetaSecret = "3f1e0b2c9d8a7f6e5d4c3b2a19081726";
constexpr const char* kVerifyToken = "duplex-verify-7c1d";
constexpr const char* kSlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr const char* kGenericSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr UnixMs kNow = 1'715'680'000'000;

template <typename Factory>
std::unique_ptr<PlatformConnector> Build(Factory factory, const json& config) {
  std::vector<std::string> errors;
  auto c = factory(config, "platforms.test", errors, nullptr);
  // doctest builds the message even when the check passes (-s): front() only if there is one.
  REQUIRE_MESSAGE(errors.empty(), (errors.empty() ? std::string() : errors.front()));
  return c;
}

InboundRequest Get(std::vector<std::pair<std::string, std::string>> query) {
  InboundRequest r;
  r.method = "GET";
  r.query = std::move(query);
  r.now = kNow;
  return r;
}

InboundRequest Post(const std::string& body, HeaderList headers) {
  InboundRequest r;
  r.method = "POST";
  r.body = body;
  r.headers = std::move(headers);
  r.now = kNow;
  return r;
}

// Inputs an attacker would try, and random ones: webhook bodies (whole, wrapped, cut),
// challenge-shaped strings (most are answered), JSON scalars, and random bytes.
class InputGenerator {
 public:
  explicit InputGenerator(std::vector<std::string> bodies) : bodies_(std::move(bodies)) {}

  std::string Next() {
    switch (Pick(7)) {
      case 0:
        return bodies_[Pick(bodies_.size())];
      case 1: {
        static const char* kWrappers[] = {" ", "\n", "\t", "\r\n", "\xEF\xBB\xBF", "[", "\""};
        const std::string& body = bodies_[Pick(bodies_.size())];
        return kWrappers[Pick(7)] + body;
      }
      case 2: {
        const std::string& body = bodies_[Pick(bodies_.size())];
        return body.substr(0, Pick(body.size() + 1));
      }
      case 3:
        return Shaped(1 + Pick(security::kMaxChallengeLength + 8));
      case 4: {
        static const char* kScalars[] = {
            "0", "-1", "1e5", "12345678901234567890", "true", "false", "null", "-0", "1E-5"};
        return kScalars[Pick(9)];
      }
      case 5: {
        // A challenge-shaped string with one byte that is not.
        std::string s = Shaped(1 + Pick(64));
        s[Pick(s.size())] = static_cast<char>(Pick(256));
        return s;
      }
      default: {
        std::string s(Pick(200), '\0');
        for (char& c : s) c = static_cast<char>(Pick(256));
        return s;
      }
    }
  }

 private:
  std::size_t Pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  std::string Shaped(std::size_t n) {
    static const std::string kSet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/";
    std::string s(n, 'a');
    for (char& c : s) c = kSet[Pick(kSet.size())];
    return s;
  }

  std::vector<std::string> bodies_;
  std::mt19937_64 rng_{20261207};
};

constexpr int kRounds = 4000;

}  // namespace

TEST_CASE("property: no X CRC answer signs a webhook X's connector would accept") {
  auto x = Build(MakeXConnector, {{"consumer_secret", kXSecret}, {"bearer_token", "t"}});
  std::vector<std::string> accepted;
  for (const char* name : {"tweet_mention.json", "tweet_batch.json", "dm_events.json",
                           "tweet_reply_to_us.json", "tweet_truncated.json"}) {
    accepted.push_back(test::ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/x/" + name));
  }
  accepted.push_back(x->SampleWebhook("http://127.0.0.1:1", "hello", "ev-1", kNow).body);
  for (const std::string& body : accepted) {
    REQUIRE(x->Parse(Post(body, {})).ok());
  }
  InputGenerator inputs(accepted);
  int answered = 0;
  for (int i = 0; i < kRounds; ++i) {
    const std::string token = inputs.Next();
    auto answer = x->Handshake(Get({{"crc_token", token}}));
    if (!answer.ok()) {
      CHECK(HttpStatusFor(answer.status().code()) == 400);
      CHECK_FALSE(security::IsChallengeShaped(token));
      continue;
    }
    ++answered;
    INFO("crc_token: ", token);
    REQUIRE(security::IsChallengeShaped(token));
    const std::string response = json::parse(answer->body).at("response_token");
    const HeaderList signed_with = {{"x-twitter-webhooks-signature", response}};
    // For the body equal to the token the answer is a valid signature (that is X's CRC); the
    // body is never a webhook X's connector accepts.
    if (x->Verify(Post(token, signed_with)).ok()) {
      CHECK_FALSE(x->Parse(Post(token, signed_with)).ok());
    }
    for (const std::string& body : accepted) {
      CHECK_FALSE(x->Verify(Post(body, signed_with)).ok());
    }
  }
  MESSAGE(answered, " of ", kRounds, " generated crc_tokens were answered");
  CHECK(answered > kRounds / 10);
}

TEST_CASE("property: Meta's echo is never a signature or markup, and 403 without the token") {
  auto meta =
      Build(MakeMetaConnector,
            {{"app_secret", kMetaSecret}, {"verify_token", kVerifyToken}, {"page_token", "p"}});
  std::vector<std::string> accepted;
  for (const char* name : {"page_feed_batch.json", "messenger.json", "instagram_comments.json",
                           "whatsapp_messages.json"}) {
    accepted.push_back(test::ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/meta/" + name));
  }
  accepted.push_back(meta->SampleWebhook("http://127.0.0.1:1", "hello", "ev-1", kNow).body);
  InputGenerator inputs(accepted);
  for (int i = 0; i < kRounds; ++i) {
    const std::string challenge = inputs.Next();
    INFO("hub.challenge: ", challenge);
    auto refused = meta->Handshake(Get(
        {{"hub.mode", "subscribe"}, {"hub.verify_token", "guess"}, {"hub.challenge", challenge}}));
    CHECK(HttpStatusFor(refused.status().code()) == 403);
    auto answer = meta->Handshake(Get({{"hub.mode", "subscribe"},
                                       {"hub.verify_token", kVerifyToken},
                                       {"hub.challenge", challenge}}));
    if (!answer.ok()) {
      CHECK(HttpStatusFor(answer.status().code()) == 400);
      CHECK_FALSE(security::IsChallengeShaped(challenge));
      continue;
    }
    REQUIRE(security::IsChallengeShaped(challenge));
    CHECK(answer->body == challenge);
    CHECK(answer->content_type == "text/plain");
    CHECK(answer->body.find_first_of("<>&\"' \r\n") == std::string::npos);
    const HeaderList signed_with = {{"X-Hub-Signature-256", answer->body}};
    CHECK_FALSE(meta->Verify(Post(challenge, signed_with)).ok());
    for (const std::string& body : accepted) {
      CHECK_FALSE(meta->Verify(Post(body, signed_with)).ok());
    }
  }
}

TEST_CASE("property: Slack's url_verification echoes only a challenge's shape, only if signed") {
  SlackInteractiveDeps deps;  // url_verification returns before anything else is needed
  deps.signing_secret = kSlackSecret;
  const std::string ts = std::to_string(kNow / 1000);
  const std::string event =
      R"({"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"message"}})";
  InputGenerator inputs({event});
  for (int i = 0; i < kRounds; ++i) {
    const std::string body = json{{"type", "url_verification"}, {"challenge", inputs.Next()}}.dump(
        -1, ' ', false, json::error_handler_t::replace);
    const std::string challenge = json::parse(body)["challenge"];
    INFO("challenge: ", challenge);
    HttpAnswer unsigned_answer = HandleSlackEvent(Post(body, {}), deps);
    CHECK(unsigned_answer.status == 401);
    CHECK(unsigned_answer.body.find("challenge") == std::string::npos);

    HttpAnswer answer = HandleSlackEvent(
        Post(body, {{"X-Slack-Request-Timestamp", ts},
                    {"X-Slack-Signature", security::SignSlackV0(kSlackSecret, ts, body)}}),
        deps);
    if (answer.status != 200) {
      CHECK(answer.status == 400);
      CHECK_FALSE(security::IsChallengeShaped(challenge));
      continue;
    }
    REQUIRE(security::IsChallengeShaped(challenge));
    const std::string echoed = json::parse(answer.body).at("challenge");
    CHECK(echoed == challenge);
    for (const std::string& signed_body : {challenge, event, body}) {
      CHECK_FALSE(security::VerifySlackV0(kSlackSecret, ts, echoed, signed_body, kNow / 1000).ok());
    }
  }
}

TEST_CASE("a signed generic reply, replayed as a webhook, verifies but Parse refuses it") {
  // The generic platform signs replies with the secret that signs inbound webhooks, so the
  // receiver (or anyone who reads its traffic) holds validly signed bodies. A reply has no
  // author, which every inbound message needs: replayed, it is a 400 and nothing is stored.
  auto generic = Build(MakeGenericConnector,
                       {{"secret", kGenericSecret}, {"reply_url", "https://crm.test/replies"}});
  test::FakeHttpClient http;
  ReplyRequest reply;
  reply.delivery_id = 9;
  reply.conversation_key = "conv-1";
  reply.reply_target = json{{"conversation", "conv-1"}, {"in_reply_to", "msg-1"}}.dump();
  reply.text = "Thanks, we are on it";
  reply.now = kNow;
  REQUIRE(generic->SendReply(reply, http).kind == OutcomeKind::kDone);
  const HttpRequest sent = http.requests().at(0);
  const InboundRequest replayed = Post(sent.body, sent.headers);
  CHECK(generic->Verify(replayed).ok());
  auto parsed = generic->Parse(replayed);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().message() == "body.author must be an object");
}

}  // namespace duplex
