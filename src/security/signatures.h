// The signature schemes duplex checks, one function each, on the raw body as received.
// Every Verify* returns Ok or Unauthenticated with a short reason that is safe to send back
// (it never contains the secret or the expected signature). Sign* produce what a sender
// would put in its header; duplex uses them for outbound replies, the demo and tests.
// Handshakes are not oracles: the only handshake that computes anything (X's CRC) refuses any
// input that could be a webhook body, so no unauthenticated caller gets a signature back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace duplex::security {

// Window for schemes that sign a timestamp (Slack v0, Standard Webhooks), in seconds.
inline constexpr std::int64_t kTimestampToleranceSeconds = 300;

// Slack v0: "v0=" + hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body)).
Status VerifySlackV0(std::string_view signing_secret, std::string_view timestamp_header,
                     std::string_view signature_header, std::string_view body,
                     std::int64_t now_seconds);
std::string SignSlackV0(std::string_view signing_secret, std::string_view timestamp,
                        std::string_view body);

// Standard Webhooks: "v1," + base64(HMAC-SHA256(base64dec(secret sans "whsec_"),
// id + "." + ts + "." + body)); the header may list several space-separated signatures.
Status VerifyStandardWebhook(std::string_view secret, std::string_view id_header,
                             std::string_view timestamp_header, std::string_view signature_header,
                             std::string_view body, std::int64_t now_seconds);
std::string SignStandardWebhook(std::string_view secret, std::string_view id,
                                std::string_view timestamp, std::string_view body);
// The HMAC key a Standard Webhooks secret stands for: base64-decoded after an optional
// "whsec_"; a secret that is not base64 is the key itself.
std::string StandardWebhookKey(std::string_view secret);

// "sha256=" + hex(HMAC-SHA256(secret, body)): GitHub and Meta's X-Hub-Signature-256.
Status VerifyHubSignature256(std::string_view secret, std::string_view signature_header,
                             std::string_view body);
std::string SignHubSignature256(std::string_view secret, std::string_view body);

// X: "sha256=" + base64(HMAC-SHA256(consumer_secret, body)).
Status VerifyXSignature(std::string_view consumer_secret, std::string_view signature_header,
                        std::string_view body);
std::string SignXSignature(std::string_view consumer_secret, std::string_view body);

// The challenges platforms send to check a webhook URL (X's crc_token, Meta's hub.challenge,
// Slack's url_verification challenge) are short random strings: UUIDs, integers, hex or
// base64. duplex answers only a challenge of that shape: 1 to kMaxChallengeLength characters
// of A-Z a-z 0-9 - _ = + /. None of them starts a JSON object, array or string, and there is no
// whitespace, no byte above 0x7F and no markup character (< > & " '), so an answer built from
// a challenge can neither be a webhook body's signature nor reflect a script or a document.
// The length bound is over three times a UUID (36) or Slack's challenges (about 50), and still
// above a base64 token of 64 random bytes (88).
inline constexpr std::size_t kMaxChallengeLength = 128;
bool IsChallengeShaped(std::string_view challenge);
// Ok, or InvalidArgument naming `field` and the accepted shape (never quoting the input).
Status CheckChallenge(std::string_view field, std::string_view challenge);

// X's CRC answer: "sha256=" + base64(HMAC-SHA256(consumer_secret, crc_token)). That is exactly
// the webhook signature of a body equal to crc_token, so it is computed only for a
// challenge-shaped token (nullopt otherwise): such a body is no JSON object, which X's Parse
// requires, so the answer never signs a webhook duplex would accept.
std::optional<std::string> XCrcResponseToken(std::string_view consumer_secret,
                                             std::string_view crc_token);

// Shared-secret tokens (Meta's verify token, Telegram's secret-token header, Mattermost's
// command token), compared in time that reveals neither the expected token's length nor how
// much of it a guess matched.
Status VerifySharedToken(std::string_view expected, std::string_view presented);

}  // namespace duplex::security
