// The `x` platform: X (Twitter) through the Account Activity API, both directions.
// Inbound (GET/POST /webhooks/x):
//  - GET ?crc_token=T answers {"response_token":"sha256=<base64 HMAC-SHA256(consumer_secret, T)>"}
//    only when T has a challenge's shape (security::IsChallengeShaped: at most 128 characters of
//    A-Z a-z 0-9 - _ = + /); any other T, or none, is a 400. The answer is the signature a POST
//    whose body is T would carry, and such a body is never a JSON object, so Parse refuses it:
//    the CRC cannot be used to sign a webhook.
//  - POST bodies must carry a valid `x-twitter-webhooks-signature`. `tweet_create_events`
//    become mentions: kind `direct` when the tweet replies to our account, else `mention`
//    (an @-mention or a quote). `direct_message_events` (message_create) become `dm`.
//    Our own tweets and DMs, and plain retweets, are acknowledged and ignored, as is every
//    other event array (likes, follows, typing, read receipts, deletes...).
//  - Ids are always read from the `*_str` / string fields (they exceed 2^53).
//  - A tweet's conversation key is its own id, and its parent is `in_reply_to_status_id_str`:
//    the store joins a reply to the conversation that holds the tweet it answers (ours
//    included, since a sent reply keeps its tweet id). A DM's conversation key is
//    "dm:<other user's id>", one thread per person.
// Outbound: a tweet reply is POST {api_base}/2/tweets {"text","reply":{"in_reply_to_tweet_id"}};
// a DM is POST {api_base}/2/dm_conversations/with/<user id>/messages {"text"}. User context is
// an OAuth 2.0 user token (refreshed before expiry when client_id + refresh_token are set) or
// OAuth 1.0a. 429 waits for X's reset headers; 401/403/4xx are permanent with X's own detail;
// a timeout or 5xx is uncertain (X may have posted it), never resent automatically.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "platforms/platform.h"
#include "platforms/x/x_oauth1.h"
#include "platforms/x/x_oauth2.h"

namespace duplex {

struct XConfig {
  std::string consumer_secret;  // webhook signature and CRC (and OAuth 1.0a signing)
  std::string api_base = "https://api.x.com";
  std::string account_id;  // our user id; empty: the payload's for_user_id
  // OAuth 2.0 user context (bearer_token and/or client_id + refresh_token)...
  std::string bearer_token;
  std::string client_id;
  std::string client_secret;
  std::string refresh_token;
  std::string token_file;
  // ...or OAuth 1.0a (with consumer_secret above).
  std::string consumer_key;
  std::string access_token;
  std::string access_token_secret;
  std::string ca_file;
  int timeout_ms = 10'000;

  bool UsesOAuth1() const { return !consumer_key.empty(); }
};

// Posts allow 280 characters, weighted as X counts them: most Latin, Greek, Cyrillic and
// punctuation code points weigh 1, everything else (CJK, emoji...) 2, and every http(s)
// URL 23. Emoji sequences are counted per code point, so this errs on the long side.
std::size_t WeightedTweetLength(std::string_view text);
inline constexpr std::size_t kMaxTweetWeight = 280;
inline constexpr std::size_t kMaxDmChars = 10000;

class XConnector final : public PlatformConnector {
 public:
  explicit XConnector(XConfig config);
  std::string Name() const override { return "x"; }
  std::string DisplayName() const override { return "X"; }
  Result<InboundResponse> Handshake(const InboundRequest& request) const override;
  Status Verify(const InboundRequest& request) const override;
  Result<ParsedWebhook> Parse(const InboundRequest& request) const override;
  DeliveryOutcome SendReply(const ReplyRequest& reply, HttpClient& http) const override;
  Status ValidateReply(const std::string& text, const std::string& conversation_key) const override;
  HttpRequest SampleWebhook(const std::string& base_url, const std::string& text,
                            const std::string& event_id, UnixMs now) const override;

 private:
  // The Authorization header for a JSON POST to `url`, or why there is none.
  x::TokenResult Authorization(HttpClient& http, const std::string& url, UnixMs now) const;

  XConfig config_;
  std::unique_ptr<x::XUserToken> user_token_;  // OAuth 2.0 only; internally synchronized
};

std::unique_ptr<PlatformConnector> MakeXConnector(const nlohmann::json& config,
                                                  const std::string& path,
                                                  std::vector<std::string>& errors,
                                                  HttpClient* http);

}  // namespace duplex
