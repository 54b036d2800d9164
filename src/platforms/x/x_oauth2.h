// XUserToken: the OAuth 2.0 user access token X replies are sent with, and its refresh.
// Guarantees:
//  - Thread-safe; at most one refresh runs at a time, so a rotating refresh token is never
//    spent twice by concurrent deliveries.
//  - Refreshes (POST {api_base}/2/oauth2/token, grant_type=refresh_token) when no access
//    token is known, when the known one expires within 5 minutes, and when X rejected it.
//  - X rotates refresh tokens: the new one replaces the old in memory, and in the TokenStore
//    when one is given (platforms.x.token_file). What was saved is used at start only if it
//    was derived from the refresh_token now in the config, so putting a fresh refresh_token
//    in the config always wins over a stale file.
//  - Several instances on one database (Share): one refresh at a time across all of them,
//    under a lease (core/lease.h); the tokens live in the lease's state, in the database,
//    instead of the TokenStore. Before refreshing, the holder reads them: when another instance
//    refreshed meanwhile, its token is used and X is not called, so a rotating refresh token is
//    never spent twice by two instances either. An instance that finds the lease held answers
//    kRetry with a short wait hint: its reply goes out once the refresh is done.
//  - Failures come back as a DeliveryOutcome for the reply that needed the token: the reply
//    was not sent, so network trouble is kRetry; a refused refresh token is kPermanent with
//    auth_failure. No message ever contains a token.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/delivery_outcome.h"
#include "core/http_client.h"
#include "core/lease.h"
#include "platforms/x/x_token_store.h"

namespace duplex::x {

struct XOAuth2Config {
  std::string api_base;
  std::string bearer_token;   // may be empty when a refresh_token is set
  std::string client_id;      // required to refresh
  std::string client_secret;  // confidential clients: HTTP Basic on the token endpoint
  std::string refresh_token;  // empty: the bearer token is used until it stops working
  std::string ca_file;
  int timeout_ms = 10'000;
};

struct TokenResult {
  std::string access_token;                // set when `failure` is empty
  std::optional<DeliveryOutcome> failure;  // why no token is available
};

class XUserToken {
 public:
  // `store`: where rotated tokens are kept across restarts; null for nowhere.
  XUserToken(XOAuth2Config config, std::unique_ptr<TokenStore> store);

  bool CanRefresh() const { return !config_.client_id.empty() && !initial_refresh_token_.empty(); }

  // From now on the tokens are shared with the other instances through `refresh` (its state
  // holds them; its holder refreshes); tokens already there replace those read at start, which
  // are used until the first refresh otherwise. Call before the first Get.
  void Share(std::unique_ptr<Lease> refresh);

  // The token to send now, refreshed first if needed.
  TokenResult Get(HttpClient& http, UnixMs now);
  // The current token when it is known and not about to expire, without refreshing and
  // without waiting for a refresh another thread is running: for calls that must stay fast
  // (a profile lookup on the webhook path) and can do without.
  std::optional<std::string> Peek(UnixMs now);
  // After X answered 401 to `rejected`: a new token. Refreshes unless another caller already
  // replaced `rejected`; kPermanent with auth_failure when no refresh is configured.
  TokenResult RefreshAfterRejection(HttpClient& http, UnixMs now, const std::string& rejected);

 private:
  // Under mu_: a refresh, under the lease when shared. `rejected` is the token X refused, if
  // any: a shared token equal to it is not good enough.
  TokenResult Refresh(HttpClient& http, UnixMs now, const std::string& rejected);
  TokenResult RefreshShared(HttpClient& http, UnixMs now, const std::string& rejected);
  TokenResult RefreshLocked(HttpClient& http, UnixMs now);
  // The access token is known and not about to expire.
  bool Fresh(UnixMs now) const;
  // Takes saved tokens (JSON, see Save) if they derive from the configured refresh_token.
  void Adopt(const std::string& saved, const std::string& where);
  void Save(UnixMs now) const;

  std::mutex mu_;
  const XOAuth2Config config_;
  const std::unique_ptr<TokenStore> store_;
  std::unique_ptr<Lease> shared_;  // set by Share
  const std::string initial_refresh_token_;
  std::string access_token_;
  std::string refresh_token_;
  UnixMs expires_at_ = 0;  // 0: unknown (a token from the config)
};

}  // namespace duplex::x
