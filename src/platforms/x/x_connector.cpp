#include "platforms/x/x_connector.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "core/config_section.h"
#include "core/json_fields.h"
#include "core/log.h"
#include "core/text.h"
#include "platforms/x/x_ids.h"
#include "security/crypto.h"
#include "security/signatures.h"
#include "security/untrusted_json.h"

namespace duplex {

using nlohmann::json;

namespace {

constexpr UnixMs kMinRateLimitWaitMs = 1000;
constexpr UnixMs kMaxRateLimitWaitMs = 25LL * 3600 * 1000;
// A profile lookup runs while X waits for the webhook's answer (X allows 10 s): one short
// try, and after a failure that is not about the one user, none for a minute.
constexpr int kLookupTimeoutMs = 1000;
constexpr UnixMs kLookupPauseMs = 60 * 1000;

// X's own error text: errors[].message is the most specific, then detail, then title.
std::string XErrorDetail(const std::string& body) {
  auto answer = json::parse(body, nullptr, false);
  if (!answer.is_object()) return {};
  std::string detail;
  if (auto errs = answer.find("errors");
      errs != answer.end() && errs->is_array() && !errs->empty() && (*errs)[0].is_object()) {
    detail = JsonString((*errs)[0], "message");
  }
  if (detail.empty()) detail = JsonString(answer, "detail");
  if (detail.empty()) detail = JsonString(answer, "title");
  return text::TruncateUtf8(detail, 300);
}

// X's rate-limit headers carry the reset as epoch seconds; the wait is relative to `now`.
std::optional<std::int64_t> ResetHintMs(const HttpResponse& r, UnixMs now, std::string& which) {
  auto reset_in = [&](const char* header) -> std::optional<std::int64_t> {
    auto reset = text::ParseInt64(text::Trim(r.Header(header)));
    if (!reset) return std::nullopt;
    return std::clamp<std::int64_t>(*reset * 1000 - now, kMinRateLimitWaitMs, kMaxRateLimitWaitMs);
  };
  std::optional<std::int64_t> hint;
  if (text::Trim(r.Header("x-user-limit-24hour-remaining")) == "0") {
    hint = reset_in("x-user-limit-24hour-reset");
    if (hint) which = "the account's 24-hour posting limit";
  }
  if (!hint && text::Trim(r.Header("x-app-limit-24hour-remaining")) == "0") {
    hint = reset_in("x-app-limit-24hour-reset");
    if (hint) which = "the app's 24-hour posting limit";
  }
  if (!hint) hint = reset_in("x-rate-limit-reset");
  if (!hint) hint = ParseRetryAfterMs(r.Header("Retry-After"));
  return hint;
}

}  // namespace

std::unique_ptr<PlatformConnector> MakeXConnector(const json& config, const std::string& path,
                                                  std::vector<std::string>& errors,
                                                  HttpClient* http) {
  const std::size_t errors_before = errors.size();
  ConfigSection s(config, path, errors);
  XConfig c;
  c.consumer_secret = s.Secret("consumer_secret");
  c.api_base = s.Url("api_base", c.api_base);
  c.account_id = s.String("account_id");
  if (!c.account_id.empty() && !x::IsNumericId(c.account_id)) {
    s.Error("account_id", "must be the numeric user id as a string (not the @handle)");
  }
  c.bearer_token = s.String("bearer_token");
  c.client_id = s.String("client_id");
  c.client_secret = s.String("client_secret");
  c.refresh_token = s.String("refresh_token");
  c.token_file = s.String("token_file");
  c.consumer_key = s.String("consumer_key");
  c.access_token = s.String("access_token");
  c.access_token_secret = s.String("access_token_secret");
  c.ca_file = s.String("ca_file");
  c.timeout_ms = static_cast<int>(s.Int("timeout_ms", c.timeout_ms, 100, 120'000));

  const bool oauth1 =
      !c.consumer_key.empty() || !c.access_token.empty() || !c.access_token_secret.empty();
  const bool oauth2 = !c.bearer_token.empty() || !c.refresh_token.empty() || !c.client_id.empty() ||
                      !c.client_secret.empty() || !c.token_file.empty();
  if (oauth1 && oauth2) {
    errors.push_back(path +
                     ": choose one way to authorize replies: OAuth 2.0 (bearer_token, "
                     "client_id, client_secret, refresh_token, token_file) or OAuth 1.0a "
                     "(consumer_key, access_token, access_token_secret), not both");
  } else if (oauth1) {
    const char* kOAuth1 =
        "required for OAuth 1.0a replies (consumer_key, access_token and "
        "access_token_secret go together)";
    if (c.consumer_key.empty()) s.Error("consumer_key", kOAuth1);
    if (c.access_token.empty()) s.Error("access_token", kOAuth1);
    if (c.access_token_secret.empty()) s.Error("access_token_secret", kOAuth1);
  } else if (oauth2) {
    if (!c.refresh_token.empty() && c.client_id.empty()) {
      s.Error("client_id", "required to refresh the OAuth 2.0 token (refresh_token is set)");
    }
    if (c.refresh_token.empty() && (!c.client_id.empty() || !c.token_file.empty())) {
      s.Error("refresh_token", std::string("required when ") +
                                   (c.client_id.empty() ? "token_file" : "client_id") + " is set");
    }
    if (!c.client_secret.empty() && c.client_id.empty() && c.refresh_token.empty()) {
      s.Error("client_id", "required when client_secret is set");
    }
  } else {
    errors.push_back(path +
                     ": replies need user-context credentials: set bearer_token (an OAuth "
                     "2.0 user token; add client_id and refresh_token to keep it fresh), "
                     "or consumer_key, access_token and access_token_secret (OAuth 1.0a)");
  }
  if (errors.size() != errors_before) return nullptr;
  return std::make_unique<XConnector>(std::move(c), http);
}

XConnector::XConnector(XConfig config, HttpClient* http)
    : config_(std::move(config)), http_(http), users_(std::make_unique<x::XUserCache>()) {
  if (!config_.UsesOAuth1()) {
    x::XOAuth2Config oc;
    oc.api_base = config_.api_base;
    oc.bearer_token = config_.bearer_token;
    oc.client_id = config_.client_id;
    oc.client_secret = config_.client_secret;
    oc.refresh_token = config_.refresh_token;
    oc.ca_file = config_.ca_file;
    oc.timeout_ms = config_.timeout_ms;
    std::unique_ptr<x::TokenStore> tokens;
    if (!config_.token_file.empty()) {
      tokens = std::make_unique<x::FileTokenStore>(config_.token_file);
    }
    user_token_ = std::make_unique<x::XUserToken>(std::move(oc), std::move(tokens));
  }
}

void XConnector::ShareAcrossInstances(LeaseStore& leases, const std::string& owner) {
  if (!user_token_ || !user_token_->CanRefresh()) return;
  // Several times one refresh call's timeout, so a live holder never loses it mid-refresh;
  // after a holder dies, the others wait this long at most to refresh themselves.
  const UnixMs lease_ms = std::max<UnixMs>(60'000, 3LL * config_.timeout_ms);
  user_token_->Share(std::make_unique<Lease>(leases, "x-token-refresh", owner, lease_ms));
}

Result<InboundResponse> XConnector::Handshake(const InboundRequest& request) const {
  const std::string token = request.Query("crc_token");
  if (token.empty()) return Status::Invalid("crc_token is required");
  // Anyone may send a CRC, and its answer is the webhook signature of a body equal to the
  // token: only a token of X's shape (a UUID or a similar random string) is answered, never one
  // that could be a webhook body.
  auto response_token = security::XCrcResponseToken(config_.consumer_secret, token);
  if (!response_token) return security::CheckChallenge("crc_token", token);
  InboundResponse out;
  out.body = json{{"response_token", *response_token}}.dump();
  return out;
}

Status XConnector::Verify(const InboundRequest& request) const {
  return security::VerifyXSignature(config_.consumer_secret,
                                    request.Header("x-twitter-webhooks-signature"), request.body);
}

Status XConnector::ValidateReply(const std::string& text,
                                 const std::string& conversation_key) const {
  if (text.empty()) return Status::Invalid("the reply text is empty");
  if (text::StartsWith(conversation_key, "dm:")) {
    if (text::CountCodePoints(text) > kMaxDmChars) {
      return Status::Invalid("X allows " + std::to_string(kMaxDmChars) +
                             " characters in a direct message; shorten the reply");
    }
    return Status::Ok();
  }
  const std::size_t weight = WeightedTweetLength(text);
  if (weight > kMaxTweetWeight) {
    return Status::Invalid("X allows 280 characters in a post and this reply counts " +
                           std::to_string(weight) +
                           " (links count 23, emoji and CJK characters 2); shorten it");
  }
  return Status::Ok();
}

void XConnector::CompleteAuthor(Author& author, UnixMs now, bool may_call_x) const {
  std::optional<Author> known = users_->Get(author.id, now);
  if (!known && may_call_x) {
    known = LookUpUser(author.id, now);
    if (known) users_->Put(*known, now);
  }
  if (known) {
    author = *known;
  } else {
    author.handle = author.id;
  }
}

std::optional<Author> XConnector::LookUpUser(const std::string& id, UnixMs now) const {
  if (http_ == nullptr || now < lookups_paused_until_.load()) return std::nullopt;
  HttpRequest req;
  req.method = "GET";
  req.url = config_.api_base + "/2/users/" + id + "?user.fields=public_metrics";
  req.timeout_ms = std::min(kLookupTimeoutMs, config_.timeout_ms);
  req.ca_file = config_.ca_file;
  if (config_.UsesOAuth1()) {
    x::OAuth1Credentials creds{config_.consumer_key, config_.consumer_secret, config_.access_token,
                               config_.access_token_secret};
    req.headers = {{"Authorization",
                    x::OAuth1AuthorizationHeader(creds, "GET", req.url, {},
                                                 security::HexEncode(security::RandomBytes(16)),
                                                 std::to_string(now / 1000))}};
  } else {
    // Refreshing would mean up to timeout_ms on the webhook path, and a rotating refresh
    // token cut off by a short timeout is lost: without a current token, show the id.
    std::optional<std::string> token = user_token_->Peek(now);
    if (!token) return std::nullopt;
    req.headers = {{"Authorization", "Bearer " + *token}};
  }
  HttpResult res = http_->Send(req);
  const int status = res.response.status;
  if (!res.ok() || (status != 200 && status != 400 && status != 404)) {
    lookups_paused_until_.store(now + kLookupPauseMs);
    log::Warn("X profile lookup failed; authors are shown by id for a minute",
              {{"status", status},
               {"error", res.ok() ? XErrorDetail(res.response.body) : res.error_message}});
    return std::nullopt;
  }
  // A suspended or deleted account is a 200 with `errors` and no `data`.
  auto answer = json::parse(res.response.body, nullptr, false);
  const json* data = answer.is_object() && answer.contains("data") ? &answer["data"] : nullptr;
  if (status != 200 || data == nullptr || !data->is_object() || JsonString(*data, "id") != id ||
      JsonString(*data, "username").empty()) {
    return std::nullopt;
  }
  Author author;
  author.id = id;
  author.handle = JsonString(*data, "username");
  author.name = JsonString(*data, "name");
  if (auto metrics = data->find("public_metrics"); metrics != data->end() && metrics->is_object()) {
    if (auto followers = metrics->find("followers_count");
        followers != metrics->end() && followers->is_number_integer()) {
      author.followers = followers->get<std::int64_t>();
    }
  }
  return author;
}

x::TokenResult XConnector::Authorization(HttpClient& http, const std::string& url,
                                         UnixMs now) const {
  if (config_.UsesOAuth1()) {
    x::OAuth1Credentials creds{config_.consumer_key, config_.consumer_secret, config_.access_token,
                               config_.access_token_secret};
    return {x::OAuth1AuthorizationHeader(creds, "POST", url, {},
                                         security::HexEncode(security::RandomBytes(16)),
                                         std::to_string(now / 1000)),
            std::nullopt};
  }
  x::TokenResult token = user_token_->Get(http, now);
  if (!token.failure) token.access_token = "Bearer " + token.access_token;
  return token;
}

DeliveryOutcome XConnector::SendReply(const ReplyRequest& reply, HttpClient& http) const {
  auto target = json::parse(reply.reply_target, nullptr, false);
  const std::string tweet_id = target.is_object() ? JsonString(target, "tweet_id") : "";
  const std::string participant = target.is_object() ? JsonString(target, "dm_participant_id") : "";
  const bool is_dm = tweet_id.empty();
  if (is_dm ? !x::IsNumericId(participant) : !x::IsNumericId(tweet_id)) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                 "the X message this replies to has no usable tweet or user id");
  }
  HttpRequest req;
  req.content_type = "application/json";
  req.timeout_ms = config_.timeout_ms;
  req.ca_file = config_.ca_file;
  if (is_dm) {
    req.url = config_.api_base + "/2/dm_conversations/with/" + participant + "/messages";
    req.body = security::DumpJson(json{{"text", reply.text}});
  } else {
    req.url = config_.api_base + "/2/tweets";
    req.body = security::DumpJson(
        json{{"text", reply.text}, {"reply", {{"in_reply_to_tweet_id", tweet_id}}}});
  }
  x::TokenResult auth = Authorization(http, req.url, reply.now);
  if (auth.failure) return *auth.failure;
  req.headers = {{"Authorization", auth.access_token}};
  HttpResult res = http.Send(req);

  if (res.ok() && res.response.status == 401 && user_token_ && user_token_->CanRefresh()) {
    // X did not act on a request it refused as unauthenticated, so sending it once more with
    // a fresh token cannot post the reply twice.
    x::TokenResult fresh =
        user_token_->RefreshAfterRejection(http, reply.now, auth.access_token.substr(7));
    if (fresh.failure) return *fresh.failure;
    req.headers = {{"Authorization", "Bearer " + fresh.access_token}};
    res = http.Send(req);
  }

  const int status = res.response.status;
  if (res.ok() && status >= 200 && status < 300) {
    auto answer = json::parse(res.response.body, nullptr, false);
    std::string id;
    if (answer.is_object() && answer.contains("data") && answer["data"].is_object()) {
      id = JsonString(answer["data"], is_dm ? "dm_event_id" : "id");
    }
    std::string url;
    if (is_dm) {
      const std::string& ours = config_.account_id.empty() ? reply.account : config_.account_id;
      url = x::DmConversationUrl(ours, participant);
    } else if (x::IsNumericId(id)) {
      url = "https://x.com/i/web/status/" + id;
    }
    return DeliveryOutcome::Done(id, url);
  }
  if (!res.ok() || status >= 500 || status == 408) return ClassifyHttpFailure(res, "X");

  const std::string detail = XErrorDetail(res.response.body);
  const std::string suffix = detail.empty() ? "" : ": " + detail;
  if (status == 429) {
    std::string which = "rate limit";
    auto hint = ResetHintMs(res.response, reply.now, which);
    auto o = DeliveryOutcome::Fail(OutcomeKind::kRetry, "X rate limit (HTTP 429, " + which + ")");
    o.retry_after_ms = hint;
    return o;
  }
  if (status == 401) {
    auto o = DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                   "X rejected duplex's credentials (HTTP 401)" + suffix);
    o.auth_failure = true;
    return o;
  }
  if (status == 402) {
    // Pay-per-use apps stop when their prepaid credits run out; sending again before someone
    // buys more only fails again.
    auto o = DeliveryOutcome::Fail(
        OutcomeKind::kPermanent,
        "X answered 402: the app's credits are used up, so X accepts no posts or DMs from "
        "duplex" +
            suffix);
    o.auth_failure = true;
    o.admin_advice =
        "Add credits (or raise the spending limit) for the app in the X developer console; "
        "duplex needs no restart.";
    return o;
  }
  return DeliveryOutcome::Fail(OutcomeKind::kPermanent, "X refused the reply (HTTP " +
                                                            std::to_string(status) + ")" + suffix);
}

HttpRequest XConnector::SampleWebhook(const std::string& base_url, const std::string& text,
                                      const std::string& event_id, UnixMs now) const {
  // A realistic 19-digit post id derived from the event id, so repeated runs differ.
  const std::string digest = security::Sha256(event_id);
  unsigned long long n = 0;
  for (int i = 0; i < 7; ++i) n = (n << 8) | static_cast<unsigned char>(digest[i]);
  char post_id[24];
  std::snprintf(post_id, sizeof post_id, "17%017llu", n);  // 7 bytes < 10^17
  const std::string own = config_.account_id.empty() ? "1500000000000000001" : config_.account_id;
  const std::string created_at = FormatUtc(now, "%Y-%m-%dT%H:%M:%S.000Z");
  // An X Activity API mention, shaped like X's documented post.mention.create sample.
  json post = {
      {"id", post_id},
      {"text", "@duplex_support " + text},
      {"author_id", "2244994945"},
      {"conversation_id", post_id},
      {"created_at", created_at},
      {"edit_history_tweet_ids", json::array({post_id})},
      {"entities",
       {{"mentions",
         json::array(
             {{{"start", 0}, {"end", 15}, {"username", "duplex_support"}, {"id", own}}})}}}};
  json author = {{"id", "2244994945"},
                 {"username", "ana_customer"},
                 {"name", "Ana Customer"},
                 {"public_metrics", {{"followers_count", 1250}}}};
  const std::string body =
      security::DumpJson(json{{"data",
                               {{"event_uuid", post_id},
                                {"filter", {{"user_id", own}}},
                                {"event_type", "post.mention.create"},
                                {"tag", "duplex simulate"},
                                {"payload", post},
                                {"includes", {{"users", json::array({author})}}}}}});
  HttpRequest req;
  req.url = base_url + "/webhooks/x";
  req.body = body;
  req.headers = {
      {"x-twitter-webhooks-signature", security::SignXSignature(config_.consumer_secret, body)}};
  return req;
}

}  // namespace duplex
