// The `meta` platform: one Meta app's webhooks for a Facebook Page (feed comments),
// Messenger (page messaging), Instagram (comments, @mentions and direct messages) and the
// WhatsApp Cloud API.
//
// Guarantees:
// - Handshake answers Meta's hub.challenge only for the configured verify token (constant
//   time), as text/plain, and only a challenge of Meta's shape (security::IsChallengeShaped:
//   Meta sends an integer): 400 without the hub.* parameters or for any other challenge, 403
//   for a wrong token.
// - Verify checks X-Hub-Signature-256 over the raw body bytes as received.
// - Parse turns every item of a batch (entry[].changes[] / entry[].messaging[]) into its own
//   mention with its own dedup id; events duplex does not handle (edits, removals, echoes,
//   sent/delivered/read statuses, our own comments, unknown objects and fields) yield no
//   mention and are acknowledged. A malformed item is skipped with a warning rather than
//   failing the batch; only a body that is not a Meta notification at all is refused (400).
// - Our own comments: on the Page, from.id is the Page's id. On Instagram, from.id is an
//   Instagram-scoped id (IGSID), not our account's id, so a comment is ours when from.id is
//   the account id (Meta's self-comment shape) or from.username is our username: learned
//   with GET {api_base}/{ig-user-id}?fields=id,username and the page token on the first
//   comment that needs it (a short timeout; after a failure that may pass, again a minute
//   later; after a refusal, never), then remembered.
// - A reply's remote id is the id Meta gave the new comment or message (comment id, mid,
//   wamid), the message id Parse gives that comment or message, so a webhook for our own
//   reply is recognised as its echo (Store::Ingest).
// - A WhatsApp `failed` status becomes a DeliveryReport for the reply it names (by wamid),
//   with Meta's reason in plain words; its dedup id is the wamid and the status.
// - A WhatsApp customer without a phone number in the webhook (a username user) is known by
//   their business-scoped user id (BSUID) and answered with `recipient` instead of `to`.
// - Instagram @mentions carry no text: Parse fetches it through the injected HttpClient. A
//   fetch that may succeed later (network, 5xx, rate limit) fails the webhook with 503 so
//   Meta redelivers it; a definite refusal (deleted comment, missing permission) stores the
//   mention with a placeholder text, so staff still see and can answer it.
// - ValidateReply refuses, when the command is given, a reply longer than its surface takes
//   (counted as Meta counts: see CheckMetaReplyLength) or one that needs a page_token when
//   none is configured.
// - SendReply makes exactly one call to the reply endpoint the customer's message needs and
//   maps Meta's error codes: rate limits retry after a hint, an expired 24-hour window and
//   other refusals are permanent with Meta's reason, 5xx and timeouts are uncertain. With
//   messenger_human_agent, a Messenger or Instagram direct reply to a message older than the
//   24-hour window carries Meta's HUMAN_AGENT tag (good for 7 days).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "platforms/platform.h"
#include "platforms/self_identity.h"

namespace duplex {

// The Graph API version duplex is written against: v27.0, released 2026-11-04, the newest in
// December 2026 (docs/platforms/meta.md says when it expires).
inline constexpr const char* kDefaultGraphApiBase = "https://graph.facebook.com/v27.0";

struct MetaConfig {
  std::string app_secret;    // signs webhooks (X-Hub-Signature-256)
  std::string verify_token;  // the hub.verify_token set in the app dashboard
  // Page access token: Page, Messenger and Instagram calls. May be empty for a WhatsApp-only
  // setup; replies elsewhere are then refused.
  std::string page_token;
  std::string whatsapp_token;  // system-user token for WhatsApp; empty: page_token
  std::string api_base = kDefaultGraphApiBase;
  // Messenger and Instagram direct replies after the 24-hour window carry the HUMAN_AGENT tag
  // (the app needs Meta's Human Agent permission).
  bool messenger_human_agent = false;
  std::string page_id;     // our Page; empty: taken from each entry's id
  std::string ig_user_id;  // our Instagram account; empty: taken from each entry's id
  std::string ca_file;
  int timeout_ms = 10'000;
  int fetch_timeout_ms = 5'000;  // the mention-text fetch runs while Meta waits for our 200
};

class MetaConnector final : public PlatformConnector {
 public:
  // `http` is used only to fetch Instagram mention text and our Instagram username while
  // parsing; may be null.
  MetaConnector(MetaConfig config, HttpClient* http)
      : config_(std::move(config)), http_(http), self_(std::make_unique<SelfIdentity>()) {}

  std::string Name() const override { return "meta"; }
  std::string DisplayName() const override { return "Meta"; }
  // "Facebook", "Instagram", "Messenger" or "WhatsApp", read from the stored reply target.
  std::string DisplayNameFor(const std::string& reply_target) const override;

  Result<InboundResponse> Handshake(const InboundRequest& request) const override;
  Status Verify(const InboundRequest& request) const override;
  Result<ParsedWebhook> Parse(const InboundRequest& request) const override;
  DeliveryOutcome SendReply(const ReplyRequest& reply, HttpClient& http) const override;
  Status ValidateReply(const std::string& text, const std::string& conversation_key) const override;
  HttpRequest SampleWebhook(const std::string& base_url, const std::string& text,
                            const std::string& event_id, UnixMs now) const override;

  const MetaConfig& config() const { return config_; }

 private:
  MetaConfig config_;
  HttpClient* http_;
  std::unique_ptr<SelfIdentity> self_;  // our Instagram username per ig user id
};

std::unique_ptr<PlatformConnector> MakeMetaConnector(const nlohmann::json& config,
                                                     const std::string& path,
                                                     std::vector<std::string>& errors,
                                                     HttpClient* http);

// How Meta's answer to a Graph call maps onto delivery (exposed for tests); `what` names the
// call in messages ("Meta refused the reply: ..."), `window_closed` is the message for a
// closed messaging window (Meta's own words are appended).
DeliveryOutcome ClassifyMetaAnswer(const HttpResult& result, const std::string& what = "the reply",
                                   const std::string& window_closed = "");

// Whether `text` fits a reply of target type `type` (meta_target.h; "" for the longest any
// surface takes). Meta gives its limits in characters without saying how they are counted;
// duplex counts UTF-16 code units (an emoji above U+FFFF is 2), never fewer than Meta could
// count. Instagram direct messages are limited in bytes of UTF-8, as Meta documents them.
// InvalidArgument names the limit and the count.
Status CheckMetaReplyLength(const std::string& type, const std::string& text);

}  // namespace duplex
