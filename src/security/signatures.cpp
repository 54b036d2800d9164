#include "security/signatures.h"

#include <charconv>
#include <cstdlib>

#include "security/crypto.h"

namespace duplex::security {
namespace {

bool ParseSeconds(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

Status CheckTimestamp(std::string_view header, std::int64_t now_seconds) {
  std::int64_t ts = 0;
  if (!ParseSeconds(header, ts)) return Status::Unauthenticated("malformed timestamp");
  if (std::llabs(now_seconds - ts) > kTimestampToleranceSeconds) {
    return Status::Unauthenticated("timestamp outside the 5-minute window");
  }
  return Status::Ok();
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string StandardWebhookKey(std::string_view secret) {
  if (StartsWith(secret, "whsec_")) secret.remove_prefix(6);
  auto key = Base64Decode(secret);
  // A secret that is not base64 is used as raw bytes, as several senders do.
  return key ? *key : std::string(secret);
}

Status VerifySlackV0(std::string_view signing_secret, std::string_view timestamp_header,
                     std::string_view signature_header, std::string_view body,
                     std::int64_t now_seconds) {
  if (timestamp_header.empty()) return Status::Unauthenticated("missing X-Slack-Request-Timestamp");
  if (signature_header.empty()) return Status::Unauthenticated("missing X-Slack-Signature");
  if (Status s = CheckTimestamp(timestamp_header, now_seconds); !s.ok()) return s;
  std::string expected = SignSlackV0(signing_secret, timestamp_header, body);
  if (!ConstantTimeEquals(expected, signature_header)) {
    return Status::Unauthenticated("signature mismatch");
  }
  return Status::Ok();
}

std::string SignSlackV0(std::string_view signing_secret, std::string_view timestamp,
                        std::string_view body) {
  std::string base;
  base.reserve(4 + timestamp.size() + body.size());
  base.append("v0:").append(timestamp).append(":").append(body);
  return "v0=" + HexEncode(HmacSha256(signing_secret, base));
}

Status VerifyStandardWebhook(std::string_view secret, std::string_view id_header,
                             std::string_view timestamp_header, std::string_view signature_header,
                             std::string_view body, std::int64_t now_seconds) {
  if (id_header.empty()) return Status::Unauthenticated("missing webhook-id");
  if (timestamp_header.empty()) return Status::Unauthenticated("missing webhook-timestamp");
  if (signature_header.empty()) return Status::Unauthenticated("missing webhook-signature");
  if (Status s = CheckTimestamp(timestamp_header, now_seconds); !s.ok()) return s;
  std::string expected = SignStandardWebhook(secret, id_header, timestamp_header, body);
  bool matched = false;
  std::string_view rest = signature_header;
  while (!rest.empty()) {
    std::size_t space = rest.find(' ');
    std::string_view candidate = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    // Keep comparing after a match so timing does not reveal which entry matched.
    if (StartsWith(candidate, "v1,") && ConstantTimeEquals(expected, candidate)) matched = true;
  }
  return matched ? Status::Ok() : Status::Unauthenticated("signature mismatch");
}

std::string SignStandardWebhook(std::string_view secret, std::string_view id,
                                std::string_view timestamp, std::string_view body) {
  std::string content;
  content.reserve(id.size() + timestamp.size() + body.size() + 2);
  content.append(id).append(".").append(timestamp).append(".").append(body);
  return "v1," + Base64Encode(HmacSha256(StandardWebhookKey(secret), content));
}

Status VerifyHubSignature256(std::string_view secret, std::string_view signature_header,
                             std::string_view body) {
  if (signature_header.empty()) return Status::Unauthenticated("missing X-Hub-Signature-256");
  if (!ConstantTimeEquals(SignHubSignature256(secret, body), signature_header)) {
    return Status::Unauthenticated("signature mismatch");
  }
  return Status::Ok();
}

std::string SignHubSignature256(std::string_view secret, std::string_view body) {
  return "sha256=" + HexEncode(HmacSha256(secret, body));
}

Status VerifyXSignature(std::string_view consumer_secret, std::string_view signature_header,
                        std::string_view body) {
  if (signature_header.empty()) {
    return Status::Unauthenticated("missing x-twitter-webhooks-signature");
  }
  if (!ConstantTimeEquals(SignXSignature(consumer_secret, body), signature_header)) {
    return Status::Unauthenticated("signature mismatch");
  }
  return Status::Ok();
}

std::string SignXSignature(std::string_view consumer_secret, std::string_view body) {
  return "sha256=" + Base64Encode(HmacSha256(consumer_secret, body));
}

bool IsChallengeShaped(std::string_view challenge) {
  if (challenge.empty() || challenge.size() > kMaxChallengeLength) return false;
  for (char c : challenge) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '=' || c == '+' ||
                         c == '/';
    if (!allowed) return false;
  }
  return true;
}

Status CheckChallenge(std::string_view field, std::string_view challenge) {
  if (IsChallengeShaped(challenge)) return Status::Ok();
  return Status::Invalid(std::string(field) + " must be 1 to " +
                         std::to_string(kMaxChallengeLength) +
                         " characters of A-Z, a-z, 0-9, -, _, =, + and /");
}

std::optional<std::string> XCrcResponseToken(std::string_view consumer_secret,
                                             std::string_view crc_token) {
  if (!IsChallengeShaped(crc_token)) return std::nullopt;
  return "sha256=" + Base64Encode(HmacSha256(consumer_secret, crc_token));
}

Status VerifySharedToken(std::string_view expected, std::string_view presented) {
  if (presented.empty()) return Status::Unauthenticated("missing token");
  // Digests have one length, so the time depends neither on how much of the token a guess
  // matches nor on its length (comparing the tokens would return early on a length mismatch).
  if (expected.empty() || !ConstantTimeEquals(Sha256(expected), Sha256(presented))) {
    return Status::Unauthenticated("token mismatch");
  }
  return Status::Ok();
}

}  // namespace duplex::security
