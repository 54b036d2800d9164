// The signature schemes duplex checks, one function each, on the raw body as received.
// Every Verify* returns Ok or Unauthenticated with a short reason that is safe to send back
// (it never contains the secret or the expected signature). Sign* produce what a sender
// would put in its header; duplex uses them for outbound replies, the demo and tests.
#pragma once

#include <cstdint>
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
                             std::string_view timestamp_header,
                             std::string_view signature_header, std::string_view body,
                             std::int64_t now_seconds);
std::string SignStandardWebhook(std::string_view secret, std::string_view id,
                                std::string_view timestamp, std::string_view body);
// The HMAC key a Standard Webhooks secret stands for: base64-decoded after an optional
// "whsec_"; a secret that is not base64 is the key itself.
std::string StandardWebhookKey(std::string_view secret);

// "sha256=" + hex(HMAC-SHA256(secret, body)): GitHub and Meta's X-Hub-Signature-256.
Status VerifyHubSignature256(std::string_view secret, std::string_view signature_header,
                             std::string_view body);
std::string SignHubSignature256(std::string_view secret, std::string_view body);

// X: "sha256=" + base64(HMAC-SHA256(consumer_secret, body)), and the CRC response token.
Status VerifyXSignature(std::string_view consumer_secret, std::string_view signature_header,
                        std::string_view body);
std::string SignXSignature(std::string_view consumer_secret, std::string_view body);
std::string XCrcResponseToken(std::string_view consumer_secret, std::string_view crc_token);

// Shared-secret tokens (Telegram's secret-token header, Mattermost's command token).
Status VerifySharedToken(std::string_view expected, std::string_view presented);

}  // namespace duplex::security
