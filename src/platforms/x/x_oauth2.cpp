#include "platforms/x/x_oauth2.h"

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/text.h"
#include "security/crypto.h"
#include "security/untrusted_json.h"

namespace duplex::x {

using nlohmann::json;

namespace {

// Refresh this long before X's stated expiry, so a reply never leaves with a token that
// expires in flight.
constexpr UnixMs kRefreshMarginMs = 5 * 60 * 1000;
// The wait hint for a reply whose token another instance is refreshing: about one refresh.
constexpr UnixMs kSharedRefreshWaitMs = 2'000;

std::string Fingerprint(const std::string& refresh_token) {
  return security::HexEncode(security::Sha256("duplex-x-refresh:" + refresh_token));
}

DeliveryOutcome RefreshFailure(OutcomeKind kind, const std::string& why) {
  return DeliveryOutcome::Fail(kind, "X OAuth 2.0 token refresh failed: " + why);
}

}  // namespace

XUserToken::XUserToken(XOAuth2Config config, std::unique_ptr<TokenStore> store)
    : config_(std::move(config)),
      store_(std::move(store)),
      initial_refresh_token_(config_.refresh_token),
      access_token_(config_.bearer_token),
      refresh_token_(config_.refresh_token) {
  if (store_ && !config_.refresh_token.empty()) {
    // Nothing saved yet is a first start.
    if (const std::optional<std::string> saved = store_->Load()) {
      Adopt(*saved, "platforms.x.token_file (" + store_->Where() + ")");
    }
  }
}

void XUserToken::Share(std::unique_ptr<Lease> refresh) {
  std::lock_guard lock(mu_);
  shared_ = std::move(refresh);
  if (auto saved = shared_->State(); saved.ok() && !saved->empty()) Adopt(*saved, "the database");
}

void XUserToken::Adopt(const std::string& saved, const std::string& where) {
  auto doc = json::parse(saved, nullptr, false);
  if (!doc.is_object() || doc.value("derived_from", "") != Fingerprint(config_.refresh_token) ||
      !doc.contains("refresh_token") || !doc["refresh_token"].is_string()) {
    log::Warn("ignoring saved X tokens: they do not belong to the configured refresh_token",
              {{"from", where}});
    return;
  }
  refresh_token_ = doc["refresh_token"].get<std::string>();
  if (doc.contains("access_token") && doc["access_token"].is_string()) {
    access_token_ = doc["access_token"].get<std::string>();
  }
  if (doc.contains("expires_at_ms") && doc["expires_at_ms"].is_number_integer()) {
    expires_at_ = doc["expires_at_ms"].get<UnixMs>();
  }
}

void XUserToken::Save(UnixMs now) const {
  const std::string content =
      security::DumpJson(json{{"derived_from", Fingerprint(initial_refresh_token_)},
                              {"refresh_token", refresh_token_},
                              {"access_token", access_token_},
                              {"expires_at_ms", expires_at_}});
  if (shared_) {
    auto saved = shared_->SaveState(now, content);
    if (!saved.ok() || !*saved) {
      // Only a holder that stalled for longer than the lease gets here; the other instances
      // refresh again when they need to (with the refresh token they have, which X may refuse).
      log::Error("the refreshed X token was not saved for the other instances",
                 {{"reason", saved.ok() ? "the refresh lease ran out" : saved.status().message()}});
    }
    return;
  }
  if (!store_) return;
  if (!store_->Save(content)) {
    // The rotated token still works from memory; only a restart would need a new one.
    log::Warn(
        "could not write platforms.x.token_file; the refreshed X token is kept in memory only",
        {{"file", store_->Where()}});
  }
}

bool XUserToken::Fresh(UnixMs now) const {
  return !access_token_.empty() && (expires_at_ == 0 || now < expires_at_ - kRefreshMarginMs);
}

TokenResult XUserToken::Get(HttpClient& http, UnixMs now) {
  std::lock_guard lock(mu_);
  if (!Fresh(now) && CanRefresh()) return Refresh(http, now, "");
  if (access_token_.empty()) {
    return {{}, DeliveryOutcome::Fail(OutcomeKind::kPermanent, "no X access token is configured")};
  }
  return {access_token_, std::nullopt};
}

std::optional<std::string> XUserToken::Peek(UnixMs now) {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() || !Fresh(now)) return std::nullopt;
  return access_token_;
}

TokenResult XUserToken::RefreshAfterRejection(HttpClient& http, UnixMs now,
                                              const std::string& rejected) {
  std::lock_guard lock(mu_);
  if (access_token_ != rejected && !access_token_.empty()) return {access_token_, std::nullopt};
  if (!CanRefresh()) {
    auto o = RefreshFailure(OutcomeKind::kPermanent, "no client_id and refresh_token configured");
    o.auth_failure = true;
    return {{}, o};
  }
  return Refresh(http, now, rejected);
}

TokenResult XUserToken::Refresh(HttpClient& http, UnixMs now, const std::string& rejected) {
  return shared_ ? RefreshShared(http, now, rejected) : RefreshLocked(http, now);
}

TokenResult XUserToken::RefreshShared(HttpClient& http, UnixMs now, const std::string& rejected) {
  if (!shared_->Hold(now)) {
    auto o = RefreshFailure(OutcomeKind::kRetry,
                            "another duplex instance is refreshing the token, or the database "
                            "cannot say which");
    o.retry_after_ms = kSharedRefreshWaitMs;
    return {{}, o};
  }
  TokenResult result;
  // The tokens as the last holder left them: it may have refreshed since this instance last
  // looked, and then its refresh token is the only one X still takes.
  auto saved = shared_->State();
  if (!saved.ok()) {
    result = {{}, RefreshFailure(OutcomeKind::kRetry, "the shared tokens could not be read")};
  } else {
    if (!saved->empty()) Adopt(*saved, "the database");
    result = Fresh(now) && access_token_ != rejected ? TokenResult{access_token_, std::nullopt}
                                                     : RefreshLocked(http, now);
  }
  shared_->Release();
  return result;
}

TokenResult XUserToken::RefreshLocked(HttpClient& http, UnixMs now) {
  HttpRequest req;
  req.url = config_.api_base + "/2/oauth2/token";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = "refresh_token=" + text::UrlEncode(refresh_token_) +
             "&grant_type=refresh_token&client_id=" + text::UrlEncode(config_.client_id);
  if (!config_.client_secret.empty()) {
    req.headers.emplace_back(
        "Authorization",
        "Basic " + security::Base64Encode(config_.client_id + ":" + config_.client_secret));
  }
  req.timeout_ms = config_.timeout_ms;
  req.ca_file = config_.ca_file;
  HttpResult res = http.Send(req);

  if (!res.ok()) {
    if (res.error == TransportError::kUnknown) {
      log::Warn("X token refresh got no answer; X may have rotated the refresh token anyway");
    }
    return {{},
            RefreshFailure(OutcomeKind::kRetry, "X did not answer (" + res.error_message + ")")};
  }
  const int status = res.response.status;
  auto answer = json::parse(res.response.body, nullptr, false);
  if (status == 429 || status >= 500) {
    auto o = RefreshFailure(OutcomeKind::kRetry, "X answered HTTP " + std::to_string(status));
    o.retry_after_ms = ParseRetryAfterMs(res.response.Header("Retry-After"));
    return {{}, o};
  }
  if (status != 200 || !answer.is_object() || !answer.contains("access_token") ||
      !answer["access_token"].is_string()) {
    std::string why = "X answered HTTP " + std::to_string(status);
    if (answer.is_object() && answer.contains("error_description") &&
        answer["error_description"].is_string()) {
      why += " (" + text::TruncateUtf8(answer["error_description"].get<std::string>(), 200) + ")";
    } else if (answer.is_object() && answer.contains("error") && answer["error"].is_string()) {
      why += " (" + text::TruncateUtf8(answer["error"].get<std::string>(), 100) + ")";
    }
    auto o = RefreshFailure(OutcomeKind::kPermanent,
                            why +
                                "; authorize duplex on X again and put the new refresh_token "
                                "in platforms.x");
    o.auth_failure = true;
    return {{}, o};
  }
  access_token_ = answer["access_token"].get<std::string>();
  if (answer.contains("refresh_token") && answer["refresh_token"].is_string()) {
    refresh_token_ = answer["refresh_token"].get<std::string>();
  }
  expires_at_ = 0;
  if (answer.contains("expires_in") && answer["expires_in"].is_number_integer()) {
    expires_at_ = now + answer["expires_in"].get<std::int64_t>() * 1000;
  }
  Save(now);
  log::Info("X OAuth 2.0 user token refreshed",
            {{"expires_in_s", expires_at_ ? (expires_at_ - now) / 1000 : 0}});
  return {access_token_, std::nullopt};
}

}  // namespace duplex::x
