#include "support/signed_requests.h"

#include "app/httplib_client.h"
#include "core/clock.h"
#include "core/text.h"
#include "security/signatures.h"
#include "support/e2e_env.h"

namespace duplex::test {

HttpResult SignedMention(int port, const std::string& id, const std::string& conversation,
                         const std::string& text, const std::string& webhook_id) {
  const std::string event = webhook_id.empty() ? "wh-" + id : webhook_id;
  HttplibClient http;
  SystemClock clock;
  const std::string body = E2eEnv::GenericMention(id, conversation, text).dump();
  const std::string ts = std::to_string(clock.NowSeconds());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/generic";
  req.body = body;
  req.timeout_ms = 5000;
  req.headers = {
      {"webhook-id", event},
      {"webhook-timestamp", ts},
      {"webhook-signature", security::SignStandardWebhook(kGenericSecret, event, ts, body)}};
  return http.Send(req);
}

HttpResult SignedCommand(int port, const std::string& text, const std::string& trigger) {
  HttplibClient http;
  SystemClock clock;
  const std::string form =
      "team_id=" + std::string(kTeam) + "&channel_id=" + kDefaultChannel +
      "&user_id=U0STAFF&user_name=staff&command=%2Fduplex&text=" + text::UrlEncode(text) +
      "&trigger_id=" + trigger;
  const std::string ts = std::to_string(clock.NowSeconds());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/chat/slack/commands";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = form;
  req.timeout_ms = 5000;
  req.headers = {{"X-Slack-Request-Timestamp", ts},
                 {"X-Slack-Signature", security::SignSlackV0(kSigningSecret, ts, form)}};
  return http.Send(req);
}

}  // namespace duplex::test
