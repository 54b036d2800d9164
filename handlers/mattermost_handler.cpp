#include "handlers/mattermost_handler.h"

#include "chat/form.h"
#include "core/log.h"
#include "core/text.h"
#include "handlers/slash_command.h"
#include "security/signatures.h"

namespace duplex {

std::string MattermostCommandResponse(const CommandAnswer& answer) {
  return SlashCommandResponse(answer, text::TruncateUtf8(answer.text, kMattermostPostMax));
}

HttpAnswer HandleMattermostCommand(const InboundRequest& request, MattermostHandlerDeps& deps) {
  Form form = Form::Parse(request.body);
  std::string token = form.Get("token");
  std::string header = request.Header("Authorization");
  if (token.empty() && text::StartsWith(header, "Token ")) token = header.substr(6);
  if (token.empty()) return JsonError(401, "missing token");
  // Compare against every configured token, without stopping at the first match.
  bool matched = false;
  for (const auto& expected : deps.command_tokens) {
    if (security::VerifySharedToken(expected, token).ok()) matched = true;
  }
  if (!matched) {
    log::Warn("mattermost command refused", {{"reason", "token mismatch"}});
    return JsonError(401, "token mismatch");
  }
  // Fails closed: with no team configured (the config requires one) nothing is accepted.
  if (deps.team_id.empty() || form.Get("team_id") != deps.team_id) {
    log::Warn("mattermost command from another team refused", {{"team_id", form.Get("team_id")}});
    return JsonError(403, "this duplex serves another Mattermost team");
  }
  CommandContext ctx = SlashCommandContext(form);
  if (ctx.user_id.empty()) return JsonError(400, "user_id is missing");
  if (deps.directory) deps.directory->Learn(ctx.user_id, ctx.user_name);
  CommandAnswer answer = deps.commands->Execute(ctx);
  return {200, "application/json", MattermostCommandResponse(answer), {}};
}

}  // namespace duplex
