// The `x` platform: X (Twitter), both directions, on GET/POST /webhooks/x. Two inbound
// formats share the URL, the CRC and the signature until the Account Activity API ends on
// 2027-01-01; a body with a top-level `data` is an X Activity API delivery, any other an
// Account Activity one.
//  - GET ?crc_token=T answers {"response_token":"sha256=<base64 HMAC-SHA256(consumer_secret, T)>"}
//    only when T has a challenge's shape (security::IsChallengeShaped: at most 128 characters of
//    A-Z a-z 0-9 - _ = + /); any other T, or none, is a 400. The answer is the signature a POST
//    whose body is T would carry, and such a body is never a JSON object, so Parse refuses it:
//    the CRC cannot be used to sign a webhook.
//  - POST bodies must carry a valid `x-twitter-webhooks-signature`.
//  - X Activity API (one event per delivery): `post.mention.create` and `post.reply.create`
//    become mentions (kind `direct` for a reply to our account), `dm.received` becomes `dm`;
//    every other event type is acknowledged and ignored, as is a delivery whose
//    `filter.user_id` is not account_id (logged: a subscription for another account).
//  - Account Activity API: `tweet_create_events` become mentions (`direct` when replying to
//    our account), `direct_message_events` (message_create) become `dm`; every other event
//    array is acknowledged and ignored.
//  - Both: our own posts and DMs and plain reposts are ignored; ids are read from strings
//    only (they exceed 2^53). A post's event_id and message_id are its post id, a DM's its
//    event id, whichever API delivered it, so the same post delivered twice (as a mention
//    and as a reply, or by both APIs) is one message. A post's conversation key is its own
//    id and its parent the post it replies to: the store joins a reply to the conversation
//    holding that post (ours included, since a sent reply keeps its post id). A DM's
//    conversation key is "dm:<other user's id>", one thread per person.
//  - An X Activity post without its author's profile in `includes` gets it from a cache
//    (10,000 profiles, a day each), else from one GET /2/users/:id with a 1-second timeout;
//    if that fails the author is shown by id and the mention is kept. After a failure that
//    is not about that one user (timeout, 401/402/429/5xx) lookups pause for a minute, so a
//    struggling X API never slows the webhook. The lookup never refreshes the OAuth token.
// Outbound: a post reply is POST {api_base}/2/tweets {"text","reply":{"in_reply_to_tweet_id"}};
// a DM is POST {api_base}/2/dm_conversations/with/<user id>/messages {"text"}. User context is
// an OAuth 2.0 user token (refreshed before expiry when client_id + refresh_token are set) or
// OAuth 1.0a. 429 waits for X's reset headers; 401 and 402 (credits used up) alert the admins
// and are permanent, as are other 4xx, with X's own detail; a timeout or 5xx is uncertain (X
// may have posted it), never resent automatically.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "platforms/platform.h"
#include "platforms/x/x_oauth1.h"
#include "platforms/x/x_oauth2.h"
#include "platforms/x/x_text.h"
#include "platforms/x/x_user_cache.h"

namespace duplex {

// The platform's name: its key under `platforms` in the config, its webhook path
// (/webhooks/x), Name() and every Mention.platform it parses.
inline constexpr const char kXPlatform[] = "x";

struct XConfig {
  std::string consumer_secret;  // webhook signature and CRC (and OAuth 1.0a signing)
  std::string api_base = "https://api.x.com";
  std::string account_id;  // our user id; empty: the payload's for_user_id / filter.user_id
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

inline constexpr std::size_t kMaxDmChars = 10000;

class XConnector final : public PlatformConnector {
 public:
  // `http` (may be null: no profile lookups) serves the author lookups made while parsing.
  explicit XConnector(XConfig config, HttpClient* http = nullptr);
  std::string Name() const override { return kXPlatform; }
  std::string DisplayName() const override { return "X"; }
  Result<InboundResponse> Handshake(const InboundRequest& request) const override;
  Status Verify(const InboundRequest& request) const override;
  Result<ParsedWebhook> Parse(const InboundRequest& request) const override;
  DeliveryOutcome SendReply(const ReplyRequest& reply, HttpClient& http) const override;
  Status ValidateReply(const std::string& text, const std::string& conversation_key) const override;
  HttpRequest SampleWebhook(const std::string& base_url, const std::string& text,
                            const std::string& event_id, UnixMs now) const override;
  // OAuth 2.0 with a refresh token: the tokens go to the database and one instance refreshes
  // at a time (XUserToken::Share, lease "x-token-refresh").
  void ShareAcrossInstances(LeaseStore& leases, const std::string& owner) override;

 private:
  Result<ParsedWebhook> ParseActivity(const nlohmann::json& body, UnixMs now) const;
  // Fills in `author` (id set) from the cache or, if `may_call_x`, one lookup; else the id
  // stands in for the handle.
  void CompleteAuthor(Author& author, UnixMs now, bool may_call_x) const;
  std::optional<Author> LookUpUser(const std::string& id, UnixMs now) const;
  // The Authorization header for a JSON POST to `url`, or why there is none.
  x::TokenResult Authorization(HttpClient& http, const std::string& url, UnixMs now) const;

  XConfig config_;
  HttpClient* http_;
  std::unique_ptr<x::XUserToken> user_token_;  // OAuth 2.0 only; internally synchronized
  std::unique_ptr<x::XUserCache> users_;       // internally synchronized
  mutable std::atomic<UnixMs> lookups_paused_until_{0};
};

std::unique_ptr<PlatformConnector> MakeXConnector(const nlohmann::json& config,
                                                  const std::string& path,
                                                  std::vector<std::string>& errors,
                                                  HttpClient* http);

}  // namespace duplex
