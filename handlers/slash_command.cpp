#include "handlers/slash_command.h"

namespace duplex {

CommandContext SlashCommandContext(const Form& form) {
  CommandContext ctx;
  ctx.team_id = form.Get("team_id");
  ctx.channel_id = form.Get("channel_id");
  ctx.user_id = form.Get("user_id");
  ctx.user_name = form.Get("user_name");
  ctx.command = form.Get("command");
  ctx.text = form.Get("text");
  ctx.request_id = form.Get("trigger_id");
  return ctx;
}

std::string SlashCommandResponse(const CommandAnswer& answer, const std::string& text,
                                 const nlohmann::json& extra) {
  nlohmann::json body = extra;
  body["response_type"] = answer.in_channel ? "in_channel" : "ephemeral";
  body["text"] = text;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace duplex
