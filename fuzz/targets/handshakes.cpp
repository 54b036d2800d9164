// The handshake endpoints as anyone on the internet reaches them: X's CRC, Meta's
// hub.challenge and Slack's url_verification. Traps when an answer could serve as a signature:
// a CRC answer must come only for a challenge-shaped token, and then sign no webhook that X's
// connector accepts (the body equal to the token verifies, by X's design, but never parses);
// an echoed challenge must verify as no Meta or Slack signature, reflect no markup, and come
// only for the verify token (Meta) or a signed request (Slack).
// Input: the first byte picks the endpoint (0 X, 1 Meta, 2 Slack), the rest is the token or
// challenge. The connectors are built once: handshakes, Verify and Parse learn nothing.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_targets.h"
#include "fuzz/targets/fuzz_support.h"
#include "handlers/slack_interactive.h"
#include "security/signatures.h"

namespace duplex::fuzz {
namespace {

using nlohmann::json;

constexpr const char* kXSecret = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu";
constexpr const char* kMetaSecret = "meta-app-secret-for-fuzzing";
constexpr const char* kVerifyToken = "meta-verify";
constexpr const char* kSlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

InboundRequest Get(std::vector<std::pair<std::string, std::string>> query) {
  InboundRequest r;
  r.method = "GET";
  r.query = std::move(query);
  r.now = kFuzzNow;
  return r;
}

InboundRequest Post(const std::string& body, HeaderList headers) {
  InboundRequest r;
  r.method = "POST";
  r.body = body;
  r.headers = std::move(headers);
  r.now = kFuzzNow;
  return r;
}

struct Platform {
  std::unique_ptr<PlatformConnector> connector;
  std::vector<std::string> accepted;  // webhook bodies the connector parses into mentions
};

Platform Build(const std::string& name, const json& config) {
  Platform p;
  p.connector = MakeConnector(name, config, nullptr);
  for (const char* text : {"hello", "{\"a\":1}", "x"}) {
    const std::string body =
        p.connector->SampleWebhook("http://127.0.0.1:1", text, std::string("ev-") + text, kFuzzNow)
            .body;
    auto parsed = p.connector->Parse(Post(body, {}));
    Check(parsed.ok() && !parsed->mentions.empty());
    p.accepted.push_back(body);
  }
  return p;
}

void CheckX(const std::string& token) {
  static const Platform x = Build("x", {{"consumer_secret", kXSecret}, {"bearer_token", "bt"}});
  auto answer = x.connector->Handshake(Get({{"crc_token", token}}));
  if (!answer.ok()) {
    Check(!security::IsChallengeShaped(token));
    Check(HttpStatusFor(answer.status().code()) == 400);
    return;
  }
  Check(security::IsChallengeShaped(token));
  const json body = json::parse(answer->body, nullptr, false);
  Check(body.is_object() && body.contains("response_token") && body["response_token"].is_string());
  const HeaderList signed_with = {
      {"x-twitter-webhooks-signature", body["response_token"].get<std::string>()}};
  if (x.connector->Verify(Post(token, signed_with)).ok()) {
    Check(!x.connector->Parse(Post(token, signed_with)).ok());
  }
  for (const std::string& accepted : x.accepted) {
    Check(!x.connector->Verify(Post(accepted, signed_with)).ok());
  }
}

void CheckMeta(const std::string& challenge) {
  static const Platform meta = Build(
      "meta", {{"app_secret", kMetaSecret}, {"verify_token", kVerifyToken}, {"page_token", "pt"}});
  auto guessed = meta.connector->Handshake(Get(
      {{"hub.mode", "subscribe"}, {"hub.verify_token", "guess"}, {"hub.challenge", challenge}}));
  Check(!guessed.ok() && HttpStatusFor(guessed.status().code()) == 403);
  auto answer = meta.connector->Handshake(Get({{"hub.mode", "subscribe"},
                                               {"hub.verify_token", kVerifyToken},
                                               {"hub.challenge", challenge}}));
  if (!answer.ok()) {
    Check(!security::IsChallengeShaped(challenge));
    Check(HttpStatusFor(answer.status().code()) == 400);
    return;
  }
  Check(security::IsChallengeShaped(challenge));
  Check(answer->body == challenge && answer->content_type == "text/plain");
  Check(answer->body.find_first_of("<>&\"' \t\r\n") == std::string::npos);
  const HeaderList signed_with = {{"X-Hub-Signature-256", answer->body}};
  Check(!meta.connector->Verify(Post(challenge, signed_with)).ok());
  for (const std::string& accepted : meta.accepted) {
    Check(!meta.connector->Verify(Post(accepted, signed_with)).ok());
  }
}

void CheckSlack(const std::string& input) {
  SlackInteractiveDeps deps;  // url_verification returns before anything else is needed
  deps.signing_secret = kSlackSecret;
  const std::string body = json{{"type", "url_verification"}, {"challenge", input}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  const std::string challenge = json::parse(body)["challenge"];
  HttpAnswer refused = HandleSlackEvent(Post(body, {}), deps);
  Check(refused.status == 401 && refused.body.find("challenge") == std::string::npos);

  const std::string ts = std::to_string(kFuzzNow / 1000);
  HttpAnswer answer = HandleSlackEvent(
      Post(body, {{"X-Slack-Request-Timestamp", ts},
                  {"X-Slack-Signature", security::SignSlackV0(kSlackSecret, ts, body)}}),
      deps);
  if (answer.status != 200) {
    Check(answer.status == 400 && !security::IsChallengeShaped(challenge));
    return;
  }
  Check(security::IsChallengeShaped(challenge));
  const json echoed = json::parse(answer.body, nullptr, false);
  Check(echoed.is_object() && echoed.value("challenge", "") == challenge);
  for (const std::string& signed_body : {challenge, body}) {
    Check(!security::VerifySlackV0(kSlackSecret, ts, challenge, signed_body, kFuzzNow / 1000).ok());
  }
}

}  // namespace

int FuzzHandshakes(const std::uint8_t* data, std::size_t size) {
  QuietLogs();
  if (size == 0) return 0;
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      CheckX(input);
      break;
    case 1:
      CheckMeta(input);
      break;
    default:
      CheckSlack(input);
      break;
  }
  return 0;
}

}  // namespace duplex::fuzz
