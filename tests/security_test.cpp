// Every signature scheme against the test vector its platform publishes, and its failure modes.
#include <doctest/doctest.h>

#include "security/crypto.h"
#include "security/signatures.h"
#include "security/untrusted_json.h"

namespace duplex::security {

namespace {
constexpr const char* kSlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr const char* kSlackBody =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
    "channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
    "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%"
    "2F96rGlfmibIGlgcZRskXaIFfN&"
    "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
constexpr const char* kSlackSig =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
constexpr std::int64_t kSlackTs = 1531420618;

constexpr const char* kSwSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kSwId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr const char* kSwTs = "1614265330";
constexpr const char* kSwBody = "{\"test\": 2432232314}";
constexpr const char* kSwSig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
}  // namespace

TEST_CASE("Slack v0 signature matches the published vector") {
  CHECK(SignSlackV0(kSlackSecret, "1531420618", kSlackBody) == kSlackSig);
  CHECK(VerifySlackV0(kSlackSecret, "1531420618", kSlackSig, kSlackBody, kSlackTs).ok());
}

TEST_CASE("Slack v0 verification refuses every kind of bad request") {
  SUBCASE("wrong secret") {
    CHECK(VerifySlackV0("another-secret", "1531420618", kSlackSig, kSlackBody, kSlackTs).code() ==
          StatusCode::kUnauthenticated);
  }
  SUBCASE("body changed by one byte") {
    std::string body = kSlackBody;
    body[10] ^= 1;
    CHECK_FALSE(VerifySlackV0(kSlackSecret, "1531420618", kSlackSig, body, kSlackTs).ok());
  }
  SUBCASE("missing headers") {
    CHECK(VerifySlackV0(kSlackSecret, "", kSlackSig, kSlackBody, kSlackTs)
              .message()
              .find("Timestamp") != std::string::npos);
    CHECK(VerifySlackV0(kSlackSecret, "1531420618", "", kSlackBody, kSlackTs)
              .message()
              .find("Signature") != std::string::npos);
  }
  SUBCASE("stale or future timestamp, at the edge of the window") {
    CHECK(VerifySlackV0(kSlackSecret, "1531420618", kSlackSig, kSlackBody, kSlackTs + 300).ok());
    CHECK_FALSE(
        VerifySlackV0(kSlackSecret, "1531420618", kSlackSig, kSlackBody, kSlackTs + 301).ok());
    CHECK_FALSE(
        VerifySlackV0(kSlackSecret, "1531420618", kSlackSig, kSlackBody, kSlackTs - 301).ok());
  }
  SUBCASE("malformed timestamp") {
    CHECK(VerifySlackV0(kSlackSecret, "15314x0618", kSlackSig, kSlackBody, kSlackTs).message() ==
          "malformed timestamp");
    CHECK_FALSE(
        VerifySlackV0(kSlackSecret, "99999999999999999999999", kSlackSig, kSlackBody, kSlackTs)
            .ok());
  }
  SUBCASE("signature in the wrong case or truncated") {
    std::string upper = kSlackSig;
    upper[5] = 'A';
    CHECK_FALSE(VerifySlackV0(kSlackSecret, "1531420618", upper, kSlackBody, kSlackTs).ok());
    CHECK_FALSE(VerifySlackV0(kSlackSecret, "1531420618", std::string(kSlackSig).substr(0, 20),
                              kSlackBody, kSlackTs)
                    .ok());
  }
}

TEST_CASE("Standard Webhooks signature matches the published vector") {
  CHECK(SignStandardWebhook(kSwSecret, kSwId, kSwTs, kSwBody) == kSwSig);
  CHECK(VerifyStandardWebhook(kSwSecret, kSwId, kSwTs, kSwSig, kSwBody, 1614265330).ok());
}

TEST_CASE("Standard Webhooks accepts any matching v1 entry among several, and skips v1a") {
  std::string header = std::string("v1a,c29tZXRoaW5n v1,bm90IGl0 ") + kSwSig;
  CHECK(VerifyStandardWebhook(kSwSecret, kSwId, kSwTs, header, kSwBody, 1614265330).ok());
  CHECK_FALSE(VerifyStandardWebhook(kSwSecret, kSwId, kSwTs,
                                    "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", kSwBody,
                                    1614265330)
                  .ok());
}

TEST_CASE("Standard Webhooks verification refuses bad requests") {
  CHECK(VerifyStandardWebhook(kSwSecret, "", kSwTs, kSwSig, kSwBody, 1614265330).message() ==
        "missing webhook-id");
  CHECK(VerifyStandardWebhook(kSwSecret, kSwId, "", kSwSig, kSwBody, 1614265330).message() ==
        "missing webhook-timestamp");
  CHECK(VerifyStandardWebhook(kSwSecret, kSwId, kSwTs, "", kSwBody, 1614265330).message() ==
        "missing webhook-signature");
  CHECK_FALSE(
      VerifyStandardWebhook("whsec_d3Jvbmc=", kSwId, kSwTs, kSwSig, kSwBody, 1614265330).ok());
  CHECK_FALSE(
      VerifyStandardWebhook(kSwSecret, "msg_other", kSwTs, kSwSig, kSwBody, 1614265330).ok());
  CHECK(
      VerifyStandardWebhook(kSwSecret, kSwId, kSwTs, kSwSig, kSwBody, 1614265330 + 301).message() ==
      "timestamp outside the 5-minute window");
  CHECK_FALSE(
      VerifyStandardWebhook(kSwSecret, kSwId, kSwTs, kSwSig, "{\"test\": 2432232315}", 1614265330)
          .ok());
}

TEST_CASE("GitHub's X-Hub-Signature-256 matches the published vector") {
  const std::string sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  CHECK(SignHubSignature256("It's a Secret to Everybody", "Hello, World!") == sig);
  CHECK(VerifyHubSignature256("It's a Secret to Everybody", sig, "Hello, World!").ok());
  CHECK_FALSE(VerifyHubSignature256("It's a Secret to Everybody", sig, "Hello, World?").ok());
  CHECK_FALSE(VerifyHubSignature256("wrong", sig, "Hello, World!").ok());
  CHECK(VerifyHubSignature256("It's a Secret to Everybody", "", "Hello, World!").message() ==
        "missing X-Hub-Signature-256");
}

TEST_CASE("X CRC response token matches the published vector") {
  CHECK(XCrcResponseToken("z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu",
                          "9b4507b3-9040-4669-9ca3-6b94edb50553") ==
        "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8=");
}

TEST_CASE("challenge shape: short base64, base64url, UUIDs and integers only") {
  CHECK(IsChallengeShaped("9b4507b3-9040-4669-9ca3-6b94edb50553"));
  CHECK(IsChallengeShaped("1158201444"));
  CHECK(IsChallengeShaped("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"));
  CHECK(IsChallengeShaped("Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="));
  CHECK(IsChallengeShaped(std::string(kMaxChallengeLength, 'A')));
  CHECK_FALSE(IsChallengeShaped(std::string(kMaxChallengeLength + 1, 'A')));
  CHECK_FALSE(IsChallengeShaped(""));
  // Every byte outside the set is refused, wherever it stands.
  const std::string allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/";
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    const bool in_set = allowed.find(c) != std::string::npos;
    CHECK(IsChallengeShaped(std::string(1, c)) == in_set);
    CHECK(IsChallengeShaped("ab" + std::string(1, c) + "cd") == in_set);
  }
  CHECK(CheckChallenge("crc_token", "abc").ok());
  const Status refused = CheckChallenge("crc_token", "<b>hi</b>");
  CHECK(refused.code() == StatusCode::kInvalidArgument);
  CHECK(refused.message() ==
        "crc_token must be 1 to 128 characters of A-Z, a-z, 0-9, -, _, =, + and /");
}

TEST_CASE("X CRC response tokens are made only for challenge-shaped tokens") {
  CHECK(XCrcResponseToken("secret", "") == std::nullopt);
  CHECK(XCrcResponseToken("secret", "{}") == std::nullopt);
  CHECK(XCrcResponseToken("secret", "[\"a\"]") == std::nullopt);
  CHECK(XCrcResponseToken("secret", "\"a\"") == std::nullopt);
  CHECK(XCrcResponseToken("secret", " 1") == std::nullopt);
  // What it does make is the X signature of a body equal to the token: the reason for the rule.
  CHECK(XCrcResponseToken("secret", "abc") == SignXSignature("secret", "abc"));
}

TEST_CASE("X webhook signatures verify with the consumer secret only") {
  std::string sig = SignXSignature("consumer", "{\"for_user_id\":\"1\"}");
  CHECK(VerifyXSignature("consumer", sig, "{\"for_user_id\":\"1\"}").ok());
  CHECK_FALSE(VerifyXSignature("other", sig, "{\"for_user_id\":\"1\"}").ok());
  CHECK_FALSE(VerifyXSignature("consumer", "", "{}").ok());
}

TEST_CASE("shared tokens compare exactly and refuse empty ones") {
  CHECK(VerifySharedToken("abc_DEF-123", "abc_DEF-123").ok());
  CHECK_FALSE(VerifySharedToken("abc_DEF-123", "abc_DEF-124").ok());
  CHECK_FALSE(VerifySharedToken("abc_DEF-123", "abc_DEF-12").ok());
  CHECK_FALSE(VerifySharedToken("abc_DEF-123", "abc_DEF-1234").ok());
  CHECK_FALSE(VerifySharedToken("abc", "").ok());
  CHECK_FALSE(VerifySharedToken("", "").ok());
}

TEST_CASE("hex and base64 round-trip and reject malformed input") {
  std::string bytes = RandomBytes(64);
  CHECK(HexDecode(HexEncode(bytes)) == bytes);
  CHECK(Base64Decode(Base64Encode(bytes)) == bytes);
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    CHECK(Base64Decode(Base64Encode(s)) == s);
  }
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK_FALSE(HexDecode("abc").has_value());
  CHECK_FALSE(HexDecode("zz").has_value());
  CHECK_FALSE(Base64Decode("a").has_value());
  CHECK_FALSE(Base64Decode("ab$d").has_value());
}

TEST_CASE("constant-time comparison is exact") {
  CHECK(ConstantTimeEquals("", ""));
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abcd"));
}

TEST_CASE("untrusted JSON: depth is limited before parsing, errors are short reasons") {
  CHECK(ParseUntrustedJson("{\"a\":[1,2,{\"b\":\"[[[[\"}]}").ok());
  std::string deep(100000, '[');
  auto r = ParseUntrustedJson(deep);
  CHECK(r.status().message() == "JSON nested too deeply");
  CHECK(ParseUntrustedJson("{\"a\":").status().message() == "invalid JSON body");
  CHECK(ParseUntrustedJson("").status().code() == StatusCode::kInvalidArgument);
  CHECK(JsonNestingDepth("\"\\\"[[[\"", 10) == 0);
  nlohmann::json obj = {{"n", "x"}, {"big", 18446744073709551615ULL}};
  std::optional<std::int64_t> v;
  CHECK(GetInt(obj, "n", "body", v).message() == "body.n must be an integer");
  CHECK(GetInt(obj, "big", "body", v).message() == "body.big is out of range");
}

}  // namespace duplex::security
