#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/delivery_outcome.h"
#include "core/http_client.h"

namespace duplex {

std::string FindHeader(const HeaderList& headers, const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return {};
}

std::optional<std::int64_t> ParseRetryAfterMs(const std::string& value) {
  if (value.empty()) return std::nullopt;
  double seconds = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || ptr != value.data() + value.size() || seconds < 0) return std::nullopt;
  seconds = std::min(seconds, 86'400.0);
  return static_cast<std::int64_t>(seconds * 1000);
}

DeliveryOutcome ClassifyHttpFailure(const HttpResult& result, const std::string& api) {
  if (result.error == TransportError::kNotSent) {
    return DeliveryOutcome::Fail(OutcomeKind::kRetry,
                                 api + " unreachable: " + result.error_message);
  }
  if (result.error == TransportError::kUnknown) {
    return DeliveryOutcome::Fail(OutcomeKind::kUncertain,
                                 api + " did not answer: " + result.error_message);
  }
  const int status = result.response.status;
  if (status == 429 || status == 408) {
    auto o = DeliveryOutcome::Fail(OutcomeKind::kRetry,
                                   api + " rate limit (HTTP " + std::to_string(status) + ")");
    o.retry_after_ms = ParseRetryAfterMs(result.response.Header("Retry-After"));
    return o;
  }
  if (status >= 500) {
    auto o = DeliveryOutcome::Fail(OutcomeKind::kUncertain,
                                   api + " server error (HTTP " + std::to_string(status) + ")");
    o.retry_after_ms = ParseRetryAfterMs(result.response.Header("Retry-After"));
    return o;
  }
  auto o = DeliveryOutcome::Fail(
      OutcomeKind::kPermanent, api + " refused the request (HTTP " + std::to_string(status) + ")");
  o.auth_failure = status == 401;
  return o;
}

}  // namespace duplex
