#include "handlers/slack_handler.h"

#include "chat/form.h"
#include "chat/slack/slack_limits.h"
#include "core/log.h"
#include "handlers/slash_command.h"
#include "security/signatures.h"

namespace duplex {

std::string SlackCommandResponse(const CommandAnswer& answer) {
  // Answers can quote customers (show, queue): an address they wrote is not previewed.
  return SlashCommandResponse(answer, slack::FitMrkdwn(answer.text, slack::kMessageTextMax),
                              {{"unfurl_links", false}, {"unfurl_media", false}});
}

Status VerifySlackRequest(const InboundRequest& request, const std::string& signing_secret) {
  return security::VerifySlackV0(signing_secret, request.Header("X-Slack-Request-Timestamp"),
                                 request.Header("X-Slack-Signature"), request.body,
                                 request.now / 1000);
}

HttpAnswer HandleSlackCommand(const InboundRequest& request, SlackHandlerDeps& deps) {
  Form form = Form::Parse(request.body);
  // Slack's TLS check may come unsigned; it changes nothing, so answer before verifying.
  if (form.Get("ssl_check") == "1") return {200, "text/plain", "", {}};
  if (Status s = VerifySlackRequest(request, deps.signing_secret); !s.ok()) {
    log::Warn("slack command refused", {{"reason", s.message()}});
    return AnswerFor(s);
  }
  if (!deps.team_id.empty() && form.Get("team_id") != deps.team_id) {
    log::Warn("slack command from another workspace refused", {{"team_id", form.Get("team_id")}});
    return JsonError(403, "this duplex serves another Slack workspace");
  }
  CommandContext ctx = SlashCommandContext(form);
  if (ctx.user_id.empty()) return JsonError(400, "user_id is missing");
  CommandAnswer answer = deps.commands->Execute(ctx);
  return {200, "application/json", SlackCommandResponse(answer), {}};
}

}  // namespace duplex
