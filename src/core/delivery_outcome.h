// DeliveryOutcome: how one outbound call ended, in the terms the delivery worker acts on.
// Chat backends and platform connectors map their APIs' answers onto it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/http_client.h"

namespace duplex {

enum class OutcomeKind {
  kDone,
  kRetry,      // certainly not applied (connect failed, 429, documented no-op): safe to resend
  kUncertain,  // may have been applied (timeout or reset after sending, 5xx)
  kPermanent,  // will not succeed by retrying; `error` says why
};

struct DeliveryOutcome {
  OutcomeKind kind = OutcomeKind::kDone;
  std::string error;                           // human-readable reason, safe for chat and logs
  std::optional<std::int64_t> retry_after_ms;  // the remote's own wait hint
  bool auth_failure = false;                   // revoked/invalid credentials: alert the admins
  // With auth_failure, when the fix is not a new token (an account out of credits): what
  // the admins should do.
  std::string admin_advice;
  std::string remote_id;  // chat ts / post id, or the platform's message id
  std::string url;        // link to what was posted, when known
  // The platform moved the conversation (a Telegram group became a supergroup with a new
  // chat id): the reply target to store on the answered message in place of the old one, so
  // this delivery's next attempt and every later reply to that message go to the new place.
  std::string new_reply_target;

  static DeliveryOutcome Done(std::string remote_id = {}, std::string url = {}) {
    DeliveryOutcome o;
    o.remote_id = std::move(remote_id);
    o.url = std::move(url);
    return o;
  }
  static DeliveryOutcome Fail(OutcomeKind kind, std::string error) {
    DeliveryOutcome o;
    o.kind = kind;
    o.error = std::move(error);
    return o;
  }
};

// The common mapping of an HTTP exchange that did not succeed: transport errors, 408, 429
// (with Retry-After), 5xx and other 4xx. `api` names the remote in messages ("Slack").
DeliveryOutcome ClassifyHttpFailure(const HttpResult& result, const std::string& api);

// Parses Retry-After (seconds; HTTP dates are not used by the APIs duplex calls).
std::optional<std::int64_t> ParseRetryAfterMs(const std::string& value);

}  // namespace duplex
